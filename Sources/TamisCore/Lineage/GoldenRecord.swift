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
}
