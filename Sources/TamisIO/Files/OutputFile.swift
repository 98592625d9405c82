#if canImport(Glibc)
import Glibc
#endif

/// A file created for writing with restrictive permissions (0600 by default: outputs hold
/// personal data). Written in full, then closed; the directory swap makes it visible.
public final class OutputFile {
    public let path: String
    private var fd: Int32

    public init(path: String, mode: mode_t = 0o600) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot create the file (\(String(cString: strerror(errno))))",
                             hint: "check that the output directory is writable")
        }
        fchmod(fd, mode)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw InputError(file: path, problem: "write failed (\(String(cString: strerror(errno))))",
                                     hint: "is the disk full?")
                }
                offset += n
            }
        }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Flushes to disk and closes.
    public func close() throws {
        guard fd >= 0 else { return }
        fsync(fd)
        Glibc.close(fd)
        fd = -1
    }
}
