import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import XCTest

/// Runs the pre-campaign pipeline on the bundled samples and checks what a steward would.
final class SamplePipelineTests: XCTestCase {
    var dir: URL!
    var pipeline: String!

    override func setUpWithError() throws {
        dir = try temporaryDirectory(self)
        pipeline = try samplePipeline(in: dir)
    }

    func runPipeline(_ options: RunOptions = RunOptions(quiet: true)) throws -> (RunSummary, PipelineRunner) {
        let runner = PipelineRunner(definition: try PipelineLoader.load(path: pipeline), options: options)
        let summary = try runner.run()
        return (summary, runner)
    }

    var out: String { dir.appendingPathComponent("out/pre-campaign").path }
    var basePath: String { dir.appendingPathComponent("out/tamis.sqlite").path }

    /// Input records counted straight from the sample files, independently of Tamis's readers.
    func expectedInputs() throws -> Int {
        let samples = dir.appendingPathComponent("data/samples")
        let salon = try Data(contentsOf: samples.appendingPathComponent("salon-lyon-2026.csv"))
        let salonRows = String(decoding: salon, as: UTF8.self).components(separatedBy: "\r\nSL-").count - 1
        let webinar = try String(contentsOf: samples.appendingPathComponent("webinar-hubspot.csv"), encoding: .utf8)
        let webinarRows = webinar.split(separator: "\n").count - 1
        let xml = try String(contentsOf: samples.appendingPathComponent("crm-relationpro.xml"), encoding: .utf8)
        let contacts = xml.components(separatedBy: "<contact ").count - 1
        return salonRows + webinarRows + contacts
    }

    func test_every_input_record_is_accounted_for_once_in_lineage() throws {
        let (summary, _) = try runPipeline()
        let inputs = try expectedInputs()
        XCTAssertEqual(summary.lineage.inputs, inputs)
        XCTAssertTrue(summary.lineage.holds)
        let lineage = try readCSVRecords(out + "/lineage.csv")
        XCTAssertEqual(lineage.count, inputs)
        let keys = lineage.map { "\($0["source"]!)/\($0["source_id"]!)" }
        XCTAssertEqual(Set(keys).count, inputs, "one lineage row per input record")
        let golden = try readCSVRecords(out + "/clean_base.csv")
        let goldenIDs = Set(golden.map { $0["golden_id"]! })
        XCTAssertEqual(golden.count, summary.lineage.kept)
        for row in lineage where row["status"] == "kept" || row["status"] == "merged" {
            XCTAssertTrue(goldenIDs.contains(row["golden_id"]!), "lineage points at a golden record that exists")
        }
        for row in lineage where row["status"] == "excluded" || row["status"] == "rejected" {
            XCTAssertEqual(row["golden_id"], "")
            XCTAssertNotEqual(row["reason"], "", "every excluded or rejected record has a reason")
        }
    }

    func test_broken_excel_row_is_quarantined_with_file_line_and_reason() throws {
        let (summary, _) = try runPipeline()
        let rejects = try readCSVRecords(out + "/rejects.csv")
        XCTAssertEqual(rejects.count, 1)
        XCTAssertEqual(rejects[0]["file"]?.hasSuffix("salon-lyon-2026.csv"), true)
        XCTAssertEqual(rejects[0]["line"], "8", "the multi-line address on lines 3-4 is counted")
        XCTAssertEqual(rejects[0]["reason"], "field_count")
        XCTAssertTrue(rejects[0]["excerpt"]!.hasPrefix("SL-0009;"))
        XCTAssertEqual(summary.rejectReasons, ["field_count": 1])
    }

    func test_cp1252_french_excel_values_are_decoded_and_duplicates_across_sources_merged() throws {
        _ = try runPipeline()
        let lineage = try readCSVRecords(out + "/lineage.csv")
        func golden(_ source: String, _ id: String) -> String? {
            lineage.first { $0["source"] == source && $0["source_id"] == id }?["golden_id"]
        }
        // Same person, e-mail in another case, in the same file and across files.
        XCTAssertEqual(golden("salon-lyon-2026", "SL-0001"), golden("salon-lyon-2026", "SL-0008"))
        XCTAssertEqual(golden("salon-lyon-2026", "SL-0002"), golden("webinar-hubspot", "hs-1001"))
        XCTAssertEqual(golden("crm", "CRM-88121"), golden("webinar-hubspot", "hs-1003"))
        XCTAssertNotEqual(golden("crm", "CRM-88121"), golden("crm", "CRM-88122"))
        let base = try readCSVRecords(out + "/clean_base.csv")
        let jp = try XCTUnwrap(base.first { $0["golden_id"] == golden("salon-lyon-2026", "SL-0001") })
        XCTAssertEqual(jp["last_name"], "Dupré-Lefèvre", "decoded from cp1252, then properly cased")
        XCTAssertEqual(jp["member_count"], "2")
        // The CRM is trusted most: its spelling of the company wins over the webinar's.
        let marc = try XCTUnwrap(base.first { $0["golden_id"] == golden("crm", "CRM-88121") })
        XCTAssertEqual(marc["company_name"], "OLIVIER BTP")
        XCTAssertEqual(marc["sources"], "crm|webinar-hubspot")
        XCTAssertEqual(marc["website"], "olivier-btp.fr", "a field empty in the CRM is filled from the webinar")
        let stored = try XCTUnwrap(try ProspectBase(path: basePath).goldenRows().first { $0["golden_id"] == marc["golden_id"] })
        XCTAssertEqual(stored["sources"], "crm|webinar-hubspot", "the base lists the sources as the clean file does")
    }

    func test_exclusions_have_a_reason_and_rule_and_are_counted() throws {
        let (summary, _) = try runPipeline()
        let excluded = try readCSVRecords(out + "/excluded.csv")
        let byID = Dictionary(uniqueKeysWithValues: excluded.map { ($0["source_id"]!, $0) })
        XCTAssertEqual(byID["SL-0006"]?["reason"], "student")
        XCTAssertEqual(byID["SL-0006"]?["rule"], "students")
        XCTAssertEqual(byID["SL-0007"]?["reason"], "test_entry")
        XCTAssertEqual(byID["hs-1004"]?["reason"], "competitor", "matched by the competitor's web domain")
        XCTAssertEqual(byID["CRM-88122"]?["reason"], "existing_customer", "matched by SIREN")
        XCTAssertEqual(byID["CRM-88122"]?["rule"], "customers")
        XCTAssertEqual(byID["CRM-88124"]?["reason"], "retention", "captured in 2021, over 36 months before as_of")
        // Étienne Garçon's trade-show record has the opted-out phone: the objection wins over
        // any other reason. His CRM record has no phone; SIRENE says his company has ceased
        // (establishment closed, legal unit ceased), so it is excluded before deduplication.
        XCTAssertEqual(byID["SL-0005"]?["reason"], "suppressed")
        XCTAssertEqual(byID["CRM-88123"]?["reason"], "defunct")
        XCTAssertEqual(byID["CRM-88123"]?["rule"], "sirene")
        XCTAssertEqual(summary.lineage.excluded, excluded.count)
        // Record-level exclusions, then whole clusters: company lists, then suppression lists.
        let excludeCounts = try XCTUnwrap(summary.stages.first { $0.stage == "exclude" }?.details)
        let companyCounts = try XCTUnwrap(summary.stages.first { $0.stage == "companies" }?.details)
        let suppressCounts = try XCTUnwrap(summary.stages.first { $0.stage == "suppress" }?.details)
        let sireneCounts = try XCTUnwrap(summary.stages.first { $0.stage == "sirene" }?.details)
        let sireneExcluded = sireneCounts.filter { $0.key.hasPrefix("excluded_") }.values.reduce(0, +)
        XCTAssertEqual(sireneExcluded, 2)
        XCTAssertEqual(companyCounts["excluded_records"], 2)
        // Each record is counted by the stage that excluded it first (an opt-out relabels one
        // already excluded without counting it again).
        XCTAssertEqual(sireneExcluded + excludeCounts.values.reduce(0, +) + (companyCounts["excluded_records"] ?? 0) + (suppressCounts["suppressed_records"] ?? 0),
                       excluded.count)
        let base = try readCSVRecords(out + "/clean_base.csv")
        XCTAssertFalse(base.contains { ($0["email"] ?? "").contains("garcon") }, "a suppressed person is never in the clean base")
    }

    func test_spreadsheet_formulas_from_an_input_are_neutralised_in_outputs() throws {
        _ = try runPipeline()
        var sawFormula = false
        for name in try FileManager.default.contentsOfDirectory(atPath: out) where name.hasSuffix(".csv") {
            let lower = try String(contentsOfFile: out + "/" + name, encoding: .utf8).lowercased()
            if lower.contains("\"'=hyperlink(") { sawFormula = true }
            XCTAssertFalse(lower.contains(",=hyperlink") || lower.contains(",\"=hyperlink"), "\(name) holds a live formula")
        }
        XCTAssertTrue(sawFormula, "the hostile cell is in an output, prefixed with a quote")
    }

    func test_sqlite_base_holds_golden_records_source_records_lineage_and_the_run() throws {
        let (summary, _) = try runPipeline()
        let base = try ProspectBase(path: basePath)
        XCTAssertEqual(try base.count("golden_records"), summary.lineage.kept)
        // Rejected rows are in lineage only; so are records past retention (purged).
        let purged = try XCTUnwrap(summary.stages.first { $0.stage == "exclude" }?.details["retention"])
        XCTAssertEqual(purged, 1)
        XCTAssertEqual(try base.count("source_records"), summary.lineage.inputs - summary.lineage.rejected - purged)
        XCTAssertEqual(try base.count("lineage"), summary.lineage.inputs)
        let runs = try base.runs()
        XCTAssertEqual(runs.map(\.runID), [summary.runID])
        XCTAssertEqual(runs[0].balance, summary.lineage)
        XCTAssertEqual(try base.lineageCounts(run: summary.runID)["rejected"], 1)
        // "None" is NULL in lineage, not empty text: no reason for a kept record, no golden
        // record for a rejected or excluded one.
        let lineageRows = try base.dump("lineage")
        let kept = lineageRows.filter { $0.contains("|status=\"kept\"|") }
        XCTAssertEqual(kept.count, summary.lineage.kept)
        XCTAssertTrue(kept.allSatisfy { $0.contains("|reason=NULL|rule=NULL") && !$0.contains("golden_id=NULL") }, kept.first ?? "")
        let rejected = lineageRows.filter { $0.contains("|status=\"rejected\"|") }
        XCTAssertEqual(rejected.count, 1)
        XCTAssertTrue(rejected.allSatisfy { $0.contains("|golden_id=NULL|") && !$0.contains("reason=NULL") }, rejected.first ?? "")
        // Each source record keeps its notable field qualities.
        let sourceRows = try base.dump("source_records")
        XCTAssertTrue(sourceRows.contains { $0.contains("siren=valid:siren_from_siret") }, sourceRows.first ?? "")
        // The quality text is `field=status[:reason]` joined by `;`, nothing before or after.
        let qualities = sourceRows.compactMap { row in
            row.split(separator: "|").first { $0.hasPrefix("quality=") }.map { String($0.dropFirst("quality=".count)).trimmingCharacters(in: ["\""]) }
        }
        XCTAssertEqual(qualities.count, sourceRows.count)
        XCTAssertTrue(qualities.contains { !$0.isEmpty })
        let item = #"[a-z0-9_]+=[a-z_]+(:[a-z0-9_]+)?"#
        for quality in qualities where !quality.isEmpty {
            XCTAssertNotNil(quality.range(of: "^\(item)(;\(item))*$", options: .regularExpression), quality)
        }
        // An excluded source record has no golden record (NULL); a kept or merged one has its own.
        let excludedSources = sourceRows.filter { $0.contains("|status=\"excluded\"|") }
        XCTAssertFalse(excludedSources.isEmpty)
        XCTAssertTrue(excludedSources.allSatisfy { $0.contains("|golden_id=NULL|") }, excludedSources.first ?? "")
        let placed = sourceRows.filter { $0.contains("|status=\"kept\"|") || $0.contains("|status=\"merged\"|") }
        XCTAssertEqual(placed.count, summary.lineage.kept + summary.lineage.merged)
        XCTAssertTrue(placed.allSatisfy { $0.contains("|golden_id=\"G") && $0.contains("|source_id=\"") }, placed.first ?? "")
        let mode = try FileManager.default.attributesOfItem(atPath: basePath)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600, "the base holds personal data")
    }

    /// The files are written while the base is; the base commits only once they are staged.
    /// When that last step fails, the whole new run is rolled back.
    func test_a_failure_before_the_commit_leaves_the_previous_base_as_it_was() throws {
        let (summary, _) = try runPipeline()
        let base = try ProspectBase(path: basePath)
        let before = try ["golden_records", "source_records", "lineage", "runs"].map { try base.dump($0) }
        struct FilesNotStaged: Error {}
        let run = RunRow(runID: "later", pipeline: "pre-campaign", startedAt: "2026-12-01T00:00:00Z", finishedAt: "2026-12-01T00:00:01Z",
                         balance: LineageBalance(), summaryJSON: "{}")
        XCTAssertThrowsError(try base.write(run: run, state: RunState(sources: [SourceInfo(name: "crm", trust: 5)]), lineage: [],
                                            beforeCommit: { throw FilesNotStaged() }))
        XCTAssertEqual(try ["golden_records", "source_records", "lineage", "runs"].map { try base.dump($0) }, before)
        XCTAssertEqual(try base.runs().map(\.runID), [summary.runID])
    }

    func test_same_inputs_give_the_same_golden_ids_on_a_second_run() throws {
        let (first, _) = try runPipeline()
        let ids1 = try readCSVRecords(out + "/clean_base.csv").map { $0["golden_id"]! }
        let (second, _) = try runPipeline()
        let ids2 = try readCSVRecords(out + "/clean_base.csv").map { $0["golden_id"]! }
        XCTAssertEqual(ids1, ids2)
        XCTAssertNotEqual(first.runID, second.runID)
        XCTAssertEqual(try ProspectBase(path: basePath).runs().count, 2)
        XCTAssertEqual(try ProspectBase(path: basePath).count("golden_records"), ids1.count, "a full run replaces the records")
    }

    func test_field_quality_is_counted_per_source_in_the_summary() throws {
        let (summary, runner) = try runPipeline()
        let salon = try XCTUnwrap(summary.fieldQuality["salon-lyon-2026"])
        let records = runner.state.records.filter { runner.state.sources[$0.origin.sourceIndex].name == "salon-lyon-2026" }
        for field in ["siret", "naf", "phone", "email", "postal_code"] {
            let counts = try XCTUnwrap(salon[field], field)
            XCTAssertEqual(counts.valid + counts.repaired + counts.invalid + counts.missing, records.count, field)
        }
        // The sample's Excel file: one SIREN in the SIRET column (siretised from the register:
        // the establishment at the record's postal code), a placeholder phone, a student address.
        XCTAssertEqual(salon["siret"]?.reasons["siretised"], 1)
        XCTAssertEqual(salon["phone"]?.reasons["placeholder"], 1)
        let zoe = try XCTUnwrap(records.first { $0.origin.sourceID == "SL-0004" })
        XCTAssertEqual(zoe[.siren], "790456123")
        XCTAssertEqual(zoe.rawValue(.siret), "790456123", "the source's value is kept as it was")
        XCTAssertEqual(zoe[.siret], "79045612300021", "the Décines establishment, not the Lyon head office")
        XCTAssertEqual(zoe[.naf], "43.32A")
        XCTAssertEqual(zoe[.mobile], "+33781223344")
        let base = try ProspectBase(path: basePath)
        XCTAssertGreaterThan(try base.count("source_records"), 0)
    }

    func test_segments_get_their_own_files_and_sizes() throws {
        let (summary, _) = try runPipeline()
        let segmentCounts = try XCTUnwrap(summary.stages.first { $0.stage == "segment" }?.details)
        let rhone = try readCSVRecords(out + "/segment-rhone.csv")
        XCTAssertEqual(rhone.count, segmentCounts["rhone"])
        XCTAssertTrue(rhone.allSatisfy { $0["department"] == "69" && $0["postal_code"]!.hasPrefix("69") })
        XCTAssertGreaterThan(rhone.count, 0)
    }

    func test_dry_run_writes_nothing() throws {
        let (summary, _) = try runPipeline(RunOptions(dryRun: true, quiet: true))
        XCTAssertTrue(summary.dryRun)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: basePath))
    }

    func test_strict_run_with_a_rejected_row_fails_and_writes_nothing() throws {
        XCTAssertThrowsError(try runPipeline(RunOptions(strict: true, quiet: true))) { error in
            guard case RunFailure.strictDataErrors(let rejected, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(rejected, 1)
            XCTAssertEqual((error as? RunFailure)?.exitCode, 1)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: basePath))
    }

    func test_out_option_overrides_the_output_folder() throws {
        let other = dir.appendingPathComponent("runs/2026-11").path
        _ = try runPipeline(RunOptions(outputDirectory: other, quiet: true))
        XCTAssertTrue(FileManager.default.fileExists(atPath: other + "/clean_base.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func test_an_unreadable_file_is_reported_and_the_run_goes_on() throws {
        try Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 64))
            .write(to: dir.appendingPathComponent("data/samples/salon-lyon-2027.csv"))
        let (summary, _) = try runPipeline()
        XCTAssertEqual(summary.fileProblems.count, 1)
        XCTAssertTrue(summary.fileProblems[0].message.contains("not a CSV file"))
        XCTAssertGreaterThan(summary.goldenRecords, 0)
    }

    /// The bundled monthly refresh, after the pre-campaign run: December's webinar file merged
    /// into the base, with the changes a steward can check by hand in the sample files.
    func test_the_sample_monthly_refresh_merges_december_into_the_base() throws {
        let (first, _) = try runPipeline()
        let before = Dictionary(uniqueKeysWithValues: try ProspectBase(path: basePath).goldenRows().map { ($0["email"] ?? "", $0) })
        let refreshPath = dir.appendingPathComponent("pipelines/monthly-refresh.yml").path
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("pipelines/monthly-refresh.yml").path, toPath: refreshPath)
        let runner = PipelineRunner(definition: try PipelineLoader.load(path: refreshPath), options: RunOptions(quiet: true))
        let summary = try runner.run()
        XCTAssertEqual(summary.mode, "refresh")
        XCTAssertEqual(summary.changes, ["new": 1, "updated": 2, "merged": 0, "excluded": 0, "purged": 0, "removed": 0])
        let changes = try readCSVRecords(dir.appendingPathComponent("out/monthly-refresh/changes.csv").path)
        let camille = try XCTUnwrap(before["camille.lefort@gmail.com"]?["golden_id"])
        let zoe = try XCTUnwrap(before["zoe.chateau@ateliers-chateau.fr"]?["golden_id"])
        XCTAssertTrue(changes.contains { $0["golden_id"] == camille && $0["field"] == "job_title" && $0["old_value"] == "Consultante" && $0["new_value"] == "Consultante senior" })
        XCTAssertTrue(changes.contains { $0["golden_id"] == zoe && $0["field"] == "phone" && $0["old_value"] == "" && $0["new_value"] == "+33474123456" })
        let after = Dictionary(uniqueKeysWithValues: try ProspectBase(path: basePath).goldenRows().map { ($0["email"] ?? "", $0) })
        for (email, row) in before { XCTAssertEqual(after[email]?["golden_id"], row["golden_id"], "\(email) keeps its ID") }
        XCTAssertEqual(changes.first { $0["change"] == "new" }?["golden_id"], after["julie.moreau@atelier-moreau.fr"]?["golden_id"])
        XCTAssertNil(after["lucas.petit@etu.univ-lyon1.fr"], "the student is excluded, not added")
        // Every record of the base was carried: the base's records plus December's 3 new ones.
        XCTAssertEqual(try ProspectBase(path: basePath).count("source_records"), first.lineage.inputs - first.lineage.rejected - 1 + 3)
        // Run again: nothing changes.
        let again = try PipelineRunner(definition: try PipelineLoader.load(path: refreshPath), options: RunOptions(quiet: true)).run()
        XCTAssertEqual(again.changes.values.reduce(0, +), 0)
    }

    /// A company list applies to the whole person: the webinar registration of an existing
    /// customer's contact (no SIRET, the company's name but no postal code) goes with the CRM
    /// record that the list matches by SIREN.
    func test_a_company_list_excludes_every_record_of_a_listed_companys_contact() throws {
        let webinar = dir.appendingPathComponent("data/samples/webinar-hubspot.csv")
        var text = try String(contentsOf: webinar, encoding: .utf8)
        text += "hs-3001,Anne-Sophie,d'Arvor,as.darvor@biotech-armor.bzh,Biotech Armor,Directrice R&D,,,,,Plouzané,France,,2026-03-01,Webinar\n"
        try text.write(to: webinar, atomically: true, encoding: .utf8)
        let (summary, _) = try runPipeline()
        let excluded = try readCSVRecords(out + "/excluded.csv")
        let row = try XCTUnwrap(excluded.first { $0["source_id"] == "hs-3001" })
        XCTAssertEqual(row["reason"], "existing_customer")
        XCTAssertEqual(row["rule"], "customers")
        XCTAssertTrue(summary.lineage.holds)
        XCTAssertFalse(try readCSVRecords(out + "/clean_base.csv").contains { $0["email"] == "as.darvor@biotech-armor.bzh" })
    }
}
