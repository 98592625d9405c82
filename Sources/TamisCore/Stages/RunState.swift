/// A source as the stages see it: a name and how far it is trusted.
public struct SourceInfo: Sendable {
    public var name: String
    /// Higher wins in survivorship when two records disagree.
    public var trust: Int
    /// Names of the unmapped columns / element paths kept as extras, in record order.
    public var extraNames: [String]

    public init(name: String, trust: Int, extraNames: [String] = []) {
        self.name = name
        self.trust = trust
        self.extraNames = extraNames
    }
}

/// Unmapped column names → their slot in each source's extras; a name not seen before gets
/// the next slot (readers and the refresh's carried records share this).
public struct ExtraSlots: Sendable {
    private var slots: [[String: Int]]

    public init(_ sources: [SourceInfo]) {
        slots = sources.map { source in
            Dictionary(source.extraNames.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        }
    }

    public mutating func slot(source: Int, name: String, in sources: inout [SourceInfo]) -> Int {
        while slots.count <= source { slots.append([:]) }
        if let slot = slots[source][name] { return slot }
        let slot = sources[source].extraNames.count
        sources[source].extraNames.append(name)
        slots[source][name] = slot
        return slot
    }
}

/// Everything a run holds between stages. Stages are pure functions over it.
public struct RunState: Sendable {
    public var sources: [SourceInfo]
    /// Input files, indexed by `RecordOrigin.fileIndex` (for lineage).
    public var files: [String]
    public var records: [ProspectRecord] = []
    /// Parallel to `records`.
    public var outcomes: [RecordOutcome] = []
    public var rejected: [RejectedInput] = []
    public var golden: [GoldenRecord] = []
    /// Field quality counts per source (filled by the normalise stage).
    public var fieldQuality: [FieldQualityCounts] = []
    /// Parallel to `records` when the run has a base to compare with (identity, previous golden
    /// ID); empty otherwise.
    public var history: [RecordHistory] = []
    /// Existing golden records found to be the same as another this run (filled by deduplication).
    public var goldenMerges: [GoldenMerge] = []
    /// Every golden ID the base ever issued: a new golden record never reuses one.
    public var issuedGoldenIDs: Set<String> = []
    /// Pairs in the matcher's uncertainty band (the review file), most likely first.
    public var reviewPairs: [ReviewPair] = []
    /// What the matcher did.
    public var matchStats: MatchStats?
    /// The matcher's table and trained model, kept after the stage when asked (`tamis explain`).
    public var matchContext: MatchContext?
    /// Golden IDs already merged into another: never revived.
    public var mergedGoldenIDs: Set<String> = []
    /// What the SIRENE stage found (nil when the pipeline names no register).
    public var sirene: SireneOutcome?

    public init(sources: [SourceInfo], files: [String] = []) {
        self.sources = sources
        self.files = files
    }

    public mutating func append(_ record: ProspectRecord) {
        records.append(record)
        outcomes.append(RecordOutcome())
    }

    /// Number of input records seen so far (read or rejected).
    public var inputCount: Int { records.count + rejected.count }

    /// Indices of the records still in play (not excluded).
    public var activeIndices: [Int] {
        outcomes.indices.filter { outcomes[$0].disposition != .excluded }
    }

    /// Excludes every member of the given golden records (index → reason) and removes those
    /// golden records; returns how many records were excluded.
    @discardableResult
    public mutating func excludeClusters(_ reasons: [Int: Reason]) -> Int {
        guard !reasons.isEmpty else { return 0 }
        var excluded = 0
        var remap = [Int?](repeating: nil, count: golden.count)
        var kept: [GoldenRecord] = []
        kept.reserveCapacity(golden.count - reasons.count)
        for (index, record) in golden.enumerated() {
            if let reason = reasons[index] {
                for member in record.members {
                    outcomes[member].disposition = .excluded
                    outcomes[member].goldenIndex = nil
                    outcomes[member].reason = reason
                    excluded += 1
                }
            } else {
                remap[index] = kept.count
                kept.append(record)
            }
        }
        for i in outcomes.indices {
            if let g = outcomes[i].goldenIndex { outcomes[i].goldenIndex = remap[g] }
        }
        golden = kept
        return excluded
    }

    /// One lineage entry per input record: the ingested ones in order, then the rejected.
    /// Every input's lineage entry: the records in reading order, then the rejected rows.
    /// Entries are made when read, not stored (a million of them took 170 MB).
    public func lineage() -> LineageEntries { LineageEntries(state: self) }

    /// Entry `i` of `lineage()`.
    func lineageEntry(_ i: Int) -> LineageEntry {
        if i < records.count {
            // The origin alone: a copy of the whole record would retain and release its four
            // buffers (the lineage is read twice, a million entries each).
            let origin = records[i].origin
            let outcome = outcomes[i]
            return LineageEntry(
                source: sources[origin.sourceIndex].name,
                sourceID: origin.sourceID,
                file: fileName(origin.fileIndex),
                line: origin.line,
                disposition: outcome.disposition,
                goldenID: outcome.goldenIndex.map { golden[$0].id },
                reasonCode: outcome.reason?.code,
                rule: outcome.reason?.rule)
        }
        let reject = rejected[i - records.count]
        return LineageEntry(
            source: sources[reject.origin.sourceIndex].name,
            sourceID: reject.origin.sourceID,
            file: fileName(reject.origin.fileIndex),
            line: reject.origin.line,
            disposition: .rejected, goldenID: nil,
            reasonCode: reject.reason.code, rule: reject.reason.rule)
    }

    private func fileName(_ index: Int) -> String { index < files.count ? files[index] : "" }
}

/// How many values of each field are valid, repaired, invalid or missing, and why.
public struct FieldQualityCounts: Sendable, Equatable {
    /// [field][status] counts.
    public var counts: [[Int]]
    /// [field][reason] counts.
    public var reasons: [[Int]]

    public init() {
        counts = Array(repeating: Array(repeating: 0, count: FieldStatus.allCases.count), count: CanonicalField.count)
        reasons = Array(repeating: Array(repeating: 0, count: QualityReason.allCases.count), count: CanonicalField.count)
    }

    /// Adds another set of counts (or changes of counts) to these.
    public mutating func add(_ other: FieldQualityCounts) {
        for field in counts.indices {
            for status in counts[field].indices { counts[field][status] += other.counts[field][status] }
            for reason in reasons[field].indices { reasons[field][reason] += other.reasons[field][reason] }
        }
    }

    public mutating func add(_ quality: [FieldQuality]) {
        for (field, q) in quality.enumerated() {
            counts[field][Int(q.status.rawValue)] += 1
            if q.reason != .none { reasons[field][Int(q.reason.rawValue)] += 1 }
        }
    }

    /// Moves one record's counts from `old` to `new`, touching only the fields that changed.
    public mutating func replace(_ old: [FieldQuality], with new: [FieldQuality]) {
        for field in 0..<max(old.count, new.count) {
            move(field, from: field < old.count ? old[field] : .missing, to: field < new.count ? new[field] : .missing)
        }
    }

    /// Moves one record's count for `field` from quality `a` to `b`.
    public mutating func move(_ field: Int, from a: FieldQuality, to b: FieldQuality) {
        if a == b { return }
        counts[field][Int(a.status.rawValue)] -= 1
        counts[field][Int(b.status.rawValue)] += 1
        if a.reason != .none { reasons[field][Int(a.reason.rawValue)] -= 1 }
        if b.reason != .none { reasons[field][Int(b.reason.rawValue)] += 1 }
    }

    public func count(_ field: CanonicalField, _ status: FieldStatus) -> Int { counts[field.rawValue][Int(status.rawValue)] }

    public func count(_ field: CanonicalField, _ reason: QualityReason) -> Int { reasons[field.rawValue][Int(reason.rawValue)] }
}

/// Records in and out of one stage, for the console and the summary.
public struct StageCounts: Sendable, Equatable, Codable {
    public var stage: String
    public var recordsIn: Int
    public var recordsOut: Int
    public var seconds: Double = 0
    /// Stage-specific counts (per reason, per rule…), sorted by key when printed.
    public var details: [String: Int] = [:]

    public init(stage: String, recordsIn: Int, recordsOut: Int, details: [String: Int] = [:]) {
        self.stage = stage
        self.recordsIn = recordsIn
        self.recordsOut = recordsOut
        self.details = details
    }
}

/// Receives progress from a long stage; the pipeline shows it on the terminal or in logs.
public protocol ProgressSink: AnyObject {
    func begin(stage: String, total: Int?)
    func advance(to done: Int)
    func end()
}

/// Discards progress (tests, quiet runs).
public final class SilentProgress: ProgressSink {
    public init() {}
    public func begin(stage: String, total: Int?) {}
    public func advance(to done: Int) {}
    public func end() {}
}

/// A stage of the pipeline: normalise, exclude, deduplicate, segment.
public protocol PipelineStage {
    var name: String { get }
    func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts
}

/// The lineage of a run as a collection read from its state (see `RunState.lineage()`).
public struct LineageEntries: RandomAccessCollection, Sendable {
    let state: RunState

    public var startIndex: Int { 0 }
    public var endIndex: Int { state.records.count + state.rejected.count }
    public subscript(position: Int) -> LineageEntry { state.lineageEntry(position) }

    /// Dispositions counted without making the entries.
    public var balance: LineageBalance {
        LineageBalance(dispositions: state.outcomes.lazy.map(\.disposition)
                           + repeatElement(Disposition.rejected, count: state.rejected.count),
                       inputs: state.inputCount)
    }
}
