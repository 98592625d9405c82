import Foundation
import TamisCore
import TamisIO

/// `tamis-bench normalise-dump FILE... > out.txt`: every record of the files (CSV with its
/// header detected; XML with `<contact id="…">` records, as `generate` writes them) normalised,
/// one line per field that has a value or a status: `id field value status reason`.
/// Comparing two commits' dumps proves a rewrite of the normalisers changed nothing.
enum NormaliseDump {
    static func read(_ path: String, index: Int) throws -> [ProspectRecord] {
        let kept = KeepingSink()
        if path.hasSuffix(".xml") {
            let fields: [CanonicalField: String] = [.companyName: "raison_sociale", .address1: "adresse", .postalCode: "cp",
                                                    .city: "ville", .mobile: "mobile"]
            _ = try XMLRecordReader.read(path: path, displayName: path, sourceIndex: 0, fileIndex: index,
                                         options: XMLReadOptions(recordElement: "contact", idPath: "@id", fields: fields),
                                         sink: kept, progress: { _, _ in })
        } else {
            _ = try CSVSourceReader.read(path: path, displayName: path, sourceIndex: 0, fileIndex: index,
                                         options: CSVReadOptions(), sink: kept, progress: { _, _ in })
        }
        return kept.records
    }

    static func normalizer(refdata: String) throws -> RecordNormalizer {
        RecordNormalizer(reference: try ReferenceDataLoader.load(directory: refdata), options: NormalizeOptions(vatNumber: true),
                         phoneReference: LibPhoneNumber())
    }

    /// `tamis-bench normalise-loop FILE... [--no-memo]`: whole-record normalisation of the
    /// files' records on one core, as a thread of the stage does (repeated values looked up in
    /// a memo of names and civilities, a new one each pass), best of 5 passes (a target for `perf record`).
    static func loop(files: [String], refdata: String, memo useMemo: Bool, allCores: Bool = false) throws {
        let normalizer = try normalizer(refdata: refdata)
        var records: [ProspectRecord] = []
        for (index, path) in files.enumerated() { records += try read(path, index: index) }
        var found = (hits: 0, lookups: 0)
        let result = measure("normalise, whole record, one core\(useMemo ? "" : ", no memo")", rows: records.count, bytes: 0, repeat: 5) {
            var n = 0
            var memo = useMemo ? NormalizeMemo() : .none
            for record in records where normalizer.normalize(record.raw, memo: &memo).0.count > 0 { n += 1 }
            found = (memo.hits, memo.lookups)
            return n
        }
        print("\(result.name): \(records.count) records in \(result.seconds) s: \(Int(result.recordsPerSecond)) records/s")
        if useMemo { print("memo: \(found.hits) of \(found.lookups) names and civilities found") }
        // `--all-cores`: the same on every core, as the stage runs it (chunks taken in turn, a
        // memo a thread, one normaliser and its reference data shared): how far from cores × one core.
        guard allCores else { return }
        let shared = measure("normalise, whole record, \(ParallelLoop.threadCount) cores", rows: records.count, bytes: 0, repeat: 5) {
            ParallelLoop.run(records.count, chunk: 512, state: { useMemo ? NormalizeMemo() : .none }) { memo, range in
                for i in range { _ = normalizer.normalize(records[i].raw, memo: &memo) }
            }
            return records.count
        }
        print("\(shared.name): \(records.count) records in \(shared.seconds) s: \(Int(shared.recordsPerSecond)) records/s")
    }

    static func run(files: [String], refdata: String) throws {
        let normalizer = try normalizer(refdata: refdata)
        var out = ""
        let stdout = FileHandle.standardOutput
        var memo = NormalizeMemo()  // as a thread of the normalise stage
        for (index, path) in files.enumerated() {
            for record in try read(path, index: index) {
                let (value, quality) = normalizer.normalize(record.raw, memo: &memo)
                for field in CanonicalField.allCases {
                    let q = field.rawValue < quality.count ? quality[field.rawValue] : .missing
                    let text = value.string(field.rawValue) ?? ""
                    if text.isEmpty && q.status == .missing && q.reason == .none { continue }
                    out += "\(path):\(record.origin.line)\t\(field.name)\t\(text)\t\(q.status.name)\t\(q.reason.code)\n"
                }
                if out.utf8.count > 1 << 20 {
                    stdout.write(out.data(using: .utf8)!)
                    out = ""
                }
            }
        }
        stdout.write(out.data(using: .utf8)!)
    }
}
