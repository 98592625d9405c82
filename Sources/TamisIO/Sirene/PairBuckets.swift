import CTamisSys
import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// A 16-byte (key, value) pair, as the register's sorted sections store them.
struct KeyValuePair: Equatable {
    var key: UInt64
    var value: UInt64

    @inline(__always)
    static func precedes(_ a: KeyValuePair, _ b: KeyValuePair) -> Bool {
        a.key != b.key ? a.key < b.key : a.value < b.value
    }
}

/// An external sort of (key, value) pairs by distribution: each pair goes to the bucket of
/// its key's top bits, and a bucket's buffer is written to an unlinked scratch file whenever
/// it fills. Memory stays flat (1,024 buffers of 2,048 pairs) whatever the number of pairs;
/// afterwards each bucket, a small slice of the whole, is read back and sorted on its own,
/// and buckets come out in key order.
///
/// Keys should spread over their range (SIRETs, SIRENs and hashes do): a bucket is held in
/// memory whole while it is sorted.
final class PairBuckets {
    static let bucketCount = 1 << 10
    /// Pairs a bucket holds in memory before they go to the scratch file.
    let bufferPairs: Int
    let shift: UInt64
    let scratchPath: String
    private let fd: Int32
    private var end = 0
    private let buffers: UnsafeMutablePointer<KeyValuePair>
    private let filled: UnsafeMutablePointer<Int>
    /// Spilled chunks of each bucket: (file offset, pairs).
    private var spilled: [[(offset: Int, count: Int)]]
    private(set) var count = 0

    /// - Parameters:
    ///   - keyBits: keys are below 2^keyBits.
    ///   - scratch: a path prefix for the scratch file (removed at once; the descriptor keeps it).
    init(keyBits: Int, scratch: String, bufferPairs: Int = 2048) throws {
        self.bufferPairs = bufferPairs
        shift = UInt64(max(0, keyBits - 10))
        scratchPath = scratch
        fd = open(scratch, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw InputError(file: scratch, problem: "cannot create a scratch file for the import (\(String(cString: strerror(errno))))",
                             hint: "check that the register's directory is writable")
        }
        unlink(scratch)
        buffers = .allocate(capacity: PairBuckets.bucketCount * bufferPairs)
        filled = .allocate(capacity: PairBuckets.bucketCount)
        filled.initialize(repeating: 0, count: PairBuckets.bucketCount)
        spilled = [[(offset: Int, count: Int)]](repeating: [], count: PairBuckets.bucketCount)
    }

    deinit {
        close(fd)
        buffers.deallocate()
        filled.deallocate()
    }

    @inline(__always)
    func append(key: UInt64, value: UInt64) throws {
        let bucket = Int(truncatingIfNeeded: min(key >> shift, UInt64(PairBuckets.bucketCount - 1)))
        let n = filled[bucket]
        (buffers + bucket * bufferPairs + n).initialize(to: KeyValuePair(key: key, value: value))
        count += 1
        if n + 1 == bufferPairs {
            try spill(bucket)
        } else {
            filled[bucket] = n + 1
        }
    }

    private func spill(_ bucket: Int) throws {
        let bytes = bufferPairs * 16
        try PairBuckets.writeAll(fd, UnsafeRawPointer(buffers + bucket * bufferPairs), bytes, at: end, path: scratchPath)
        spilled[bucket].append((end, bufferPairs))
        end += bytes
        filled[bucket] = 0
    }

    static func writeAll(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int, at offset: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = pwrite(fd, pointer + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw InputError(file: path, problem: "write failed (\(String(cString: strerror(errno))))", hint: "is the disk full?")
            }
            done += n
        }
    }

    /// The pairs of `bucket` from every one of `parts`, sorted by key then value.
    ///
    /// Each part must have been given its pairs in increasing value order, and `parts` come
    /// in value order (record offsets as they are written, SIRETs in order): then a stable
    /// sort by key alone gives key-then-value order, and a radix sort does it in a few
    /// linear passes.
    /// `added` is added to each value of its part as it is read back.
    static func sortedBucket(_ bucket: Int, of parts: [(PairBuckets, added: UInt64)]) throws -> [KeyValuePair] {
        let total = parts.reduce(0) { $0 + $1.0.filled[bucket] + $1.0.spilled[bucket].reduce(0) { $0 + $1.count } }
        guard total > 0 else { return [] }
        var pairs = try [KeyValuePair](unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            for (part, added) in parts {
                let partStart = initialized
                for chunk in part.spilled[bucket] {
                    var done = 0
                    let target = UnsafeMutableRawPointer(buffer.baseAddress! + initialized)
                    while done < chunk.count * 16 {
                        let n = pread(part.fd, target + done, chunk.count * 16 - done, off_t(chunk.offset + done))
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else {
                            throw InputError(file: part.scratchPath, problem: "the import's scratch file could not be read back (\(String(cString: strerror(errno))))")
                        }
                        done += n
                    }
                    initialized += chunk.count
                }
                let n = part.filled[bucket]
                (buffer.baseAddress! + initialized).update(from: part.buffers + bucket * part.bufferPairs, count: n)
                initialized += n
                if added != 0 { for i in partStart..<initialized { buffer[i].value += added } }
            }
        }
        radixSortByKey(&pairs)
        assert(zip(pairs, pairs.dropFirst()).allSatisfy { !KeyValuePair.precedes($1, $0) }, "pairs not given in value order")
        return pairs
    }

    /// `body` with each bucket's pairs sorted (`sortedBucket`), in bucket order: a few buckets
    /// at a time are read back and sorted on all cores while memory holds only those.
    static func forEachSortedBucket(of parts: [(PairBuckets, added: UInt64)], _ body: ([KeyValuePair]) throws -> Void) throws {
        let batch = 4 * ParallelLoop.threadCount
        for first in stride(from: 0, to: bucketCount, by: batch) {
            let buckets = Array(first..<min(bucketCount, first + batch))
            let failure = FirstError()
            let sorted = ParallelLoop.map(buckets.count, chunk: 1, filling: [KeyValuePair]()) { i in
                do { return try sortedBucket(buckets[i], of: parts) } catch { failure.record(error); return [] }
            }
            if let error = failure.error { throw error }
            for pairs in sorted { try body(pairs) }
        }
    }

    /// A stable least-significant-digit radix sort on the key, 11 bits a pass; a pass whose
    /// digit is the same for every key (the bucket's top bits, narrow ranges) is skipped.
    static func radixSortByKey(_ pairs: inout [KeyValuePair]) {
        let n = pairs.count
        guard n > 1 else { return }
        var spare = [KeyValuePair](repeating: KeyValuePair(key: 0, value: 0), count: n)
        var counts = [Int](repeating: 0, count: 2048)
        var differing: UInt64 = 0
        let first = pairs[0].key
        for pair in pairs { differing |= pair.key ^ first }
        var shift: UInt64 = 0
        while shift < 64 && differing >> shift != 0 {
            defer { shift += 11 }
            if (differing >> shift) & 2047 == 0 { continue }
            pairs.withUnsafeMutableBufferPointer { source in
                spare.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { counts in
                        for i in 0..<2048 { counts[i] = 0 }
                        for pair in source { counts[Int((pair.key >> shift) & 2047)] += 1 }
                        var position = 0
                        for i in 0..<2048 { let c = counts[i]; counts[i] = position; position += c }
                        for pair in source {
                            let digit = Int((pair.key >> shift) & 2047)
                            target[counts[digit]] = pair
                            counts[digit] += 1
                        }
                    }
                }
            }
            swap(&pairs, &spare)
        }
    }
}

/// Appends to a file through a buffer, counting the bytes written.
final class BufferedFileWriter {
    let path: String
    let fd: Int32
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 20
    private var used = 0
    private(set) var offset = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot create the file (\(String(cString: strerror(errno))))",
                             hint: "check that the register's directory is writable")
        }
        storage = .allocate(capacity: capacity)
    }

    /// A scratch file: removed at once, the descriptor keeps it until the writer goes.
    convenience init(scratch: String) throws {
        try self.init(path: scratch)
        unlink(scratch)
    }

    deinit {
        close(fd)
        storage.deallocate()
    }

    /// Appends everything `other` wrote (copied inside the kernel where it can be).
    func append(_ other: BufferedFileWriter) throws {
        try flush()
        try other.flush()
        var copied = 0
        while copied < other.offset {
            let n = tamis_copy_file_range(other.fd, Int64(copied), fd, Int64(offset + copied), other.offset - copied)
            if n > 0 { copied += n; continue }
            if n < 0 && errno == EINTR { continue }
            // No in-kernel copy here (another file system, an old kernel): through a buffer.
            let chunk = try reserve(min(capacity, other.offset - copied))
            let read = pread(other.fd, chunk, min(capacity, other.offset - copied), off_t(copied))
            guard read > 0 else {
                throw InputError(file: other.path, problem: "the import's scratch file could not be read back (\(String(cString: strerror(errno))))")
            }
            try PairBuckets.writeAll(fd, chunk, read, at: offset + copied, path: path)
            copied += read
        }
        offset += copied
    }

    /// Room for `count` bytes at the end of the buffer: write there, then `commit` what was written.
    @inline(__always)
    func reserve(_ count: Int) throws -> UnsafeMutablePointer<UInt8> {
        if used + count > capacity {
            try flush()
            if count > capacity {
                storage.deallocate()
                capacity = count
                storage = .allocate(capacity: capacity)
            }
        }
        return storage + used
    }

    @inline(__always)
    func commit(_ count: Int) {
        used += count
        offset += count
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let source = bytes.baseAddress else { return }
        try reserve(bytes.count).update(from: source, count: bytes.count)
        commit(bytes.count)
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try write($0) }
    }

    func write(_ pair: KeyValuePair) throws {
        let target = try reserve(16)
        UnsafeMutableRawPointer(target).storeBytes(of: pair.key.littleEndian, as: UInt64.self)
        UnsafeMutableRawPointer(target + 8).storeBytes(of: pair.value.littleEndian, as: UInt64.self)
        commit(16)
    }

    func flush() throws {
        guard used > 0 else { return }
        try PairBuckets.writeAll(fd, storage, used, at: offset - used, path: path)
        used = 0
    }
}
