#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file in fixed-size chunks with plain `read(2)`: memory stays flat whatever the
/// file size, and nothing is decoded here.
public final class FileByteReader {
    public let path: String
    public let size: Int
    private let fd: Int32
    private var buffer: [UInt8]
    public private(set) var bytesRead = 0

    public init(path: String, chunkSize: Int = 1 << 20) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot open the file (\(String(cString: strerror(errno))))",
                             hint: "check the path in the pipeline file; relative paths are relative to the pipeline file")
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw InputError(file: path, problem: "this is a directory, not a file", hint: "use a glob such as dir/*.csv")
        }
        size = Int(info.st_size)
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { close(fd) }

    /// Reads the next chunk into `buffer`; its length, 0 at the end of the file.
    private func readChunk() throws -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: path, problem: "read failed (\(String(cString: strerror(errno))))")
            }
            bytesRead += n
            return n
        }
    }

    /// Calls `body` with each chunk until the end of the file.
    public func forEachChunk(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        while true {
            let n = try readChunk()
            if n == 0 { return }
            try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// Calls `body` with each chunk of the bytes `range` of the file (positioned reads: the
    /// reader's place in the file does not move).
    public func forEachChunk(in range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let wanted = min(buffer.count, range.upperBound - offset)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, wanted, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw InputError(file: path, problem: "read failed (\(String(cString: strerror(errno))))") }
            if n == 0 { return }  // the file is shorter than it was
            bytesRead += n
            offset += n
            try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The position just after the first line break at or after `offset`, looking at most
    /// `limit` bytes ahead; nil when there is none.
    public func lineBreak(after offset: Int, limit: Int = 1 << 20) -> Int? {
        var position = offset
        while position < min(size, offset + limit) {
            let wanted = min(buffer.count, size - position)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, wanted, off_t(position)) }
            guard n > 0 else { return nil }
            if let found = buffer[0..<n].firstIndex(of: 0x0A) { return position + found + 1 }
            position += n
        }
        return nil
    }

    /// The next chunk as an array (for readers that pull), nil at the end of the file.
    public func nextChunk() throws -> [UInt8]? {
        let n = try readChunk()
        return n == 0 ? nil : Array(buffer[0..<n])
    }

    /// The first `count` bytes of a file (for sniffing); reads no further.
    /// The file's size in bytes, 0 when it cannot be read (the reading then says why).
    public static func size(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    public static func prefix(of path: String, count: Int) throws -> [UInt8] {
        let reader = try FileByteReader(path: path, chunkSize: max(1, count))
        var out: [UInt8] = []
        while out.count < count {
            let wanted = count - out.count
            let n = reader.buffer.withUnsafeMutableBytes { read(reader.fd, $0.baseAddress, wanted) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: path, problem: "read failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            out.append(contentsOf: reader.buffer[0..<n])
        }
        return out
    }
}
