import Foundation
import GRDB
import TamisCore
@testable import TamisIO
import XCTest

/// A base written by an earlier version of Tamis opens, upgrades in place, and keeps what it
/// held: stewards' existing bases must survive an upgrade.
final class BaseUpgradeTests: XCTestCase {
    func test_a_first_version_base_is_upgraded_and_read_back() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tamis-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("base.sqlite").path
        // The first schema, with one golden record and its two source records, as v1 wrote them.
        let queue = try DatabaseQueue(path: path)
        try ProspectBase.migrator.migrate(queue, upTo: "v1-foundation")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO golden_records (golden_id, first_name, last_name, email, segments, member_count, sources, run_id)
                VALUES ('G0000000000000001', 'Marc', 'Olivier', 'marc@olivier.fr', 'rhone', 2, 'crm|salon', 'R1')
                """)
            for (source, id) in [("crm", "CRM-1"), ("salon", "SL-1")] {
                try db.execute(sql: """
                    INSERT INTO source_records (source, source_id, file, line, status, golden_id, first_name, last_name, email, raw_json, extras_json, quality, run_id)
                    VALUES (?, ?, 'f.csv', 2, 'kept', 'G0000000000000001', 'Marc', 'Olivier', 'marc@olivier.fr',
                            '{"first_name":"MARC","last_name":"OLIVIER","email":"Marc@Olivier.fr"}', '{"Lead Source":"Salon"}', '', 'R1')
                    """, arguments: [source, id])
            }
        }
        try queue.close()

        let base = try ProspectBase(path: path)   // runs the later migrations
        XCTAssertEqual(try base.integrityCheck(), "ok")
        let previous = try base.previous()
        XCTAssertEqual(previous.records.count, 2)
        XCTAssertEqual(previous.records.map(\.key), ["crm\u{1F}CRM-1", "salon\u{1F}SL-1"], "identity from source and id")
        XCTAssertEqual(previous.records[0].goldenID, "G0000000000000001")
        XCTAssertEqual(previous.records[0].raw.string(CanonicalField.email.rawValue), "Marc@Olivier.fr", "raw values read back")
        XCTAssertEqual(previous.records[0].extras.first?.0, "Lead Source")
        XCTAssertTrue(previous.issuedIDs.contains("G0000000000000001"), "the registry knows the IDs the old base issued")
        let snapshot = try XCTUnwrap(previous.golden["G0000000000000001"])
        XCTAssertEqual(snapshot.values.string(CanonicalField.firstName.rawValue), "Marc")
        XCTAssertEqual(snapshot.values.string(GoldenSnapshot.keys.count - 1), "rhone", "segments")
        XCTAssertNil(snapshot.values.string(CanonicalField.establishmentID.rawValue), "a column added later is empty")
    }

    func test_a_damaged_stored_record_stops_the_read_with_its_row() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tamis-damaged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("base.sqlite").path
        let base = try ProspectBase(path: path)
        try base.queue.write { db in
            try db.execute(sql: """
                INSERT INTO source_records (source, source_id, file, line, status, raw_json, extras_json, quality, run_id, record_key)
                VALUES ('crm', 'CRM-1', 'f.csv', 2, 'kept', '{"first_name":"Marc"', '{}', '', 'R1', 'crm\u{1F}CRM-1')
                """)
        }
        XCTAssertThrowsError(try base.previous()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), text)
            XCTAssertTrue(text.contains("source_records row 1: raw_json is not a JSON object"), text)
            XCTAssertTrue(text.contains("--rebuild"), text)
        }
    }
}
