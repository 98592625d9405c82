/// SIRET and SIREN: parsing the forms found in prospect files, checksums, derivations.
///
/// Repairs are made only when they are certain: lost leading zeros are restored only if the
/// checksum then passes; an Excel float (`4.4229377500015E+13`) is expanded only when all its
/// digits are there. A wrong checksum is flagged, never "corrected".
public enum SiretNumber {
    /// La Poste's SIREN: its establishments follow their own check (digit sum a multiple of 5).
    static let laPosteSirenText: StaticString = "356000000"
    public static let laPosteSiren: [UInt8] = Array(UnsafeBufferPointer(start: laPosteSirenText.utf8Start, count: laPosteSirenText.utf8CodeUnitCount))

    /// Luhn check over ASCII digits.
    /// The number written by exactly `digits` ASCII digits, else nil.
    @inlinable
    public static func number(_ bytes: UnsafeBufferPointer<UInt8>, digits: Int) -> UInt64? {
        guard bytes.count == digits else { return nil }
        var value: UInt64 = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value &* 10 &+ UInt64(b &- 0x30)
        }
        return value
    }

    /// A SIRET (or SIREN, `digits: 9`) as text, leading zeros kept.
    public static func text(_ number: UInt64, digits: Int = 14) -> String {
        let text = String(number)
        return text.utf8.count >= digits ? text : String(repeating: "0", count: digits - text.utf8.count) + text
    }

    public static func luhn(_ digits: some Collection<UInt8>) -> Bool {
        withBytes(digits, luhn)
    }

    /// The checks below run on the bytes in place, one pass each: the generic forms took
    /// several passes, reversed views and prefix slices (about 4,000 instructions for a SIRET
    /// cell and its VAT number, against a few hundred now).
    @inline(__always)
    static func withBytes<R>(_ digits: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = digits.withContiguousStorageIfAvailable(body) { return result }
        return Array(digits).withUnsafeBufferPointer(body)
    }

    static func luhn(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        var sum = 0
        var double = false
        var i = d.count
        while i > 0 {
            i -= 1
            var x = Int(d[i] &- 0x30)
            if double {
                x &*= 2
                if x > 9 { x &-= 9 }
            }
            sum &+= x
            double.toggle()
        }
        return sum % 10 == 0
    }

    /// A filler, not a number: empty, one digit repeated, or the start of `12345678901234` or
    /// `98765432109876` (14 digits at most).
    public static func isPlaceholder(_ digits: some Collection<UInt8>) -> Bool {
        withBytes(digits, isPlaceholder)
    }

    /// Empty, one digit repeated, or the start of `12345678901234` or `98765432109876`.
    static func isPlaceholder(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = d.first else { return true }
        guard d.count > 1 else { return true }  // one digit: "repeated"
        // Nearly every real number is settled by its first two digits.
        let second = d[1]
        guard second == first || (first == 0x31 && second == 0x32) || (first == 0x39 && second == 0x38) else { return false }
        var same = true, ascending = d.count <= 14, descending = d.count <= 14
        var up: UInt8 = 0x31, down: UInt8 = 0x39  // the digits "12345678901234" and "98765432109876" expect
        for b in d {
            same = same && b == first
            ascending = ascending && b == up
            descending = descending && b == down
            up = up == 0x39 ? 0x30 : up + 1
            down = down == 0x30 ? 0x39 : down - 1
        }
        return same || ascending || descending
    }

    static func allDigits(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in d where b < 0x30 || b > 0x39 { return false }
        return true
    }

    /// A valid SIREN: 9 digits, Luhn, not a placeholder.
    public static func isValidSiren(_ digits: some Collection<UInt8>) -> Bool {
        digits.count == 9 && withBytes(digits, isValidSiren)
    }

    static func isValidSiren(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        d.count == 9 && allDigits(d) && !isPlaceholder(d) && luhn(d)
    }

    /// A valid SIRET: 14 digits, Luhn (or La Poste's rule: digit sum a multiple of 5), and a
    /// valid SIREN in its first 9 digits.
    public static func isValidSiret(_ digits: some Collection<UInt8>) -> Bool {
        digits.count == 14 && withBytes(digits, isValidSiret)
    }

    static func isValidSiret(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        guard d.count == 14, let p = d.baseAddress else { return false }
        // Fourteen digits: two overlapping words of eight.
        let raw = UnsafeRawBufferPointer(d)
        let digits = Bytes.EightBytes.inRange(Bytes.EightBytes.load(raw, at: 0), 0x30, 0x39)
            & Bytes.EightBytes.inRange(Bytes.EightBytes.load(raw, at: 6), 0x30, 0x39)
        guard digits == Bytes.EightBytes.highs, !isPlaceholder(d) else { return false }
        // Luhn doubles every second digit from the right: the SIRET's even positions, its
        // SIREN's (the first 9 digits) odd ones. A doubled digit (2x, less 9 from 5 on) read
        // from a table of nibbles; straight-line sums, no loop.
        @inline(__always) func digit(_ i: Int) -> UInt64 { UInt64(p[i] &- 0x30) }
        @inline(__always) func doubled(_ i: Int) -> UInt64 { (0x97_5318_6420 as UInt64) >> (digit(i) &<< 2) & 0xF }
        let sirenPlain = digit(0) &+ digit(2) &+ digit(4) &+ digit(6) &+ digit(8)
        let sirenDoubled = doubled(1) &+ doubled(3) &+ doubled(5) &+ doubled(7)
        let siretSum = doubled(0) &+ doubled(2) &+ doubled(4) &+ doubled(6) &+ doubled(8) &+ doubled(10) &+ doubled(12)
            &+ digit(1) &+ digit(3) &+ digit(5) &+ digit(7) &+ digit(9) &+ digit(11) &+ digit(13)
        if isLaPoste(d) {
            var sum = 0
            for b in d { sum &+= Int(b &- 0x30) }
            return siretSum % 10 == 0 || sum % 5 == 0
        }
        return siretSum % 10 == 0 && (sirenPlain &+ sirenDoubled) % 10 == 0 && !isPlaceholder(UnsafeBufferPointer(rebasing: d[0..<9]))
    }

    /// Whether the digits start with La Poste's SIREN.
    static func isLaPoste(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        d.count >= 9 && Bytes.equal(UnsafeBufferPointer(rebasing: d[0..<9]), laPosteSirenText)
    }

    /// The intra-EU VAT number: FR + 2-digit key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.
    public static func vatNumber(siren: [UInt8]) -> String? {
        let text = siren.withUnsafeBufferPointer { siren in
            // 13 ASCII bytes: a small string, no allocation.
            String(unsafeUninitializedCapacity: 13) { writeVATNumber(siren: siren, to: $0.baseAddress!) ? 13 : 0 }
        }
        return text.isEmpty ? nil : text
    }

    /// Writes the VAT number of a valid SIREN (13 bytes at `out`); false for an invalid SIREN.
    static func writeVATNumber(siren: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>, checked: Bool = false) -> Bool {
        guard checked || isValidSiren(siren) else { return false }
        var value = 0
        for b in siren { value = value &* 10 &+ Int(b &- 0x30) }
        let key = (12 + 3 * (value % 97)) % 97
        out[0] = UInt8(ascii: "F")
        out[1] = UInt8(ascii: "R")
        out[2] = UInt8(truncatingIfNeeded: key / 10) + 0x30
        out[3] = UInt8(truncatingIfNeeded: key % 10) + 0x30
        for i in 0..<9 { out[4 &+ i] = siren[i] }
        return true
    }

    /// The 14 digits of a cell holding only a SIRET's digits (spaces between groups allowed),
    /// copied to `out` (room for 14); false for any other cell (then `parse` reads it).
    @inline(__always)
    static func plainDigits14(_ raw: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Bool {
        if raw.count == 14, let source = raw.baseAddress {
            // The common cell, 14 digits and nothing else: checked and copied as two words.
            let bytes = UnsafeRawBufferPointer(raw)
            let head = Bytes.EightBytes.load(bytes, at: 0), tail = Bytes.EightBytes.load(bytes, at: 6)
            if Bytes.EightBytes.inRange(head, 0x30, 0x39) & Bytes.EightBytes.inRange(tail, 0x30, 0x39) == Bytes.EightBytes.highs {
                Bytes.copy(from: source, to: out, count: 14)
                return true
            }
        }
        var count = 0
        for b in raw {
            if b &- 0x30 < 10 {
                guard count < 14 else { return false }
                out[count] = b
                count &+= 1
            } else if b != 0x20 {
                return false
            }
        }
        return count == 14
    }

    /// What was read from a SIRET or SIREN cell.
    public struct Parsed: Equatable {
        public var siret: [UInt8]?
        public var siretQuality: FieldQuality
        public var siren: [UInt8]?
        public var sirenQuality: FieldQuality
        /// Digits kept for an invalid value (so the steward sees what was there).
        public var invalidDigits: [UInt8]?
    }

    /// Parses a cell of a SIRET column (which may hold a SIREN, a VAT number, an RCS mention,
    /// an Excel float…).
    public static func parse(_ raw: UnsafeBufferPointer<UInt8>) -> Parsed {
        let text = Bytes.trimmed(raw)
        var result = Parsed(siret: nil, siretQuality: .missing, siren: nil, sirenQuality: .missing)
        guard !text.isEmpty else { return result }
        // Most cells are digits, perhaps grouped by spaces ("443 121 975 00015"): read directly.
        if text.allSatisfy({ Bytes.isDigit($0) || $0 == 0x20 }) {
            var digits: [UInt8] = []
            digits.reserveCapacity(text.count)  // one allocation, not one per doubling
            for b in text where b != 0x20 { digits.append(b) }
            return classify(digits, repair: .none)
        }
        let upper = text.map(Bytes.upper)

        // FR + key + SIREN: a VAT number in the identifier column.
        let compact = upper.filter { $0 != 0x20 && $0 != 0x2E && $0 != 0x2D }
        if compact.count == 13, compact.starts(with: [0x46, 0x52]), compact[4...].allSatisfy(Bytes.isDigit) {
            let siren = Array(compact[4...])
            result.siren = siren
            result.sirenQuality = isValidSiren(siren) ? FieldQuality(.repaired, .sirenFromVAT) : FieldQuality(.invalid, .badChecksum)
            result.siretQuality = FieldQuality(.missing, .sirenOnly)
            return result
        }
        // "RCS Paris B 443 121 975": the RCS number holds the SIREN.
        if let rcs = find(Array("RCS".utf8), in: upper) {
            let digits = upper[(rcs + 3)...].filter(Bytes.isDigit)
            if digits.count == 9 {
                result.siren = digits
                result.sirenQuality = isValidSiren(digits) ? FieldQuality(.repaired, .sirenFromRCS) : FieldQuality(.invalid, .badChecksum)
                result.siretQuality = FieldQuality(.missing, .sirenOnly)
                return result
            }
        }
        if let scientific = parseScientific(upper) { return scientific }

        // Digits with separators, after an optional label ("SIRET :", "N°").
        var digits: [UInt8] = []
        var i = 0
        var repair: QualityReason = .none
        let n = upper.count
        while i < n {
            let b = upper[i]
            if Bytes.isDigit(b) { digits.append(b); i += 1; continue }
            if b == 0x20 || b == 0x2E || b == 0x2D || b == 0x2F || b == 0x5F || b == 0x09 { i += 1; continue }
            if b == 0xC2 && i + 1 < n && upper[i + 1] == 0xA0 { i += 2; continue }  // NBSP
            if b == 0xE2 && i + 2 < n && upper[i + 1] == 0x80 && upper[i + 2] == 0xAF { i += 3; continue }  // U+202F
            if b == 0x2C, i + 1 < n, upper[(i + 1)...].allSatisfy({ $0 == 0x30 }), digits.count >= 13 {
                repair = .floatSuffixRemoved  // "44312197500015,0" from a French-locale float
                break
            }
            if digits.isEmpty { i += 1; continue }  // a label before the digits
            result.siretQuality = FieldQuality(.invalid, .notANumber)
            result.invalidDigits = Array(text)
            return result
        }
        // "44312197500015.0": the dot was skipped as a separator; drop the trailing zero.
        if repair == .none, digits.count == 15 || digits.count == 14, text.count >= 2,
           text[text.count - 2] == 0x2E || text[text.count - 2] == 0x2C, text[text.count - 1] == 0x30,
           digits.count == 15 || !isValidSiret(digits) {
            digits.removeLast()
            repair = .floatSuffixRemoved
        }
        return classify(digits, repair: repair)
    }

    /// Interprets a run of digits by its length.
    static func classify(_ digits: [UInt8], repair: QualityReason) -> Parsed {
        var result = Parsed(siret: nil, siretQuality: .missing, siren: nil, sirenQuality: .missing)
        switch digits.count {
        case 14:
            if isPlaceholder(digits) {
                result.siretQuality = FieldQuality(.invalid, .placeholder)
                result.invalidDigits = digits
            } else if isValidSiret(digits) {
                result.siret = digits
                result.siretQuality = repair == .none ? .valid : FieldQuality(.repaired, repair)
            } else {
                result.siretQuality = FieldQuality(.invalid, .badChecksum)
                result.invalidDigits = digits
            }
        case 13:
            let padded = [0x30] + digits
            if isValidSiret(padded) {
                result.siret = padded
                result.siretQuality = FieldQuality(.repaired, .leadingZerosRestored)
            } else {
                result.siretQuality = FieldQuality(.invalid, .wrongLength)
                result.invalidDigits = digits
            }
        case 9, 8:
            let siren = digits.count == 8 ? [0x30] + digits : digits
            result.siretQuality = FieldQuality(.missing, .sirenOnly)
            if isPlaceholder(siren) {
                result.sirenQuality = FieldQuality(.invalid, .placeholder)
            } else if isValidSiren(siren) {
                result.siren = siren
                result.sirenQuality = digits.count == 8 ? FieldQuality(.repaired, .leadingZerosRestored) : .valid
            } else {
                result.sirenQuality = FieldQuality(.invalid, .badChecksum)
                result.invalidDigits = digits
            }
        default:
            result.siretQuality = FieldQuality(.invalid, .wrongLength)
            result.invalidDigits = digits
        }
        return result
    }

    /// Excel's scientific notation: `4.4229377500015E+13`, `4,42293775E+13`.
    static func parseScientific(_ upper: [UInt8]) -> Parsed? {
        guard let e = upper.firstIndex(of: 0x45), e > 0 else { return nil }  // 'E'
        var mantissa: [UInt8] = []
        var sawSeparator = false
        var digitsBeforeSeparator = 0
        for b in upper[..<e] {
            if Bytes.isDigit(b) { mantissa.append(b); if !sawSeparator { digitsBeforeSeparator += 1 } }
            else if (b == 0x2E || b == 0x2C) && !sawSeparator { sawSeparator = true }
            else if b == 0x20 { continue }
            else { return nil }
        }
        var rest = upper[(e + 1)...]
        if rest.first == 0x2B { rest = rest.dropFirst() }
        guard !mantissa.isEmpty, digitsBeforeSeparator == 1, !rest.isEmpty, rest.allSatisfy(Bytes.isDigit),
              let exponent = Int(String(decoding: rest, as: UTF8.self)) else { return nil }
        let length = exponent + 1
        var result = Parsed(siret: nil, siretQuality: .missing, siren: nil, sirenQuality: .missing)
        while mantissa.count > 1 && mantissa.last == 0x30 && mantissa.count > length { mantissa.removeLast() }
        if mantissa.count <= length && mantissa.count == length {
            // Every digit is there: nothing was rounded away.
            var parsed = classify(mantissa, repair: .scientificNotationExpanded)
            if parsed.siretQuality.reason == .leadingZerosRestored { parsed.siretQuality.reason = .scientificNotationExpanded }
            return parsed
        }
        // Digits were lost. A SIRET's first 9 digits may still hold the SIREN.
        result.siretQuality = FieldQuality(.invalid, .scientificNotationTruncated)
        result.invalidDigits = upper
        if (length == 14 && mantissa.count >= 9) || (length == 13 && mantissa.count >= 8) {
            let siren = length == 14 ? Array(mantissa.prefix(9)) : [0x30] + Array(mantissa.prefix(8))
            if isValidSiren(siren) {
                result.siren = siren
                result.sirenQuality = FieldQuality(.repaired, .scientificNotationTruncated)
            }
        }
        return result
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
