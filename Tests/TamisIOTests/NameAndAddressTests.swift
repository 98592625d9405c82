@testable import TamisCore
import TamisIO
import XCTest

final class PersonNameTests: XCTestCase {
    func cased(_ text: String) -> String { String(decoding: bytes(text) { PersonName.properCase($0) }, as: UTF8.self) }
    func civility(_ text: String) -> (String?, FieldQuality) { bytes(text) { PersonName.civility($0) } }

    func test_names_are_cased_with_french_particles_and_compounds() {
        XCTAssertEqual(cased("JEAN-PIERRE"), "Jean-Pierre")
        XCTAssertEqual(cased("jean pierre"), "Jean Pierre")
        XCTAssertEqual(cased("DUPRÉ-LEFÈVRE"), "Dupré-Lefèvre")
        XCTAssertEqual(cased("ÉLODIE"), "Élodie")
        XCTAssertEqual(cased("DE LA FONTAINE"), "de la Fontaine")
        XCTAssertEqual(cased("d'arvor"), "d'Arvor")
        XCTAssertEqual(cased("D’ARTAGNAN"), "d'Artagnan")
        XCTAssertEqual(cased("LE GOFF"), "Le Goff", "a leading Le is capitalised")
        XCTAssertEqual(cased("bœuf"), "Bœuf")
        XCTAssertEqual(cased("DU  PONT"), "du Pont")
    }

    func test_civilities_are_normalised() {
        for text in ["M", "M.", "Mr", "MR.", "Monsieur", "monsieur"] { XCTAssertEqual(civility(text).0, "M.", text) }
        for text in ["Mme", "MME", "Madame", "Mrs", "Ms"] { XCTAssertEqual(civility(text).0, "Mme", text) }
        XCTAssertEqual(civility("Melle").0, "Mlle")
        XCTAssertEqual(civility("Docteur").0, "Dr")
        XCTAssertEqual(civility("Maître").0, "Me")
        XCTAssertEqual(civility("Sa Majesté").1, FieldQuality(.invalid, .unknownCode))
    }
}

final class CompanyNameTests: XCTestCase {
    func split(_ text: String) -> (String, String?) {
        let result = bytes(text) { CompanyName.split($0, forms: repositoryReference.legalForms) }
        return (result.name, result.legalForm)
    }

    func test_legal_forms_are_extracted_before_or_after_the_name() {
        XCTAssertTrue(split("Boulangerie Lefèvre SARL") == ("Boulangerie Lefèvre", "SARL"))
        XCTAssertTrue(split("SAS SOFT'OEUVRE") == ("SOFT'OEUVRE", "SAS"))
        XCTAssertTrue(split("Dupont S.A.R.L. au capital de 10 000 euros") == ("Dupont", "SARL"))
        XCTAssertTrue(split("DUPONT (SASU)") == ("DUPONT", "SASU"))
        XCTAssertTrue(split("Pharma Rhône SA") == ("Pharma Rhône", "SA"))
        XCTAssertTrue(split("Martin Frères SNC RCS Lyon 123 456 789") == ("Martin Frères", "SNC"), "an RCS mention ends the name")
        XCTAssertTrue(split("Dupont SA AU CAPITAL DE 5000 €") == ("Dupont", "SA"), "capitals: the mention is folded")
        XCTAssertTrue(split("Œuvres et Bâtiments du Grand Est de la Région Rhône E.U.R.L.")
                      == ("Œuvres et Bâtiments du Grand Est de la Région Rhône", "EURL"), "a long name: its last tokens are looked up")
        XCTAssertTrue(split("S.A.S. Société Générale d'Équipement") == ("Société Générale d'Équipement", "SAS"))
    }

    func test_tokens_inside_words_and_a_lone_form_are_left_alone() {
        XCTAssertTrue(split("SAVEURS DU SUD") == ("SAVEURS DU SUD", nil), "SA inside SAVEURS is not a legal form")
        XCTAssertTrue(split("SAS") == ("SAS", nil), "never strip the whole name")
    }

    /// Tokens are joined by one space whatever separated them; a run already so is copied whole.
    func test_display_name_joins_tokens_by_one_space() {
        XCTAssertTrue(split("Dupont ,  Fils (Lyon) SARL") == ("Dupont Fils Lyon", "SARL"))
        XCTAssertTrue(split("  Garage   du Centre, ") == ("Garage du Centre", nil))
        XCTAssertTrue(split("Bâti-Sud -") == ("Bâti-Sud", nil), "a trailing dash is dropped")
    }

    /// The tokeniser's pieces and plain flags equal a byte-by-byte reading of the same text.
    func test_tokens_and_plain_flags_equal_a_bytewise_split() {
        var rng = SplitMix64(seed: 11)
        // Letters, digits and the bytes just outside their ranges, separators, punctuation, non-ASCII.
        let alphabet: [[UInt8]] = ["a", "z", "A", "Z", "0", "9", "/", ":", "@", "[", "`", "{", " ", "(", ")", ",", ".", "-", "'", "é", "Œ", "\t"].map { Array($0.utf8) }
        for _ in 0..<2000 {
            var text: [UInt8] = []
            for _ in 0..<rng.int(0...50) { text += rng.pick(alphabet) }  // past 64 bytes too (read without SSE2)
            text.withUnsafeBufferPointer { text in
                withUnsafeTemporaryAllocation(of: CompanyName.Piece.self, capacity: text.count / 2 + 1) { pieces in
                    let count = CompanyName.tokenize(text, into: pieces)
                    var expected: [(Int, Int, Int16)] = []
                    for word in Bytes.words(text, separators: CompanyName.separators) {
                        let token = text[word]
                        let plain = token.allSatisfy { Bytes.isLetter($0) || Bytes.isDigit($0) }
                        expected.append((word.lowerBound, word.upperBound, plain ? Int16(Bytes.lower(token.first!)) : -1))
                    }
                    XCTAssertEqual(count, expected.count, "\(Array(text))")
                    for (n, e) in expected.enumerated() where n < count {
                        XCTAssertTrue(pieces[n].start == e.0 && pieces[n].end == e.1 && pieces[n].plainFirst == e.2, "\(Array(text)) token \(n)")
                    }
                }
            }
        }
    }

    func test_matching_key_drops_noise_words() {
        XCTAssertEqual(CompanyName.matchingKey("Sté Transports Garçon & Cie"), "transports garcon")
        XCTAssertEqual(CompanyName.matchingKey("ETS. DUPRÉ"), "dupre")
    }
}

final class AddressTests: XCTestCase {
    let geography = repositoryReference.geography

    func address(_ code: String, _ city: String) -> AddressResult {
        bytes(code) { c in bytes(city) { geography.normalize(postalCode: c, city: $0) } }
    }

    func test_lost_leading_zero_is_restored_and_geography_derived() {
        let result = address("1000", "Bourg-en-Bresse")
        XCTAssertEqual(result.postalCode, "01000")
        XCTAssertEqual(result.postalQuality, FieldQuality(.repaired, .leadingZerosRestored))
        XCTAssertEqual(result.department, "01")
        XCTAssertEqual(result.region, "84")
        XCTAssertEqual(result.city, "BOURG EN BRESSE")
    }

    func test_corsica_and_overseas() {
        XCTAssertEqual(address("20000", "Ajaccio").department, "2A")
        XCTAssertEqual(address("20000", "Ajaccio").region, "94")
        XCTAssertEqual(address("20200", "Bastia").department, "2B")
        XCTAssertEqual(address("97400", "Saint-Denis").department, "974")
        XCTAssertEqual(address("97400", "St Denis").cityQuality, .valid, "ST and SAINT are the same")
    }

    func test_cedex_is_kept_apart_and_accepted_when_plausible() {
        let result = address("75700", "PARIS CEDEX 07")
        XCTAssertEqual(result.cedex, "CEDEX 07")
        XCTAssertEqual(result.city, "PARIS")
        XCTAssertEqual(result.postalQuality, FieldQuality(.valid, .cedexSeparated))
        XCTAssertEqual(result.department, "75")
        let accented = address("69003", "Lyon  Cédex")
        XCTAssertEqual(accented.cedex, "CEDEX", "no number after CEDEX: none invented")
        XCTAssertEqual(accented.city, "LYON")
        XCTAssertNil(address("69003", "Lyon").cedex)
    }

    func test_unknown_codes_and_city_mismatches_are_flagged() {
        XCTAssertEqual(address("99999", "Nulle Part").postalQuality, FieldQuality(.invalid, .unknownPostalCode))
        XCTAssertEqual(address("69002", "Marseille").cityQuality, FieldQuality(.invalid, .cityMismatch))
        XCTAssertEqual(address("69002", "Lyon").cityQuality, .valid)
        XCTAssertEqual(address("6000", "Nice").postalCode, "06000")
        XCTAssertEqual(address("6000", "Nice").postalQuality.status, .repaired)
        XCTAssertEqual(address("6900", "Lyon").postalQuality, FieldQuality(.invalid, .unknownPostalCode), "06900 does not exist: never guessed as 69000")
        XCTAssertEqual(address("ABCDE", "").postalQuality.status, .invalid)
    }

    func test_street_types_to_one_form() {
        func street(_ text: String) -> String { bytes(text) { geography.normalizeStreet($0) } }
        XCTAssertEqual(street("12 av. Jean Jaurès"), "12 avenue Jean Jaurès")
        XCTAssertEqual(street("3 BD VOLTAIRE"), "3 BOULEVARD VOLTAIRE")
        XCTAssertEqual(street("8 r de la Paix"), "8 rue de la Paix")
        XCTAssertEqual(street("ZI des Gaulnes, 8 rue Mercure"), "ZI des Gaulnes, 8 rue Mercure")
        XCTAssertEqual(street("BP 42"), "BP 42")
        XCTAssertEqual(street("bp 42, zi du Port"), "BP 42, ZI du Port", "kept abbreviations in capitals")
        XCTAssertEqual(street("5 ALL. DES CHÊNES"), "5 ALLÉE DES CHÊNES", "a capitalised line keeps capitals, accents included")
        XCTAssertEqual(street("Imp. du Moulin"), "Impasse du Moulin", "first word of the line keeps its capital")
        XCTAssertEqual(street("  12  av,  Foch "), "12 avenue, Foch", "spaces collapsed, the comma after the type kept")
    }
}

final class RecordNormalizerTests: XCTestCase {
    func normalize(_ values: [CanonicalField: String], options: NormalizeOptions = NormalizeOptions()) -> ProspectRecord {
        var builder = PackedFields.Builder(count: CanonicalField.count)
        for field in CanonicalField.allCases { builder.append(Array((values[field] ?? "").utf8)) }
        var record = ProspectRecord(origin: RecordOrigin(sourceIndex: 0, sourceID: "1", fileIndex: 0, line: 2),
                                    raw: builder.finish(), extras: PackedFields(count: 0))
        let normalizer = RecordNormalizer(reference: repositoryReference, options: options, phoneReference: LibPhoneNumber())
        (record.value, record.quality) = normalizer.normalize(record.raw)
        return record
    }

    /// The stage gives records with the same field qualities one shared array (memory), and
    /// each record still its own qualities.
    func test_the_normalise_stage_shares_equal_quality_arrays_between_records() throws {
        let rows: [[CanonicalField: String]] = [
            [.firstName: "Jean", .lastName: "Martin", .email: "jean.martin@acme.fr"],
            [.firstName: "Paul", .lastName: "Durand", .email: "p.durand@bati.fr"],
            [.firstName: "Luc", .lastName: "Petit", .email: "luc.petit@@bad"],
        ]
        var state = RunState(sources: [SourceInfo(name: "s", trust: 1)])
        for _ in 0..<3000 {  // across several chunks of the parallel loop
            for row in rows {
                var builder = PackedFields.Builder(count: CanonicalField.count)
                for field in CanonicalField.allCases { builder.append(Array((row[field] ?? "").utf8)) }
                state.append(ProspectRecord(origin: RecordOrigin(sourceIndex: 0, sourceID: "\(state.records.count)", fileIndex: 0, line: 2),
                                            raw: builder.finish(), extras: PackedFields(count: 0)))
            }
        }
        let normalizer = RecordNormalizer(reference: repositoryReference, phoneReference: LibPhoneNumber())
        _ = try NormalizeStage(normalizer: normalizer).run(&state, progress: SilentProgress())
        func storage(_ i: Int) -> UnsafeRawPointer? { state.records[i].quality.withUnsafeBytes { $0.baseAddress } }
        XCTAssertEqual(state.records[0].quality(CanonicalField.email).status, FieldStatus.valid)
        XCTAssertEqual(state.records[2].quality(CanonicalField.email).status, FieldStatus.invalid)
        XCTAssertEqual(state.records[8999].quality(CanonicalField.email).status, FieldStatus.invalid)
        XCTAssertEqual(Set((0..<state.records.count).map { storage($0) }).count, 2,
                       "one array for the valid e-mails, one for the invalid")
    }

    func test_a_messy_excel_row_is_normalised_field_by_field_and_raw_values_are_kept() {
        let record = normalize([
            .civility: "MONSIEUR", .firstName: "DUPONT", .lastName: "Jean-Pierre", .email: " JP.Dupont@Gmial.com",
            .phone: "1 42 68 53 00 / 06 12 34 56 78", .companyName: "Boulangerie Dupont S.A.R.L.",
            .siret: "4.1234567000019E+13", .naf: "1071C", .postalCode: "1000", .city: "bourg en bresse",
            .address1: "12 av. de la Gare", .headcountBand: "1",
        ], options: NormalizeOptions(vatNumber: true))
        XCTAssertEqual(record[.civility], "M.")
        XCTAssertEqual(record[.firstName], "Jean-Pierre")
        XCTAssertEqual(record[.lastName], "Dupont")
        XCTAssertEqual(record.quality(.firstName), FieldQuality(.repaired, .firstLastSwapped))
        XCTAssertEqual(record[.email], "jp.dupont@gmial.com")
        XCTAssertEqual(record[.emailSuggestion], "jp.dupont@gmail.com")
        XCTAssertEqual(record.quality(.email), FieldQuality(.invalid, .domainTypo))
        XCTAssertEqual(record[.phone], "+33142685300")
        XCTAssertEqual(record[.mobile], "+33612345678", "the second number of the cell fills the mobile")
        XCTAssertEqual(record[.companyName], "Boulangerie Dupont")
        XCTAssertEqual(record[.legalForm], "SARL")
        XCTAssertEqual(record[.siret], "41234567000019")
        XCTAssertEqual(record[.siren], "412345670")
        XCTAssertEqual(record.quality(.siren), FieldQuality(.valid, .sirenFromSiret))
        XCTAssertEqual(record[.vatNumber], SiretNumber.vatNumber(siren: Array("412345670".utf8)))
        XCTAssertEqual(record[.naf], "10.71C")
        XCTAssertEqual(record[.nafSection], "C")
        XCTAssertEqual(record[.postalCode], "01000")
        XCTAssertEqual(record[.department], "01")
        XCTAssertEqual(record[.region], "84")
        XCTAssertEqual(record[.address1], "12 avenue de la Gare")
        XCTAssertEqual(record[.headcountBand], "01")
        XCTAssertEqual(record.rawValue(.siret), "4.1234567000019E+13", "the raw value stays beside the normalised one")
        XCTAssertEqual(record.rawValue(.firstName), "DUPONT")
    }

    /// A record's NAF fields are copied from the table's bytes for the common readings; they
    /// must be what `NafTable.normalize` says (its `String`s), for every rév. 2 and NAF 2025
    /// sub-class in several wild forms, and for the other readings (class, division, section,
    /// rév. 1, lost zero, unknown).
    func test_record_naf_fields_equal_the_tables_reading() {
        let naf = repositoryReference.naf
        var cells = naf.subclasses.flatMap { [$0.code, $0.code.replacingOccurrences(of: ".", with: ""), " " + $0.code.lowercased()] }
        cells += ["6210Y", "62.10Y", "58.12y", "62.01", "62", "J", "72.1Z", "1.11Z", "99.99Z", "62.0", "abc", "62 01 z", "62-01Z"]
        var checked = 0
        for cell in cells {
            let record = normalize([.naf: cell])
            let expected = bytes(cell) { naf.normalize($0) }
            XCTAssertEqual([record[.naf] ?? "", record[.nafSection] ?? "", record[.nafLabel] ?? ""],
                           [expected.code ?? "", expected.section ?? "", expected.label ?? ""], cell)
            XCTAssertEqual(record.quality(.naf), expected.quality, cell)
            XCTAssertEqual(record.quality(.nafLabel).status, expected.label == nil ? .missing : .valid, cell)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 3 * 732)
        XCTAssertEqual(normalize([.naf: "6201z"])[.nafLabel], "Programmation informatique")
    }

    func test_white_space_is_trimmed_and_collapsed_in_every_text_field() {
        let record = normalize([.jobTitle: "  Directeur\t commercial\u{00A0} ", .companyName: " Boulangerie\r\n Dupont ",
                                .city: "\u{202F}Lyon ", .postalCode: " 69003", .website: "www.dupont.fr"])
        XCTAssertEqual(record[.jobTitle], "Directeur commercial")
        XCTAssertEqual(record[.companyName], "Boulangerie Dupont")
        XCTAssertEqual(record[.city], "LYON")
        XCTAssertEqual(record[.website], "www.dupont.fr", "a clean value is kept as it is")
    }

    func test_a_mobile_in_the_phone_column_moves_to_mobile_and_not_a_person_is_flagged() {
        let record = normalize([.phone: "06 12 34 56 78", .lastName: "Accueil", .siren: "412345670", .siret: "52387654800018"])
        XCTAssertNil(record[.phone])
        XCTAssertEqual(record[.mobile], "+33612345678")
        XCTAssertEqual(record[.mobileType], "mobile")
        XCTAssertEqual(record.quality(.lastName), FieldQuality(.invalid, .notAPerson))
        XCTAssertEqual(record.quality(.siren), FieldQuality(.invalid, .sirenMismatch), "SIREN and SIRET disagree")
    }

    /// The SIRENE stage fills a few source fields and re-normalises only their groups: the
    /// result must be what a whole normalisation of the filled record gives.
    func test_renormalising_filled_fields_equals_normalising_the_whole_record() {
        let normalizer = RecordNormalizer(reference: repositoryReference, options: NormalizeOptions(vatNumber: true), phoneReference: LibPhoneNumber())
        let starts: [[CanonicalField: String]] = [
            [.companyName: "Boulangerie Dupont SARL", .email: "a@dupont.fr", .siret: "123", .address2: "BP 12"],
            [.companyName: "Cabinet Martin", .postalCode: "69003", .city: "Lyon", .naf: "99.99Z", .headcountBand: "7"],
            [.companyName: "Olivier BTP", .siren: "503123457", .address1: "8 av. de la Porte de Clichy", .postalCode: "75017"],
        ]
        let fills: [[CanonicalField: String]] = [
            [.siret: "41234567000019"],
            [.naf: "62.01Z", .headcountBand: "12"],
            [.address1: "20 BD EUGENE DERUELLE", .postalCode: "69003", .city: "LYON 3EME"],
            [.siret: "50312345700015", .naf: "4120A", .address1: "8 AV DE LA PORTE DE CLICHY", .postalCode: "75017", .city: "PARIS 17"],
        ]
        for start in starts {
            let before = normalize(start, options: NormalizeOptions(vatNumber: true))
            for fill in fills {
                let raw = before.raw.replacing(fill.map { ($0.key.rawValue, Array($0.value.utf8)) })
                let (value, quality) = normalizer.renormalize(raw, value: before.value, quality: before.quality, changed: Array(fill.keys))
                let (expected, expectedQuality) = normalizer.normalize(raw)
                for field in CanonicalField.allCases {
                    XCTAssertEqual(value.string(field.rawValue), expected.string(field.rawValue), "\(field.name) \(start) \(fill)")
                    XCTAssertEqual(quality[field.rawValue], expectedQuality[field.rawValue], "\(field.name) quality \(start) \(fill)")
                }
            }
        }
    }

    /// The stage's memo of names and civilities gives what normalising each value gives:
    /// names swapped or not, cased with particles, "not a person" surnames, names too long to
    /// be kept, unknown civilities; with a table of 4 slots (every name pushes another out,
    /// keys of the same hash bits compared byte for byte) and with the stage's size.
    func test_the_memo_of_names_and_civilities_changes_no_result() {
        let normalizer = RecordNormalizer(reference: repositoryReference, phoneReference: LibPhoneNumber())
        let civilities = ["M.", "Mme", "MONSIEUR", "mademoiselle", "Dr", "Sir", "Mr.", "", "xx"]
        let names = ["Jean", "MARTIN", "Jean-Pierre", "DE LA FONTAINE", "d'arvor", "D’ARTAGNAN", "Pierre", "Camille",
                     "Dominique", "Accueil", "Standard 2", "Le Goff", "ÉLODIE", "bœuf", "Marie Claire", "Laurent", "",
                     "Dupré-Lefèvre", String(repeating: "Abcdefghij ", count: 4) + "Long", "Jean  Paul", "Ürsula", "O'Neil",
                     "Françoise", "GARCIA", "Thomas", "Martin", "Michel", "Nicolas", "Petit-Jean", "van der Berg"]
        var random = SplitMix64(seed: 42)
        func pick(_ list: [String]) -> String { list[Int(random.next() % UInt64(list.count))] }
        var raws: [PackedFields] = []
        for _ in 0..<5000 {
            var builder = PackedFields.Builder(count: CanonicalField.count)
            let values: [CanonicalField: String] = [.civility: pick(civilities), .firstName: pick(names), .lastName: pick(names)]
            for field in CanonicalField.allCases { builder.append(Array((values[field] ?? "").utf8)) }
            raws.append(builder.finish())
        }
        for slots in [4, 1 << 14] {
            var memo = NormalizeMemo(nameSlots: slots)
            var swapped = 0, notAPerson = 0
            for raw in raws {
                let (value, quality) = normalizer.normalize(raw, memo: &memo)
                let (expected, expectedQuality) = normalizer.normalize(raw)
                for field in [CanonicalField.civility, .firstName, .lastName] {
                    XCTAssertEqual(value.string(field.rawValue), expected.string(field.rawValue), "\(field.name), \(slots) slots")
                    XCTAssertEqual(quality[field.rawValue], expectedQuality[field.rawValue], "\(field.name) quality, \(slots) slots")
                }
                if quality[CanonicalField.firstName.rawValue].reason == .firstLastSwapped { swapped += 1 }
                if quality[CanonicalField.lastName.rawValue].reason == .notAPerson { notAPerson += 1 }
            }
            XCTAssertGreaterThan(memo.hits, memo.lookups / 4, "the memo is used (\(slots) slots)")
            XCTAssertGreaterThan(swapped, 0)
            XCTAssertGreaterThan(notAPerson, 0)
        }
    }

    func test_missing_fields_are_missing_not_invalid() {
        let record = normalize([.email: "a@b.fr"])
        for field in [CanonicalField.siret, .naf, .phone, .postalCode, .lastName] {
            XCTAssertEqual(record.quality(field).status, .missing, field.name)
        }
    }
}
