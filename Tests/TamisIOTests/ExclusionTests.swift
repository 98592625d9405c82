import TamisCore
import TamisIO
import XCTest

/// Builds a normalised record, as the pipeline does before exclusion.
func normalizedRecord(_ values: [CanonicalField: String], source: Int = 0, id: String = "1") -> ProspectRecord {
    var builder = PackedFields.Builder(count: CanonicalField.count)
    for field in CanonicalField.allCases { builder.append(Array((values[field] ?? "").utf8)) }
    var record = ProspectRecord(origin: RecordOrigin(sourceIndex: source, sourceID: id, fileIndex: 0, line: 2),
                                raw: builder.finish(), extras: PackedFields(count: 0))
    (record.value, record.quality) = RecordNormalizer(reference: repositoryReference).normalize(record.raw)
    return record
}

final class RuleSetTests: XCTestCase {
    func test_students_by_title_and_student_mail_domains() {
        let check = StudentCheck()
        XCTAssertTrue(check.matches(normalizedRecord([.jobTitle: "ÉTUDIANTE en master"])))
        XCTAssertTrue(check.matches(normalizedRecord([.jobTitle: "Stagiaire marketing"])))
        XCTAssertTrue(check.matches(normalizedRecord([.jobTitle: "Alternant"])))
        XCTAssertTrue(check.matches(normalizedRecord([.jobTitle: "Marketing Intern"])))
        XCTAssertTrue(check.matches(normalizedRecord([.email: "lea.boeuf@etu.univ-lyon3.fr"])))
        XCTAssertTrue(check.matches(normalizedRecord([.email: "x@etudiant.univ-rennes1.fr"])))
        XCTAssertFalse(check.matches(normalizedRecord([.jobTitle: "Responsable des stages"])))
        XCTAssertFalse(check.matches(normalizedRecord([.email: "prof@univ-lyon3.fr"])), "university staff are not students")
    }

    func test_test_and_fake_entries() {
        let check = TestEntryCheck()
        XCTAssertTrue(check.matches(normalizedRecord([.lastName: "TEST"])))
        XCTAssertTrue(check.matches(normalizedRecord([.lastName: "asdf"])))
        XCTAssertTrue(check.matches(normalizedRecord([.firstName: "Mickey", .lastName: "Mouse"])))
        XCTAssertTrue(check.matches(normalizedRecord([.lastName: "zzzzz"])))
        XCTAssertTrue(check.matches(normalizedRecord([.email: "jean@example.com"])))
        XCTAssertTrue(check.matches(normalizedRecord([.companyName: "xxx"])))
        XCTAssertFalse(check.matches(normalizedRecord([.firstName: "Anne", .lastName: "Testard", .email: "a@testard.fr"])))
        XCTAssertFalse(check.matches(normalizedRecord([.lastName: "Aa"])))
    }

    func test_uncontactable_means_no_valid_email_and_no_valid_phone() {
        let check = UncontactableCheck()
        XCTAssertTrue(check.matches(normalizedRecord([.lastName: "Martin"])))
        XCTAssertTrue(check.matches(normalizedRecord([.email: "pas-un-mail", .phone: "0000000000"])))
        XCTAssertFalse(check.matches(normalizedRecord([.email: "a@b.fr"])))
        XCTAssertFalse(check.matches(normalizedRecord([.mobile: "06 12 34 56 78"])))
    }

    func test_retention_uses_the_last_activity_date_and_a_fixed_day() {
        let check = RetentionCheck(months: 36, today: SimpleDate(year: 2026, month: 11, day: 22))
        XCTAssertTrue(check.matches(normalizedRecord([.capturedAt: "2021-05-10"])))
        XCTAssertTrue(check.matches(normalizedRecord([.capturedAt: "21/11/2023"])), "one day past three years")
        XCTAssertFalse(check.matches(normalizedRecord([.capturedAt: "22/11/2023"])))
        XCTAssertFalse(check.matches(normalizedRecord([.capturedAt: "2026-03-12T10:00:00Z"])))
        XCTAssertFalse(check.matches(normalizedRecord([.capturedAt: "hier"])), "an unreadable date is not purged")
        XCTAssertFalse(check.matches(normalizedRecord([:])))
    }

    func test_dates() {
        XCTAssertEqual(SimpleDate(parsing: "12/03/2026"), SimpleDate(year: 2026, month: 3, day: 12))
        XCTAssertEqual(SimpleDate(parsing: "2026-03-12"), SimpleDate(year: 2026, month: 3, day: 12))
        XCTAssertNil(SimpleDate(parsing: "13/13/2026"))
        XCTAssertEqual(SimpleDate(year: 2024, month: 2, day: 29).adding(months: 12), SimpleDate(year: 2025, month: 2, day: 28))
        let day = SimpleDate(year: 2026, month: 11, day: 22)
        XCTAssertEqual(SimpleDate(dayNumber: day.dayNumber), day)
        XCTAssertEqual(SimpleDate(year: 2025, month: 1, day: 1).dayNumber - SimpleDate(year: 2024, month: 1, day: 1).dayNumber, 366)
    }
}

final class ReferenceListTests: XCTestCase {
    let competitors = CompanyList(name: "competitors", reasonCode: "competitor", entries: [
        normalizedRecord([.companyName: "Concurrent Direct SAS", .siret: "41234567000019"]),
        normalizedRecord([.companyName: "Pharma Rhône", .website: "https://www.pharma-rhone.com/fr", .postalCode: "69100"]),
        normalizedRecord([.companyName: "Garage du Centre", .postalCode: "38200"]),
    ])

    func test_every_contact_of_a_listed_company_matches_by_identifier_domain_or_name_and_postcode() {
        XCTAssertTrue(competitors.matches(normalizedRecord([.siren: "412 345 670"])), "SIREN of a listed SIRET")
        XCTAssertTrue(competitors.matches(normalizedRecord([.siret: "41234567000027"])), "another establishment of the company")
        XCTAssertTrue(competitors.matches(normalizedRecord([.email: "s.bernard@pharma-rhone.com"])))
        XCTAssertTrue(competitors.matches(normalizedRecord([.website: "pharma-rhone.com"])))
        XCTAssertTrue(competitors.matches(normalizedRecord([.companyName: "GARAGE DU CENTRE SARL", .postalCode: "38200"])))
        XCTAssertFalse(competitors.matches(normalizedRecord([.companyName: "Garage du Centre", .postalCode: "69002"])),
                       "a homonym elsewhere is another company")
        XCTAssertFalse(competitors.matches(normalizedRecord([.email: "someone@gmail.com"])))
        XCTAssertFalse(competitors.matches(normalizedRecord([.companyName: "Garage du Centre", .postalCode: "38200", .siren: "523876548"])),
                       "a record with its own identifier is matched by it, not by name")
    }

    func test_free_mail_domains_never_make_a_company_match() {
        let list = CompanyList(name: "customers", reasonCode: "existing_customer",
                               entries: [normalizedRecord([.companyName: "Lefort Conseil", .email: "camille.lefort@gmail.com"])])
        XCTAssertFalse(list.matches(normalizedRecord([.email: "autre.personne@gmail.com"])))
    }

    func test_suppression_matches_email_phone_or_name_and_company() {
        let optout = SuppressionList(name: "optout", entries: [
            normalizedRecord([.email: "Jean.Dupont@Acme.fr"]),
            normalizedRecord([.phone: "04.74.55.66.77"]),
            normalizedRecord([.firstName: "Étienne", .lastName: "GARÇON", .companyName: "Transports Garçon SARL"]),
        ])
        XCTAssertTrue(optout.matches(normalizedRecord([.email: "jean.dupont@acme.fr"])))
        XCTAssertTrue(optout.matches(normalizedRecord([.phone: "+33 4 74 55 66 77"])))
        XCTAssertTrue(optout.matches(normalizedRecord([.firstName: "etienne", .lastName: "Garcon", .companyName: "TRANSPORTS GARCON"])))
        XCTAssertFalse(optout.matches(normalizedRecord([.firstName: "Paul", .lastName: "Garcon", .companyName: "Transports Garçon"])))
    }

    /// An opted-out person who comes back in another file, spelt differently, is still excluded:
    /// suppression applies to the whole duplicate cluster.
    func test_suppression_applies_to_the_whole_cluster_of_the_person() throws {
        var state = RunState(sources: [SourceInfo(name: "salon", trust: 5), SourceInfo(name: "crm", trust: 8)])
        state.append(normalizedRecord([.firstName: "Etienne", .lastName: "GARCON", .email: "e.garcon@transports-garcon.fr",
                                       .phone: "04 74 55 66 77"], source: 0, id: "S1"))
        state.append(normalizedRecord([.firstName: "Étiene", .lastName: "Garçonn", .email: "E.Garcon@Transports-Garcon.FR"],
                                      source: 1, id: "C1"))
        state.append(normalizedRecord([.firstName: "Marc", .lastName: "Olivier", .email: "m@olivier.fr"], source: 1, id: "C2"))
        _ = try DeduplicateStage().run(&state, progress: SilentProgress())
        let optout = SuppressionList(name: "optout", entries: [normalizedRecord([.phone: "+33474556677"])])
        let counts = try SuppressionStage(lists: [optout]).run(&state, progress: SilentProgress())
        XCTAssertEqual(state.outcomes.map(\.disposition), [.excluded, .excluded, .kept])
        XCTAssertEqual(state.outcomes[1].reason?.code, "suppressed", "the misspelt record without the phone is suppressed too")
        XCTAssertEqual(state.golden.count, 1)
        XCTAssertEqual(state.outcomes[2].goldenIndex, 0, "remaining records point at the re-indexed golden records")
        XCTAssertEqual(counts.details["suppressed_records"], 2)
        XCTAssertTrue(LineageBalance(entries: state.lineage(), inputs: state.inputCount).holds)
    }
}
