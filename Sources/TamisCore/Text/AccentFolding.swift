/// Accent and case folding on UTF-8 bytes, for matching keys and header detection.
///
/// Latin letters with diacritics (U+00C0–U+017F, the range French text uses) fold to their
/// base ASCII letter, ligatures expand (œ → oe, æ → ae, ß → ss), ASCII is lower-cased.
/// With `keepPunctuation: false`, anything that is not a letter or digit becomes a single
/// space and the result is trimmed — "N° SIRET", "n°siret" and "N. Siret" all give "n siret".
/// Pure table lookups, no allocation but the output array, no Foundation.
public enum AccentFolding {
    /// Folds `input` and appends the result to `output`.
    @inlinable
    public static func fold(
        _ input: UnsafeBufferPointer<UInt8>,
        into output: inout [UInt8],
        keepPunctuation: Bool = false
    ) {
        // The result is at most twice the input (ligatures).
        output.append(room: input.count &* 2 &+ 1) { foldBytes(input, to: $0, keepPunctuation: keepPunctuation) }
    }

    /// Folds `input` into `out` (room for twice the input), returns the bytes written.
    @inlinable
    public static func foldBytes(_ input: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>, keepPunctuation: Bool) -> Int {
        var pendingSpace = false
        var count = 0
        var i = 0
        let n = input.count
        @inline(__always) func emit(_ b: UInt8) {
            if pendingSpace {
                if count > 0 { out[count] = 0x20; count &+= 1 }
                pendingSpace = false
            }
            out[count] = b
            count &+= 1
        }
        while i < n {
            let b = input[i]
            if b < 0x80 {
                // An ASCII letter or digit: it and the rest of its run copied in a tight loop
                // (lower-cased), the pending space settled once for the run.
                let lower = b | 0x20
                if lower &- 0x61 < 26 || b &- 0x30 < 10 {
                    emit(lower &- 0x61 < 26 ? lower : b)
                    i &+= 1
                    while i < n {
                        let c = input[i], lc = c | 0x20
                        if lc &- 0x61 < 26 { out[count] = lc } else if c &- 0x30 < 10 { out[count] = c } else { break }
                        count &+= 1
                        i &+= 1
                    }
                    continue
                }
                i &+= 1
                if keepPunctuation && b > 0x20 { emit(b) } else { pendingSpace = true }
                continue
            }
            // Two-byte sequences cover U+0080–U+07FF.
            if b & 0xE0 == 0xC0, i &+ 1 < n {
                let cp = (Int(b & 0x1F) << 6) | Int(input[i &+ 1] & 0x3F)
                i &+= 2
                if cp >= 0xC0 && cp <= 0x17F {
                    let folded = latinFold[cp &- 0xC0]
                    if folded.0 != 0 {
                        emit(folded.0)
                        if folded.1 != 0 { emit(folded.1) }
                        continue
                    }
                }
                if cp >= 0x180 || keepPunctuation {
                    // Letters of other scripts (Greek, Cyrillic…) are kept as they are.
                    emit(b); emit(input[i &- 1])
                } else {
                    pendingSpace = true  // U+0080–U+00BF: °, «, », NBSP… are separators
                }
                continue
            }
            // Three-byte sequences: typographic apostrophes and dashes fold to punctuation,
            // U+00A0-like spaces to a space; other characters are kept as they are.
            if b & 0xF0 == 0xE0, i &+ 2 < n {
                let cp = (Int(b & 0x0F) << 12) | (Int(input[i &+ 1] & 0x3F) << 6) | Int(input[i &+ 2] & 0x3F)
                i &+= 3
                switch cp {
                case 0x2018, 0x2019, 0x2032: if keepPunctuation { emit(0x27) } else { pendingSpace = true }
                case 0x2010...0x2015: if keepPunctuation { emit(0x2D) } else { pendingSpace = true }
                case 0x2000...0x200B, 0x202F, 0x205F, 0x3000: pendingSpace = true
                default:
                    emit(b); emit(input[i &- 2]); emit(input[i &- 1])
                }
                continue
            }
            // Anything else (4-byte sequences, stray bytes) is copied through.
            emit(b)
            i &+= 1
        }
        return count
    }

    /// Folds a string: `AccentFolding.key("Raison Sociale ")` → `"raison sociale"`.
    public static func key(_ text: String, keepPunctuation: Bool = false) -> String {
        var text = text
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        text.withUTF8 { fold($0, into: &out, keepPunctuation: keepPunctuation) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Folding of U+00C0…U+017F to at most two ASCII bytes (0 = not a letter to fold).
    @usableFromInline
    static let latinFold: [(UInt8, UInt8)] = {
        let a = UInt8(ascii: "a"), c = UInt8(ascii: "c"), d = UInt8(ascii: "d"), e = UInt8(ascii: "e")
        let g = UInt8(ascii: "g"), h = UInt8(ascii: "h"), i = UInt8(ascii: "i"), j = UInt8(ascii: "j")
        let k = UInt8(ascii: "k"), l = UInt8(ascii: "l"), n = UInt8(ascii: "n"), o = UInt8(ascii: "o")
        let r = UInt8(ascii: "r"), s = UInt8(ascii: "s"), t = UInt8(ascii: "t"), u = UInt8(ascii: "u")
        let w = UInt8(ascii: "w"), y = UInt8(ascii: "y"), z = UInt8(ascii: "z")
        // U+00C0 ... U+00FF
        let latin1: [(UInt8, UInt8)] = [
            (a, 0), (a, 0), (a, 0), (a, 0), (a, 0), (a, 0), (a, e), (c, 0),  // C0-C7 ÀÁÂÃÄÅÆÇ
            (e, 0), (e, 0), (e, 0), (e, 0), (i, 0), (i, 0), (i, 0), (i, 0),  // C8-CF
            (d, 0), (n, 0), (o, 0), (o, 0), (o, 0), (o, 0), (o, 0), (0, 0),  // D0-D7 (× not a letter)
            (o, 0), (u, 0), (u, 0), (u, 0), (u, 0), (y, 0), (t, h), (s, s),  // D8-DF
            (a, 0), (a, 0), (a, 0), (a, 0), (a, 0), (a, 0), (a, e), (c, 0),  // E0-E7
            (e, 0), (e, 0), (e, 0), (e, 0), (i, 0), (i, 0), (i, 0), (i, 0),  // E8-EF
            (d, 0), (n, 0), (o, 0), (o, 0), (o, 0), (o, 0), (o, 0), (0, 0),  // F0-F7 (÷)
            (o, 0), (u, 0), (u, 0), (u, 0), (u, 0), (y, 0), (t, h), (y, 0),  // F8-FF
        ]
        // U+0100 ... U+017F (Latin Extended-A), in pairs upper/lower mostly.
        let extA: [UInt8] = [
            a, a, a, a, a, a, c, c, c, c, c, c, c, c, d, d,  // 0100-010F
            d, d, e, e, e, e, e, e, e, e, e, e, g, g, g, g,  // 0110-011F
            g, g, g, g, h, h, h, h, i, i, i, i, i, i, i, i,  // 0120-012F
            i, i, 0, 0, j, j, k, k, k, l, l, l, l, l, l, l,  // 0130-013F (IJ handled below)
            l, l, l, n, n, n, n, n, n, n, n, n, o, o, o, o,  // 0140-014F
            o, o, 0, 0, r, r, r, r, r, r, s, s, s, s, s, s,  // 0150-015F (Œ œ below)
            s, s, t, t, t, t, t, t, u, u, u, u, u, u, u, u,  // 0160-016F
            u, u, u, u, w, w, y, y, y, z, z, z, z, z, z, s,  // 0170-017F
        ]
        var table = latin1
        for (offset, letter) in extA.enumerated() {
            switch 0x100 + offset {
            case 0x132, 0x133: table.append((i, j))
            case 0x152, 0x153: table.append((o, e))
            default: table.append((letter, 0))
            }
        }
        return table
    }()
}
