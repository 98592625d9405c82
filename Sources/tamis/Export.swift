import ArgumentParser
import Foundation
import TamisCore
import TamisIO
import TamisPipeline

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a target list from the base: a segment or an ad-hoc filter, for Excel or a CRM.",
        discussion: """
            Examples:
              tamis export pipelines/pre-campaign.yml --segment rhone -o rhone.csv
              tamis export --base out/tamis.sqlite --where "naf_section = 'J' and headcount >= 50 and region = '11'" --format hubspot -o it-idf.csv
            Only golden records are exported: excluded, suppressed and purged records never are.
            Formats: excel (UTF-8 with BOM, ';'), csv, hubspot, salesforce, brevo.
            """)

    @Argument(help: "The pipeline whose base to read (or give --base).")
    var pipeline: String?

    @Option(help: "The SQLite base to read (default: the pipeline's outputs.base).")
    var base: String?

    @Option(help: "A segment defined in the pipeline.")
    var segment: String?

    @Option(name: .customLong("where"), help: "A filter, e.g. \"naf_section = 'J' and headcount >= 50\".")
    var filter: String?

    @Option(help: "excel, csv, hubspot, salesforce or brevo.")
    var format = "excel"

    @Option(help: "Comma-separated fields to export instead of the format's columns.")
    var columns: String?

    @Option(help: "Field to sort by (then by golden id).")
    var sort: String?

    @Option(name: .shortAndLong, help: "The file to write.")
    var output: String

    func run() throws {
        guard let preset = ExportPreset.named(format) else {
            throw usageError("unknown format '\(format)': use excel, csv, hubspot, salesforce or brevo")
        }
        let basePath = try resolveBase(pipeline: pipeline, base: base)
        var expression: SegmentExpression?
        if let filter {
            do {
                expression = try SegmentExpression.parse(filter, fields: SegmentFields.names)
            } catch let error as ExpressionError {
                throw usageError("--where \(error)")
            }
        }
        let fields = columns?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let known = Set(ExportPreset.defaultColumns)
        if let unknown = fields?.first(where: { !known.contains($0) }) {
            throw usageError("unknown column '\(unknown)'; columns: \(ExportPreset.defaultColumns.joined(separator: ", "))")
        }
        if let sort, !known.contains(sort) { throw usageError("unknown sort field '\(sort)'") }
        do {
            let store = try ProspectBase(path: basePath)
            let rows = try MarketerExport.select(from: store, .init(segment: segment, expression: expression), sortField: sort)
            try MarketerExport.write(rows, preset: preset, columns: fields, to: output)
            print("wrote \(rows.count) record(s) to \(output) (\(preset.name))")
        } catch let error as InputError {
            FileHandle.standardError.write(Data(("error: " + error.description + "\n").utf8))
            throw ExitCode(ExitCodes.runFailed)
        }
    }
}

/// The base to read: --base, else the pipeline's outputs.base.
func resolveBase(pipeline: String?, base: String?) throws -> String {
    if let base {
        guard FileManager.default.fileExists(atPath: base) else { throw usageError("no base at \(base): run the pipeline first") }
        return base
    }
    guard let pipeline else { throw usageError("give a pipeline file or --base PATH") }
    let definition = try loadPipeline(pipeline)
    guard FileManager.default.fileExists(atPath: definition.outputs.base) else {
        throw usageError("no base at \(definition.outputs.base) yet: run `tamis run \(pipeline)` first")
    }
    return definition.outputs.base
}

struct Segments: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the segments with their sizes in the base (an empty segment is listed, not an error).")

    @Argument(help: "The pipeline (its segments and its base).")
    var pipeline: String

    func run() throws {
        let definition = try loadPipeline(pipeline)
        let basePath = try resolveBase(pipeline: pipeline, base: nil)
        let rows = try ProspectBase(path: basePath).goldenRows()
        var sizes: [String: Int] = [:]
        for row in rows {
            for name in (row["segments"] ?? "").split(separator: "|") { sizes[String(name), default: 0] += 1 }
        }
        print("\(rows.count) golden record(s) in \(basePath)")
        for segment in definition.segments {
            let size = sizes[segment.name] ?? 0
            print("  \(segment.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(size)\(size == 0 ? "  (empty)" : "")")
        }
        let stale = sizes.keys.filter { name in !definition.segments.contains { $0.name == name } }.sorted()
        for name in stale {
            print("  \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(sizes[name]!)  (in the base, no longer in the pipeline)")
        }
    }
}

/// Prints a usage mistake and exits with the documented code 2 (ArgumentParser's own
/// validation errors would exit with 64).
func usageError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    return ExitCode(ExitCodes.usage)
}
