import XCTest
@testable import TamisCore

final class GoldenIDAssignmentTests: XCTestCase {
    /// Records 0…n with their golden ID in the base (nil: new record).
    func assign(_ clusters: [[Int]], previous: [Int: String], issued: Set<String> = [], merged: Set<String> = []) -> GoldenIDAssignment {
        GoldenIDAssignment.assign(clusters: clusters, previousID: { previous[$0] }, newIDs: clusters.map { "Gnew\($0[0])" },
                                  issued: issued.union(previous.values), merged: merged)
    }

    func test_a_cluster_keeps_the_id_its_records_had() {
        let result = assign([[2, 0], [1]], previous: [0: "GA", 2: "GA", 1: "GB"])
        XCTAssertEqual(result.ids, ["GA", "GB"])
        XCTAssertEqual(result.merges, [])
    }

    func test_two_existing_records_joined_keep_the_majority_id_and_record_the_merge() {
        // Cluster of 0,1 (were GB) and 2 (was GA): GB has two records, it survives.
        XCTAssertEqual(assign([[2, 0, 1]], previous: [0: "GB", 1: "GB", 2: "GA"]),
                       GoldenIDAssignment(ids: ["GB"], merges: [GoldenMerge(from: "GA", into: "GB")]))
        // A tie goes to the smaller ID, whatever the order of the records.
        XCTAssertEqual(assign([[1, 0]], previous: [0: "GZ", 1: "GC"]).ids, ["GC"])
        XCTAssertEqual(assign([[0, 1]], previous: [0: "GZ", 1: "GC"]).ids, ["GC"])
    }

    func test_a_split_gives_the_id_to_the_larger_part_and_a_new_id_to_the_other() {
        let result = assign([[0], [1, 2]], previous: [0: "GA", 1: "GA", 2: "GA"])
        XCTAssertEqual(result.ids, ["Gnew0", "GA"])
        // Equal parts: the cluster read first keeps it.
        XCTAssertEqual(assign([[3], [4]], previous: [3: "GA", 4: "GA"]).ids, ["GA", "Gnew4"])
    }

    func test_new_ids_never_reuse_an_issued_or_merged_id() {
        let result = assign([[0], [1]], previous: [1: "GM"], issued: ["Gnew0", "Gnew0-2"], merged: ["GM"])
        XCTAssertEqual(result.ids[0], "Gnew0-3", "issued before: a suffix makes it unique")
        XCTAssertEqual(result.ids[1], "Gnew1", "a merged ID is never revived")
    }

    func test_two_new_clusters_with_the_same_hash_id_get_distinct_ids() {
        // Two founding records whose hash IDs collide (or a source repeating an id).
        let result = GoldenIDAssignment.assign(clusters: [[0], [1], [2]], previousID: { _ in nil },
                                               newIDs: ["Gsame", "Gsame", "Gsame"], issued: [], merged: [])
        XCTAssertEqual(result.ids, ["Gsame", "Gsame-2", "Gsame-3"])
        // A kept ID is never given again as a new one, nor is an issued one.
        let kept = GoldenIDAssignment.assign(clusters: [[0], [1]], previousID: { $0 == 1 ? "Gsame" : nil },
                                             newIDs: ["Gsame", "Gother"], issued: ["Gsame", "Gsame-2"], merged: [])
        XCTAssertEqual(kept.ids, ["Gsame-3", "Gsame"])
    }

    func test_reading_records_back_gives_the_same_keys() {
        let raw = PackedFields(count: CanonicalField.count).replacing(CanonicalField.email.rawValue, with: Array("a@b.fr".utf8))
        let withID = ProspectRecord(origin: RecordOrigin(sourceIndex: 0, sourceID: "c1", fileIndex: 0, line: 2), raw: raw,
                                    extras: PackedFields(count: 0))
        let positional = ProspectRecord(origin: RecordOrigin(sourceIndex: 0, sourceID: "f.csv#1", fileIndex: 0, line: 2, hasOwnID: false),
                                        raw: raw, extras: PackedFields(count: 0))
        let keys = RecordIdentity.keys(for: [withID, withID, positional], sources: [SourceInfo(name: "crm", trust: 1)])
        XCTAssertEqual(keys[0], "crm\u{1F}c1")
        XCTAssertEqual(keys[1], "crm\u{1F}c1#2", "a repeated id is numbered in reading order")
        XCTAssertTrue(keys[2].hasPrefix("crm\u{1F}~"), "a record without an id is known by its content")
        let moved = ProspectRecord(origin: RecordOrigin(sourceIndex: 0, sourceID: "g.csv#9", fileIndex: 1, line: 40, hasOwnID: false),
                                   raw: raw, extras: PackedFields(count: 0))
        XCTAssertEqual(RecordIdentity.keys(for: [moved], sources: [SourceInfo(name: "crm", trust: 1)])[0], keys[2],
                       "the same values in another file or line are the same record")
    }

    /// Keys made knowing the records up front (only possible repeats counted) are the keys
    /// made counting every one: repeated ids, repeated contents, a third repeat, two sources.
    func test_keys_counted_only_for_possible_repeats_are_the_same_keys() {
        let sources = [SourceInfo(name: "crm", trust: 1), SourceInfo(name: "salon", trust: 1)]
        var records: [ProspectRecord] = []
        var generator = SystemRandomNumberGenerator()
        for n in 0..<2000 {
            let email = "p\(Int.random(in: 0..<300, using: &generator))@b.fr"
            let raw = PackedFields(count: CanonicalField.count).replacing(CanonicalField.email.rawValue, with: Array(email.utf8))
            let ownID = n % 3 != 0
            let id = ownID ? "c\(Int.random(in: 0..<900, using: &generator))" : "f.csv#\(n)"
            records.append(ProspectRecord(origin: RecordOrigin(sourceIndex: n % 2, sourceID: id, fileIndex: 0, line: n + 2, hasOwnID: ownID),
                                          raw: raw, extras: PackedFields(count: 0)))
        }
        let counted = RecordIdentity.keys(for: records, sources: sources)
        var known = RecordIdentity.Keys(sources: sources, records: records)
        XCTAssertEqual(records.map { known.next($0) }, counted)
        XCTAssertTrue(counted.contains { $0.hasSuffix("#3") }, "the data has third repeats")
        XCTAssertEqual(Set(counted).count, counted.count)
    }

    func test_changes_are_listed_by_kind_then_golden_id_then_field_order() {
        func golden(_ id: String, _ values: [CanonicalField: String]) -> GoldenRecord {
            var fields = PackedFields(count: CanonicalField.count)
            for (field, value) in values { fields = fields.replacing(field.rawValue, with: Array(value.utf8)) }
            return GoldenRecord(id: id, members: [], fields: fields)
        }
        var previous = PreviousBase()
        for record in [golden("G2", [.email: "old@b.fr", .firstName: "Ann"]), golden("G1", [.email: "x@b.fr"]),
                       golden("G5", [:]), golden("G4", [:])] {
            previous.golden[record.id] = BaseDiff.snapshot(record)
            previous.goldenSince[record.id] = "run-1"
        }
        var state = RunState(sources: [])
        // Read in an order that is none of the expected ones.
        state.golden = [golden("G9", [:]), golden("G2", [.email: "new@b.fr", .firstName: "Anne"]), golden("G3", [:]),
                        golden("G1", [.email: "x@b.fr"])]
        state.goldenMerges = [GoldenMerge(from: "G5", into: "G1")]
        let changes = BaseDiff.compute(previous: previous, state: &state)
        XCTAssertEqual(changes.map { "\($0.kind.rawValue) \($0.goldenID) \($0.field ?? "")" },
                       ["new G3 ", "new G9 ", "updated G2 first_name", "updated G2 email", "merged G5 ", "removed G4 "])
        XCTAssertEqual(changes[3].oldValue, "old@b.fr")
        XCTAssertEqual(changes[3].newValue, "new@b.fr")
        XCTAssertEqual(state.golden[3].since, "run-1", "an unchanged golden record keeps the run that last changed it")
        XCTAssertNil(state.golden[1].since)
    }

    /// Golden IDs sorted through their first 16 bytes come out in `String` order, including
    /// IDs that share those 16 bytes (suffixes), prefixes of each other, and short ones.
    func test_ids_sorted_by_prefix_keys_are_in_string_order() {
        var rng = SplitMix64(seed: 5)
        var ids = ["G", "", "G0", "Gffffffffffffffff", "Gffffffffffffffff-2", "Gffffffffffffffff-10", "G0123456789abcdef",
                   "G0123456789abcde", "G0123456789abcdef-2", "Ezz", "H"]
        let hex = Array("0123456789abcdef")
        for _ in 0..<2_000 {
            var id = "G" + String((0..<Int(rng.next() % 17)).map { _ in hex[Int(rng.next() % 16)] })
            if rng.next() % 5 == 0 { id += "-\(rng.next() % 12)" }
            ids.append(id)
        }
        XCTAssertEqual(StringPrefixKey.sortedIndices(ids).map { ids[$0] }, ids.sorted())
    }
}
