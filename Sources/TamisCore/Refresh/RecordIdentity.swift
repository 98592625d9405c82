/// Where a record stands with respect to the existing base.
public struct RecordHistory: Sendable, Equatable {
    /// The record's identity across runs (see `RecordIdentity`).
    public var key: String
    /// The golden record it belonged to in the base (also for a record excluded since).
    public var previousGoldenID: String?
    /// The run that last changed its stored version, when this run reads it unchanged.
    public var since: String?

    public init(key: String, previousGoldenID: String? = nil, since: String? = nil) {
        self.key = key
        self.previousGoldenID = previousGoldenID
        self.since = since
    }
}

/// An existing golden record found to be the same as another: its ID is retired in favour of
/// `into`, never reused.
public struct GoldenMerge: Sendable, Equatable, Hashable {
    public var from: String
    public var into: String

    public init(from: String, into: String) {
        self.from = from
        self.into = into
    }
}

/// How a source record is recognised from one run to the next.
///
/// A record with its own id (CRM id, `N° contact`) is `source + id`: next month's export of
/// the same id is an update of the same record. A record with only a position (`file.csv#12`)
/// is `source + a hash of its values`: the same row read again is the same record, a changed
/// row is a new observation. A key seen twice in one run (a repeated id) gets `#2`, `#3`… in
/// reading order, so that the same files always give the same keys.
public enum RecordIdentity {
    static let separator = "\u{1F}"

    public static func baseKey(source: String, record: ProspectRecord) -> String {
        if record.origin.hasOwnID { return source + separator + record.origin.sourceID }
        return source + separator + "~" + contentHash(record.raw)
    }

    /// A stable hash of the canonical raw values.
    public static func contentHash(_ raw: PackedFields) -> String {
        var hash = StableHash()
        for i in 0..<raw.count {
            raw.withBytes(i) { hash.combine($0) }
            hash.combine(CollectionOfOne(0xFF))
        }
        return hash.hex
    }

    /// Keys for records in reading order, with repeats numbered.
    public static func keys(for records: [ProspectRecord], sources: [SourceInfo]) -> [String] {
        var keys = Keys(sources: sources)
        return records.map { keys.next($0) }
    }

    /// Keys made one record at a time, in reading order (repeats numbered as they come).
    public struct Keys {
        let sources: [SourceInfo]
        var seen: [String: Int] = [:]
        /// Hashes of the base keys that may repeat, when the records were known up front: a
        /// key whose hash is not there is met once, and needs no counting.
        let mayRepeat: Set<Int>?

        public init(sources: [SourceInfo]) {
            self.sources = sources
            mayRepeat = nil
        }

        /// Keys for exactly these records, in this order. Only the base keys whose hash
        /// occurs twice are counted: a million counted keys held 50–100 MB.
        public init(sources: [SourceInfo], records: [ProspectRecord]) {
            self.sources = sources
            var hashes = ParallelLoop.map(records.count, filling: 0) { i in
                Keys.hash(baseKey(source: sources[records[i].origin.sourceIndex].name, record: records[i]))
            }
            hashes.sort()
            var repeated = Set<Int>()
            for i in hashes.indices.dropFirst() where hashes[i] == hashes[i - 1] { repeated.insert(hashes[i]) }
            mayRepeat = repeated
        }

        static func hash(_ key: String) -> Int {
            var hasher = Hasher()
            hasher.combine(key)
            return hasher.finalize()
        }

        public mutating func next(_ record: ProspectRecord) -> String {
            let base = baseKey(source: sources[record.origin.sourceIndex].name, record: record)
            if let mayRepeat, !mayRepeat.contains(Keys.hash(base)) { return base }
            let n = seen[base, default: 0] + 1
            seen[base] = n
            return n == 1 ? base : base + "#\(n)"
        }
    }
}
