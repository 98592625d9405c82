#if canImport(Glibc)
import Glibc
#endif

/// Expands a file pattern (`data/salon-*.csv`) to the sorted list of matching files.
enum Glob {
    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[i] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }
}
