import TamisCore
import TamisIO

/// A pipeline file (`pipelines/*.yml`), resolved: paths are absolute or relative to the
/// current directory, every option has its value.
public struct PipelineDefinition: Sendable {
    public var name: String
    /// The pipeline file itself.
    public var file: String
    public var sources: [SourceDefinition]
    /// Named reference files (partners, customers, competitors, suppression lists).
    public var referenceLists: [String: String]
    /// Folder of Tamis's reference data (NAF, postal codes, e-mail domains…).
    public var referenceData: String
    public var normalizeOptions: NormalizeOptions
    public var exclusionRules: [ExclusionRule]
    public var exclusion: ExclusionSettings
    public var segments: [SegmentDefinition]
    public var outputs: OutputDefinition
    /// `stages.deduplicate`.
    public var match: MatchSettings = .frenchContacts
    /// The steward's decisions on reviewed pairs (CSV), if any.
    public var decisionsFile: String?
    /// `stages.deduplicate.survivorship`.
    public var survivorship = SurvivorshipSettings()
    /// `stages.sirene` (no register: the SIRENE checks are skipped).
    public var sirene = SireneSettings()
}

public struct SourceDefinition: Sendable {
    public enum Format: String, Sendable { case csv, xml }

    public var name: String
    /// As written in the pipeline file (for messages).
    public var pathPattern: String
    /// The files the pattern matched, sorted.
    public var files: [String]
    public var format: Format
    /// Higher wins in survivorship.
    public var trust: Int
    public var csv: CSVReadOptions
    public var xml: XMLReadOptions?
}

public struct OutputDefinition: Sendable {
    /// Folder of the run's files (clean base CSV, rejects, lineage, summary).
    public var directory: String
    /// The SQLite base.
    public var base: String
    /// Permissions of the files written (personal data: owner only by default).
    public var fileMode: UInt32
    /// How a run treats the records already in the base.
    public var mode: BaseMode = .rebuild
}

/// `outputs.mode`.
public enum BaseMode: String, Sendable {
    /// The base becomes this run's records (a one-off cleanup; golden IDs still carried over).
    case rebuild
    /// This run's records are merged into the base's: monthly refreshes.
    case refresh
}

/// What the exclude stage switches on (pipeline `stages.exclude`).
public struct ExclusionSettings: Sendable {
    public enum RuleSet: String, Sendable, CaseIterable { case students, test_entries, uncontactable }

    /// Built-in rule sets; by default all three (remove `uncontactable` to keep prospects with
    /// neither a valid e-mail nor a valid phone).
    public var ruleSets: [RuleSet] = RuleSet.allCases
    /// Reference list name → reason code (`competitors: competitor`).
    public var companyLists: [(list: String, reason: String)] = []
    /// Reference list names of suppression (opt-out) lists.
    public var suppressionLists: [String] = []
    /// Retention: exclude records whose `field` date is older than `months`.
    public var retentionMonths: Int?
    public var retentionField: CanonicalField = .capturedAt
    /// The date retention is computed from (default: the run's date).
    public var asOf: SimpleDate?

    public init() {}
}
