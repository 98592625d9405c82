import CTamisSys
#if canImport(Glibc)
import Glibc
#endif

/// Positioned reads and writes that finish or throw, and files created for the register's
/// import (a scratch file is unlinked at once: nothing is left behind if the import dies).
enum FileIO {
    static func create(_ path: String, scratch: Bool) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, scratch ? 0o600 : 0o644)
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot create \(scratch ? "a scratch file for the import" : "the file") (\(String(cString: strerror(errno))))",
                             hint: "check that the register's directory is writable")
        }
        if scratch { unlink(path) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int, at offset: Int, path: String) throws {
        try transferAll(count, { done in pwrite(fd, pointer + done, count - done, off_t(offset + done)) }) {
            InputError(file: path, problem: "write failed (\($0))", hint: "is the disk full?")
        }
    }

    static func readAll(_ fd: Int32, into pointer: UnsafeMutableRawPointer, _ count: Int, at offset: Int, path: String) throws {
        try transferAll(count, { done in pread(fd, pointer + done, count - done, off_t(offset + done)) }) {
            InputError(file: path, problem: "the import's scratch file could not be read back (\($0))")
        }
    }

    /// Calls `step(done)` (a positioned read or write of what is left) until `count` bytes
    /// are through, again when a signal interrupted it; `failure` is given why it stopped.
    private static func transferAll(_ count: Int, _ step: (Int) -> Int, failure: (String) -> InputError) throws {
        var done = 0
        while done < count {
            let n = step(done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(n == 0 ? "no bytes transferred: the file ends early" : String(cString: strerror(errno))) }
            done += n
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

    /// - Parameter scratch: a scratch file, removed at once (the descriptor keeps it until the writer goes).
    init(path: String, scratch: Bool = false) throws {
        self.path = path
        fd = try FileIO.create(path, scratch: scratch)
        storage = .allocate(capacity: capacity)
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
            // No in-kernel copy here (another file system, an old kernel): through the buffer.
            let read = min(capacity, other.offset - copied)
            let chunk = try reserve(read)
            try FileIO.readAll(other.fd, into: UnsafeMutableRawPointer(chunk), read, at: copied, path: other.path)
            try FileIO.writeAll(fd, chunk, read, at: offset + copied, path: path)
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

    func write(_ value: UInt16) throws {
        UnsafeMutableRawPointer(try reserve(2)).storeBytes(of: value.littleEndian, as: UInt16.self)
        commit(2)
    }

    /// Writes `bytes` at `position`, before the end, around the buffer (a header filled in last).
    func write(_ bytes: [UInt8], at position: Int) throws {
        try flush()
        try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0.baseAddress!, $0.count, at: position, path: path) }
    }

    func flush() throws {
        guard used > 0 else { return }
        try FileIO.writeAll(fd, storage, used, at: offset - used, path: path)
        used = 0
    }
}
