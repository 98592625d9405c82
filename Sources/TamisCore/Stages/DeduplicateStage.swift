#if canImport(Glibc)
import Glibc  // log2, pow: the core stays free of Foundation
#endif

/// A steward's verdict on a pair of records (the review file, filled in and given back).
public struct MatchDecision: Sendable, Equatable {
    public var left: (source: String, id: String)
    public var right: (source: String, id: String)
    public var same: Bool

    public init(left: (source: String, id: String), right: (source: String, id: String), same: Bool) {
        self.left = left
        self.right = right
        self.same = same
    }

    public static func == (a: MatchDecision, b: MatchDecision) -> Bool {
        a.left == b.left && a.right == b.right && a.same == b.same
    }
}

/// The matcher of a run, for explaining its decisions.
public struct MatchContext: Sendable {
    public var table: MatchTable
    public var model: MatchModel
}

/// A pair in the uncertainty band, for the review file.
public struct ReviewPair: Sendable {
    public var left: Int
    public var right: Int
    public var probability: Double
    public var explanation: MatchModel.Explanation
}

/// What the matcher did, for the summary and the report.
public struct MatchStats: Sendable, Codable, Equatable {
    public var recordsCompared = 0
    public var blocking: [Blocking.RuleCount] = []
    public var candidatePairs = 0
    public var matchedPairs = 0
    public var reviewPairs = 0
    public var refusedByChainingGuard = 0
    public var decisionsApplied = 0
    /// Establishments the golden records belong to (by SIRET, else company name + postal code).
    public var establishments = 0
    public var emIterations = 0
    public var prior = 0.0
    /// Cluster size → number of golden records.
    public var clusterSizes: [String: Int] = [:]
    /// field → level → (m, u).
    public var parameters: [String: [String: [Double]]] = [:]
    public var seconds: [String: Double] = [:]
}

/// The deduplicate stage: finds the records that are the same prospect and groups them into
/// golden records.
///
/// Blocking rules give candidate pairs; a Fellegi-Sunter model trained on this run's data
/// scores them; deterministic evidence (same personal e-mail, different valid SIRETs) and the
/// steward's decisions override the model; pairs at or above the threshold are clustered
/// with a guard against chaining; pairs in the uncertainty band go to the review file.
/// Survivorship: `SurvivorshipSettings` (per field: valid first, then trust, most recent or
/// most complete). Golden IDs: `GoldenIDAssignment` (stable across refreshes).
public struct DeduplicateStage: PipelineStage {
    public let name = "deduplicate"
    public var settings: MatchSettings
    public var decisions: [MatchDecision]
    /// Keep the table and model in the run state after the stage (`tamis explain`).
    public var keepModel: Bool
    public var survivorship: SurvivorshipSettings

    public init(settings: MatchSettings = .frenchContacts, decisions: [MatchDecision] = [], keepModel: Bool = false,
                survivorship: SurvivorshipSettings = SurvivorshipSettings()) {
        self.settings = settings
        self.decisions = decisions
        self.keepModel = keepModel
        self.survivorship = survivorship
    }

    /// The match table and trained model of a run's active records (also for `tamis explain`).
    public func model(for state: RunState) -> (MatchTable, MatchModel, Blocking) {
        let (table, model, blocking, _) = trainedModel(for: state)
        return (table, model, blocking)
    }

    /// The same, with each candidate pair's pattern key (levels of every comparison).
    func trainedModel(for state: RunState) -> (MatchTable, MatchModel, Blocking, [UInt64]) {
        var times: [String: Double] = [:]
        return trainedModel(for: state, times: &times)
    }

    func trainedModel(for state: RunState, times: inout [String: Double]) -> (MatchTable, MatchModel, Blocking, [UInt64]) {
        var clock = Stopwatch()
        let active = state.activeIndices
        var fields = Set(settings.comparisons.map(\.field) + settings.comparisons.compactMap(\.swappedWith))
        for rule in settings.blocking { for part in rule.parts { fields.insert(part.field) } }
        fields.insert(.canonical(.email))
        fields.insert(.canonical(.siret))
        fields.insert(.canonical(.firstName))
        fields.insert(.canonical(.lastName))
        var phoneticFields = Set(settings.comparisons.filter { $0.method == .phonetic }.map(\.field))
        for rule in settings.blocking { for part in rule.parts where part.transform == .phonetic { phoneticFields.insert(part.field) } }
        let table = MatchTable(state: state, rows: active, fields: fields, phoneticFields: phoneticFields)
        times["table"] = clock.lap()
        let blocking = Blocking(table: table, rules: settings.blocking, maxBlockSize: settings.maxBlockSize)
        times["blocking"] = clock.lap()
        var model = MatchModel(table: table, settings: settings)
        times["model_setup"] = clock.lap()
        let keys = model.patternKeys(blocking.pairs)
        times["compare"] = clock.lap()
        model.train(table: table, blocking: blocking, keys: keys)
        times["train"] = clock.lap()
        return (table, model, blocking, keys)
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: nil)
        var stats = MatchStats()
        var clock = Stopwatch()
        // The match table, pairs and weights are gone before the golden records are built.
        let (ordered, compared) = match(&state, stats: &stats, clock: &clock)
        let sources = state.sources
        let records = state.records
        let history = state.history
        let assignment = GoldenIDAssignment.assign(
            clusters: ordered,
            previousID: { history.isEmpty ? nil : history[$0].previousGoldenID },
            newIDs: ParallelLoop.map(ordered.count, filling: "") { c in  // on all cores
                DeduplicateStage.hashID(for: records[ordered[c][0]], sources: sources)
            },
            issued: state.issuedGoldenIDs, merged: state.mergedGoldenIDs)
        state.goldenMerges = assignment.merges
        stats.seconds["golden_ids"] = clock.lap()
        state.golden = []
        state.golden.reserveCapacity(ordered.count)
        var merged = 0
        // Surviving values, cluster by cluster on all cores (each reads only its members); the
        // read-only copy of the state is gone before the outcomes are written (no copy-on-write).
        let survivors: [PackedFields] = {
            let snapshot = state, survivorship = self.survivorship, rules = survivorship.rulesByField
            return ParallelLoop.map(ordered.count, chunk: 1024, filling: PackedFields(count: 0)) { c in
                survivorship.fields(of: ordered[c], in: snapshot, rules: rules)
            }
        }()
        for (c, members) in ordered.enumerated() {
            let id = assignment.ids[c]
            let goldenIndex = state.golden.count
            state.golden.append(GoldenRecord(id: id, members: members, fields: survivors[c]))
            for (rank, member) in members.enumerated() {
                state.outcomes[member].goldenIndex = goldenIndex
                state.outcomes[member].disposition = rank == 0 ? .kept : .merged
                if rank > 0 {
                    merged += 1
                    state.outcomes[member].reason = DeduplicateStage.duplicate
                }
            }
        }
        stats.seconds["survivorship"] = clock.lap()
        stats.establishments = Establishments.assign(&state)
        stats.seconds["establishments"] = clock.lap()
        state.matchStats = stats
        progress.end()
        return StageCounts(stage: name, recordsIn: compared, recordsOut: state.golden.count,
                           details: ["merged": merged, "golden_records": state.golden.count,
                                     "candidate_pairs": stats.candidatePairs, "matched_pairs": stats.matchedPairs,
                                     "review_pairs": stats.reviewPairs, "refused_by_chaining_guard": stats.refusedByChainingGuard,
                                     "establishments": stats.establishments])
    }

    /// Blocking, scoring, the steward's decisions and clustering: each cluster's records in
    /// survivorship order, and how many records were compared.
    private func match(_ state: inout RunState, stats: inout MatchStats, clock: inout Stopwatch) -> (ordered: [[Int]], compared: Int) {
        let (table, model, blocking, keys) = trainedModel(for: state, times: &stats.seconds)
        stats.seconds["block_and_train"] = clock.lap()
        stats.recordsCompared = table.count
        stats.blocking = blocking.perRule
        stats.candidatePairs = blocking.pairs.count
        stats.emIterations = model.emIterations
        stats.prior = model.lambda
        for (k, spec) in model.specs.enumerated() {
            var levels: [String: [Double]] = [:]
            for (l, name) in spec.levelNames().enumerated() where l > 0 { levels[name] = [model.m[k][l], model.u[k][l]] }
            stats.parameters[spec.field.description] = levels
        }

        // Score every candidate pair, on all cores.
        let pairs = blocking.pairs
        let weights = ParallelLoop.map(pairs.count, filling: 0.0) { i in
            let (a, b) = Blocking.rows(pairs[i])
            return model.score(table, a, b, key: keys[i])
        }
        stats.seconds["score"] = clock.lap()

        // The steward's decisions override the model for their pairs.
        var rowOf: [String: Int] = [:]
        if !decisions.isEmpty {
            for (row, i) in table.recordIndex.enumerated() {
                let origin = state.records[i].origin
                rowOf[state.sources[origin.sourceIndex].name + "\u{1F}" + origin.sourceID] = row
            }
        }
        var forced: [UInt64: Double] = [:]
        for decision in decisions {
            guard let a = rowOf[decision.left.source + "\u{1F}" + decision.left.id],
                  let b = rowOf[decision.right.source + "\u{1F}" + decision.right.id], a != b else { continue }
            forced[Blocking.pair(a, b)] = decision.same ? MatchModel.certain : -MatchModel.certain
            stats.decisionsApplied += 1
        }

        let thresholdWeight = MatchDecisionWeights.weight(forProbability: settings.threshold)
        let reviewWeight = MatchDecisionWeights.weight(forProbability: settings.reviewBelow)
        let guardWeight = MatchDecisionWeights.weight(forProbability: settings.chainingGuard)
        var edges: [(pair: UInt64, weight: Double)] = []
        var review: [ReviewPair] = []
        var decidedOutsideCandidates = forced
        let anyForced = !forced.isEmpty  // a million lookups in an empty dictionary still hash
        for (i, pair) in pairs.enumerated() {
            var w = weights[i]
            if anyForced, let decided = forced[pair] {
                w = decided
                decidedOutsideCandidates.removeValue(forKey: pair)
            }
            if w >= thresholdWeight {
                edges.append((pair, w))
            } else if w >= reviewWeight {
                let (a, b) = Blocking.rows(pair)
                review.append(ReviewPair(left: table.recordIndex[a], right: table.recordIndex[b],
                                         probability: MatchModel.probability(w), explanation: model.explain(table, a, b)))
            }
        }
        for (pair, w) in decidedOutsideCandidates where w > 0 { edges.append((pair, w)) }  // decided "same", not blocked together
        stats.matchedPairs = edges.count
        stats.reviewPairs = review.count
        state.reviewPairs = review.sorted { $0.probability > $1.probability }

        let result = model.withLevelKernel { kernel in
            Clustering.cluster(count: table.count, edges: edges) { a, b in
                if anyForced, let decided = forced[Blocking.pair(a, b)] { return decided < 0 }
                return model.score(table, a, b, kernel: kernel) < guardWeight
            }
        }
        stats.refusedByChainingGuard = result.refusedLinks
        stats.seconds["cluster"] = clock.lap()
        // Clusters in order of their first row; a root's cluster number by row (not a dictionary).
        // Their members are laid out in one array (counted, then placed), and each cluster's
        // own array is made on all cores, in survivorship order.
        var clusterOf = [Int32](repeating: -1, count: table.count)
        var clusterSizes: [Int] = []
        for row in 0..<table.count {
            let root = result.root[row]
            if clusterOf[root] < 0 {
                clusterOf[root] = Int32(clusterSizes.count)
                clusterSizes.append(0)
            }
            clusterSizes[Int(clusterOf[root])] += 1
        }
        var starts = [Int](repeating: 0, count: clusterSizes.count + 1)
        for c in clusterSizes.indices { starts[c + 1] = starts[c] + clusterSizes[c] }
        var members = [Int](repeating: 0, count: table.count)
        var next = starts
        for row in 0..<table.count {
            let c = Int(clusterOf[result.root[row]])
            members[next[c]] = table.recordIndex[row]
            next[c] += 1
        }
        var sizes: [Int: Int] = [:]
        for size in clusterSizes { sizes[size, default: 0] += 1 }
        for (size, count) in sizes { stats.clusterSizes[String(size)] = count }
        let trust = state.records.map { state.sources[$0.origin.sourceIndex].trust }
        let laidOut = members, bounds = starts
        let ordered = ParallelLoop.map(clusterSizes.count, filling: []) { c in
            DeduplicateStage.survivorshipOrder(Array(laidOut[bounds[c]..<bounds[c + 1]]), trust: trust)
        }
        stats.seconds["clusters_ordered"] = clock.lap()
        if keepModel { state.matchContext = MatchContext(table: table, model: model) }
        return (ordered, table.count)
    }

    /// Why a merged record is not a golden record of its own; its golden record is in its
    /// outcome (and lineage). One shared value: a text per merged record cost 20 MB at 1M.
    static let duplicate = Reason(code: "duplicate", rule: "fellegi_sunter",
                                  message: "same prospect as the golden record it was merged into")

    /// Members ordered most trusted source first, then in reading order (`trust` by record).
    static func survivorshipOrder(_ members: [Int], trust: [Int]) -> [Int] {
        if members.count == 1 { return members }
        return members.sorted { a, b in trust[a] != trust[b] ? trust[a] > trust[b] : a < b }
    }



    /// `G` + 16 hex digits of a stable hash of the founding record's source and id. Uniqueness
    /// (a repeated id in a source, an ID issued before) is `GoldenIDAssignment`'s job.
    static func hashID(for record: ProspectRecord, sources: [SourceInfo]) -> String {
        var hash = StableHash()
        hash.combine(sources[record.origin.sourceIndex].name)
        hash.combine(record.origin.sourceID)
        return StableHash.tagged(UInt8(ascii: "G"), hash.value)
    }
}

/// Probability ↔ weight (log2 odds).
public enum MatchDecisionWeights {
    public static func weight(forProbability p: Double) -> Double {
        let clamped = min(max(p, 1e-12), 1 - 1e-12)
        return log2(clamped / (1 - clamped))
    }
}
