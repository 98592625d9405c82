import TamisCore
import XCTest

/// The pure parts of siretisation: name keys, blocking keys, street keys and the score.
final class SiretisationTests: XCTestCase {
    func key(_ name: String) -> String { String(decoding: CompanyNameKey.key(name), as: UTF8.self) }

    func test_name_keys_drop_legal_forms_filler_words_and_articles() {
        XCTAssertEqual(key("Boulangerie Martin S.A.R.L."), "boulangerie martin")
        XCTAssertEqual(key("SAS LA BOULANGERIE MARTIN"), "boulangerie martin")
        XCTAssertEqual(key("Ets. Dupont & Fils"), "dupont fils")
        XCTAssertEqual(key("I.B.M. France"), "ibm france", "runs of single letters are joined")
        XCTAssertEqual(key("Société Générale"), "generale")
        XCTAssertEqual(key("SARL"), "sarl", "a name made only of dropped words is kept whole")
        XCTAssertEqual(key("Soft'Œuvre"), "soft oeuvre")
    }

    func test_blocking_keys_are_shared_by_the_register_and_the_prospects_spelling() {
        let register = Set(CompanyNameKey.blockingKeys(names: ["BOULANGERIE MARTIN"], postalCode: "69003"))
        let prospect = Set(CompanyNameKey.blockingKeys(names: ["Boulangerie Martin SARL"], postalCode: "69003"))
        XCTAssertEqual(register, prospect)
        let elsewhere = Set(CompanyNameKey.blockingKeys(names: ["Boulangerie Martin"], postalCode: "69007"))
        XCTAssertEqual(register.intersection(elsewhere).count, 1, "only the whole name in the département is shared")
        XCTAssertTrue(CompanyNameKey.blockingKeys(names: ["Martin"], postalCode: "").isEmpty, "no place, no key")
        XCTAssertEqual(CompanyNameKey.department(ofPostalCode: "97411"), "974")
        XCTAssertEqual(CompanyNameKey.department(ofPostalCode: "20000"), "20")
    }

    /// The keys as first written, plainly with arrays and sets: the byte-level builder the
    /// import uses must give the same keys, in the same order (the register and the
    /// prospects' lookups must agree, or siretisation silently finds nothing).
    static func referenceKeys(names: [String], postalCode: String) -> [UInt64] {
        let dropped: Set<[UInt8]> = Set(["sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "scop", "scp", "sel", "selarl", "selas",
            "selafa", "selca", "gie", "gaec", "earl", "ei", "eirl", "sca", "scs", "scea", "sem", "scic", "sarlu", "spa", "ltd", "gmbh",
            "inc", "societe", "ste", "ets", "etablissements", "etablissement", "entreprise", "entreprises", "groupe", "cie",
            "compagnie", "et", "the", "le", "la", "les", "l", "d", "de", "du", "des", "au", "aux", "en"].map { Array($0.utf8) })
        func tokens(_ name: String) -> [[UInt8]] {
            var folded: [UInt8] = []
            Array(name.utf8).withUnsafeBufferPointer { AccentFolding.fold($0, into: &folded) }
            let raw = folded.split(separator: 0x20).map(Array.init)
            var joined: [[UInt8]] = [], run: [UInt8] = []
            for token in raw {
                if token.count == 1 && token[0] >= 0x61 { run.append(token[0]); continue }
                if !run.isEmpty { joined.append(run); run = [] }
                joined.append(token)
            }
            if !run.isEmpty { joined.append(run) }
            let kept = joined.filter { !dropped.contains($0) }
            return kept.isEmpty ? joined : kept
        }
        func hash(_ kind: String, _ place: String, _ value: [UInt8]) -> UInt64 {
            var h = StableHash()
            h.combine(kind)
            h.combine(place)
            h.combine(value)
            return h.value & 0x7FFF_FFFF_FFFF_FFFF
        }
        guard postalCode.utf8.count == 5 else { return [] }
        let department = CompanyNameKey.department(ofPostalCode: postalCode)
        var keys: [UInt64] = []
        for name in names {
            let tokens = tokens(name)
            if tokens.isEmpty { continue }
            for token in tokens.prefix(3) where token.count >= 2 { keys.append(hash("t", postalCode, token)) }
            if let first = tokens.first, first.count > 4 { keys.append(hash("f", postalCode, Array(first.prefix(4)))) }
            let whole = Array(tokens.joined(separator: [0x20]))
            keys.append(hash("p", postalCode, whole))
            keys.append(hash("n", department, whole))
        }
        var seen = Set<UInt64>()
        return keys.filter { seen.insert($0).inserted }
    }

    func test_blocking_keys_from_bytes_equal_the_plain_reference_on_generated_names() {
        let words = ["SARL", "S.A.R.L.", "sas", "Société", "Sté", "Ets", "la", "L'", "d'", "de", "Boulangerie", "MARTIN", "Dupré-Lefèvre",
                     "Œuvre", "I", "B", "M", "a", "x", "2", "42", "Électricité", "Groupe", "ET", "Soft'Œuvre", "Ça", "ÉTS.", "Arvelly",
                     "Ferronnerie", "du", "Café", "GmbH", "&", "—", "  ", "Ñandú", "ß", "Æsop", "Zoé"]
        let postalCodes = ["69003", "97411", "20000", "2A004", "7500", "", "75 01", "97200"]
        var random = SplitMix64(seed: 7)
        var compared = 0
        for _ in 0..<4000 {
            let names = (0..<Int(random.next() % 4)).map { _ in
                (0..<Int(random.next() % 6)).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: random.next() % 5 == 0 ? "" : " ")
            }
            let postal = postalCodes[Int(random.next() % UInt64(postalCodes.count))]
            let reference = SiretisationTests.referenceKeys(names: names, postalCode: postal)
            XCTAssertEqual(CompanyNameKey.blockingKeys(names: names, postalCode: postal), reference, "\(names) at \(postal)")
            compared += reference.count
        }
        XCTAssertGreaterThan(compared, 10_000, "the generated names make keys")
    }

    func test_street_keys_ignore_types_and_compare_numbers() throws {
        let register = try XCTUnwrap(StreetKey("12 BD EUGENE DERUELLE"))
        let prospect = try XCTUnwrap(StreetKey("12, boulevard Eugène Déruelle"))
        XCTAssertEqual(register, prospect)
        XCTAssertEqual(register.similarity(prospect), 1)
        XCTAssertEqual(register.similarity(try XCTUnwrap(StreetKey("14 bd Eugène Deruelle"))), 0.4, "same street, another number")
        XCTAssertEqual(register.similarity(try XCTUnwrap(StreetKey("boulevard Eugène Déruelle"))), 0.8, "no number on one side")
        XCTAssertEqual(register.similarity(try XCTUnwrap(StreetKey("12 rue Paul Bert"))), 0)
        XCTAssertEqual(try XCTUnwrap(StreetKey("12bis rue de la Paix")).number, Array("12".utf8))
        XCTAssertNil(StreetKey("12"), "a number alone is no street")
    }

    func test_names_are_compared_word_by_word() {
        let scorer = SiretisationScorer()
        func similarity(_ a: String, _ b: String) -> Double { scorer.nameSimilarity(CompanyNameKey.key(a), [b]) }
        XCTAssertEqual(similarity("Boulangerie Martin SARL", "BOULANGERIE MARTIN"), 1)
        XCTAssertGreaterThan(similarity("ACME Informatque", "ACME INFORMATIQUE"), 0.95, "a typo")
        XCTAssertLessThan(similarity("Boulangerie Gakadis", "BOULANGERIE DUMONT"), 0.6, "a shared activity word is not a match")
        XCTAssertEqual(scorer.nameSimilarity(CompanyNameKey.key("Le Fournil Gourmand"), ["DUPONT ET FILS", "LE FOURNIL GOURMAND"]), 1,
                       "the best of the legal name and the signs")
    }

    func test_score_weighs_name_place_and_street() {
        let scorer = SiretisationScorer()
        let e = RegisteredEstablishment(siret: 1, streetNumber: "5", streetType: "RUE", streetName: "PAUL BERT", postalCode: "69003")
        let unit = RegisteredUnit(siren: 0, name: "BOULANGERIE MARTIN")
        let full = SiretisationScorer.Prospect(companyName: "Boulangerie Martin", postalCode: "69003", street: "5 rue Paul Bert")
        XCTAssertEqual(scorer.score(full, establishment: e, unit: unit), 1, accuracy: 1e-9)
        let noStreet = SiretisationScorer.Prospect(companyName: "Boulangerie Martin", postalCode: "69003", street: "")
        XCTAssertEqual(scorer.score(noStreet, establishment: e, unit: unit), 0.925, accuracy: 1e-9)
        let otherTown = SiretisationScorer.Prospect(companyName: "Boulangerie Martin", postalCode: "69007", street: "")
        XCTAssertEqual(scorer.score(otherTown, establishment: e, unit: unit), 0.775, accuracy: 1e-9, "same département")
    }

    /// The bucketed table answers exactly as a search over the whole array: every key
    /// present, keys absent between and around them, the first and last keys, beyond the
    /// last, and tables of zero, one and a few keys (buckets left empty).
    func test_register_state_table_finds_exactly_the_keys_it_holds() {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 1, 3, 17, 5_000] {
            var keys = Set<UInt64>()
            while keys.count < size { keys.insert(UInt64.random(in: 0..<100_000_000_000_000, using: &generator)) }
            if size == 5_000 {
                keys.insert(0)
                keys.insert(99_999_999_999_999)
                // A crowded stretch: one bucket of the directory holds thousands of keys.
                for key in UInt64(42_000_000_000_000)..<UInt64(42_000_000_003_000) { keys.insert(key) }
            }
            if size == 1 && keys.contains(0) == false && Bool.random(using: &generator) { keys = [0] }
            let sorted = keys.sorted()
            let entries = sorted.map { $0 << 2 | UInt64.random(in: 0...3, using: &generator) }
            let table = RegisterStateTable(entries: entries)
            func expected(_ key: UInt64) -> RegisterState? {
                guard let i = sorted.firstIndex(of: key) else { return nil }
                return RegisterState(isActive: entries[i] & 2 != 0, isPartial: entries[i] & 1 != 0)
            }
            var probes: [UInt64] = sorted.flatMap { key -> [UInt64] in [key, key &+ 1, key &- 1] }
            probes += [0, 1, 99_999_999_999_999, 100_000_000_000_000, UInt64.max >> 2, UInt64.max]
            for _ in 0..<1_000 { probes.append(UInt64.random(in: 0..<100_000_000_000_000, using: &generator)) }
            for key in probes.prefix(3_000) {
                XCTAssertEqual(table.state(key), expected(key), "key \(key) in a table of \(entries.count)")
            }
            for (i, key) in sorted.enumerated() {
                XCTAssertEqual(table.state(key), RegisterState(isActive: entries[i] & 2 != 0, isPartial: entries[i] & 1 != 0))
            }
            // The batch answers what the lookups one by one answer, in the same order.
            let batch = table.states(probes)
            XCTAssertEqual(batch.count, probes.count)
            XCTAssertEqual(zip(batch, probes).filter { $0.0 != table.state($0.1) }.count, 0, "batch of \(probes.count) in a table of \(entries.count)")
            XCTAssertEqual(table.states(sorted).filter { $0 == nil }.count, 0)
        }
    }
}
