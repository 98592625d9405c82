/// How a golden record's field is chosen among its records' values. Whatever the rule, a
/// valid (or repaired) value comes before an invalid one, and ties go to the most trusted
/// source, then the record read first.
public enum SurvivorshipRule: String, Sendable, CaseIterable {
    /// The most trusted source's value (`trust` of the source).
    case trust
    /// The value of the most recent record (`captured_at`); records without a date last.
    case mostRecent = "most_recent"
    /// The longest value (the most complete address, the full first name rather than "J.").
    case mostComplete = "most_complete"
}

public struct SurvivorshipSettings: Sendable, Equatable {
    public var defaultRule: SurvivorshipRule = .trust
    public var fields: [CanonicalField: SurvivorshipRule] = [:]

    public init(defaultRule: SurvivorshipRule = .trust, fields: [CanonicalField: SurvivorshipRule] = [:]) {
        self.defaultRule = defaultRule
        self.fields = fields
    }

    /// Derived fields follow the field they come from, so that a golden record never pairs
    /// one record's phone with another's phone type.
    static let parent: [CanonicalField: CanonicalField] = [
        .vatNumber: .siren, .nafSection: .naf, .nafLabel: .naf, .department: .postalCode, .region: .postalCode,
        .cedex: .postalCode, .emailDomain: .email, .emailSuggestion: .email, .phoneType: .phone,
        .mobileType: .mobile, .phoneExtension: .phone,
    ]

    /// The surviving values of a cluster whose members are ordered by trust then reading order.
    public func fields(of ordered: [Int], in state: RunState) -> PackedFields {
        if ordered.count == 1 { return state.records[ordered[0]].value }
        var winners = [Int?](repeating: nil, count: CanonicalField.count)
        // Dates are read only when a rule needs them.
        let needsDates = defaultRule == .mostRecent || fields.values.contains(.mostRecent)
        let dates: [Int] = needsDates ? ordered.map { i in
            state.records[i][.capturedAt].flatMap { SimpleDate(parsing: $0)?.dayNumber } ?? Int.min
        } : []
        for field in CanonicalField.allCases where SurvivorshipSettings.parent[field] == nil {
            let f = field.rawValue
            var best: (index: Int, valid: Bool, key: Int)?
            for (position, member) in ordered.enumerated() {
                let record = state.records[member]
                if record.value.isEmpty(f) { continue }
                let valid = record.quality(field).status != .invalid
                let key: Int
                switch fields[field] ?? defaultRule {
                case .trust: key = 0
                case .mostRecent: key = dates[position]
                case .mostComplete: key = record.value.withBytes(f) { $0.count }
                }
                // Valid first, then the rule's key, then the earlier position (trust, reading order).
                if let current = best {
                    if valid != current.valid { if valid { best = (member, valid, key) } ; continue }
                    if key > current.key { best = (member, valid, key) }
                } else {
                    best = (member, valid, key)
                }
            }
            winners[f] = best?.index
        }
        for (child, parent) in SurvivorshipSettings.parent { winners[child.rawValue] = winners[parent.rawValue] }
        var builder = PackedFields.Builder(count: CanonicalField.count)
        for f in 0..<CanonicalField.count {
            if let winner = winners[f] { state.records[winner].value.withBytes(f) { builder.append($0) } } else { builder.appendEmpty() }
        }
        return builder.finish()
    }
}
