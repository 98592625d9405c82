/// FNV-1a, 64-bit: a hash that is the same in every process and on every machine.
///
/// Swift's `Hasher` is seeded per process, so it cannot make IDs that must be identical
/// across runs (golden record IDs, lineage keys).
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            value ^= UInt64(b)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    public mutating func combine(_ text: String) {
        combine(text.utf8)
        endText()
    }

    /// Ends a text given in parts (`combine` of its bytes): the same hash as
    /// `combine(String)` of the whole text.
    public mutating func endText() {
        combine(CollectionOfOne(0xFF))  // separator: "ab"+"c" differs from "a"+"bc"
    }

    /// 16 lower-case hexadecimal digits.
    public var hex: String { StableHash.hex(value) }

    /// The 16 lower-case hexadecimal digits of a hash value.
    public static func hex(_ value: UInt64) -> String { tagged(nil, value) }

    /// A one-letter tag and the 16 hexadecimal digits (`G…` golden IDs, `E…` establishments),
    /// written in one allocation.
    public static func tagged(_ tag: UInt8?, _ value: UInt64) -> String {
        let length = tag == nil ? 16 : 17
        return String(unsafeUninitializedCapacity: length) { out in
            var at = 0
            if let tag { out[0] = tag; at = 1 }
            writeHex(value, into: UnsafeMutableBufferPointer(rebasing: out[at..<at + 16]))
            return length
        }
    }

    /// Writes the 16 hexadecimal digits into `out` (16 bytes).
    @inline(__always)
    public static func writeHex(_ value: UInt64, into out: UnsafeMutableBufferPointer<UInt8>) {
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: v & 0xF)
            out[i] = digit < 10 ? 0x30 + digit : 0x57 + digit  // 0-9, a-f
            v >>= 4
        }
    }
}

/// The first 16 bytes of a string as two big-endian words (zero-padded): comparing them
/// orders strings as their UTF-8 bytes do — as `String` orders the ASCII IDs Tamis issues —
/// without touching the strings; compare the strings themselves only when both words are
/// equal. Sorting 600,000 golden IDs through `String` comparisons took about a second.
public struct StringPrefixKey: Sendable, Equatable {
    public let high: UInt64
    public let low: UInt64

    public init(_ text: String) {
        var high: UInt64 = 0, low: UInt64 = 0
        var n = 0
        for b in text.utf8 {
            if n < 8 { high |= UInt64(b) << (56 - 8 * UInt64(n)) } else if n < 16 { low |= UInt64(b) << (56 - 8 * UInt64(n - 8)) } else { break }
            n += 1
        }
        self.high = high
        self.low = low
    }

    /// Whether `a` comes before `b`, `nil` when their first 16 bytes are the same.
    @inline(__always)
    public static func precedes(_ a: StringPrefixKey, _ b: StringPrefixKey) -> Bool? {
        if a.high != b.high { return a.high < b.high }
        if a.low != b.low { return a.low < b.low }
        return nil
    }

    /// Indices of `strings` in ascending `String` order (for ASCII strings).
    public static func sortedIndices(_ strings: [String]) -> [Int] {
        let keys = strings.map(StringPrefixKey.init)
        return strings.indices.sorted { i, j in precedes(keys[i], keys[j]) ?? (strings[i] < strings[j]) }
    }
}
