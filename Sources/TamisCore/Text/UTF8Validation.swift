/// UTF-8 validity and Windows-1252 decoding on raw bytes.
///
/// Used by encoding detection (is this file UTF-8?) and per field at ingest: a field that is
/// not valid UTF-8 inside a UTF-8 file is decoded as Windows-1252 and counted, instead of
/// being silently replaced with U+FFFD.
public enum UTF8Validation {
    public enum Result: Equatable, Sendable {
        case valid
        /// A multi-byte sequence is cut at the end of the buffer (fine for a sample).
        case truncated(at: Int)
        case invalid(at: Int)
    }

    /// Checks `bytes` for well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
    @inlinable
    public static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> Result {
        let n = bytes.count
        var i = 0
        while i < n {
            // ASCII fast path, 8 bytes at a time.
            while i &+ 8 <= n {
                let word = UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i &+= 8
            }
            guard i < n else { break }
            let b = bytes[i]
            if b < 0x80 { i &+= 1; continue }
            let need: Int
            var minCP: UInt32
            var cp: UInt32
            if b & 0xE0 == 0xC0 { need = 1; minCP = 0x80; cp = UInt32(b & 0x1F) }
            else if b & 0xF0 == 0xE0 { need = 2; minCP = 0x800; cp = UInt32(b & 0x0F) }
            else if b & 0xF8 == 0xF0 { need = 3; minCP = 0x10000; cp = UInt32(b & 0x07) }
            else { return .invalid(at: i) }
            if i &+ need >= n {
                // Check the bytes that are there, then report truncation.
                var j = i &+ 1
                while j < n { if bytes[j] & 0xC0 != 0x80 { return .invalid(at: i) }; j &+= 1 }
                return .truncated(at: i)
            }
            for k in 1...need {
                let c = bytes[i &+ k]
                if c & 0xC0 != 0x80 { return .invalid(at: i) }
                cp = (cp << 6) | UInt32(c & 0x3F)
            }
            if cp < minCP || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) { return .invalid(at: i) }
            i &+= need &+ 1
            minCP = 0
        }
        return .valid
    }

    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        check(bytes) == .valid
    }
}

/// Windows-1252 (and ISO-8859-1, its printable subset) to UTF-8.
public enum Windows1252 {
    /// The code points of bytes 0x80–0x9F in Windows-1252; undefined bytes map to their
    /// ISO-8859-1 control code point, as Windows' own converter does.
    public static let highControls: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// Appends the UTF-8 encoding of `input` (Windows-1252, or ISO-8859-1 when `latin1`) to `output`.
    @inlinable
    public static func decode(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], latin1: Bool = false) {
        for b in input {
            if b < 0x80 { output.append(b); continue }
            let cp: UInt32 = (b < 0xA0 && !latin1) ? UInt32(highControls[Int(b &- 0x80)]) : UInt32(b)
            appendUTF8(cp, to: &output)
        }
    }

    @inlinable
    public static func appendUTF8(_ cp: UInt32, to output: inout [UInt8]) {
        if cp < 0x80 {
            output.append(UInt8(cp))
        } else if cp < 0x800 {
            output.append(UInt8(0xC0 | (cp >> 6)))
            output.append(UInt8(0x80 | (cp & 0x3F)))
        } else if cp < 0x10000 {
            output.append(UInt8(0xE0 | (cp >> 12)))
            output.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (cp & 0x3F)))
        } else {
            output.append(UInt8(0xF0 | (cp >> 18)))
            output.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }
}
