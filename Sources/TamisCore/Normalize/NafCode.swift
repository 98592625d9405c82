/// NAF / APE codes: the reference tables and the normaliser of wild forms.
public struct NafTable: Sendable {
    public struct SubClass: Sendable {
        public var code: String  // 62.01Z
        public var label: String
        public var section: String
    }

    /// NAF rév. 2 sub-classes, by compact code (`6201Z`).
    var rev2 = ByteStringSet()
    public private(set) var subclasses: [SubClass] = []
    /// Class (`6201`) → sub-class indices.
    var classes: [String: [Int]] = [:]
    /// Division (`62`) → section letter.
    var divisions: [String: String] = [:]
    public private(set) var sectionLabels: [String: String] = [:]
    /// NAF rév. 1 compact code (`721Z`) → rév. 2 sub-class indices.
    var rev1: [String: [Int]] = [:]
    /// NAF 2025 compact code (`6210Y`) → (code, label, section).
    var naf2025 = ByteStringSet()
    var naf2025Entries: [SubClass] = []
    /// Each sub-class's code, section and label as bytes (values 3i, 3i + 1, 3i + 2), rév. 2
    /// and NAF 2025: the normaliser copies them into a record without making `String`s.
    var subclassText = ByteColumn(), naf2025Text = ByteColumn()

    public init() {}

    public mutating func addSubclass(code: String, label: String, section: String) {
        let compact = code.replacingDots()
        rev2.insert(compact, value: subclasses.count)
        classes[String(compact.prefix(4)), default: []].append(subclasses.count)
        divisions[String(compact.prefix(2))] = section
        subclasses.append(SubClass(code: code, label: label, section: section))
        for text in [code, section, label] { subclassText.append(text.utf8) }
    }

    public mutating func addSection(_ letter: String, label: String) { sectionLabels[letter] = label }

    /// A rév. 1 → rév. 2 link; call after the rév. 2 sub-classes are added.
    public mutating func addRev1Link(rev1 code: String, rev2 target: String) {
        var target = target.replacingDots()
        if let index = target.withUTF8({ rev2.value($0) }) {
            rev1[code.replacingDots(), default: []].append(index)
        }
        _ = target
    }

    public mutating func addNaf2025(code: String, label: String, section: String) {
        naf2025.insert(code.replacingDots(), value: naf2025Entries.count)
        naf2025Entries.append(SubClass(code: code, label: label, section: section))
        for text in [code, section, label] { naf2025Text.append(text.utf8) }
    }

    public var subclassCount: Int { subclasses.count }
}

/// The result of normalising a NAF cell.
public struct NafResult: Equatable {
    public var code: String?
    public var quality: FieldQuality
    public var section: String?
    public var label: String?
}

extension NafTable {
    /// The last letters only NAF 2025 uses (Y, G, H, J, K, L; rév. 2 uses A–F and Z).
    @inline(__always)
    static func isNaf2025Letter(_ b: UInt8) -> Bool {
        switch b {
        case 0x59, 0x47, 0x48, 0x4A, 0x4B, 0x4C: return true  // Y G H J K L
        default: return false
        }
    }

    /// `6201Z`, `62.01Z`, `62 01 z`, `62-01Z`, `62.01` → `62.01Z` when it is certain.
    public func normalize(_ raw: UnsafeBufferPointer<UInt8>) -> NafResult {
        switch match(raw) {
        case .subclass(let index, let quality): return found(subclasses[index], quality)
        case .naf2025(let index): return found(naf2025Entries[index], FieldQuality(.valid, .naf2025))
        case .other(let result): return result
        }
    }

    /// What a NAF cell is: a rév. 2 sub-class (by index, with the quality of the reading), a
    /// NAF 2025 one, or anything else (a section, a division, an ambiguous class, an unknown
    /// code) as a full result. The common cases carry no `String`.
    enum Match {
        case subclass(Int, FieldQuality)
        case naf2025(Int)
        case other(NafResult)
    }

    func match(_ raw: UnsafeBufferPointer<UInt8>) -> Match {
        let text = Bytes.trimmed(raw)
        guard !text.isEmpty else { return .other(NafResult(code: nil, quality: .missing)) }
        // The canonical form itself ("62.01Z", most cells of an export): looked up at once,
        // what the general reading below does with it.
        if text.count == 6, text[2] == 0x2E, text[0] &- 0x30 < 10, text[1] &- 0x30 < 10, text[3] &- 0x30 < 10, text[4] &- 0x30 < 10 {
            let letter = Bytes.upper(text[5])
            if letter &- 0x41 < 26 && !NafTable.isNaf2025Letter(letter) {
                var key: (UInt8, UInt8, UInt8, UInt8, UInt8) = (text[0], text[1], text[3], text[4], letter)
                let index = withUnsafeBytes(of: &key) { rev2.value(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 5)) }
                if let index { return .subclass(index, .valid) }
                return .other(invalid(text, .unknownCode))
            }
        }
        // Letters and digits upper-cased, on the stack (a cell is a few bytes).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count) { buffer in
            var count = 0
            var dotAt = -1
            for b in text {
                if Bytes.isDigit(b) || Bytes.isLetter(b) { buffer[count] = Bytes.upper(b); count += 1 }
                else if (b == 0x2E || b == 0x2C) && dotAt < 0 { dotAt = count }
                else if b == 0x20 || b == 0x2D || b == 0x2E || b == 0x5F { continue }
                else { return .other(invalid(text, .unknownCode)) }
            }
            return match(UnsafeBufferPointer(rebasing: buffer[..<count]), dotAt: dotAt, text: text)
        }
    }

    private func match(_ compact: UnsafeBufferPointer<UInt8>, dotAt: Int, text: UnsafeBufferPointer<UInt8>) -> Match {
        let digits = compact.prefix { Bytes.isDigit($0) }.count
        let hasLetter = compact.count == digits + 1 && Bytes.isLetter(compact[compact.count - 1])
        let letter = hasLetter ? compact[compact.count - 1] : 0
        if compact.count == 1 && hasLetter {
            let section = String(decoding: compact, as: UTF8.self)
            guard sectionLabels[section] != nil else { return .other(invalid(text, .unknownCode)) }
            return .other(NafResult(code: section, quality: FieldQuality(.invalid, .sectionOnly), section: section, label: sectionLabels[section]))
        }
        if hasLetter && digits == 4 {
            if NafTable.isNaf2025Letter(letter) {
                if let index = naf2025.value(compact) { return .naf2025(index) }
                return .other(invalid(text, .unknownCode))
            }
            if let index = rev2.value(compact) { return .subclass(index, .valid) }
            return .other(invalid(text, .unknownCode))
        }
        if hasLetter && digits == 3 {
            // "72.1Z" is an old APE code (rév. 1); "1.11Z" is "01.11Z" with its zero lost.
            let asRev1 = rev1[String(decoding: compact, as: UTF8.self)]
            let padded = [0x30] + compact
            let asPadded = padded.withUnsafeBufferPointer { rev2.value($0) }
            if dotAt == 1, let index = asPadded { return .subclass(index, FieldQuality(.repaired, .leadingZerosRestored)) }
            if let targets = asRev1 {
                if targets.count == 1 { return .subclass(targets[0], FieldQuality(.repaired, .rev1Mapped)) }
                return .other(invalid(text, .rev1Ambiguous))
            }
            if let index = asPadded { return .subclass(index, FieldQuality(.repaired, .leadingZerosRestored)) }
            return .other(invalid(text, .unknownCode))
        }
        if !hasLetter && (digits == 4 || digits == 3) && compact.count == digits {
            // A class without its letter ("62.01"), or an Excel number that lost a zero ("62.1").
            let classCode = digits == 4 ? String(decoding: compact, as: UTF8.self) : String(decoding: compact, as: UTF8.self) + "0"
            if let members = classes[classCode] {
                if members.count == 1 { return .subclass(members[0], FieldQuality(.repaired, .classCompleted)) }
                let section = subclasses[members[0]].section
                return .other(NafResult(code: String(classCode.prefix(2)) + "." + String(classCode.suffix(2)),
                                        quality: FieldQuality(.invalid, .ambiguousClass), section: section, label: nil))
            }
            return .other(invalid(text, .unknownCode))
        }
        if !hasLetter && digits == 2 && compact.count == 2 {
            let division = String(decoding: compact, as: UTF8.self)
            if let section = divisions[division] {
                return .other(NafResult(code: division, quality: FieldQuality(.invalid, .divisionOnly), section: section, label: nil))
            }
        }
        return .other(invalid(text, .unknownCode))
    }

    private func found(_ entry: SubClass, _ quality: FieldQuality) -> NafResult {
        NafResult(code: entry.code, quality: quality, section: entry.section, label: entry.label)
    }

    private func invalid(_ text: UnsafeBufferPointer<UInt8>, _ reason: QualityReason) -> NafResult {
        NafResult(code: String(decoding: text, as: UTF8.self), quality: FieldQuality(.invalid, reason))
    }
}

extension String {
    func replacingDots() -> String {
        String(decoding: utf8.filter { $0 != UInt8(ascii: ".") }, as: UTF8.self)
    }
}
