/// A source record as the base stores it, read back for the next run.
public struct StoredRecord: Sendable {
    public var key: String
    public var source: String
    public var sourceID: String
    public var hasOwnID: Bool
    public var file: String
    public var line: Int
    /// The golden record it belongs to, or belonged to before it was excluded.
    public var goldenID: String?
    public var raw: PackedFields
    /// Unmapped columns by name.
    public var extras: [(name: String, value: [UInt8])]
    /// The run that last changed it.
    public var since: String

    public init(key: String, source: String, sourceID: String, hasOwnID: Bool, file: String, line: Int,
                goldenID: String?, raw: PackedFields, extras: [(name: String, value: [UInt8])], since: String) {
        self.key = key
        self.source = source
        self.sourceID = sourceID
        self.hasOwnID = hasOwnID
        self.file = file
        self.line = line
        self.goldenID = goldenID
        self.raw = raw
        self.extras = extras
        self.since = since
    }
}

/// What a golden record looked like in the base: the canonical fields in `CanonicalField`
/// order, then `segments` (`a|b`), packed (a million of them fit in memory).
public struct GoldenSnapshot: Sendable, Equatable {
    public static let keys = CanonicalField.allCases.map(\.name) + ["segments"]
    public var values: PackedFields

    public init(values: PackedFields) {
        precondition(values.count == GoldenSnapshot.keys.count)
        self.values = values
    }
}

/// The base as the previous run left it: what a refresh merges into and what the diff is
/// computed against. Empty for a new base.
public struct PreviousBase: Sendable {
    /// Source records in the base's order.
    public var records: [StoredRecord] = []
    /// Golden ID → its values.
    public var golden: [String: GoldenSnapshot] = [:]
    /// Golden ID → the run that last changed it.
    public var goldenSince: [String: String] = [:]
    /// Every golden ID ever issued, and those merged into another (never revived).
    public var issuedIDs: Set<String> = []
    public var mergedIDs: Set<String> = []
    /// Source name → trust, for the sources of carried records the pipeline no longer lists.
    public var sourceTrust: [String: Int] = [:]

    public init() {}

    public var isEmpty: Bool { records.isEmpty && golden.isEmpty && issuedIDs.isEmpty }
}

/// Merges this run's records with the base's.
///
/// - `refresh`: the base's records are carried into the run, in the base's order; a record of
///   this run's files with the identity of a stored one replaces it in place (an update); the
///   others are appended in reading order. The same files read twice give the same order,
///   hence the same golden records.
/// - `rebuild`: only this run's records; the base is used for golden IDs and the diff.
public enum RefreshMerge {
    public struct Counts: Sendable, Equatable {
        /// Stored records carried in without a new version.
        public var carried = 0
        /// Stored records replaced by a new version with different values.
        public var updated = 0
        /// Stored records read again with the same values.
        public var unchanged = 0
        /// Records of this run's files the base did not hold.
        public var added = 0
    }

    public static func merge(_ state: inout RunState, previous: PreviousBase, carry: Bool) -> Counts {
        var counts = Counts()
        state.issuedGoldenIDs = previous.issuedIDs
        state.mergedGoldenIDs = previous.mergedIDs
        if previous.records.isEmpty {
            // A first build: every record is new and nothing is carried. The history stays
            // empty (no previous golden ID, no identity to compare); the base write numbers
            // the identity keys itself, in the same reading order. A million keys and
            // histories held through the whole run cost a second and 100 MB.
            counts.added = state.records.count
            state.history = []
            return counts
        }
        let keys = RecordIdentity.keys(for: state.records, sources: state.sources)
        // This run's records by key: needed only to carry stored records (none in a first build).
        var newIndex: [String: Int] = [:]
        if carry && !previous.records.isEmpty {
            newIndex.reserveCapacity(keys.count)
            for (i, key) in keys.enumerated() { newIndex[key] = i }
        }

        var records: [ProspectRecord] = []
        var history: [RecordHistory] = []
        records.reserveCapacity(state.records.count + (carry ? previous.records.count : 0))
        history.reserveCapacity(records.capacity)
        var consumed = [Bool](repeating: false, count: state.records.count)

        func fresh(_ i: Int, stored: StoredRecord?) -> RecordHistory {
            guard let stored else {
                counts.added += 1
                return RecordHistory(key: keys[i])
            }
            let same = stored.raw == state.records[i].raw
            if same { counts.unchanged += 1 } else { counts.updated += 1 }
            return RecordHistory(key: keys[i], previousGoldenID: stored.goldenID, since: same ? stored.since : nil)
        }

        if carry {
            var sourceIndex = Dictionary(state.sources.enumerated().map { ($0.element.name, $0.offset) },
                                         uniquingKeysWith: { a, _ in a })
            var fileIndex = Dictionary(state.files.enumerated().map { ($0.element, $0.offset) },
                                       uniquingKeysWith: { a, _ in a })
            var extraSlots = ExtraSlots(state.sources)
            for stored in previous.records {
                if let i = newIndex[stored.key], !consumed[i] {
                    consumed[i] = true
                    records.append(state.records[i])
                    history.append(fresh(i, stored: stored))
                    continue
                }
                let s: Int
                if let known = sourceIndex[stored.source] { s = known } else {
                    s = state.sources.count
                    state.sources.append(SourceInfo(name: stored.source, trust: previous.sourceTrust[stored.source] ?? 0))
                    sourceIndex[stored.source] = s
                }
                let f: Int
                if let known = fileIndex[stored.file] { f = known } else {
                    f = state.files.count
                    state.files.append(stored.file)
                    fileIndex[stored.file] = f
                }
                var extras: [[UInt8]] = []
                for (name, value) in stored.extras {
                    let slot = extraSlots.slot(source: s, name: name, in: &state.sources)
                    if slot >= extras.count { extras += Array(repeating: [], count: slot + 1 - extras.count) }
                    extras[slot] = value
                }
                var builder = PackedFields.Builder(count: extras.count)
                for value in extras { builder.append(value) }
                let origin = RecordOrigin(sourceIndex: s, sourceID: stored.sourceID, fileIndex: f, line: stored.line,
                                          hasOwnID: stored.hasOwnID)
                records.append(ProspectRecord(origin: origin, raw: stored.raw, extras: builder.finish()))
                history.append(RecordHistory(key: stored.key, previousGoldenID: stored.goldenID, since: stored.since))
                counts.carried += 1
            }
        }
        var storedByKey: [String: Int] = [:]
        if !carry {
            for (n, stored) in previous.records.enumerated() { storedByKey[stored.key] = n }
        }
        for i in state.records.indices where !consumed[i] {
            records.append(state.records[i])
            history.append(fresh(i, stored: storedByKey[keys[i]].map { previous.records[$0] }))
        }
        state.records = records
        state.history = history
        state.outcomes = Array(repeating: RecordOutcome(), count: records.count)
        return counts
    }
}
