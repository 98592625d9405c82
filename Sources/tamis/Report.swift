import ArgumentParser
import Foundation
import TamisIO
import TamisPipeline

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the data-quality report (report.html and report.json) of a past run from the base.")

    @Argument(help: "The pipeline whose base to read (or give --base).")
    var pipeline: String?

    @Option(help: "The SQLite base (default: the pipeline's outputs.base).")
    var base: String?

    @Option(name: .customLong("run"), help: "The run id (default: the latest run). `tamis report --list` shows them.")
    var runID: String?

    @Flag(help: "List the runs recorded in the base.")
    var list = false

    @Option(name: .shortAndLong, help: "Folder to write report.html and report.json to.")
    var out = "."

    func run() throws {
        let basePath = try resolveBase(pipeline: pipeline, base: base)
        let runs = try ProspectBase(path: basePath).runs()
        if list {
            for row in runs { print("\(row.runID)  \(row.pipeline)  read \(row.balance.inputs), golden \(row.balance.kept)") }
            return
        }
        let chosen: RunRow? = runID.map { id in runs.first { $0.runID == id } } ?? runs.last
        guard let row = chosen else {
            throw usageError(runs.isEmpty ? "the base holds no run yet" : "no run \(runID ?? "") in the base; see tamis report --list")
        }
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(row.summaryJSON.utf8))
        guard let report = summary.report else { throw usageError("run \(row.runID) was recorded without a report") }
        let trend = ReportRenderer.trend(Array(runs.prefix { $0.runID != row.runID }) + [row])
        try OutputDirectory.makeDirectories(out)
        let html = try OutputFile(path: out + "/report.html")
        try html.write(ReportRenderer.html(summary: summary, report: report, trend: trend))
        try html.close()
        let json = try OutputFile(path: out + "/report.json")
        try json.write(try OutputWriter.reportJSON(report, trend: trend) + "\n")
        try json.close()
        print("wrote \(out)/report.html and \(out)/report.json for run \(row.runID)")
    }
}
