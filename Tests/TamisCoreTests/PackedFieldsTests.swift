import XCTest
@testable import TamisCore

/// Several values replaced at once (the SIRENE stage writes a status, a closing date and a
/// successor in one copy of the record).
extension PackedFieldsTests {
    /// The values of `fields`, as strings ("" for missing).
    func valueStrings(_ fields: PackedFields) -> [String] {
        (0..<fields.count).map { fields.string($0) ?? "" }
    }

    func packed(_ values: [String]) -> PackedFields {
        var builder = PackedFields.Builder(count: values.count)
        for value in values { builder.append(Array(value.utf8)) }
        return builder.finish()
    }

    /// `allValues` hands each value in order, as `withBytes` gives it, with 16- and 32-bit
    /// offsets, and stops at the first value the predicate refuses.
    func test_all_values_are_visited_in_order_and_the_visit_stops_at_a_refusal() {
        for values in [["Jean", "", "Dupont", "é", ""], ["", String(repeating: "x", count: 70_000), "a", ""], [], [""]] {
            let fields = packed(values)
            var seen: [String] = []
            XCTAssertTrue(fields.allValues { i, value in
                XCTAssertEqual(i, seen.count)
                seen.append(String(decoding: value, as: UTF8.self))
                return true
            })
            XCTAssertEqual(seen, values)
            var visited = 0
            let refuseSecond = fields.allValues { i, _ in visited += 1; return i != 1 }
            XCTAssertEqual(refuseSecond, values.count < 2, "\(values.count) values")
            XCTAssertEqual(visited, min(values.count, 2))
        }
    }

    func test_several_replacements_equal_one_after_another_the_last_winning() {
        var generator = SystemRandomNumberGenerator()
        let words = ["", "a", "Dupont", "62.01Z", "closed", "2019-03-31", "Société Générale des Eaux", "é"]
        for round in 0..<2000 {
            let count = Int.random(in: 1...12, using: &generator)
            var original = (0..<count).map { _ in words.randomElement(using: &generator)! }
            if round % 50 == 0 {
                // Over 64 KiB: 32-bit offsets, before or after the replacement.
                original[0] = String(repeating: "x", count: 70_000)
            }
            let fields = packed(original)
            let changes: [(Int, String)] = (0..<Int.random(in: 1...5, using: &generator)).map { _ in
                // Some indices out of range: ignored, as by the single replacement.
                (Int.random(in: -1...count, using: &generator),
                 Bool.random(using: &generator) ? words.randomElement(using: &generator)! : String(repeating: "y", count: 70_000 * (round % 97 == 0 ? 1 : 0)))
            }
            var expected = fields
            for (field, value) in changes { expected = expected.replacing(field, with: Array(value.utf8)) }
            let replaced = fields.replacing(changes.map { ($0.0, $0.1.utf8) })
            XCTAssertEqual(valueStrings(replaced), valueStrings(expected), "round \(round): \(changes.map { ($0.0, $0.1.prefix(10)) })")
            // Equal values have equal storage (one offset width per size).
            XCTAssertTrue(replaced == expected, "round \(round)")
        }
    }

    func test_replacing_nothing_keeps_the_values() {
        let fields = packed(["a", "", "b"])
        XCTAssertEqual(valueStrings(fields.replacing([(Int, [UInt8])]())), ["a", "", "b"])
        XCTAssertEqual(valueStrings(fields.replacing([(1, Array("x".utf8)), (1, Array("yz".utf8))])), ["a", "yz", "b"])
    }
}

/// A value replaced in place, without allocating, when there is room.
extension PackedFieldsTests {
    func test_replacing_in_place_equals_a_copy_and_leaves_shared_values_alone() {
        var generator = SystemRandomNumberGenerator()
        let words = ["", "a", "active", "Dupont", "2019-03-31", "Société Générale des Eaux", "é"]
        for round in 0..<2000 {
            let count = Int.random(in: 1...10, using: &generator)
            var original = (0..<count).map { _ in words.randomElement(using: &generator)! }
            if round % 40 == 0 { original[0] = String(repeating: "x", count: Int.random(in: 65_400...65_600, using: &generator)) }
            let lengths = original.map { $0.utf8.count }
            let spare = Int.random(in: 0...20, using: &generator)
            func make() -> PackedFields {
                lengths.withUnsafeBufferPointer { lengths in
                    PackedFields(lengths: lengths, spareBytes: spare) { i, destination in
                        _ = destination.initialize(from: Array(original[i].utf8))
                    }
                }
            }
            let fields = make()
            XCTAssertEqual(valueStrings(fields), original)
            let field = Int.random(in: 0..<count, using: &generator)
            let value = words.randomElement(using: &generator)!
            let expected = fields.replacing(field, with: Array(value.utf8))
            // Shared: the other holder keeps its values.
            var shared = fields
            shared.replace(field, with: value.utf8)
            XCTAssertTrue(shared == expected, "round \(round)")
            XCTAssertEqual(valueStrings(fields), original, "round \(round): a shared value changed")
            // Own storage: in place when it fits, the same values and storage either way.
            var own = make()
            own.replace(field, with: value.utf8)
            XCTAssertTrue(own == expected, "round \(round)")
            own.replace(field, with: original[field].utf8)
            XCTAssertEqual(valueStrings(own), original, "round \(round): back to the original")
        }
    }

    func test_a_short_value_is_written_in_place_in_the_spare_bytes() {
        let lengths = [4, 0, 3, 0]
        var fields = lengths.withUnsafeBufferPointer { lengths in
            PackedFields(lengths: lengths, spareBytes: 16) { i, destination in
                _ = destination.initialize(from: Array((i == 0 ? "Jean" : "fin").utf8))
            }
        }
        let before = fields.withValueBytes { $0.baseAddress }
        fields.replace(3, with: "active".utf8)
        fields.replace(1, with: "x".utf8)
        XCTAssertEqual(valueStrings(fields), ["Jean", "x", "fin", "active"])
        XCTAssertEqual(fields.withValueBytes { $0.baseAddress }, before, "no new allocation")
    }

    func test_a_value_that_crosses_64_kib_widens_the_offsets_even_with_room() {
        // Two bytes under the 16-bit limit (a header of 3 offsets), 16 spare bytes.
        let lengths = [PackedFields.narrowLimit - 6 - 2, 0]
        var fields = lengths.withUnsafeBufferPointer { lengths in
            PackedFields(lengths: lengths, spareBytes: 16) { _, destination in destination.initialize(repeating: 0x61) }
        }
        XCTAssertFalse(fields.wide)
        let expected = fields.replacing(1, with: Array("active".utf8))
        fields.replace(1, with: "active".utf8)
        XCTAssertTrue(fields.wide)
        XCTAssertTrue(fields == expected, "the storage a copy would have")
        XCTAssertEqual(fields.string(1), "active")
    }
}

/// The field counts the hot paths read as constants.
final class CanonicalFieldTests: XCTestCase {
    func test_field_counts_are_the_cases_and_the_derived_fields_come_last() {
        XCTAssertEqual(CanonicalField.count, CanonicalField.allCases.count)
        XCTAssertEqual(CanonicalField.sourceFieldCount, CanonicalField.sourceFields.count)
        XCTAssertEqual(CanonicalField.sourceFields, Array(CanonicalField.allCases.prefix(CanonicalField.sourceFieldCount)))
        XCTAssertTrue(CanonicalField.allCases.dropFirst(CanonicalField.sourceFieldCount).allSatisfy(\.isDerived))
    }
}
