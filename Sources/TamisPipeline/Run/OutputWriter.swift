import Foundation
import TamisCore
import TamisIO

/// Writes a run's files into the staging folder.
public enum OutputWriter {
    static let cleanBase = "clean_base.csv"
    static let rejects = "rejects.csv"
    static let excluded = "excluded.csv"
    static let lineage = "lineage.csv"
    static let summary = "summary.json"

    static func writeAll(state: RunState, lineage: LineageEntries, changes: [BaseChange], segments: [SegmentDefinition],
                         summary: RunSummary, into directory: OutputDirectory) throws {
        try writeGolden(state: state, filter: nil, into: directory, name: cleanBase)
        for segment in segments {
            try writeGolden(state: state, filter: segment.name, into: directory, name: "segment-\(segment.name).csv")
        }
        try writeRejects(state: state, into: directory)
        try writeExcluded(state: state, into: directory)
        try writeLineage(lineage, into: directory)
        try writeReview(state: state, into: directory)
        if state.sirene != nil {
            try writeSiretisationReview(state: state, into: directory)
            try writeConflicts(state: state, into: directory)
        }
        try writeChanges(changes, into: directory)
        try writeSummary(summary, into: directory)
    }

    static let review = "review.csv"

    /// `review.csv`: pairs the matcher was unsure of, most likely first, both records side by
    /// side with the fields that weighed most. Fill in `decision` (same / different) and give
    /// the file back as `stages.deduplicate.decisions`.
    static func writeReview(state: RunState, into directory: OutputDirectory) throws {
        let file = try directory.createFile(review)
        let csv = CSVWriter(file: file)
        let shown: [CanonicalField] = [.firstName, .lastName, .email, .phone, .mobile, .companyName, .siret, .postalCode, .city, .jobTitle]
        try csv.writeRow(["probability", "decision", "left_source", "left_id", "right_source", "right_id", "deciding"]
                         + shown.flatMap { ["left_\($0.name)", "right_\($0.name)"] })
        for pair in state.reviewPairs {
            let left = state.records[pair.left], right = state.records[pair.right]
            let deciding = pair.explanation.terms.filter { $0.weight != 0 }
                .sorted { abs($0.weight) > abs($1.weight) }.prefix(3)
                .map { "\($0.field) \($0.level) (\($0.weight >= 0 ? "+" : "")\(String(format: "%.1f", $0.weight)))" }
                .joined(separator: "; ")
            var cells = [String(format: "%.3f", pair.probability), "",
                         state.sources[left.origin.sourceIndex].name, left.origin.sourceID,
                         state.sources[right.origin.sourceIndex].name, right.origin.sourceID, deciding]
            for field in shown { cells += [left[field] ?? "", right[field] ?? ""] }
            try csv.writeRow(cells)
        }
        try csv.flush()
        try file.close()
    }

    static let sireneReview = "sirene_review.csv"
    static let sireneConflicts = "sirene_conflicts.csv"

    /// `sirene_review.csv`: records the register could not siretise with confidence, with up
    /// to three candidates side by side. A steward copies the right SIRET into the source.
    static func writeSiretisationReview(state: RunState, into directory: OutputDirectory) throws {
        let file = try directory.createFile(sireneReview)
        let csv = CSVWriter(file: file)
        var header = ["source", "source_id", "company_name", "address_line1", "postal_code", "city"]
        for n in 1...3 { header += ["candidate\(n)_siret", "candidate\(n)_score", "candidate\(n)_name", "candidate\(n)_address"] }
        try csv.writeRow(header)
        for review in state.sirene?.review ?? [] {
            let record = state.records[review.record]
            var cells = [state.sources[record.origin.sourceIndex].name, record.origin.sourceID,
                         record[.companyName] ?? "", record[.address1] ?? "", record[.postalCode] ?? "", record[.city] ?? ""]
            for n in 0..<3 {
                if n < review.candidates.count {
                    let c = review.candidates[n]
                    cells += [SiretNumber.text(c.siret), String(format: "%.3f", c.score), c.name, c.address]
                } else {
                    cells += ["", "", "", ""]
                }
            }
            try csv.writeRow(cells)
        }
        try csv.flush()
        try file.close()
    }

    /// `sirene_conflicts.csv`: source values the register contradicts, and which one was kept.
    static func writeConflicts(state: RunState, into directory: OutputDirectory) throws {
        let file = try directory.createFile(sireneConflicts)
        let csv = CSVWriter(file: file)
        try csv.writeRow(["source", "source_id", "siret", "field", "source_value", "register_value", "kept"])
        for conflict in state.sirene?.conflicts ?? [] {
            let record = state.records[conflict.record]
            try csv.writeRow([state.sources[record.origin.sourceIndex].name, record.origin.sourceID, record[.siret] ?? "",
                              conflict.field.name, conflict.sourceValue, conflict.registerValue,
                              conflict.registerKept ? "register" : "source"])
        }
        try csv.flush()
        try file.close()
    }

    static func writeGolden(state: RunState, filter: String?, into directory: OutputDirectory, name: String) throws {
        let file = try directory.createFile(name)
        let csv = CSVWriter(file: file)
        try csv.writeRow(["golden_id"] + CanonicalField.allCases.map(\.name) + ["segments", "member_count", "sources"])
        var sourceList = GoldenSourceList(sources: state.sources)
        var text: [UInt8] = []
        let golden = state.golden
        for g in golden.indices {  // read in place: a copy of each record would retain its buffers
            if let filter, !golden[g].segments.contains(filter) { continue }
            csv.writeCell(golden[g].id)
            for field in CanonicalField.allCases {
                golden[g].fields.withBytes(field.rawValue) { csv.writeCell(bytes: $0) }
            }
            text.removeAll(keepingCapacity: true)
            golden[g].appendSegments(to: &text)
            text.withUnsafeBufferPointer { csv.writeCell(bytes: $0) }
            csv.writeCell(golden[g].members.count)
            text.removeAll(keepingCapacity: true)
            sourceList.append(golden[g], records: state.records, to: &text)
            text.withUnsafeBufferPointer { csv.writeCell(bytes: $0) }
            try csv.endRow()
        }
        try csv.flush()
        try file.close()
    }

    static func fileName(_ state: RunState, _ index: Int) -> String {
        index < state.files.count ? state.files[index] : ""
    }

    static func writeRejects(state: RunState, into directory: OutputDirectory) throws {
        let file = try directory.createFile(rejects)
        let csv = CSVWriter(file: file)
        try csv.writeRow(["source", "file", "line", "source_id", "reason", "message", "excerpt"])
        for reject in state.rejected {
            try csv.writeRow([state.sources[reject.origin.sourceIndex].name, fileName(state, reject.origin.fileIndex),
                              String(reject.origin.line), reject.origin.sourceID, reject.reason.code,
                              reject.reason.message, reject.excerpt])
        }
        try csv.flush()
        try file.close()
    }

    static func writeExcluded(state: RunState, into directory: OutputDirectory) throws {
        let file = try directory.createFile(excluded)
        let csv = CSVWriter(file: file)
        try csv.writeRow(["source", "file", "line", "source_id", "reason", "rule"] + CanonicalField.allCases.map(\.name))
        for (i, outcome) in state.outcomes.enumerated() where outcome.disposition == .excluded {
            let record = state.records[i]
            for cell in [state.sources[record.origin.sourceIndex].name, fileName(state, record.origin.fileIndex),
                         String(record.origin.line), record.origin.sourceID, outcome.reason?.code ?? "",
                         outcome.reason?.rule ?? ""] {
                csv.writeCell(cell)
            }
            for field in CanonicalField.allCases {
                // Purged (retention): the values are erased here too.
                if outcome.purged { csv.writeCell("") } else { record.value.withBytes(field.rawValue) { csv.writeCell(bytes: $0) } }
            }
            try csv.endRow()
        }
        try csv.flush()
        try file.close()
    }

    static let changes = "changes.csv"

    /// `changes.csv`: what this run changed in the base, one row per change (one per field for
    /// an update). Only the header when nothing changed.
    static func writeChanges(_ changes: [BaseChange], into directory: OutputDirectory) throws {
        let file = try directory.createFile(OutputWriter.changes)
        let csv = CSVWriter(file: file)
        try csv.writeRow(["change", "golden_id", "field", "old_value", "new_value", "detail"])
        // Cell by cell, each change read in place: no array nor copy per row (a new base has a
        // change per golden record).
        for c in changes.indices {
            csv.writeCell(changes[c].kind.rawValue)
            csv.writeCell(changes[c].goldenID)
            csv.writeCell(changes[c].field ?? "")
            csv.writeCell(changes[c].oldValue ?? "")
            csv.writeCell(changes[c].newValue ?? "")
            csv.writeCell(changes[c].detail ?? "")
            try csv.endRow()
        }
        try csv.flush()
        try file.close()
    }

    static func writeLineage(_ lineage: some Collection<LineageEntry>, into directory: OutputDirectory) throws {
        let file = try directory.createFile(OutputWriter.lineage)
        let csv = CSVWriter(file: file)
        try csv.writeRow(["source", "source_id", "file", "line", "status", "golden_id", "reason", "rule"])
        for entry in lineage {  // cell by cell: no array nor line-number text per row
            csv.writeCell(entry.source)
            csv.writeCell(entry.sourceID)
            csv.writeCell(entry.file)
            csv.writeCell(entry.line)
            csv.writeCell(entry.disposition.rawValue)
            csv.writeCell(entry.goldenID ?? "")
            csv.writeCell(entry.reasonCode ?? "")
            csv.writeCell(entry.rule ?? "")
            try csv.endRow()
        }
        try csv.flush()
        try file.close()
    }

    static func writeReport(summary: RunSummary, previousRuns: [RunRow], balance: LineageBalance,
                            into directory: OutputDirectory) throws {
        guard let report = summary.report else { return }
        var trend = ReportRenderer.trend(previousRuns)
        trend.append(.init(runID: summary.runID, startedAt: summary.startedAt, inputs: balance.inputs, kept: balance.kept,
                           merged: balance.merged, excluded: balance.excluded, rejected: balance.rejected))
        let html = try directory.createFile("report.html")
        try html.write(ReportRenderer.html(summary: summary, report: report, trend: trend))
        try html.close()
        let json = try directory.createFile("report.json")
        try json.write(try reportJSON(report, trend: trend) + "\n")
        try json.close()
    }

    /// `report.json`: the report's figures and the trend, for dashboards.
    public static func reportJSON(_ report: QualityReport, trend: [ReportRenderer.TrendPoint]) throws -> String {
        struct Document: Encodable {
            var report: QualityReport
            var trend: [ReportRenderer.TrendPoint]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Document(report: report, trend: trend)), as: UTF8.self)
    }

    static func summaryJSON(_ summary: RunSummary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(summary), as: UTF8.self)
    }

    static func writeSummary(_ summary: RunSummary, into directory: OutputDirectory) throws {
        let file = try directory.createFile(OutputWriter.summary)
        try file.write(try summaryJSON(summary) + "\n")
        try file.close()
    }
}
