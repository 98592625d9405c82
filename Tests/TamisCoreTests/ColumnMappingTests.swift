@testable import TamisCore
import XCTest

final class ColumnMappingTests: XCTestCase {
    func field(_ header: String) -> CanonicalField? { ColumnMapping.detect(header) }

    func test_french_headers_are_detected_whatever_accents_and_case() {
        XCTAssertEqual(field("Raison sociale"), .companyName)
        XCTAssertEqual(field("SOCIÉTÉ"), .companyName)
        XCTAssertEqual(field("Entreprise"), .companyName)
        XCTAssertEqual(field("N° SIRET"), .siret)
        XCTAssertEqual(field("n°siret"), .siret)
        XCTAssertEqual(field("Numéro SIREN"), .siren)
        XCTAssertEqual(field("Code APE"), .naf)
        XCTAssertEqual(field("code NAF"), .naf)
        XCTAssertEqual(field("Courriel"), .email)
        XCTAssertEqual(field("E-mail"), .email)
        XCTAssertEqual(field("Tél"), .phone)
        XCTAssertEqual(field("Téléphone"), .phone)
        XCTAssertEqual(field("Portable"), .mobile)
        XCTAssertEqual(field("CP"), .postalCode)
        XCTAssertEqual(field("Code postal"), .postalCode)
        XCTAssertEqual(field("Ville"), .city)
        XCTAssertEqual(field("Commune"), .city)
        XCTAssertEqual(field("Prénom"), .firstName)
        XCTAssertEqual(field("Nom"), .lastName)
        XCTAssertEqual(field("Fonction"), .jobTitle)
        XCTAssertEqual(field("Poste"), .jobTitle)
        XCTAssertEqual(field("Civilité"), .civility)
        XCTAssertEqual(field("Tranche d'effectif"), .headcountBand)
        XCTAssertEqual(field("Forme juridique"), .legalForm)
        XCTAssertEqual(field("Complément d'adresse"), .address2)
    }

    func test_english_crm_headers_are_detected() {
        XCTAssertEqual(field("First Name"), .firstName)
        XCTAssertEqual(field("Last Name"), .lastName)
        XCTAssertEqual(field("Company Name"), .companyName)
        XCTAssertEqual(field("Job Title"), .jobTitle)
        XCTAssertEqual(field("Mobile Phone Number"), .mobile)
        XCTAssertEqual(field("Phone Number"), .phone)
        XCTAssertEqual(field("Street Address"), .address1)
        XCTAssertEqual(field("Postal Code"), .postalCode)
        XCTAssertEqual(field("Website URL"), .website)
        XCTAssertEqual(field("email_address"), .email)
    }

    func test_header_with_a_qualifier_after_a_known_name_is_detected() {
        XCTAssertEqual(field("E-mail professionnel (pro)"), .email)
        XCTAssertEqual(field("Code postal / CEDEX"), .postalCode)
    }

    func test_unknown_headers_are_not_guessed() {
        XCTAssertNil(field("Commentaire"))
        XCTAssertNil(field("Lead Source"))
        XCTAssertNil(field(""))
        XCTAssertNil(field("Numéro"))
    }

    func test_explicit_mapping_wins_over_detection_and_unmapped_columns_are_kept_as_extras() {
        let mapping = ColumnMapping(headers: ["Société", "Nom commercial", "Commentaire", ""],
                                    explicit: ["Nom commercial": .companyName])
        XCTAssertEqual(mapping.columns[1].role, .field(.companyName))
        XCTAssertEqual(mapping.columns[1].origin, .explicit)
        // "Société" would be company_name, but the explicit column took it.
        XCTAssertEqual(mapping.columns[0].role, .extra(name: "Société"))
        XCTAssertEqual(mapping.columns[0].shadowedBy, 1)
        XCTAssertEqual(mapping.columns[2].role, .extra(name: "Commentaire"))
        XCTAssertEqual(mapping.columns[3].role, .extra(name: "column_4"))
        XCTAssertEqual(mapping.extraColumns.map(\.name), ["Société", "Commentaire", "column_4"])
    }

    func test_a_field_is_taken_by_the_first_column_only() {
        let mapping = ColumnMapping(headers: ["Email", "E-mail", "Téléphone", "Tel"])
        XCTAssertEqual(mapping.columns[0].role, .field(.email))
        XCTAssertEqual(mapping.columns[1].role, .extra(name: "E-mail"))
        XCTAssertEqual(mapping.columns[3].role, .extra(name: "Tel"))
        XCTAssertEqual(mapping.columnForField[CanonicalField.email.rawValue], 0)
        XCTAssertEqual(mapping.columnForField[CanonicalField.phone.rawValue], 2)
    }

    func test_forced_extra_columns_are_not_detected() {
        let mapping = ColumnMapping(headers: ["Date", "Email"], extras: ["date"])
        XCTAssertEqual(mapping.columns[0].role, .extra(name: "Date"))
        XCTAssertNil(mapping.columnForField[CanonicalField.capturedAt.rawValue] ?? nil)
    }
}

final class PackedFieldsTests: XCTestCase {
    func test_values_round_trip_and_empty_means_missing() {
        var builder = PackedFields.Builder(count: 4)
        builder.append(Array("Hélène".utf8))
        builder.appendEmpty()
        builder.append(Array("x".utf8))
        let fields = builder.finish()
        XCTAssertEqual(fields.string(0), "Hélène")
        XCTAssertNil(fields.string(1))
        XCTAssertTrue(fields.isEmpty(1))
        XCTAssertEqual(fields.string(2), "x")
        XCTAssertNil(fields.string(3), "values not appended are missing")
        XCTAssertNil(fields.string(9), "out of range reads as missing")
        let replaced = fields.replacing(1, with: Array("Martin".utf8))
        XCTAssertEqual(replaced.string(1), "Martin")
        XCTAssertEqual(replaced.string(0), "Hélène")
        XCTAssertEqual(fields.string(1), nil, "replacing makes a copy")
        XCTAssertEqual(replaced.string(2), "x")
        XCTAssertEqual(replaced.count, 4)
        XCTAssertEqual(fields.replacing(0, with: []).string(0), nil, "an empty value is missing")
        XCTAssertEqual(fields.replacing(0, with: []).string(2), "x")
        XCTAssertEqual(fields.replacing(3, with: Array("fin".utf8)).string(3), "fin", "the last value")
        XCTAssertEqual(fields.replacing(2, with: Array("y".utf8)).string(0), "Hélène")
        XCTAssertTrue(fields.replacing(9, with: Array("z".utf8)) == fields, "out of range: unchanged")
        XCTAssertEqual(fields.replacing(1, with: Array("Martin".utf8)), replaced, "same values, same storage")
    }

    /// Offsets are 16-bit up to 64 KiB and 32-bit beyond, whichever way the values were built.
    func test_values_over_64_kib_widen_the_offsets_and_read_back() {
        let big = [UInt8](repeating: 0x61, count: 40_000), bigger = [UInt8](repeating: 0x62, count: 30_000)
        let values: [[UInt8]] = [Array("Jean".utf8), big, [], bigger, Array("fin".utf8)]
        func built(_ values: [[UInt8]]) -> PackedFields {
            var builder = PackedFields.Builder(count: values.count)
            for value in values { builder.append(value) }
            return builder.finish()
        }
        func written(_ values: [[UInt8]], spare: Int) -> PackedFields {
            PackedFields(count: values.count, capacity: values.reduce(spare) { $0 + $1.count }) { i, destination in
                for (k, b) in values[i].enumerated() { destination[k] = b }
                return values[i].count
            }
        }
        let wide = built(values)  // crosses 64 KiB at the fourth value
        XCTAssertTrue(wide.wide)
        XCTAssertTrue((0..<5).map { wide.bytes($0) } == values, "values read back")
        XCTAssertTrue(wide.isEmpty(2))
        XCTAssertTrue(wide == written(values, spare: 0), "the same values, the same storage")
        XCTAssertEqual(wide.withValueBytes { $0.count }, 70_007)
        XCTAssertEqual(wide.valueRange(3), 40_004..<70_004)
        // Small values with a generous capacity: 16-bit offsets, equal to the built ones.
        let small: [[UInt8]] = [Array("Jean".utf8), [], Array("Martin".utf8)]
        let roomy = written(small, spare: 100_000)
        XCTAssertFalse(roomy.wide)
        XCTAssertEqual(roomy, built(small))
        XCTAssertEqual(roomy.string(2), "Martin")
        // Replacing the big values makes it narrow again; replacing a small one keeps it wide.
        let shrunk = wide.replacing(1, with: []).replacing(3, with: Array("x".utf8))
        XCTAssertFalse(shrunk.wide)
        XCTAssertEqual(shrunk, built([Array("Jean".utf8), [], [], Array("x".utf8), Array("fin".utf8)]))
        let still = wide.replacing(0, with: Array("Paul".utf8))
        XCTAssertTrue(still.wide)
        XCTAssertTrue(still.bytes(3) == bigger)
        XCTAssertEqual(still.string(0), "Paul")
    }
}
