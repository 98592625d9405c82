import TamisCore
import TamisIO

/// `summary.json`: what a run read, did and wrote. Stable keys for scripts and dashboards.
public struct RunSummary: Codable, Sendable {
    public struct SourceSummary: Codable, Sendable {
        public var name: String
        public var trust: Int
        public var files: [FileReadReport]
        public var records: Int
        public var rejected: Int
    }

    public var runID: String
    public var pipeline: String
    public var startedAt: String
    public var finishedAt: String
    public var dryRun: Bool
    public var strict: Bool
    public var sources: [SourceSummary]
    public var stages: [StageCounts]
    public var lineage: LineageBalance
    public var rejectReasons: [String: Int]
    public var fileProblems: [FileProblem]
    public var outputs: [String: String]
    public var goldenRecords: Int
    /// Source → field → counts of valid, repaired, invalid, missing, and reasons.
    public var fieldQuality: [String: [String: FieldQualitySummary]] = [:]
    /// The data-quality report's figures (also written as report.json and report.html).
    public var report: QualityReport?
    /// `refresh` or `rebuild`.
    public var mode: String = "rebuild"
    /// Changes to the base per kind (new, updated, merged, excluded, purged, removed); the
    /// details are in `changes.csv` and the base's `changes` table.
    public var changes: [String: Int] = [:]
    /// What the matcher did: candidate pairs per blocking rule, trained parameters, clusters.
    public var match: MatchStats?
    /// The SIRENE register used (its stock date) and what it said; nil when the pipeline names none.
    public var sirene: SireneSummary?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", pipeline, startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run"
        case strict, sources, stages, lineage, rejectReasons = "reject_reasons", fileProblems = "file_problems"
        case outputs, goldenRecords = "golden_records", fieldQuality = "field_quality", report, mode, changes, match, sirene
    }
}

/// One field's quality counts in one source.
public struct FieldQualitySummary: Codable, Sendable, Equatable {
    public var valid: Int
    public var repaired: Int
    public var invalid: Int
    public var missing: Int
    public var reasons: [String: Int]

    static func make(_ counts: FieldQualityCounts) -> [String: FieldQualitySummary] {
        var result: [String: FieldQualitySummary] = [:]
        for field in CanonicalField.allCases {
            var reasons: [String: Int] = [:]
            for reason in QualityReason.allCases where counts.count(field, reason) > 0 {
                reasons[reason.code] = counts.count(field, reason)
            }
            let summary = FieldQualitySummary(valid: counts.count(field, .valid), repaired: counts.count(field, .repaired),
                                              invalid: counts.count(field, .invalid), missing: counts.count(field, .missing),
                                              reasons: reasons)
            if summary.valid + summary.repaired + summary.invalid > 0 { result[field.name] = summary }
        }
        return result
    }
}

/// `summary.json` → `sirene`.
public struct SireneSummary: Codable, Sendable, Equatable {
    public var register: String
    /// The stock's date: how fresh the register's answers are.
    public var stockDate: String
    public var statuses: [String: Int]
    public var filled: [String: Int]
    public var review: Int
    public var conflicts: Int

    enum CodingKeys: String, CodingKey {
        case register, stockDate = "stock_date", statuses, filled, review, conflicts
    }
}
