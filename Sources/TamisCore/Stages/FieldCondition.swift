/// A test on one field of a record, shared by exclusion rules and segments.
///
/// Comparisons are on folded values (accents and case ignored), so `equals: "Étudiant"`
/// matches "ETUDIANT" and "étudiant".
public struct FieldCondition: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case equals, `in`, prefix, contains, missing, present
    }

    public var field: CanonicalField
    public var op: Operator
    /// Folded operand values (one for equals/prefix/contains, several for `in`).
    public private(set) var values: [[UInt8]]

    public init(field: CanonicalField, op: Operator, values: [String] = []) {
        self.field = field
        self.op = op
        self.values = values.map { Array(AccentFolding.key($0, keepPunctuation: true).utf8) }
    }

    public func matches(_ fields: PackedFields) -> Bool {
        switch op {
        case .missing: return fields.isEmpty(field.rawValue)
        case .present: return !fields.isEmpty(field.rawValue)
        default: break
        }
        if fields.isEmpty(field.rawValue) { return false }
        var folded: [UInt8] = []
        fields.withBytes(field.rawValue) { AccentFolding.fold($0, into: &folded, keepPunctuation: true) }
        switch op {
        case .equals, .in: return values.contains(folded)
        case .prefix: return values.contains { folded.starts(with: $0) }
        case .contains: return values.contains { folded.containsSubsequence($0) }
        case .missing, .present: return false
        }
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        if needle.count > count { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
