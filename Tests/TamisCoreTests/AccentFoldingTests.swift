import TamisCore
import XCTest

final class AccentFoldingTests: XCTestCase {
    func test_french_accents_and_case_fold_to_ascii() {
        XCTAssertEqual(AccentFolding.key("DUPRÉ-LEFÈVRE"), "dupre lefevre")
        XCTAssertEqual(AccentFolding.key("Hélène Château"), "helene chateau")
        XCTAssertEqual(AccentFolding.key("Garçon"), "garcon")
        XCTAssertEqual(AccentFolding.key("Zoë Ñuñez"), "zoe nunez")
    }

    func test_ligatures_expand() {
        XCTAssertEqual(AccentFolding.key("Œuvre"), "oeuvre")
        XCTAssertEqual(AccentFolding.key("bœuf"), "boeuf")
        XCTAssertEqual(AccentFolding.key("Lætitia"), "laetitia")
        XCTAssertEqual(AccentFolding.key("Straße"), "strasse")
    }

    func test_punctuation_and_spaces_collapse_to_one_space() {
        XCTAssertEqual(AccentFolding.key("  N° SIRET "), "n siret")
        XCTAssertEqual(AccentFolding.key("E-mail"), "e mail")
        XCTAssertEqual(AccentFolding.key("Code\u{00A0}postal"), "code postal")
        XCTAssertEqual(AccentFolding.key("d’Arvor"), "d arvor")
        XCTAssertEqual(AccentFolding.key("..."), "")
    }

    func test_keep_punctuation_keeps_it_but_folds_typographic_forms() {
        XCTAssertEqual(AccentFolding.key("d’Arvor", keepPunctuation: true), "d'arvor")
        XCTAssertEqual(AccentFolding.key("Soft'Œuvre SAS", keepPunctuation: true), "soft'oeuvre sas")
    }

    func test_non_latin_text_is_kept() {
        XCTAssertEqual(AccentFolding.key("Nguyễn"), "nguyễn")  // U+1EC5: outside the Latin-1/Ext-A table
        XCTAssertEqual(AccentFolding.key("Ελένη Иван"), "Ελένη Иван")  // other scripts are kept, not dropped
        XCTAssertEqual(AccentFolding.key("«Nom»"), "nom")
    }
}

final class UTF8ValidationTests: XCTestCase {
    func check(_ bytes: [UInt8]) -> UTF8Validation.Result {
        bytes.withUnsafeBufferPointer { UTF8Validation.check($0) }
    }

    func test_valid_utf8_passes() {
        XCTAssertEqual(check(Array("Hélène – Œuvre 日本 😀 and a long ascii run".utf8)), .valid)
        XCTAssertEqual(check([]), .valid)
    }

    func test_windows_1252_bytes_are_invalid_utf8() {
        XCTAssertEqual(check([0x48, 0xE9, 0x6C, 0xE8, 0x6E, 0x65]), .invalid(at: 1))  // "Hélène" in cp1252
    }

    func test_overlong_and_surrogate_sequences_are_invalid() {
        XCTAssertEqual(check([0xC0, 0x80]), .invalid(at: 0))
        XCTAssertEqual(check([0xE0, 0x80, 0x80]), .invalid(at: 0))
        XCTAssertEqual(check([0xED, 0xA0, 0x80]), .invalid(at: 0))
        XCTAssertEqual(check([0xF4, 0x90, 0x80, 0x80]), .invalid(at: 0))
    }

    func test_sequence_cut_at_the_end_is_truncated_not_invalid() {
        XCTAssertEqual(check([0x61, 0xC3]), .truncated(at: 1))
        XCTAssertEqual(check([0x61, 0xE2, 0x82]), .truncated(at: 1))
    }

    func test_windows_1252_decoding_maps_the_0x80_block() {
        var out: [UInt8] = []
        [0x80, 0x9C, 0xE9, 0x92, 0x41].withUnsafeBufferPointer { Windows1252.decode($0, into: &out) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "€œé’A")
        out = []
        [0x80, 0xE9].withUnsafeBufferPointer { Windows1252.decode($0, into: &out, latin1: true) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "\u{80}é")
    }
}

final class StableHashTests: XCTestCase {
    func test_hash_is_fnv1a_and_independent_of_the_process() {
        var hash = StableHash()
        hash.combine("a".utf8)
        XCTAssertEqual(hash.hex, "af63dc4c8601ec8c")  // FNV-1a 64 of "a", published test vector
    }

    func test_separator_distinguishes_splits() {
        var a = StableHash(), b = StableHash()
        a.combine("ab"); a.combine("c")
        b.combine("a"); b.combine("bc")
        XCTAssertNotEqual(a.value, b.value)
    }
}
