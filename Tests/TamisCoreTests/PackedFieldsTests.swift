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
            XCTAssertEqual(replaced, expected, "round \(round)")
        }
    }

    func test_replacing_nothing_keeps_the_values() {
        let fields = packed(["a", "", "b"])
        XCTAssertEqual(valueStrings(fields.replacing([(Int, [UInt8])]())), ["a", "", "b"])
        XCTAssertEqual(valueStrings(fields.replacing([(1, Array("x".utf8)), (1, Array("yz".utf8))])), ["a", "yz", "b"])
    }
}
