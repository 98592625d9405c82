import CTamisSys
#if canImport(Glibc)
import Glibc
#endif

/// Writes a run's output files into a staging folder, then swaps it with the real output
/// folder in one atomic step, so a run killed at any point leaves either the previous outputs
/// or the new complete ones — never a mix.
///
/// The output folder belongs to Tamis: it carries a `.tamis-output` marker, and Tamis refuses
/// to replace a non-empty folder without it (it could be the steward's own files).
public final class OutputDirectory {
    public static let marker = ".tamis-output"
    public let finalPath: String
    public let stagingPath: String
    public let fileMode: mode_t

    public init(path: String, fileMode: mode_t = 0o600) throws {
        finalPath = OutputDirectory.trimSlash(path)
        self.fileMode = fileMode
        let parent = OutputDirectory.parent(of: finalPath)
        try OutputDirectory.makeDirectories(parent)
        let name = finalPath.split(separator: "/").last.map(String.init) ?? finalPath
        stagingPath = (parent == "." ? "" : parent + "/") + ".\(name).staging-\(getpid())"
        try OutputDirectory.checkOwnership(finalPath)
        OutputDirectory.removeStale(parent: parent, name: name)
        OutputDirectory.removeTree(stagingPath)
        guard mkdir(stagingPath, 0o700) == 0 else {
            throw InputError(file: stagingPath, problem: "cannot create the staging folder (\(String(cString: strerror(errno))))")
        }
        let marker = try OutputFile(path: stagingPath + "/" + OutputDirectory.marker, mode: 0o600)
        try marker.write("This folder is written by Tamis. It is replaced as a whole at each run.\n")
        try marker.close()
    }

    /// Path of a file in the staging folder.
    public func path(_ name: String) -> String { stagingPath + "/" + name }

    public func createFile(_ name: String) throws -> OutputFile {
        try OutputFile(path: path(name), mode: fileMode)
    }

    /// Makes the staged files the output folder's content, atomically.
    public func commit() throws {
        var info = stat()
        if stat(finalPath, &info) == 0 {
            if tamis_exchange_paths(stagingPath, finalPath) == 0 {
                OutputDirectory.removeTree(stagingPath)  // now holds the previous outputs
                return
            }
            // Filesystems without RENAME_EXCHANGE: two renames, with a recoverable gap.
            let previous = finalPath + ".previous-\(getpid())"
            guard rename(finalPath, previous) == 0 else { throw renameError() }
            guard rename(stagingPath, finalPath) == 0 else {
                _ = rename(previous, finalPath)
                throw renameError()
            }
            OutputDirectory.removeTree(previous)
        } else if rename(stagingPath, finalPath) != 0 {
            throw renameError()
        }
    }

    /// Drops the staged files (dry run, failed run).
    public func discard() {
        OutputDirectory.removeTree(stagingPath)
    }

    private func renameError() -> InputError {
        InputError(file: finalPath, problem: "cannot move the new outputs into place (\(String(cString: strerror(errno))))")
    }

    static func checkOwnership(_ path: String) throws {
        guard let dir = opendir(path) else { return }
        defer { closedir(dir) }
        var hasMarker = false, hasOther = false
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name == "." || name == ".." { continue }
            if name == marker { hasMarker = true } else { hasOther = true }
        }
        if hasOther && !hasMarker {
            throw InputError(file: path, problem: "the output folder already holds files that Tamis did not write",
                             hint: "choose an empty or new folder with --out; Tamis replaces its output folder as a whole")
        }
    }

    /// Removes staging folders left by killed runs.
    static func removeStale(parent: String, name: String) {
        guard let dir = opendir(parent) else { return }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let entryName = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if entryName.hasPrefix(".\(name).staging-") { stale.append(entryName) }
        }
        closedir(dir)
        for entry in stale {
            let pid = Int32(entry.split(separator: "-").last ?? "") ?? 0
            // Leave a staging folder alone while its run is alive.
            if pid > 0 && pid != getpid() && kill(pid, 0) == 0 { continue }
            removeTree(parent + "/" + entry)
        }
    }

    public static func makeDirectories(_ path: String) throws {
        if path.isEmpty || path == "." || path == "/" { return }
        var info = stat()
        if stat(path, &info) == 0 { return }
        try makeDirectories(parent(of: path))
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw InputError(file: path, problem: "cannot create the folder (\(String(cString: strerror(errno))))")
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func trimSlash(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    static func removeTree(_ path: String) {
        guard let dir = opendir(path) else { unlink(path); return }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names { removeTree(path + "/" + name) }
        rmdir(path)
    }
}
