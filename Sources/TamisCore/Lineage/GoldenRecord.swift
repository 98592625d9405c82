/// One real-world prospect in the clean base, built from one or more input records.
public struct GoldenRecord: Sendable {
    /// Stable identifier, derived from the founding record (same inputs, same ID).
    public var id: String
    /// Indices of the input records merged into it; the first is the survivor that founded it.
    public var members: [Int]
    /// Surviving value of each canonical field.
    public var fields: PackedFields
    /// Segment names the record belongs to (filled by the segment stage).
    public var segments: [String] = []
    /// The run that last changed it, when that was an earlier run (refreshes keep it so that an
    /// unchanged record is written back unchanged); nil means this run.
    public var since: String?

    public init(id: String, members: [Int], fields: PackedFields) {
        self.id = id
        self.members = members
        self.fields = fields
    }

    public subscript(field: CanonicalField) -> String? { fields.string(field.rawValue) }

    /// Appends the segment names as the outputs write them (`a|b|c`) to `out`.
    public func appendSegments(to out: inout [UInt8]) {
        for (k, segment) in segments.enumerated() {
            if k > 0 { out.append(0x7C) }  // |
            out.append(contentsOf: segment.utf8)
        }
    }
}

/// Which sources a golden record's members came from, as the outputs write it: each source
/// name once, in name order, joined by `|` (`crm|webinar-hubspot`). Made once per output and
/// used for every record (no set or string per record).
public struct GoldenSourceList {
    let names: [String]
    let byName: [Int]
    var present: [Bool]

    public init(sources: [SourceInfo]) {
        let names = sources.map(\.name)
        self.names = names
        byName = names.indices.sorted { names[$0] < names[$1] }
        present = [Bool](repeating: false, count: names.count)
    }

    /// Appends the list of `golden`'s sources to `out`.
    public mutating func append(_ golden: GoldenRecord, records: [ProspectRecord], to out: inout [UInt8]) {
        for member in golden.members { present[records[member].origin.sourceIndex] = true }
        let start = out.count
        for source in byName where present[source] {
            if out.count > start { out.append(0x7C) }  // |
            out.append(contentsOf: names[source].utf8)
            present[source] = false
        }
    }
}
