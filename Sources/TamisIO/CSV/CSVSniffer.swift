import TamisCore

/// What `tamis inspect` and the reader learn from the start of a CSV file.
public struct CSVFileFormat: Sendable, Equatable {
    public var encoding: DetectedEncoding
    public var dialect: CSVDialect
    /// How sure the delimiter guess is: rows of the sample with the header's field count.
    public var consistentRows: Int
    public var sampledRows: Int
}

/// Detects encoding and delimiter from a file's first 64 KiB.
public enum CSVSniffer {
    public static let sampleSize = 64 * 1024

    public static func sniff(path: String, encoding: TextEncoding? = nil, delimiter: UInt8? = nil) throws -> CSVFileFormat {
        let sample = try FileByteReader.prefix(of: path, count: sampleSize)
        if sample.isEmpty {
            throw InputError(file: path, problem: "the file is empty", hint: "export the data again, or remove this file from the source's glob")
        }
        if encoding == nil || (encoding != .utf16LE && encoding != .utf16BE), let kind = EncodingDetector.binaryKind(sample) {
            if !(sample.starts(with: [0xFF, 0xFE]) || sample.starts(with: [0xFE, 0xFF])) {
                throw InputError(file: path, problem: "this is not a CSV file: it looks like \(kind)",
                                 hint: "open it in its application and save it as CSV (UTF-8 or Windows \"CSV (séparateur: point-virgule)\")")
            }
        }
        let detected: DetectedEncoding
        if let encoding {
            let bom = EncodingDetector.bomLength(of: sample, for: encoding)
            detected = DetectedEncoding(encoding: encoding, hasBOM: bom > 0, bomLength: bom)
        } else {
            detected = EncodingDetector.detect(sample)
        }
        var utf8: [UInt8] = []
        var transcoder = UTF8Transcoder(encoding: detected.encoding, skipBOM: detected.bomLength)
        sample.withUnsafeBufferPointer { chunk in transcoder.transcode(chunk) { utf8.append(contentsOf: $0) } }
        if let delimiter {
            let score = score(utf8, delimiter: delimiter)
            return CSVFileFormat(encoding: detected, dialect: CSVDialect(delimiter: delimiter),
                                 consistentRows: score.consistent, sampledRows: score.rows)
        }
        var best: (delimiter: UInt8, consistent: Int, fields: Int, rows: Int)?
        for candidate in CSVDialect.candidates {
            let s = score(utf8, delimiter: candidate)
            guard s.fields > 1 else { continue }
            if best == nil || s.consistent > best!.consistent || (s.consistent == best!.consistent && s.fields > best!.fields) {
                best = (candidate, s.consistent, s.fields, s.rows)
            }
        }
        let chosen = best ?? (UInt8(ascii: ","), 0, 1, 0)
        return CSVFileFormat(encoding: detected, dialect: CSVDialect(delimiter: chosen.delimiter),
                             consistentRows: chosen.consistent, sampledRows: chosen.rows)
    }

    /// Parses up to 50 rows of the sample; counts rows with as many fields as the first one.
    static func score(_ sample: [UInt8], delimiter: UInt8) -> (consistent: Int, fields: Int, rows: Int) {
        struct Counter: CSVRowHandler {
            var counts: [Int] = []
            mutating func row(_ row: CSVRow) -> CSVRowDecision {
                if counts.count < 50 { counts.append(row.fieldCount) }
                return .accept
            }
            mutating func problem(_ problem: CSVProblem) {}
        }
        var parser = CSVParser(dialect: CSVDialect(delimiter: delimiter))
        var counter = Counter()
        // Cut the sample at its last line break so a half row does not count against it.
        let end = sample.lastIndex(of: 0x0A).map { $0 + 1 } ?? sample.count
        sample.withUnsafeBufferPointer { parser.parse(UnsafeBufferPointer(rebasing: $0[0..<end]), into: &counter) }
        if end == sample.count { parser.finish(into: &counter) }
        guard let header = counter.counts.first else { return (0, 0, 0) }
        return (counter.counts.filter { $0 == header }.count, header, counter.counts.count)
    }
}
