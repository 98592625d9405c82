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

    public init() {}

    public mutating func addSubclass(code: String, label: String, section: String) {
        let compact = code.replacingDots()
        rev2.insert(compact, value: subclasses.count)
        classes[String(compact.prefix(4)), default: []].append(subclasses.count)
        divisions[String(compact.prefix(2))] = section
        subclasses.append(SubClass(code: code, label: label, section: section))
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
    static let rev2Letters: Set<UInt8> = Set("ABCDEFZ".utf8)
    static let naf2025Letters: Set<UInt8> = Set("YGHJKL".utf8)

    /// `6201Z`, `62.01Z`, `62 01 z`, `62-01Z`, `62.01` → `62.01Z` when it is certain.
    public func normalize(_ raw: UnsafeBufferPointer<UInt8>) -> NafResult {
        let text = Bytes.trimmed(raw)
        guard !text.isEmpty else { return NafResult(code: nil, quality: .missing) }
        var compact: [UInt8] = []
        var dotAt = -1
        for b in text {
            if Bytes.isDigit(b) || Bytes.isLetter(b) { compact.append(Bytes.upper(b)) }
            else if (b == 0x2E || b == 0x2C) && dotAt < 0 { dotAt = compact.count }
            else if b == 0x20 || b == 0x2D || b == 0x2E || b == 0x5F { continue }
            else { return invalid(text, .unknownCode) }
        }
        let digits = compact.prefix { Bytes.isDigit($0) }.count
        let hasLetter = compact.count == digits + 1 && Bytes.isLetter(compact[compact.count - 1])
        let letter = hasLetter ? compact[compact.count - 1] : 0
        if compact.count == 1 && hasLetter {
            let section = String(decoding: compact, as: UTF8.self)
            guard sectionLabels[section] != nil else { return invalid(text, .unknownCode) }
            return NafResult(code: section, quality: FieldQuality(.invalid, .sectionOnly), section: section, label: sectionLabels[section])
        }
        if hasLetter && digits == 4 {
            if NafTable.naf2025Letters.contains(letter) {
                if let index = compact.withUnsafeBufferPointer({ naf2025.value($0) }) {
                    let entry = naf2025Entries[index]
                    return NafResult(code: entry.code, quality: FieldQuality(.valid, .naf2025), section: entry.section, label: entry.label)
                }
                return invalid(text, .unknownCode)
            }
            if let index = compact.withUnsafeBufferPointer({ rev2.value($0) }) { return found(index, .valid) }
            return invalid(text, .unknownCode)
        }
        if hasLetter && digits == 3 {
            // "72.1Z" is an old APE code (rév. 1); "1.11Z" is "01.11Z" with its zero lost.
            let asRev1 = rev1[String(decoding: compact, as: UTF8.self)]
            let padded = [0x30] + compact
            let asPadded = padded.withUnsafeBufferPointer { rev2.value($0) }
            if dotAt == 1, let index = asPadded { return found(index, FieldQuality(.repaired, .leadingZerosRestored)) }
            if let targets = asRev1 {
                if targets.count == 1 { return found(targets[0], FieldQuality(.repaired, .rev1Mapped)) }
                return invalid(text, .rev1Ambiguous)
            }
            if let index = asPadded { return found(index, FieldQuality(.repaired, .leadingZerosRestored)) }
            return invalid(text, .unknownCode)
        }
        if !hasLetter && (digits == 4 || digits == 3) && compact.count == digits {
            // A class without its letter ("62.01"), or an Excel number that lost a zero ("62.1").
            let classCode = digits == 4 ? String(decoding: compact, as: UTF8.self) : String(decoding: compact, as: UTF8.self) + "0"
            if let members = classes[classCode] {
                if members.count == 1 { return found(members[0], FieldQuality(.repaired, .classCompleted)) }
                let section = subclasses[members[0]].section
                return NafResult(code: String(classCode.prefix(2)) + "." + String(classCode.suffix(2)),
                                 quality: FieldQuality(.invalid, .ambiguousClass), section: section, label: nil)
            }
            return invalid(text, .unknownCode)
        }
        if !hasLetter && digits == 2 && compact.count == 2 {
            let division = String(decoding: compact, as: UTF8.self)
            if let section = divisions[division] {
                return NafResult(code: division, quality: FieldQuality(.invalid, .divisionOnly), section: section, label: nil)
            }
        }
        return invalid(text, .unknownCode)
    }

    private func found(_ index: Int, _ quality: FieldQuality) -> NafResult {
        let entry = subclasses[index]
        return NafResult(code: entry.code, quality: quality, section: entry.section, label: entry.label)
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
