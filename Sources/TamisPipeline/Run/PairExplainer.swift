import TamisCore

/// `tamis explain`: why the matcher did or did not put two records together.
public struct PairExplanation: Codable, Sendable {
    public struct Side: Codable, Sendable {
        public var source: String
        public var id: String
        public var file: String
        public var line: Int
        public var goldenID: String?
        public var status: String
    }

    public var left: Side
    public var right: Side
    public var explanation: MatchModel.Explanation
    public var threshold: Double
    public var reviewBelow: Double
    /// Whether the run put them in the same golden record (the clustering and the steward's
    /// decisions may differ from the pair's own score).
    public var sameGoldenRecord: Bool
    public var verdict: String
}

public enum PairExplainer {
    public enum Failure: Error, CustomStringConvertible {
        case notFound(String)
        case notMatched(String, String)

        public var description: String {
            switch self {
            case .notFound(let record):
                return "no record \(record) in this pipeline's inputs (give SOURCE:ID, the source's name and its id as in lineage.csv)"
            case .notMatched(let record, let reason):
                return "\(record) was excluded before matching (\(reason)): it is compared with nothing"
            }
        }
    }

    /// Runs the pipeline without writing anything and explains the pair.
    public static func explain(definition: PipelineDefinition, left: String, right: String) throws -> PairExplanation {
        var options = RunOptions(dryRun: true, quiet: true)
        options.keepMatchModel = true
        let runner = PipelineRunner(definition: definition, options: options)
        try runner.run()
        let state = runner.state
        guard let context = state.matchContext else { throw Failure.notFound(left) }
        func locate(_ text: String) throws -> (record: Int, row: Int) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2,
                  let record = state.records.indices.first(where: {
                      state.sources[state.records[$0].origin.sourceIndex].name == parts[0] && state.records[$0].origin.sourceID == parts[1]
                  }) else { throw Failure.notFound(text) }
            guard let row = context.table.recordIndex.firstIndex(of: record) else {
                throw Failure.notMatched(text, state.outcomes[record].reason?.code ?? "excluded")
            }
            return (record, row)
        }
        let a = try locate(left), b = try locate(right)
        let explanation = context.model.explain(context.table, a.row, b.row)
        func side(_ i: Int) -> PairExplanation.Side {
            let record = state.records[i], outcome = state.outcomes[i]
            return .init(source: state.sources[record.origin.sourceIndex].name, id: record.origin.sourceID,
                         file: record.origin.fileIndex < state.files.count ? state.files[record.origin.fileIndex] : "",
                         line: record.origin.line, goldenID: outcome.goldenIndex.map { state.golden[$0].id },
                         status: outcome.disposition.rawValue)
        }
        let same = state.outcomes[a.record].goldenIndex != nil && state.outcomes[a.record].goldenIndex == state.outcomes[b.record].goldenIndex
        let p = explanation.probability
        let verdict: String
        if p >= definition.match.threshold { verdict = "match (probability ≥ threshold \(definition.match.threshold))" }
        else if p >= definition.match.reviewBelow { verdict = "uncertain: in the review band [\(definition.match.reviewBelow), \(definition.match.threshold))" }
        else { verdict = "not a match (probability < \(definition.match.reviewBelow))" }
        return PairExplanation(left: side(a.record), right: side(b.record), explanation: explanation,
                               threshold: definition.match.threshold, reviewBelow: definition.match.reviewBelow,
                               sameGoldenRecord: same, verdict: verdict)
    }

    /// The waterfall in words.
    public static func text(_ e: PairExplanation) -> String {
        func signed(_ w: Double) -> String { (w >= 0 ? "+" : "") + String(format: "%.2f", w) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines: [String] = []
        lines.append("\(e.left.source):\(e.left.id) (\(e.left.file):\(e.left.line))  ↔  \(e.right.source):\(e.right.id) (\(e.right.file):\(e.right.line))")
        let odds = e.explanation.prior
        lines.append(pad("prior: two records drawn at random match with probability \(String(format: "%.2g", MatchModel.probability(odds)))", 72) + signed(odds))
        for t in e.explanation.terms {
            let values = t.level == "null" ? "(missing on one side: no evidence)" : "\"\(t.left)\" | \"\(t.right)\""
            let mu = t.level == "null" ? "" : String(format: "   m %.3g, u %.3g", t.m, t.u)
            lines.append(pad("  \(pad(t.field, 14)) \(pad(t.level, 13)) \(values)", 71) + " " + signed(t.weight) + mu)
        }
        if let rule = e.explanation.rule {
            lines.append("deterministic rule: \(rule) — it decides, whatever the weights")
        }
        lines.append("total weight \(signed(e.explanation.weight)) → match probability \(String(format: "%.6f", e.explanation.probability)): \(e.verdict)")
        lines.append(e.sameGoldenRecord
                     ? "in this run: the same golden record (\(e.left.goldenID ?? ""))"
                     : "in this run: different golden records (\(e.left.goldenID ?? e.left.status) / \(e.right.goldenID ?? e.right.status))")
        return lines.joined(separator: "\n")
    }
}
