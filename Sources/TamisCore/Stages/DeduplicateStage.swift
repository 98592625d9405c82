/// The deduplicate stage: groups the records that are the same prospect into golden records.
///
/// Today it merges exact duplicates only: records with the same normalised e-mail address.
/// Records without an e-mail each found their own golden record. Survivorship: for each
/// field, the value of the most trusted source wins, ties going to the record read first.
/// Golden IDs: `GoldenIDAssignment` (stable across refreshes).
public struct DeduplicateStage: PipelineStage {
    public let name = "deduplicate"

    public init() {}

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        var clusterOf: [[UInt8]: Int] = [:]
        var clusters: [[Int]] = []
        let active = state.activeIndices
        for (n, i) in active.enumerated() {
            let email = state.records[i].value.bytes(CanonicalField.email.rawValue)
            if !email.isEmpty, let cluster = clusterOf[email] {
                clusters[cluster].append(i)
            } else {
                if !email.isEmpty { clusterOf[email] = clusters.count }
                clusters.append([i])
            }
            if n & 0x3FFF == 0 { progress.advance(to: n) }
        }
        let ordered = clusters.map { survivorshipOrder($0, in: state) }
        let sources = state.sources
        let records = state.records
        let history = state.history
        let assignment = GoldenIDAssignment.assign(
            clusters: ordered,
            previousID: { history.isEmpty ? nil : history[$0].previousGoldenID },
            newID: { DeduplicateStage.hashID(for: records[$0], sources: sources) },
            issued: state.issuedGoldenIDs, merged: state.mergedGoldenIDs)
        state.goldenMerges = assignment.merges
        state.golden = []
        state.golden.reserveCapacity(clusters.count)
        var merged = 0
        for (c, members) in ordered.enumerated() {
            let id = assignment.ids[c]
            let goldenIndex = state.golden.count
            state.golden.append(GoldenRecord(id: id, members: members, fields: survivingFields(members, in: state)))
            for (rank, member) in members.enumerated() {
                state.outcomes[member].goldenIndex = goldenIndex
                state.outcomes[member].disposition = rank == 0 ? .kept : .merged
                if rank > 0 {
                    merged += 1
                    state.outcomes[member].reason = Reason(code: "duplicate", rule: "exact_email",
                                                           message: "same e-mail as \(id)")
                }
            }
        }
        progress.end()
        return StageCounts(stage: name, recordsIn: active.count, recordsOut: state.golden.count,
                           details: ["merged": merged, "golden_records": state.golden.count])
    }

    /// Members ordered most trusted source first, then in reading order.
    func survivorshipOrder(_ members: [Int], in state: RunState) -> [Int] {
        members.sorted { a, b in
            let ta = state.sources[state.records[a].origin.sourceIndex].trust
            let tb = state.sources[state.records[b].origin.sourceIndex].trust
            return ta != tb ? ta > tb : a < b
        }
    }

    func survivingFields(_ ordered: [Int], in state: RunState) -> PackedFields {
        if ordered.count == 1 { return state.records[ordered[0]].value }
        var builder = PackedFields.Builder(count: CanonicalField.count)
        for field in 0..<CanonicalField.count {
            if let winner = ordered.first(where: { !state.records[$0].value.isEmpty(field) }) {
                state.records[winner].value.withBytes(field) { builder.append($0) }
            } else {
                builder.appendEmpty()
            }
        }
        return builder.finish()
    }

    /// `G` + 16 hex digits of a stable hash of the founding record's source and id. Uniqueness
    /// (a repeated id in a source, an ID issued before) is `GoldenIDAssignment`'s job.
    static func hashID(for record: ProspectRecord, sources: [SourceInfo]) -> String {
        var hash = StableHash()
        hash.combine(sources[record.origin.sourceIndex].name)
        hash.combine(record.origin.sourceID)
        return "G" + hash.hex
    }
}
