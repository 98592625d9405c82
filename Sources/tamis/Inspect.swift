import ArgumentParser
import Foundation
import TamisCore
import TamisIO
import TamisPipeline

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how Tamis reads a file: format, encoding, delimiter, header → field mapping, sample rows.",
        discussion: "Use it to write or fix a source's mapping before a run.")

    @Argument(help: "A CSV or XML file.")
    var file: String

    @Option(help: "csv or xml (default: from the file name).")
    var format: String?

    @Option(help: "For XML: the record element name (default: guessed from the first repeated element).")
    var record: String?

    @Option(help: "Number of sample rows to show.")
    var rows = 3

    func run() throws {
        let isXML = (format?.lowercased() ?? (file.lowercased().hasSuffix(".xml") ? "xml" : "csv")) == "xml"
        do {
            if isXML { try inspectXML() } else { try inspectCSV() }
        } catch let error as InputError {
            FileHandle.standardError.write(Data(("error: " + error.description + "\n").utf8))
            throw ExitCode(ExitCodes.usage)
        }
    }

    func inspectCSV() throws {
        let (format, headers, mapping) = try CSVSourceReader.header(path: file, options: CSVReadOptions())
        print("file:       \(file)")
        print("format:     csv")
        print("encoding:   \(format.encoding.encoding.rawValue)\(format.encoding.hasBOM ? " (with BOM)" : "")")
        print("delimiter:  \(format.dialect.delimiterName)  (\(format.consistentRows) of \(format.sampledRows) sampled rows have the header's \(headers.count) fields)")
        print("\ncolumn → field")
        for (i, column) in mapping.columns.enumerated() {
            let target: String
            switch column.role {
            case .field(let field): target = field.name + (column.origin == .explicit ? "  (from the pipeline)" : "")
            case .extra(let name):
                if let other = column.shadowedBy {
                    target = "extra \"\(name)\"  (its field is already taken by column \(other + 1))"
                } else {
                    target = "extra \"\(name)\"  (not recognised: kept as an extra attribute; map it in the pipeline if needed)"
                }
            }
            print(String(format: "%3d. ", i + 1) + "\(column.header.isEmpty ? "(blank)" : column.header)  →  \(target)")
        }
        final class Collector: RecordSink {
            var records: [ProspectRecord] = []
            var rejects: [RejectedInput] = []
            var names: [String] = []
            let limit: Int
            init(limit: Int) { self.limit = limit }
            func record(_ record: ProspectRecord) { if records.count < limit { records.append(record) } }
            func reject(_ rejected: RejectedInput) { if rejects.count < 5 { rejects.append(rejected) } }
            func extraIndex(source: Int, name: String) -> Int {
                if let i = names.firstIndex(of: name) { return i }
                names.append(name)
                return names.count - 1
            }
        }
        let collector = Collector(limit: rows)
        let report = try CSVSourceReader.read(path: file, displayName: file, sourceIndex: 0, fileIndex: 0,
                                              options: CSVReadOptions(), sink: collector, progress: { _, _ in })
        print("\n\(report.records) record(s), \(report.rejected) rejected row(s), \(report.blankLines) blank line(s), "
              + "\(report.encodingRepairs) field(s) re-read as Windows-1252")
        printSamples(collector.records, extras: collector.names)
        for reject in collector.rejects {
            print("rejected line \(reject.origin.line): \(reject.reason.code): \(reject.reason.message)")
        }
    }

    func inspectXML() throws {
        let element = try record ?? XMLInspector.guessRecordElement(path: file)
        final class Collector: RecordSink {
            var records: [ProspectRecord] = []
            var names: [String] = []
            func record(_ record: ProspectRecord) { if records.count < 1000 { records.append(record) } }
            func reject(_ rejected: RejectedInput) {}
            func extraIndex(source: Int, name: String) -> Int {
                if let i = names.firstIndex(of: name) { return i }
                names.append(name)
                return names.count - 1
            }
        }
        let collector = Collector()
        let report = try XMLRecordReader.read(path: file, displayName: file, sourceIndex: 0, fileIndex: 0,
                                              options: XMLReadOptions(recordElement: element), sink: collector, progress: { _, _ in })
        print("file:            \(file)")
        print("format:          xml")
        print("record element:  <\(element)>  (\(report.records) found)")
        var mapped = Set<CanonicalField>()
        for record in collector.records {
            for field in CanonicalField.allCases where !record.raw.isEmpty(field.rawValue) { mapped.insert(field) }
        }
        print("detected fields: \(mapped.sorted().map(\.name).joined(separator: ", "))")
        print("extra paths:     \(collector.names.joined(separator: ", "))")
        if let problem = report.problem { print("problem:         \(problem.file):\(problem.line ?? 0): \(problem.message)") }
        printSamples(Array(collector.records.prefix(rows)), extras: collector.names)
    }

    func printSamples(_ records: [ProspectRecord], extras: [String]) {
        for (n, record) in records.enumerated() {
            print("\nsample \(n + 1) (line \(record.origin.line), id \(record.origin.sourceID)):")
            for field in CanonicalField.allCases {
                if let value = record.rawValue(field) { print("  \(field.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(value)") }
            }
            for slot in 0..<record.extras.count {
                if let value = record.extras.string(slot), slot < extras.count {
                    print("  + \(extras[slot]): \(value)")
                }
            }
        }
    }
}
