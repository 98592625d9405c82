import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import TamisSynthetic

/// `tamis-bench generate | evaluate | matching | febrl`: matching quality and speed.
enum MatchingBench {
    static func reference(_ refdata: String) throws -> ProspectGenerator.Reference {
        try ProspectGenerator.Reference.load(refdata: refdata)
    }

    static func generate(people: Int, seed: UInt64, into directory: String, refdata: String) throws -> Int {
        var generator = ProspectGenerator(settings: .init(people: people, seed: seed), reference: try reference(refdata))
        let records = generator.generate()
        try GeneratedFiles.write(records, to: directory, referenceData: URL(fileURLWithPath: refdata).standardizedFileURL.path)
        return records.count
    }

    /// Pairwise quality of a run's lineage against a truth file.
    static func evaluate(truth truthPath: String, lineage lineagePath: String, idColumn: String = "source_id",
                         entityColumn: String = "entity", sourceColumn: String? = "source") throws -> PairwiseQuality {
        var truth: [String: String] = [:]
        for row in try CSVTable.read(path: truthPath) {
            guard let entity = row[entityColumn], !entity.isEmpty, let id = row[idColumn] else { continue }
            truth[(sourceColumn.flatMap { row[$0] } ?? "") + "/" + id] = entity
        }
        var predicted: [String: String?] = [:]
        for row in try CSVTable.read(path: lineagePath) {
            let key = (sourceColumn == nil ? "" : row["source"] ?? "") + "/" + (row["source_id"] ?? "")
            let status = row["status"] ?? ""
            predicted[key] = (status == "kept" || status == "merged") ? row["golden_id"] : .some(nil)
        }
        return PairwiseQuality.measure(truth: truth, predicted: predicted)
    }

    static func report(_ q: PairwiseQuality, label: String) {
        print(String(format: "%@: precision %.4f  recall %.4f  F1 %.4f  (true pairs %d, predicted %d, correct %d, lost %d)",
                     label, q.precision, q.recall, q.f1, q.truePairs, q.predictedPairs, q.correctPairs, q.lost))
    }

    /// Runs a pipeline in-process and prints each stage and the matcher's figures.
    static func run(pipeline: String, out: String) throws -> RunSummary {
        let definition = try PipelineLoader.load(path: pipeline)
        let clock = ContinuousClock.now
        let summary = try PipelineRunner(definition: definition, options: RunOptions(outputDirectory: out, quiet: true)).run()
        let wall = ContinuousClock.now - clock
        for stage in summary.stages {
            print(String(format: "  %-12@ %10d in  %8.2f s  %12.0f records/s", stage.stage, stage.recordsIn, stage.seconds,
                         stage.seconds > 0 ? Double(stage.recordsIn) / stage.seconds : 0))
        }
        if let match = summary.match {
            for rule in match.blocking {
                print("  blocking \(rule.rule): \(rule.pairs) pairs" + (rule.oversizedBlocks > 0 ? " (\(rule.oversizedBlocks) oversized blocks, \(rule.oversizedRecords) records)" : ""))
            }
            let scoring = match.seconds["score"] ?? 0
            print(String(format: "  candidate pairs %d, matched %d, review %d, refused by guard %d, EM iterations %d, prior %.4f",
                         match.candidatePairs, match.matchedPairs, match.reviewPairs, match.refusedByChainingGuard,
                         match.emIterations, match.prior))
            print("  dedupe seconds: " + match.seconds.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", "))
            print(String(format: "  comparisons/s (scoring, all cores) %.0f; block+train %.2f s, score %.2f s, cluster %.2f s",
                         scoring > 0 ? Double(match.candidatePairs) / scoring : 0, match.seconds["block_and_train"] ?? 0,
                         scoring, match.seconds["cluster"] ?? 0))
        }
        print(String(format: "  wall %.2f s, peak memory %.0f MB", Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18, peakMemoryMB()))
        return summary
    }
}
