#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a base, held for the whole of a run that writes it.
///
/// `flock` on `<base>.lock`: the kernel releases it when the process ends, however it ends, so
/// a killed run never leaves a stale lock behind. The file holds the holder's pid, pipeline
/// and start time, for the message the next run prints.
public final class BaseLock {
    public let path: String
    private var descriptor: Int32

    /// Another run holds the lock.
    public struct Busy: Error, CustomStringConvertible, Sendable {
        public var base: String
        public var holder: String

        public var description: String {
            "the base \(base) is being written by another Tamis run (\(holder.isEmpty ? "holder unknown" : holder)); "
                + "nothing was done. Wait for that run to finish, then run again (a scheduler can retry on exit code 4)"
        }
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    public static func acquire(base: String, pipeline: String, startedAt: String) throws -> BaseLock {
        let path = base + ".lock"
        try OutputDirectory.makeDirectories(OutputDirectory.parent(of: base))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot create the base's lock file: \(String(cString: strerror(errno)))",
                             hint: "check that the base's folder is writable")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = readHolder(fd)
            close(fd)
            throw Busy(base: base, holder: holder)
        }
        let text = "pid \(getpid()), pipeline \(pipeline), started \(startedAt)"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        return BaseLock(path: path, descriptor: fd)
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 255, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    /// Releases the lock (also done when the object goes away, or by the kernel at exit).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
