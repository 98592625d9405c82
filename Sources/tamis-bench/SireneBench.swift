import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import TamisSynthetic

/// `tamis-bench sirene --establishments N --prospects M [--keep DIR] [--seed S] [--json F]`:
/// generates a register and prospects with truth, then measures the import, the SIRET checks,
/// siretisation, and the quality of each against the truth.
enum SireneBench {
    struct Result: Codable {
        var establishments: Int
        var units: Int
        var prospects: Int
        /// Nil when the run reused a register imported before (`--reuse-register`).
        var importSeconds: Double?
        var importRowsPerSecond: Double?
        var registerMB: Double
        var importPeakMB: Double?
        var checkRecords: Int
        var checkSeconds: Double
        var siretisationRecords: Int
        var siretisationSeconds: Double
        var closedPrecision: Double
        var closedRecall: Double
        var unknownPrecision: Double
        var unknownRecall: Double
        var siretisationPrecision: Double
        var siretisationRecall: Double
        var peakMB: Double
    }

    /// `value` in storage of its own, as the normaliser leaves it.
    static func owned(_ value: PackedFields) -> PackedFields {
        let lengths = (0..<value.count).map { value.valueRange($0).count }
        return value.withValueBytes { bytes in
            lengths.withUnsafeBufferPointer { lengths in
                PackedFields(lengths: lengths, spareBytes: NormalizeOptions.sireneStatusRoom) { i, destination in
                    _ = destination.initialize(from: bytes[value.valueRange(i)])
                }
            }
        }
    }

    static func onlySiretsList(_ state: RunState) -> [UInt64] {
        state.records.compactMap { record in
            guard record.quality(.siret).status == .valid || record.quality(.siret).status == .repaired else { return nil }
            return record[.siret].flatMap { UInt64($0) }
        }
    }

    static func run(establishments: Int, prospects: Int, seed: UInt64, keep: String?, refdata: String, json: String?,
                    checksOnly: Bool = false, reuseRegister: Bool = false, runs runCount: Int = 3) throws {
        let dir = keep ?? NSTemporaryDirectory() + "tamis-sirene-\(getpid())"
        let register = dir + "/sirene.register"
        var clock = ContinuousClock.now
        if !FileManager.default.fileExists(atPath: dir + "/truth.csv") {
            var generator = SireneGenerator(settings: .init(establishments: establishments, prospects: prospects, seed: seed),
                                            reference: try ProspectGenerator.Reference.load(refdata: refdata))
            let counts = try generator.write(to: dir)
            print(String(format: "generated %d establishments, %d units, %d prospects in %.1f s → %@", counts.establishments, counts.units,
                         counts.prospects, (ContinuousClock.now - clock).seconds, dir))
        }
        print("sirene: release build, \(ParallelLoop.threadCount) cores")
        // The import of a 10M register takes minutes: the stages can be measured again on it.
        var imported: (seconds: Double, rows: Int, peakMB: Double)?
        if reuseRegister && FileManager.default.fileExists(atPath: register) {
            print("import: skipped, \(register) reused (--reuse-register)")
        } else {
            clock = ContinuousClock.now
            let report = try SireneImport.run(files: [dir + "/StockUniteLegale_utf8.csv", dir + "/StockEtablissement_utf8.csv"],
                                              registerPath: register, importedAt: PipelineRunner.timestamp()) { file, rows, _, _ in
                print("  \((file as NSString).lastPathComponent): \(rows) rows")
            }
            let seconds = (ContinuousClock.now - clock).seconds
            let rows = report.files.reduce(0) { $0 + $1.rows }
            imported = (seconds, rows, peakMemoryMB())
            print(String(format: "import: %d rows (%d establishments, %d units, %d name keys) in %.1f s = %.0f rows/s; peak memory %.0f MB",
                         rows, report.info.establishments, report.info.units, report.nameKeys, seconds, Double(rows) / seconds, peakMemoryMB()))
            print("  phases: " + report.phases.map { String(format: "%@ %.2f s", $0.0, $0.1) }.joined(separator: ", "))
        }
        let registerMB = Double((try FileManager.default.attributesOfItem(atPath: register)[.size] as? Int) ?? 0) / 1_048_576
        print(String(format: "register: %.0f MB", registerMB))

        // Prospects, normalised as in a run.
        let sink = KeepingSink()
        _ = try CSVSourceReader.read(path: dir + "/prospects.csv", displayName: "prospects.csv", sourceIndex: 0, fileIndex: 0,
                                     options: CSVReadOptions(idColumn: "id"), sink: sink, progress: { _, _ in })
        let reference = try ReferenceDataLoader.load(directory: refdata)
        let normalizer = RecordNormalizer(reference: reference, options: NormalizeOptions(spareBytes: NormalizeOptions.sireneStatusRoom), phoneReference: nil)
        var all = RunState(sources: [SourceInfo(name: "prospects", trust: 5)])
        for record in sink.records { all.append(record) }
        _ = try NormalizeStage(normalizer: normalizer).run(&all, progress: SilentProgress())
        var checks = RunState(sources: all.sources), siretisation = RunState(sources: all.sources)
        for record in all.records {
            let hasIdentifier = [CanonicalField.siret, .siren].contains { record.quality($0).status == .valid || record.quality($0).status == .repaired }
            if hasIdentifier { checks.append(record) } else { siretisation.append(record) }
        }
        let file = try SireneRegisterFile(path: register)
        var settings = SireneSettings()
        settings.register = register
        // The register alone: point lookups of the prospects' SIRETs on one core.
        do {
            let reader = try file.makeReader()
            let sirets = onlySiretsList(checks)
            var found = 0
            let start = ContinuousClock.now
            for siret in sirets where try reader.establishmentState(siret) != nil { found += 1 }
            let seconds = (ContinuousClock.now - start).seconds
            print(String(format: "register lookups: %d SIRET states in %.2f s = %.0f lookups/s on one core (%d found)", sirets.count, seconds,
                         Double(sirets.count) / seconds, found))
        }
        // Checks alone: no siretisation of SIREN-only records, no enrichment.
        var checkSettings = settings
        checkSettings.siretise = false
        checkSettings.enrich = []
        var onlySirets = RunState(sources: all.sources)
        for record in checks.records where record.quality(.siret).status == .valid || record.quality(.siret).status == .repaired { onlySirets.append(record) }
        // Several runs (three unless --runs) on fresh copies: this shared VM's timings vary by a
        // quarter from run to run; the first is also printed (a pipeline checks once, with the
        // register just mapped).
        var runs: [Double] = [], cpu: [Double] = []
        for _ in 0..<runCount {
            var copy = onlySirets
            // The copy's own arrays and values before the clock starts, with the normaliser's
            // spare bytes: a pipeline's records are its own, only this benchmark shares them
            // between runs.
            copy.outcomes.withUnsafeMutableBufferPointer { _ in }
            for i in copy.records.indices { copy.records[i].value = SireneBench.owned(copy.records[i].value) }
            clock = ContinuousClock.now
            let cpuBefore = cpuSeconds()
            _ = try SireneStage(register: file, settings: checkSettings, normalizer: normalizer).run(&copy, progress: SilentProgress())
            runs.append((ContinuousClock.now - clock).seconds)
            cpu.append(cpuSeconds() - cpuBefore)
        }
        let checkSeconds = runs.min()!
        print(String(format: "checks: %d records with a SIRET in %.2f s = %.0f records/s (status only; best of %d, median %.2f s, first %.2f s = %.0f/s)",
                     onlySirets.records.count, checkSeconds, Double(onlySirets.records.count) / checkSeconds, runs.count,
                     runs.sorted()[runs.count / 2], runs[0], Double(onlySirets.records.count) / runs[0]))
        print(String(format: "  CPU time of the checks: %@ s (median %.3f s)", cpu.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                     cpu.sorted()[cpu.count / 2]))
        if checksOnly { return }
        clock = ContinuousClock.now
        _ = try SireneStage(register: file, settings: settings, normalizer: normalizer).run(&checks, progress: SilentProgress())
        let fullCheckSeconds = (ContinuousClock.now - clock).seconds
        print(String(format: "checks with successors, SIREN-only establishments and enrichment: %d records in %.2f s = %.0f records/s",
                     checks.records.count, fullCheckSeconds, Double(checks.records.count) / fullCheckSeconds))
        clock = ContinuousClock.now
        _ = try SireneStage(register: file, settings: settings, normalizer: normalizer).run(&siretisation, progress: SilentProgress())
        let siretisationSeconds = (ContinuousClock.now - clock).seconds
        print(String(format: "siretisation: %d records without SIRET or SIREN in %.2f s = %.0f records/s",
                     siretisation.records.count, siretisationSeconds, Double(siretisation.records.count) / siretisationSeconds))

        // Quality against the truth.
        var truth: [String: (kind: String, siret: String)] = [:]
        for row in try CSVTable.read(path: dir + "/truth.csv") { truth[row["id"] ?? ""] = (row["truth"] ?? "", row["siret"] ?? "") }
        func detection(_ status: String, _ kinds: Set<String>) -> (Double, Double) {
            var tp = 0, fp = 0, fn = 0
            for record in checks.records {
                guard let t = truth[record.origin.sourceID] else { continue }
                let said = record[.sireneStatus] == status, true_ = kinds.contains(t.kind)
                if said && true_ { tp += 1 } else if said { fp += 1 } else if true_ { fn += 1 }
            }
            return (Double(tp) / Double(max(1, tp + fp)), Double(tp) / Double(max(1, tp + fn)))
        }
        let closed = detection("closed", ["closed"])
        let unknown = detection("unknown", ["unknown"])
        let defunct = detection("defunct", ["defunct"])
        var filled = 0, correct = 0, findable = 0, found = 0, review = 0
        for record in siretisation.records {
            guard let t = truth[record.origin.sourceID] else { continue }
            if t.kind == "findable" { findable += 1 }
            if record[.sireneStatus] == "review" { review += 1 }
            guard record[.sireneStatus] == "siretised", let siret = record[.siret] else { continue }
            filled += 1
            if siret == t.siret { correct += 1; found += 1 }
        }
        if keep != nil {
            // What the stage said of each prospect, beside the truth (for error analysis).
            var lines = "id,truth,truth_siret,status,siret,score,company,street,postal\n"
            for record in checks.records + siretisation.records {
                let t = truth[record.origin.sourceID] ?? ("", "")
                let cells = [record.origin.sourceID, t.kind, t.siret, record[.sireneStatus] ?? "", record[.siret] ?? "", record[.sireneScore] ?? "",
                             record[.companyName] ?? "", record[.address1] ?? "", record[.postalCode] ?? ""]
                lines += cells.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") + "\n"
            }
            try lines.write(toFile: dir + "/answers.csv", atomically: true, encoding: .utf8)
        }
        var sirenRight = 0, sirenTotal = 0
        for record in checks.records where truth[record.origin.sourceID]?.kind == "siren_only" {
            sirenTotal += 1
            if record[.siret] == truth[record.origin.sourceID]?.siret { sirenRight += 1 }
        }
        let precision = Double(correct) / Double(max(1, filled)), recall = Double(found) / Double(max(1, findable))
        print(String(format: "closed SIRETs: precision %.4f recall %.4f; defunct: precision %.4f recall %.4f; unknown: precision %.4f recall %.4f",
                     closed.0, closed.1, defunct.0, defunct.1, unknown.0, unknown.1))
        print(String(format: "siretisation by name and address: precision %.4f (%d right of %d filled), recall %.4f of %d findable; %d sent to review",
                     precision, correct, filled, recall, findable, review))
        print(String(format: "SIREN only: %d of %d given the truth's establishment (%.4f)", sirenRight, sirenTotal, Double(sirenRight) / Double(max(1, sirenTotal))))
        print(String(format: "peak memory %.0f MB", peakMemoryMB()))
        if let json {
            let result = Result(establishments: file.info.establishments, units: file.info.units, prospects: all.records.count,
                                importSeconds: imported?.seconds, importRowsPerSecond: imported.map { Double($0.rows) / $0.seconds },
                                registerMB: registerMB, importPeakMB: imported?.peakMB, checkRecords: onlySirets.records.count, checkSeconds: checkSeconds,
                                siretisationRecords: siretisation.records.count, siretisationSeconds: siretisationSeconds,
                                closedPrecision: closed.0, closedRecall: closed.1, unknownPrecision: unknown.0, unknownRecall: unknown.1,
                                siretisationPrecision: precision, siretisationRecall: recall, peakMB: peakMemoryMB())
            try saveJSON(result, to: json)
        }
        if keep == nil { try? FileManager.default.removeItem(atPath: dir) }
    }
}
