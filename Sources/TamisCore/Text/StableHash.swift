/// FNV-1a, 64-bit: a hash that is the same in every process and on every machine.
///
/// Swift's `Hasher` is seeded per process, so it cannot make IDs that must be identical
/// across runs (golden record IDs, lineage keys).
public struct StableHash: Sendable {
    public internal(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            value ^= UInt64(b)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    public mutating func combine(_ text: String) {
        combine(text.utf8)
        combine(CollectionOfOne(0xFF))  // separator: "ab"+"c" differs from "a"+"bc"
    }

    /// 16 lower-case hexadecimal digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            out[i] = digits[Int(v & 0xF)]
            v >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
