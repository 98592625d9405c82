import TamisIO
import XCTest

final class CSVParserTests: XCTestCase {
    func test_quoted_fields_hold_delimiters_doubled_quotes_and_line_breaks() {
        let text = "nom;adresse;note\r\nDupont;\"12, rue de la Paix\r\nBât. B\";\"il a dit \"\"oui\"\"\"\r\nMartin;\"a;b\";\r\n"
        let parsed = ParsedCSV.parse(text)
        XCTAssertEqual(parsed.rows, [
            ["nom", "adresse", "note"],
            ["Dupont", "12, rue de la Paix\r\nBât. B", "il a dit \"oui\""],
            ["Martin", "a;b", ""],
        ])
        XCTAssertEqual(parsed.lines, [1, 2, 4], "a row's line is where it starts; quoted line breaks count")
        XCTAssertTrue(parsed.problems.isEmpty)
    }

    func test_lf_crlf_and_lone_cr_all_end_rows_and_blank_lines_are_skipped() {
        let parsed = ParsedCSV.parse("a;b\nc;d\r\n\r\ne;f\rg;h")
        XCTAssertEqual(parsed.rows, [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]])
        XCTAssertEqual(parsed.lines, [1, 2, 4, 5])
    }

    func test_any_chunking_gives_the_same_rows() {
        let text = "id;nom;adresse\r\n1;\"Dupré\";\"3 place \"\"Bellecour\"\"\r\n69002\"\r\n2;Martin;\"\"\r\n3;x;y"
        let whole = ParsedCSV.parse(text)
        for size in [1, 2, 3, 5, 7, 13] {
            let chunked = ParsedCSV.parse(text, chunk: size)
            XCTAssertEqual(chunked.rows, whole.rows, "chunk size \(size)")
            XCTAssertEqual(chunked.lines, whole.lines, "chunk size \(size)")
        }
        XCTAssertEqual(whole.rows.count, 4)
    }

    func test_stray_quote_inside_an_unquoted_field_is_kept_as_text() {
        let parsed = ParsedCSV.parse("a;b\nSoc \"La Fabrique\";x\n\"Dupont\" SA;y\n")
        XCTAssertEqual(parsed.rows[1], ["Soc \"La Fabrique\"", "x"])
        XCTAssertEqual(parsed.rows[2], ["Dupont SA", "y"], "text after a closing quote is appended, as Excel does")
    }

    func test_unterminated_quote_at_end_of_file_is_reported_and_the_following_lines_are_read_again() {
        let text = "id;nom;ville\n1;\"Dupont;Lyon\n2;Martin;Paris\n3;Durand;Nice\n"
        let parsed = ParsedCSV.parse(text)
        XCTAssertEqual(parsed.problems.count, 1)
        XCTAssertEqual(parsed.problems.first?.code, "unterminated_quote")
        XCTAssertEqual(parsed.problems.first?.line, 2)
        XCTAssertEqual(parsed.rows, [["id", "nom", "ville"], ["2", "Martin", "Paris"], ["3", "Durand", "Nice"]],
                       "one stray quote must not swallow the records after it")
        XCTAssertEqual(parsed.lines, [1, 3, 4])
    }

    func test_stray_quote_that_closes_rows_later_is_rejected_by_field_count_and_the_rows_are_read_again() {
        // Row 2 opens a quote that a later quoted field closes: without recovery, rows 3-4 vanish
        // into one broken row.
        let text = "id;nom;ville\n1;\"Dupont;Lyon\n2;Martin;Paris\n3;\"Durand\";Nice\n4;Petit;Metz\n"
        let parsed = ParsedCSV.parse(text, fieldCount: 3)
        XCTAssertEqual(parsed.problems.map(\.line), [2])
        XCTAssertEqual(parsed.rows.map { $0[0] }, ["id", "2", "3", "4"])
        for size in [1, 4, 9] {
            XCTAssertEqual(ParsedCSV.parse(text, chunk: size, fieldCount: 3).rows.map { $0[0] }, ["id", "2", "3", "4"])
        }
    }

    func test_quoted_field_over_the_line_limit_is_abandoned() {
        var limits = CSVLimits()
        limits.maxQuotedLines = 3
        let text = "a;b\n1;\"x\n2;y\n3;z\n4;w\n5;v\n"
        let parsed = ParsedCSV.parse(text, limits: limits)
        XCTAssertEqual(parsed.problems.first?.code, "unterminated_quote")
        XCTAssertEqual(parsed.rows.map { $0[0] }, ["a", "2", "3", "4", "5"])
    }

    func test_unquoted_field_over_the_size_limit_rejects_its_row_only() {
        var limits = CSVLimits()
        limits.maxFieldBytes = 100
        let text = "a;b\n1;" + String(repeating: "x", count: 500) + "\n2;ok\n"
        for size in [7, 1 << 20] {
            let parsed = ParsedCSV.parse(text, chunk: size, limits: limits)
            XCTAssertEqual(parsed.problems.map(\.code), ["field_too_long"])
            XCTAssertEqual(parsed.problems.first?.line, 2)
            XCTAssertEqual(parsed.rows, [["a", "b"], ["2", "ok"]])
        }
    }

    func test_last_row_without_line_break_is_read() {
        XCTAssertEqual(ParsedCSV.parse("a,b\n1,2", delimiter: ",").rows, [["a", "b"], ["1", "2"]])
        XCTAssertEqual(ParsedCSV.parse("a,b\n\"1\",\"2\"", delimiter: ",").rows, [["a", "b"], ["1", "2"]])
    }
}
