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

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", pipeline, startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run"
        case strict, sources, stages, lineage, rejectReasons = "reject_reasons", fileProblems = "file_problems"
        case outputs, goldenRecords = "golden_records"
    }
}
