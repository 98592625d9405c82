import CByteScan
#if canImport(Glibc)
import Glibc
#endif

/// A set of byte strings (domains, first names, codes) looked up without allocating:
/// open addressing, keys stored in one arena.
public struct ByteStringSet: Sendable {
    private var arena: [UInt8] = []
    private var spans: [(start: Int32, end: Int32)] = []
    private var slots: [Int32]
    private var mask: Int
    /// A value attached to each key (an index into a caller's table), or -1.
    private var values: [Int32] = []

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    public init(_ keys: some Sequence<String>) {
        let list = Array(keys)
        self.init(capacity: list.count)
        for key in list { insert(key) }
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    /// A hash read eight bytes at a time (short keys: two overlapping loads), the length mixed
    /// in. Only for this process's tables: never stored.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: n &+ 1)
        guard let base = bytes.baseAddress, n > 0 else { return Int(truncatingIfNeeded: h ^ (h >> 29)) }
        let raw = UnsafeRawPointer(base)
        let word: UInt64
        if n >= 8 {
            var i = 0
            while i &+ 8 < n {
                h = (h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i &+= 8
            }
            word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
        } else if n >= 4 {
            word = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                | UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))) << 32
        } else {
            word = UInt64(base[0]) | UInt64(base[n >> 1]) << 8 | UInt64(base[n &- 1]) << 16
        }
        h = (h ^ word) &* 0xC4CE_B9FE_1A85_EC53
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// For each first byte, a bit per key length (lengths of 31 and more share bit 31): a key
    /// whose first byte and length no key has is absent without hashing (most words of a
    /// company name or a street line are not legal forms or street types).
    private var firstByteLengths = [UInt32](repeating: 0, count: 256)

    @inline(__always)
    static func lengthBit(_ count: Int) -> UInt32 { 1 << UInt32(truncatingIfNeeded: Swift.min(count, 31)) }

    public mutating func insert(_ key: String, value: Int = -1) {
        var key = key
        key.withUTF8 { insert($0, value: value) }
    }

    public mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int = -1) {
        if lookup(key) != nil { return }
        if (spans.count + 1) * 2 > slots.count { grow() }
        if let first = key.first { firstByteLengths[Int(first)] |= ByteStringSet.lengthBit(key.count) }
        let start = arena.count
        arena.append(contentsOf: key)
        spans.append((Int32(start), Int32(arena.count)))
        values.append(Int32(value))
        place(spans.count - 1, hash: ByteStringSet.hash(key))
    }

    /// Inserts `key`, or gives it the new value when it is already there (the last wins).
    public mutating func insertOrReplace(_ key: UnsafeBufferPointer<UInt8>, value: Int) {
        if let index = lookup(key) { values[index] = Int32(value) } else { insert(key, value: value) }
    }

    private mutating func place(_ index: Int, hash: Int) {
        var slot = hash & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(index)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for i in spans.indices {
            let span = spans[i]
            let h = arena.withUnsafeBufferPointer { ByteStringSet.hash(UnsafeBufferPointer(rebasing: $0[Int(span.start)..<Int(span.end)])) }
            place(i, hash: h)
        }
    }

    /// False when no key starts with `first` and has `count` bytes (then `contains` is false
    /// for every such key): the filter `lookup` reads first, for a caller that has not made
    /// the key yet.
    @inline(__always)
    public func mayContain(first: UInt8, count: Int) -> Bool {
        firstByteLengths.withUnsafeBufferPointer { $0[Int(first)] } & ByteStringSet.lengthBit(count) != 0
    }

    /// The key's index, or nil.
    @inline(__always)
    public func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool { mayHold(key) && probe(key) != nil }

    public func contains(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { contains($0) }
    }

    /// The value attached to `key`, or nil when absent.
    @inline(__always)
    public func value(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard mayHold(key), let index = probe(key) else { return nil }
        return Int(values[index])
    }

    /// The key's index, or nil.
    @inline(__always)
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int? { mayHold(key) ? probe(key) : nil }

    /// The first-byte and length filter, at the caller (about half the keys looked up stop
    /// here: no call, no hashing).
    @inline(__always)
    func mayHold(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = key.first else { return true }
        return mayContain(first: first, count: key.count)
    }

    /// The hash table's answer for a key that passed the filter.
    @usableFromInline
    func probe(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = ByteStringSet.hash(key) & mask
        return arena.withUnsafeBufferPointer { arena in
            slots.withUnsafeBufferPointer { slots in
                spans.withUnsafeBufferPointer { spans in
                    while true {
                        let index = Int(slots[slot])
                        if index < 0 { return nil }
                        let span = spans[index]
                        if Int(span.end &- span.start) == key.count
                            && Bytes.equal(UnsafeBufferPointer(start: arena.baseAddress.map { $0 + Int(span.start) }, count: key.count), key) {
                            return index
                        }
                        slot = (slot &+ 1) & mask
                    }
                }
            }
        }
    }
}

/// The words of a value: the ranges of bytes between separators (runs of separators, and
/// separators at either end, give no empty word). Separators are ASCII bytes below 0x40
/// given as a bit mask (`Bytes.spaces`, `Bytes.mask(" (),")`).
public struct ByteWords: Sequence, IteratorProtocol {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let separators: UInt64
    @usableFromInline var position = 0

    @inlinable
    public init(_ bytes: UnsafeBufferPointer<UInt8>, separators: UInt64) {
        self.bytes = bytes
        self.separators = separators
    }

    @inlinable @inline(__always)
    func isSeparator(_ b: UInt8) -> Bool { b < 0x40 && separators & (1 << UInt64(b)) != 0 }

    @inlinable
    public mutating func next() -> Range<Int>? {
        while position < bytes.count && isSeparator(bytes[position]) { position &+= 1 }
        guard position < bytes.count else { return nil }
        let start = position
        while position < bytes.count && !isSeparator(bytes[position]) { position &+= 1 }
        return start..<position
    }
}

/// Small byte helpers shared by the normalisers.
public enum Bytes {
    /// The words of `bytes` separated by spaces.
    @inlinable
    public static func words(_ bytes: UnsafeBufferPointer<UInt8>, separators: UInt64 = spaces) -> ByteWords {
        ByteWords(bytes, separators: separators)
    }

    /// The separator mask of a single space.
    @inlinable public static var spaces: UInt64 { 1 << 0x20 }

    /// The separator mask of ASCII characters below `@` (space and punctuation).
    public static func mask(_ separators: String) -> UInt64 {
        separators.utf8.reduce(0) { $1 < 0x40 ? $0 | 1 << UInt64($1) : $0 }
    }

    /// A new array of the (at most `count`) bytes `write` puts in a buffer and says it wrote,
    /// with room for `capacity`. Not `Array(unsafeUninitializedCapacity:)`: that one allocates
    /// through a non-inlined generic function that looks the array's type up in the runtime's
    /// metadata table on every call (~450 instructions, more than a record's value bytes cost
    /// to copy twice); reserving and appending to an empty array takes the standard library's
    /// byte-array specialisation.
    @inlinable
    public static func array(writing count: Int, capacity: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(count, 1)) { buffer in
            let written = write(buffer.baseAddress!)
            var array: [UInt8] = []
            array.reserveCapacity(Swift.max(capacity, written))
            array.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: written))
            return array
        }
    }

    /// Tests on eight bytes at once (a little-endian `UInt64`): each answers with the high bit
    /// of the bytes that pass, exactly for the lowest one and perhaps also for bytes above a
    /// passing one (a borrow). So "none passes" is exact, and a flagged byte is a "maybe".
    public enum EightBytes {
        public static let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080

        /// Bytes equal to zero.
        @inlinable @inline(__always)
        public static func zeros(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }

        /// Bytes equal to `b`.
        @inlinable @inline(__always)
        public static func equal(_ v: UInt64, _ b: UInt8) -> UInt64 { zeros(v ^ (ones &* UInt64(b))) }

        /// Bytes under `n` (`n` at most 0x80).
        @inlinable @inline(__always)
        public static func below(_ v: UInt64, _ n: UInt8) -> UInt64 { (v &- ones &* UInt64(n)) & ~v & highs }

        /// Bytes from `low` to `high` (ASCII, `high` < 0x7F): exact, every lane on its own
        /// (the high bits are cleared before adding, so no carry crosses a lane).
        @inlinable @inline(__always)
        public static func inRange(_ v: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
            let y = v & ~highs
            return (y &+ ones &* UInt64(0x80 &- low)) & ~(y &+ ones &* UInt64(0x7F &- high)) & ~v & highs
        }

        /// ASCII capitals in lower case, every other byte as it is.
        @inlinable @inline(__always)
        public static func lowercased(_ v: UInt64) -> UInt64 { v | inRange(v, 0x41, 0x5A) >> 2 }

        @inlinable @inline(__always)
        public static func load(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    /// Whether `bytes` may hold a control character, two spaces in a row or a byte that may
    /// start a no-break space (C2 A0, E2 80 AF): checked sixteen or eight bytes at a time. Never false
    /// when one is there; sometimes true when none is (a space before a "!", a byte after a
    /// control character), which only costs a closer look.
    public static func mayHoldWhiteSpaceToCollapse(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Sixteen bytes a step where the processor has SSE2 (x86-64 always does): exact.
        if let base = bytes.baseAddress {
            let answer = tamis_may_hold_white_space_to_collapse(base, bytes.count)
            if answer >= 0 { return answer != 0 }
        }
        return mayHoldWhiteSpaceToCollapseEightAtATime(bytes)
    }

    /// The same without SSE2, eight bytes at a time in a word.
    static func mayHoldWhiteSpaceToCollapseEightAtATime(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0
        var carry: UInt64 = 0  // the high bit of the first byte's lane when the word before ended with a space
        while i &+ 8 <= bytes.count {
            let x = EightBytes.load(raw, at: i)
            // C2 and E2 differ only by bit 5: one test for both.
            let spaces = EightBytes.equal(x, 0x20)
            if EightBytes.below(x, 0x20) | EightBytes.equal(x & 0xDFDF_DFDF_DFDF_DFDF, 0xC2) | (spaces & (spaces << 8 | carry)) != 0 { return true }
            carry = spaces >> 56
            i &+= 8
        }
        var previousSpace = carry != 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x20 || b == 0xC2 || b == 0xE2 || (b == 0x20 && previousSpace) { return true }
            previousSpace = b == 0x20
            i &+= 1
        }
        return false
    }

    /// Same length and same bytes (`elementsEqual` on buffers is a generic byte-by-byte loop:
    /// 4 % of a million-record run went there before this). Values of 4 to 16 bytes (names,
    /// dates, postal codes: most of what matching compares) are compared as two overlapping
    /// words, without a call to `memcmp`.
    @inlinable @inline(__always)
    public static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = a.count
        guard n == b.count else { return false }
        guard n > 0, let x = a.baseAddress.map(UnsafeRawPointer.init), let y = b.baseAddress.map(UnsafeRawPointer.init) else { return true }
        if n >= 8 && n <= 16 {
            return x.loadUnaligned(as: UInt64.self) == y.loadUnaligned(as: UInt64.self)
                && x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 && n < 8 {
            return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
                && x.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == y.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        return memcmp(x, y, n) == 0
    }

    /// Whether `a` holds exactly the bytes of `text` (a literal: no array to reach).
    @inline(__always)
    public static func equal(_ a: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        equal(a, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Copies `count` bytes that do not overlap: up to 16 bytes (most field values) as two
    /// overlapping words in registers, longer runs by `memcpy` (a call per short value
    /// cost more than the copy).
    @inlinable @inline(__always)
    public static func copy(from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        if count >= 8 {
            if count > 16 {
                to.copyMemory(from: from, byteCount: count)
                return
            }
            let head = from.loadUnaligned(as: UInt64.self), tail = from.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            let head = from.loadUnaligned(as: UInt32.self), tail = from.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        } else if count > 0 {
            destination[0] = source[0]
            destination[count &- 1] = source[count &- 1]
            if count == 3 { destination[1] = source[1] }
        }
    }

    @inline(__always) public static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) public static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    @inline(__always) public static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
    @inline(__always) public static func upper(_ b: UInt8) -> UInt8 { b >= 0x61 && b <= 0x7A ? b & 0xDF : b }

    /// The bytes trimmed of ASCII spaces (and control characters).
    @inlinable @inline(__always)
    public static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let base = bytes.baseAddress else { return bytes }
        var start = 0, end = bytes.count
        while start < end, base[start] <= 0x20 { start &+= 1 }
        while end > start, base[end &- 1] <= 0x20 { end &-= 1 }
        return UnsafeBufferPointer(start: base + start, count: end &- start)
    }

    public static func string(_ bytes: some Collection<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Appends `text` in capitals: ASCII and the Latin-1 letters (`é` → `É`, `ß` → `SS`, `œ` → `Œ`).
    public static func appendUppercased(_ text: UnsafeBufferPointer<UInt8>, to out: inout some ByteSink) {
        var i = 0
        let n = text.count
        while i < n {
            let b = text[i]
            if b == 0xC3, i + 1 < n {
                let c = text[i + 1]
                if c >= 0xA0 && c <= 0xBE && c != 0xB7 { out.append(0xC3); out.append(c - 0x20) }
                else if c == 0x9F { out.append(0x53); out.append(0x53) }
                else if c == 0xBF { out.append(0xC5); out.append(0xB8) }
                else { out.append(b); out.append(c) }
                i += 2
            } else if b == 0xC5, i + 1 < n, text[i + 1] == 0x93 {
                out.append(0xC5); out.append(0x92)
                i += 2
            } else {
                out.append(upper(b))
                i += 1
            }
        }
    }

    /// Whether `text` has no lower-case letter (ASCII, Latin-1, `œ`): what `uppercased()` leaves alone.
    public static func isUppercased(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = text.count
        while i < n {
            let b = text[i]
            if b >= 0x61 && b <= 0x7A { return false }
            if i + 1 < n {
                let c = text[i + 1]
                if b == 0xC3 && c >= 0x9F && c <= 0xBF && c != 0xB7 { return false }
                if b == 0xC5 && c == 0x93 { return false }
            }
            i += 1
        }
        return true
    }

    /// Characters (Unicode scalars) in UTF-8 `text`.
    public static func characterCount(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for b in text where b & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// Whether `text` has an ASCII letter or a non-ASCII character (letters of other scripts).
    public static func containsLetter(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        text.contains { isLetter($0) || $0 >= 0xC0 }
    }
}
