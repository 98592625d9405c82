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

    /// Counts a million records in a few passes over them, reading records, outcomes and golden
    /// records in place (a copy of each would retain and release every one of its buffers) and
    /// tallying values as bytes (no `String` or hashing per record): it runs beside the base's
    /// write, which needs both cores.
    public static func build(from state: RunState, segments: [String]) -> QualityReport {
        var excludedByReason: [String: Int] = [:]
        for i in state.outcomes.indices where state.outcomes[i].disposition == .excluded {
            excludedByReason[state.outcomes[i].reason?.code ?? "unknown", default: 0] += 1
        }
        let balance = state.lineage().balance
        let funnel = Funnel(inputs: balance.inputs, rejected: balance.rejected, read: state.records.count,
                            excluded: balance.excluded, excludedByReason: excludedByReason, merged: balance.merged,
                            goldenRecords: state.golden.count)

        // Statuses by field, and problems by field and reason (a number: no string made per
        // record), counted in one pass over the records.
        struct ProblemTally { var count = 0; var examples: [String] = [] }
        var statusCounts = [[Int]](repeating: [0, 0, 0, 0], count: reportedFields.count)  // missing, valid, repaired, invalid
        var problemCounts = [ProblemTally](repeating: ProblemTally(), count: CanonicalField.count << 8)  // field << 8 | reason
        var rows = state.sources.map { SourceRow(source: $0.name, records: 0, rejected: 0, withInvalidFields: 0, duplicates: 0, offTarget: 0) }
        for i in state.records.indices {
            for (f, field) in reportedFields.enumerated() {
                let quality = state.records[i].quality(field)
                statusCounts[f][Int(quality.status.rawValue)] += 1
                if quality.status == .invalid || quality.status == .repaired {
                    let key = field.rawValue << 8 | Int(quality.reason.rawValue)
                    problemCounts[key].count += 1
                    if problemCounts[key].examples.count < 3, let raw = state.records[i].rawValue(field) {
                        let masked = mask(raw, field)
                        if !problemCounts[key].examples.contains(masked) { problemCounts[key].examples.append(masked) }
                    }
                }
            }
            let source = state.records[i].origin.sourceIndex
            rows[source].records += 1
            if keyFields.contains(where: { state.records[i].quality($0).status == .invalid }) { rows[source].withInvalidFields += 1 }
            switch state.outcomes[i].disposition {
            case .merged: rows[source].duplicates += 1
            case .excluded: rows[source].offTarget += 1
            default: break
            }
        }
        for reject in state.rejected { rows[reject.origin.sourceIndex].rejected += 1 }
        var fields: [FieldRate] = []
        for (f, field) in reportedFields.enumerated() {
            let counts = statusCounts[f]
            let total = max(state.records.count, 1)
            let present = max(counts[1] + counts[2] + counts[3], 1)
            fields.append(FieldRate(field: field.name, valid: counts[1], repaired: counts[2], invalid: counts[3], missing: counts[0],
                                    completeness: Double(total - counts[0]) / Double(total),
                                    validBefore: Double(counts[1]) / Double(present),
                                    usableAfter: Double(counts[1] + counts[2]) / Double(present)))
        }
        let problems = problemCounts.indices
            .filter { problemCounts[$0].count > 0 }
            .map { key in (field: CanonicalField(rawValue: key >> 8)!, reason: QualityReason(rawValue: UInt8(key & 0xFF))!,
                           count: problemCounts[key].count, examples: problemCounts[key].examples) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : ($0.field.name, $0.reason.code) < ($1.field.name, $1.reason.code) }
            .prefix(12)
            .map { Problem(field: $0.field.name, reason: $0.reason.code.isEmpty ? "repaired" : $0.reason.code, count: $0.count, examples: $0.examples) }

        var sizes: [Int: Int] = [:]
        for g in state.golden.indices { sizes[state.golden[g].members.count, default: 0] += 1 }
        let clusterSizes = Dictionary(uniqueKeysWithValues: sizes.map { (String($0.key), $0.value) })
        // The five largest clusters (ties by ID), picked in one pass rather than sorting them all.
        func larger(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (state.golden[a].members.count, state.golden[b].members.count)
            return x != y ? x > y : state.golden[a].id < state.golden[b].id
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

        var segmentSizes: [String: Int] = [:]
        for name in segments { segmentSizes[name] = 0 }
        for g in state.golden.indices {
            for name in state.golden[g].segments { segmentSizes[name, default: 0] += 1 }
        }
        return QualityReport(funnel: funnel, fields: fields, problems: Array(problems), clusterSizes: clusterSizes,
                             largestClusters: Array(largest), sources: rows, segments: segmentSizes,
                             byNafSection: tally(.nafSection, of: state.golden), byHeadcountBand: tally(.headcountBand, of: state.golden),
                             byRegion: tally(.region, of: state.golden))
    }

    /// How many golden records hold each value of `field` ("(unknown)": none), counted on the
    /// values' bytes: a `String` is made once per distinct value, not per record.
    static func tally(_ field: CanonicalField, of golden: [GoldenRecord]) -> [String: Int] {
        var index = ByteStringSet(capacity: 64)
        var counts: [Int] = [], values: [String] = []
        var unknown = 0
        for g in golden.indices {
            golden[g].fields.withBytes(field.rawValue) { bytes in
                if bytes.isEmpty {
                    unknown += 1
                } else if let k = index.value(bytes) {
                    counts[k] += 1
                } else {
                    index.insert(bytes, value: counts.count)
                    counts.append(1)
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        var byValue = Dictionary(uniqueKeysWithValues: zip(values, counts))
        if unknown > 0 { byValue["(unknown)", default: 0] += unknown }
        return byValue
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
