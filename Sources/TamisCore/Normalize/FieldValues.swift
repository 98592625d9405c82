/// The values of one record while the normalisers compute them: every value in one byte
/// arena (a value written twice keeps the last one), a quality per field, packed in field
/// order at the end. One allocation for the arena instead of one array per field: the
/// normalisers append their output straight into it (`write`), a `ByteWriter` (see there why
/// not an array).
///
/// The spans and qualities live in fixed buffers read and written through pointers (arrays
/// would check their uniqueness on every one of the ~40 writes a record). A `FieldValues` is
/// moved, never copied and then written twice: copies share those buffers.
struct FieldValues {
    private var arena: ByteWriter
    /// Start and end of each field's value in `arena`, and each field's quality.
    private let buffers: Buffers
    private var spans: UnsafeMutablePointer<(start: Int32, end: Int32)> { buffers.spans }

    final class Buffers {
        let spans = UnsafeMutablePointer<(start: Int32, end: Int32)>.allocate(capacity: CanonicalField.count)
        let quality = UnsafeMutablePointer<FieldQuality>.allocate(capacity: CanonicalField.count)

        init() {
            spans.initialize(repeating: (0, 0), count: CanonicalField.count)
            quality.initialize(repeating: .missing, count: CanonicalField.count)
        }

        deinit {
            spans.deallocate()
            quality.deallocate()
        }
    }

    /// The qualities, read by field index (`out.quality[i]`).
    struct Qualities {
        let base: UnsafeMutablePointer<FieldQuality>
        subscript(_ i: Int) -> FieldQuality { base[i] }
    }

    var quality: Qualities { Qualities(base: buffers.quality) }

    /// The qualities of every field, in field order.
    var qualities: [FieldQuality] { Array(UnsafeBufferPointer(start: buffers.quality, count: CanonicalField.count)) }

    /// Empty buffers, for `reset`.
    init(capacity: Int = 1024) {
        arena = ByteWriter(capacity: capacity)
        buffers = Buffers()
    }

    /// Starts from `initial` (its values, and `initialQuality` or `missing` for every field).
    init(_ initial: PackedFields, quality initialQuality: [FieldQuality]? = nil, extraCapacity: Int = 512) {
        self.init(capacity: initial.valueByteCount + extraCapacity)
        reset(initial, extraCapacity: extraCapacity)
        if let initialQuality {
            for i in 0..<min(initialQuality.count, CanonicalField.count) { buffers.quality[i] = initialQuality[i] }
        }
    }

    /// Starts again from `initial`, in the buffers of the record before (no allocation): its
    /// values, every field `missing` — or, `sourcesValid`, its non-empty source fields `valid`.
    /// Returns what `check` says of the values, on the same reading of their boundaries.
    @discardableResult
    mutating func reset(_ initial: PackedFields, extraCapacity: Int = 512, sourcesValid: Bool = false,
                        check: (_ ends: UnsafeBufferPointer<Int32>, _ values: UnsafeBufferPointer<UInt8>) -> Bool = { _, _ in true }) -> Bool {
        arena.removeAll()
        arena.reserveCapacity(initial.valueByteCount + extraCapacity)
        let spans = self.spans, quality = buffers.quality
        let fields = CanonicalField.count, given = min(initial.count, fields)
        let sources = sourcesValid ? min(CanonicalField.sourceFieldCount, given) : 0
        quality.update(repeating: .missing, count: fields)
        return initial.withBoundaries { ends, values in
            arena.append(contentsOf: values)
            var i = 0
            while i < given {
                spans[i] = (ends[i], ends[i &+ 1])
                i &+= 1
            }
            while i < fields {
                spans[i] = (0, 0)
                i &+= 1
            }
            i = 0
            while i < sources {
                if ends[i] != ends[i &+ 1] { quality[i] = .valid }
                i &+= 1
            }
            return check(ends, values)
        }
    }

    /// Appends the value `body` writes for `field`. An empty value is `missing` unless invalid
    /// (keeping the reason).
    @inline(__always)
    mutating func write(_ field: CanonicalField, _ q: FieldQuality, _ body: (inout ByteWriter) -> Void) {
        write(field) { arena in
            body(&arena)
            return q
        }
    }

    /// Appends the value `body` writes for `field`; `body` returns its quality. Returns where
    /// the value is in the arena.
    @discardableResult @inline(__always)
    mutating func write(_ field: CanonicalField, _ body: (inout ByteWriter) -> FieldQuality) -> Range<Int> {
        let start = arena.count
        let q = body(&arena)
        assign(field, start..<arena.count, q)
        return start..<arena.count
    }

    /// Appends what `body` writes without giving it to a field yet (`assign`); returns where
    /// it is in the arena.
    @inline(__always)
    mutating func append(_ body: (inout ByteWriter) -> Void) -> Range<Int> {
        let start = arena.count
        body(&arena)
        return start..<arena.count
    }

    /// Gives `field` the bytes at `range` of the arena. An empty value is `missing` unless
    /// invalid (keeping the reason).
    @inline(__always)
    mutating func assign(_ field: CanonicalField, _ range: Range<Int>, _ q: FieldQuality) {
        spans[field.rawValue] = (Int32(range.lowerBound), Int32(range.upperBound))
        buffers.quality[field.rawValue] = range.isEmpty && q.status != .invalid ? FieldQuality(.missing, q.reason) : q
    }

    /// Sets `field` to a copy of bytes already in the arena (part of another value).
    mutating func set(_ field: CanonicalField, copying range: Range<Int>, _ q: FieldQuality) {
        write(field, q) { arena in
            // Room first: the bytes are then read where they are (growing would move them).
            arena.reserveCapacity(arena.count + range.count)
            arena.append(contentsOf: UnsafeBufferPointer(start: arena.base + range.lowerBound, count: range.count))
        }
    }

    @inline(__always)
    mutating func set(_ field: CanonicalField, _ value: UnsafeBufferPointer<UInt8>, _ q: FieldQuality) {
        write(field, q) { $0.append(contentsOf: value) }
    }

    mutating func set(_ field: CanonicalField, _ value: [UInt8]?, _ q: FieldQuality) {
        write(field, q) { if let value { $0.append(contentsOf: value) } }
    }

    mutating func set(_ field: CanonicalField, _ text: StaticString, _ q: FieldQuality) {
        write(field, q) { $0.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
    }

    mutating func set(_ field: CanonicalField, _ value: String?, _ q: FieldQuality) {
        write(field, q) { arena in
            guard var value else { return }
            value.withUTF8 { arena.append(contentsOf: $0) }  // the bytes in one copy, not one by one
        }
    }

    /// Gives `field` the bytes at `range` of the arena (none: empty) and exactly the quality
    /// given (even `valid` for an empty value).
    @inline(__always)
    mutating func put(_ field: CanonicalField, _ range: Range<Int>?, _ q: FieldQuality) {
        assign(field, range ?? 0..<0, q)
        buffers.quality[field.rawValue] = q
    }

    /// Keeps the value, changes its quality.
    mutating func setQuality(_ field: CanonicalField, _ q: FieldQuality) { buffers.quality[field.rawValue] = q }

    mutating func clear(_ field: CanonicalField) {
        spans[field.rawValue] = (0, 0)
        buffers.quality[field.rawValue] = .missing
    }

    func packed(spareBytes: Int = 0) -> PackedFields {
        arena.withUnsafeBufferPointer { arena in
            PackedFields(gathering: UnsafeBufferPointer(start: spans, count: CanonicalField.count), from: arena.baseAddress!, spareBytes: spareBytes)
        }
    }
}
