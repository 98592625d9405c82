import TamisCore
import XCTest

final class SegmentExpressionTests: XCTestCase {
    let fields = SegmentFields.names

    func eval(_ text: String, _ values: [String: String]) throws -> Bool {
        try SegmentExpression.parse(text, fields: fields).evaluate { values[$0] }
    }

    let acme: [String: String] = ["naf_section": "J", "headcount": "50", "region": "11", "department": "75",
                                  "legal_form": "SAS", "city": "Évry", "source": "crm|webinar"]

    func test_comparisons_are_numeric_for_numbers_and_folded_for_text() throws {
        XCTAssertTrue(try eval("headcount >= 50", acme))
        XCTAssertFalse(try eval("headcount > 50", acme))
        XCTAssertTrue(try eval("headcount > 9", acme), "numeric: 50 > 9 although \"50\" < \"9\" as text")
        XCTAssertTrue(try eval("city = 'EVRY'", acme), "accents and case ignored")
        XCTAssertTrue(try eval("naf_section != 'F'", acme))
    }

    func test_in_between_starts_with_and_presence() throws {
        XCTAssertTrue(try eval("region in ('11', '84')", acme))
        XCTAssertTrue(try eval("legal_form not in (SARL, EURL)", acme))
        XCTAssertTrue(try eval("headcount between 10 and 249", acme))
        XCTAssertFalse(try eval("headcount between 100 and 249", acme))
        XCTAssertTrue(try eval("department starts with '7'", acme))
        XCTAssertTrue(try eval("siret is missing", acme))
        XCTAssertTrue(try eval("city is present", acme))
        XCTAssertFalse(try eval("siret = '1'", acme), "a missing field matches no comparison")
        XCTAssertTrue(try eval("siret != '1'", acme))
    }

    func test_precedence_and_parentheses() throws {
        // and binds tighter than or
        XCTAssertTrue(try eval("naf_section = 'F' and region = '84' or headcount >= 50", acme))
        XCTAssertFalse(try eval("naf_section = 'F' and (region = '84' or headcount >= 50)", acme))
        XCTAssertTrue(try eval("not (department = '69') and not region = '84'", acme))
    }

    func test_derived_names_headcount_and_naf_division() {
        let values: (CanonicalField) -> String? = { [.headcountBand: "21", .naf: "62.01Z"][$0] }
        XCTAssertEqual(SegmentFields.lookup("headcount", value: values, sources: []), "50")
        XCTAssertEqual(SegmentFields.lookup("naf_division", value: values, sources: []), "62")
        XCTAssertEqual(SegmentFields.lookup("source", value: values, sources: ["crm", "salon"]), "crm|salon")
    }

    func test_source_matches_any_source_of_a_merged_record() throws {
        XCTAssertTrue(try eval("source = 'webinar'", acme))
        XCTAssertTrue(try eval("source = crm", acme))
        XCTAssertFalse(try eval("source != 'crm'", acme), "one of its sources is the CRM")
        XCTAssertTrue(try eval("source in (salon, webinar)", acme))
        XCTAssertFalse(try eval("source not in (salon, webinar)", acme))
    }

    func test_mistakes_are_reported_with_their_position() {
        func error(_ text: String) -> ExpressionError? {
            do { _ = try SegmentExpression.parse(text, fields: fields); return nil } catch { return error as? ExpressionError }
        }
        XCTAssertEqual(error("region = = 84")?.position, 9)
        XCTAssertEqual(error("regoin = 84")?.position, 0)
        XCTAssertTrue(error("regoin = 84")?.message.contains("unknown field 'regoin'") == true)
        XCTAssertEqual(error("city = 'Lyon")?.message, "this quote is never closed")
        XCTAssertNotNil(error("region in ('11' '84')"))
        XCTAssertNotNil(error("(region = 11"))
        XCTAssertNotNil(error("region = 11 extra"))
        XCTAssertEqual(error("headcount ! 5")?.message, "'!' must be followed by '=' (use 'not' to negate)")
    }
}
