import Foundation
import TamisCore
import TamisIO
import XCTest

final class XMLRecordReaderTests: XCTestCase {
    func read(_ xml: String, options: XMLReadOptions) throws -> (CollectingSink, FileReadReport) {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile(Array(xml.utf8), "export.xml", in: dir)
        let sink = CollectingSink()
        let report = try XMLRecordReader.read(path: path, displayName: "export.xml", sourceIndex: 0, fileIndex: 0,
                                              options: options, sink: sink, progress: { _, _ in })
        return (sink, report)
    }

    let crmExport = """
        <?xml version="1.0" encoding="UTF-8"?>
        <crm:export xmlns:crm="urn:crm:2" xmlns="urn:crm:contact">
          <crm:contacts>
            <contact id="C-1">
              <prenom>Anne-Sophie</prenom>
              <nom>d&apos;Arvor</nom>
              <fonction>Directrice R&amp;D</fonction>
              <email>as.darvor@biotech.bzh</email>
              <telephone type="fixe">02 98 44 55 66</telephone>
              <telephone type="mobile">06 01 02 03 04</telephone>
              <societe siret="33344455200017"><raison_sociale><![CDATA[Biotech <Armor> & Co]]></raison_sociale></societe>
              <adresse><cp>29280</cp><ville>Plouzan&#233;</ville></adresse>
              <notes><![CDATA[ligne 1
        ligne 2]]></notes>
            </contact>
            <contact id="C-2"><nom>Martin</nom><email>m@x.fr</email></contact>
          </crm:contacts>
        </crm:export>
        """

    func test_namespaced_export_with_entities_cdata_attributes_and_nested_paths() throws {
        let options = XMLReadOptions(recordElement: "contact", idPath: "@id", fields: [
            .companyName: "societe/raison_sociale", .siret: "societe/@siret",
            .postalCode: "adresse/cp", .city: "adresse/ville", .phone: "telephone",
        ])
        let (sink, report) = try read(crmExport, options: options)
        XCTAssertNil(report.problem)
        XCTAssertEqual(sink.records.count, 2)
        let first = sink.records[0]
        XCTAssertEqual(first.origin.sourceID, "C-1")
        XCTAssertEqual(first.origin.line, 4)
        XCTAssertEqual(first[.firstName], "Anne-Sophie", "detected from the element name <prenom>")
        XCTAssertEqual(first[.lastName], "d'Arvor")
        XCTAssertEqual(first[.jobTitle], "Directrice R&D")
        XCTAssertEqual(first[.companyName], "Biotech <Armor> & Co")
        XCTAssertEqual(first[.siret], "33344455200017")
        XCTAssertEqual(first[.city], "Plouzané")
        XCTAssertEqual(first[.phone], "02 98 44 55 66")
        XCTAssertEqual(sink.extra(first, "telephone"), "06 01 02 03 04", "a repeated element is kept, not dropped")
        XCTAssertEqual(sink.extra(first, "telephone/@type"), "fixe")
        XCTAssertEqual(sink.extra(first, "notes"), "ligne 1\nligne 2")
        XCTAssertEqual(sink.records[1].origin.sourceID, "C-2")
        XCTAssertEqual(sink.records[1][.lastName], "Martin")
    }

    /// libxml2 stores a node's line in 16 bits: the text reader said 65,535 for every record
    /// past that line. A record's line is its start tag's, however far into the file.
    func test_records_past_line_65535_have_their_own_line() throws {
        var xml = "<?xml version=\"1.0\"?>\n<contacts>\n"
        for n in 0..<35_000 { xml += "<contact id=\"C\(n)\">\n<nom>N\(n)</nom></contact>\n" }
        xml += "</contacts>\n"
        let (sink, report) = try read(xml, options: XMLReadOptions(recordElement: "contact", idPath: "@id"))
        XCTAssertNil(report.problem)
        XCTAssertEqual(sink.records.count, 35_000)
        XCTAssertEqual(sink.records[0].origin.line, 3)
        XCTAssertEqual(sink.records[34_999].origin.line, 3 + 2 * 34_999)
        XCTAssertEqual(sink.records[34_999][.lastName], "N34999")
    }

    /// White space between elements is not a value; inside an element's text, and around a
    /// CDATA section that follows text, it is kept as the text reader kept it.
    func test_white_space_between_elements_is_not_a_value() throws {
        let xml = "<c>\n  <contact>\n    <adresse>\n      <ville> Lyon </ville>\n    </adresse>\n    <nom>A<![CDATA[ & B]]></nom>\n  </contact>\n</c>"
        let (sink, _) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertEqual(sink.records.count, 1)
        XCTAssertEqual(sink.records[0].raw.string(CanonicalField.city.rawValue), " Lyon ")
        XCTAssertEqual(sink.records[0][.lastName], "A & B")
        XCTAssertNil(sink.extra(sink.records[0], "adresse"), "the white space around <ville> is no value of <adresse>")
    }

    func test_external_entity_is_refused_and_never_read() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE contacts [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
            <contacts><contact><nom>&xxe;</nom></contact></contacts>
            """
        let (sink, report) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        let problem = try XCTUnwrap(report.problem)
        XCTAssertTrue(problem.message.contains("external entity or DTD refused"), problem.message)
        XCTAssertEqual(problem.file, "export.xml")
        XCTAssertEqual(problem.line, 3, "the line that uses the entity")
        XCTAssertTrue(sink.records.allSatisfy { !($0[.lastName] ?? "").contains("root:") }, "no file content may leak in")
        XCTAssertTrue(sink.records.isEmpty)
    }

    func test_external_parameter_entity_and_dtd_are_never_fetched() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE contacts [ <!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext; ]>
            <contacts><contact><nom>A</nom></contact></contacts>
            """
        let (_, report) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertTrue(report.problem?.message.contains("refused") == true, "\(String(describing: report.problem))")
    }

    func test_billion_laughs_is_refused_quickly() throws {
        var entities = "<!ENTITY lol0 \"lol\">\n"
        for i in 1...9 {
            entities += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1);", count: 10) + "\">\n"
        }
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE c [\n\(entities)]>\n<contacts><contact><nom>&lol9;</nom></contact></contacts>"
        let start = Date()
        let (sink, report) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "must not expand a billion entities")
        XCTAssertTrue(report.problem?.message.contains("entity expansion refused") == true, "\(String(describing: report.problem))")
        XCTAssertTrue(sink.records.allSatisfy { ($0[.lastName]?.utf8.count ?? 0) < 100_000 })
    }

    func test_internal_entities_are_expanded() throws {
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE c [ <!ENTITY soc \"ACME &amp; Fils\"> ]>\n<c><contact><societe>&soc;</societe></contact></c>"
        let (sink, _) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertEqual(sink.records.first?[.companyName], "ACME & Fils")
    }

    func test_malformed_xml_keeps_records_before_the_error_and_reports_line_and_column() throws {
        let xml = "<contacts>\n<contact><nom>A</nom></contact>\n<contact><nom>B</nom></contact>\n<contact><nom>C & D</nom></contact>\n</contacts>"
        let (sink, report) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["A", "B"])
        let problem = try XCTUnwrap(report.problem)
        XCTAssertEqual(problem.line, 4)
        XCTAssertNotNil(problem.column)
    }

    func test_truncated_file_is_reported() throws {
        let xml = "<contacts><contact><nom>A</nom></contact><contact><nom>B</n"
        let (sink, report) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertEqual(sink.records.map { $0[.lastName] }, ["A"])
        XCTAssertNotNil(report.problem)
    }

    func test_deeply_nested_document_is_refused() throws {
        let xml = String(repeating: "<a>", count: 2000) + "<contact><nom>x</nom></contact>" + String(repeating: "</a>", count: 2000)
        let (_, report) = try read(xml, options: XMLReadOptions(recordElement: "contact"))
        XCTAssertTrue(report.problem?.message.contains("depth") == true, "\(String(describing: report.problem))")
        XCTAssertEqual(report.problem?.file, "export.xml")
        XCTAssertEqual(report.problem?.line, 1, "where the 257th level opens")
    }
}

final class CSVWriterTests: XCTestCase {
    func written(_ rows: [[String]], delimiter: UInt8 = UInt8(ascii: ","), bom: Bool = false) throws -> String {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("out.csv").path
        let file = try OutputFile(path: path)
        let writer = CSVWriter(file: file, delimiter: delimiter, bom: bom)
        for row in rows { try writer.writeRow(row) }
        try writer.flush()
        try file.close()
        return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    func test_quotes_only_where_needed() throws {
        XCTAssertEqual(try written([["a", "b,c", "say \"hi\"", "two\nlines", ""]]),
                       "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n")
    }

    func test_formula_injection_is_neutralised() throws {
        let out = try written([["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\tx", "=HYPERLINK(\"http://x\")"]])
        XCTAssertEqual(out, "\"'=1+1\",\"'@SUM(A1)\",\"'+cmd|' /C calc'!A0\",\"'-2+3\",\"'\tx\",\"'=HYPERLINK(\"\"http://x\"\")\"\r\n")
    }

    func test_signed_numbers_and_phones_are_left_intact() throws {
        XCTAssertEqual(try written([["+33123456789", "-12.5", "+33 (0)1 23 45 67 89", "-", "+"]]),
                       "+33123456789,-12.5,+33 (0)1 23 45 67 89,-,+\r\n")
    }

    func test_whole_numbers_are_written_as_their_digits() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("n.csv").path
        let file = try OutputFile(path: path)
        let writer = CSVWriter(file: file)
        let numbers = [0, 7, 10, 65_536, 1_002_966, -42, Int.max, Int.min]
        for n in numbers { writer.writeCell(n) }
        try writer.endRow()
        try writer.flush()
        try file.close()
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self),
                       numbers.map(String.init).joined(separator: ",") + "\r\n")
    }

    func test_bom_and_semicolon_for_excel() throws {
        let out = try written([["é", "a;b"]], delimiter: UInt8(ascii: ";"), bom: true)
        XCTAssertEqual(Array(out.utf8.prefix(3)), [0xEF, 0xBB, 0xBF])
        XCTAssertTrue(out.hasSuffix("é;\"a;b\"\r\n"))
    }

    func test_output_files_are_owner_only() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("p.csv").path
        try OutputFile(path: path).close()
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }
}

final class OutputDirectoryTests: XCTestCase {
    func test_commit_replaces_the_previous_outputs_as_a_whole() throws {
        let root = try makeTemporaryDirectory(self)
        let target = root.appendingPathComponent("out").path
        let first = try OutputDirectory(path: target)
        try OutputFile(path: first.path("a.csv")).close()
        try OutputFile(path: first.path("old-only.csv")).close()
        try first.commit()
        let second = try OutputDirectory(path: target)
        let file = try second.createFile("a.csv")
        try file.write("new")
        try file.close()
        XCTAssertEqual(try String(contentsOfFile: target + "/a.csv", encoding: .utf8), "", "not visible before commit")
        try second.commit()
        XCTAssertEqual(try String(contentsOfFile: target + "/a.csv", encoding: .utf8), "new")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + "/old-only.csv"), "no mix of old and new files")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains("staging") }
        XCTAssertEqual(leftovers, [])
    }

    func test_refuses_to_replace_a_folder_tamis_did_not_write() throws {
        let root = try makeTemporaryDirectory(self)
        let target = root.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("précieux".utf8).write(to: target.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try OutputDirectory(path: target.path)) { error in
            XCTAssertTrue("\(error)".contains("did not write"), "\(error)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: target.appendingPathComponent("notes.txt").path))
    }

    func test_staging_folders_of_dead_runs_are_cleaned() throws {
        let root = try makeTemporaryDirectory(self)
        let stale = root.appendingPathComponent(".out.staging-999999")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        let directory = try OutputDirectory(path: root.appendingPathComponent("out").path)
        directory.discard()
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path))
    }
}
