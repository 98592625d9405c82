#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the normaliser made of the people values seen before by one thread — first names,
/// surnames, civilities — so that a repeated value is copied instead of worked out again. A base
/// of a million contacts holds a few thousand first names and surnames: nearly every name is a
/// repeat, and casing it, folding it and looking it up in the first-name list costs far more
/// than finding it here.
///
/// The normaliser's functions are pure: a value found here is the one they would make (a test
/// normalises the same records with and without a memo). Each table is a fixed number of
/// 64-byte slots, key and value side by side in one cache line; a new value takes the slot of
/// an older one with the same hash bits, so memory stays bounded (1 MB a thread) whatever the
/// input. Company names, towns and e-mail domains are not kept: they repeat much less, and a
/// table large enough for them costs more in cache misses than it saves (measured).
///
/// It also holds the thread's working buffers from one record to the next (`values`).
public struct NormalizeMemo {
    var names: ByteMemo
    var civilities: ByteMemo
    /// The working buffers of the thread's last record, reused by the next (no allocation).
    var values: FieldValues?

    /// A memo for one thread's records, with `nameSlots` slots for names (a power of two).
    public init(nameSlots: Int = 1 << 14) {
        names = ByteMemo(slots: nameSlots)
        civilities = ByteMemo(slots: 64)
    }

    private init(disabled: Void) {
        names = ByteMemo(slots: 0)
        civilities = ByteMemo(slots: 0)
    }

    /// No memo: every value is worked out (what the memo is tested against).
    public static var none: NormalizeMemo { NormalizeMemo(disabled: ()) }

    /// Values found, and values looked up (for the benchmark's report).
    public var hits: Int { names.hits + civilities.hits }
    public var lookups: Int { names.lookups + civilities.lookups }
}

/// A fixed-size, direct-mapped table from short byte strings to short byte strings, in one flat
/// buffer of 64-byte slots: an 8-byte hash, the key's and the value's lengths, the key, the
/// value. A key and value that do not fit a slot together are not kept.
struct ByteMemo {
    static let slotSize = 64
    static let header = 10
    /// The longest key and value kept together.
    static let room = slotSize - header
    private var slots: [UInt8]
    private let mask: Int
    private(set) var lookups = 0
    private(set) var hits = 0

    /// `slots`: a power of two, or 0 for a memo that keeps nothing.
    init(slots: Int) {
        precondition(slots == 0 || slots & (slots - 1) == 0, "a power of two")
        self.slots = [UInt8](repeating: 0, count: slots * ByteMemo.slotSize)
        mask = slots - 1
    }

    /// Appends the value kept for `key` to `out` and returns true, or returns false.
    @inline(__always)
    mutating func append(valueOf key: UnsafeBufferPointer<UInt8>, to out: inout some ByteSink) -> Bool {
        guard mask >= 0, !key.isEmpty, key.count < ByteMemo.room else { return false }
        lookups &+= 1
        let hash = ByteMemo.hash(key)
        let mask = self.mask
        let found = slots.withUnsafeBytes { slots -> UnsafeRawBufferPointer? in
            let slot = slots.baseAddress! + (Int(truncatingIfNeeded: hash) & mask) &* ByteMemo.slotSize
            // The key compared in registers (names are short), not by a call to memcmp.
            guard slot.loadUnaligned(as: UInt64.self) == hash, Int(slot.load(fromByteOffset: 8, as: UInt8.self)) == key.count,
                  Bytes.equal(UnsafeBufferPointer(start: (slot + ByteMemo.header).assumingMemoryBound(to: UInt8.self), count: key.count), key) else { return nil }
            return UnsafeRawBufferPointer(start: slot + ByteMemo.header + key.count, count: Int(slot.load(fromByteOffset: 9, as: UInt8.self)))
        }
        guard let found else { return false }
        hits &+= 1
        out.append(contentsOf: found.assumingMemoryBound(to: UInt8.self))
        return true
    }

    /// Keeps `value` for `key` (in place of the slot's value), if both fit.
    @inline(__always)
    mutating func store(_ key: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
        guard mask >= 0, !key.isEmpty, key.count + value.count <= ByteMemo.room else { return }
        let hash = ByteMemo.hash(key)
        let start = (Int(truncatingIfNeeded: hash) & mask) &* ByteMemo.slotSize
        slots.withUnsafeMutableBytes { slots in
            let slot = slots.baseAddress! + start
            slot.storeBytes(of: hash, as: UInt64.self)
            slot.storeBytes(of: UInt8(key.count), toByteOffset: 8, as: UInt8.self)
            slot.storeBytes(of: UInt8(value.count), toByteOffset: 9, as: UInt8.self)
            if let k = key.baseAddress { (slot + ByteMemo.header).copyMemory(from: k, byteCount: key.count) }
            if let v = value.baseAddress { (slot + ByteMemo.header + key.count).copyMemory(from: v, byteCount: value.count) }
        }
    }

    /// A 64-bit hash, eight bytes at a time, never 0 (an empty slot's). Not stable across
    /// versions: never stored.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        let raw = UnsafeRawBufferPointer(key)
        var i = 0
        while i &+ 8 <= key.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i &+= 8
        }
        var tail: UInt64 = 0
        while i < key.count {
            tail = tail << 8 | UInt64(key[i])
            i &+= 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return (h ^ (h >> 29)) | 1
    }
}
