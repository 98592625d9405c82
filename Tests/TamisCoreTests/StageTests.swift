@testable import TamisCore
import XCTest

/// Builds records the way the readers do, for stage tests.
func makeRecord(source: Int = 0, id: String, line: Int = 1, _ values: [CanonicalField: String]) -> ProspectRecord {
    var builder = PackedFields.Builder(count: CanonicalField.count)
    for field in CanonicalField.allCases { builder.append(Array((values[field] ?? "").utf8)) }
    return ProspectRecord(origin: RecordOrigin(sourceIndex: source, sourceID: id, fileIndex: 0, line: line),
                          raw: builder.finish(), extras: PackedFields(count: 0))
}

func makeState(_ records: [ProspectRecord], trusts: [Int] = [5, 5]) -> RunState {
    var state = RunState(sources: trusts.enumerated().map { SourceInfo(name: "s\($0.offset)", trust: $0.element) },
                         files: ["in.csv"])
    for record in records { state.append(record) }
    return state
}

final class NormalizeStageTests: XCTestCase {
    /// The sixteen- and eight-bytes-at-a-time checks never miss what cleaning would change (a
    /// control character, two spaces in a row, a byte that may start a no-break space), at any
    /// position of 200,000 random strings, and do not answer "maybe" to every clean one.
    func test_white_space_check_misses_nothing_cleaning_would_change() {
        let alphabet: [UInt8] = [0x61, 0x7A, 0x20, 0x20, 0x21, 0x09, 0x0A, 0x0D, 0x00, 0x01, 0x1F, 0xC2, 0xA0, 0xE2, 0x80, 0xAF, 0xC3, 0xA9, 0x7F, 0xFF]
        var random = SplitMix64(seed: 11)
        var clean = 0, cleanSaidClean = 0
        for _ in 0..<200_000 {
            let length = Int(random.next() % 71)
            // Mostly letters, so that clean strings of every length are drawn too.
            let bytes: [UInt8] = (0..<length).map { _ in random.next() % 4 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : 0x61 }
            let needsCleaning = bytes.indices.contains { i in
                bytes[i] < 0x20 || bytes[i] == 0xC2 || bytes[i] == 0xE2 || (bytes[i] == 0x20 && i > 0 && bytes[i - 1] == 0x20)
            }
            let maybe = bytes.withUnsafeBufferPointer { Bytes.mayHoldWhiteSpaceToCollapse($0) }
            // The word-at-a-time scan (where SSE2 is missing) misses nothing either.
            let wordMaybe = bytes.withUnsafeBufferPointer { Bytes.mayHoldWhiteSpaceToCollapseEightAtATime($0) }
            if needsCleaning {
                XCTAssertTrue(maybe, "\(bytes)")
                XCTAssertTrue(wordMaybe, "\(bytes)")
            } else {
                clean += 1
                if !maybe { cleanSaidClean += 1 }
            }
        }
        XCTAssertGreaterThan(clean, 10_000)
        XCTAssertGreaterThan(cleanSaidClean, clean * 9 / 10, "few false alarms")
    }

    func test_white_space_is_trimmed_and_collapsed_and_emails_lower_cased() throws {
        var state = makeState([makeRecord(id: "1", [
            .lastName: "  Dupré\u{00A0}\u{00A0}Lefèvre \r\n",
            .email: " JP.Dupre @Boulangerie.FR ",
            .companyName: "Boulangerie\tLefèvre",
        ])])
        let counts = try NormalizeStage().run(&state, progress: SilentProgress())
        let record = state.records[0]
        XCTAssertEqual(record[.lastName], "Dupré Lefèvre")
        XCTAssertEqual(record[.email], "jp.dupre@boulangerie.fr")
        XCTAssertEqual(record[.companyName], "Boulangerie Lefèvre")
        XCTAssertEqual(record.rawValue(.lastName), "  Dupré\u{00A0}\u{00A0}Lefèvre \r\n", "the raw value is kept untouched")
        XCTAssertEqual(counts.details["records_changed"], 1)
    }
}

final class DeduplicateStageTests: XCTestCase {
    func normalizedState(_ records: [ProspectRecord], trusts: [Int] = [5, 5]) throws -> RunState {
        var state = makeState(records, trusts: trusts)
        _ = try NormalizeStage().run(&state, progress: SilentProgress())
        return state
    }

    func test_same_email_in_other_case_is_merged_and_others_kept() throws {
        var state = try normalizedState([
            makeRecord(id: "a", [.email: "Jean@ACME.fr", .firstName: "Jean"]),
            makeRecord(id: "b", [.email: "paul@acme.fr"]),
            makeRecord(source: 1, id: "c", [.email: "jean@acme.fr", .phone: "0478000000"]),
            makeRecord(id: "d", [.lastName: "Sans e-mail"]),
            makeRecord(id: "e", [.lastName: "Sans e-mail"]),
        ])
        let counts = try DeduplicateStage().run(&state, progress: SilentProgress())
        XCTAssertEqual(state.golden.count, 4, "records without e-mail are never merged by the exact stage")
        XCTAssertEqual(state.outcomes.map(\.disposition), [.kept, .kept, .merged, .kept, .kept])
        XCTAssertEqual(state.outcomes[2].goldenIndex, state.outcomes[0].goldenIndex)
        XCTAssertEqual(state.outcomes[2].reason?.code, "duplicate")
        let merged = state.golden[state.outcomes[0].goldenIndex!]
        XCTAssertEqual(merged[.firstName], "Jean")
        XCTAssertEqual(merged[.phone], "0478000000", "an empty field is filled from another member")
        XCTAssertEqual(counts.details["merged"], 1)
    }

    func test_most_trusted_source_wins_survivorship() throws {
        var state = try normalizedState([
            makeRecord(source: 0, id: "salon", [.email: "h@x.fr", .companyName: "Cabinet Martin et Ass."]),
            makeRecord(source: 1, id: "crm", [.email: "H@X.FR", .companyName: "Cabinet Martin & Associés"]),
        ], trusts: [3, 8])
        _ = try DeduplicateStage().run(&state, progress: SilentProgress())
        XCTAssertEqual(state.golden.count, 1)
        XCTAssertEqual(state.golden[0][.companyName], "Cabinet Martin & Associés")
        XCTAssertEqual(state.golden[0].members, [1, 0], "the survivor comes first")
        XCTAssertEqual(state.outcomes[1].disposition, .kept)
        XCTAssertEqual(state.outcomes[0].disposition, .merged)
    }

    func test_golden_ids_are_the_same_on_every_run_and_unique() throws {
        func ids() throws -> [String] {
            var state = try normalizedState([
                makeRecord(id: "dup", [.email: "a@x.fr"]),
                makeRecord(id: "dup", [.email: "b@x.fr"]),  // same source id twice in a source
                makeRecord(id: "other", [.email: "c@x.fr"]),
            ])
            _ = try DeduplicateStage().run(&state, progress: SilentProgress())
            return state.golden.map(\.id)
        }
        let first = try ids()
        XCTAssertEqual(first, try ids())
        XCTAssertEqual(Set(first).count, 3)
        XCTAssertTrue(first[1].hasSuffix("-2"))
    }

    func test_excluded_records_are_not_merged_into_golden_records() throws {
        var state = try normalizedState([
            makeRecord(id: "a", [.email: "a@x.fr", .jobTitle: "Stagiaire"]),
            makeRecord(id: "b", [.email: "a@x.fr"]),
        ])
        let rule = ExclusionRule(name: "students", reasonCode: "student",
                                 conditions: [try FieldCondition(field: .jobTitle, op: .in, values: ["stagiaire", "étudiant"])])
        _ = try ExcludeStage(rules: [rule]).run(&state, progress: SilentProgress())
        _ = try DeduplicateStage().run(&state, progress: SilentProgress())
        XCTAssertEqual(state.outcomes[0].disposition, .excluded)
        XCTAssertEqual(state.outcomes[0].reason?.code, "student")
        XCTAssertNil(state.outcomes[0].goldenIndex)
        XCTAssertEqual(state.golden.map(\.members), [[1]])
        let balance = LineageBalance(entries: state.lineage(), inputs: state.inputCount)
        XCTAssertTrue(balance.holds)
        XCTAssertEqual(balance.excluded, 1)
        XCTAssertEqual(balance.kept, 1)
    }
}

final class ConditionAndSegmentTests: XCTestCase {
    func test_conditions_ignore_accents_and_case() throws {
        let fields = makeRecord(id: "1", [.jobTitle: "ÉTUDIANTE", .postalCode: "69002", .city: "Lyon"]).raw
        XCTAssertTrue(try FieldCondition(field: .jobTitle, op: .in, values: ["Étudiant", "étudiante"]).matches(fields))
        XCTAssertFalse(try FieldCondition(field: .jobTitle, op: .equals, values: ["étudiant"]).matches(fields))
        XCTAssertTrue(try FieldCondition(field: .postalCode, op: .prefix, values: ["75", "69"]).matches(fields))
        XCTAssertTrue(try FieldCondition(field: .jobTitle, op: .contains, values: ["diant"]).matches(fields))
        XCTAssertTrue(try FieldCondition(field: .email, op: .missing).matches(fields))
        XCTAssertFalse(try FieldCondition(field: .email, op: .present).matches(fields))
        XCTAssertFalse(try FieldCondition(field: .email, op: .prefix, values: [""]).matches(fields), "a missing value matches no value test")
    }

    func test_segments_tag_golden_records_and_count_sizes_including_empty_ones() throws {
        var state = makeState([
            makeRecord(id: "1", [.email: "a@x.fr", .postalCode: "69002"]),
            makeRecord(id: "2", [.email: "b@x.fr", .postalCode: "75011"]),
            makeRecord(id: "3", [.email: "c@x.fr", .postalCode: "69100"]),
        ])
        _ = try DeduplicateStage().run(&state, progress: SilentProgress())
        let stage = SegmentStage(segments: [
            SegmentDefinition(name: "rhone", conditions: [try FieldCondition(field: .postalCode, op: .prefix, values: ["69"])]),
            SegmentDefinition(name: "corse", conditions: [try FieldCondition(field: .postalCode, op: .prefix, values: ["20"])]),
        ])
        let counts = try stage.run(&state, progress: SilentProgress())
        XCTAssertEqual(counts.details, ["rhone": 2, "corse": 0])
        XCTAssertEqual(state.golden.map(\.segments), [["rhone"], [], ["rhone"]])
    }
}
