import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import XCTest

final class ReportTests: XCTestCase {
    func test_report_figures_agree_with_lineage_and_the_run() throws {
        let dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        let runner = PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true))
        let summary = try runner.run()
        let report = try XCTUnwrap(summary.report)
        let balance = summary.lineage
        XCTAssertEqual(report.funnel.inputs, balance.inputs)
        XCTAssertEqual(report.funnel.rejected, balance.rejected)
        XCTAssertEqual(report.funnel.excludedByReason.values.reduce(0, +), balance.excluded)
        XCTAssertEqual(report.funnel.goldenRecords, balance.kept)
        XCTAssertEqual(report.clusterSizes.values.reduce(0, +), report.funnel.goldenRecords)
        XCTAssertEqual(report.clusterSizes.reduce(0) { $0 + Int($1.key)! * $1.value }, balance.kept + balance.merged,
                       "every kept or merged record is in exactly one cluster")
        // The largest clusters: every golden record with more than one member, biggest first,
        // ties by ID, at most five — what sorting all of them would give.
        let expected = runner.state.golden.filter { $0.members.count > 1 }
            .sorted { $0.members.count != $1.members.count ? $0.members.count > $1.members.count : $0.id < $1.id }
            .prefix(5).map { "\($0.id):\($0.members.count)" }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(report.largestClusters.map { "\($0.goldenID):\($0.size)" }, Array(expected))
        XCTAssertEqual(report.sources.reduce(0) { $0 + $1.records + $1.rejected }, balance.inputs)
        XCTAssertEqual(report.sources.reduce(0) { $0 + $1.duplicates }, balance.merged)
        XCTAssertEqual(report.sources.reduce(0) { $0 + $1.offTarget }, balance.excluded)
        XCTAssertEqual(report.sources.first { $0.source == "salon-lyon-2026" }?.rejected, 1)
        XCTAssertEqual(report.byRegion.values.reduce(0, +), report.funnel.goldenRecords)
        let segmentStage = try XCTUnwrap(summary.stages.first { $0.stage == "segment" }?.details)
        XCTAssertEqual(report.segments, segmentStage)
        XCTAssertEqual(report.segments["corsica"], 0, "an empty segment is shown with 0")
        let phone = try XCTUnwrap(report.fields.first { $0.field == "phone" })
        XCTAssertEqual(phone.valid + phone.repaired + phone.invalid + phone.missing, report.funnel.read)
        let placeholder = try XCTUnwrap(report.problems.first { $0.field == "phone" && $0.reason == "placeholder" })
        XCTAssertEqual(placeholder.examples, ["••••••••00"], "phone examples are masked")
    }

    func test_html_is_self_contained_masked_and_regenerated_from_the_base() throws {
        let dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        XCTAssertEqual(try runTamis(["run", pipeline, "-q"], in: dir).status, 0)
        let out = dir.appendingPathComponent("out/pre-campaign")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        for external in ["http:", "https:", "src=", "<link", "<script", "@import", "url("] {
            XCTAssertFalse(html.lowercased().contains(external), "the report must not reference \(external)")
        }
        for section in ["Funnel", "Field quality, before and after", "Duplicates", "Sources: which channel brings the worst leads",
                        "Segments", "Runs of this base", "<svg"] {
            XCTAssertTrue(html.contains(section), section)
        }
        XCTAssertFalse(html.contains("0000000000"), "personal values are masked")
        XCTAssertFalse(html.contains("test@example.com"))
        // tamis report rebuilds the same figures from the base.
        let again = dir.appendingPathComponent("again")
        let result = try runTamis(["report", pipeline, "-o", again.path], in: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Document: Decodable { var report: QualityReport }
        let written = try JSONDecoder().decode(Document.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        let rebuilt = try JSONDecoder().decode(Document.self, from: Data(contentsOf: again.appendingPathComponent("report.json")))
        XCTAssertEqual(written.report, rebuilt.report)
        XCTAssertEqual(try runTamis(["report", pipeline, "--run", "nope", "-o", again.path], in: dir).status, 2)
    }
}
