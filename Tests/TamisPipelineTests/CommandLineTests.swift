import Foundation
import TamisIO
import XCTest

/// Runs the real `tamis` executable: exit codes, messages, and crash safety.
final class CommandLineTests: XCTestCase {
    func test_validate_reports_located_errors_with_exit_code_2() throws {
        let dir = try temporaryDirectory(self)
        try (referenceDataLine + "sources:\n  - path: nothing-here.csv\n    trsut: 3\n").write(to: dir.appendingPathComponent("bad.yml"), atomically: true, encoding: .utf8)
        let result = try runTamis(["validate", "bad.yml"], in: dir)
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("bad.yml:3:"), result.stderr)
        XCTAssertTrue(result.stderr.contains("bad.yml:4:5: error: unknown key 'trsut'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("did you mean 'trust'?"), result.stderr)
    }

    func test_run_prints_stages_and_strict_exits_1() throws {
        let dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        let ok = try runTamis(["run", pipeline], in: dir)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        for stage in ["ingest", "normalise", "exclude", "deduplicate", "segment", "lineage:"] {
            XCTAssertTrue(ok.stdout.contains(stage), "missing \(stage) in\n\(ok.stdout)")
        }
        XCTAssertTrue(ok.stderr.contains("salon-lyon-2026.csv:8: field_count"), ok.stderr)
        XCTAssertFalse(ok.stdout.contains("p.roux@roux-fils.fr") || ok.stderr.contains("p.roux@roux-fils.fr"),
                       "personal data of a rejected row is not printed")
        let strict = try runTamis(["run", pipeline, "--strict", "--out", dir.appendingPathComponent("strict").path], in: dir)
        XCTAssertEqual(strict.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("strict").path))
    }

    func test_inspect_shows_encoding_delimiter_and_mapping() throws {
        let result = try runTamis(["inspect", "data/samples/salon-lyon-2026.csv"], in: packageRoot)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("encoding:   cp1252"), result.stdout)
        XCTAssertTrue(result.stdout.contains("delimiter:  ;"), result.stdout)
        XCTAssertTrue(result.stdout.contains("N° SIRET  →  siret"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Commentaire  →  extra"), result.stdout)
        let xml = try runTamis(["inspect", "data/samples/crm-relationpro.xml"], in: packageRoot)
        XCTAssertTrue(xml.stdout.contains("record element:  <contact>  (4 found)"), xml.stdout)
    }

    /// Kills the process at each crash point of a run and checks that the base and the
    /// outputs are each either the previous ones or the new complete ones, and that the next
    /// run succeeds.
    func test_a_run_killed_at_any_point_leaves_the_previous_base_and_outputs_intact() throws {
        let dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        let out = dir.appendingPathComponent("out/pre-campaign").path
        let basePath = dir.appendingPathComponent("out/tamis.sqlite").path
        XCTAssertEqual(try runTamis(["run", pipeline, "-q"], in: dir).status, 0)
        let firstOutputs = try String(contentsOfFile: out + "/clean_base.csv", encoding: .utf8)
        let firstSummary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        let firstGolden = try ProspectBase(path: basePath).count("golden_records")
        // New data, so a completed run would change both the base and the outputs.
        let webinar = dir.appendingPathComponent("data/samples/webinar-hubspot.csv")
        var text = try String(contentsOf: webinar, encoding: .utf8)
        text += "hs-2001,Nina,Roussel,nina@roussel.fr,Roussel SAS,DAF,,,,33000,Bordeaux,France,,2026-03-01,Webinar\n"
        try text.write(to: webinar, atomically: true, encoding: .utf8)

        var committedRuns = 1
        let outFolder = dir.appendingPathComponent("out").path
        for point in ["after-ingest", "outputs-staged", "db-write", "db-commit", "before-output-swap"] {
            let killed = try runTamis(["run", pipeline, "-q"], environment: ["TAMIS_FAULT": point], in: dir)
            XCTAssertEqual(killed.signal, 9, "\(point): the process was killed (\(killed.stderr))")
            let base = try ProspectBase(path: basePath)
            XCTAssertEqual(try base.integrityCheck(), "ok", point)
            if point == "before-output-swap" {
                committedRuns += 1  // the base committed; the outputs are still the previous ones
                XCTAssertEqual(try base.count("golden_records"), firstGolden + 1, point)
            } else {
                XCTAssertEqual(try base.count("golden_records"), firstGolden, "\(point): previous base intact")
            }
            XCTAssertEqual(try base.runs().count, committedRuns, point)
            XCTAssertEqual(try String(contentsOfFile: out + "/clean_base.csv", encoding: .utf8), firstOutputs, "\(point): previous outputs intact")
            XCTAssertEqual(try String(contentsOfFile: out + "/summary.json", encoding: .utf8), firstSummary, point)
            if point == "db-write" || point == "db-commit" {
                // The base's scratch tables are left behind, readable by their owner only.
                let scratch = try FileManager.default.contentsOfDirectory(atPath: outFolder).filter { $0.contains(".scratch-") }
                XCTAssertEqual(Set(scratch), ["tamis.sqlite.scratch-golden_records", "tamis.sqlite.scratch-source_records"], point)
                for name in scratch {
                    let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: outFolder + "/" + name)[.posixPermissions] as? Int)
                    XCTAssertEqual(mode & 0o077, 0, "\(point), \(name): no access for group or others")
                }
                // One damaged beyond use: the next run makes a new one rather than reading it.
                try Data("not a database".utf8).write(to: URL(fileURLWithPath: outFolder + "/tamis.sqlite.scratch-golden_records"))
            }
        }
        let next = try runTamis(["run", pipeline, "-q"], in: dir)
        XCTAssertEqual(next.status, 0, next.stderr)
        let base = try ProspectBase(path: basePath)
        XCTAssertEqual(try base.count("golden_records"), firstGolden + 1)
        let latest = try XCTUnwrap(try base.runs().last)
        XCTAssertTrue(try String(contentsOfFile: out + "/summary.json", encoding: .utf8).contains(latest.runID))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path)
            .filter { $0.contains("staging") || $0.contains("previous") || $0.contains("scratch") }
        XCTAssertEqual(leftovers, [], "stale staging folders and scratch tables are cleaned by the next run")
    }
}
