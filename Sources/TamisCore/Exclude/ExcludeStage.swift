/// A rule that marks a record as off-target, with the reason code it gives.
public struct ExclusionRule: Sendable, Equatable {
    public var name: String
    public var reasonCode: String
    /// All conditions must hold.
    public var conditions: [FieldCondition]

    public init(name: String, reasonCode: String, conditions: [FieldCondition]) {
        self.name = name
        self.reasonCode = reasonCode
        self.conditions = conditions
    }

    public func matches(_ record: ProspectRecord) -> Bool {
        !conditions.isEmpty && conditions.allSatisfy { $0.matches(record.value) }
    }
}

extension ExclusionRule: ExclusionCheck {}

/// The exclude stage: the first matching check excludes a record, with its reason code and
/// rule name. Order: the pipeline's custom rules, then the checks it switched on (company
/// lists, rule sets, retention, uncontactable).
public struct ExcludeStage: PipelineStage {
    public let name = "exclude"
    public var checks: [any ExclusionCheck]

    public init(rules: [ExclusionRule], checks: [any ExclusionCheck] = []) {
        self.checks = rules.map { $0 as any ExclusionCheck } + checks
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        var before = 0, excluded = 0
        var perReason: [String: Int] = [:]
        for i in state.records.indices where state.outcomes[i].disposition != .excluded {
            before += 1
            guard let check = checks.first(where: { $0.matches(state.records[i]) }) else { continue }
            state.outcomes[i].disposition = .excluded
            state.outcomes[i].reason = Reason(code: check.reasonCode, rule: check.name, message: "excluded by \(check.name)")
            state.outcomes[i].purged = check.purges
            excluded += 1
            perReason[check.reasonCode, default: 0] += 1
        }
        progress.end()
        return StageCounts(stage: name, recordsIn: before, recordsOut: before - excluded, details: perReason)
    }
}

/// Applies suppression (opt-out) lists to whole duplicate clusters, after deduplication: a
/// person who objected never re-enters the base, even under another spelling in another file,
/// as long as one of their records matches.
public struct SuppressionStage: PipelineStage {
    public let name = "suppress"
    public var lists: [SuppressionList]

    public init(lists: [SuppressionList]) {
        self.lists = lists
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        let goldenBefore = state.golden.count
        guard !lists.isEmpty else {
            return StageCounts(stage: name, recordsIn: goldenBefore, recordsOut: goldenBefore)
        }
        var suppressedGolden = Set<Int>()
        var suppressedRecords = 0
        for (i, record) in state.records.enumerated() {
            guard let list = lists.first(where: { $0.matches(record) }) else { continue }
            if let golden = state.outcomes[i].goldenIndex {
                suppressedGolden.insert(golden)
            } else if state.outcomes[i].disposition == .excluded {
                // Already excluded for another reason: the objection is what the steward must see.
                state.outcomes[i].reason = Reason(code: "suppressed", rule: list.name, message: "on suppression list \(list.name)")
            }
        }
        // Every member of a suppressed cluster is excluded; the golden record disappears.
        var remap = [Int?](repeating: nil, count: state.golden.count)
        var kept: [GoldenRecord] = []
        for (index, golden) in state.golden.enumerated() {
            if suppressedGolden.contains(index) {
                for member in golden.members {
                    state.outcomes[member].disposition = .excluded
                    state.outcomes[member].goldenIndex = nil
                    state.outcomes[member].reason = Reason(code: "suppressed", rule: "suppression",
                                                           message: "a record of this person is on a suppression list")
                    suppressedRecords += 1
                }
            } else {
                remap[index] = kept.count
                kept.append(golden)
            }
        }
        for i in state.outcomes.indices {
            if let golden = state.outcomes[i].goldenIndex { state.outcomes[i].goldenIndex = remap[golden] }
        }
        state.golden = kept
        return StageCounts(stage: name, recordsIn: goldenBefore, recordsOut: kept.count,
                           details: ["suppressed_records": suppressedRecords, "suppressed_people": suppressedGolden.count])
    }
}
