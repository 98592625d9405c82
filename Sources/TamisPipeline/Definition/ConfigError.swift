/// A mistake in a pipeline file, located, with what to write instead.
public struct ConfigIssue: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public var hint: String?

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): error: \(message)" + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}

/// All the mistakes found in a pipeline file (validation reports them all at once).
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var issues: [ConfigIssue]

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Suggests the closest known word for a misspelt key.
enum Suggestion {
    static func closest(to word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        // "company" → "company_name", "postal" → "postal_code".
        if lower.count >= 3, let prefixed = candidates.filter({ $0.hasPrefix(lower) }).min(by: { $0.count < $1.count }) {
            return prefixed
        }
        let scored = candidates.map { ($0, distance(word.lowercased(), $0)) }.min { $0.1 < $1.1 }
        guard let best = scored, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
