import TamisCore
import TamisIO
import XCTest

final class CSVSnifferTests: XCTestCase {
    func test_french_excel_export_is_cp1252_with_semicolons() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile(cp1252("Société;Prénom;Nom;Ville\r\nBœuf & Cie;Hélène;Château;Saint-Étienne\r\n"), "excel.csv", in: dir)
        let format = try CSVSniffer.sniff(path: path)
        XCTAssertEqual(format.encoding.encoding, .windows1252)
        XCTAssertEqual(format.dialect.delimiter, UInt8(ascii: ";"))
    }

    func test_utf8_with_bom_and_commas() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile([0xEF, 0xBB, 0xBF] + Array("Email,Company\na@b.fr,\"Dupont, fils\"\n".utf8), "bom.csv", in: dir)
        let format = try CSVSniffer.sniff(path: path)
        XCTAssertEqual(format.encoding, DetectedEncoding(encoding: .utf8, hasBOM: true, bomLength: 3))
        XCTAssertEqual(format.dialect.delimiter, UInt8(ascii: ","))
    }

    func test_tab_and_pipe_delimiters_are_detected() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertEqual(try CSVSniffer.sniff(path: try writeFile(Array("a\tb\tc\n1\t2\t3\n".utf8), "t.csv", in: dir)).dialect.delimiter, 0x09)
        XCTAssertEqual(try CSVSniffer.sniff(path: try writeFile(Array("a|b\n1|2\n".utf8), "p.csv", in: dir)).dialect.delimiter, UInt8(ascii: "|"))
    }

    func test_a_comma_inside_quoted_values_does_not_fool_detection() throws {
        let dir = try makeTemporaryDirectory(self)
        let text = "nom;adresse\n\"Dupont\";\"1, rue A, 75001, Paris\"\n\"Martin\";\"2, rue B, Lyon\"\n"
        XCTAssertEqual(try CSVSniffer.sniff(path: try writeFile(Array(text.utf8), "q.csv", in: dir)).dialect.delimiter, UInt8(ascii: ";"))
    }

    func test_an_xlsx_renamed_csv_and_an_empty_file_are_refused_with_a_hint() throws {
        let dir = try makeTemporaryDirectory(self)
        let xlsx = try writeFile([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array(repeating: 0, count: 100), "export.csv", in: dir)
        XCTAssertThrowsError(try CSVSniffer.sniff(path: xlsx)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("not a CSV file"), text)
            XCTAssertTrue(text.contains("xlsx"), text)
        }
        let empty = try writeFile([], "empty.csv", in: dir)
        XCTAssertThrowsError(try CSVSniffer.sniff(path: empty)) { XCTAssertTrue("\($0)".contains("empty")) }
    }
}

final class CSVSourceReaderTests: XCTestCase {
    func read(_ bytes: [UInt8], options: CSVReadOptions = CSVReadOptions()) throws -> (CollectingSink, FileReadReport) {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile(bytes, "input.csv", in: dir)
        let sink = CollectingSink()
        let report = try CSVSourceReader.read(path: path, displayName: "input.csv", sourceIndex: 0, fileIndex: 0,
                                              options: options, sink: sink, progress: { _, _ in })
        return (sink, report)
    }

    func test_french_excel_file_is_read_into_canonical_fields_with_extras_kept() throws {
        let text = "N° contact;Civilité;Prénom;Nom;Société;N° SIRET;Code APE;E-mail;Tél;CP;Ville;Commentaire\r\n"
            + "SL-1;Mme;Hélène;Château;Bœuf & Cie;41234567000019;10.71C;h@boeuf.fr;04 78 12 34 56;69002;Lyon;\"Rappeler\r\nen avril\"\r\n"
        let (sink, report) = try read(cp1252(text), options: CSVReadOptions(idColumn: "N° contact"))
        XCTAssertEqual(report.records, 1)
        XCTAssertEqual(report.encoding, "cp1252")
        XCTAssertEqual(report.delimiter, ";")
        let record = try XCTUnwrap(sink.records.first)
        XCTAssertEqual(record[.civility], "Mme")
        XCTAssertEqual(record[.firstName], "Hélène")
        XCTAssertEqual(record[.lastName], "Château")
        XCTAssertEqual(record[.companyName], "Bœuf & Cie")
        XCTAssertEqual(record[.siret], "41234567000019")
        XCTAssertEqual(record[.naf], "10.71C")
        XCTAssertEqual(record[.phone], "04 78 12 34 56")
        XCTAssertEqual(record.origin.sourceID, "SL-1")
        XCTAssertEqual(record.origin.line, 2)
        XCTAssertEqual(sink.extra(record, "Commentaire"), "Rappeler\r\nen avril")
        XCTAssertEqual(sink.extra(record, "N° contact"), "SL-1", "the id column is kept too")
    }

    func test_wrong_field_count_is_rejected_with_its_line_and_the_rest_is_read() throws {
        let text = "id;nom;ville\n1;Dupont;Lyon\n2;Roux; Fils;Lyon;\n3;Martin;Paris\n4;Seul\n"
        let (sink, report) = try read(Array(text.utf8))
        XCTAssertEqual(sink.records.map(\.origin.sourceID), ["input.csv#1", "input.csv#3"])
        XCTAssertEqual(sink.rejects.map(\.origin.line), [3, 5])
        XCTAssertEqual(sink.rejects.map(\.reason.code), ["field_count", "field_count"])
        XCTAssertTrue(sink.rejects[0].reason.message.contains("expected 3 fields"))
        XCTAssertTrue(sink.rejects[0].excerpt.contains("2;Roux; Fils;Lyon"), sink.rejects[0].excerpt)
        XCTAssertEqual(report.rejected, 2)
        XCTAssertEqual(report.records + report.rejected, 4, "every data row is a record or a reject")
    }

    func test_header_only_file_gives_no_record_and_no_error() throws {
        let (sink, report) = try read(Array("Nom;Email\r\n".utf8))
        XCTAssertEqual(report.records, 0)
        XCTAssertTrue(sink.rejects.isEmpty)
    }

    func test_rows_of_empty_cells_are_blank_lines_not_records() throws {
        let (sink, report) = try read(Array("Nom;Email\n;\nDupont;d@x.fr\n\n".utf8))
        XCTAssertEqual(sink.records.count, 1)
        XCTAssertEqual(report.blankLines, 2)
    }

    func test_invalid_utf8_field_in_a_utf8_file_is_read_as_cp1252_and_counted() throws {
        // A UTF-8 file where one row was pasted from a Windows-1252 source.
        let bytes = Array("Nom;Ville\nHélène;Lyon\n".utf8) + [0x43, 0x68, 0xE2, 0x74, 0x65, 0x61, 0x75] + Array(";Nîmes\n".utf8)
        let (sink, report) = try read(bytes)
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["Hélène", "Château"])
        XCTAssertEqual(sink.records.map { $0[.city] }, ["Lyon", "Nîmes"], "valid fields of the row stay as they are")
        XCTAssertEqual(report.encodingRepairs, 1)
        XCTAssertEqual(report.encoding, "utf-8")
    }

    func test_utf16_with_bom_is_read() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in "Nom\tEmail\r\nZoé\tz@x.fr\r\n".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let (sink, report) = try read(bytes)
        XCTAssertEqual(report.encoding, "utf-16le (BOM)")
        XCTAssertEqual(sink.records.first?[.lastName], "Zoé")
        XCTAssertEqual(sink.records.first?[.email], "z@x.fr")
    }

    func test_explicit_encoding_and_delimiter_win_over_detection() throws {
        let bytes: [UInt8] = Array("Nom,Ville\n".utf8) + [0x44, 0xE9, 0x2C, 0x58, 0x0A]  // "Dé,X" in latin-1
        let (sink, _) = try read(bytes, options: CSVReadOptions(encoding: .latin1, delimiter: UInt8(ascii: ",")))
        XCTAssertEqual(sink.records.first?[.lastName], "Dé")
        XCTAssertEqual(sink.records.first?[.city], "X")
    }

    func test_unknown_id_column_is_a_clear_error() throws {
        XCTAssertThrowsError(try read(Array("Nom;Email\nA;a@x.fr\n".utf8), options: CSVReadOptions(idColumn: "Identifiant"))) { error in
            XCTAssertTrue("\(error)".contains("\"Identifiant\" is not in the header"), "\(error)")
        }
    }

    func test_duplicate_header_names_keep_both_values() throws {
        let (sink, _) = try read(Array("Email;Email;Nom\na@x.fr;b@x.fr;A\n".utf8))
        let record = try XCTUnwrap(sink.records.first)
        XCTAssertEqual(record[.email], "a@x.fr")
        XCTAssertEqual(sink.extra(record, "Email"), "b@x.fr")
    }
}

final class EncodingDetectorTests: XCTestCase {
    func test_pure_cp1252_is_cp1252_and_pure_utf8_is_utf8() {
        XCTAssertEqual(EncodingDetector.detect(cp1252("Hélène;Château;Bœuf;Noël\r\n")).encoding, .windows1252)
        XCTAssertEqual(EncodingDetector.detect(Array("Hélène;Château;Bœuf;Noël\r\n".utf8)).encoding, .utf8)
        XCTAssertEqual(EncodingDetector.detect(Array("plain ascii;only\n".utf8)).encoding, .utf8)
    }

    func test_utf8_with_one_stray_cp1252_byte_stays_utf8() {
        let sample = Array("Hélène;Zoé;Noël\n".utf8) + [0x43, 0x68, 0xE2, 0x74, 0x65, 0x61, 0x75, 0x0A]
        XCTAssertEqual(EncodingDetector.detect(sample).encoding, .utf8)
    }
}
