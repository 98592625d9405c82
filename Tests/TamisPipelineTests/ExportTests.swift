import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import XCTest

final class ExportTests: XCTestCase {
    var dir: URL!
    var base: ProspectBase!

    override func setUpWithError() throws {
        dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        _ = try PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: RunOptions(quiet: true)).run()
        base = try ProspectBase(path: dir.appendingPathComponent("out/tamis.sqlite").path)
    }

    func export(_ selection: MarketerExport.Selection, preset: ExportPreset, columns: [String]? = nil) throws -> String {
        let path = dir.appendingPathComponent("export-\(UUID().uuidString).csv").path
        try MarketerExport.write(try MarketerExport.select(from: base, selection), preset: preset, columns: columns, to: path)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    func test_each_preset_has_its_header_and_conventions() throws {
        let hubspot = try export(.init(), preset: .hubspot)
        XCTAssertTrue(hubspot.hasPrefix("First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name,Job Title,"))
        let salesforce = try export(.init(), preset: .salesforce)
        XCTAssertTrue(salesforce.hasPrefix("Salutation,First Name,Last Name,Title,Company,Email,Phone,Mobile,"))
        let brevo = try export(.init(), preset: .brevo)
        XCTAssertTrue(brevo.hasPrefix("EMAIL;FIRSTNAME;LASTNAME;SMS;COMPANY;"))
        let excelPath = dir.appendingPathComponent("excel.csv").path
        try MarketerExport.write(try MarketerExport.select(from: base, .init()), preset: .excel, columns: nil, to: excelPath)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: excelPath))
        XCTAssertEqual(Array(bytes.prefix(3)), [0xEF, 0xBB, 0xBF], "UTF-8 BOM for Excel")
        XCTAssertTrue(String(decoding: bytes.dropFirst(3), as: UTF8.self).hasPrefix("golden_id;civility;first_name;"))
        // E.164 phones in CRM presets.
        XCTAssertTrue(hubspot.contains(",+33"), hubspot)
    }

    func test_segment_and_where_select_golden_records_deterministically() throws {
        let rhone = try MarketerExport.select(from: base, .init(segment: "rhone"))
        XCTAssertFalse(rhone.isEmpty)
        XCTAssertTrue(rhone.allSatisfy { $0["department"] == "69" })
        XCTAssertEqual(rhone.map { $0["golden_id"]! }, rhone.map { $0["golden_id"]! }.sorted())
        let expression = try SegmentExpression.parse("region = '84' and quality_tier in (A, B)", fields: SegmentFields.names)
        let filtered = try MarketerExport.select(from: base, .init(expression: expression))
        XCTAssertTrue(filtered.allSatisfy { $0["region"] == "84" })
        XCTAssertEqual(try MarketerExport.select(from: base, .init(segment: "corsica")).count, 0, "an empty segment is not an error")
        let byCity = try MarketerExport.select(from: base, .init(), sortField: "city").map { $0["city"] ?? "" }
        XCTAssertEqual(byCity, byCity.sorted())
    }

    func test_excluded_and_suppressed_records_are_never_exported() throws {
        let everything = try export(.init(), preset: .csv).lowercased()
        for absent in ["garcon", "lea.boeuf", "test@example.com", "pharma-rhone", "biotech-armor", "fontaine-immobilier"] {
            XCTAssertFalse(everything.contains(absent), "\(absent) must not be exported")
        }
        let anything = try SegmentExpression.parse("email is present or email is missing", fields: SegmentFields.names)
        XCTAssertEqual(try MarketerExport.select(from: base, .init(expression: anything)).count, try base.count("golden_records"))
    }

    func test_exports_neutralise_spreadsheet_formulas() throws {
        let path = dir.appendingPathComponent("hostile.csv").path
        let rows = [["golden_id": "G1", "first_name": "=HYPERLINK(\"http://x\";\"clic\")", "last_name": "@SUM(A1)",
                     "mobile": "+33612345678"]]
        try MarketerExport.write(rows, preset: .excel, columns: ["golden_id", "first_name", "last_name", "mobile"], to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"'=HYPERLINK("))
        XCTAssertTrue(text.contains("\"'@SUM(A1)\""))
        XCTAssertTrue(text.contains(";+33612345678"), "a phone number is left intact")
    }

    func test_segments_and_export_commands() throws {
        let pipeline = dir.appendingPathComponent("pipelines/pre-campaign.yml").path
        let segments = try runTamis(["segments", pipeline], in: dir)
        XCTAssertEqual(segments.status, 0, segments.stderr)
        XCTAssertTrue(segments.stdout.contains("corsica"), segments.stdout)
        XCTAssertTrue(segments.stdout.contains("(empty)"), segments.stdout)
        let out = dir.appendingPathComponent("it.csv").path
        let export = try runTamis(["export", pipeline, "--where", "region = '84'", "--format", "hubspot", "-o", out], in: dir)
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        let bad = try runTamis(["export", pipeline, "--where", "region = = 84", "-o", out], in: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("at character 10"), bad.stderr)
    }
}
