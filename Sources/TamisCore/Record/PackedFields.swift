/// A fixed number of byte strings packed into one buffer: one allocation per record
/// instead of one per field.
///
/// Layout: `count + 1` little-endian end offsets, then the concatenated values. The offsets
/// are `UInt16` when the whole buffer fits in 64 KiB (almost every record: half the header,
/// 200 MB less for a million records), `UInt32` otherwise (`wide`); the width follows from the
/// size alone, so equal values have equal storage.
/// An empty value means "missing": a CSV cell or XML element with no text carries nothing.
public struct PackedFields: Sendable, Hashable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline let storedCount: Int32
    /// 32-bit offsets (a buffer over 64 KiB).
    @usableFromInline let wide: Bool

    public var count: Int { Int(storedCount) }

    @inlinable var headerSize: Int { (Int(storedCount) &+ 1) &* (wide ? 4 : 2) }

    /// The largest buffer with 16-bit offsets.
    @usableFromInline static let narrowLimit = 0xFFFF

    /// `count` empty values.
    public init(count: Int) {
        self.init(count: count, capacity: 0) { _, _ in 0 }
    }

    @inlinable @inline(__always)
    func offset(_ i: Int) -> Int {
        storage.withUnsafeBufferPointer { PackedFields.offset(i, in: $0, wide: wide) }
    }

    /// Offset `i` of a header of 16-bit (or, `wide`, 32-bit) little-endian offsets.
    @inlinable @inline(__always)
    static func offset(_ i: Int, in header: UnsafeBufferPointer<UInt8>, wide: Bool) -> Int {
        if !wide {
            let p = i &* 2
            return Int(UInt16(header[p]) | UInt16(header[p &+ 1]) << 8)
        }
        let p = i &* 4
        let low = UInt32(header[p]) | UInt32(header[p &+ 1]) << 8
        return Int(low | UInt32(header[p &+ 2]) << 16 | UInt32(header[p &+ 3]) << 24)
    }

    /// Whether value `i` is missing (empty).
    @inlinable
    public func isEmpty(_ i: Int) -> Bool {
        i >= count || offset(i) == offset(i &+ 1)
    }

    /// Calls `body` with the bytes of value `i` (empty when missing or out of range).
    @inlinable
    public func withBytes<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard i < count else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let start = offset(i), end = offset(i &+ 1)
        return try storage.withUnsafeBufferPointer { buf in
            try body(UnsafeBufferPointer(rebasing: buf[start..<end]))
        }
    }

    /// Whether `predicate` holds for every value, in index order (it stops at the first that
    /// does not): each offset is read once, and the storage is reached once for all values.
    @inlinable
    public func allValues(_ predicate: (_ index: Int, _ value: UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        storage.withUnsafeBufferPointer { buf in
            var start = headerSize
            for i in 0..<count {
                let end = PackedFields.offset(i &+ 1, in: buf, wide: wide)
                if !predicate(i, UnsafeBufferPointer(rebasing: buf[start..<end])) { return false }
                start = end
            }
            return true
        }
    }

    /// Value `i` as a `String`, or nil when missing. Values are valid UTF-8 by construction.
    public func string(_ i: Int) -> String? {
        if isEmpty(i) { return nil }
        return withBytes(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Value `i` as bytes.
    public func bytes(_ i: Int) -> [UInt8] {
        withBytes(i) { Array($0) }
    }

    /// A copy with value `i` replaced.
    /// The other values are copied as runs of memory into one allocation of the right size.
    public func replacing(_ i: Int, with value: some Collection<UInt8>) -> PackedFields {
        guard i >= 0 && i < count else { return self }
        let old = valueRange(i)
        return withValueBytes { values in
            PackedFields(count: count, capacity: values.count - old.count + value.count) { j, destination in
                if j == i { return PackedFields.copy(value, to: destination) }
                let range = valueRange(j)
                if !range.isEmpty { destination.update(from: values.baseAddress! + range.lowerBound, count: range.count) }
                return range.count
            }
        }
    }

    /// Replaces value `i` where it is, without allocating, when the storage is this value's
    /// own and its capacity has room (the SIRENE stage writes a status into every record this
    /// way; the normaliser leaves `spareBytes` for it); as `replacing` otherwise. The storage
    /// is the same as `replacing` would make: the offsets stay 16-bit only while they fit.
    public mutating func replace(_ i: Int, with value: some Collection<UInt8>) {
        guard i >= 0 && i < count else { return }
        let start = offset(i), end = offset(i &+ 1)
        let delta = value.count &- (end &- start)
        let size = storage.count &+ delta
        guard !wide, size <= PackedFields.narrowLimit, size <= storage.capacity else {
            self = replacing(i, with: value)
            return
        }
        let tail = storage.count &- end
        if delta > 0 { storage.append(contentsOf: repeatElement(0, count: delta)) }
        let count = self.count
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            if delta != 0 && tail > 0 { UnsafeMutableRawPointer(base + end + delta).copyMemory(from: base + end, byteCount: tail) }
            _ = PackedFields.copy(value, to: base + start)
            // The values after `i` moved by `delta` (the header, before them, did not): their
            // 16-bit offsets, read and written through the buffer (no check per byte).
            if delta != 0 {
                let header = UnsafeMutableRawPointer(base)
                for j in (i &+ 1)...count {
                    let offset = Int(UInt16(littleEndian: header.loadUnaligned(fromByteOffset: j &* 2, as: UInt16.self)))
                    header.storeBytes(of: UInt16(truncatingIfNeeded: offset &+ delta).littleEndian, toByteOffset: j &* 2, as: UInt16.self)
                }
            }
        }
        if delta < 0 { storage.removeLast(-delta) }
    }

    /// Replaces several values (index, new bytes; the last wins): a single one in place as
    /// `replace(_:with:)` does, several in one copy (`replacing`).
    public mutating func replace<Value: Collection<UInt8>>(_ changes: [(Int, Value)]) {
        if changes.count == 1 { replace(changes[0].0, with: changes[0].1) } else { self = replacing(changes) }
    }

    /// A copy with several values replaced (index, new bytes; the last wins), in one allocation
    /// of the right size, as the single replacement makes it.
    public func replacing<Value: Collection<UInt8>>(_ changes: [(Int, Value)]) -> PackedFields {
        guard !changes.isEmpty else { return self }
        if changes.count == 1 { return replacing(changes[0].0, with: changes[0].1) }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { winner in
            // For each value, the change that wins (the last naming it), or -1.
            winner.initialize(repeating: -1)
            for (k, change) in changes.enumerated() where change.0 >= 0 && change.0 < count { winner[change.0] = k }
            return withValueBytes { values in
                var capacity = values.count
                for j in 0..<count where winner[j] >= 0 { capacity += changes[winner[j]].1.count - valueRange(j).count }
                return PackedFields(count: count, capacity: capacity) { j, destination in
                    if winner[j] >= 0 { return PackedFields.copy(changes[winner[j]].1, to: destination) }
                    let range = valueRange(j)
                    if !range.isEmpty { destination.update(from: values.baseAddress! + range.lowerBound, count: range.count) }
                    return range.count
                }
            }
        }
    }

    /// Writes `value` at `destination` (one copy when its bytes are contiguous, as a native
    /// string's are); returns its length.
    @inlinable
    static func copy(_ value: some Collection<UInt8>, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        if let n = value.withContiguousStorageIfAvailable({ bytes -> Int in
            if let base = bytes.baseAddress { destination.update(from: base, count: bytes.count) }
            return bytes.count
        }) {
            return n
        }
        var n = 0
        for b in value { destination[n] = b; n &+= 1 }
        return n
    }

    /// Builds a `PackedFields` by appending values in index order (16-bit offsets, widened
    /// to 32 bits if the values outgrow 64 KiB).
    public struct Builder {
        @usableFromInline var storage: [UInt8]
        @usableFromInline let count: Int
        @usableFromInline var next = 0
        @usableFromInline var wide = false

        public init(count: Int, reservingBytes: Int = 64) {
            self.count = count
            storage = [UInt8]()
            storage.reserveCapacity((count + 1) * 2 + reservingBytes)
            storage.append(contentsOf: repeatElement(0, count: (count + 1) * 2))
            storage.writeUInt16(UInt16((count + 1) * 2), at: 0)
        }

        /// Appends the next value (empty for missing).
        @inlinable
        public mutating func append(_ value: some Collection<UInt8>) {
            precondition(next < count, "PackedFields.Builder: too many values")
            storage.append(contentsOf: value)
            endValue()
        }

        /// Appends the next value, written by `body` at the end of the storage.
        @inlinable
        public mutating func appendWith(_ body: (inout [UInt8]) -> Void) {
            precondition(next < count, "PackedFields.Builder: too many values")
            body(&storage)
            endValue()
        }

        @inlinable
        public mutating func appendEmpty() {
            precondition(next < count, "PackedFields.Builder: too many values")
            endValue()
        }

        /// Records the end of value `next` (the end of the storage).
        @inlinable
        mutating func endValue() {
            if !wide && storage.count > PackedFields.narrowLimit { widen() }
            next &+= 1
            if wide { storage.writeUInt32(UInt32(storage.count), at: next &* 4) }
            else { storage.writeUInt16(UInt16(storage.count), at: next &* 2) }
        }

        /// From 16-bit to 32-bit offsets: the header doubles and every offset moves with it.
        @usableFromInline
        mutating func widen() {
            let narrowHeader = (count + 1) * 2
            var wider = [UInt8]()
            wider.reserveCapacity(storage.count + narrowHeader)
            wider.append(contentsOf: repeatElement(0, count: (count + 1) * 4))
            for i in 0...next {
                let offset = storage.withUnsafeBufferPointer { PackedFields.offset(i, in: $0, wide: false) }
                wider.writeUInt32(UInt32(offset + narrowHeader), at: i * 4)
            }
            wider.append(contentsOf: storage[narrowHeader...])
            storage = wider
            wide = true
        }

        public mutating func finish() -> PackedFields {
            while next < count { appendEmpty() }
            return PackedFields(storage: storage, count: count, wide: wide)
        }
    }

    /// Builds values in one allocation of exactly the right size.
    ///
    /// - Parameters:
    ///   - lengths: byte length of each value (0 = missing).
    ///   - write: called once per non-empty value with its index and its destination.
    @inlinable
    /// `spareBytes` more are reserved for values replaced later in place (`replace`).
    public init(lengths: UnsafeBufferPointer<Int>, spareBytes: Int = 0, write: (Int, UnsafeMutableBufferPointer<UInt8>) -> Void) {
        var total = 0
        for length in lengths { total &+= length }
        self.init(count: lengths.count, capacity: total &+ spareBytes) { i, destination in
            let length = lengths[i]
            if length > 0 { write(i, UnsafeMutableBufferPointer(start: destination, count: length)) }
            return length
        }
    }

    /// Builds `count` values in one allocation of at most `capacity` value bytes: `write` is
    /// called for each index in order, writes the value at the destination and returns its
    /// length (0 = missing); the values written so far must leave room for the rest.
    @inlinable
    public init(count: Int, capacity: Int, write: (Int, UnsafeMutablePointer<UInt8>) -> Int) {
        let wide = (count &+ 1) &* 2 &+ capacity > PackedFields.narrowLimit
        let width = wide ? 4 : 2
        let header = (count &+ 1) &* width
        var storage = Bytes.array(writing: header &+ capacity, capacity: header &+ capacity) { base in
            func put(_ value: Int, at index: Int) {
                let v = UInt32(truncatingIfNeeded: value)
                base[index] = UInt8(truncatingIfNeeded: v)
                base[index &+ 1] = UInt8(truncatingIfNeeded: v >> 8)
                if wide {
                    base[index &+ 2] = UInt8(truncatingIfNeeded: v >> 16)
                    base[index &+ 3] = UInt8(truncatingIfNeeded: v >> 24)
                }
            }
            var offset = header
            put(offset, at: 0)
            for i in 0..<count {
                offset &+= write(i, base + offset)
                precondition(offset <= header &+ capacity, "PackedFields: values longer than their capacity")
                put(offset, at: (i &+ 1) &* width)
            }
            return offset
        }
        if wide && storage.count - (count &+ 1) &* 2 <= PackedFields.narrowLimit {
            // The capacity was generous: the values fit 16-bit offsets after all (one width per size).
            storage = PackedFields.narrowed(storage, count: count)
            self.init(storage: storage, count: count, wide: false)
        } else {
            self.init(storage: storage, count: count, wide: wide)
        }
    }

    /// Calls `body` with the `count + 1` value boundaries (value `i` is `ends[i]..<ends[i + 1]`
    /// of the value bytes) and the value bytes: the header read once, for loops over every
    /// value that would otherwise read each offset through the array twice.
    @inlinable
    public func withBoundaries<R>(_ body: (_ ends: UnsafeBufferPointer<Int32>, _ values: UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let n = count &+ 1
        return try withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { ends in
            try storage.withUnsafeBufferPointer { buf in
                let raw = UnsafeRawPointer(buf.baseAddress!)
                let header = headerSize
                if wide {
                    for i in 0..<n { ends[i] = Int32(truncatingIfNeeded: Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))) &- header) }
                } else {
                    for i in 0..<n { ends[i] = Int32(truncatingIfNeeded: Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))) &- header) }
                }
                return try body(UnsafeBufferPointer(ends), UnsafeBufferPointer(rebasing: buf[header...]))
            }
        }
    }

    /// Values gathered from one buffer: value `i` is `source[spans[i].start..<spans[i].end]`.
    /// The same storage as the other initialisers make (16-bit offsets while they fit), with
    /// room for `spareBytes` more; one pass to size, one to copy.
    public init(gathering spans: UnsafeBufferPointer<(start: Int32, end: Int32)>, from source: UnsafePointer<UInt8>, spareBytes: Int = 0) {
        let count = spans.count
        var total = 0
        for span in spans { total &+= Int(span.end &- span.start) }
        let wide = (count &+ 1) &* 2 &+ total > PackedFields.narrowLimit
        let width = wide ? 4 : 2
        let header = (count &+ 1) &* width
        let storage = Bytes.array(writing: header &+ total, capacity: header &+ total &+ spareBytes) { base in
            let raw = UnsafeMutableRawPointer(base)
            var offset = header
            // One loop per width (the offsets' sizes are known from the total: no overflow).
            func fill<Offset: FixedWidthInteger>(_: Offset.Type) {
                let width = MemoryLayout<Offset>.size
                raw.storeBytes(of: Offset(truncatingIfNeeded: offset).littleEndian, as: Offset.self)
                for i in 0..<count {
                    let span = spans[i]
                    let length = Int(span.end &- span.start)
                    Bytes.copy(from: source + Int(span.start), to: base + offset, count: length)
                    offset &+= length
                    raw.storeBytes(of: Offset(truncatingIfNeeded: offset).littleEndian, toByteOffset: (i &+ 1) &* width, as: Offset.self)
                }
            }
            if wide { fill(UInt32.self) } else { fill(UInt16.self) }
            return offset
        }
        self.init(storage: storage, count: count, wide: wide)
    }

    @usableFromInline
    static func narrowed(_ wideStorage: [UInt8], count: Int) -> [UInt8] {
        let shift = (count + 1) * 2
        var out = [UInt8](repeating: 0, count: shift)
        for i in 0...count {
            let offset = wideStorage.withUnsafeBufferPointer { PackedFields.offset(i, in: $0, wide: true) }
            out.writeUInt16(UInt16(offset - shift), at: i * 2)
        }
        out.append(contentsOf: wideStorage[((count + 1) * 4)...])
        return out
    }

    /// Bytes of all the values, concatenated in index order.
    public var valueByteCount: Int { storage.count - headerSize }

    /// Calls `body` with all the values' bytes, concatenated in index order.
    @inlinable
    public func withValueBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let header = headerSize
        return try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[header...])) }
    }

    /// Where value `i` is in `withValueBytes`' buffer (empty past the last value).
    @inlinable
    public func valueRange(_ i: Int) -> Range<Int> {
        guard i < count else { return 0..<0 }
        let header = headerSize
        return (offset(i) - header)..<(offset(i &+ 1) - header)
    }

    @usableFromInline
    init(storage: [UInt8], count: Int, wide: Bool) {
        self.storage = storage
        self.storedCount = Int32(count)
        self.wide = wide
    }
}

extension Array where Element == UInt8 {
    @inlinable
    mutating func writeUInt16(_ value: UInt16, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: value)
        self[index &+ 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    @inlinable
    mutating func writeUInt32(_ value: UInt32, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: value)
        self[index &+ 1] = UInt8(truncatingIfNeeded: value >> 8)
        self[index &+ 2] = UInt8(truncatingIfNeeded: value >> 16)
        self[index &+ 3] = UInt8(truncatingIfNeeded: value >> 24)
    }
}
