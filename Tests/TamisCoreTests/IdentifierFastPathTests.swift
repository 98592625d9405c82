import XCTest
@testable import TamisCore

/// The normaliser reads the common SIRET cell (14 plain digits, no SIREN column) on the
/// stack; every other cell goes the general way. Both must give the same record.
final class IdentifierFastPathTests: XCTestCase {
    /// A valid SIRET from 13 random digits: the last digit chosen so that the Luhn sum of the
    /// SIREN and of the whole number work out (tried until both do).
    func validSiret(_ rng: inout SplitMix64) -> String {
        while true {
            let digits = (0..<13).map { _ in UInt8(0x30 + rng.next() % 10) }
            for last in UInt8(0x30)...0x39 where SiretNumber.isValidSiret(digits + [last]) {
                return String(decoding: digits + [last], as: UTF8.self)
            }
        }
    }

    func test_the_plain_siret_fast_path_gives_what_the_general_path_gives() {
        var rng = SplitMix64(seed: 77)
        var cells: [(siret: String, siren: String)] = []
        for _ in 0..<400 {
            let siret = validSiret(&rng)
            let spaced = "\(siret.prefix(3)) \(siret.dropFirst(3).prefix(3)) \(siret.dropFirst(6).prefix(3)) \(siret.suffix(5))"
            cells += [(siret, ""), (spaced, ""), (" \(siret) ", ""), (siret, String(siret.prefix(9))), (String(siret.dropFirst()), "")]
            var wrong = Array(siret.utf8)
            wrong[13] = wrong[13] == 0x39 ? 0x30 : wrong[13] + 1
            cells.append((String(decoding: wrong, as: UTF8.self), ""))
        }
        // La Poste's establishments (their own check), placeholders, other lengths and forms.
        for n in 0..<50 { cells.append(("35600000\(String(format: "%06d", n * 7))", "")) }
        cells += [("00000000000000", ""), ("11111111111111", ""), ("4.4229377500015E+13", ""), ("443 121 975 00015 0", ""),
                  ("SIRET : 44312197500015", ""), ("443121975", ""), ("", ""), ("1234567890123456", ""), ("44312197500015", "999999999")]
        let normalizer = RecordNormalizer(reference: ReferenceData(), options: NormalizeOptions(vatNumber: true))
        let plain = RecordNormalizer(reference: ReferenceData(), options: NormalizeOptions(vatNumber: false))
        var fast = 0
        for cell in cells {
            var builder = PackedFields.Builder(count: CanonicalField.count)
            for field in CanonicalField.allCases {
                builder.append(Array((field == .siret ? cell.siret : field == .siren ? cell.siren : "").utf8))
            }
            let raw = builder.finish()
            for normalizer in [normalizer, plain] {
                var viaFastPath = FieldValues(raw)
                var general = FieldValues(raw)
                normalizer.normalizeIdentifiers(raw, &viaFastPath)
                normalizer.normalizeIdentifiers(raw, &general, fastPath: false)
                XCTAssertEqual(viaFastPath.packed(), general.packed(), "\(cell)")
                XCTAssertEqual(viaFastPath.qualities, general.qualities, "\(cell)")
            }
            var probe = FieldValues(raw)
            if RecordNormalizer.plainSiret(raw, vatNumber: true, &probe) { fast += 1 }
        }
        XCTAssertGreaterThan(fast, 1_000, "the fast path is taken for plain valid SIRETs")
        XCTAssertLessThan(fast, cells.count - 500, "and not for the rest")
    }
}

/// The e-mail checks' shortcut: a domain ending in .fr or .com is never a TLD typo, which holds
/// only while no typo of the list ends that way (nor is the end of ".fr"/".com" itself).
final class EmailShortcutTests: XCTestCase {
    func test_no_tld_typo_can_end_a_fr_or_com_domain() {
        for (typo, _) in EmailAddress.tldTypos {
            let text = typo.description
            for common in [".fr", ".com"] {
                XCTAssertFalse(text.hasSuffix(common) || common.hasSuffix(text), "\(text) against \(common)")
            }
        }
        // And the shortcut leaves the typos found.
        for (domain, fixed) in [("orange.fe", "orange.fr"), ("societe.frr", "societe.fr"), ("x.con", "x.com"), ("x.om", "x.com")] {
            let found = Array(domain.utf8).withUnsafeBufferPointer { EmailAddress.tldTypo($0) }
            XCTAssertEqual(found.map { String(decoding: Array(domain.utf8).dropLast($0.0) + $0.1, as: UTF8.self) }, fixed)
        }
        XCTAssertNil(Array("societe.fr".utf8).withUnsafeBufferPointer { EmailAddress.tldTypo($0) })
    }
}

final class PhoneTypeLiteralTests: XCTestCase {
    /// The type written to records (a literal) is the type's raw value, for every type.
    func test_each_phone_type_writes_its_raw_value() {
        for type in [PhoneType.fixed, .mobile, .voip, .special, .unknown] {
            XCTAssertEqual(type.literal.description, type.rawValue)
        }
    }
}

/// A phone result keeps its E.164 bytes in place and its rare parts in a box: read back, it
/// gives what was set, whatever the order, and stays a value.
final class PhoneResultStorageTests: XCTestCase {
    func test_parts_read_back_as_set_in_any_order() {
        var result = PhoneResult(type: .fixed, quality: .valid)
        XCTAssertNil(result.e164)
        result.e164 = "+33142685300"
        result.fileExtension = "123"
        result.second = Array("0612345678".utf8)
        XCTAssertEqual(result.e164, "+33142685300")
        XCTAssertEqual(result.fileExtension, "123")
        XCTAssertEqual(result.second, Array("0612345678".utf8))
        // The longest E.164 form in place, a longer text in the box, then back.
        result.e164 = "+123456789012345"
        XCTAssertEqual(result.e164, "+123456789012345")
        result.e164 = "+1234567890123456789"
        XCTAssertEqual(result.e164, "+1234567890123456789")
        XCTAssertEqual(result.withE164 { String(decoding: $0, as: UTF8.self) }, "+1234567890123456789")
        XCTAssertEqual(result.fileExtension, "123", "the other parts stay")
        result.e164 = "+262262123456"
        XCTAssertEqual(result.e164, "+262262123456")
        XCTAssertEqual(result.second, Array("0612345678".utf8))
        result.e164 = nil
        XCTAssertNil(result.e164)
        XCTAssertTrue(result.withE164 { $0.isEmpty })
    }

    func test_copies_are_values_and_equality_reads_the_parts() {
        let original = PhoneResult(e164: "+33612345678", type: .mobile, quality: .valid, fileExtension: "12")
        var copy = original
        copy.fileExtension = "99"
        XCTAssertEqual(original.fileExtension, "12", "changing a copy leaves the original alone")
        XCTAssertNotEqual(copy, original)
        copy.fileExtension = "12"
        XCTAssertEqual(copy, original)
        var built = PhoneResult(type: .mobile, quality: .valid)
        built.fileExtension = "12"
        built.e164 = "+33612345678"
        XCTAssertEqual(built, original)
        built.e164 = "+33612345679"
        XCTAssertNotEqual(built, original)
        var codeOnly = PhoneResult(type: .unknown, quality: .valid)
        codeOnly.setE164(33, UnsafeBufferPointer(start: nil, count: 0))
        XCTAssertEqual(codeOnly.e164, "+33")
    }
}

/// The phone placeholder check settles most numbers by their first digits: it agrees with
/// its plain definition on fillers, near-fillers and random numbers.
final class PhonePlaceholderTests: XCTestCase {
    func test_placeholder_check_equals_its_plain_definition() {
        func plain(_ d: [UInt8]) -> Bool {
            d.dropFirst().allSatisfy { $0 == d[1] } || d == Array("0123456789".utf8)
                || (0..<5).allSatisfy { d[2 * $0] == d[0] && d[2 * $0 + 1] == d[1] }
        }
        var rng = SplitMix64(seed: 5)
        var numbers = ["0000000000", "0111111111", "0123456789", "0606060606", "0101010101", "0123456788",
                       "0606060607", "0611111111", "0122222222", "0612345678"].map { Array($0.utf8) }
        for _ in 0..<20_000 {
            // Random, or a filler with one digit changed.
            var d = (0..<10).map { _ in UInt8(0x30 + rng.next() % 10) }
            if rng.next() % 2 == 0 {
                d = rng.pick(Array(numbers.prefix(5)))
                d[rng.int(0...9)] = UInt8(0x30 + rng.next() % 10)
            }
            numbers.append(d)
        }
        for d in numbers {
            XCTAssertEqual(d.withUnsafeBufferPointer { FrenchPhone.isPlaceholder($0) }, plain(d), String(decoding: d, as: UTF8.self))
        }
    }
}

/// The last "@" of an address, found eight bytes at a time from the end, is `lastIndex(of:)`'s.
final class EmailAtSignTests: XCTestCase {
    func test_last_at_sign_equals_last_index() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<20_000 {
            let bytes: [UInt8] = (0..<rng.int(0...40)).map { _ in rng.next() % 6 == 0 ? 0x40 : UInt8(0x61 + rng.next() % 3) }
            XCTAssertEqual(bytes.withUnsafeBufferPointer { EmailAddress.lastAt($0) }, bytes.lastIndex(of: 0x40), "\(bytes)")
        }
    }
}
