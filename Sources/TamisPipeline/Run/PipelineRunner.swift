import Foundation
import TamisCore
import TamisIO

/// Options from the command line.
public struct RunOptions: Sendable {
    /// Overrides `outputs.directory` (scheduled runs write to dated folders).
    public var outputDirectory: String?
    /// Read and process everything, write nothing.
    public var dryRun = false
    /// Any rejected row or unreadable file fails the run (exit 1) and nothing is written.
    public var strict = false
    public var quiet = false
    /// Rebuild the base from this run's files even if the pipeline says `mode: refresh`.
    public var rebuild = false
    /// Keep the matcher's model in the state after the run (`tamis explain`).
    public var keepMatchModel = false

    public init(outputDirectory: String? = nil, dryRun: Bool = false, strict: Bool = false, quiet: Bool = false,
                rebuild: Bool = false) {
        self.outputDirectory = outputDirectory
        self.dryRun = dryRun
        self.strict = strict
        self.quiet = quiet
        self.rebuild = rebuild
    }
}

/// Why a run stopped without writing.
public enum RunFailure: Error, CustomStringConvertible {
    /// `--strict` and the input had errors.
    case strictDataErrors(rejected: Int, fileProblems: Int)
    /// Inputs ≠ kept + merged + excluded + rejected: a bug; nothing is written.
    case lineageBroken(LineageBalance)
    case io(InputError)
    /// Another run is writing the same base.
    case baseBusy(BaseLock.Busy)

    public var description: String {
        switch self {
        case .strictDataErrors(let rejected, let files):
            return "--strict: \(rejected) rejected record(s) and \(files) unreadable file(s); nothing was written (see the messages above)"
        case .lineageBroken(let b):
            return "lineage does not balance: \(b.inputs) inputs ≠ \(b.kept) kept + \(b.merged) merged + \(b.excluded) excluded + \(b.rejected) rejected. Nothing was written; please report this bug."
        case .io(let error):
            return error.description
        case .baseBusy(let busy):
            return busy.description
        }
    }

    /// The documented exit code.
    public var exitCode: Int32 {
        switch self {
        case .strictDataErrors: return 1
        case .lineageBroken, .io: return 3
        case .baseBusy: return 4
        }
    }
}

/// Runs a pipeline: ingest → normalise → exclude → deduplicate → segment → write.
public final class PipelineRunner {
    public let definition: PipelineDefinition
    public let options: RunOptions
    public let console: Console
    /// The run's state after `run()` (for tests and `explain`).
    public private(set) var state: RunState
    /// The parser for numbers the French fast path leaves aside (libphonenumber).
    public var phoneReference: PhoneReference? = LibPhoneNumber()

    public init(definition: PipelineDefinition, options: RunOptions = RunOptions(), console: Console? = nil) {
        self.definition = definition
        self.options = options
        self.console = console ?? Console(quiet: options.quiet)
        state = RunState(sources: definition.sources.map { SourceInfo(name: $0.name, trust: $0.trust) })
    }

    public var outputDirectory: String { options.outputDirectory ?? definition.outputs.directory }

    /// The mode this run uses (`--rebuild` overrides the pipeline's).
    public var mode: BaseMode { options.rebuild ? .rebuild : definition.outputs.mode }

    @discardableResult
    public func run() throws -> RunSummary {
        let startedAt = PipelineRunner.timestamp()
        let runID = PipelineRunner.makeRunID()
        console.say("Tamis — pipeline \(definition.name), run \(runID), \(mode.rawValue)\(options.dryRun ? " (dry run: nothing is written)" : "")")
        // Held until the run ends: two runs never write the same base at once.
        var lock: BaseLock?
        if !options.dryRun {
            do {
                lock = try BaseLock.acquire(base: definition.outputs.base, pipeline: definition.name, startedAt: startedAt)
            } catch let busy as BaseLock.Busy {
                throw RunFailure.baseBusy(busy)
            } catch let error as InputError {
                throw RunFailure.io(error)
            }
        }
        defer { lock?.release() }
        // The register is opened first: a missing, damaged or outdated one stops the run
        // before minutes of reading and normalising.
        var register: SireneRegisterFile?
        if let path = definition.sirene.register {
            do {
                register = try SireneRegisterFile(path: path)
            } catch let error as InputError {
                throw RunFailure.io(error)
            }
        }

        let (reports, problems, ingestCounts) = try ingest()
        FaultInjection.reach("after-ingest")
        var stageCounts = [ingestCounts]
        let clock = ContinuousClock.now
        let previous = try previousBase()
        let readCount = state.records.count
        let merge = RefreshMerge.merge(&state, previous: previous, carry: mode == .refresh)
        var mergeCounts = StageCounts(stage: "base", recordsIn: readCount, recordsOut: state.records.count,
                                      details: ["carried": merge.carried, "updated": merge.updated,
                                                "unchanged": merge.unchanged, "new": merge.added])
        mergeCounts.seconds = (ContinuousClock.now - clock).seconds
        stageCounts.append(mergeCounts)
        report(mergeCounts)
        let reference: ReferenceData
        do {
            reference = try ReferenceDataLoader.load(directory: definition.referenceData)
        } catch let error as InputError {
            throw RunFailure.io(error)
        }
        var normalizeOptions = definition.normalizeOptions
        if definition.sirene.register != nil { normalizeOptions.spareBytes = NormalizeOptions.sireneStatusRoom }
        let normalizer = RecordNormalizer(reference: reference, options: normalizeOptions, phoneReference: phoneReference)
        let (checks, companyLists, suppression) = try exclusionChecks(normalizer: normalizer)
        var stages: [PipelineStage] = [NormalizeStage(normalizer: normalizer)]
        if let path = definition.sirene.register, let register {
            console.say("sirene       register \(path): stock of \(register.info.stockDate), \(register.info.establishments) establishments")
            stages.append(SireneStage(register: register, settings: definition.sirene, normalizer: normalizer))
        } else {
            console.say("sirene       skipped: the pipeline names no register (stages.sirene.register)")
        }
        stages += [
            ExcludeStage(rules: definition.exclusionRules, checks: checks),
            DeduplicateStage(settings: definition.match, decisions: try decisions(), keepModel: options.keepMatchModel,
                             survivorship: definition.survivorship),
            CompanyListStage(lists: companyLists),
            SuppressionStage(lists: suppression),
            SegmentStage(segments: definition.segments),
        ]
        for stage in stages {
            let clock = ContinuousClock.now
            var counts = try stage.run(&state, progress: console)
            counts.seconds = (ContinuousClock.now - clock).seconds
            stageCounts.append(counts)
            report(counts)
            // What the stage freed goes back to the system (a few ms; 1M records: peak −65 MB).
            ProcessMemory.releaseFreePages()
        }

        let diffClock = ContinuousClock.now
        let changes = BaseDiff.compute(previous: previous, state: &state)
        let changeCounts = BaseDiff.counts(changes)
        console.say("changes      " + BaseChange.Kind.allCases.map { "\($0.rawValue) \(changeCounts[$0.rawValue] ?? 0)" }
            .joined(separator: ", ") + (previous.isEmpty ? "  (new base)" : "")
            + String(format: "  (%.2f s)", (ContinuousClock.now - diffClock).seconds))

        let lineage = state.lineage()
        let balance = lineage.balance  // counted from the dispositions, without making a million entries
        guard balance.holds, lineage.count == state.inputCount else { throw RunFailure.lineageBroken(balance) }
        console.say("lineage: \(balance.inputs) in = \(balance.kept) kept + \(balance.merged) merged + \(balance.excluded) excluded + \(balance.rejected) rejected ✓")

        var rejectReasons: [String: Int] = [:]
        for reject in state.rejected { rejectReasons[reject.reason.code, default: 0] += 1 }
        let outputs = options.dryRun ? [:] : [
            "directory": outputDirectory, "base": definition.outputs.base,
            "clean_base": outputDirectory + "/" + OutputWriter.cleanBase,
        ]
        var summary = RunSummary(
            runID: runID, pipeline: definition.name, startedAt: startedAt, finishedAt: "",
            dryRun: options.dryRun, strict: options.strict,
            sources: definition.sources.enumerated().map { index, source in
                let files = reports.filter { $0.source == index }.map(\.report)
                return .init(name: source.name, trust: source.trust, files: files,
                             records: files.reduce(0) { $0 + $1.records }, rejected: files.reduce(0) { $0 + $1.rejected })
            },
            stages: stageCounts, lineage: balance, rejectReasons: rejectReasons, fileProblems: problems,
            outputs: outputs, goldenRecords: state.golden.count)
        summary.mode = mode.rawValue
        summary.match = state.matchStats
        if let sirene = state.sirene, let path = definition.sirene.register {
            summary.sirene = SireneSummary(register: path, stockDate: sirene.info.stockDate, statuses: sirene.statuses,
                                           filled: sirene.enriched, review: sirene.review.count, conflicts: sirene.conflicts.count)
        }
        summary.changes = changeCounts
        for (index, counts) in state.fieldQuality.enumerated() where index < state.sources.count {
            summary.fieldQuality[state.sources[index].name] = FieldQualitySummary.make(counts)
        }
        if options.strict && (!state.rejected.isEmpty || !problems.isEmpty) {
            throw RunFailure.strictDataErrors(rejected: state.rejected.count, fileProblems: problems.count)
        }
        summary.finishedAt = PipelineRunner.timestamp()
        if options.dryRun {
            let (report, seconds) = buildReport()
            summary.report = report
            console.say("report       built" + String(format: " (%.2f s)", seconds))
            console.say("dry run: \(state.golden.count) golden records would be written; nothing was written")
            return summary
        }
        // The report is built on the files' thread while the base is written.
        summary = try write(summary: summary, lineage: lineage, balance: balance, changes: changes)
        console.say("wrote \(state.golden.count) golden records to \(definition.outputs.base) and \(outputDirectory)/")
        return summary
    }

    /// The quality report of the run's state, and the seconds it took.
    private func buildReport() -> (QualityReport, Double) {
        let clock = ContinuousClock.now
        let report = QualityReport.build(from: state, segments: definition.segments.map(\.name))
        return (report, (ContinuousClock.now - clock).seconds)
    }

    // MARK: - Ingest

    private func ingest() throws -> ([(source: Int, report: FileReadReport)], [FileProblem], StageCounts) {
        let clock = ContinuousClock.now
        var reports: [(source: Int, report: FileReadReport)] = []
        var problems: [FileProblem] = []
        for source in definition.sources where source.files.isEmpty {
            console.say("source \(source.name): no file matches \(source.pathPattern) this time (optional)")
        }
        // Every file gets its index (lineage) and its own sink, in reading order; the files are
        // read on all cores, biggest first, and merged in that order (as if read one by one).
        struct FileJob {
            var source: Int
            var path: String
            var display: String
            var fileIndex: Int
            var size: Int
            var sink: FileSink
            var result: Result<FileReadReport, any Error>?
        }
        var jobs: [FileJob] = []
        for (sourceIndex, source) in definition.sources.enumerated() {
            for path in source.files {
                let display = PipelineRunner.displayPath(path)
                jobs.append(FileJob(source: sourceIndex, path: path, display: display, fileIndex: state.files.count,
                                    size: PipelineRunner.fileSize(path), sink: FileSink(knownExtras: state.sources[sourceIndex].extraNames)))
                state.files.append(display)
            }
        }
        let totalBytes = jobs.reduce(0) { $0 + $1.size }
        console.begin(stage: "ingest (bytes)", total: totalBytes)
        let progress = IngestProgress(console: console, files: jobs.count)
        let biggestFirst = jobs.indices.sorted { jobs[$0].size != jobs[$1].size ? jobs[$0].size > jobs[$1].size : $0 < $1 }
        let definition = self.definition
        jobs.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            ParallelLoop.run(biggestFirst.count) { n in
                let j = biggestFirst[n]
                let job = shared.buffer[j]
                let source = definition.sources[job.source]
                let advance: (Int, Int) -> Void = { done, _ in progress.file(j, at: done) }
                shared.buffer[j].result = Result {
                    switch source.format {
                    case .csv:
                        try CSVSourceReader.read(path: job.path, displayName: job.display, sourceIndex: job.source,
                                                 fileIndex: job.fileIndex, options: source.csv, sink: job.sink, progress: advance)
                    case .xml:
                        try XMLRecordReader.read(path: job.path, displayName: job.display, sourceIndex: job.source,
                                                 fileIndex: job.fileIndex, options: source.xml!, sink: job.sink, progress: advance)
                    }
                }
                progress.file(j, at: job.size)
            }
        }
        console.end()
        var slots = ExtraSlots(state.sources)
        for job in jobs {
            job.sink.merge(into: &state, source: job.source, slots: &slots)
            switch job.result! {
            case .success(let report):
                if let problem = report.problem {
                    problems.append(problem)
                    console.warn("warning: \(PipelineRunner.describe(problem)) — the \(report.records) record(s) read before it are kept")
                }
                reports.append((job.source, report))
            case .failure(let error as InputError):
                let problem = FileProblem(error)
                problems.append(problem)
                var report = FileReadReport(file: job.display, format: definition.sources[job.source].format.rawValue)
                report.problem = problem
                reports.append((job.source, report))
                console.warn("warning: \(error.description)\n  this file was skipped; the run goes on (use --strict to stop instead)")
            case .failure(let error):
                throw error
            }
        }
        let records = state.records.count
        var counts = StageCounts(stage: "ingest", recordsIn: state.inputCount, recordsOut: records,
                                 details: ["rejected": state.rejected.count, "files": state.files.count,
                                           "unreadable_files": problems.count])
        counts.seconds = (ContinuousClock.now - clock).seconds
        report(counts)
        for reject in state.rejected.prefix(5) {
            console.warn("rejected: \(state.files[reject.origin.fileIndex]):\(reject.origin.line): \(reject.reason.code): \(reject.reason.message)")
        }
        if state.rejected.count > 5 {
            console.warn("… and \(state.rejected.count - 5) more rejected rows: see rejects.csv")
        }
        return (reports, problems, counts)
    }

    // MARK: - Exclusion

    /// The checks the pipeline switched on, with their reference lists read and normalised.
    /// Company lists and suppression lists apply to whole clusters, after deduplication.
    private func exclusionChecks(normalizer: RecordNormalizer) throws -> ([any ExclusionCheck], [CompanyList], [SuppressionList]) {
        let settings = definition.exclusion
        var checks: [any ExclusionCheck] = []
        let companyLists = try settings.companyLists.map { list, reason in
            CompanyList(name: list, reasonCode: reason, entries: try referenceList(list, normalizer))
        }
        for set in settings.ruleSets where set != .uncontactable {
            switch set {
            case .students: checks.append(StudentCheck())
            case .test_entries: checks.append(TestEntryCheck())
            case .uncontactable: break
            }
        }
        if let months = settings.retentionMonths {
            checks.append(RetentionCheck(field: settings.retentionField, months: months,
                                         today: settings.asOf ?? PipelineRunner.today()))
        }
        // Last: a record excluded for a clearer reason keeps that reason.
        if settings.ruleSets.contains(.uncontactable) { checks.append(UncontactableCheck()) }
        let suppression = try settings.suppressionLists.map { SuppressionList(name: $0, entries: try referenceList($0, normalizer)) }
        return (checks, companyLists, suppression)
    }

    /// A reference list's rows, read like a source (headers detected) and normalised.
    private func referenceList(_ name: String, _ normalizer: RecordNormalizer) throws -> [ProspectRecord] {
        guard let path = definition.referenceLists[name] else { return [] }
        final class Collector: RecordSink {
            var records: [ProspectRecord] = []
            func record(_ record: ProspectRecord) { records.append(record) }
            func reject(_ rejected: RejectedInput) {}
            func extraIndex(source: Int, name: String) -> Int { 0 }
        }
        let collector = Collector()
        do {
            _ = try CSVSourceReader.read(path: path, displayName: PipelineRunner.displayPath(path), sourceIndex: 0, fileIndex: 0,
                                         options: CSVReadOptions(), sink: collector, progress: { _, _ in })
        } catch let error as InputError {
            throw RunFailure.io(error)
        }
        return collector.records.map { record in
            var record = record
            (record.value, record.quality) = normalizer.normalize(record.raw)
            return record
        }
    }

    /// The steward's verdicts on reviewed pairs: the review file of an earlier run with its
    /// `decision` column filled in (`same` / `different`; other rows are ignored).
    func decisions() throws -> [MatchDecision] {
        guard let path = definition.decisionsFile else { return [] }
        let rows: [[String: String]]
        do { rows = try CSVTable.read(path: path) } catch let error as InputError { throw RunFailure.io(error) }
        var decisions: [MatchDecision] = []
        for (n, row) in rows.enumerated() {
            let verdict = AccentFolding.key(row["decision"] ?? "")
            guard !verdict.isEmpty else { continue }
            guard let ls = row["left_source"], let li = row["left_id"], let rs = row["right_source"], let ri = row["right_id"] else {
                throw RunFailure.io(InputError(file: path, line: n + 2, problem: "a decision row needs left_source, left_id, right_source and right_id",
                                               hint: "keep the columns of the review file as Tamis wrote them"))
            }
            let same: Bool
            switch verdict {
            case "same", "oui", "yes", "meme", "match": same = true
            case "different", "non", "no", "distinct", "non match": same = false
            default:
                throw RunFailure.io(InputError(file: path, line: n + 2, problem: "decision '\(row["decision"] ?? "")' is not understood",
                                               hint: "write same or different (or leave it empty)"))
            }
            decisions.append(MatchDecision(left: (ls, li), right: (rs, ri), same: same))
        }
        if !decisions.isEmpty { console.say("decisions: \(decisions.count) from \(PipelineRunner.displayPath(path))") }
        return decisions
    }

    static func today() -> SimpleDate {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        return SimpleDate(year: parts.year ?? 2026, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    // MARK: - Write

    /// The base as the last run left it (empty when there is none yet).
    private func previousBase() throws -> PreviousBase {
        guard FileManager.default.fileExists(atPath: definition.outputs.base) else { return PreviousBase() }
        do {
            return try ProspectBase(path: definition.outputs.base, fileMode: mode_t(definition.outputs.fileMode)).previous()
        } catch let error as InputError {
            throw RunFailure.io(error)
        } catch {
            throw RunFailure.io(InputError(file: definition.outputs.base, problem: "cannot read the base: \(error)",
                                           hint: "is it a Tamis base? Point outputs.base at a new file to start a new base"))
        }
    }

    /// Writes the files and the base; returns the summary completed with the quality report.
    private func write(summary: RunSummary, lineage: LineageEntries, balance: LineageBalance, changes: [BaseChange]) throws -> RunSummary {
        do {
            let directory = try OutputDirectory(path: outputDirectory, fileMode: mode_t(definition.outputs.fileMode))
            do {
                // The report's trend: the runs already in the base (read before this run writes it), then this one.
                let previous = (try? ProspectBase(path: definition.outputs.base).runs()) ?? []
                let run = RunRow(runID: summary.runID, pipeline: definition.name, startedAt: summary.startedAt,
                                 finishedAt: summary.finishedAt, balance: balance, summaryJSON: "")
                // The files and the SQLite base are written at the same time, on two threads; the
                // base commits only once the files are staged, so a failure on either side leaves
                // the previous base and outputs as they were. The files' thread first builds the
                // quality report: the base needs the summary (with it) only for its last row.
                let state = self.state, definition = self.definition
                let staged = DispatchSemaphore(value: 0), reported = DispatchSemaphore(value: 0)
                var summary = summary, reportSeconds = 0.0
                var files: Result<(files: Double, report: Double), Error> = .success((0, 0))
                var written: Result<(total: Double, parts: [(part: String, seconds: Double)]), Error> = .success((0, []))
                ParallelLoop.run(2) { part in
                    if part == 0 {
                        (summary.report, reportSeconds) = self.buildReport()
                        reported.signal()
                        files = Result {
                            var clock = Stopwatch()
                            try OutputWriter.writeAll(state: state, lineage: lineage, changes: changes, segments: definition.segments,
                                                      summary: summary, into: directory)
                            let filesSeconds = clock.lap()
                            try OutputWriter.writeReport(summary: summary, previousRuns: previous, balance: balance, into: directory)
                            FaultInjection.reach("outputs-staged")
                            return (filesSeconds, clock.lap())
                        }
                        staged.signal()
                    } else {
                        written = Result {
                            var clock = Stopwatch()
                            let base = try ProspectBase(path: definition.outputs.base, fileMode: mode_t(definition.outputs.fileMode))
                            let parts = try base.write(run: run, state: state, lineage: lineage, changes: changes, checkpoint: FaultInjection.reach,
                                           summaryJSON: {
                                               reported.wait()
                                               return try OutputWriter.summaryJSON(summary)
                                           },
                                           beforeCommit: {
                                               staged.wait()
                                               _ = try files.get()
                                           })
                            return (clock.lap(), parts)
                        }
                    }
                }
                let seconds = try files.get()
                let base = try written.get()
                console.say("report       built" + String(format: " (%.2f s, while the base was written)", reportSeconds))
                console.say("write        files " + String(format: "%.2f s, report %.2f s, SQLite base %.2f s (at the same time: ",
                                                           seconds.files, seconds.report, base.total)
                            + base.parts.map { $0.part + String(format: " %.2f", $0.seconds) }.joined(separator: ", ") + ")")
                FaultInjection.reach("before-output-swap")
                try directory.commit()
                return summary
            } catch {
                directory.discard()
                throw error
            }
        } catch let error as InputError {
            throw RunFailure.io(error)
        }
    }

    private func report(_ counts: StageCounts) {
        let details = counts.details.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let name = counts.stage.padding(toLength: 12, withPad: " ", startingAt: 0)
        console.say("\(name) \(Console.grouped(counts.recordsIn)) in → \(Console.grouped(counts.recordsOut)) out"
                    + String(format: "  (%.2f s)", counts.seconds) + (details.isEmpty ? "" : "  [\(details)]"))
    }

    // MARK: - Helpers

    static func describe(_ problem: FileProblem) -> String {
        var location = problem.file
        if let line = problem.line { location += ":\(line)" }
        if let column = problem.column { location += ":\(column)" }
        return "\(location): \(problem.message)"
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// The path relative to the current directory when it is below it.
    static func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }

    public static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// `20261122T093000Z-1a2b`: sortable, unique per run.
    static func makeRunID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var hash = StableHash()
        hash.combine("\(getpid())-\(Date().timeIntervalSince1970)")
        return formatter.string(from: Date()) + "-" + hash.hex.prefix(4)
    }
}


