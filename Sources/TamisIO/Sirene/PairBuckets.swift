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

extension UnsafeBufferPointer where Element == KeyValuePair {
    /// The first position whose identifier (`key >> 2`, an index section's key) is
    /// `identifier` or more.
    func lowerBound(identifier: UInt64) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) >> 1
            if self[mid].key >> 2 < identifier { low = mid + 1 } else { high = mid }
        }
        return low
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

    /// - Parameters:
    ///   - keyBits: keys are below 2^keyBits.
    ///   - scratch: a path prefix for the scratch file (removed at once; the descriptor keeps it).
    init(keyBits: Int, scratch: String, bufferPairs: Int = 2048) throws {
        self.bufferPairs = bufferPairs
        shift = UInt64(max(0, keyBits - 10))
        scratchPath = scratch
        fd = try FileIO.create(scratch, scratch: true)
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
        if n + 1 == bufferPairs {
            try spill(bucket)
        } else {
            filled[bucket] = n + 1
        }
    }

    private func spill(_ bucket: Int) throws {
        let bytes = bufferPairs * 16
        try FileIO.writeAll(fd, UnsafeRawPointer(buffers + bucket * bufferPairs), bytes, at: end, path: scratchPath)
        spilled[bucket].append((end, bufferPairs))
        end += bytes
        filled[bucket] = 0
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
                    try FileIO.readAll(part.fd, into: UnsafeMutableRawPointer(buffer.baseAddress! + initialized), chunk.count * 16,
                                       at: chunk.offset, path: part.scratchPath)
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
