/// A fixed number of byte strings packed into one buffer: one allocation per record
/// instead of one per field.
///
/// Layout: `count + 1` little-endian `UInt32` end offsets, then the concatenated values.
/// An empty value means "missing": a CSV cell or XML element with no text carries nothing.
public struct PackedFields: Sendable, Hashable {
    @usableFromInline var storage: [UInt8]
    public let count: Int

    @inlinable var headerSize: Int { (count + 1) &* 4 }

    /// `count` empty values.
    public init(count: Int) {
        self.count = count
        storage = [UInt8](repeating: 0, count: (count + 1) * 4)
        let base = UInt32((count + 1) * 4)
        for i in 0...count { storage.writeUInt32(base, at: i * 4) }
    }

    @inlinable
    func offset(_ i: Int) -> Int {
        storage.withUnsafeBufferPointer { buf in
            let p = i &* 4
            return Int(UInt32(buf[p]) | UInt32(buf[p &+ 1]) << 8 | UInt32(buf[p &+ 2]) << 16 | UInt32(buf[p &+ 3]) << 24)
        }
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
                if j == i {
                    var n = 0
                    for b in value { destination[n] = b; n &+= 1 }
                    return n
                }
                let range = valueRange(j)
                if !range.isEmpty { destination.update(from: values.baseAddress! + range.lowerBound, count: range.count) }
                return range.count
            }
        }
    }

    /// A copy with several values replaced (index, new bytes; the last wins), in one allocation.
    public func replacing(_ changes: [(Int, [UInt8])]) -> PackedFields {
        guard !changes.isEmpty else { return self }
        var replacement = [Int](repeating: -1, count: count)
        for (n, change) in changes.enumerated() where change.0 < count { replacement[change.0] = n }
        var builder = Builder(count: count, reservingBytes: storage.count + changes.reduce(0) { $0 + $1.1.count })
        for j in 0..<count {
            if replacement[j] >= 0 { builder.append(changes[replacement[j]].1) } else { withBytes(j) { builder.append($0) } }
        }
        return builder.finish()
    }

    /// Builds a `PackedFields` by appending values in index order.
    public struct Builder {
        @usableFromInline var storage: [UInt8]
        @usableFromInline let count: Int
        @usableFromInline var next = 0

        public init(count: Int, reservingBytes: Int = 64) {
            self.count = count
            storage = [UInt8]()
            storage.reserveCapacity((count + 1) * 4 + reservingBytes)
            storage.append(contentsOf: repeatElement(0, count: (count + 1) * 4))
            storage.writeUInt32(UInt32((count + 1) * 4), at: 0)
        }

        /// Appends the next value (empty for missing).
        @inlinable
        public mutating func append(_ value: some Collection<UInt8>) {
            precondition(next < count, "PackedFields.Builder: too many values")
            storage.append(contentsOf: value)
            next &+= 1
            storage.writeUInt32(UInt32(storage.count), at: next &* 4)
        }

        /// Appends the next value, written by `body` at the end of the storage.
        @inlinable
        public mutating func appendWith(_ body: (inout [UInt8]) -> Void) {
            precondition(next < count, "PackedFields.Builder: too many values")
            body(&storage)
            next &+= 1
            storage.writeUInt32(UInt32(storage.count), at: next &* 4)
        }

        @inlinable
        public mutating func appendEmpty() {
            precondition(next < count, "PackedFields.Builder: too many values")
            next &+= 1
            storage.writeUInt32(UInt32(storage.count), at: next &* 4)
        }

        public mutating func finish() -> PackedFields {
            while next < count { appendEmpty() }
            return PackedFields(storage: storage, count: count)
        }
    }

    /// Builds values in one allocation of exactly the right size.
    ///
    /// - Parameters:
    ///   - lengths: byte length of each value (0 = missing).
    ///   - write: called once per non-empty value with its index and its destination.
    @inlinable
    public init(lengths: UnsafeBufferPointer<Int>, write: (Int, UnsafeMutableBufferPointer<UInt8>) -> Void) {
        var total = 0
        for length in lengths { total &+= length }
        self.init(count: lengths.count, capacity: total) { i, destination in
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
        let header = (count &+ 1) &* 4
        self.count = count
        storage = [UInt8](unsafeUninitializedCapacity: header &+ capacity) { buffer, initialized in
            let base = buffer.baseAddress!
            func put(_ value: Int, at index: Int) {
                let v = UInt32(truncatingIfNeeded: value)
                base[index] = UInt8(truncatingIfNeeded: v)
                base[index &+ 1] = UInt8(truncatingIfNeeded: v >> 8)
                base[index &+ 2] = UInt8(truncatingIfNeeded: v >> 16)
                base[index &+ 3] = UInt8(truncatingIfNeeded: v >> 24)
            }
            var offset = header
            put(offset, at: 0)
            for i in 0..<count {
                offset &+= write(i, base + offset)
                precondition(offset <= header &+ capacity, "PackedFields: values longer than their capacity")
                put(offset, at: (i &+ 1) &* 4)
            }
            initialized = offset
        }
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
    init(storage: [UInt8], count: Int) {
        self.storage = storage
        self.count = count
    }
}

extension Array where Element == UInt8 {
    @inlinable
    mutating func writeUInt32(_ value: UInt32, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: value)
        self[index &+ 1] = UInt8(truncatingIfNeeded: value >> 8)
        self[index &+ 2] = UInt8(truncatingIfNeeded: value >> 16)
        self[index &+ 3] = UInt8(truncatingIfNeeded: value >> 24)
    }
}
