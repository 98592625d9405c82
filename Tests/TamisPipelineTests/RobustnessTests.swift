import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import XCTest

final class RobustnessTests: XCTestCase {
    /// The sample pipeline file, mutated at random, either loads or gives located errors.
    func test_mutated_pipeline_files_never_crash_the_loader() throws {
        let dir = try temporaryDirectory(self)
        let path = try samplePipeline(in: dir)
        let original = Array(try String(contentsOfFile: path, encoding: .utf8).utf8)
        let iterations = Int(ProcessInfo.processInfo.environment["TAMIS_FUZZ_ITERATIONS"] ?? "") ?? 3_000
        var rng = SplitMix64(seed: 99)
        var errors = 0
        for _ in 0..<(iterations / 3) {
            var bytes = original
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let at = Int(rng.next() % UInt64(bytes.count))
                let pool = Array(":-{}[]\"'#\n  a0|&*!%".utf8)
                switch rng.next() % 3 {
                case 0: bytes[at] = pool[Int(rng.next() % UInt64(pool.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(pool[Int(rng.next() % UInt64(pool.count))], at: at)
                }
            }
            do {
                _ = try PipelineLoader.load(yaml: String(decoding: bytes, as: UTF8.self), file: path)
            } catch let error as ConfigError {
                errors += 1
                XCTAssertFalse(error.issues.isEmpty)
            }
        }
        print("fuzz: mutated pipeline files, \(iterations / 3) executions, \(errors) refused with located errors, 0 crashes")
    }

    /// Kills `tamis run` at random moments (not only the planned crash points): each time, the
    /// base is sound and holds whole runs only, the outputs are the previous or the new ones,
    /// and the next run succeeds.
    func test_runs_killed_at_random_moments_leave_a_consistent_base() throws {
        let dir = try temporaryDirectory(self)
        let pipeline = try samplePipeline(in: dir)
        let out = dir.appendingPathComponent("out/pre-campaign")
        let basePath = dir.appendingPathComponent("out/tamis.sqlite").path
        XCTAssertEqual(try runTamis(["run", pipeline, "-q"], in: dir).status, 0)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<6 {
            let process = Process()
            process.executableURL = try tamisExecutable()
            process.arguments = ["run", pipeline, "-q"]
            process.currentDirectoryURL = dir
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(50_000 + rng.next() % 1_500_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let base = try ProspectBase(path: basePath)
            XCTAssertEqual(try base.integrityCheck(), "ok")
            let runs = try base.runs()
            for run in runs {
                XCTAssertEqual(try base.lineageCounts(run: run.runID).values.reduce(0, +), run.balance.inputs, "whole runs only")
            }
            let summary = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
            XCTAssertTrue(runs.contains { summary.contains($0.runID) }, "the outputs belong to a recorded run")
        }
        XCTAssertEqual(try runTamis(["run", pipeline, "-q"], in: dir).status, 0, "the next run completes normally")
    }
}

