/// A named target list: the golden records matching all its conditions and its expression.
public struct SegmentDefinition: Sendable, Equatable {
    public var name: String
    public var conditions: [FieldCondition]
    public var expression: SegmentExpression?

    public init(name: String, conditions: [FieldCondition], expression: SegmentExpression? = nil) {
        self.name = name
        self.conditions = conditions
        self.expression = expression
    }
}

/// The names an expression can use: every canonical field, plus `headcount` (the lower bound
/// of the INSEE band, so `headcount >= 50` works) and `source` (true when any merged record
/// came from that source).
public enum SegmentFields {
    public static let names: Set<String> = Set(CanonicalField.allCases.map(\.name) + ["headcount", "source", "naf_division"])

    /// Lower bound of each INSEE salaried-headcount band.
    public static let headcountMinimum: [String: Int] = [
        "NN": 0, "00": 0, "01": 1, "02": 3, "03": 6, "11": 10, "12": 20, "21": 50, "22": 100, "31": 200,
        "32": 250, "41": 500, "42": 1000, "51": 2000, "52": 5000, "53": 10000,
    ]

    /// Reads a name for expressions, given canonical values and the record's sources.
    public static func lookup(_ name: String, value: (CanonicalField) -> String?, sources: [String]) -> String? {
        switch name {
        case "headcount":
            return value(.headcountBand).flatMap { headcountMinimum[$0] }.map(String.init)
        case "source":
            return sources.isEmpty ? nil : sources.joined(separator: "|")
        case "naf_division":
            return value(.naf).map { String($0.prefix(2)) }
        default:
            return CanonicalField(name: name).flatMap(value)
        }
    }
}

/// The segment stage: tags each golden record with the segments it belongs to.
public struct SegmentStage: PipelineStage {
    public let name = "segment"
    public var segments: [SegmentDefinition]

    public init(segments: [SegmentDefinition]) {
        self.segments = segments
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        // Each golden record on its own, in place, on all cores (each worker writes only its
        // own records, and reads the input records and sources).
        let records = state.records, sourceNames = state.sources.map(\.name), segments = self.segments
        state.golden.withUnsafeMutableBufferPointer { buffer in
            let golden = SharedBuffer(buffer)
            ParallelLoop.run(buffer.count, chunk: 1024) { chunk in
                for g in chunk {
                    let tier = SegmentStage.qualityTier(members: golden.buffer[g].members, records: records)
                    golden.buffer[g].fields = golden.buffer[g].fields.replacing(CanonicalField.qualityTier.rawValue, with: tier.utf8)
                    guard !segments.isEmpty else { continue }
                    let members = golden.buffer[g].members, fields = golden.buffer[g].fields
                    let sources = Array(Set(members.map { sourceNames[records[$0].origin.sourceIndex] })).sorted()
                    golden.buffer[g].segments = segments.compactMap { segment in
                        SegmentStage.matches(segment, fields: fields, sources: sources) ? segment.name : nil
                    }
                }
            }
        }
        var sizes: [String: Int] = [:]
        for segment in segments { sizes[segment.name] = 0 }
        for golden in state.golden {
            for name in golden.segments { sizes[name, default: 0] += 1 }
        }
        return StageCounts(stage: name, recordsIn: state.golden.count, recordsOut: state.golden.count, details: sizes)
    }

    public static func matches(_ segment: SegmentDefinition, fields: PackedFields, sources: [String]) -> Bool {
        guard segment.conditions.allSatisfy({ $0.matches(fields) }) else { return false }
        guard let expression = segment.expression else { return true }
        return expression.evaluate { name in
            SegmentFields.lookup(name, value: { fields.string($0.rawValue) }, sources: sources)
        }
    }

    /// A: e-mail, a phone and the SIRET usable (valid or repaired) in some merged record;
    /// B: an e-mail or a phone usable; C: neither.
    static func qualityTier(members: [Int], records: [ProspectRecord]) -> String {
        func usable(_ field: CanonicalField) -> Bool {
            members.contains { member in
                let status = records[member].quality(field).status
                return (status == .valid || status == .repaired) && !records[member].isEmpty(field)
            }
        }
        let email = usable(.email), phone = usable(.phone) || usable(.mobile)
        if email && phone && usable(.siret) { return "A" }
        return email || phone ? "B" : "C"
    }
}
