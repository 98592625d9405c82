import Foundation
import TamisCore
import TamisPipeline
import XCTest

final class PipelineLoaderTests: XCTestCase {
    func issues(_ yaml: String, files: [String] = ["in.csv"]) throws -> [ConfigIssue] {
        let dir = try temporaryDirectory(self)
        for file in files { try Data("a;b\n".utf8).write(to: dir.appendingPathComponent(file)) }
        let path = dir.appendingPathComponent("p.yml").path
        do {
            _ = try PipelineLoader.load(yaml: referenceDataLine + yaml, file: path)
            return []
        } catch let error as ConfigError {
            return error.issues
        }
    }

    func test_a_valid_pipeline_resolves_paths_relative_to_its_file() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("data/x-1.csv"))
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("data/x-2.csv"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("pipelines"), withIntermediateDirectories: true)
        let yaml = """
            name: t
            sources:
              - name: s
                path: ../data/x-*.csv
                delimiter: ";"
                encoding: cp1252
                trust: 7
                mapping: { "Soc.": company_name, Date: extra }
            outputs: { directory: ../out/t, base: ../out/base.sqlite, file_mode: "0640" }
            """
        let definition = try PipelineLoader.load(yaml: referenceDataLine + yaml, file: dir.appendingPathComponent("pipelines/t.yml").path)
        XCTAssertEqual(definition.sources[0].files.map { URL(fileURLWithPath: $0).lastPathComponent }, ["x-1.csv", "x-2.csv"])
        XCTAssertEqual(definition.sources[0].csv.encoding, .windows1252)
        XCTAssertEqual(definition.sources[0].csv.delimiter, UInt8(ascii: ";"))
        XCTAssertEqual(definition.sources[0].csv.mapping["Soc."], .companyName)
        XCTAssertEqual(definition.sources[0].csv.extraColumns, ["Date"])
        XCTAssertEqual(definition.sources[0].trust, 7)
        XCTAssertEqual(definition.outputs.directory, dir.appendingPathComponent("out/t").standardizedFileURL.path)
        XCTAssertEqual(definition.outputs.fileMode, 0o640)
    }

    func test_unknown_key_is_located_with_a_suggestion() throws {
        let found = try issues("""
            sources:
              - name: s
                path: in.csv
                delimitor: ";"
            """)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.line, 5, "line 4 of the test's YAML, after the reference_data line")
        XCTAssertEqual(found.first?.column, 5)
        XCTAssertTrue(found.first?.message.contains("unknown key 'delimitor'") == true)
        XCTAssertEqual(found.first?.hint, "did you mean 'delimiter'?")
    }

    func test_all_mistakes_are_reported_at_once() throws {
        let found = try issues("""
            sources:
              - path: missing-*.csv
                format: xlsx
                trust: high
              - path: in.csv
                mapping: { Société: company }
            outputs: { file_mode: "rw" }
            """)
        let messages = found.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("no file matches missing-*.csv") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("format must be csv or xml") })
        XCTAssertTrue(messages.contains { $0.contains("trust must be") })
        XCTAssertTrue(messages.contains { $0.contains("unknown field 'company'") })
        XCTAssertTrue(messages.contains { $0.contains("file_mode") })
        XCTAssertTrue(found.allSatisfy { $0.line != nil }, "every issue has a line")
        XCTAssertEqual(found.first { $0.message.contains("company'") }?.hint?.hasPrefix("did you mean 'company_name'?"), true)
    }

    func test_xml_source_needs_a_record_element() throws {
        let found = try issues("sources:\n  - path: in.xml\n", files: ["in.xml"])
        XCTAssertTrue(found.first?.message.contains("needs 'record'") == true, "\(found)")
    }

    func test_missing_reference_data_is_a_located_error() throws {
        let dir = try temporaryDirectory(self)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        XCTAssertThrowsError(try PipelineLoader.load(yaml: "reference_data: nowhere\nsources: [{ path: in.csv }]\n",
                                                     file: dir.appendingPathComponent("p.yml").path)) { error in
            let issue = (error as? ConfigError)?.issues.first
            XCTAssertEqual(issue?.line, 1)
            XCTAssertTrue(issue?.message.contains("reference data not found") == true, "\(error)")
        }
    }

    func test_yaml_syntax_error_has_a_line() throws {
        let found = try issues("sources:\n  - path: in.csv\n   name: [oops\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertNotNil(found.first?.line)
        XCTAssertTrue(found.first?.message.hasPrefix("YAML syntax") == true, "\(found)")
    }

    func test_rules_and_segments_are_read_with_their_conditions() throws {
        let dir = try temporaryDirectory(self)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        let yaml = """
            sources: [{ path: in.csv }]
            stages:
              exclude:
                rules:
                  - { name: students, reason: student, when: [{ field: job_title, in: [Stagiaire, Étudiant] }] }
              segment:
                segments:
                  - { name: idf, when: [{ field: postal_code, prefix: ["75", "92"] }, { field: email, present: true }] }
            """
        let definition = try PipelineLoader.load(yaml: referenceDataLine + yaml, file: dir.appendingPathComponent("p.yml").path)
        XCTAssertEqual(definition.exclusionRules.map(\.name), ["students"])
        XCTAssertEqual(definition.exclusionRules[0].conditions[0].op, .in)
        XCTAssertEqual(definition.segments[0].conditions.map(\.op), [.prefix, .present])
    }

    func test_exclusion_settings_are_read_and_checked() throws {
        let dir = try temporaryDirectory(self)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        try Data("Société;SIREN\n".utf8).write(to: dir.appendingPathComponent("rivals.csv"))
        let yaml = referenceDataLine + """
            sources: [{ path: in.csv }]
            reference_lists: { rivals: rivals.csv }
            stages:
              exclude:
                rule_sets: [students]
                company_lists: { rivals: competitor }
                suppression: [rivals]
                retention: { months: 36, as_of: 2026-11-22 }
            """
        let definition = try PipelineLoader.load(yaml: yaml, file: dir.appendingPathComponent("p.yml").path)
        XCTAssertEqual(definition.exclusion.ruleSets, [.students], "uncontactable is off when not listed")
        XCTAssertEqual(definition.exclusion.companyLists.map(\.reason), ["competitor"])
        XCTAssertEqual(definition.exclusion.suppressionLists, ["rivals"])
        XCTAssertEqual(definition.exclusion.retentionMonths, 36)
        XCTAssertEqual(definition.exclusion.asOf, SimpleDate(year: 2026, month: 11, day: 22))
        XCTAssertEqual(PipelineLoaderTests.defaults.exclusion.ruleSets, [.students, .test_entries, .uncontactable])
    }

    static var defaults: PipelineDefinition {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tamis-defaults-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try! Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        defer { try? FileManager.default.removeItem(at: dir) }
        return try! PipelineLoader.load(yaml: referenceDataLine + "sources: [{ path: in.csv }]\n", file: dir.appendingPathComponent("p.yml").path)
    }

    func test_unknown_rule_sets_and_lists_are_located_errors() throws {
        let found = try issues("""
            sources: [{ path: in.csv }]
            stages:
              exclude:
                rule_sets: [students, robots]
                company_lists: { rivals: competitor }
                suppression: [optout]
                retention: { field: captured_at }
            """)
        let messages = found.map(\.message)
        XCTAssertTrue(messages.contains("unknown rule set 'robots'"), "\(messages)")
        XCTAssertTrue(messages.contains("no reference list named 'rivals'"), "\(messages)")
        XCTAssertTrue(messages.contains("no reference list named 'optout'"), "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("retention needs 'months'") }, "\(messages)")
        XCTAssertTrue(found.allSatisfy { $0.line != nil })
    }

    func test_in_list_file_reads_values_and_a_bad_regex_is_located() throws {
        let dir = try temporaryDirectory(self)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        try Data("# domaines d'écoles\nhec.edu\n\nessec.edu;Essec\n".utf8).write(to: dir.appendingPathComponent("schools.txt"))
        let yaml = referenceDataLine + """
            sources: [{ path: in.csv }]
            stages:
              exclude:
                rules:
                  - { name: schools, reason: student, when: [{ field: email_domain, in_list_file: schools.txt }] }
            """
        let definition = try PipelineLoader.load(yaml: yaml, file: dir.appendingPathComponent("p.yml").path)
        let condition = try XCTUnwrap(definition.exclusionRules.first?.conditions.first)
        XCTAssertEqual(condition.op, .in)
        XCTAssertEqual(condition.values.map { String(decoding: $0, as: UTF8.self) }, ["hec.edu", "essec.edu"])
        let found = try issues("sources: [{ path: in.csv }]\nstages: { exclude: { rules: [{ name: r, reason: x, when: [{ field: email, matches: \"(oops\" }] }] } }\n")
        XCTAssertTrue(found.contains { $0.message.contains("invalid regular expression") && $0.line != nil }, "\(found)")
    }

    func test_condition_with_two_operators_is_refused() throws {
        let found = try issues("""
            sources: [{ path: in.csv }]
            stages: { exclude: { rules: [{ name: r, reason: x, when: [{ field: city, equals: a, prefix: b }] }] } }
            """)
        XCTAssertTrue(found.contains { $0.message.contains("exactly one operator") }, "\(found)")
    }

    func test_deduplicate_settings_are_read_and_their_mistakes_located() throws {
        let dir = try temporaryDirectory(self)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        let yaml = referenceDataLine + """
            sources: [{ path: in.csv, optional: true }]
            stages:
              deduplicate:
                threshold: 0.95
                review_below: 0.4
                blocking:
                  - email
                  - [postal_code, "last_name:phonetic", "first_name:initial", "company_name:prefix4"]
                comparisons:
                  - { field: last_name, method: jaro_winkler, thresholds: [0.9, 0.8], term_frequency: true, swapped_with: first_name }
                  - { field: date_of_birth, method: levenshtein, thresholds: [1] }
                survivorship:
                  default: most_complete
                  fields: { job_title: most_recent }
            outputs: { mode: refresh }
            """
        let definition = try PipelineLoader.load(yaml: yaml, file: dir.appendingPathComponent("p.yml").path)
        XCTAssertEqual(definition.match.threshold, 0.95)
        XCTAssertEqual(definition.match.reviewBelow, 0.4)
        XCTAssertEqual(definition.match.blocking.map(\.description), ["email", "postal_code + last_name:phonetic + first_name:initial + company_name:prefix4"])
        XCTAssertEqual(definition.match.comparisons[0].swappedWith, .canonical(.firstName))
        XCTAssertTrue(definition.match.comparisons[0].termFrequency)
        XCTAssertEqual(definition.match.comparisons[1].field, .extra("date_of_birth"), "any column, by its header")
        XCTAssertEqual(definition.survivorship.defaultRule, .mostComplete)
        XCTAssertEqual(definition.survivorship.fields[.jobTitle], .mostRecent)
        XCTAssertEqual(definition.outputs.mode, .refresh)
        XCTAssertEqual(PipelineLoaderTests.defaults.outputs.mode, .rebuild)

        let found = try issues("""
            sources: [{ path: in.csv }]
            stages:
              deduplicate:
                threshold: 1.5
                blocking: [ "last_name:soundex" ]
                comparisons:
                  - { field: last_name, method: fuzzy }
                survivorship: { default: newest, fields: { department: trust } }
            outputs: { mode: incremental }
            """)
        let messages = found.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("threshold must be a number between 0.5") }, "\(messages)")
        XCTAssertTrue(messages.contains("blocking key 'last_name:soundex' is not understood"), "\(messages)")
        XCTAssertTrue(messages.contains("unknown method 'fuzzy'"), "\(messages)")
        XCTAssertTrue(messages.contains("unknown survivorship rule 'newest'"), "\(messages)")
        XCTAssertTrue(messages.contains("'department' is not a source field"), "\(messages)")
        XCTAssertTrue(messages.contains("unknown mode \"incremental\""), "\(messages)")
        XCTAssertTrue(found.allSatisfy { $0.line != nil }, "every mistake has its line")
    }

    func test_sirene_settings_are_read_and_their_mistakes_located() throws {
        let dir = try temporaryDirectory(self)
        try Data("a;b\n".utf8).write(to: dir.appendingPathComponent("in.csv"))
        let yaml = referenceDataLine + """
            sources: [{ path: in.csv, optional: true }]
            stages:
              sirene:
                register: registers/sirene.register
                exclude: { defunct: false, unknown: true }
                siretisation: { threshold: 0.9, review_below: 0.6, margin: 0.1 }
                enrich: { fields: [naf, address], register_wins: [naf] }
            """
        let definition = try PipelineLoader.load(yaml: yaml, file: dir.appendingPathComponent("p.yml").path)
        XCTAssertEqual(definition.sirene.register, dir.appendingPathComponent("registers/sirene.register").path, "relative to the pipeline file")
        XCTAssertFalse(definition.sirene.excludeDefunct)
        XCTAssertTrue(definition.sirene.excludeUnknown)
        XCTAssertTrue(definition.sirene.excludeOpposition, "the default stays")
        XCTAssertEqual(definition.sirene.threshold, 0.9)
        XCTAssertEqual(definition.sirene.reviewBelow, 0.6)
        XCTAssertEqual(definition.sirene.margin, 0.1)
        XCTAssertEqual(definition.sirene.enrich, [.naf, .address])
        XCTAssertEqual(definition.sirene.registerWins, [.naf])
        XCTAssertNil(PipelineLoaderTests.defaults.sirene.register, "no register by default: the stage is skipped")

        let found = try issues("""
            sources: [{ path: in.csv }]
            stages:
              sirene:
                register: r.register
                exclude: { ceased: true }
                siretisation: { threshold: 0.8, review_below: 0.9 }
                enrich: { fields: [naf, turnover] }
            """)
        let messages = found.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("ceased") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("review_below (0.9) is above the threshold (0.8)") }, "\(messages)")
        XCTAssertTrue(messages.contains("enrich.fields: unknown field 'turnover'"), "\(messages)")
        XCTAssertTrue(found.allSatisfy { $0.line != nil }, "every mistake has its line")
    }
}
