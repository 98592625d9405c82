import Foundation
import TamisCore
import TamisIO
import TamisSynthetic
import CLibXML2
#if canImport(Glibc)
import Glibc
#endif

// Release-mode benchmarks of Tamis, apart from the tests:
//   swift run -c release tamis-bench [--rows N] [--json results.json] [--keep DIR]
// Generates French-looking CSV and XML exports of N rows (default 1,000,000), then measures
// ingest throughput (MB/s, records/s) and the process's peak memory.

struct Measurement: Codable {
    var name: String
    var rows: Int
    var bytes: Int
    var seconds: Double
    var megabytesPerSecond: Double
    var recordsPerSecond: Double
    var peakMemoryMB: Double
}

/// Counts what the readers produce without keeping it (throughput of reading alone).
final class CountingSink: RecordSink {
    var records = 0
    var rejects = 0
    var names: [String: Int] = [:]
    func record(_ record: ProspectRecord) { records += 1 }
    func reject(_ rejected: RejectedInput) { rejects += 1 }
    func extraIndex(source: Int, name: String) -> Int {
        if let i = names[name] { return i }
        names[name] = names.count
        return names.count - 1
    }
}

/// Keeps every record, as the pipeline does (measures the memory of the record model).
final class KeepingSink: RecordSink {
    var records: [ProspectRecord] = []
    var names: [String: Int] = [:]
    func record(_ record: ProspectRecord) { records.append(record) }
    func reject(_ rejected: RejectedInput) {}
    func extraIndex(source: Int, name: String) -> Int {
        if let i = names[name] { return i }
        names[name] = names.count
        return names.count - 1
    }
}

/// A bad argument or input (a missing file, a `--refdata` folder without the reference
/// files): the error's message and exit status 2, not a crash with a backtrace.
func exitWithError(_ error: Error) -> Never {
    FileHandle.standardError.write(Data("tamis-bench: \(error)\n".utf8))
    exit(2)
}

func peakMemoryMB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
}

/// CPU seconds this process has used (user and system, every thread): on this shared VM a
/// steadier measure than wall time for comparing two commits.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Writes a benchmark's results as JSON (two commits' files can then be compared).
func saveJSON(_ value: some Encodable, to path: String?) throws {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    print("saved \(path)")
}

func measure(_ name: String, rows: Int, bytes: Int, repeat times: Int = 3, _ body: () throws -> Int) rethrows -> Measurement {
    var best = Double.infinity
    var count = 0
    for _ in 0..<times {
        let start = ContinuousClock.now
        count = try body()
        let elapsed = ContinuousClock.now - start
        let (s, atto) = elapsed.components
        best = min(best, Double(s) + Double(atto) / 1e18)
    }
    precondition(count == rows, "\(name): read \(count) records, expected \(rows)")
    return Measurement(name: name, rows: rows, bytes: bytes, seconds: best,
                       megabytesPerSecond: Double(bytes) / 1e6 / best, recordsPerSecond: Double(rows) / best,
                       peakMemoryMB: peakMemoryMB())
}

// Matching: `generate`, `evaluate`, `matching`, `febrl` (see MatchingBench).
if CommandLine.arguments.count > 1, ["generate", "evaluate", "matching", "febrl", "comparators", "febrl-style", "sirene", "normalise-dump", "normalise-loop", "phone-blocks"].contains(CommandLine.arguments[1]) {
    let args = Array(CommandLine.arguments.dropFirst(2))
    func option(_ name: String) -> String? { args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } }
    let refdata = option("--refdata") ?? "data/refdata"
    do {
        switch CommandLine.arguments[1] {
        case "normalise-dump", "normalise-loop":
            // tamis-bench normalise-dump FILE... [--refdata DIR] > dump.txt (compare two commits);
            // normalise-loop FILE... [--no-memo] [--all-cores]: the whole-record loop alone, for perf record
            let files = args.filter { !$0.hasPrefix("--") && $0 != option("--refdata") }
            if CommandLine.arguments[1] == "normalise-dump" {
                try NormaliseDump.run(files: files, refdata: refdata)
            } else {
                try NormaliseDump.loop(files: files, refdata: refdata, memo: !args.contains("--no-memo"), allCores: args.contains("--all-cores"))
            }
        case "comparators":
            try ComparatorBench.run(refdata: refdata)
        case "phone-blocks":
            // tamis-bench phone-blocks > data/refdata/phone_overseas_blocks.csv: the overseas
            // sub-blocks as the installed libphonenumber reads them (OverseasPhoneBlocks)
            print(OverseasPhoneBlocksFile.make(), terminator: "")
        case "sirene":
            // tamis-bench sirene --establishments N --prospects M [--seed S] [--keep DIR [--reuse-register]] [--json FILE]
            //   [--checks-only] [--runs R]
            try SireneBench.run(establishments: Int(option("--establishments") ?? "") ?? 1_000_000,
                                prospects: Int(option("--prospects") ?? "") ?? 100_000, seed: UInt64(option("--seed") ?? "") ?? 77,
                                keep: option("--keep"), refdata: refdata, json: option("--json"), checksOnly: args.contains("--checks-only"),
                                reuseRegister: args.contains("--reuse-register"), runs: max(1, Int(option("--runs") ?? "") ?? 3))
        case "febrl-style":
            // tamis-bench febrl-style --records N --out FILE: Febrl-shaped person records with truth
            var generator = FebrlStyleGenerator(records: Int(option("--records") ?? "") ?? 1_000_000)
            let out = option("--out") ?? "febrl-style.csv"
            let (count, pairs) = try generator.write(to: out)
            print("wrote \(count) Febrl-style records (\(pairs) true pairs) to \(out); score with: tamis-bench febrl --data \(out)")
        case "generate":
            // tamis-bench generate --people N --out DIR [--seed S]
            let people = Int(option("--people") ?? "") ?? 10_000
            let out = option("--out") ?? "out/synthetic"
            let count = try MatchingBench.generate(people: people, seed: UInt64(option("--seed") ?? "") ?? 2026, into: out, refdata: refdata)
            print("wrote \(count) records of \(people) people to \(out)/ (salon.csv, webinar.csv, crm.xml, truth.csv, pipeline.yml)")
        case "evaluate":
            // tamis-bench evaluate --truth truth.csv --lineage out/lineage.csv
            let q = try MatchingBench.evaluate(truth: option("--truth") ?? "truth.csv", lineage: option("--lineage") ?? "out/lineage.csv")
            MatchingBench.report(q, label: "pairwise")
        case "matching":
            // tamis-bench matching --people N [--seed S] [--keep DIR]: generate, run the whole pipeline, measure
            let people = Int(option("--people") ?? "") ?? 100_000
            let dir = option("--keep") ?? NSTemporaryDirectory() + "tamis-matching-\(getpid())"
            let seed = UInt64(option("--seed") ?? "") ?? 2026
            let count = try MatchingBench.generate(people: people, seed: seed, into: dir, refdata: refdata)
            print("matching: \(count) generated records (\(people) people, seed \(seed)), release build, \(ParallelLoop.threadCount) cores")
            let (summary, wall) = try MatchingBench.runTimed(pipeline: dir + "/pipeline.yml", out: dir + "/out")
            let quality = try MatchingBench.evaluate(truth: dir + "/truth.csv", lineage: dir + "/out/lineage.csv")
            MatchingBench.report(quality, label: "person clusters")
            try saveJSON(MatchingBench.result("matching-\(people)-people", summary, wall: wall, quality: quality), to: option("--json"))
            if option("--keep") == nil { try? FileManager.default.removeItem(atPath: dir) }
        default:
            // tamis-bench febrl --pipeline pipelines/febrl.yml --data FILE
            let source = option("--pipeline") ?? "pipelines/febrl.yml"
            let data = option("--data") ?? "data/bench/febrl/febrl3.csv"
            let out = NSTemporaryDirectory() + "tamis-febrl-\(getpid())"
            // The pipeline names febrl3; another file gets a copy of the pipeline pointing at it.
            var text = try String(contentsOfFile: source, encoding: .utf8)
            let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
            text = text.replacingOccurrences(of: "../data/bench/febrl/febrl3.csv", with: absolute(data))
                .replacingOccurrences(of: "reference_data: ../data/refdata", with: "reference_data: " + absolute(refdata))
                // A new base per run: a base left by an earlier run would be carried into this one.
                .replacingOccurrences(of: "base: ../out/febrl.sqlite", with: "base: " + out + "/febrl.sqlite")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let pipeline = out + "/febrl.yml"
            try text.write(toFile: pipeline, atomically: true, encoding: .utf8)
            print("febrl: \(data)")
            let (summary, wall) = try MatchingBench.runTimed(pipeline: pipeline, out: out + "/run")
            let quality = try MatchingBench.evaluate(truth: data, lineage: out + "/run/lineage.csv", idColumn: "rec_id",
                                                     entityColumn: "cluster", sourceColumn: nil)
            MatchingBench.report(quality, label: "febrl")
            try saveJSON(MatchingBench.result("febrl-" + URL(fileURLWithPath: data).lastPathComponent, summary, wall: wall,
                                                        quality: quality), to: option("--json"))
            try? FileManager.default.removeItem(atPath: out)
        }
    } catch {
        exitWithError(error)
    }
    exit(0)
}

var rows = 1_000_000
var jsonPath: String?
var refdata = "data/refdata"
var only: String?
var keepDirectory: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--rows": rows = Int(arguments.next() ?? "") ?? rows
    case "--json": jsonPath = arguments.next()
    case "--keep": keepDirectory = arguments.next()
    case "--refdata": refdata = arguments.next() ?? refdata
    case "--only": only = arguments.next()
    default:
        print("usage: tamis-bench [--rows N] [--json FILE] [--keep DIR] [--refdata DIR] [--only normalise]")
        exit(2)
    }
}

#if DEBUG
print("warning: this is a debug build; benchmark figures are meaningless. Use: swift run -c release tamis-bench")
#endif

let directory = keepDirectory ?? NSTemporaryDirectory() + "tamis-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { if keepDirectory == nil { try? FileManager.default.removeItem(atPath: directory) } }
let csvPath = directory + "/prospects.csv"
let xmlPath = directory + "/prospects.xml"
// With --keep, files generated earlier for the same row count are reused (for profiling).
let stamp = directory + "/rows.txt"
let csvBytes: Int, xmlBytes: Int
if keepDirectory != nil, (try? String(contentsOfFile: stamp, encoding: .utf8)) == "\(rows)" {
    csvBytes = (try FileManager.default.attributesOfItem(atPath: csvPath)[.size] as? Int) ?? 0
    xmlBytes = (try FileManager.default.attributesOfItem(atPath: xmlPath)[.size] as? Int) ?? 0
    print("reusing \(rows) rows in \(directory)")
} else {
    print("generating \(rows) rows in \(directory)…")
    csvBytes = try SyntheticExport.writeCSV(rows: rows, to: csvPath)
    xmlBytes = try SyntheticExport.writeXML(rows: rows, to: xmlPath)
    try "\(rows)".write(toFile: stamp, atomically: true, encoding: .utf8)
}

var results: [Measurement] = []

if only == nil {
results.append(try measure("csv parse (rows only)", rows: rows, bytes: csvBytes) {
    struct Counter: CSVRowHandler {
        var rows = -1  // the header
        mutating func row(_ row: CSVRow) -> CSVRowDecision { rows += 1; return .accept }
        mutating func problem(_ problem: CSVProblem) {}
    }
    var parser = CSVParser(dialect: CSVDialect(delimiter: UInt8(ascii: ";")))
    var counter = Counter()
    let reader = try FileByteReader(path: csvPath)
    try reader.forEachChunk { parser.parse($0, into: &counter) }
    parser.finish(into: &counter)
    return counter.rows
})

results.append(try measure("csv ingest (records, discarded)", rows: rows, bytes: csvBytes) {
    let sink = CountingSink()
    let report = try CSVSourceReader.read(path: csvPath, displayName: "prospects.csv", sourceIndex: 0, fileIndex: 0,
                                          options: CSVReadOptions(idColumn: "Identifiant"), sink: sink, progress: { _, _ in })
    return report.records
})

results.append(measure("xml parse (libxml2 reader only)", rows: rows, bytes: xmlBytes) {
    // libxml2's own pace with the same secure options: the ceiling for XML ingest.
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOENT.rawValue | XML_PARSE_NOCDATA.rawValue)
    guard let reader = xmlReaderForFile(xmlPath, nil, options) else { return 0 }
    defer { xmlFreeTextReader(reader) }
    var contacts = 0
    while xmlTextReaderRead(reader) == 1 {
        if xmlTextReaderNodeType(reader) == 1, xmlTextReaderDepth(reader) == 1 { contacts += 1 }
    }
    return contacts
})

results.append(try measure("xml ingest (records, discarded)", rows: rows, bytes: xmlBytes) {
    let sink = CountingSink()
    let report = try XMLRecordReader.read(
        path: xmlPath, displayName: "prospects.xml", sourceIndex: 0, fileIndex: 0,
        options: XMLReadOptions(recordElement: "contact", idPath: "@id",
                                fields: [.companyName: "societe/raison_sociale", .siret: "societe/@siret", .naf: "societe/naf",
                                         .address1: "adresse/ligne1", .postalCode: "adresse/cp", .city: "adresse/ville"]),
        sink: sink, progress: { _, _ in })
    return report.records
})

results.append(try measure("csv ingest (records kept in memory)", rows: rows, bytes: csvBytes, repeat: 1) {
    let sink = KeepingSink()
    _ = try CSVSourceReader.read(path: csvPath, displayName: "prospects.csv", sourceIndex: 0, fileIndex: 0,
                                 options: CSVReadOptions(idColumn: "Identifiant"), sink: sink, progress: { _, _ in })
    return sink.records.count
})

}
// Normalisation: the whole record, then each field on its own (one core).
let kept = KeepingSink()
_ = try CSVSourceReader.read(path: csvPath, displayName: "prospects.csv", sourceIndex: 0, fileIndex: 0,
                             options: CSVReadOptions(idColumn: "Identifiant"), sink: kept, progress: { _, _ in })
let reference: ReferenceData
do { reference = try ReferenceDataLoader.load(directory: refdata) } catch { exitWithError(error) }
let normalizer = RecordNormalizer(reference: reference, options: NormalizeOptions(vatNumber: true), phoneReference: LibPhoneNumber())
results.append(measure("normalise: whole record, no memo", rows: rows, bytes: csvBytes) {
    var n = 0
    for record in kept.records {
        let (value, _) = normalizer.normalize(record.raw)
        if value.count > 0 { n += 1 }
    }
    return n
})
// As one thread of the stage does: repeated values looked up (a new memo each pass).
var memoHits = (hits: 0, lookups: 0)
results.append(measure("normalise: whole record", rows: rows, bytes: csvBytes) {
    var n = 0
    var memo = NormalizeMemo()
    for record in kept.records where normalizer.normalize(record.raw, memo: &memo).0.count > 0 { n += 1 }
    memoHits = (memo.hits, memo.lookups)
    return n
})
print("memo: \(memoHits.hits) of \(memoHits.lookups) names and civilities found")
// The same on the matching generator's three exports (damaged names, phones, postal codes…).
let generatedDir = (keepDirectory ?? NSTemporaryDirectory() + "tamis-bench-\(getpid())") + "/generated"
if !FileManager.default.fileExists(atPath: generatedDir + "/crm.xml") {
    _ = try MatchingBench.generate(people: max(1, rows * 3 / 10), seed: 5, into: generatedDir, refdata: refdata)
}
var generatedRecords: [ProspectRecord] = []
for (index, file) in ["salon.csv", "webinar.csv", "crm.xml"].enumerated() {
    generatedRecords += try NormaliseDump.read(generatedDir + "/" + file, index: index)
}
results.append(measure("normalise: whole record, generated exports", rows: generatedRecords.count, bytes: 0) {
    var n = 0
    var memo = NormalizeMemo()
    for record in generatedRecords where normalizer.normalize(record.raw, memo: &memo).0.count > 0 { n += 1 }
    return n
})
if keepDirectory == nil { try? FileManager.default.removeItem(atPath: generatedDir) }
results.append(try measure("normalise: stage, all cores", rows: rows, bytes: csvBytes, repeat: 1) {
    var state = RunState(sources: [SourceInfo(name: "bench", trust: 5)])
    for record in kept.records { state.append(record) }
    _ = try NormalizeStage(normalizer: normalizer).run(&state, progress: SilentProgress())
    return state.records.count
})
func fieldBenchmark(_ name: String, _ field: CanonicalField, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) {
    results.append(measure("normalise: \(name)", rows: rows, bytes: 0) {
        var n = 0
        for record in kept.records where record.raw.withBytes(field.rawValue, body) || true { n += 1 }
        return n
    })
}
fieldBenchmark("siret", .siret) { SiretNumber.parse($0).siret != nil }
fieldBenchmark("naf", .naf) { reference.naf.normalize($0).code != nil }
fieldBenchmark("phone (fast path)", .phone) { FrenchPhone.normalize($0, reference: LibPhoneNumber()).e164 != nil }
fieldBenchmark("email", .email) { !EmailAddress.normalize($0, lists: reference.email).domain.isEmpty }
fieldBenchmark("last name casing", .lastName) { !PersonName.properCase($0).isEmpty }
fieldBenchmark("accent folding (last name)", .lastName) { buffer in
    var out: [UInt8] = []
    AccentFolding.fold(buffer, into: &out)
    return !out.isEmpty
}
fieldBenchmark("company name", .companyName) { !CompanyName.split($0, forms: reference.legalForms).name.isEmpty }
results.append(measure("normalise: postal code + city", rows: rows, bytes: 0) {
    var n = 0
    for record in kept.records {
        let result = record.raw.withBytes(CanonicalField.postalCode.rawValue) { code in
            record.raw.withBytes(CanonicalField.city.rawValue) { reference.geography.normalize(postalCode: code, city: $0) }
        }
        if result.postalCode != nil || true { n += 1 }
    }
    return n
})
results.append(measure("libphonenumber (reference), 1/10 of the rows", rows: rows / 10, bytes: 0) {
    let lib = LibPhoneNumber()
    var n = 0
    for record in kept.records.prefix(rows / 10) {
        if let phone = record.rawValue(.phone), lib.parse(phone, defaultRegion: "FR") != nil || true { n += 1 }
    }
    return n
})

print("")
print("benchmark".padding(toLength: 44, withPad: " ", startingAt: 0) + "     rows      MB     s     MB/s    records/s  peak MB")
for r in results {
    print(r.name.padding(toLength: 44, withPad: " ", startingAt: 0)
          + String(format: "%9d %7.1f %5.2f %8.1f %12.0f %8.0f", r.rows, Double(r.bytes) / 1e6, r.seconds,
                   r.megabytesPerSecond, r.recordsPerSecond, r.peakMemoryMB))
}
print("(best of 3 runs, except the last; peak memory is the process's maximum resident size so far)")
if let jsonPath {
    try saveJSON(results, to: jsonPath)
}
