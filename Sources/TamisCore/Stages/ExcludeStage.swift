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

/// The exclude stage: the first matching rule excludes a record, with its reason.
public struct ExcludeStage: PipelineStage {
    public let name = "exclude"
    public var rules: [ExclusionRule]

    public init(rules: [ExclusionRule]) {
        self.rules = rules
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        var before = 0, excluded = 0
        var perReason: [String: Int] = [:]
        for i in state.records.indices where state.outcomes[i].disposition != .excluded {
            before += 1
            guard let rule = rules.first(where: { $0.matches(state.records[i]) }) else { continue }
            state.outcomes[i].disposition = .excluded
            state.outcomes[i].reason = Reason(code: rule.reasonCode, rule: rule.name,
                                              message: "excluded by rule \(rule.name)")
            excluded += 1
            perReason[rule.reasonCode, default: 0] += 1
        }
        progress.end()
        return StageCounts(stage: name, recordsIn: before, recordsOut: before - excluded, details: perReason)
    }
}
