import Foundation
import TamisCore
import TamisIO
import XCTest

/// Inputs written to hurt: each must give a clear result, never a crash, and lose nothing.
final class HostileInputTests: XCTestCase {
    func read(_ path: String) throws -> (CollectingSink, FileReadReport) {
        let sink = CollectingSink()
        let report = try CSVSourceReader.read(path: path, displayName: "hostile.csv", sourceIndex: 0, fileIndex: 0,
                                              options: CSVReadOptions(), sink: sink, progress: { _, _ in })
        return (sink, report)
    }

    func test_a_100_mb_single_field_is_rejected_with_its_line_and_the_next_rows_are_read() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("huge.csv").path
        FileManager.default.createFile(atPath: path, contents: Data("Nom;Ville\nDupont;".utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        let block = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<100 { handle.write(block) }
        handle.write(Data("\nMartin;Paris\n".utf8))
        try handle.close()
        let (sink, report) = try read(path)
        XCTAssertEqual(sink.rejects.map(\.reason.code), ["field_too_long"])
        XCTAssertEqual(sink.rejects.first?.origin.line, 2)
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["Martin"])
        XCTAssertEqual(report.bytes, try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// Values between 64 KiB and the 1 MiB limit are kept whole (the record's offsets widen),
    /// beside ordinary rows, and written to the base's JSON intact.
    func test_a_200_kib_comment_and_a_70_kib_job_title_are_kept_whole() throws {
        let dir = try makeTemporaryDirectory(self)
        let comment = String(repeating: "Très long commentaire; ", count: 9_000)  // about 210 KB
        let title = String(repeating: "Directeur ", count: 7_000)
        let text = "Nom;Prénom;Fonction;Commentaire\nDupont;Jean;\"\(title)\";\"\(comment)\"\nMartin;Anne;DAF;court\n"
        let path = try writeFile(Array(text.utf8), "long.csv", in: dir)
        let (sink, _) = try read(path)
        XCTAssertEqual(sink.rejects.count, 0)
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["Dupont", "Martin"])
        XCTAssertTrue(sink.records[0].rawValue(.jobTitle) == title, "the job title read back whole")
        XCTAssertTrue(sink.extra(sink.records[0], "Commentaire") == comment, "the comment read back whole")
        XCTAssertEqual(sink.extra(sink.records[1], "Commentaire"), "court")
        var json: [UInt8] = []
        JSONText.appendObject(names: ["Commentaire"], fields: sink.records[0].extras, to: &json)
        XCTAssertTrue(JSONText.parseObject(json)?.first?.1 == Array(comment.utf8), "and through the base's JSON")
    }

    func test_nul_bytes_are_removed_and_counted() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile(Array("Nom;Ville\nDu".utf8) + [0] + Array("pont;Lyon\nMartin;Paris\n".utf8), "nul.csv", in: dir)
        let (sink, report) = try read(path)
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["Dupont", "Martin"])
        XCTAssertEqual(report.nulBytesRemoved, 1)
        let binary = try writeFile(Array("Nom;Ville\n".utf8) + [UInt8](repeating: 0, count: 200), "binary.csv", in: dir)
        XCTAssertThrowsError(try read(binary)) { XCTAssertTrue("\($0)".contains("binary file"), "\($0)") }
    }

    func test_a_10000_column_row_and_a_10000_column_header() throws {
        let dir = try makeTemporaryDirectory(self)
        let wideRow = try writeFile(Array(("Nom;Ville;Email\n" + Array(repeating: "x", count: 10_000).joined(separator: ";") + "\nMartin;Paris;m@x.fr\n").utf8), "row.csv", in: dir)
        let (sink, _) = try read(wideRow)
        XCTAssertEqual(sink.rejects.first?.reason.code, "field_count")
        XCTAssertEqual(sink.records.count, 1)
        // A header longer than the 64 KiB sniffing sample.
        let header = (0..<10_000).map { "colonne\($0)" }.joined(separator: ";")
        let wideHeader = try writeFile(Array((header + "\n" + Array(repeating: "v", count: 10_000).joined(separator: ";") + "\n").utf8), "header.csv", in: dir)
        let (wide, report) = try read(wideHeader)
        XCTAssertEqual(report.records, 1)
        XCTAssertEqual(wide.extraNames.count, 10_000, "every column kept as an extra")
    }

    func test_a_truncated_file_and_mixed_line_endings() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile(Array("Nom;Ville\r\nDupont;Lyon\nMartin;Paris\rDurand;\"Ni".utf8), "cut.csv", in: dir)
        let (sink, _) = try read(path)
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["Dupont", "Martin"])
        XCTAssertEqual(sink.rejects.map(\.reason.code), ["unterminated_quote"])
        XCTAssertEqual(sink.rejects.first?.origin.line, 4)
    }

    /// The same blow-up in attribute values.
    func test_xml_quadratic_blowup_in_attributes_is_refused() throws {
        let dir = try makeTemporaryDirectory(self)
        let big = String(repeating: "a", count: 50_000)
        var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE c [<!ENTITY a \"\(big)\">]>\n<c>"
        for n in 0..<2_000 { xml += "<contact id=\"\(n)\"><nom v=\"" + String(repeating: "&a;", count: 20) + "\"/></contact>" }
        xml += "</c>\n"
        let path = try writeFile(Array(xml.utf8), "quad-attributes.xml", in: dir)
        let sink = CollectingSink()
        let report = try XMLRecordReader.read(path: path, displayName: "quad-attributes.xml", sourceIndex: 0, fileIndex: 0,
                                              options: XMLReadOptions(recordElement: "contact"), sink: sink, progress: { _, _ in })
        XCTAssertTrue(report.problem?.message.contains("entity expansion refused") == true, "\(String(describing: report.problem))")
        XCTAssertEqual(report.problem?.file, "quad-attributes.xml")
        XCTAssertEqual(report.problem?.line, 3, "the file's contacts are all on line 3")
        XCTAssertLessThan(sink.records.count, 2_000, "reading stops at the blow-up")
    }

    func test_xml_quadratic_blowup_is_refused() throws {
        let dir = try makeTemporaryDirectory(self)
        let big = String(repeating: "a", count: 50_000)
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE c [<!ENTITY a \"\(big)\">]>\n<c><contact><nom>"
            + String(repeating: "&a;", count: 50_000) + "</nom></contact></c>\n"
        let path = try writeFile(Array(xml.utf8), "quad.xml", in: dir)
        let start = Date()
        let sink = CollectingSink()
        let report = try XMLRecordReader.read(path: path, displayName: "quad.xml", sourceIndex: 0, fileIndex: 0,
                                              options: XMLReadOptions(recordElement: "contact"), sink: sink, progress: { _, _ in })
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertTrue(report.problem?.message.contains("entity expansion refused") == true, "\(String(describing: report.problem))")
        XCTAssertTrue(sink.records.isEmpty)
    }
}

/// Property-based fuzzing of the parsers, bounded for the test suite. Set
/// TAMIS_FUZZ_ITERATIONS (e.g. 200000) to run longer; the executions are printed.
final class FuzzTests: XCTestCase {
    var iterations: Int { Int(ProcessInfo.processInfo.environment["TAMIS_FUZZ_ITERATIONS"] ?? "") ?? 3_000 }

    struct Outcome: CSVRowHandler, Equatable {
        var rows: [[String]] = []
        var problems: [String] = []
        var fieldCount: Int?
        mutating func row(_ row: CSVRow) -> CSVRowDecision {
            let cells = (0..<row.fieldCount).map { row.string($0) }
            if let fieldCount, !rows.isEmpty, row.fieldCount != fieldCount { return .reject(code: "field_count", message: "") }
            if fieldCount == nil { fieldCount = row.fieldCount }
            rows.append(cells + ["@\(row.line)"])
            return .accept
        }
        mutating func problem(_ problem: CSVProblem) { problems.append("\(problem.code)@\(problem.line)") }
    }

    func parse(_ bytes: [UInt8], chunks: [Int]) -> Outcome {
        var limits = CSVLimits()
        limits.maxQuotedLines = 5
        limits.maxFieldBytes = 64
        var parser = CSVParser(dialect: CSVDialect(delimiter: UInt8(ascii: ";")), limits: limits)
        var outcome = Outcome()
        var start = 0
        var k = 0
        bytes.withUnsafeBufferPointer { buffer in
            while start < bytes.count {
                let end = min(bytes.count, start + max(1, chunks[k % chunks.count]))
                parser.parse(UnsafeBufferPointer(rebasing: buffer[start..<end]), into: &outcome)
                start = end
                k += 1
            }
        }
        parser.finish(into: &outcome)
        return outcome
    }

    /// The CSV parser gives the same rows and problems however the input is cut into chunks.
    func test_csv_parser_is_chunk_invariant_on_random_inputs() {
        var rng = SplitMix64(seed: 42)
        let alphabet: [UInt8] = Array("ab;;\"\"\n\r ".utf8) + [0xC3, 0xA9, 0x00]
        for _ in 0..<iterations {
            let length = rng.int(0...120)
            let bytes = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let whole = parse(bytes, chunks: [1 << 20])
            let chunked = parse(bytes, chunks: (0..<4).map { _ in rng.int(1...9) })
            if whole != chunked {
                XCTFail("chunking changed the result for \(bytes)")
                return
            }
        }
        print("fuzz: csv parser chunk invariance, \(iterations) executions, 0 crashes")
    }

    /// Every transcoder turns any bytes into valid UTF-8.
    func test_transcoders_always_produce_valid_utf8() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<iterations {
            let bytes = (0..<rng.int(0...64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for encoding in [TextEncoding.windows1252, .latin1, .utf16LE, .utf16BE] {
                var transcoder = UTF8Transcoder(encoding: encoding, skipBOM: 0)
                var output: [UInt8] = []
                let cut = bytes.isEmpty ? 0 : rng.int(0...bytes.count)
                bytes.withUnsafeBufferPointer { buffer in
                    transcoder.transcode(UnsafeBufferPointer(rebasing: buffer[..<cut])) { output.append(contentsOf: $0) }
                    transcoder.transcode(UnsafeBufferPointer(rebasing: buffer[cut...])) { output.append(contentsOf: $0) }
                }
                transcoder.finish { output.append(contentsOf: $0) }
                XCTAssertTrue(output.withUnsafeBufferPointer { UTF8Validation.isValid($0) }, "\(encoding) on \(bytes)")
            }
            _ = EncodingDetector.detect(bytes)
        }
        print("fuzz: transcoders, \(iterations * 4) executions, 0 crashes")
    }

    /// A real French Excel export, mutated at random, is read without a crash; every data row
    /// becomes a record or a reject.
    func test_mutated_excel_exports_are_read_without_crashing() throws {
        let dir = try makeTemporaryDirectory(self)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let original = try Array(Data(contentsOf: root.appendingPathComponent("data/samples/salon-lyon-2026.csv")))
        var rng = SplitMix64(seed: 2026)
        let path = dir.appendingPathComponent("mutated.csv").path
        let runs = max(iterations / 10, 100)
        for _ in 0..<runs {
            var bytes = original
            for _ in 0..<rng.int(1...8) {
                let at = rng.int(0...(bytes.count - 1))
                switch rng.int(0...2) {
                case 0: bytes[at] = rng.pick(Array("\";\r\n\u{0}x".utf8) + [0xE9, 0xFF])
                case 1: bytes.remove(at: at)
                default: bytes.insert(rng.pick(Array("\";\n".utf8)), at: at)
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let sink = CollectingSink()
            do {
                _ = try CSVSourceReader.read(path: path, displayName: "mutated.csv", sourceIndex: 0, fileIndex: 0,
                                             options: CSVReadOptions(), sink: sink, progress: { _, _ in })
            } catch is InputError {
                continue  // a file-level refusal (e.g. "not a CSV file") is a clear answer
            }
            XCTAssertTrue(sink.records.allSatisfy { $0.origin.line >= 2 })
        }
        print("fuzz: mutated Excel exports, \(runs) executions, 0 crashes")
    }

    /// The CRM's XML export, mutated at random: read without a crash, records kept up to the
    /// first error, which is reported with a line.
    func test_mutated_xml_exports_are_read_without_crashing() throws {
        let dir = try makeTemporaryDirectory(self)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let original = try Array(Data(contentsOf: root.appendingPathComponent("data/samples/crm-relationpro.xml")))
        var rng = SplitMix64(seed: 1789)
        let path = dir.appendingPathComponent("mutated.xml").path
        let runs = max(iterations / 10, 100)
        var problems = 0
        for _ in 0..<runs {
            var bytes = original
            for _ in 0..<rng.int(1...6) {
                let at = rng.int(0...(bytes.count - 1))
                switch rng.int(0...2) {
                case 0: bytes[at] = rng.pick(Array("<>&;\"'/=!x".utf8) + [0x00, 0xE9, 0xFF])
                case 1: bytes.remove(at: at)
                default: bytes.insert(rng.pick(Array("<&/>".utf8)), at: at)
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let report = try XMLRecordReader.read(path: path, displayName: "mutated.xml", sourceIndex: 0, fileIndex: 0,
                                                      options: XMLReadOptions(recordElement: "contact", idPath: "@id"),
                                                      sink: CollectingSink(), progress: { _, _ in })
                if let problem = report.problem {
                    problems += 1
                    XCTAssertNotNil(problem.line)
                }
            } catch is InputError {
                problems += 1
            }
        }
        print("fuzz: mutated XML exports, \(runs) executions, \(problems) reported as malformed, 0 crashes")
    }
}

final class JSONTextTests: XCTestCase {
    func test_objects_read_back_what_was_written() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<3000 {
            var pairs: [(String, [UInt8])] = []
            for n in 0..<Int(generator.next() % 5) {
                // Up to 40 bytes (escapes are looked for eight bytes at a time): random ASCII,
                // or letters with one byte to escape at a random place, or letters only.
                let length = Int(generator.next() % 40) + 1
                var value: [UInt8]
                switch generator.next() % 4 {
                case 0: value = (0..<length).map { _ in UInt8(generator.next() % 0x80) }
                case 3: value = (0..<length).map { _ in UInt8(generator.next() % 0x20) }  // all escaped: the longest output
                case 1:
                    value = (0..<length).map { _ in 0x61 + UInt8(generator.next() % 26) }
                    value[Int(generator.next() % UInt64(length))] = [0x22, 0x5C, 0x0A, 0x01, 0x1F][Int(generator.next() % 5)]
                default: value = (0..<length).map { _ in 0x61 + UInt8(generator.next() % 26) }
                }
                if generator.next() % 3 == 0 { value += Array("é€😀\"\\".utf8) }
                pairs.append(("f\(n)", value))
            }
            let text = JSONText.object(pairs)
            let back = JSONText.parseObject(text.utf8)
            XCTAssertEqual(back?.map(\.0), pairs.map(\.0), text)
            XCTAssertEqual(back?.map(\.1), pairs.map(\.1), text)
            // The base's writer: keys encoded once, values straight from a packed record (an
            // empty value is left out, as a missing field).
            var builder = PackedFields.Builder(count: pairs.count + 1)
            builder.append([UInt8]())
            for (_, value) in pairs { builder.append(value) }
            var packed: [UInt8] = Array("previous values|".utf8)  // a block of rows: appended after them
            JSONText.appendObject(keys: JSONText.Keys(["gone"] + pairs.map(\.0)), fields: builder.finish(), to: &packed)
            XCTAssertEqual(String(decoding: packed, as: UTF8.self), "previous values|" + text)
        }
        XCTAssertEqual(JSONText.parseObject(#"{"a":"\u00e9\ud83d\ude00"}"#.utf8)?.first?.1, Array("é😀".utf8))
        for broken in ["", "{", #"{"a":}"#, #"{"a":"b""#, #"{"a":"b",}"#, #"["a"]"#, #"{"a":"\x"}"#] {
            XCTAssertNil(JSONText.parseObject(broken.utf8), broken)
        }
    }
}
