import TamisCore

/// Minimal JSON string building for per-record blobs (Foundation's encoders are far too slow
/// for a million rows).
public enum JSONText {
    public static func appendString(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        for b in bytes {
            if needsEscape(b) { out.append(room: 6) { writeEscaped(b, to: $0) } } else { out.append(b) }
        }
        out.append(0x22)
    }

    /// The same for bytes in memory, written by `writeString` (runs without escapes copied in
    /// one go) and appended once.
    public static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(room: 2 + 6 * bytes.count) { writeString(bytes, to: $0, at: 0) }
    }

    @inline(__always)
    static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    /// Whether a byte of `bytes` may need escaping (a control character, a quote, a
    /// backslash), eight bytes at a time: never false when one does.
    static func mayNeedEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0
        while i &+ 8 <= bytes.count {
            let x = Bytes.EightBytes.load(raw, at: i)
            if Bytes.EightBytes.below(x, 0x20) | Bytes.EightBytes.equal(x, 0x22) | Bytes.EightBytes.equal(x, 0x5C) != 0 { return true }
            i &+= 8
        }
        while i < bytes.count {
            if needsEscape(bytes[i]) { return true }
            i &+= 1
        }
        return false
    }

    /// Writes the escape of a byte that needs one (`needsEscape`) at `p`: `\"`, `\\`, `\n`,
    /// `\r`, `\t` or `\u00XX`; returns its length (at most 6).
    static func writeEscaped(_ b: UInt8, to p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = 0x5C  // \
        switch b {
        case 0x22, 0x5C: p[1] = b
        case 0x0A: p[1] = 0x6E  // n
        case 0x0D: p[1] = 0x72  // r
        case 0x09: p[1] = 0x74  // t
        default:
            let hex: StaticString = "0123456789abcdef"
            p[1] = 0x75  // u
            p[2] = 0x30
            p[3] = 0x30
            hex.withUTF8Buffer { digits in
                p[4] = digits[Int(b >> 4)]
                p[5] = digits[Int(b & 0xF)]
            }
            return 6
        }
        return 2
    }

    /// Object keys written once as `"name":` bytes, for objects written many times: all in one
    /// buffer, read in place.
    public struct Keys: Sendable {
        let encoded: ByteColumn

        public init(_ names: [String]) {
            var encoded = ByteColumn(), key: [UInt8] = []
            for name in names {
                key.removeAll(keepingCapacity: true)
                JSONText.appendString(name.utf8, to: &key)
                key.append(0x3A)  // :
                encoded.append(key)
            }
            self.encoded = encoded
        }

        public var count: Int { encoded.count }
    }

    /// `{"name":"value",…}` of the non-empty values of `fields`, named by `names`, appended to
    /// `out` (no intermediate arrays: a million records are written with it).
    public static func appendObject(names: [String], fields: PackedFields, to out: inout [UInt8]) {
        appendObject(keys: Keys(names), fields: fields, to: &out)
    }

    /// The object is written into a buffer of its largest possible size (every value byte
    /// escaped as `\u00XX`) and appended to `out` in one go: appending each key and value to
    /// the array cost more than writing them (the base writes two objects a record).
    public static func appendObject(keys: Keys, fields: PackedFields, to out: inout [UInt8]) {
        let named = min(keys.count, fields.count)
        keys.encoded.withStorage { keyBytes, keyEnds in
            // Braces; a comma and two quotes a value; the keys; every value byte escaped.
            let bound = 2 + 3 * named + keyBytes.count + 6 * fields.withValueBytes { $0.count }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
                let p = buffer.baseAddress!
                var n = 0
                p[n] = 0x7B
                n += 1
                _ = fields.allValues { i, value in  // the record's offsets read once
                    guard i < named else { return false }
                    if value.isEmpty { return true }
                    if n > 1 {
                        p[n] = 0x2C
                        n += 1
                    }
                    let start = i == 0 ? 0 : Int(keyEnds[i - 1]), end = Int(keyEnds[i])
                    (p + n).initialize(from: keyBytes.baseAddress! + start, count: end - start)
                    n += end - start
                    n = writeString(value, to: p, at: n)
                    return true
                }
                p[n] = 0x7D
                n += 1
                assert(n <= bound, "the object outgrew its bound")  // the tests write values escaped throughout
                out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
            }
        }
    }

    /// Writes `bytes` as a JSON string at `p + n` (room for 2 + 6 × its count) and returns
    /// where it ends.
    @inline(__always)
    static func writeString(_ bytes: UnsafeBufferPointer<UInt8>, to p: UnsafeMutablePointer<UInt8>, at n: Int) -> Int {
        var n = n
        p[n] = 0x22
        n += 1
        if !mayNeedEscape(bytes) {  // nearly every value: one copy
            if let base = bytes.baseAddress { (p + n).initialize(from: base, count: bytes.count) }
            n += bytes.count
        } else {
            for b in bytes {
                if needsEscape(b) {
                    n += writeEscaped(b, to: p + n)
                } else {
                    p[n] = b
                    n += 1
                }
            }
        }
        p[n] = 0x22
        return n + 1
    }

    /// `{"name":"value",…}` for the non-empty values.
    public static func object(_ pairs: [(String, [UInt8])]) -> String {
        var out: [UInt8] = [0x7B]
        var first = true
        for (name, value) in pairs where !value.isEmpty {
            if !first { out.append(0x2C) }
            first = false
            appendString(name.utf8, to: &out)
            out.append(0x3A)
            appendString(value, to: &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONText {
    /// Reads back a flat `{"name":"value",…}` object as written by `object` (string values
    /// only). Nil when the text is not such an object. Used to reload a base's records: a
    /// million of them, where Foundation's decoder would take seconds.
    public static func parseObject(_ text: some Collection<UInt8>) -> [(String, [UInt8])]? {
        let bytes = Array(text)
        var i = 0
        func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
        func hex4() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt8
                switch b {
                case 0x30...0x39: d = b - 0x30
                case 0x61...0x66: d = b - 0x61 + 10
                case 0x41...0x46: d = b - 0x41 + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
                i += 1
            }
            return v
        }
        func string() -> [UInt8]? {
            guard i < bytes.count, bytes[i] == 0x22 else { return nil }
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if b == 0x22 { return out }
                guard b == 0x5C else { out.append(b); continue }
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x75:
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar), i + 6 <= bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 {
                        i += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: return nil
                }
            }
            return nil
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == 0x7B else { return nil }
        i += 1
        var pairs: [(String, [UInt8])] = []
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7D { return pairs }
        while true {
            skipSpace()
            guard let name = string() else { return nil }
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x3A else { return nil }
            i += 1
            skipSpace()
            guard let value = string() else { return nil }
            pairs.append((String(decoding: name, as: UTF8.self), value))
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == 0x2C { i += 1; continue }
            if bytes[i] == 0x7D { return pairs }
            return nil
        }
    }
}
