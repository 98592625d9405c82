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
    /// What `--json` saves, so that two commits can be compared.
    struct Result: Codable {
        var benchmark: String
        var records: Int
        var wallSeconds: Double
        var peakMemoryMB: Double
        var stages: [StageCounts]
        var match: MatchStats?
        var precision: Double?
        var recall: Double?
        var f1: Double?
        var lost: Int?
    }

    static func result(_ name: String, _ summary: RunSummary, wall: Double, quality: PairwiseQuality?) -> Result {
        Result(benchmark: name, records: summary.lineage.inputs, wallSeconds: wall, peakMemoryMB: peakMemoryMB(),
               stages: summary.stages, match: summary.match, precision: quality?.precision, recall: quality?.recall,
               f1: quality?.f1, lost: quality?.lost)
    }

    static func run(pipeline: String, out: String) throws -> RunSummary {
        try runTimed(pipeline: pipeline, out: out).summary
    }

    static func runTimed(pipeline: String, out: String) throws -> (summary: RunSummary, wall: Double) {
        let definition = try PipelineLoader.load(path: pipeline)
        let clock = ContinuousClock.now
        let summary = try PipelineRunner(definition: definition, options: RunOptions(outputDirectory: out, quiet: true)).run()
        let wall = ContinuousClock.now - clock
        for stage in summary.stages {
            // Under 10 ms (a stage with nothing to do) the rate means nothing: a dash.
            let rate = stage.seconds >= 0.01 ? String(format: "%12.0f", Double(stage.recordsIn) / stage.seconds) : String(repeating: " ", count: 11) + "-"
            print(String(format: "  %-12@ %10d in  %8.2f s  %@ records/s", stage.stage, stage.recordsIn, stage.seconds, rate))
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
        let seconds = wall.seconds
        print(String(format: "  wall %.2f s, peak memory %.0f MB", seconds, peakMemoryMB()))
        return (summary, seconds)
    }
}

/// `tamis-bench comparators`: string comparators on one core, on French given names (about 6
/// letters) and addresses (about 27), in comparisons a second.
enum ComparatorBench {
    static func run(refdata: String) throws {
        let reference = try ProspectGenerator.Reference.load(refdata: refdata)
        var rng = SplitMix64(seed: 42)
        func folded(_ s: String) -> [UInt8] { Array(AccentFolding.key(s).utf8) }
        let names = reference.firstNames.map(folded)
        let streets = ["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "place de la Mairie",
                       "chemin des Vignes", "allée des Sciences", "impasse du Moulin", "rue Pasteur", "rue Victor Hugo",
                       "avenue du Général de Gaulle", "route de Lyon", "rue des Écoles"]
        let towns = ["Lyon", "Paris", "Nantes", "Lille", "Brest", "Nice", "Metz", "Caen"]
        let addresses = (0..<2000).map { _ in
            folded("\(Int(rng.next() % 180) + 1) \(streets[Int(rng.next() % UInt64(streets.count))]) \(towns[Int(rng.next() % UInt64(towns.count))])")
        }
        let pairs = 2_000_000
        func pick(_ list: [[UInt8]]) -> [(Int, Int)] {
            (0..<pairs).map { _ in (Int(rng.next() % UInt64(list.count)), Int(rng.next() % UInt64(list.count))) }
        }
        let namePairs = pick(names), addressPairs = pick(addresses)
        let averageName = Double(names.map(\.count).reduce(0, +)) / Double(names.count)
        let averageAddress = Double(addresses.map(\.count).reduce(0, +)) / Double(addresses.count)
        func time(_ label: String, _ list: [[UInt8]], _ indexPairs: [(Int, Int)], _ compare: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Double) {
            var best = Double.infinity
            var sink = 0.0
            for _ in 0..<3 {
                let clock = ContinuousClock.now
                for (a, b) in indexPairs {
                    sink += list[a].withUnsafeBufferPointer { x in list[b].withUnsafeBufferPointer { compare(x, $0) } }
                }
                let elapsed = ContinuousClock.now - clock
                best = min(best, elapsed.seconds)
            }
            print(String(format: "%-44@ %8.2f M comparisons/s  (checksum %.0f)", label, Double(indexPairs.count) / best / 1e6, sink))
        }
        print(String(format: "one core, release, %d pairs; names %.1f letters, addresses %.1f letters on average", pairs, averageName, averageAddress))
        time("Jaro-Winkler, given names", names, namePairs) { JaroWinkler.similarity($0, $1) }
        time("Jaro-Winkler, addresses", addresses, addressPairs) { JaroWinkler.similarity($0, $1) }
        time("Damerau-Levenshtein, given names", names, namePairs) { Double(EditDistance.damerau($0, $1)) }
        time("Damerau-Levenshtein ≤ 2 (bounded), addresses", addresses, addressPairs) { Double(EditDistance.damerau($0, $1, bound: 2)) }
        time("token set, addresses", addresses, addressPairs) { TokenSet.similarity($0, $1) }
        time("French phonetic key, given names (keys/s)", names, namePairs) { a, _ in Double(FrenchPhonetic.key(a).count) }
        print("(best of 3; rapidfuzz's C++ pair loop measured on this machine: Jaro-Winkler 9.4 M/s on names, 2.7 M/s on addresses)")
    }
}
