import Foundation
import TamisIO
import XCTest

/// The package root (for data/samples and pipelines/).
let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tamis-pipeline-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Copies the bundled samples into `dir/data/samples` and writes a pipeline next to them,
/// so each test has its own outputs and base.
func samplePipeline(in dir: URL, extra: String = "") throws -> String {
    let samples = dir.appendingPathComponent("data/samples")
    try FileManager.default.createDirectory(at: samples, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("data/refdata"),
                                               withDestinationURL: packageRoot.appendingPathComponent("data/refdata"))
    for name in try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("data/samples").path) {
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("data/samples/\(name)"),
                                         to: samples.appendingPathComponent(name))
    }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("pipelines"), withIntermediateDirectories: true)
    var yaml = try String(contentsOf: packageRoot.appendingPathComponent("pipelines/pre-campaign.yml"), encoding: .utf8)
    yaml += extra
    // The pipeline checks companies against `../out/sirene.register`: built from the bundled extract.
    let sirene = packageRoot.appendingPathComponent("data/sirene")
    try SireneImport.run(files: ["StockEtablissement_sample.csv", "StockUniteLegale_sample.csv"].map { sirene.appendingPathComponent($0).path },
                         registerPath: dir.appendingPathComponent("out/sirene.register").path, importedAt: "2026-11-01T00:00:00Z")
    let path = dir.appendingPathComponent("pipelines/pre-campaign.yml").path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Reads a CSV output written by Tamis (UTF-8, comma, quoted fields) into rows of cells.
func readCSV(_ path: String) throws -> [[String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var rows: [[String]] = [], row: [String] = [], cell = ""
    var quoted = false
    var chars = Array(text)
    if chars.first == "\u{FEFF}" { chars.removeFirst() }
    var i = 0
    while i < chars.count {
        let c = chars[i]
        if quoted {
            if c == "\"" {
                if i + 1 < chars.count && chars[i + 1] == "\"" { cell.append("\""); i += 1 } else { quoted = false }
            } else { cell.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { row.append(cell); cell = "" }
        else if c == "\r\n" || c == "\n" { row.append(cell); rows.append(row); row = []; cell = "" }
        else { cell.append(c) }
        i += 1
    }
    if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
    return rows
}

/// Rows as dictionaries keyed by the header.
func readCSVRecords(_ path: String) throws -> [[String: String]] {
    let rows = try readCSV(path)
    guard let header = rows.first else { return [] }
    return rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}

/// Runs the built `tamis` executable.
struct ProcessResult {
    var status: Int32
    var signal: Int32?
    var stdout: String
    var stderr: String
}

func tamisExecutable() throws -> URL {
    let candidates = [
        Bundle.main.bundleURL.appendingPathComponent("tamis"),
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("tamis"),
        packageRoot.appendingPathComponent(".build/debug/tamis"),
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw XCTSkip("the tamis executable is not built: run `swift build --product tamis` first (scripts/test does)")
    }
    return found
}

func runTamis(_ arguments: [String], environment: [String: String] = [:], in directory: URL) throws -> ProcessResult {
    let process = Process()
    process.executableURL = try tamisExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let killed = process.terminationReason == .uncaughtSignal
    return ProcessResult(status: killed ? -1 : process.terminationStatus, signal: killed ? process.terminationStatus : nil,
                         stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

/// `reference_data:` line pointing at the repository's reference data, for pipelines written
/// in temporary folders.
let referenceDataLine = "reference_data: \(packageRoot.appendingPathComponent("data/refdata").path)\n"
