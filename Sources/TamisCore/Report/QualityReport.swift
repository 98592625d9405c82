/// The figures of the data-quality report of one run (`report.json`, and `report.html`).
/// Built from the run state alone; examples of personal values are masked.
public struct QualityReport: Codable, Sendable, Equatable {
    public struct Funnel: Codable, Sendable, Equatable {
        public var inputs: Int
        public var rejected: Int
        public var read: Int
        public var excluded: Int
        public var excludedByReason: [String: Int]
        public var merged: Int
        public var goldenRecords: Int
    }

    public struct FieldRate: Codable, Sendable, Equatable {
        public var field: String
        public var valid: Int
        public var repaired: Int
        public var invalid: Int
        public var missing: Int
        /// Share of records with a value.
        public var completeness: Double
        /// Before Tamis: share of the present values that were already valid.
        public var validBefore: Double
        /// After Tamis: share of the present values usable (valid or repaired).
        public var usableAfter: Double
    }

    public struct Problem: Codable, Sendable, Equatable {
        public var field: String
        public var reason: String
        public var count: Int
        /// A few source values, masked where personal.
        public var examples: [String]
    }

    public struct SourceRow: Codable, Sendable, Equatable {
        public var source: String
        public var records: Int
        public var rejected: Int
        /// Records with an invalid SIRET, NAF, phone, e-mail or postal code.
        public var withInvalidFields: Int
        public var duplicates: Int
        public var offTarget: Int
    }

    public struct Cluster: Codable, Sendable, Equatable {
        public var goldenID: String
        public var size: Int
        public var sources: [String]
    }

    public var funnel: Funnel
    public var fields: [FieldRate]
    public var problems: [Problem]
    /// Cluster size → number of golden records of that size.
    public var clusterSizes: [String: Int]
    public var largestClusters: [Cluster]
    public var sources: [SourceRow]
    public var segments: [String: Int]
    public var byNafSection: [String: Int]
    public var byHeadcountBand: [String: Int]
    public var byRegion: [String: Int]

    static let reportedFields: [CanonicalField] = [.siret, .siren, .naf, .email, .phone, .mobile, .postalCode, .city,
                                                   .firstName, .lastName, .companyName, .civility]
    static let keyFields: [CanonicalField] = [.siret, .naf, .phone, .mobile, .email, .postalCode]

    public static func build(from state: RunState, segments: [String]) -> QualityReport {
        var excludedByReason: [String: Int] = [:]
        for outcome in state.outcomes where outcome.disposition == .excluded {
            excludedByReason[outcome.reason?.code ?? "unknown", default: 0] += 1
        }
        let balance = state.lineage().balance
        let funnel = Funnel(inputs: balance.inputs, rejected: balance.rejected, read: state.records.count,
                            excluded: balance.excluded, excludedByReason: excludedByReason, merged: balance.merged,
                            goldenRecords: state.golden.count)

        var fields: [FieldRate] = []
        // Problems by field and reason (a number: no string made per record), counted in place.
        var problemCounts: [Int: (field: CanonicalField, reason: QualityReason, count: Int, examples: [String])] = [:]
        for field in reportedFields {
            var counts = [0, 0, 0, 0]  // missing, valid, repaired, invalid
            for i in state.records.indices {
                let quality = state.records[i].quality(field)
                counts[Int(quality.status.rawValue)] += 1
                if quality.status == .invalid || quality.status == .repaired {
                    let key = field.rawValue << 8 | Int(quality.reason.rawValue)
                    problemCounts[key, default: (field, quality.reason, 0, [])].count += 1
                    if problemCounts[key]!.examples.count < 3, let raw = state.records[i].rawValue(field) {
                        let masked = mask(raw, field)
                        if !problemCounts[key]!.examples.contains(masked) { problemCounts[key]!.examples.append(masked) }
                    }
                }
            }
            let total = max(state.records.count, 1)
            let present = max(counts[1] + counts[2] + counts[3], 1)
            fields.append(FieldRate(field: field.name, valid: counts[1], repaired: counts[2], invalid: counts[3], missing: counts[0],
                                    completeness: Double(total - counts[0]) / Double(total),
                                    validBefore: Double(counts[1]) / Double(present),
                                    usableAfter: Double(counts[1] + counts[2]) / Double(present)))
        }
        let problems = problemCounts.values
            .sorted { $0.count != $1.count ? $0.count > $1.count : ($0.field.name, $0.reason.code) < ($1.field.name, $1.reason.code) }
            .prefix(12)
            .map { Problem(field: $0.field.name, reason: $0.reason.code.isEmpty ? "repaired" : $0.reason.code, count: $0.count, examples: $0.examples) }

        var sizes: [Int: Int] = [:]
        for golden in state.golden { sizes[golden.members.count, default: 0] += 1 }
        let clusterSizes = Dictionary(uniqueKeysWithValues: sizes.map { (String($0.key), $0.value) })
        // The five largest clusters (ties by ID), picked in one pass rather than sorting them all.
        func larger(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (state.golden[a], state.golden[b])
            return x.members.count != y.members.count ? x.members.count > y.members.count : x.id < y.id
        }
        var top: [Int] = []
        for g in state.golden.indices where state.golden[g].members.count > 1 && (top.count < 5 || larger(g, top[top.count - 1])) {
            top.insert(g, at: top.firstIndex { larger(g, $0) } ?? top.count)
            if top.count > 5 { top.removeLast() }
        }
        let largest = top.map { state.golden[$0] }
            .map { golden in
                Cluster(goldenID: golden.id, size: golden.members.count,
                        sources: Array(Set(golden.members.map { state.sources[state.records[$0].origin.sourceIndex].name })).sorted())
            }

        var rows = state.sources.map { SourceRow(source: $0.name, records: 0, rejected: 0, withInvalidFields: 0, duplicates: 0, offTarget: 0) }
        for reject in state.rejected { rows[reject.origin.sourceIndex].rejected += 1 }
        for i in state.records.indices {
            let source = state.records[i].origin.sourceIndex
            rows[source].records += 1
            if keyFields.contains(where: { state.records[i].quality($0).status == .invalid }) { rows[source].withInvalidFields += 1 }
            switch state.outcomes[i].disposition {
            case .merged: rows[source].duplicates += 1
            case .excluded: rows[source].offTarget += 1
            default: break
            }
        }

        var segmentSizes: [String: Int] = [:]
        for name in segments { segmentSizes[name] = 0 }
        var byNaf: [String: Int] = [:], byBand: [String: Int] = [:], byRegion: [String: Int] = [:]
        for golden in state.golden {
            for name in golden.segments { segmentSizes[name, default: 0] += 1 }
            byNaf[golden[.nafSection] ?? "(unknown)", default: 0] += 1
            byBand[golden[.headcountBand] ?? "(unknown)", default: 0] += 1
            byRegion[golden[.region] ?? "(unknown)", default: 0] += 1
        }
        return QualityReport(funnel: funnel, fields: fields, problems: Array(problems), clusterSizes: clusterSizes,
                             largestClusters: Array(largest), sources: rows, segments: segmentSizes,
                             byNafSection: byNaf, byHeadcountBand: byBand, byRegion: byRegion)
    }

    /// Personal values are masked in examples: `j***@gmial.com`, `••••••••89`, `D***`.
    public static func mask(_ value: String, _ field: CanonicalField) -> String {
        switch field {
        case .email:
            guard let at = value.lastIndex(of: "@") else { return String(value.prefix(1)) + "***" }
            return String(value.prefix(1)) + "***" + String(value[at...])
        case .phone, .mobile:
            let digits = value.filter(\.isNumber)
            return String(repeating: "•", count: max(digits.count - 2, 0)) + String(digits.suffix(2))
        case .firstName, .lastName, .civility:
            return String(value.prefix(1)) + "***"
        default:
            return value.count > 60 ? String(value.prefix(60)) + "…" : value
        }
    }
}
