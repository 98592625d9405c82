/// A test on one field of a record, shared by exclusion rules and segments.
///
/// Comparisons are on folded values (accents and case ignored), so `equals: "Étudiant"`
/// matches "ETUDIANT" and "étudiant".
public struct FieldCondition: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case equals, `in`, prefix, contains, matches, missing, present
        /// `in` with the values of a file (the pipeline loader reads it).
        case inListFile = "in_list_file"
    }

    public var field: CanonicalField
    public var op: Operator
    /// Folded operand values (one for equals/prefix/contains, several for `in`).
    public private(set) var values: [[UInt8]]

    /// For `matches`: the regular expressions, compiled once (case-insensitive, on the
    /// normalised value).
    let patterns: [PatternBox]

    public init(field: CanonicalField, op: Operator, values: [String] = []) throws {
        self.field = field
        self.op = op == .inListFile ? .in : op
        self.values = values.map { Array(AccentFolding.key($0, keepPunctuation: true).utf8) }
        patterns = op == .matches ? try values.map { try PatternBox($0) } : []
    }

    public static func == (a: FieldCondition, b: FieldCondition) -> Bool {
        a.field == b.field && a.op == b.op && a.values == b.values && a.patterns.map(\.source) == b.patterns.map(\.source)
    }

    public func matches(_ fields: PackedFields) -> Bool {
        switch op {
        case .missing: return fields.isEmpty(field.rawValue)
        case .present: return !fields.isEmpty(field.rawValue)
        default: break
        }
        if fields.isEmpty(field.rawValue) { return false }
        if op == .matches {
            let text = fields.string(field.rawValue) ?? ""
            return patterns.contains { $0.matches(text) }
        }
        var folded: [UInt8] = []
        fields.withBytes(field.rawValue) { AccentFolding.fold($0, into: &folded, keepPunctuation: true) }
        switch op {
        case .equals, .in: return values.contains(folded)
        case .prefix: return values.contains { folded.starts(with: $0) }
        case .contains: return values.contains { folded.containsSubsequence($0) }
        case .missing, .present, .matches, .inListFile: return false
        }
    }
}

extension RandomAccessCollection where Element == UInt8, Index == Int {
    /// Whether `needle` occurs in these bytes.
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        if needle.count > count { return false }
        for start in startIndex...(endIndex - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// A compiled regular expression (the standard library's `Regex`, no Foundation).
struct PatternBox: @unchecked Sendable {
    let source: String
    let regex: Regex<AnyRegexOutput>

    init(_ source: String) throws {
        self.source = source
        regex = try Regex(source).ignoresCase()
    }

    func matches(_ text: String) -> Bool {
        text.contains(regex)
    }
}
