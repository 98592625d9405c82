import Foundation
import XCTest
import TamisCore
import TamisIO
@testable import TamisPipeline

/// Monthly refreshes: three months of files merged into one base, with the expected changes,
/// stable golden IDs, idempotence, the lock, and recovery after a killed run.
final class RefreshTests: XCTestCase {
    static let header = "id;prenom;nom;email;telephone;societe;code_postal;fonction;date\n"

    /// A refresh pipeline over `incoming/`, with an opt-out list and 36-month retention.
    struct Fixture {
        let dir: URL
        var pipeline: String { dir.appendingPathComponent("monthly.yml").path }
        var base: String { dir.appendingPathComponent("out/base.sqlite").path }
        var out: String { dir.appendingPathComponent("out/run").path }

        init(_ test: XCTestCase) throws {
            dir = try temporaryDirectory(test)
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("incoming"), withIntermediateDirectories: true)
            try write("optout.csv", "email\nnobody@nowhere.fr\n")
            try setAsOf("2026-02-01")
        }

        func write(_ name: String, _ text: String) throws {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        func setAsOf(_ date: String) throws {
            try write("monthly.yml", """
                name: monthly
                \(referenceDataLine)sources:
                  - name: crm
                    path: incoming/crm-*.csv
                    id_column: id
                    trust: 8
                    optional: true
                    mapping: { date: captured_at }
                  - name: webinar
                    path: incoming/webinar-*.csv
                    id_column: id
                    trust: 4
                    optional: true
                    mapping: { date: captured_at }
                reference_lists:
                  optout: optout.csv
                stages:
                  exclude:
                    suppression: [optout]
                    retention: { months: 36, field: captured_at, as_of: \(date) }
                outputs:
                  mode: refresh
                  directory: out/run
                  base: out/base.sqlite

                """)
        }

        /// This month's files replace last month's in `incoming/`.
        func deliver(_ files: [String: String]) throws {
            let incoming = dir.appendingPathComponent("incoming")
            for name in try FileManager.default.contentsOfDirectory(atPath: incoming.path) {
                try FileManager.default.removeItem(at: incoming.appendingPathComponent(name))
            }
            for (name, rows) in files { try write("incoming/" + name, RefreshTests.header + rows) }
        }

        @discardableResult
        func refresh(rebuild: Bool = false) throws -> RunSummary {
            let definition = try PipelineLoader.load(path: pipeline)
            return try PipelineRunner(definition: definition, options: RunOptions(quiet: true, rebuild: rebuild)).run()
        }

        func changes() throws -> [[String: String]] { try readCSVRecords(out + "/changes.csv") }

        /// Golden ID by e-mail (or by last name + phone when there is no e-mail).
        func goldenIDs() throws -> [String: String] {
            var ids: [String: String] = [:]
            for row in try ProspectBase(path: base).goldenRows() {
                ids[row["email"] ?? "\(row["last_name"] ?? "")/\(row["phone"] ?? "")"] = row["golden_id"]
            }
            return ids
        }

        func dump() throws -> [String] {
            let base = try ProspectBase(path: base)
            return try ["golden_records", "source_records", "golden_ids", "sources"].flatMap { try base.dump($0) }
        }
    }

    static let month1 = [
        "crm-2026-01.csv": """
            c1;Alice;Dupont;alice.dupont@acme-industrie.fr;04 72 00 00 01;Acme Industrie;69003;;2026-01-10
            c2;Bruno;Martin;bruno.martin@beta-conseil.fr;01 45 00 00 02;Beta Conseil;75011;Consultant;2026-01-11
            c3;Chloé;Petit;chloe.petit@gamma-btp.fr;;Gamma BTP;33000;Conductrice de travaux;2026-01-12
            c4;David;Roux;david.roux@delta-transports.fr;;Delta Transports;13001;Gérant;2023-02-20

            """,
    ]
    static let month2 = [
        "crm-2026-02.csv": """
            c2;Bruno;Martin;bruno.martin@beta-conseil.fr;01 45 00 00 02;Beta Conseil;75011;Directeur associé;2026-01-11
            c5;Emma;Leroy;emma.leroy@epsilon-data.fr;;Epsilon Data;31000;DSI;2026-02-01
            c6;Emma;Leroy;;05 61 00 00 06;Zeta Conseil;75008;;2026-02-01

            """,
        "webinar-2026-02.csv": """
            w1;Alice;Dupont;Alice.Dupont@acme-industrie.fr;;Acme Industrie;69003;Directrice achats;2026-02-03

            """,
    ]
    static let month3 = [
        "crm-2026-03.csv": """
            c6;Emma;Leroy;emma.leroy@epsilon-data.fr;05 61 00 00 06;Epsilon Data;31000;;2026-02-01

            """,
    ]

    /// Runs months 1 and 2 and checks their changes.
    func twoMonths(_ fixture: Fixture) throws -> (month1: [String: String], month2: [String: String]) {
        try fixture.deliver(RefreshTests.month1)
        let first = try fixture.refresh()
        XCTAssertEqual(first.changes["new"], 4)
        XCTAssertEqual(try fixture.changes().map { $0["change"] }, Array(repeating: "new", count: 4))
        let ids1 = try fixture.goldenIDs()
        XCTAssertEqual(ids1.count, 4)

        try fixture.deliver(RefreshTests.month2)
        let second = try fixture.refresh()
        let ids2 = try fixture.goldenIDs()
        // Every golden record of month 1 keeps its ID.
        for (key, id) in ids1 { XCTAssertEqual(ids2[key], id, key) }
        let alice = try XCTUnwrap(ids1["alice.dupont@acme-industrie.fr"])
        let bruno = try XCTUnwrap(ids1["bruno.martin@beta-conseil.fr"])
        let changes = try fixture.changes()
        let updates = Set(changes.filter { $0["change"] == "updated" }.map { "\($0["golden_id"]!) \($0["field"]!): \($0["old_value"]!) → \($0["new_value"]!)" })
        XCTAssertEqual(updates, [
            "\(bruno) job_title: Consultant → Directeur associé",       // a new version of c2
            "\(alice) job_title:  → Directrice achats",                  // the webinar's duplicate fills the gap
        ])
        let new = Set(changes.filter { $0["change"] == "new" }.map { $0["golden_id"]! })
        XCTAssertEqual(new, [ids2["emma.leroy@epsilon-data.fr"]!, ids2["Leroy/+33561000006"]!])
        XCTAssertEqual(second.changes, ["new": 2, "updated": 2, "merged": 0, "excluded": 0, "purged": 0, "removed": 0])
        // Nothing lost: the base's 4 records were carried in, c2 updated in place, 3 records added.
        XCTAssertEqual(second.lineage.inputs, 7)
        XCTAssertTrue(second.lineage.holds)
        XCTAssertEqual(try ProspectBase(path: fixture.base).count("source_records"), 7)
        return (ids1, ids2)
    }

    func test_two_and_three_refreshes_give_the_expected_changes_and_keep_ids() throws {
        let fixture = try Fixture(self)
        let (ids1, ids2) = try twoMonths(fixture)

        // Month 3: c6 (a namesake at another company last month) has moved to Epsilon Data and
        // now has Emma's e-mail: two golden records are one person. Bruno opted
        // out, and David's 2023 contact is past the 36-month retention.
        try fixture.write("optout.csv", "email\nbruno.martin@beta-conseil.fr\n")
        try fixture.setAsOf("2026-03-01")
        try fixture.deliver(RefreshTests.month3)
        let third = try fixture.refresh()
        let ids3 = try fixture.goldenIDs()
        let emmaIDs = [ids2["emma.leroy@epsilon-data.fr"]!, ids2["Leroy/+33561000006"]!].sorted()
        let changes = try fixture.changes()
        func rows(_ kind: String) -> [[String: String]] { changes.filter { $0["change"] == kind } }
        // One ID survives (tie: the smaller), the other is recorded as merged into it.
        XCTAssertEqual(rows("merged").map { [$0["golden_id"]!, $0["detail"]!] }, [[emmaIDs[1], emmaIDs[0]]])
        XCTAssertEqual(ids3["emma.leroy@epsilon-data.fr"], emmaIDs[0])
        XCTAssertFalse(rows("updated").filter { $0["golden_id"] == emmaIDs[0] }.isEmpty, "the survivor gains the other's values")
        XCTAssertEqual(rows("excluded").map { [$0["golden_id"]!, $0["detail"]!] }, [[ids1["bruno.martin@beta-conseil.fr"]!, "suppressed"]])
        XCTAssertEqual(rows("purged").map { $0["golden_id"]! }, [ids1["david.roux@delta-transports.fr"]!])
        XCTAssertEqual(third.changes["new"], 0)
        // Alice and Chloé untouched, same IDs.
        XCTAssertEqual(ids3["alice.dupont@acme-industrie.fr"], ids1["alice.dupont@acme-industrie.fr"])
        XCTAssertEqual(ids3["chloe.petit@gamma-btp.fr"], ids1["chloe.petit@gamma-btp.fr"])
        XCTAssertEqual(ids3.count, 3)

        let base = try ProspectBase(path: fixture.base)
        // The base's `changes` table says the same as changes.csv; "no field" is NULL there.
        let stored = try base.changes(run: third.runID)
        XCTAssertEqual(stored.map(\.kind.rawValue), changes.map { $0["change"]! })
        XCTAssertEqual(stored.map(\.goldenID), changes.map { $0["golden_id"]! })
        let merged = try XCTUnwrap(stored.first { $0.kind == .merged })
        XCTAssertNil(merged.field)
        XCTAssertNil(merged.oldValue)
        XCTAssertEqual(merged.detail, emmaIDs[0])
        XCTAssertNotNil(stored.first { $0.kind == .updated }?.field)
        // The registry: the merged ID points at the survivor; it is never issued again.
        let registry = try base.dump("golden_ids")
        XCTAssertTrue(registry.contains { $0.contains("golden_id=\"\(emmaIDs[1])\"") && $0.contains("status=\"merged\"") && $0.contains("merged_into=\"\(emmaIDs[0])\"") }, "\(registry)")
        // Purged: David's personal data is gone from the base; lineage still says why.
        XCTAssertFalse(try base.dump("source_records").contains { $0.contains("david.roux") })
        let lineage = try readCSVRecords(fixture.out + "/lineage.csv")
        XCTAssertEqual(lineage.first { $0["source_id"] == "c4" }?["reason"], "retention")
        XCTAssertFalse(try String(contentsOfFile: fixture.out + "/excluded.csv", encoding: .utf8).contains("david.roux"))
        XCTAssertTrue(third.lineage.holds)
        XCTAssertEqual(third.lineage.inputs, 7, "6 carried + c6's new version replacing the stored one, + 0 new")
        // Every golden record's ID is active in the registry; the excluded and the purged
        // ones are retired, with why and when.
        func registryRows() throws -> [String: String] {
            var rows: [String: String] = [:]
            for row in try base.dump("golden_ids") {
                let id = try XCTUnwrap(row.split(separator: "|").first?.split(separator: "=", maxSplits: 1).last)
                rows[String(id).replacingOccurrences(of: "\"", with: "")] = row
            }
            return rows
        }
        var registry3 = try registryRows()
        for id in ids3.values { XCTAssertTrue(registry3[id]?.contains("status=\"active\"|merged_into=NULL|reason=NULL") == true, "\(id): \(registry3[id] ?? "missing")") }
        let brunoID = ids1["bruno.martin@beta-conseil.fr"]!
        XCTAssertTrue(registry3[brunoID]?.contains("status=\"retired\"|merged_into=NULL|reason=\"excluded: suppressed\"") == true, registry3[brunoID] ?? "missing")
        XCTAssertTrue(registry3[brunoID]?.hasSuffix("changed_run=\"\(third.runID)\"") == true, registry3[brunoID] ?? "missing")
        XCTAssertTrue(registry3[ids1["david.roux@delta-transports.fr"]!]?.contains("status=\"retired\"|merged_into=NULL|reason=\"purged") == true)
        XCTAssertEqual(registry3.count, ids3.count + 3, "3 active, 1 merged, 2 retired: no ID forgotten")

        // Month 4: Bruno opts back in. His record comes back under his old ID, which the
        // registry makes active again (no reason left), changed by this run.
        try fixture.write("optout.csv", "email\nnobody@nowhere.fr\n")
        let fourth = try fixture.refresh()
        XCTAssertEqual(try fixture.goldenIDs()["bruno.martin@beta-conseil.fr"], brunoID)
        registry3 = try registryRows()
        XCTAssertTrue(registry3[brunoID]?.contains("status=\"active\"|merged_into=NULL|reason=NULL") == true, registry3[brunoID] ?? "missing")
        XCTAssertTrue(registry3[brunoID]?.hasSuffix("changed_run=\"\(fourth.runID)\"") == true, registry3[brunoID] ?? "missing")
        let alice = try XCTUnwrap(registry3[ids3["alice.dupont@acme-industrie.fr"]!])
        XCTAssertFalse(alice.contains(third.runID) || alice.contains(fourth.runID), "an ID active all along is not changed again: \(alice)")
    }

    func test_the_same_inputs_twice_leave_the_base_unchanged() throws {
        let fixture = try Fixture(self)
        _ = try twoMonths(fixture)
        let before = try fixture.dump()
        let again = try fixture.refresh()
        XCTAssertEqual(again.changes.values.reduce(0, +), 0, "\(again.changes)")
        XCTAssertEqual(try fixture.changes().count, 0, "changes.csv has only its header")
        XCTAssertEqual(try fixture.dump(), before, "golden records, source records and the ID registry are byte for byte the same")
        // And once more with no new file at all: the base is carried over as it is.
        try fixture.deliver([:])
        XCTAssertEqual(try fixture.refresh().changes.values.reduce(0, +), 0)
        XCTAssertEqual(try fixture.dump(), before)
    }

    func test_a_rebuild_keeps_ids_and_reports_what_left() throws {
        let fixture = try Fixture(self)
        let (_, ids2) = try twoMonths(fixture)
        // Rebuild from month 2's files only: month 1's records that were not re-delivered leave.
        let summary = try fixture.refresh(rebuild: true)
        XCTAssertEqual(summary.mode, "rebuild")
        let ids = try fixture.goldenIDs()
        for key in ["bruno.martin@beta-conseil.fr", "emma.leroy@epsilon-data.fr", "alice.dupont@acme-industrie.fr"] {
            XCTAssertEqual(ids[key], ids2[key], "\(key) keeps its ID through a rebuild")
        }
        let removed = try fixture.changes().filter { $0["change"] == "removed" }.map { $0["golden_id"]! }
        XCTAssertEqual(Set(removed), [ids2["chloe.petit@gamma-btp.fr"]!, ids2["david.roux@delta-transports.fr"]!])
    }

    func test_a_second_run_on_the_same_base_is_refused_while_the_first_holds_it() throws {
        let fixture = try Fixture(self)
        try fixture.deliver(RefreshTests.month1)
        try fixture.refresh()
        let before = try fixture.dump()
        let holder = try BaseLock.acquire(base: fixture.base, pipeline: "other", startedAt: "2026-11-27T10:00:00Z")
        try fixture.deliver(RefreshTests.month2)
        XCTAssertThrowsError(try fixture.refresh()) { error in
            guard case RunFailure.baseBusy(let busy) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(busy.description.contains("pipeline other"), busy.description)
            XCTAssertEqual((error as? RunFailure)?.exitCode, 4)
        }
        let cli = try runTamis(["run", fixture.pipeline, "-q"], in: fixture.dir)
        XCTAssertEqual(cli.status, 4, cli.stderr)
        XCTAssertTrue(cli.stderr.contains("is being written by another Tamis run"), cli.stderr)
        XCTAssertEqual(try fixture.dump(), before, "nothing written")
        holder.release()
        XCTAssertEqual(try fixture.refresh().changes["new"], 2, "once the lock is released, the run goes through")
    }

    func test_a_refresh_killed_while_writing_leaves_the_base_and_the_next_run_completes() throws {
        let fixture = try Fixture(self)
        _ = try twoMonths(fixture)
        let before = try fixture.dump()
        try fixture.setAsOf("2026-03-01")
        try fixture.deliver(RefreshTests.month3)
        for point in ["db-write", "db-commit"] {
            let killed = try runTamis(["run", fixture.pipeline, "-q"], environment: ["TAMIS_FAULT": point], in: fixture.dir)
            XCTAssertEqual(killed.signal, 9, "\(point): \(killed.stderr)")
            XCTAssertEqual(try ProspectBase(path: fixture.base).integrityCheck(), "ok")
            XCTAssertEqual(try fixture.dump(), before, "\(point): the base is as month 2 left it")
        }
        // The killed process's lock died with it: the next run is not refused, and completes.
        let next = try runTamis(["run", fixture.pipeline, "-q"], in: fixture.dir)
        XCTAssertEqual(next.status, 0, next.stderr)
        let changes = try fixture.changes()
        XCTAssertEqual(changes.filter { $0["change"] == "merged" }.count, 1)
        XCTAssertEqual(changes.filter { $0["change"] == "purged" }.count, 1)
    }
}
