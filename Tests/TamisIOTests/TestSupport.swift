import Foundation
import TamisCore
import TamisIO
import XCTest

/// A fresh temporary folder per test, removed afterwards.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tamis-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func writeFile(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// Encodes text as Windows-1252, as French Excel writes "CSV (séparateur: point-virgule)".
func cp1252(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    let high: [UInt32: UInt8] = [0x20AC: 0x80, 0x2019: 0x92, 0x0153: 0x9C, 0x0152: 0x8C, 0x2026: 0x85]
    for scalar in text.unicodeScalars {
        if scalar.value < 0x80 || (scalar.value >= 0xA0 && scalar.value <= 0xFF) { out.append(UInt8(scalar.value)) }
        else { out.append(high[scalar.value] ?? UInt8(ascii: "?")) }
    }
    return out
}

/// Collects what a reader produces.
final class CollectingSink: RecordSink {
    var records: [ProspectRecord] = []
    var rejects: [RejectedInput] = []
    var extraNames: [String] = []

    func record(_ record: ProspectRecord) { records.append(record) }
    func reject(_ rejected: RejectedInput) { rejects.append(rejected) }
    func extraIndex(source: Int, name: String) -> Int {
        if let i = extraNames.firstIndex(of: name) { return i }
        extraNames.append(name)
        return extraNames.count - 1
    }

    func extra(_ record: ProspectRecord, _ name: String) -> String? {
        guard let slot = extraNames.firstIndex(of: name) else { return nil }
        return record.extras.string(slot)
    }
}

/// Parses CSV text, optionally fed in chunks of `chunk` bytes, into rows and problems.
struct ParsedCSV: CSVRowHandler {
    var rows: [[String]] = []
    var lines: [Int] = []
    var problems: [CSVProblem] = []
    var rejectFieldCountOtherThan: Int?

    mutating func row(_ row: CSVRow) -> CSVRowDecision {
        if let expected = rejectFieldCountOtherThan, row.fieldCount != expected, !rows.isEmpty {
            return .reject(code: "field_count", message: "expected \(expected)")
        }
        rows.append((0..<row.fieldCount).map { row.string($0) })
        lines.append(row.line)
        return .accept
    }

    mutating func problem(_ problem: CSVProblem) { problems.append(problem) }

    static func parse(_ text: String, delimiter: Character = ";", chunk: Int = 1 << 20,
                      fieldCount: Int? = nil, limits: CSVLimits = CSVLimits()) -> ParsedCSV {
        var parser = CSVParser(dialect: CSVDialect(delimiter: delimiter.asciiValue!), limits: limits)
        var handler = ParsedCSV(rejectFieldCountOtherThan: fieldCount)
        let bytes = Array(text.utf8)
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            while start < bytes.count {
                let end = min(start + chunk, bytes.count)
                parser.parse(UnsafeBufferPointer(rebasing: buffer[start..<end]), into: &handler)
                start = end
            }
        }
        parser.finish(into: &handler)
        return handler
    }
}
