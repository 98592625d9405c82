import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import XCTest

/// Files are read on all cores at once; what comes out must be what reading them one after
/// the other gives: records in file order, extra columns under the right names, and a
/// problem in one file attributed to that file only.
final class ParallelIngestTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory(self)
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("refdata"),
                                                   withDestinationURL: packageRoot.appendingPathComponent("data/refdata"))
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    func run(sources: String) throws -> (RunSummary, ProspectBase) {
        let yaml = """
        name: parallel
        reference_data: refdata
        sources:
        \(sources)
        outputs:
          directory: out
          base: base.sqlite
        """
        try write("pipeline.yml", yaml)
        let definition = try PipelineLoader.load(path: dir.appendingPathComponent("pipeline.yml").path)
        let summary = try PipelineRunner(definition: definition, options: RunOptions(quiet: true)).run()
        return (summary, try ProspectBase(path: dir.appendingPathComponent("base.sqlite").path))
    }

    /// Three files of one source, each with extra columns of its own in its own order; the
    /// last is the biggest, so it is read first.
    func test_extra_columns_of_files_read_at_once_keep_their_names_and_records_their_file_order() throws {
        try write("salon-1.csv", "Nom;Prénom;Email;Stand\r\nMartin;Jean;jean.martin@acme.fr;A12\r\n")
        try write("salon-2.csv", "Badge;Nom;Prénom;Email;Stand\r\nVIP;Durand;Paul;paul.durand@bati.fr;B07\r\n")
        var third = "Allée;Email;Nom;Prénom;Badge\r\n"
        for n in 0..<1000 { third += "C\(n);contact\(n)@societe\(n).fr;Nom\(n);Prénom\(n);\(n % 2 == 0 ? "presse" : "")\r\n" }
        try write("salon-3.csv", third)
        let (summary, base) = try run(sources: """
          - name: salon
            path: salon-*.csv
            id_column: Email
        """)
        XCTAssertEqual(summary.lineage.inputs, 1002)
        let rows = try base.dump("source_records")
        func extras(_ email: String) throws -> String {
            let row = try XCTUnwrap(rows.first { $0.contains("source_id=\"\(email)\"") }, email)
            let field = try XCTUnwrap(row.split(separator: "|").first { $0.hasPrefix("extras_json=") }, row)
            return String(field.dropFirst("extras_json=".count))
        }
        // Slots in the order a one-by-one reading meets the columns: Stand, Badge, Allée.
        XCTAssertEqual(try extras("jean.martin@acme.fr"), #""{\"Stand\":\"A12\"}""#)
        XCTAssertEqual(try extras("paul.durand@bati.fr"), #""{\"Stand\":\"B07\",\"Badge\":\"VIP\"}""#)
        XCTAssertEqual(try extras("contact0@societe0.fr"), #""{\"Badge\":\"presse\",\"Allée\":\"C0\"}""#)
        XCTAssertEqual(try extras("contact1@societe1.fr"), #""{\"Allée\":\"C1\"}""#)
        // Lineage lists the records file by file, in file order, line by line.
        let lineage = try base.dump("lineage").compactMap { row -> String? in
            row.split(separator: "|").first { $0.hasPrefix("source_id=") }.map(String.init)
        }
        XCTAssertEqual(lineage.prefix(3), ["source_id=\"jean.martin@acme.fr\"", "source_id=\"paul.durand@bati.fr\"",
                                           "source_id=\"contact0@societe0.fr\""])
        XCTAssertEqual(lineage.last, "source_id=\"contact999@societe999.fr\"")
    }

    /// An external entity refused in one XML file while another is being read: only the
    /// file that asked for it is reported, the other is read to its end.
    func test_an_external_entity_refused_in_one_xml_file_does_not_stop_another_read_at_the_same_time() throws {
        var good = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<contacts>\n"
        for n in 0..<2_000 {
            good += "<contact id=\"C\(n)\"><nom>Nom\(n)</nom><prenom>Jean</prenom><email>c\(n)@societe\(n).fr</email></contact>\n"
        }
        good += "</contacts>\n"
        try write("good.xml", good)
        try write("hostile.xml", """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE contacts [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
        <contacts><contact id="X1"><nom>&secret;</nom></contact></contacts>
        """)
        let (summary, _) = try run(sources: """
          - name: crm
            path: good.xml
            format: xml
            record: contact
            id: "@id"
          - name: other
            path: hostile.xml
            format: xml
            record: contact
            id: "@id"
        """)
        XCTAssertEqual(summary.fileProblems.count, 1, "\(summary.fileProblems)")
        XCTAssertTrue(summary.fileProblems.first?.file.hasSuffix("/hostile.xml") ?? false)
        XCTAssertTrue(summary.fileProblems.first?.message.contains("external entity or DTD refused") ?? false,
                      "\(summary.fileProblems)")
        XCTAssertGreaterThanOrEqual(summary.lineage.inputs, 2_000, "every contact of the good file is read")
    }
}
