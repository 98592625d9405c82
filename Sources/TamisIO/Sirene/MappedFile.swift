#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only into memory, whole: pages are read from the page cache as they are
/// touched, and shared by every thread and every process reading the same file.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeBufferPointer<UInt8>

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot open the file (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw InputError(file: path, problem: "cannot read the file's size (\(String(cString: strerror(errno))))")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), address != MAP_FAILED else {
            throw InputError(file: path, problem: "cannot map the file into memory (\(String(cString: strerror(errno))))")
        }
        bytes = UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Drops the mapped pages from this process (they stay in the page cache, and come back
    /// when read again).
    func release() {
        if let base = bytes.baseAddress { madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED) }
    }

    /// `count` values of `T` at `offset` (which must be aligned for `T`; the mapping is page-aligned).
    func array<T>(of _: T.Type, at offset: Int, count: Int) -> UnsafeBufferPointer<T> {
        guard count > 0, let base = bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(base + offset).assumingMemoryBound(to: T.self), count: count)
    }
}
