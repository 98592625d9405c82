import Foundation
import TamisCore
import TamisIO
import XCTest

/// The real reference data of the repository, loaded once.
let repositoryReference: ReferenceData = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try! ReferenceDataLoader.load(directory: root.appendingPathComponent("data/refdata").path)
}()

func bytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    Array(text.utf8).withUnsafeBufferPointer(body)
}

final class SiretTests: XCTestCase {
    func parse(_ text: String) -> SiretNumber.Parsed { bytes(text) { SiretNumber.parse($0) } }
    func digits(_ value: [UInt8]?) -> String? { value.map { String(decoding: $0, as: UTF8.self) } }

    func test_spaces_dots_dashes_and_labels_are_removed() {
        for text in ["412 345 670 00019", "412.345.670.00019", "412-345-670-00019", "SIRET : 41234567000019", "N° 412 345 670 00019", "412\u{00A0}345\u{00A0}670\u{00A0}00019"] {
            let parsed = parse(text)
            XCTAssertEqual(digits(parsed.siret), "41234567000019", text)
            XCTAssertEqual(parsed.siretQuality, .valid, text)
        }
    }

    func test_lost_leading_zero_is_restored_only_when_the_checksum_passes() {
        XCTAssertEqual(digits(parse("5781313100026").siret), "05781313100026")
        XCTAssertEqual(parse("5781313100026").siretQuality, FieldQuality(.repaired, .leadingZerosRestored))
        XCTAssertNil(parse("5781313100027").siret)
        XCTAssertEqual(parse("5781313100027").siretQuality, FieldQuality(.invalid, .wrongLength))
    }

    func test_excel_scientific_notation_is_expanded_only_when_all_digits_are_there() {
        let full = parse("4.1234567000019E+13")
        XCTAssertEqual(digits(full.siret), "41234567000019")
        XCTAssertEqual(full.siretQuality, FieldQuality(.repaired, .scientificNotationExpanded))
        let french = parse("4,1234567000019E+13")
        XCTAssertEqual(digits(french.siret), "41234567000019")
        let truncated = parse("4.12345670E+13")
        XCTAssertNil(truncated.siret, "never expanded to 41234567000000")
        XCTAssertEqual(truncated.siretQuality, FieldQuality(.invalid, .scientificNotationTruncated))
        XCTAssertEqual(digits(truncated.siren), "412345670", "the SIREN digits survived")
    }

    func test_float_suffix_is_removed() {
        XCTAssertEqual(digits(parse("41234567000019.0").siret), "41234567000019")
        XCTAssertEqual(parse("41234567000019.0").siretQuality, FieldQuality(.repaired, .floatSuffixRemoved))
        XCTAssertEqual(digits(parse("41234567000019,0").siret), "41234567000019")
    }

    func test_siren_vat_and_rcs_in_the_siret_column_give_the_siren() {
        let siren = parse("732 829 320")
        XCTAssertNil(siren.siret)
        XCTAssertEqual(siren.siretQuality, FieldQuality(.missing, .sirenOnly))
        XCTAssertEqual(digits(siren.siren), "732829320")
        XCTAssertEqual(digits(parse("FR44732829320").siren), "732829320")
        XCTAssertEqual(parse("FR 44 732 829 320").sirenQuality, FieldQuality(.repaired, .sirenFromVAT))
        XCTAssertEqual(digits(parse("RCS Paris B 443 121 975").siren), "443121975")
        XCTAssertEqual(parse("RCS Paris B 443 121 975").sirenQuality, FieldQuality(.repaired, .sirenFromRCS))
    }

    func test_bad_checksum_and_placeholders_are_flagged_and_kept() {
        let bad = parse("41234567000018")
        XCTAssertNil(bad.siret)
        XCTAssertEqual(bad.siretQuality, FieldQuality(.invalid, .badChecksum))
        XCTAssertEqual(digits(bad.invalidDigits), "41234567000018")
        XCTAssertEqual(parse("00000000000000").siretQuality, FieldQuality(.invalid, .placeholder), "all zeros passes Luhn")
        XCTAssertEqual(parse("12345678901234").siretQuality, FieldQuality(.invalid, .placeholder))
        XCTAssertEqual(parse("4123456700001").siretQuality.status, .invalid)
        XCTAssertEqual(parse("ABC").siretQuality.status, .invalid)
    }

    func test_la_poste_exception() {
        XCTAssertTrue(SiretNumber.isValidSiret(Array("35600000009075".utf8)))
        XCTAssertTrue(SiretNumber.isValidSiret(Array("35600000049837".utf8)))
        XCTAssertFalse(SiretNumber.isValidSiret(Array("35600000049838".utf8)))
        XCTAssertTrue(SiretNumber.isValidSiret(Array("35600000000048".utf8)), "the head office passes Luhn")
    }

    func test_vat_number_key() {
        XCTAssertEqual(SiretNumber.vatNumber(siren: Array("732829320".utf8)), "FR44732829320")
        XCTAssertEqual(SiretNumber.vatNumber(siren: Array("443121975".utf8)), "FR46443121975")
        XCTAssertEqual(SiretNumber.vatNumber(siren: Array("404833048".utf8)), "FR83404833048")
        XCTAssertNil(SiretNumber.vatNumber(siren: Array("404833049".utf8)))
    }

    /// The one-pass checks on bytes give the answers of the plain definitions (several passes
    /// over any collection, as they were first written) on random cells of every length:
    /// digits, placeholders, La Poste's SIREN, other bytes.
    func test_siret_and_siren_checks_equal_their_plain_definitions() {
        func plainLuhn(_ digits: [UInt8]) -> Bool {
            var sum = 0, double = false
            for b in digits.reversed() {
                var d = Int(b &- 0x30)
                if double { d *= 2; if d > 9 { d -= 9 } }
                sum += d
                double.toggle()
            }
            return sum % 10 == 0
        }
        func plainPlaceholder(_ digits: [UInt8]) -> Bool {
            guard let first = digits.first else { return true }
            if digits.allSatisfy({ $0 == first }) { return true }
            return digits.elementsEqual(Array("12345678901234".utf8).prefix(digits.count))
                || digits.elementsEqual(Array("98765432109876".utf8).prefix(digits.count))
        }
        func plainSiren(_ digits: [UInt8]) -> Bool {
            digits.count == 9 && digits.allSatisfy(Bytes.isDigit) && !plainPlaceholder(digits) && plainLuhn(digits)
        }
        func plainSiret(_ digits: [UInt8]) -> Bool {
            guard digits.count == 14, digits.allSatisfy(Bytes.isDigit), !plainPlaceholder(digits) else { return false }
            if digits.starts(with: SiretNumber.laPosteSiren) {
                return plainLuhn(digits) || digits.reduce(0) { $0 + Int($1 - 0x30) } % 5 == 0
            }
            return plainLuhn(digits) && plainSiren(Array(digits.prefix(9)))
        }
        var rng = SystemRandomNumberGenerator()
        let seeds: [[UInt8]] = [[], Array("12345678901234".utf8), Array("98765432109876".utf8), Array("111111111".utf8),
                                Array("356000000".utf8), Array("1234567890123".utf8), Array("987654321".utf8),
                                Array("7".utf8), Array("12".utf8), Array("98".utf8), Array("123456789012345".utf8),
                                Array("1234567890124".utf8), Array("98765432109875".utf8), Array("00000000000000".utf8)]
        var valid = (siret: 0, siren: 0)
        for n in 0..<200_000 {
            var cell: [UInt8]
            switch n % 5 {
            case 0: cell = seeds[n % seeds.count]
            case 1: cell = Array("356000000".utf8) + (0..<5).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) }
            case 2: cell = (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0x2F...0x3A, using: &rng) }
            default: cell = (0..<[9, 14][n % 2]).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) }
            }
            if n % 7 == 0, !cell.isEmpty { cell[cell.count - 1] = (0...9).map { UInt8(0x30 + $0) }.first { plainLuhn(cell.dropLast() + [$0]) }! }
            XCTAssertEqual(SiretNumber.luhn(cell), plainLuhn(cell), String(decoding: cell, as: UTF8.self))
            XCTAssertEqual(SiretNumber.isPlaceholder(cell), plainPlaceholder(cell), String(decoding: cell, as: UTF8.self))
            XCTAssertEqual(SiretNumber.isValidSiren(cell), plainSiren(cell), String(decoding: cell, as: UTF8.self))
            XCTAssertEqual(SiretNumber.isValidSiret(cell), plainSiret(cell), String(decoding: cell, as: UTF8.self))
            XCTAssertEqual(SiretNumber.isValidSiret(cell[...]), plainSiret(cell), "as a slice")
            if plainSiret(cell) { valid.siret += 1 }
            if plainSiren(cell) {
                valid.siren += 1
                var value = 0
                for b in cell { value = value * 10 + Int(b - 0x30) }
                let key = (12 + 3 * (value % 97)) % 97
                XCTAssertEqual(SiretNumber.vatNumber(siren: cell), "FR" + (key < 10 ? "0" : "") + String(key) + String(decoding: cell, as: UTF8.self))
            } else {
                XCTAssertNil(SiretNumber.vatNumber(siren: cell))
            }
        }
        XCTAssertGreaterThan(valid.siret, 1_000, "valid SIRETs drawn, La Poste's among them")
        XCTAssertGreaterThan(valid.siren, 1_000)
    }

    /// Every generated valid SIRET passes; every single-digit change fails (Luhn catches all
    /// single-digit errors). La Poste's mod-5 rule is excluded: it cannot catch ±5 changes.
    func test_property_valid_sirets_pass_and_every_single_digit_change_fails() {
        var rng = SystemRandomNumberGenerator()
        func withCheckDigit(_ body: [UInt8]) -> [UInt8] {
            for d in 0...9 where SiretNumber.luhn(body + [UInt8(0x30 + d)]) { return body + [UInt8(0x30 + d)] }
            fatalError()
        }
        var checked = 0
        for _ in 0..<500 {
            let siren = withCheckDigit((0..<8).map { _ in UInt8(0x30 + Int.random(in: 0...9, using: &rng)) })
            if siren.starts(with: SiretNumber.laPosteSiren) || siren.allSatisfy({ $0 == siren[0] }) { continue }
            let siret = withCheckDigit(siren + (0..<4).map { _ in UInt8(0x30 + Int.random(in: 0...9, using: &rng)) })
            XCTAssertTrue(SiretNumber.isValidSiret(siret), String(decoding: siret, as: UTF8.self))
            for position in 0..<14 {
                for digit in 0...9 where UInt8(0x30 + digit) != siret[position] {
                    var changed = siret
                    changed[position] = UInt8(0x30 + digit)
                    XCTAssertFalse(SiretNumber.isValidSiret(changed), "\(String(decoding: changed, as: UTF8.self)) passed")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 50_000)
    }
}

final class NafTests: XCTestCase {
    let naf = repositoryReference.naf

    func normalize(_ text: String) -> NafResult { bytes(text) { naf.normalize($0) } }

    func test_reference_table_has_the_732_subclasses() {
        XCTAssertEqual(naf.subclassCount, 732)
    }

    /// The canonical form, read at once, gives what the general reading gives for the same
    /// code written another way: every sub-class of the table, in both cases, and codes near
    /// them (unknown ones, 2025 letters, a letter outside A-Z).
    func test_canonical_form_shortcut_equals_the_general_reading() {
        var codes = naf.subclasses.map(\.code)
        codes += naf.subclasses.map { $0.code.lowercased() }
        for first in ["00", "28", "62", "99"] {
            for letter in ["A", "B", "Y", "G", "L", "Z", "@", "[", "a", "y"] { codes.append("\(first).99\(letter)") }
        }
        for code in codes {
            let canonical = normalize(code)
            let spaced = normalize(code.replacingOccurrences(of: ".", with: " "))  // no dot: the general reading
            XCTAssertEqual(canonical.quality, spaced.quality, code)
            XCTAssertEqual(canonical.section, spaced.section, code)
            XCTAssertEqual(canonical.label, spaced.label, code)
            if canonical.quality.status == .valid { XCTAssertEqual(canonical.code, spaced.code, code) } else { XCTAssertEqual(canonical.code, code) }
        }
    }

    func test_wild_forms_become_canonical() {
        for text in ["6201Z", "6201z", "62.01Z", "62 01 z", "62-01Z", "62.01 Z", " 62.01.Z "] {
            XCTAssertEqual(normalize(text).code, "62.01Z", text)
            XCTAssertEqual(normalize(text).quality, .valid, text)
        }
        let result = normalize("6201Z")
        XCTAssertEqual(result.section, "J")
        XCTAssertEqual(result.label, "Programmation informatique")
    }

    func test_class_without_letter_is_completed_only_when_unique() {
        XCTAssertEqual(normalize("62.01").code, "62.01Z")
        XCTAssertEqual(normalize("62.01").quality, FieldQuality(.repaired, .classCompleted))
        XCTAssertEqual(normalize("62.02").quality, FieldQuality(.invalid, .ambiguousClass), "62.02A or 62.02B")
        XCTAssertEqual(normalize("62.02").section, "J", "still usable for segmentation")
    }

    func test_excel_damage_is_repaired_when_the_result_exists() {
        XCTAssertEqual(normalize("1.11Z").code, "01.11Z")
        XCTAssertEqual(normalize("1.11Z").quality, FieldQuality(.repaired, .leadingZerosRestored))
        // "62.1" was "62.10" (Excel dropped the trailing zero): class 62.10 does not exist.
        XCTAssertEqual(normalize("62.1").quality.status, .invalid)
        XCTAssertEqual(normalize("10.1").code, "10.10Z".count == 6 ? normalize("10.1").code : nil)
    }

    func test_old_ape_codes_are_mapped_when_unambiguous() {
        XCTAssertEqual(normalize("72.1Z").code, "62.02A")
        XCTAssertEqual(normalize("72.1Z").quality, FieldQuality(.repaired, .rev1Mapped))
        XCTAssertEqual(normalize("74.1A").code, "69.10Z")
        XCTAssertEqual(normalize("01.1A").quality, FieldQuality(.invalid, .rev1Ambiguous))
    }

    func test_naf2025_division_section_and_unknown_codes() {
        XCTAssertEqual(normalize("62.10Y").quality, FieldQuality(.valid, .naf2025))
        XCTAssertEqual(normalize("62").quality, FieldQuality(.invalid, .divisionOnly))
        XCTAssertEqual(normalize("62").section, "J")
        XCTAssertEqual(normalize("J").quality, FieldQuality(.invalid, .sectionOnly))
        XCTAssertEqual(normalize("00.00Z").quality, FieldQuality(.invalid, .unknownCode))
        XCTAssertEqual(normalize("99.99Z").quality, FieldQuality(.invalid, .unknownCode))
        XCTAssertEqual(normalize("").quality, .missing)
    }
}

final class EmailTests: XCTestCase {
    func normalize(_ text: String) -> EmailResult { bytes(text) { EmailAddress.normalize($0, lists: repositoryReference.email) } }
    func text(_ value: [UInt8]?) -> String? { value.map { String(decoding: $0, as: UTF8.self) } }

    func test_trimmed_lower_cased_with_domain() {
        let result = normalize("  JP.Dupre@Boulangerie-Lefevre.FR ")
        XCTAssertEqual(text(result.address), "jp.dupre@boulangerie-lefevre.fr")
        XCTAssertEqual(text(result.domain), "boulangerie-lefevre.fr")
        XCTAssertEqual(result.quality, .valid)
        XCTAssertEqual(text(normalize("mailto:<a@b.fr>").address), "a@b.fr")
    }

    func test_syntax_errors() {
        for bad in ["jean.dupont", "a@b", "jean..dupont@x.fr", "@x.fr", "a@-x.fr", "a b@x.fr@y", "jean@x.f"] {
            XCTAssertEqual(normalize(bad).quality, FieldQuality(.invalid, .badSyntax), bad)
        }
    }

    /// Every ASCII byte in a local part ("x?y@x.fr"): accepted exactly when RFC 5322's
    /// unquoted local part allows it (the check reads two bit masks; a wrong bit is caught).
    func test_each_ascii_byte_of_a_local_part_is_accepted_exactly_when_allowed() {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-".utf8)
        let lists = EmailLists()
        for b in UInt8(0)..<0x80 {
            let address: [UInt8] = [0x78, b, 0x79] + Array("@x.fr".utf8)
            let quality = address.withUnsafeBufferPointer { EmailAddress.assess($0, lists: lists).quality }
            XCTAssertEqual(quality.reason != .badSyntax, allowed.contains(b), "byte \(b)")
        }
        // And in a domain label ("x@a?b.fr"): letters, digits, "-" (inside a label) and non-ASCII.
        let domainBytes = Set("abcdefghijklmnopqrstuvwxyz0123456789-".utf8)
        for b in UInt8(0)...0xFF where b != 0x2E && b != 0x40 {
            let address: [UInt8] = Array("x@a".utf8) + [b] + Array("b.fr".utf8)
            let quality = address.withUnsafeBufferPointer { EmailAddress.assess($0, lists: lists).quality }
            XCTAssertEqual(quality.reason != .badSyntax, domainBytes.contains(b) || b >= 0x80, "domain byte \(b)")
        }
    }

    /// The one-pass syntax check gives the plain definition's answer (split the domain into
    /// labels and check each) on 100,000 random addresses made of the characters that matter:
    /// dots, hyphens, `@`, digits, capitals, non-ASCII, white space.
    func test_syntax_check_agrees_with_the_plain_definition() {
        let alphabet: [[UInt8]] = ["a", "b", "z", "0", "9", "-", ".", "@", "_", "+", "é", "A", " "].map { Array($0.utf8) }
        let allowedLocal = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-".utf8)
        func plainSyntax(_ address: [UInt8]) -> Bool {
            guard let at = address.lastIndex(of: 0x40) else { return false }
            let local = address[..<at], domain = address[(at + 1)...]
            guard !local.isEmpty, local.count <= 64, domain.count >= 4, domain.count <= 253 else { return false }
            guard local.first != 0x2E, local.last != 0x2E, !local.contains(0x40) else { return false }
            if local.indices.contains(where: { local[$0] < 0x80 && (!allowedLocal.contains(local[$0]) || ($0 > local.startIndex && local[$0] == 0x2E && local[$0 - 1] == 0x2E)) }) { return false }
            let labels = domain.split(separator: 0x2E, omittingEmptySubsequences: false)
            guard labels.count >= 2, labels.allSatisfy({ label in
                !label.isEmpty && label.count <= 63 && label.first != 0x2D && label.last != 0x2D
                    && label.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 >= 0x80 }
            }) else { return false }
            return labels.last!.count >= 2 && labels.last!.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 >= 0x80 }
        }
        var random = SplitMix64(seed: 7)
        var valid = 0
        let lists = EmailLists()
        // Then longer addresses of mostly usual bytes: the eight-at-a-time paths, a dot on
        // either side of a word boundary, the overlapping last word of a local part.
        let usual: [[UInt8]] = ["a", "z", "0", "9", ".", ".", "-", "_", "é", "+"].map { Array($0.utf8) }
        for round in 0..<150_000 {
            let (symbols, longest) = round < 100_000 ? (alphabet, 14) : (usual, 40)
            var address: [UInt8] = []
            for _ in 0..<(2 + Int(random.next() % UInt64(longest))) { address += symbols[Int(random.next() % UInt64(symbols.count))] }
            if round >= 100_000 && random.next() % 2 == 0 {
                address += [0x40]
                for _ in 0..<(2 + Int(random.next() % 30)) { address += symbols[Int(random.next() % UInt64(symbols.count))] }
            }
            if random.next() % 2 == 0 { address += Array(["@x.fr", "@a-b.com", "@b.c0", ".fr", "@-a.fr", "@a..fr"][Int(random.next() % 6)].utf8) }
            // What the normaliser assesses: the cleaned address (no white space, lower case).
            var cleaned: [UInt8] = []
            address.withUnsafeBufferPointer { EmailAddress.clean($0, into: &cleaned) }
            let quality = cleaned.withUnsafeBufferPointer { EmailAddress.assess($0, lists: lists).quality }
            let expected = cleaned.isEmpty ? FieldStatus.missing : plainSyntax(cleaned) ? nil : FieldStatus.invalid
            if let expected {
                XCTAssertEqual(quality.status, expected, String(decoding: cleaned, as: UTF8.self))
            } else {
                XCTAssertNotEqual(quality.reason, .badSyntax, String(decoding: cleaned, as: UTF8.self))
                valid += 1
            }
        }
        XCTAssertGreaterThan(valid, 1_000, "valid addresses are drawn too")
    }

    func test_free_mail_disposable_and_role_accounts_are_flagged() {
        XCTAssertEqual(normalize("camille@gmail.com").quality, FieldQuality(.valid, .freeMail))
        XCTAssertEqual(normalize("camille@orange.fr").quality, FieldQuality(.valid, .freeMail))
        XCTAssertEqual(normalize("x@yopmail.com").quality, FieldQuality(.valid, .disposable))
        XCTAssertEqual(normalize("contact@acme.fr").quality, FieldQuality(.valid, .roleAccount))
        XCTAssertEqual(normalize("commercial@acme.fr").quality, FieldQuality(.valid, .roleAccount))
        XCTAssertEqual(normalize("laposte@laposte.fr").quality, .valid, "laposte.fr is corporate")
    }

    func test_domain_typos_are_flagged_with_a_suggestion() {
        XCTAssertEqual(normalize("jean@gmial.com").quality, FieldQuality(.invalid, .domainTypo))
        XCTAssertEqual(text(normalize("jean@gmial.com").suggestion), "jean@gmail.com")
        XCTAssertEqual(text(normalize("jean@hotmial.fr").suggestion), "jean@hotmail.fr")
        XCTAssertEqual(text(normalize("jean@orange.fe").suggestion), "jean@orange.fr")
        XCTAssertEqual(text(normalize("jean@entreprise.con").suggestion), "jean@entreprise.com")
        XCTAssertNil(normalize("jean@orange-business.com").suggestion)
    }
}

final class PhoneTests: XCTestCase {
    func fast(_ text: String) -> PhoneResult { bytes(text) { FrenchPhone.normalize($0, reference: nil) } }
    /// The fast path as the pipeline runs it: with the reference for what it leaves aside.
    func fastWithReference(_ text: String) -> PhoneResult { bytes(text) { FrenchPhone.normalize($0, reference: NeverCalled()) } }
    func full(_ text: String) -> PhoneResult { bytes(text) { FrenchPhone.normalize($0, reference: LibPhoneNumber()) } }
    /// As the pipeline runs it, with the shipped table of overseas sub-blocks.
    func fastWithBlocks(_ text: String) -> PhoneResult {
        bytes(text) { FrenchPhone.normalize($0, reference: NeverCalled(), blocks: repositoryReference.overseasPhoneBlocks) }
    }

    func test_french_formats_become_e164() {
        for text in ["01 42 68 53 00", "01.42.68.53.00", "01-42-68-53-00", "0142685300", "+33 1 42 68 53 00",
                     "+33 (0)1 42 68 53 00", "+33(0)142685300", "+33 01 42 68 53 00", "0033 1 42 68 53 00",
                     "00 33 1 42 68 53 00", "33142685300", "Tél : 01 42 68 53 00", "Tel. 01.42.68.53.00"] {
            let result = fast(text)
            XCTAssertEqual(result.e164, "+33142685300", text)
            XCTAssertEqual(result.type, .fixed, text)
            XCTAssertEqual(result.quality.status, .valid, text)
        }
    }

    func test_types_and_overseas_codes() {
        XCTAssertEqual(fast("06 12 34 56 78").type, .mobile)
        XCTAssertEqual(fast("07 81 22 33 44").e164, "+33781223344")
        XCTAssertEqual(fast("09 72 12 34 56").type, .voip)
        XCTAssertEqual(fast("0590 12 34 56").e164, "+590590123456")
        XCTAssertEqual(fast("0692 12 34 56").e164, "+262692123456")
        XCTAssertEqual(fast("0692 12 34 56").type, .mobile)
        XCTAssertEqual(fast("0269 61 23 45").e164, "+262269612345", "Mayotte uses +262")
        XCTAssertEqual(fast("0696 12 34 56").e164, "+596696123456")
        XCTAssertEqual(fast("0162 12 34 56").quality, FieldQuality(.valid, .telemarketing))
        // The overseas telemarketing blocks 09475-09479 are VoIP numbers flagged as call centres.
        XCTAssertEqual(fast("09 47 51 23 45").quality, FieldQuality(.valid, .telemarketing))
        XCTAssertEqual(fast("09 47 91 23 45").type, .voip)
        XCTAssertEqual(fast("09 47 41 23 45").quality, FieldQuality(.valid, .none))
        // Blocks the fast path settles without libphonenumber, as libphonenumber would:
        // 0700 is M2M mobile, 0701-0729 and 040 are not allocated, 0975-0979 are VoIP.
        for (text, e164, type) in [("07 00 12 34 56", "+33700123456", PhoneType.mobile), ("09 77 12 34 56", "+33977123456", .voip)] {
            let result = full(text)
            XCTAssertEqual([result.e164, "\(result.type)"], [e164, "\(type)"], text)
            XCTAssertFalse(result.delegated, text)
        }
        for text in ["07 01 23 45 67", "07 29 12 34 56", "04 01 23 45 67"] {
            XCTAssertEqual(full(text).quality, FieldQuality(.invalid, .unknownPrefix), text)
            XCTAssertFalse(full(text).delegated, text)
        }
    }

    func test_excel_lost_zero_extensions_and_two_numbers() {
        XCTAssertEqual(fast("142685300").e164, "+33142685300")
        XCTAssertEqual(fast("142685300").quality, FieldQuality(.repaired, .leadingZerosRestored))
        let ext = fast("01 42 68 53 00 poste 123")
        XCTAssertEqual(ext.e164, "+33142685300")
        XCTAssertEqual(ext.fileExtension, "123")
        XCTAssertEqual(fast("01 42 68 53 00 ext. 12").fileExtension, "12")
        let two = fast("01 42 68 53 00 / 06 12 34 56 78")
        XCTAssertEqual(two.e164, "+33142685300")
        XCTAssertEqual(two.second.map { String(decoding: $0, as: UTF8.self) }, " 06 12 34 56 78")
        XCTAssertEqual(two.quality, FieldQuality(.valid, .secondNumberSplit))
    }

    func test_short_numbers_and_placeholders_are_rejected() {
        for text in ["15", "112", "3631"] { XCTAssertEqual(fast(text).quality, FieldQuality(.invalid, .shortNumber), text) }
        for text in ["0000000000", "0123456789", "0606060606", "01 01 01 01 01"] {
            XCTAssertEqual(fast(text).quality, FieldQuality(.invalid, .placeholder), text)
        }
        XCTAssertEqual(fast("01 42 68 53").quality.status, .invalid)
        XCTAssertEqual(fast("n/a").quality.status, .invalid)
    }

    func test_foreign_numbers_go_to_libphonenumber() {
        let uk = full("+44 20 7946 0958")
        XCTAssertEqual(uk.e164, "+442079460958")
        XCTAssertEqual(uk.quality, FieldQuality(.valid, .foreign))
        XCTAssertTrue(uk.delegated)
        XCTAssertEqual(full("0032 2 555 12 12").e164, "+3225551212")
        XCTAssertEqual(fast("+44 20 7946 0958").quality, FieldQuality(.invalid, .foreign), "without the reference it is flagged, not guessed")
    }

    /// The fast path must agree with libphonenumber on every number it answers by itself.
    func test_differential_fast_path_agrees_with_libphonenumber() {
        let lib = LibPhoneNumber()
        var rng = SplitMix64(seed: 2026)
        let prefixes = ["01", "02", "03", "04", "05", "06", "07", "09", "0162", "0262", "0269", "0590", "0594",
                        "0596", "0639", "0690", "0692", "0694", "0696", "0697", "0698", "0699", "073", "078", "0948",
                        "070", "0700", "071", "072", "040", "097", "0947"]
        func grouped(_ number: String, _ separator: String) -> String {
            let chars = Array(number)
            return stride(from: 0, to: 10, by: 2).map { String(chars[$0..<($0 + 2)]) }.joined(separator: separator)
        }
        let formats: [(String) -> String] = [
            { $0 }, { "+33" + $0.dropFirst() }, { "0033 " + $0.dropFirst() }, { "33" + $0.dropFirst() },
            { grouped($0, " ") }, { grouped($0, ".") }, { String($0.dropFirst()) },
        ]
        var compared = 0, fastAnswers = 0, metropolitan = 0, overseasAnswers = 0, overseas = 0
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            let prefix = prefixes[Int(rng.next() % UInt64(prefixes.count))]
            var number = prefix
            while number.count < 10 { number += String(rng.next() % 10) }
            let text = formats[Int(rng.next() % UInt64(formats.count))](number)
            let result = fastWithBlocks(text)
            let isOverseas = FrenchPhone.overseasRegion(String(number.prefix(4))) != nil
            if isOverseas { overseas += 1 } else { metropolitan += 1 }
            if result.delegated || result.quality.reason == .placeholder { continue }
            if isOverseas { overseasAnswers += 1 } else { fastAnswers += 1 }
            // A national overseas number ("0590…", or "590…" that lost its zero in Excel) is
            // parsed in its territory, as the fast path reads it.
            let national = text.hasPrefix("0") || text.count == 9
            let region = national ? (FrenchPhone.overseasRegion(String(number.prefix(4))) ?? "FR") : "FR"
            let reference = lib.parse(text, defaultRegion: region)
            compared += 1
            if result.quality.status == .invalid {
                if reference != nil { disagreements.append("\(text): fast invalid, libphonenumber \(reference!.e164)") }
                continue
            }
            guard let reference else { disagreements.append("\(text): fast \(result.e164 ?? "-"), libphonenumber invalid"); continue }
            if reference.e164 != result.e164 || reference.type != result.type {
                disagreements.append("\(text): fast \(result.e164 ?? "-") \(result.type), libphonenumber \(reference.e164) \(reference.type)")
            }
        }
        XCTAssertGreaterThan(Double(fastAnswers), 0.95 * Double(metropolitan), "the fast path answers metropolitan numbers itself")
        XCTAssertEqual(overseasAnswers, overseas, "with the table of sub-blocks, no overseas number goes to libphonenumber")
        XCTAssertGreaterThan(overseas, 5_000)
        XCTAssertEqual(disagreements.count, 0, "\(disagreements.count) of \(compared): \(disagreements.prefix(10))")
    }
}

final class OverseasPhoneBlocksTests: XCTestCase {
    /// The shipped table is libphonenumber's answer: every six-digit prefix of every block, in
    /// both readings, asked again with endings the table was not made with. A libphonenumber
    /// update that moves a sub-block fails here (make the file again: `tamis-bench phone-blocks`).
    func test_shipped_table_agrees_with_libphonenumber_on_every_prefix() {
        let table = repositoryReference.overseasPhoneBlocks, library = LibPhoneNumber()
        XCTAssertFalse(table.isEmpty)
        var rng = SplitMix64(seed: 77)
        var disagreements: [String] = [], checked = 0
        for form in OverseasPhoneBlocks.Form.allCases {
            for block in OverseasPhoneBlocks.blocks {
                for prefix6 in (block * 1000)..<(block * 1000 + 1000) {
                    let endings = (0..<2).map { _ in String(100 + rng.next() % 900) }
                    let nsn = Array(String(prefix6).utf8) + Array(endings[0].utf8)
                    let shipped = table.verdict(form, nsn: nsn[...])
                    let asked = library.verdict(form, prefix6: prefix6, endings: endings)
                    checked += 1
                    if shipped != asked { disagreements.append("\(form.name) \(prefix6): table \(shipped), libphonenumber \(asked)") }
                }
            }
        }
        XCTAssertEqual(checked, 2 * 14 * 1000)
        XCTAssertEqual(disagreements.count, 0, "\(disagreements.prefix(10))")
    }

    func test_known_sub_blocks_are_answered_without_libphonenumber() {
        let blocks = repositoryReference.overseasPhoneBlocks
        func normalize(_ text: String) -> PhoneResult { bytes(text) { FrenchPhone.normalize($0, reference: NeverCalled(), blocks: blocks) } }
        let reunion = normalize("0262 12 34 56")
        XCTAssertEqual([reunion.e164, "\(reunion.type)"], ["+262262123456", "fixed"])
        XCTAssertFalse(reunion.delegated)
        XCTAssertEqual(normalize("0692 12 34 56").type, .mobile)
        XCTAssertEqual(normalize("0269 60 12 34").e164, "+262269601234", "Mayotte: +262")
        // An unallocated sub-block (Mayotte 0269 1x) is invalid, as libphonenumber says.
        XCTAssertEqual(normalize("0269 12 34 56").quality, FieldQuality(.invalid, .unknownPrefix))
        XCTAssertFalse(normalize("0269 12 34 56").delegated)
        // Written with +33, libphonenumber reads France's plan: a fixed +33 5…, no mobile 069x.
        XCTAssertEqual(normalize("+33 5 90 12 34 56").e164, "+33590123456")
        XCTAssertEqual(normalize("+33 6 90 12 34 56").quality, FieldQuality(.invalid, .unknownPrefix))
        // Excel's lost zero is restored, and said so, as for a metropolitan number.
        XCTAssertEqual(normalize("590123456").quality, FieldQuality(.repaired, .leadingZerosRestored))
        XCTAssertEqual(normalize("590123456").e164, "+590590123456")
        // Without the table, the same numbers go to libphonenumber.
        XCTAssertTrue(bytes("0262 12 34 56") { FrenchPhone.normalize($0, reference: NeverCalled()) }.delegated)
    }

    /// A reference folder without the file (a steward's own) still loads: every overseas number
    /// then goes to libphonenumber. A damaged file stops the load, naming its line.
    func test_the_reference_folder_loads_without_the_table_and_refuses_a_damaged_one() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shipped = root.appendingPathComponent("data/refdata")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tamis-refdata-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: shipped, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let table = folder.appendingPathComponent(OverseasPhoneBlocksFile.name)
        try FileManager.default.removeItem(at: table)
        XCTAssertTrue(try ReferenceDataLoader.load(directory: folder.path).overseasPhoneBlocks.isEmpty)
        try "form,from,to,verdict,country_code\nnational,262000,262999,fixed,262\nnational,262000,2629,fixed,262\n"
            .write(to: table, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ReferenceDataLoader.load(directory: folder.path)) { error in
            XCTAssertEqual((error as? InputError)?.line, 3, "\(error)")
            XCTAssertEqual((error as? InputError)?.file, table.path)
        }
    }

    func test_a_damaged_table_is_refused_with_its_line() throws {
        let rows = [["form": "national", "from": "262000", "to": "262999", "verdict": "fixed", "country_code": "262"],
                    ["form": "national", "from": "262000", "to": "263999", "verdict": "fixed", "country_code": "262"]]
        XCTAssertThrowsError(try OverseasPhoneBlocksFile.read(rows, path: "blocks.csv")) { error in
            XCTAssertEqual((error as? InputError)?.line, 3, "\(error)")
        }
        XCTAssertThrowsError(try OverseasPhoneBlocksFile.read([["form": "national", "from": "262000", "to": "262999", "verdict": "pager"]], path: "b.csv"))
        XCTAssertFalse(try OverseasPhoneBlocksFile.read(Array(rows.prefix(1)), path: "b.csv").isEmpty)
    }
}

/// A reference that records nothing: numbers sent to it are "delegated" and not compared.
struct NeverCalled: PhoneReference {
    func parse(_ text: String, defaultRegion: String) -> (e164: String, type: PhoneType)? { nil }
}

