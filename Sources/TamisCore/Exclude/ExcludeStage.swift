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
        // The checks read one record each: they run on all cores, then apply in order. The
        // read-only copies are gone before the outcomes are written (no copy-on-write).
        let firstMatch: [Int32] = {
            let records = state.records, outcomes = state.outcomes, checks = self.checks
            return ParallelLoop.map(records.count, filling: Int32(-1)) { i in
                outcomes[i].disposition == .excluded ? -1 : Int32(checks.firstIndex { $0.matches(records[i]) } ?? -1)
            }
        }()
        let reasons = checks.map { Reason(code: $0.reasonCode, rule: $0.name, message: "excluded by \($0.name)") }
        for i in state.records.indices where state.outcomes[i].disposition != .excluded {
            before += 1
            guard firstMatch[i] >= 0 else { continue }
            let check = checks[Int(firstMatch[i])]
            state.outcomes[i].disposition = .excluded
            state.outcomes[i].reason = reasons[Int(firstMatch[i])]
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
        suppressedRecords = state.excludeClusters(Dictionary(uniqueKeysWithValues: suppressedGolden.map {
            ($0, Reason(code: "suppressed", rule: "suppression", message: "a record of this person is on a suppression list"))
        }))
        return StageCounts(stage: name, recordsIn: goldenBefore, recordsOut: state.golden.count,
                           details: ["suppressed_records": suppressedRecords, "suppressed_people": suppressedGolden.count])
    }
}

/// Applies company lists (customers, competitors, partners) to whole duplicate clusters,
/// after deduplication: if any record of a person matches a listed company — by SIREN, a
/// SIRET of the SIREN, the corporate web domain, or name + postal code — every record of that
/// person is excluded with the list's reason. So the webinar registration of a customer's
/// buyer, with a private e-mail and no SIRET, goes with the CRM record that names the company.
public struct CompanyListStage: PipelineStage {
    public let name = "companies"
    public var lists: [CompanyList]
    /// Reasons a company list replaces on records already excluded (the list says more).
    static let weakerReasons: Set<String> = ["student", "test_entry", "uncontactable"]

    public init(lists: [CompanyList]) {
        self.lists = lists
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        let goldenBefore = state.golden.count
        guard !lists.isEmpty else { return StageCounts(stage: name, recordsIn: goldenBefore, recordsOut: goldenBefore) }
        var reasons: [Int: Reason] = [:]
        var perReason: [String: Int] = [:]
        for (i, record) in state.records.enumerated() {
            let outcome = state.outcomes[i]
            let inCluster = outcome.disposition != .excluded && outcome.goldenIndex != nil
            if !inCluster && !CompanyListStage.weakerReasons.contains(outcome.reason?.code ?? "") { continue }
            guard let list = lists.first(where: { $0.matches(record) }) else { continue }
            let reason = Reason(code: list.reasonCode, rule: list.name, message: "a record of this person works at a company on list \(list.name)")
            if inCluster {
                if reasons[outcome.goldenIndex!] == nil { reasons[outcome.goldenIndex!] = reason }
            } else {
                state.outcomes[i].reason = reason
                perReason[list.reasonCode, default: 0] += 1
            }
        }
        let records = state.excludeClusters(reasons)
        for reason in reasons.values { perReason[reason.code, default: 0] += 1 }
        var details = perReason
        details["excluded_records"] = records
        details["excluded_people"] = reasons.count
        return StageCounts(stage: name, recordsIn: goldenBefore, recordsOut: state.golden.count, details: details)
    }
}
