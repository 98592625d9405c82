import Foundation
import TamisCore
import TamisIO

/// Renders `report.html`: one self-contained page (inline CSS and SVG, no script, no external
/// reference), readable offline and printable.
public enum ReportRenderer {
    /// A past run's balance, for the trend section.
    public struct TrendPoint: Codable, Sendable, Equatable {
        public var runID: String
        public var startedAt: String
        public var inputs: Int
        public var kept: Int
        public var merged: Int
        public var excluded: Int
        public var rejected: Int
    }

    public static func trend(_ runs: [RunRow]) -> [TrendPoint] {
        runs.map { TrendPoint(runID: $0.runID, startedAt: $0.startedAt, inputs: $0.balance.inputs, kept: $0.balance.kept,
                              merged: $0.balance.merged, excluded: $0.balance.excluded, rejected: $0.balance.rejected) }
    }

    public static func html(summary: RunSummary, report: QualityReport, trend: [TrendPoint]) -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>Tamis — \(escape(summary.pipeline)) — \(escape(summary.runID))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1000px;color:#1d2733;padding:0 1rem}
        h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:2px solid #2f6f8f;padding-bottom:.2rem;margin-top:2.2rem}
        .meta{color:#5b6b7b}table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.92rem}
        th,td{border-bottom:1px solid #dde3ea;padding:.3rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}
        th{background:#f1f5f8}.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{background:#f1f5f8;border-radius:8px;padding:.6rem 1rem;min-width:8rem}
        .card b{display:block;font-size:1.5rem}.note{color:#5b6b7b;font-size:.85rem}svg text{font-size:12px;fill:#1d2733}
        @media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table,svg{page-break-inside:avoid}}
        </style></head><body>
        <h1>Data-quality report — \(escape(summary.pipeline))</h1>
        <p class="meta">Run \(escape(summary.runID)) · started \(escape(summary.startedAt))\(summary.dryRun ? " · dry run" : "")</p>

        """
        let f = report.funnel
        page += "<h2>Funnel</h2><div class=\"cards\">"
        for (label, value) in [("read", f.inputs), ("rejected", f.rejected), ("excluded", f.excluded), ("merged", f.merged), ("golden records", f.goldenRecords)] {
            page += "<div class=\"card\"><b>\(value)</b>\(label)</div>"
        }
        page += "</div>"
        page += barChart([("records read", f.inputs), ("readable", f.read), ("on target", f.read - f.excluded),
                          ("golden records", f.goldenRecords)])
        if !f.excludedByReason.isEmpty {
            page += "<p>Excluded by reason:</p>" + barChart(f.excludedByReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key })
        }
        if !summary.rejectReasons.isEmpty {
            page += "<p>Rejected (unreadable rows) by reason: " + summary.rejectReasons.sorted { $0.key < $1.key }
                .map { "\(escape($0.key)) \($0.value)" }.joined(separator: ", ") + "</p>"
        }

        page += "<h2>Changes to the base (\(escape(summary.mode)))</h2>"
        if summary.changes.isEmpty {
            page += "<p class=\"note\">No change figures for this run.</p>"
        } else {
            page += "<div class=\"cards\">"
            for kind in BaseChange.Kind.allCases {
                page += "<div class=\"card\"><b>\(summary.changes[kind.rawValue] ?? 0)</b>\(kind.rawValue)</div>"
            }
            page += "</div><p class=\"note\">Golden records new, updated (any field), merged into another, excluded, purged "
                + "(retention) or removed (not in a rebuild's files). Field by field: changes.csv of this run, or the base's "
                + "changes table. The same inputs run again give no change.</p>"
        }

        if let sirene = summary.sirene {
            page += "<h2>Companies in the SIRENE register (stock of \(escape(sirene.stockDate)))</h2>"
            page += barChart(SireneStatus.allCases.map { ($0.rawValue, sirene.statuses[$0.rawValue] ?? 0) }.filter { $0.1 > 0 })
            let filled = sirene.filled.sorted { $0.key < $1.key }.map { "\(escape($0.key)) \($0.value)" }.joined(separator: ", ")
            page += "<p class=\"note\">defunct: closed establishment of a ceased company (excluded by default); partial: the owner "
                + "objected to prospecting (excluded by default); closed: the establishment closed, the company lives on "
                + "(successor suggested); unknown: not in the register; siretised: SIRET found from name and address. "
                + "Filled from the register: \(filled.isEmpty ? "nothing" : filled). To check: \(sirene.review) record(s) in "
                + "sirene_review.csv, \(sirene.conflicts) conflict(s) in sirene_conflicts.csv.</p>"
        }

        page += "<h2>Field quality, before and after</h2>"
        page += "<table><tr><th>field</th><th>complete</th><th>valid as given</th><th>usable after Tamis</th><th>valid</th><th>repaired</th><th>invalid</th><th>missing</th></tr>"
        for row in report.fields {
            page += "<tr><td>\(escape(row.field))</td><td>\(percent(row.completeness))</td><td>\(percent(row.validBefore))</td><td>\(percent(row.usableAfter))</td>"
                + "<td>\(row.valid)</td><td>\(row.repaired)</td><td>\(row.invalid)</td><td>\(row.missing)</td></tr>"
        }
        page += "</table>"
        if !report.problems.isEmpty {
            page += "<p>Most frequent problems (examples masked where personal):</p><table><tr><th>field</th><th>reason</th><th>records</th><th>examples</th></tr>"
            for problem in report.problems {
                page += "<tr><td>\(escape(problem.field))</td><td>\(escape(problem.reason))</td><td>\(problem.count)</td><td style=\"text-align:left\">\(problem.examples.map(escape).joined(separator: " · "))</td></tr>"
            }
            page += "</table>"
        }

        page += "<h2>Duplicates</h2>"
        page += barChart(report.clusterSizes.sorted { Int($0.key)! < Int($1.key)! }.map { ("\($0.key) record\($0.key == "1" ? "" : "s")", $0.value) })
        if !report.largestClusters.isEmpty {
            page += "<table><tr><th>largest clusters</th><th>records</th><th>sources</th></tr>"
            for cluster in report.largestClusters {
                page += "<tr><td>\(escape(cluster.goldenID))</td><td>\(cluster.size)</td><td>\(escape(cluster.sources.joined(separator: ", ")))</td></tr>"
            }
            page += "</table>"
        }

        page += "<h2>Sources: which channel brings the worst leads</h2>"
        page += "<table><tr><th>source</th><th>records</th><th>rejected</th><th>with invalid fields</th><th>duplicates</th><th>off-target</th></tr>"
        for row in report.sources {
            let total = max(row.records + row.rejected, 1)
            func share(_ n: Int) -> String { "\(n) (\(percent(Double(n) / Double(total))))" }
            page += "<tr><td>\(escape(row.source))</td><td>\(row.records + row.rejected)</td><td>\(share(row.rejected))</td><td>\(share(row.withInvalidFields))</td><td>\(share(row.duplicates))</td><td>\(share(row.offTarget))</td></tr>"
        }
        page += "</table>"

        page += "<h2>Segments</h2>"
        if !report.segments.isEmpty { page += barChart(report.segments.sorted { $0.key < $1.key }) }
        page += "<p>Golden records by NAF section:</p>" + barChart(report.byNafSection.sorted { $0.key < $1.key })
        page += "<p>By headcount band (INSEE code):</p>" + barChart(report.byHeadcountBand.sorted { $0.key < $1.key })
        page += "<p>By région (INSEE code):</p>" + barChart(report.byRegion.sorted { $0.key < $1.key })

        page += "<h2>Runs of this base</h2>"
        if trend.count <= 1 {
            page += "<p class=\"note\">This is the first run recorded in this base: the trend appears from the next run on.</p>"
        }
        page += "<table><tr><th>run</th><th>read</th><th>golden</th><th>merged</th><th>excluded</th><th>rejected</th></tr>"
        for point in trend {
            page += "<tr><td>\(escape(point.runID))</td><td>\(point.inputs)</td><td>\(point.kept)</td><td>\(point.merged)</td><td>\(point.excluded)</td><td>\(point.rejected)</td></tr>"
        }
        page += "</table>"
        page += "<p class=\"note\">Generated by Tamis. Figures: report.json of the same run.</p></body></html>\n"
        return page
    }

    /// A horizontal bar chart as inline SVG.
    static func barChart(_ bars: [(String, Int)]) -> String {
        guard !bars.isEmpty else { return "<p class=\"note\">(nothing to show)</p>" }
        let maximum = max(bars.map(\.1).max() ?? 1, 1)
        let rowHeight = 22, labelWidth = 170, barWidth = 520
        var svg = "<svg role=\"img\" width=\"\(labelWidth + barWidth + 60)\" height=\"\(bars.count * rowHeight + 6)\">"
        for (i, bar) in bars.enumerated() {
            let y = i * rowHeight + 3
            let width = Int(Double(barWidth) * Double(bar.1) / Double(maximum))
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(escape(bar.0))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(max(width, 1))\" height=\"16\" fill=\"#2f6f8f\"/>"
            svg += "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 15)\">\(bar.1)</text>"
        }
        return svg + "</svg>"
    }

    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
