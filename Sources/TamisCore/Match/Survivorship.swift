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

    /// `parent` by field number (-1: not derived).
    static let parentIndex: [Int] = CanonicalField.allCases.map { parent[$0]?.rawValue ?? -1 }

    /// The rule of each field, by field number.
    public var rulesByField: [SurvivorshipRule] { CanonicalField.allCases.map { fields[$0] ?? defaultRule } }

    /// The surviving values of a cluster whose members are ordered by trust then reading order.
    public func fields(of ordered: [Int], in state: RunState) -> PackedFields {
        fields(of: ordered, in: state, rules: rulesByField)
    }

    /// The same with the rules by field worked out once (`rulesByField`): a million-record
    /// deduplication calls this for every cluster.
    public func fields(of ordered: [Int], in state: RunState, rules: [SurvivorshipRule]) -> PackedFields {
        if ordered.count == 1 { return state.records[ordered[0]].value }
        // Each member's values and qualities taken once, not per field.
        let values = ordered.map { state.records[$0].value }
        let qualities = ordered.map { state.records[$0].quality }
        // Dates are read only when a rule needs them.
        let dates: [Int] = rules.contains(.mostRecent) ? ordered.map { i in
            state.records[i][.capturedAt].flatMap { SimpleDate(parsing: $0)?.dayNumber } ?? Int.min
        } : []
        let parents = SurvivorshipSettings.parentIndex
        var winners = [Int](repeating: -1, count: CanonicalField.count)  // position in `ordered`
        for f in 0..<CanonicalField.count where parents[f] < 0 {
            var best = -1, bestValid = false, bestKey = 0
            for position in 0..<ordered.count {
                let range = values[position].valueRange(f)
                if range.isEmpty { continue }
                let quality = qualities[position]
                let valid = f < quality.count ? quality[f].status != .invalid : true
                let key: Int
                switch rules[f] {
                case .trust: key = 0
                case .mostRecent: key = dates[position]
                case .mostComplete: key = range.count
                }
                // Valid first, then the rule's key, then the earlier position (trust, reading order).
                if best < 0 || (valid && !bestValid) || (valid == bestValid && key > bestKey) {
                    best = position
                    bestValid = valid
                    bestKey = key
                }
            }
            winners[f] = best
        }
        for f in 0..<CanonicalField.count where parents[f] >= 0 { winners[f] = winners[parents[f]] }
        var capacity = 0
        for f in 0..<CanonicalField.count where winners[f] >= 0 { capacity += values[winners[f]].valueRange(f).count }
        return PackedFields(count: CanonicalField.count, capacity: capacity) { f, destination in
            guard winners[f] >= 0 else { return 0 }
            return values[winners[f]].withBytes(f) { value in
                if !value.isEmpty { destination.update(from: value.baseAddress!, count: value.count) }
                return value.count
            }
        }
    }
}
