/// Where an input record came from: enough for a steward to find it in the original file.
public struct RecordOrigin: Sendable, Hashable {
    /// Index of the source in the pipeline definition.
    public var sourceIndex: Int
    /// The configured id column's value, or the 1-based data row / element index.
    public var sourceID: String
    /// The file the record was read from (a source may glob several files).
    public var fileIndex: Int
    /// 1-based physical line where the record starts (CSV) or its element starts (XML).
    public var line: Int
    /// False when `sourceID` is only a position (`file.csv#12`): the record is then recognised
    /// across refreshes by its content, not by its id.
    public var hasOwnID: Bool

    public init(sourceIndex: Int, sourceID: String, fileIndex: Int, line: Int, hasOwnID: Bool = true) {
        self.sourceIndex = sourceIndex
        self.sourceID = sourceID
        self.fileIndex = fileIndex
        self.line = line
        self.hasOwnID = hasOwnID
    }
}

/// One input record, as read and as normalised.
///
/// `raw` keeps the source's values untouched (for lineage and survivorship); `value` holds
/// the normalised values the later stages work on. Both are indexed by `CanonicalField`.
public struct ProspectRecord: Sendable {
    public var origin: RecordOrigin
    public var raw: PackedFields
    public var value: PackedFields
    /// Unmapped columns, aligned with the source's `extraNames` at read time.
    public var extras: PackedFields
    /// Quality of each field after normalisation (indexed by `CanonicalField`; empty before).
    public var quality: [FieldQuality] = []

    public init(origin: RecordOrigin, raw: PackedFields, extras: PackedFields) {
        self.origin = origin
        self.raw = raw
        self.value = raw
        self.extras = extras
    }

    @inlinable
    public func isEmpty(_ field: CanonicalField) -> Bool { value.isEmpty(field.rawValue) }

    public subscript(field: CanonicalField) -> String? { value.string(field.rawValue) }

    public func rawValue(_ field: CanonicalField) -> String? { raw.string(field.rawValue) }

    public func quality(_ field: CanonicalField) -> FieldQuality {
        field.rawValue < quality.count ? quality[field.rawValue] : (isEmpty(field) ? .missing : .valid)
    }
}
