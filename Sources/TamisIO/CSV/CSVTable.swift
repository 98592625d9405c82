import TamisCore

/// A small CSV file read whole into rows of header → value, with encoding and delimiter
/// detected (a review file saved back from Excel is cp1252 and `;`).
public enum CSVTable {
    public static func read(path: String) throws -> [[String: String]] {
        let format = try CSVSniffer.sniff(path: path)
        struct Collector: CSVRowHandler {
            var header: [String]?
            var rows: [[String: String]] = []
            mutating func row(_ row: CSVRow) -> CSVRowDecision {
                let cells = (0..<row.fieldCount).map { row.string($0).trimmingCharacters(in: " ") }
                if let header {
                    var entry: [String: String] = [:]
                    for (i, name) in header.enumerated() where i < cells.count { entry[name] = cells[i] }
                    rows.append(entry)
                } else {
                    header = cells.map { $0.lowercased() }
                }
                return .accept
            }
            mutating func problem(_ problem: CSVProblem) {}
        }
        let reader = try FileByteReader(path: path)
        var transcoder = UTF8Transcoder(encoding: format.encoding.encoding, skipBOM: format.encoding.bomLength)
        var parser = CSVParser(dialect: format.dialect)
        var collector = Collector()
        try reader.forEachChunk { chunk in transcoder.transcode(chunk) { parser.parse($0, into: &collector) } }
        transcoder.finish { parser.parse($0, into: &collector) }
        parser.finish(into: &collector)
        return collector.rows
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
