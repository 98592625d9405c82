/// What happened to an input record. Every input record ends in exactly one of these.
public enum Disposition: String, Sendable, CaseIterable, Codable {
    /// It is (or founded) a golden record in the clean base.
    case kept
    /// It was merged into another record's golden record.
    case merged
    /// It is off-target (student, competitor, opt-out…) and left out with a reason.
    case excluded
    /// It could not be read (malformed row or element) and was quarantined with a reason.
    case rejected
}

/// A machine-readable reason, e.g. `malformed_row` with a human message.
public struct Reason: Sendable, Hashable, Codable {
    /// Stable code for scripts and reports (`unterminated_quote`, `field_count`, `student`…).
    public var code: String
    /// The rule that decided (exclusion rule name, parser check).
    public var rule: String?
    /// A sentence for the steward: what is wrong and what to do.
    public var message: String

    public init(code: String, rule: String? = nil, message: String) {
        self.code = code
        self.rule = rule
        self.message = message
    }
}

/// The fate of one ingested record, filled in by the stages.
public struct RecordOutcome: Sendable {
    public var disposition: Disposition = .kept
    public var reason: Reason?
    /// Index of the golden record it belongs to (for kept and merged records).
    public var goldenIndex: Int?
    /// Excluded and erased from the base (retention): only its lineage row remains.
    public var purged = false

    public init() {}
}

/// An input row or element that could not be turned into a record.
public struct RejectedInput: Sendable {
    public var origin: RecordOrigin
    public var reason: Reason
    /// The first bytes of the offending text, so a steward can find it (never a whole record
    /// in logs: this goes to the rejects file only).
    public var excerpt: String

    public init(origin: RecordOrigin, reason: Reason, excerpt: String) {
        self.origin = origin
        self.reason = reason
        self.excerpt = excerpt
    }
}

/// One row of lineage: an input record, its fate and, where it lives now.
public struct LineageEntry: Sendable, Equatable {
    public var source: String
    public var sourceID: String
    public var file: String
    public var line: Int
    public var disposition: Disposition
    public var goldenID: String?
    public var reasonCode: String?
    public var rule: String?

    public init(source: String, sourceID: String, file: String, line: Int, disposition: Disposition,
                goldenID: String?, reasonCode: String?, rule: String?) {
        self.source = source
        self.sourceID = sourceID
        self.file = file
        self.line = line
        self.disposition = disposition
        self.goldenID = goldenID
        self.reasonCode = reasonCode
        self.rule = rule
    }
}

/// Counts that must add up: every input is kept, merged, excluded or rejected.
public struct LineageBalance: Sendable, Equatable, Codable {
    public var inputs = 0
    public var kept = 0
    public var merged = 0
    public var excluded = 0
    public var rejected = 0

    public init() {}

    public init(entries: some Sequence<LineageEntry>, inputs: Int) {
        self.init(dispositions: entries.lazy.map(\.disposition), inputs: inputs)
    }

    public init(dispositions: some Sequence<Disposition>, inputs: Int) {
        self.inputs = inputs
        for disposition in dispositions {
            switch disposition {
            case .kept: kept += 1
            case .merged: merged += 1
            case .excluded: excluded += 1
            case .rejected: rejected += 1
            }
        }
    }

    public var holds: Bool { inputs == kept + merged + excluded + rejected }
}
