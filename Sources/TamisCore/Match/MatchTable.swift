/// Values of one field for every record being matched, folded (lower case, no accents, one
/// space between words) and packed in one buffer: comparisons read bytes, never `String`s.
/// (Also any list of byte strings read by position: NAF labels, the base's JSON keys.)
public struct ByteColumn: Sendable {
    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var ends: [Int32] = []

    public init() {}

    mutating func append(_ value: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: value)
        ends.append(Int32(bytes.count))
    }

    public mutating func append(_ value: some Collection<UInt8>) {
        bytes.append(contentsOf: value)
        ends.append(Int32(bytes.count))
    }

    mutating func appendFolded(_ value: UnsafeBufferPointer<UInt8>) {
        AccentFolding.fold(value, into: &bytes)
        ends.append(Int32(bytes.count))
    }

    public var count: Int { ends.count }

    @inlinable
    func range(_ row: Int) -> Range<Int> {
        (row == 0 ? 0 : Int(ends[row - 1]))..<Int(ends[row])
    }

    public func isEmpty(_ row: Int) -> Bool { range(row).isEmpty }

    public func withValue<R>(_ row: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let r = range(row)
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    public func string(_ row: Int) -> String { withValue(row) { String(decoding: $0, as: UTF8.self) } }

    /// Every value's bytes and where each ends, for a reader that walks many values.
    @inlinable
    public func withStorage<R>(_ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ ends: UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { bytes in try ends.withUnsafeBufferPointer { try body(bytes, $0) } }
    }
}

/// The records a deduplication compares (the ones not excluded), with the folded values of
/// every field its blocking rules and comparisons use.
public struct MatchTable: Sendable {
    /// Row → index in `RunState.records`.
    public let recordIndex: [Int]
    var columns: [MatchField: ByteColumn] = [:]
    /// A valid personal e-mail (not a role account): same value ⇒ same person.
    var personalEmail: [Bool]
    /// A valid SIRET.
    var validSiret: [Bool]

    public var count: Int { recordIndex.count }

    /// French phonetic keys of the fields that blocking or comparisons use by sound.
    var phonetics: [MatchField: ByteColumn] = [:]

    public init(state: RunState, rows: [Int], fields: Set<MatchField>, phoneticFields: Set<MatchField> = []) {
        recordIndex = rows
        personalEmail = rows.map { i in
            let q = state.records[i].quality(.email)
            return (q.status == .valid || q.status == .repaired) && q.reason != .roleAccount
        }
        validSiret = rows.map { i in
            let q = state.records[i].quality(.siret)
            return q.status == .valid || q.status == .repaired
        }
        // One column per core at a time: the fields are independent.
        let fieldList = Array(fields)
        let built = ParallelLoop.map(fieldList.count, chunk: 1, filling: ByteColumn()) { k in
            MatchTable.column(fieldList[k], of: rows, in: state)
        }
        for (k, field) in fieldList.enumerated() { columns[field] = built[k] }
        let phoneticList = Array(phoneticFields)
        let sources = columns
        let keys = ParallelLoop.map(phoneticList.count, chunk: 1, filling: ByteColumn()) { k in
            MatchTable.phoneticKeys(sources[phoneticList[k]] ?? ByteColumn())
        }
        for (k, field) in phoneticList.enumerated() { phonetics[field] = keys[k] }
    }

    static func column(_ field: MatchField, of rows: [Int], in state: RunState) -> ByteColumn {
        var column = ByteColumn()
        column.bytes.reserveCapacity(rows.count * 8)
        column.ends.reserveCapacity(rows.count)
        switch field {
        case .canonical(let canonical):
            let verbatim = MatchTable.verbatim.contains(canonical)
            for i in rows {
                state.records[i].value.withBytes(canonical.rawValue) {
                    if verbatim { column.append($0) } else { column.appendFolded($0) }
                }
            }
        case .extra(let name):
            // An unmapped column: each source's slot for the name.
            let slots = state.sources.map { $0.extraNames.firstIndex(of: name) }
            for i in rows {
                let record = state.records[i]
                if let slot = slots[record.origin.sourceIndex] {
                    record.extras.withBytes(slot) { column.appendFolded($0) }
                } else {
                    column.ends.append(Int32(column.bytes.count))
                }
            }
        }
        return column
    }

    /// Identifiers are compared as normalised; names and other text folded.
    static let verbatim: Set<CanonicalField> = [.email, .phone, .mobile, .siret, .siren, .postalCode, .naf, .department]

    static func phoneticKeys(_ values: ByteColumn) -> ByteColumn {
        var keys = ByteColumn()
        keys.ends.reserveCapacity(values.count)
        for row in 0..<values.count {
            values.withValue(row) { FrenchPhonetic.key($0) }.withUnsafeBufferPointer { keys.append($0) }
        }
        return keys
    }

    /// The phonetic keys of a field, computed here if the table was not asked for them.
    public func phonetic(_ field: MatchField) -> ByteColumn {
        phonetics[field] ?? MatchTable.phoneticKeys(column(field))
    }

    public func column(_ field: MatchField) -> ByteColumn { columns[field] ?? ByteColumn() }
}
