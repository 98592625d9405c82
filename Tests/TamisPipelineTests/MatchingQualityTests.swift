import Foundation
import XCTest
import TamisCore
import TamisIO
import TamisSynthetic
@testable import TamisPipeline

/// Matching measured end to end: generated French prospects (ground truth), the public Febrl
/// data, the steward's decisions, and `tamis explain`.
final class MatchingQualityTests: XCTestCase {
    func generatedReference() throws -> ProspectGenerator.Reference {
        try .load(refdata: packageRoot.appendingPathComponent("data/refdata").path)
    }

    /// Pairwise quality of a run against a truth file.
    func quality(truth: [String: String], lineage: String, key: ([String: String]) -> String) throws -> PairwiseQuality {
        var predicted: [String: String?] = [:]
        for row in try readCSVRecords(lineage) {
            let status = row["status"] ?? ""
            predicted[key(row)] = (status == "kept" || status == "merged") ? row["golden_id"] : .some(nil)
        }
        return PairwiseQuality.measure(truth: truth, predicted: predicted)
    }

    func test_generated_french_prospects_are_matched_with_high_f1_and_nothing_lost() throws {
        let dir = try temporaryDirectory(self)
        var generator = ProspectGenerator(settings: .init(people: 1500, seed: 77), reference: try generatedReference())
        let records = generator.generate()
        try GeneratedFiles.write(records, to: dir.path, referenceData: packageRoot.appendingPathComponent("data/refdata").path)
        // A smaller u sample keeps the debug-build test quick; the benchmark uses the default.
        let pipeline = dir.appendingPathComponent("pipeline.yml").path
        let yaml = try String(contentsOfFile: pipeline, encoding: .utf8)
            .replacingOccurrences(of: "stages:\n", with: "stages:\n  deduplicate:\n    u_sample_pairs: 30000\n")
        try yaml.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let summary = try PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true)).run()
        XCTAssertEqual(summary.lineage.inputs, records.count, "every generated record read")
        var truth: [String: String] = [:]
        for r in records where r.entity >= 0 { truth["\(["salon", "webinar", "crm"][r.source])/\(r.id)"] = String(r.entity) }
        let q = try quality(truth: truth, lineage: dir.appendingPathComponent("out/lineage.csv").path) { "\($0["source"] ?? "")/\($0["source_id"] ?? "")" }
        XCTAssertEqual(q.lost, 0)
        XCTAssertGreaterThan(q.truePairs, 500)
        XCTAssertGreaterThanOrEqual(q.precision, 0.98, "precision \(q.precision)")
        XCTAssertGreaterThanOrEqual(q.recall, 0.96, "recall \(q.recall)")
        XCTAssertGreaterThanOrEqual(q.f1, 0.97, "F1 \(q.f1)")
        // Off-target entries are excluded, not matched.
        let excluded = try readCSVRecords(dir.appendingPathComponent("out/excluded.csv").path)
        XCTAssertEqual(excluded.count, records.filter { $0.entity < 0 }.count)
        let match = try XCTUnwrap(summary.match)
        XCTAssertEqual(match.blocking.count, MatchSettings.frenchContacts.blocking.count, "candidate pairs reported per rule")
        XCTAssertLessThan(match.candidatePairs, records.count * 20, "blocking, not all pairs")
    }

    func test_febrl1_is_deduplicated_as_well_as_published_results() throws {
        let dir = try temporaryDirectory(self)
        let data = packageRoot.appendingPathComponent("data/bench/febrl/febrl1.csv").path
        var yaml = try String(contentsOf: packageRoot.appendingPathComponent("pipelines/febrl.yml"), encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "../data/bench/febrl/febrl3.csv", with: data)
            .replacingOccurrences(of: "reference_data: ../data/refdata", with: referenceDataLine.trimmingCharacters(in: .newlines))
            .replacingOccurrences(of: "    threshold: 0.9\n", with: "    threshold: 0.9\n    u_sample_pairs: 30000\n")
            .replacingOccurrences(of: "../out/", with: "out/")
        let pipeline = dir.appendingPathComponent("febrl.yml").path
        try yaml.write(toFile: pipeline, atomically: true, encoding: .utf8)
        try PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true)).run()
        var truth: [String: String] = [:]
        for row in try readCSVRecords(data) { truth[row["rec_id"]!] = row["cluster"]! }
        let q = try quality(truth: truth, lineage: dir.appendingPathComponent("out/febrl/lineage.csv").path) { $0["source_id"] ?? "" }
        XCTAssertEqual(q.truePairs, 500)
        XCTAssertEqual(q.lost, 0)
        XCTAssertGreaterThanOrEqual(q.f1, 0.99, "F1 \(q.f1) (Splink: 1.0000)")
    }

    func test_a_stewards_decisions_file_saved_from_excel_overrides_the_matcher() throws {
        let dir = try temporaryDirectory(self)
        let decisions = dir.appendingPathComponent("decisions.csv")
        // As Excel saves it: Windows-1252, ';', CRLF, the review file's columns in another order.
        let text = "décision_note;decision;left_source;left_id;right_source;right_id\r\nvérifié;different;crm;CRM-88121;webinar-hubspot;hs-1003\r\n"
        try XCTUnwrap(text.data(using: .windowsCP1252)).write(to: decisions)
        let pipeline = try samplePipeline(in: dir, extra: "")
        var yaml = try String(contentsOfFile: pipeline, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "  segment:\n", with: "  deduplicate:\n    decisions: ../decisions.csv\n  segment:\n")
        try yaml.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let runner = PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true))
        let summary = try runner.run()
        XCTAssertEqual(summary.match?.decisionsApplied, 1)
        let lineage = try readCSVRecords(dir.appendingPathComponent("out/pre-campaign/lineage.csv").path)
        let crm = lineage.first { $0["source_id"] == "CRM-88121" }?["golden_id"]
        let webinar = lineage.first { $0["source_id"] == "hs-1003" }?["golden_id"]
        XCTAssertNotNil(crm)
        XCTAssertNotEqual(crm, webinar, "the same e-mail, but the steward said different")
        // A verdict Tamis does not understand stops the run with the file and line.
        try XCTUnwrap("decision;left_source;left_id;right_source;right_id\r\npeut-être;crm;CRM-88121;webinar-hubspot;hs-1003\r\n"
            .data(using: .windowsCP1252)).write(to: decisions)
        XCTAssertThrowsError(try PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true)).run()) { error in
            XCTAssertTrue("\(error)".contains("decisions.csv:2"), "\(error)")
            XCTAssertTrue("\(error)".contains("same or different"), "\(error)")
        }
        // A row that lost its record columns is pointed at too.
        try XCTUnwrap("decision;left_source\r\nsame;crm\r\n".data(using: .windowsCP1252)).write(to: decisions)
        XCTAssertThrowsError(try PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true)).run()) { error in
            XCTAssertTrue("\(error)".contains("decisions.csv:2"), "\(error)")
            XCTAssertTrue("\(error)".contains("needs left_source, left_id, right_source and right_id"), "\(error)")
        }
        // A decisions file that is not there is a located pipeline error.
        try FileManager.default.removeItem(at: decisions)
        XCTAssertThrowsError(try PipelineLoader.load(path: pipeline)) { error in
            XCTAssertTrue("\(error)".contains("decisions file not found: ../decisions.csv"), "\(error)")
        }
    }

    func test_review_file_lists_uncertain_pairs_side_by_side() throws {
        let dir = try temporaryDirectory(self)
        var generator = ProspectGenerator(settings: .init(people: 600, seed: 3), reference: try generatedReference())
        try GeneratedFiles.write(generator.generate(), to: dir.path, referenceData: packageRoot.appendingPathComponent("data/refdata").path)
        let pipeline = dir.appendingPathComponent("pipeline.yml").path
        // A wide uncertainty band, so that the file has rows.
        let yaml = try String(contentsOfFile: pipeline, encoding: .utf8)
            .replacingOccurrences(of: "stages:\n", with: "stages:\n  deduplicate:\n    u_sample_pairs: 20000\n    threshold: 0.99\n    review_below: 0.001\n")
        try yaml.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let summary = try PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true)).run()
        let review = try readCSVRecords(dir.appendingPathComponent("out/review.csv").path)
        XCTAssertEqual(review.count, summary.match?.reviewPairs)
        XCTAssertFalse(review.isEmpty)
        let probabilities = review.compactMap { Double($0["probability"] ?? "") }
        XCTAssertEqual(probabilities, probabilities.sorted(by: >), "most likely first")
        XCTAssertTrue(probabilities.allSatisfy { $0 >= 0.001 && $0 <= 0.99 }, "\(probabilities)")
        let first = try XCTUnwrap(review.first)
        XCTAssertEqual(first["decision"], "", "left for the steward")
        XCTAssertFalse((first["deciding"] ?? "").isEmpty, "the fields that weighed most")
        XCTAssertNotNil(first["left_last_name"])
        XCTAssertNotNil(first["right_last_name"])
    }

    func test_explain_prints_the_waterfall_and_json() throws {
        let dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        let text = try runTamis(["explain", pipeline, "crm:CRM-88121", "webinar-hubspot:hs-1003"], in: dir)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("first_name"), text.stdout)
        XCTAssertTrue(text.stdout.contains("deterministic rule: same personal e-mail"), text.stdout)
        XCTAssertTrue(text.stdout.contains("in this run: the same golden record"), text.stdout)
        let json = try runTamis(["explain", pipeline, "crm:CRM-88121", "webinar-hubspot:hs-1003", "--json"], in: dir)
        let decoded = try JSONDecoder().decode(PairExplanation.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(decoded.explanation.terms.count, MatchSettings.frenchContacts.comparisons.count)
        XCTAssertEqual(decoded.explanation.probability, 1, accuracy: 1e-9)
        XCTAssertTrue(decoded.sameGoldenRecord)
        let missing = try runTamis(["explain", pipeline, "crm:NOPE", "webinar-hubspot:hs-1003"], in: dir)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no record crm:NOPE"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/tamis.sqlite").path), "explain writes nothing")
    }
}
