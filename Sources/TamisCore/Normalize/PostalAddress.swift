/// Postal codes, communes, départements and régions, and street types.
public struct GeographyTable: Sendable {
    /// What La Poste's base says of one postal code, in one byte string (one reference to
    /// take per lookup, not five): the département, the région, the delivery label, its
    /// folded key, then the folded names of the communes and labels of the code ("saint
    /// etienne"), each as a 16-bit length and its bytes.
    struct PostalEntry: Sendable {
        var bytes: [UInt8] = []

        init(department: String, region: String, deliveryLabel: String) {
            for text in [department, region, deliveryLabel] { PostalEntry.appendPart(Array(text.utf8), to: &bytes) }
            PostalEntry.appendPart(GeographyTable.placeKey(deliveryLabel), to: &bytes)
        }

        static func appendPart(_ part: [UInt8], to bytes: inout [UInt8]) {
            let length = min(part.count, Int(UInt16.max))
            bytes.append(UInt8(truncatingIfNeeded: length))
            bytes.append(UInt8(truncatingIfNeeded: length >> 8))
            bytes.append(contentsOf: part.prefix(length))
        }

        mutating func addPlaceKey(_ key: [UInt8]) {
            let known = withView { view in key.withUnsafeBufferPointer { key in view.placeKeys.contains { Bytes.equal($0, key) } } }
            if !known { PostalEntry.appendPart(key, to: &bytes) }
        }

        func withView<R>(_ body: (View) -> R) -> R {
            bytes.withUnsafeBufferPointer { body(View(bytes: $0)) }
        }

        /// The parts read in place.
        struct View {
            let department, region, deliveryLabel, deliveryKey: UnsafeBufferPointer<UInt8>
            /// The place keys, one after another.
            let placeKeys: Parts

            init(bytes: UnsafeBufferPointer<UInt8>) {
                var parts = Parts(bytes: bytes)
                department = parts.next()!
                region = parts.next()!
                deliveryLabel = parts.next()!
                deliveryKey = parts.next()!
                placeKeys = parts
            }
        }

        /// Length-prefixed parts from a position on.
        struct Parts: Sequence, IteratorProtocol {
            let bytes: UnsafeBufferPointer<UInt8>
            var position = 0

            init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

            mutating func next() -> UnsafeBufferPointer<UInt8>? {
                guard position &+ 2 <= bytes.count else { return nil }
                let length = Int(bytes[position]) | Int(bytes[position &+ 1]) << 8
                let start = position &+ 2
                position = start &+ length
                return UnsafeBufferPointer(rebasing: bytes[start..<position])
            }
        }
    }

    /// The postal codes' entries, found through `postalSlot`.
    var postalEntries: [PostalEntry] = []
    /// Postal code (five digits as an integer, below 100,000) → index in `postalEntries`, or −1:
    /// a lookup reads one integer and the entry in place (no hashing, no copy of the entry's
    /// strings). Empty until a code is added.
    var postalSlot: [Int32] = []
    /// Département → région, and the names of both.
    public private(set) var departmentRegion: [String: String] = [:]
    public private(set) var departmentNames: [String: String] = [:]
    public private(set) var regionNames: [String: String] = [:]
    /// Folded street-type variant → index in `streetCanonical`.
    var streetTypes = ByteStringSet()
    /// Canonical street types as written, in capitals and in lower case (`Allée`, `ALLÉE`, `allée`).
    var streetCanonical: [(written: [UInt8], upper: [UInt8], lower: [UInt8])] = []

    public init() {}

    public mutating func addPostalCode(_ code: String, commune: String, deliveryLabel: String, line5: String,
                                       department: String, region: String) {
        guard let key = Int(code), (0..<100_000).contains(key) else { return }
        if postalSlot.isEmpty { postalSlot = [Int32](repeating: -1, count: 100_000) }
        if postalSlot[key] < 0 {
            postalSlot[key] = Int32(postalEntries.count)
            postalEntries.append(PostalEntry(department: department, region: region, deliveryLabel: deliveryLabel))
        }
        let index = Int(postalSlot[key])
        for place in [commune, deliveryLabel, line5] where !place.isEmpty {
            postalEntries[index].addPlaceKey(GeographyTable.placeKey(place))
        }
    }

    /// The index in `postalEntries` of a postal code, if La Poste's base has it.
    @inline(__always)
    func postalEntryIndex(_ code: Int32) -> Int? {
        guard code >= 0 && Int(code) < postalSlot.count else { return nil }
        let slot = postalSlot[Int(code)]
        return slot < 0 ? nil : Int(slot)
    }

    public mutating func addDepartment(_ code: String, name: String, region: String) {
        departmentRegion[code] = region
        departmentNames[code] = name
    }

    public mutating func addRegion(_ code: String, name: String) { regionNames[code] = name }

    public mutating func addStreetType(variant: String, canonical: String) {
        let key = Array(AccentFolding.key(variant).utf8)
        let index = streetCanonical.firstIndex { $0.written.elementsEqual(canonical.utf8) } ?? {
            streetCanonical.append((Array(canonical.utf8), Array(canonical.uppercased().utf8), Array(canonical.lowercased().utf8)))
            return streetCanonical.count - 1
        }()
        key.withUnsafeBufferPointer { streetTypes.insertOrReplace($0, value: index) }
    }

    public var postalCodeCount: Int { postalEntries.count }

    /// "Saint-Étienne", "ST ETIENNE", "st-étienne" → "saint etienne".
    static func placeKey(_ name: String) -> [UInt8] {
        var name = name
        return name.withUTF8 { text in
            withPlaceKey(text) { Array($0) }
        }
    }

    /// Calls `body` with the place key of `text`, made on the stack.
    static func withPlaceKey<R>(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        // Folding at most doubles the bytes; "st" → "saint" makes them at most 2.5 times longer.
        let foldedRoom = text.count * 2 + 2
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: foldedRoom * 4) { buffer in
            let folded = UnsafeBufferPointer(start: buffer.baseAddress!,
                                             count: AccentFolding.foldBytes(text, to: buffer.baseAddress!, keepPunctuation: false))
            let key = buffer.baseAddress! + foldedRoom
            var count = 0
            func append(_ bytes: UnsafeBufferPointer<UInt8>) {
                (key + count).initialize(from: bytes.baseAddress!, count: bytes.count)
                count += bytes.count
            }
            for word in Bytes.words(folded) {
                if count > 0 { key[count] = 0x20; count += 1 }
                let word = UnsafeBufferPointer(rebasing: folded[word])
                if word.count == 2 && word[0] == 0x73 && word[1] == 0x74 { saint.withUnsafeBufferPointer { append($0) } }
                else if word.count == 3 && word[0] == 0x73 && word[1] == 0x74 && word[2] == 0x65 { sainte.withUnsafeBufferPointer { append($0) } }
                else { append(word) }
            }
            return body(UnsafeBufferPointer(start: key, count: count))
        }
    }

    static let saint = Array("saint".utf8), sainte = Array("sainte".utf8)
}

public struct AddressResult: Equatable {
    public var postalCode: String?
    public var postalQuality: FieldQuality
    public var city: String?
    public var cityQuality: FieldQuality
    public var cedex: String?
    public var department: String?
    public var region: String?
}

/// Where the parts of a normalised address are in the bytes `normalize(postalCode:city:into:)`
/// appended (nil: no such part).
public struct AddressParts: Equatable {
    public var postalCode: Range<Int>?
    public var postalQuality = FieldQuality.missing
    public var city: Range<Int>?
    public var cityQuality = FieldQuality.missing
    public var cedex: Range<Int>?
    public var department: Range<Int>?
    public var region: Range<Int>?
}

extension GeographyTable {
    /// Repairs the postal code (lost leading zero), checks it against La Poste's base,
    /// separates CEDEX, normalises the city to La Poste's label and derives département and
    /// région (Corsica 2A/2B and overseas included).
    public func normalize(postalCode rawCode: UnsafeBufferPointer<UInt8>, city rawCity: UnsafeBufferPointer<UInt8>) -> AddressResult {
        var bytes: [UInt8] = []
        let parts = normalize(postalCode: rawCode, city: rawCity, into: &bytes)
        func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: bytes[$0], as: UTF8.self) } }
        return AddressResult(postalCode: text(parts.postalCode), postalQuality: parts.postalQuality, city: text(parts.city),
                             cityQuality: parts.cityQuality, cedex: text(parts.cedex), department: text(parts.department),
                             region: text(parts.region))
    }

    /// The same, the parts appended to `out` (the normaliser's arena: no string made).
    public func normalize<Sink: ByteSink>(postalCode rawCode: UnsafeBufferPointer<UInt8>, city rawCity: UnsafeBufferPointer<UInt8>,
                                          into out: inout Sink) -> AddressParts {
        var result = AddressParts()
        func appended(_ body: (inout Sink) -> Void) -> Range<Int> {
            let start = out.count
            body(&out)
            return start..<out.count
        }
        var city = Bytes.trimmed(rawCity)
        // "PARIS CEDEX 07", "Lyon Cedex": CEDEX is kept apart (the words before it are the city).
        // Only a word with an x can fold to "cedex" (`isCedex`): most towns have none at all.
        var hasX = false
        for b in city where b | 0x20 == 0x78 {
            hasX = true
            break
        }
        var words = Bytes.words(hasX ? city : UnsafeBufferPointer(start: city.baseAddress, count: 0))
        while let word = words.next() {
            guard GeographyTable.isCedex(UnsafeBufferPointer(rebasing: city[word])) else { continue }
            let number = words.next().map { city[$0] }
            result.cedex = appended { out in
                out.appendUTF8("CEDEX")
                if let number, number.allSatisfy(Bytes.isDigit) {
                    out.append(0x20)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: number))
                }
            }
            city = Bytes.trimmed(UnsafeBufferPointer(rebasing: city[..<word.lowerBound]))
            break
        }
        var code: (digits: Int32, count: Int, allDigits: Bool) = (0, 0, true)
        for b in Bytes.trimmed(rawCode) where b != 0x20 {
            code.count += 1
            if Bytes.isDigit(b) { code.digits = code.count <= 9 ? code.digits &* 10 &+ Int32(b &- 0x30) : code.digits } else { code.allDigits = false }
        }
        if code.count == 0 {
            result.postalQuality = .missing
        } else if !code.allDigits || code.count < 4 || code.count > 5 {
            result.postalCode = appended { out in for b in Bytes.trimmed(rawCode) where b != 0x20 { out.append(b) } }
            result.postalQuality = FieldQuality(.invalid, .wrongLength)
        } else {
            let repaired = code.count == 4  // Excel turned 01000 into 1000
            result.postalCode = appended { GeographyTable.appendFiveDigits(code.digits, to: &$0) }
            if let entry = postalEntryIndex(code.digits) {
                result.postalQuality = repaired ? FieldQuality(.repaired, .leadingZerosRestored) : .valid
                // The entry read in place: no copy of its parts, one reference for all of them.
                postalEntries.withUnsafeBufferPointer { $0[entry] }.withView { place in
                    result.department = appended { $0.append(contentsOf: place.department) }
                    if !place.region.isEmpty { result.region = appended { $0.append(contentsOf: place.region) } }
                    guard !city.isEmpty else { return }
                    GeographyTable.withPlaceKey(city) { key in
                        let exact = place.placeKeys.contains { Bytes.equal($0, key) }
                        let matches = exact || place.placeKeys.contains { GeographyTable.isWordPrefix($0, of: key) || GeographyTable.isWordPrefix(key, of: $0) }
                        if matches {
                            if exact && !Bytes.equal(place.deliveryKey, key) {
                                // The commune's own name, in capitals, without accents.
                                result.city = appended { out in
                                    out.append(room: city.count * 2 + 1) { folded in
                                        let count = AccentFolding.foldBytes(city, to: folded, keepPunctuation: true)
                                        for i in 0..<count { folded[i] = Bytes.upper(folded[i]) }
                                        return count
                                    }
                                }
                            } else {
                                result.city = appended { $0.append(contentsOf: place.deliveryLabel) }
                            }
                            result.cityQuality = .valid
                        } else {
                            result.city = appended { $0.append(contentsOf: city) }
                            result.cityQuality = FieldQuality(.invalid, .cityMismatch)
                        }
                    }
                }
            } else if result.cedex != nil, let department = departmentFromPrefix(GeographyTable.fiveDigits(code.digits)) {
                // CEDEX codes are not in La Poste's open base: plausible when the prefix is a département.
                result.postalQuality = FieldQuality(.valid, .cedexSeparated)
                result.department = appended { $0.appendUTF8(department) }
                if let region = departmentRegion[department] { result.region = appended { $0.appendUTF8(region) } }
            } else {
                result.postalQuality = FieldQuality(.invalid, .unknownPostalCode)
            }
        }
        if result.city == nil && !city.isEmpty {
            result.city = appended { $0.append(contentsOf: city) }
            result.cityQuality = .valid
        }
        return result
    }

    /// Whether `word` folds to "cedex" ("CEDEX", "Cédex").
    static func isCedex(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        // Only a word with an x can fold to "cedex": most city words are not folded at all.
        guard word.count >= 5 && word.count <= 24, word.contains(where: { $0 | 0x20 == 0x78 }) else { return false }
        var folded: [UInt8] = []
        AccentFolding.fold(word, into: &folded)
        return folded.elementsEqual([0x63, 0x65, 0x64, 0x65, 0x78])
    }

    /// Whether `prefix` + " " starts `text`.
    static func isWordPrefix(_ prefix: UnsafeBufferPointer<UInt8>, of text: UnsafeBufferPointer<UInt8>) -> Bool {
        text.count > prefix.count && text[prefix.count] == 0x20 && Bytes.equal(prefix, UnsafeBufferPointer(rebasing: text[..<prefix.count]))
    }

    /// A postal code as five digits (1000 → "01000").
    static func fiveDigits(_ value: Int32) -> String {
        var digits: [UInt8] = []
        appendFiveDigits(value, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    static func appendFiveDigits(_ value: Int32, to out: inout some ByteSink) {
        var v = UInt32(truncatingIfNeeded: value)
        let d4 = v % 10; v /= 10
        let d3 = v % 10; v /= 10
        let d2 = v % 10; v /= 10
        let d1 = v % 10; v /= 10
        out.append(UInt8(0x30 &+ v % 10)); out.append(UInt8(0x30 &+ d1)); out.append(UInt8(0x30 &+ d2))
        out.append(UInt8(0x30 &+ d3)); out.append(UInt8(0x30 &+ d4))
    }

    func departmentFromPrefix(_ code: String) -> String? {
        if code.hasPrefix("97") || code.hasPrefix("98") {
            let three = String(code.prefix(3))
            return departmentRegion[three] != nil ? three : nil
        }
        if code.hasPrefix("20") {
            return Int(code)! < 20200 ? "2A" : "2B"
        }
        let two = String(code.prefix(2))
        return departmentRegion[two] != nil ? two : nil
    }

    /// Street types to one form: `av.` → `avenue`, `BD` → `BOULEVARD`, `r` → `rue`; BP, CS,
    /// TSA, ZI, ZA, ZAC stay as abbreviations, in capitals.
    public func normalizeStreet(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        normalizeStreet(raw, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Abbreviations kept as they are, in capitals (folded keys).
    static let keptAbbreviations = ByteStringSet(["bp", "cs", "tsa", "zi", "za", "zac", "zone industrielle", "zone artisanale",
                                                  "zone d'activité", "zone d'activites", "zone d activites", "zone d activite"])

    /// The same, appended to `out`: words of the line (split on spaces) whose folded form is a
    /// street-type variant are replaced; numbers and long words are copied.
    public func normalizeStreet(_ raw: UnsafeBufferPointer<UInt8>, into out: inout some ByteSink) {
        let text = Bytes.trimmed(raw)
        let lineStart = out.count
        // A word's folded key, on the stack (a street type is at most 12 bytes: its fold, 24).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { keyBuffer in
            for word in Bytes.words(text) {
                let token = UnsafeBufferPointer(rebasing: text[word])
                if out.count > lineStart { out.append(0x20) }
                var bareEnd = token.count
                while bareEnd > 0 && token[bareEnd - 1] == 0x2C { bareEnd -= 1 }
                let bare = UnsafeBufferPointer(rebasing: token[0..<bareEnd])
                // Street-type variants are short words: numbers and long words are left as they are.
                guard bare.count <= 12, let first = bare.first, !Bytes.isDigit(first) else {
                    out.append(contentsOf: token)
                    continue
                }
                let key = UnsafeBufferPointer(start: keyBuffer.baseAddress!,
                                              count: AccentFolding.foldBytes(bare, to: keyBuffer.baseAddress!, keepPunctuation: false))
                guard let index = streetTypes.value(key) else {
                    out.append(contentsOf: token)
                    continue
                }
                // The canonical forms read in place (a copy of the three would retain them).
                if GeographyTable.keptAbbreviations.contains(key) {
                    Bytes.appendUppercased(bare, to: &out)
                } else if Bytes.isUppercased(bare) && Bytes.characterCount(bare) > 1 && Bytes.containsLetter(bare) {
                    out.appendBytes(streetCanonical[index].upper)
                } else if out.count == lineStart {
                    out.appendBytes(streetCanonical[index].written)  // first word of the line: "Immeuble …"
                } else {
                    out.appendBytes(streetCanonical[index].lower)
                }
                if token.last == 0x2C { out.append(0x2C) }
            }
        }
    }
}
