/// The kind of a phone number.
public enum PhoneType: String, Sendable, Equatable {
    case fixed, mobile, voip, special, unknown

    /// The raw value as a literal (written to a record without making a string).
    var literal: StaticString {
        switch self {
        case .fixed: return "fixed"
        case .mobile: return "mobile"
        case .voip: return "voip"
        case .special: return "special"
        case .unknown: return "unknown"
        }
    }
}

/// A parser for numbers the fast path does not handle (foreign numbers, rare French ranges):
/// libphonenumber, behind the I/O layer. Returns nil for an invalid number.
public protocol PhoneReference: Sendable {
    func parse(_ text: String, defaultRegion: String) -> (e164: String, type: PhoneType)?
}

public struct PhoneResult: Equatable {
    /// The E.164 form's bytes in place ("+" and at most 15 digits: 16 bytes, little-endian in
    /// two words, unused bytes zero) and their count, 0 for none; the rare parts (an
    /// extension, a second number, a longer text than E.164 allows) in one box, nil for most
    /// numbers. So the result of a common number holds no string: nothing to make, retain
    /// and release as it is passed along, for each of the million numbers of a base.
    private var e164Words: (low: UInt64, high: UInt64) = (0, 0)
    private var e164Count: UInt8 = 0
    private var rare: Rare?
    public var type: PhoneType
    public var quality: FieldQuality
    /// The text handed to the reference parser (when the fast path was not sure).
    public var delegated: Bool = false

    /// Never changed once made (a setter makes a new one): results stay values.
    private final class Rare: Sendable {
        let fileExtension: String?, second: [UInt8]?, longE164: String?
        init(fileExtension: String?, second: [UInt8]?, longE164: String?) {
            self.fileExtension = fileExtension
            self.second = second
            self.longE164 = longE164
        }

        static func make(fileExtension: String?, second: [UInt8]?, longE164: String?) -> Rare? {
            fileExtension == nil && second == nil && longE164 == nil ? nil : Rare(fileExtension: fileExtension, second: second, longE164: longE164)
        }
    }

    public init(e164: String? = nil, type: PhoneType, quality: FieldQuality, fileExtension: String? = nil,
                second: [UInt8]? = nil, delegated: Bool = false) {
        self.type = type
        self.quality = quality
        self.delegated = delegated
        rare = Rare.make(fileExtension: fileExtension, second: second, longE164: nil)
        if e164 != nil { self.e164 = e164 }
    }

    public var fileExtension: String? {
        get { rare?.fileExtension }
        set { rare = Rare.make(fileExtension: newValue, second: second, longE164: rare?.longE164) }
    }

    /// A second number found in the same cell ("01 23 45 67 89 / 06 12 34 56 78").
    public var second: [UInt8]? {
        get { rare?.second }
        set { rare = Rare.make(fileExtension: fileExtension, second: newValue, longE164: rare?.longE164) }
    }

    /// The E.164 form ("+33123456789"), or nil.
    public var e164: String? {
        get { rare?.longE164 ?? (e164Count == 0 ? nil : withE164 { String(decoding: $0, as: UTF8.self) }) }
        set {
            e164Words = (0, 0)
            e164Count = 0
            if rare?.longE164 != nil { rare = Rare.make(fileExtension: fileExtension, second: second, longE164: nil) }
            guard let text = newValue, !text.isEmpty else { return }
            guard text.utf8.count <= 16 else {
                rare = Rare.make(fileExtension: fileExtension, second: second, longE164: text)
                return
            }
            var copy = text
            copy.withUTF8 { bytes in setE164(count: bytes.count) { $0.update(from: bytes.baseAddress!, count: bytes.count) } }
        }
    }

    /// Calls `body` with the E.164 form's bytes (empty for none).
    @inline(__always)
    public func withE164<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if var long = rare?.longE164 { return long.withUTF8(body) }
        return withUnsafeBytes(of: e164Words) { body(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(e164Count))) }
    }

    /// Sets the E.164 form to "+", the country code (1 to 3 digits), the subscriber number
    /// (at most 12 digits), its digits written in place.
    @inline(__always)
    mutating func setE164(_ countryCode: Int, _ subscriber: UnsafeBufferPointer<UInt8>) {
        let codeDigits = countryCode >= 100 ? 3 : countryCode >= 10 ? 2 : 1
        let count = 1 &+ codeDigits &+ subscriber.count
        guard count <= 16 else {
            e164 = "+\(countryCode)" + String(decoding: subscriber, as: UTF8.self)
            return
        }
        setE164(count: count) { out in
            out[0] = 0x2B
            var code = countryCode
            for i in stride(from: codeDigits, through: 1, by: -1) {
                out[i] = UInt8(truncatingIfNeeded: 0x30 &+ code % 10)
                code /= 10
            }
            if let digits = subscriber.baseAddress { Bytes.copy(from: digits, to: out + 1 + codeDigits, count: subscriber.count) }
        }
    }

    /// Sets the E.164 form to the `count` (1-16) bytes `write` puts at the pointer.
    @inline(__always)
    mutating func setE164(count: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
        var words: (low: UInt64, high: UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { write($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        e164Words = words
        e164Count = UInt8(truncatingIfNeeded: count)
        if rare?.longE164 != nil { rare = Rare.make(fileExtension: fileExtension, second: second, longE164: nil) }
    }

    public static func == (a: PhoneResult, b: PhoneResult) -> Bool {
        a.e164Words == b.e164Words && a.e164Count == b.e164Count && a.rare?.longE164 == b.rare?.longE164 && a.type == b.type
            && a.quality == b.quality && a.fileExtension == b.fileExtension && a.second == b.second && a.delegated == b.delegated
    }
}

/// French numbers on bytes, by the ARCEP plan (see data/refdata/phone_prefixes_fr.csv and
/// RULES.md): E.164 and type in well under a microsecond, no allocation but the result.
/// Anything outside the ranges it is sure of goes to the `PhoneReference` (libphonenumber).
public enum FrenchPhone {
    /// Whether a 4-digit prefix (0162 → 162) is an ARCEP telemarketing prefix (0162, 0163,
    /// 0270…): a switch, not a shared set (both cores normalise numbers at once).
    @inline(__always)
    static func isTelemarketing(_ prefix4: Int) -> Bool {
        switch prefix4 {
        case 162, 163, 270, 271, 377, 378, 424, 425, 568, 569, 948, 949: return true
        default: return false
        }
    }

    /// `blocks`: libphonenumber's answers for the overseas sub-blocks, read instead of asking it
    /// (see `OverseasPhoneBlocks`); a number the table does not settle goes to `reference`.
    public static func normalize(_ raw: UnsafeBufferPointer<UInt8>, reference: PhoneReference?,
                                 blocks: OverseasPhoneBlocks = OverseasPhoneBlocks()) -> PhoneResult {
        let trimmed = Bytes.trimmed(raw)
        guard !trimmed.isEmpty else { return PhoneResult(e164: nil, type: .unknown, quality: .missing) }
        if let fast = plainNational(trimmed, reference: reference, blocks: blocks) { return fast }
        var text = Array(trimmed)
        // Most cells hold only digits, spaces, dots, dashes, + and (0): skip the searches then.
        let plain = text.allSatisfy { Bytes.isDigit($0) || $0 == 0x20 || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x28 || $0 == 0x29 }
        // Two numbers in one cell: keep the first, hand back the second.
        var second: [UInt8]?
        if !plain || text.count > 20, let split = splitPoint(text) {
            second = Array(text[split.1...])
            text = Array(text[..<split.0])
        }
        // Extension: "poste 123", "p.123", "ext. 12", "x12", "#12".
        var fileExtension: String?
        if !plain, let (start, digits) = extensionStart(text) {
            fileExtension = String(decoding: digits, as: UTF8.self)
            text = Array(text[..<start])
        }
        var plus = false
        var digits: [UInt8] = []
        digits.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let b = text[i]
            if Bytes.isDigit(b) {
                digits.append(b)
            } else if b == 0x2B && digits.isEmpty {
                plus = true
            } else if b == 0x28, i + 2 < text.count, text[i + 1] == 0x30, text[i + 2] == 0x29, !digits.isEmpty {
                // "+33 (0)1 …": the (0) is not dialled from abroad
                i += 3
                continue
            } else if Bytes.isLetter(b) || b >= 0x80 {
                if !digits.isEmpty { return invalid(.notANumber, fileExtension, second) }  // letters inside
            }
            i += 1
        }
        if digits.isEmpty { return invalid(.notANumber, fileExtension, second) }
        let result = PhoneResult(e164: nil, type: .unknown, quality: .valid, fileExtension: fileExtension, second: second)
        var reason: QualityReason = second == nil ? .none : .secondNumberSplit
        var national: [UInt8]
        var repaired = false
        var explicitFrance = false
        if digits.count >= 6 && digits.allSatisfy({ $0 == digits[0] }) {
            return invalid(.placeholder, fileExtension, second)
        }
        if !plus && digits.starts(with: [0x30, 0x30]) {
            digits.removeFirst(2)
            plus = true
        }
        if plus {
            if digits.starts(with: [0x33, 0x33]) {
                national = [0x30] + digits.dropFirst(2).drop { $0 == 0x30 && digits.count == 12 }
                if national.count == 11 && national[1] == 0x30 { national.remove(at: 1) }  // "+33 0 1 …"
                explicitFrance = true
            } else {
                return text.withUnsafeBufferPointer { delegate($0, result, reference, reason) }
            }
        } else if digits.count == 11 && digits.starts(with: [0x33, 0x33]) && digits[2] != 0x30 {
            national = [0x30] + digits.dropFirst(2)  // "33123456789" without its +
            explicitFrance = true
        } else if digits.count == 9 && digits[0] != 0x30 {
            national = [0x30] + digits  // Excel dropped the leading zero
            repaired = true
            reason = .leadingZerosRestored
        } else {
            national = digits
        }
        if national.count <= 4 { return invalid(.shortNumber, fileExtension, second) }
        guard national.count == 10, national[0] == 0x30, national[1] != 0x30 else {
            return text.withUnsafeBufferPointer { delegateOrInvalid($0, result, reference, reason, .wrongLength) }
        }
        return national.withUnsafeBufferPointer { national in
            text.withUnsafeBufferPointer { text in
                classify(national: national, text: text, result, reason: reason, repaired: repaired, explicitFrance: explicitFrance,
                         reference: reference, blocks: blocks)
            }
        }
    }

    /// The common cell on the stack: only digits, spaces, dots and dashes, nine or ten digits
    /// making a national number (0 then 1-9; nine when Excel dropped the 0). Nil for any other
    /// cell (the general path then reads it), or a nine-digit placeholder's verdict.
    @inline(__always)
    static func plainNational(_ text: UnsafeBufferPointer<UInt8>, reference: PhoneReference?, blocks: OverseasPhoneBlocks) -> PhoneResult? {
        guard text.count <= 20 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            let national = buffer.baseAddress!
            national[0] = 0x30
            var count = 1  // digits after the slot kept for a restored 0
            for b in text {
                if b &- 0x30 < 10 {
                    national[count] = b
                    count &+= 1
                } else if b != 0x20 && b != 0x2E && b != 0x2D {
                    return nil
                }
            }
            let digits = count &- 1
            let base = PhoneResult(e164: nil, type: .unknown, quality: .valid)
            if digits == 10 && national[1] == 0x30 && national[2] != 0x30 {
                return classify(national: UnsafeBufferPointer(start: national + 1, count: 10), text: text, base, reason: .none,
                                repaired: false, explicitFrance: false, reference: reference, blocks: blocks)
            }
            if digits == 9 && national[1] != 0x30 {
                // Excel dropped the leading zero (a run of one digit is a placeholder, as below).
                if UnsafeBufferPointer(start: national + 1, count: 9).allSatisfy({ $0 == national[1] }) {
                    return invalid(.placeholder, nil, nil)
                }
                return classify(national: UnsafeBufferPointer(start: national, count: 10), text: text, base, reason: .leadingZerosRestored,
                                repaired: true, explicitFrance: false, reference: reference, blocks: blocks)
            }
            return nil
        }
    }

    /// A ten-digit national number (0, then 1-9) to its E.164 form and type, by the plan.
    static func classify(national: UnsafeBufferPointer<UInt8>, text: UnsafeBufferPointer<UInt8>, _ base: consuming PhoneResult,
                         reason initialReason: QualityReason, repaired: Bool, explicitFrance: Bool,
                         reference: PhoneReference?, blocks: OverseasPhoneBlocks) -> PhoneResult {
        var result = base
        var reason = initialReason
        if isPlaceholder(national) { return invalid(.placeholder, result.fileExtension, result.second) }
        let prefix2 = national[1]
        let prefix4 = Int(national[1] - 0x30) * 100 + Int(national[2] - 0x30) * 10 + Int(national[3] - 0x30)
        // Written with +33 but in an overseas block: numbering plans disagree on these, so
        // the reference decides (a national "0590…" is Guadeloupe, a "+33 590…" may not be).
        let subscriber = UnsafeBufferPointer(rebasing: national[1...])  // 9 digits
        if explicitFrance && overseasCode(prefix4) != nil {
            if let known = known(blocks.verdict(.international, nsn: subscriber), subscriber, result, reason, repaired) { return known }
            return delegateOrInvalid(text, result, reference, reason, .unknownPrefix)
        }
        // Overseas blocks: libphonenumber knows which sub-blocks are allocated (its answers are
        // in `blocks`); without it, the number is mapped by its prefix below.
        if overseasRegion(prefix4) != nil, let known = known(blocks.verdict(.national, nsn: subscriber), subscriber, result, reason, repaired) {
            return known
        }
        if reference != nil, let region = overseasRegion(prefix4) {
            return delegateOrInvalid(text, result, reference, reason, .unknownPrefix, region: region)
        }
        switch prefix2 {
        case 0x31...0x35:  // 01-05 geographic, plus the overseas fixed blocks
            if prefix2 == 0x34 && national[2] == 0x30 {  // no 040 block in the plan (libphonenumber agrees)
                return invalid(.unknownPrefix, result.fileExtension, result.second)
            }
            result.setE164(overseasCode(prefix4) ?? 33, subscriber)
            result.type = .fixed
            if isTelemarketing(prefix4) { reason = .telemarketing }
        case 0x36:  // 06 mobile; 0639 (Mayotte) and 0690-0694/0696/0697 are overseas
            result.setE164(overseasCode(prefix4) ?? 33, subscriber)
            result.type = .mobile
        case 0x37:  // 07: 073-079 interpersonal mobile, and 0700 (M2M); 0701-0729 are unassigned
            // libphonenumber reads the same (the differential test compares both on these blocks).
            guard national[2] >= 0x33 || (national[2] == 0x30 && national[3] == 0x30) else {
                return invalid(.unknownPrefix, result.fileExtension, result.second)
            }
            result.setE164(33, subscriber)
            result.type = .mobile
        case 0x39:  // 09 "polyvalent": VoIP and internet boxes
            result.setE164(33, subscriber)
            result.type = .voip
            // 09475-09479: the overseas telemarketing blocks (RULES.md), VoIP to libphonenumber.
            if isTelemarketing(prefix4) || (prefix4 == 947 && national[4] >= 0x35) { reason = .telemarketing }
        default:  // 08 special numbers: many sub-ranges; the reference knows them
            return delegateOrInvalid(text, result, reference, reason, .unknownPrefix, type: .special)
        }
        result.quality = repaired ? FieldQuality(.repaired, reason) : FieldQuality(.valid, reason)
        return result
    }

    /// The libphonenumber region of an overseas national prefix (for the reference).
    public static func overseasRegion(_ prefix4: String) -> String? {
        let digits = Array(prefix4.utf8)
        guard digits.count == 4, digits.allSatisfy(Bytes.isDigit) else { return nil }
        return overseasRegion(Int(digits[1] - 0x30) * 100 + Int(digits[2] - 0x30) * 10 + Int(digits[3] - 0x30))
    }

    /// The same for a prefix given as an integer (0590 → 590).
    static func overseasRegion(_ prefix: Int) -> String? {
        switch prefix {
        case 262, 263, 692, 693: return "RE"
        case 269, 639: return "YT"
        case 590, 690, 691: return "GP"
        case 594, 694: return "GF"
        case 596, 696, 697: return "MQ"
        default: return nil
        }
    }

    /// E.164 country code of the overseas blocks that keep a 0-prefixed national form.
    static func overseasCode(_ prefix: Int) -> Int? {
        switch prefix {
        case 262, 263, 269, 692, 693, 639: return 262
        case 590, 690, 691: return 590
        case 594, 694: return 594
        case 596, 696, 697: return 596
        default: return nil
        }
    }

    static func isPlaceholder(_ national: UnsafeBufferPointer<UInt8>) -> Bool {
        // Nearly every number is settled by its first digits: each filler below needs either
        // its second and third digits equal, its third equal to its first, or "012".
        if national.count >= 4, let p = national.baseAddress, p[1] != p[2], p[2] != p[0], !(p[1] == 0x31 && p[2] == 0x32) {
            return false
        }
        let tail = national.dropFirst()
        if tail.allSatisfy({ $0 == tail.first }) { return true }
        if national.elementsEqual(0x30...0x39) { return true }  // "0123456789"
        // "0606060606", "0101010101": one pair repeated.
        let pair = national.prefix(2)
        return stride(from: 0, to: 10, by: 2).allSatisfy { national[$0] == pair.first && national[$0 + 1] == pair.last }
    }

    static func splitPoint(_ text: [UInt8]) -> (Int, Int)? {
        let lower = text.map(Bytes.lower)
        for (i, b) in lower.enumerated() where b == 0x2F || b == 0x3B || b == 0x7C {
            let before = lower[..<i].filter(Bytes.isDigit).count, after = lower[(i + 1)...].filter(Bytes.isDigit).count
            if before >= 9 && after >= 9 { return (i, i + 1) }
        }
        if let ou = SiretNumber.find(Array(" ou ".utf8), in: lower) { return (ou, ou + 4) }
        return nil
    }

    static func extensionStart(_ text: [UInt8]) -> (Int, [UInt8])? {
        let lower = text.map(Bytes.lower)
        for marker in ["poste", "ext.", "ext", "p.", "x", "#"] {
            let m = Array(marker.utf8)
            var searchFrom = 0
            while let found = SiretNumber.find(m, in: Array(lower[searchFrom...])).map({ $0 + searchFrom }) {
                let before = lower[..<found].filter(Bytes.isDigit).count
                let rest = lower[(found + m.count)...].drop { $0 == 0x20 || $0 == 0x2E || $0 == 0x3A }
                if before >= 9, !rest.isEmpty, rest.allSatisfy({ Bytes.isDigit($0) || $0 == 0x20 }), rest.filter(Bytes.isDigit).count <= 6 {
                    return (found, rest.filter(Bytes.isDigit))
                }
                searchFrom = found + 1
                if searchFrom >= lower.count { break }
            }
        }
        return nil
    }

    static func invalid(_ reason: QualityReason, _ ext: String?, _ second: [UInt8]?) -> PhoneResult {
        PhoneResult(e164: nil, type: .unknown, quality: FieldQuality(.invalid, reason), fileExtension: ext, second: second)
    }

    /// The result of an overseas number whose sub-block `blocks` knows; nil when it does not.
    static func known(_ verdict: OverseasPhoneBlocks.Verdict, _ subscriber: UnsafeBufferPointer<UInt8>, _ base: PhoneResult,
                      _ reason: QualityReason, _ repaired: Bool) -> PhoneResult? {
        switch verdict {
        case .ask:
            return nil
        case .invalid:
            return invalid(.unknownPrefix, base.fileExtension, base.second)
        case .valid(let type, let countryCode):
            var result = base
            result.setE164(countryCode, subscriber)
            result.type = type
            result.quality = repaired ? FieldQuality(.repaired, reason) : FieldQuality(.valid, reason)
            return result
        }
    }

    static func delegate(_ text: UnsafeBufferPointer<UInt8>, _ base: PhoneResult, _ reference: PhoneReference?, _ reason: QualityReason) -> PhoneResult {
        delegateOrInvalid(text, base, reference, reason, .foreign)
    }

    static func delegateOrInvalid(_ text: UnsafeBufferPointer<UInt8>, _ base: PhoneResult, _ reference: PhoneReference?, _ reason: QualityReason,
                                  _ failure: QualityReason, type: PhoneType = .unknown, region: String = "FR") -> PhoneResult {
        var result = base
        result.delegated = true
        guard let reference else {
            result.quality = FieldQuality(.invalid, failure == .foreign ? .foreign : failure)
            result.type = type
            return result
        }
        guard let parsed = reference.parse(String(decoding: text, as: UTF8.self), defaultRegion: region) else {
            result.quality = FieldQuality(.invalid, failure == .foreign ? .unknownPrefix : failure)
            return result
        }
        result.e164 = parsed.e164
        result.type = parsed.type
        let isFrench = parsed.e164.hasPrefix("+33") || ["+262", "+590", "+594", "+596"].contains { parsed.e164.hasPrefix($0) }
        result.quality = FieldQuality(.valid, isFrench ? reason : .foreign)
        return result
    }
}
