import TamisCore

/// Where readers put what they read. The pipeline's sink appends to the run state.
public protocol RecordSink: AnyObject {
    func record(_ record: ProspectRecord)
    func reject(_ rejected: RejectedInput)
    /// Index of an extra attribute name for `sourceIndex`, registering it when new.
    func extraIndex(source sourceIndex: Int, name: String) -> Int
}

/// A problem that stops one input file (not a row): empty file, not a CSV, bad XML…
public struct FileProblem: Sendable, Codable, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int?, column: Int?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public init(_ error: InputError) {
        self.init(file: error.file, line: error.line, column: error.column,
                  message: error.problem + (error.hint.map { " (hint: \($0))" } ?? ""))
    }
}

/// What reading one file gave.
public struct FileReadReport: Sendable, Codable, Equatable {
    public var file: String
    public var format: String
    public var encoding: String?
    public var delimiter: String?
    public var bytes: Int = 0
    public var records = 0
    public var rejected = 0
    public var blankLines = 0
    /// Fields that were not valid UTF-8 in a UTF-8 file and were read as Windows-1252.
    public var encodingRepairs = 0
    /// NUL bytes removed from values.
    public var nulBytesRemoved = 0
    /// Set when the file could not be read to its end.
    public var problem: FileProblem?

    public init(file: String, format: String) {
        self.file = file
        self.format = format
    }
}

/// Builds a record's packed values, repairing fields that are not valid UTF-8.
struct RecordAssembler {
    var repairs = 0
    var nulRemoved = 0
    private var scratch: [UInt8] = []

    /// Packs `count` values given as byte spans (nil = missing) in one exact allocation.
    /// With `checkUTF8`, values that are not valid UTF-8 are decoded as Windows-1252 and
    /// counted; callers that validated the whole row already pass false.
    mutating func pack(count: Int, checkUTF8: Bool, checkNUL: Bool = false,
                       _ span: (Int) -> UnsafeBufferPointer<UInt8>?) -> PackedFields {
        if checkNUL {
            // NUL bytes are never meaningful in prospect data and break C tools downstream:
            // they are removed (and counted) instead of being carried into the base.
            var builder = PackedFields.Builder(count: count)
            for j in 0..<count {
                let bytes = span(j) ?? UnsafeBufferPointer(start: nil, count: 0)
                let removed = bytes.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
                if removed > 0 {
                    nulRemoved += removed
                    let cleaned = bytes.filter { $0 != 0 }
                    cleaned.withUnsafeBufferPointer { append($0, to: &builder, checkUTF8: checkUTF8) }
                } else {
                    append(bytes, to: &builder, checkUTF8: checkUTF8)
                }
            }
            return builder.finish()
        }
        if checkUTF8 {
            for i in 0..<count {
                if let bytes = span(i), bytes.count > 0, !UTF8Validation.isValid(bytes) {
                    // Rare: fall back to the copying builder, which repairs.
                    var builder = PackedFields.Builder(count: count)
                    for j in 0..<count {
                        append(span(j) ?? UnsafeBufferPointer(start: nil, count: 0), to: &builder, checkUTF8: true)
                    }
                    return builder.finish()
                }
            }
        }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { lengths in
            for i in 0..<count { lengths[i] = span(i)?.count ?? 0 }
            return PackedFields(lengths: UnsafeBufferPointer(lengths)) { i, destination in
                _ = destination.initialize(from: span(i)!)
            }
        }
    }

    /// Appends `bytes` to `builder`, decoding it as Windows-1252 if it is not valid UTF-8.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, to builder: inout PackedFields.Builder, checkUTF8: Bool) {
        if !checkUTF8 || UTF8Validation.isValid(bytes) {
            builder.append(bytes)
            return
        }
        repairs += 1
        scratch.removeAll(keepingCapacity: true)
        Windows1252.decode(bytes, into: &scratch)
        builder.append(scratch)
    }
}
