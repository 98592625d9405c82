/// Postal codes, communes, départements and régions, and street types.
public struct GeographyTable: Sendable {
    public struct PostalEntry: Sendable {
        public var department: String
        public var region: String
        /// Folded names of the communes and delivery labels of this code.
        public var places: [String]
        public var deliveryLabel: String
    }

    /// Postal code (as an integer) → entry.
    var postal: [Int32: PostalEntry] = [:]
    /// Département → région, and the names of both.
    public private(set) var departmentRegion: [String: String] = [:]
    public private(set) var departmentNames: [String: String] = [:]
    public private(set) var regionNames: [String: String] = [:]
    /// Folded street-type variant → canonical form.
    var streetTypes: [String: String] = [:]

    public init() {}

    public mutating func addPostalCode(_ code: String, commune: String, deliveryLabel: String, line5: String,
                                       department: String, region: String) {
        guard let key = Int32(code) else { return }
        var entry = postal[key] ?? PostalEntry(department: department, region: region, places: [], deliveryLabel: deliveryLabel)
        for place in [commune, deliveryLabel, line5] where !place.isEmpty {
            let folded = GeographyTable.placeKey(place)
            if !entry.places.contains(folded) { entry.places.append(folded) }
        }
        postal[key] = entry
    }

    public mutating func addDepartment(_ code: String, name: String, region: String) {
        departmentRegion[code] = region
        departmentNames[code] = name
    }

    public mutating func addRegion(_ code: String, name: String) { regionNames[code] = name }

    public mutating func addStreetType(variant: String, canonical: String) {
        streetTypes[AccentFolding.key(variant)] = canonical
    }

    public var postalCodeCount: Int { postal.count }

    /// "Saint-Étienne", "ST ETIENNE", "st-étienne" → "saint etienne".
    static func placeKey(_ name: String) -> String {
        AccentFolding.key(name).split(separator: " ").map { $0 == "st" ? "saint" : $0 == "ste" ? "sainte" : String($0) }
            .joined(separator: " ")
    }
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

extension GeographyTable {
    /// Repairs the postal code (lost leading zero), checks it against La Poste's base,
    /// separates CEDEX, normalises the city to La Poste's label and derives département and
    /// région (Corsica 2A/2B and overseas included).
    public func normalize(postalCode rawCode: UnsafeBufferPointer<UInt8>, city rawCity: UnsafeBufferPointer<UInt8>) -> AddressResult {
        var result = AddressResult(postalCode: nil, postalQuality: .missing, city: nil, cityQuality: .missing)
        var cityText = String(decoding: Bytes.trimmed(rawCity), as: UTF8.self)
        // "PARIS CEDEX 07", "Lyon Cedex": CEDEX is kept apart.
        let cityTokens = cityText.split(separator: " ")
        if let at = cityTokens.firstIndex(where: { AccentFolding.key(String($0)) == "cedex" }) {
            let number = at + 1 < cityTokens.count && cityTokens[at + 1].allSatisfy(\.isNumber) ? " " + cityTokens[at + 1] : ""
            result.cedex = "CEDEX" + number
            cityText = cityTokens[..<at].joined(separator: " ")
        }
        var digits = Bytes.trimmed(rawCode).filter { $0 != 0x20 }
        if digits.isEmpty {
            result.postalQuality = .missing
        } else if !digits.allSatisfy(Bytes.isDigit) || digits.count < 4 || digits.count > 5 {
            result.postalCode = String(decoding: digits, as: UTF8.self)
            result.postalQuality = FieldQuality(.invalid, .wrongLength)
        } else {
            var repaired = false
            if digits.count == 4 {
                digits.insert(0x30, at: 0)  // Excel turned 01000 into 1000
                repaired = true
            }
            let code = String(decoding: digits, as: UTF8.self)
            result.postalCode = code
            if let entry = postal[Int32(code)!] {
                result.postalQuality = repaired ? FieldQuality(.repaired, .leadingZerosRestored) : .valid
                result.department = entry.department
                result.region = entry.region.isEmpty ? nil : entry.region
                if !cityText.isEmpty {
                    let key = GeographyTable.placeKey(cityText)
                    if entry.places.contains(key) || entry.places.contains(where: { $0.hasPrefix(key + " ") || key.hasPrefix($0 + " ") }) {
                        result.city = entry.places.contains(key) && key != GeographyTable.placeKey(entry.deliveryLabel)
                            ? cityText.uppercasedFolded() : entry.deliveryLabel
                        result.cityQuality = .valid
                    } else {
                        result.city = cityText
                        result.cityQuality = FieldQuality(.invalid, .cityMismatch)
                    }
                }
            } else if result.cedex != nil, let department = departmentFromPrefix(code) {
                // CEDEX codes are not in La Poste's open base: plausible when the prefix is a département.
                result.postalQuality = FieldQuality(.valid, .cedexSeparated)
                result.department = department
                result.region = departmentRegion[department]
            } else {
                result.postalQuality = FieldQuality(.invalid, .unknownPostalCode)
            }
        }
        if result.city == nil && !cityText.isEmpty {
            result.city = cityText
            result.cityQuality = .valid
        }
        return result
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
        let text = String(decoding: Bytes.trimmed(raw), as: UTF8.self)
        var words: [String] = []
        for token in text.split(separator: " ", omittingEmptySubsequences: true) {
            let bare = token.trimmingCharacters(in: ",")
            // Street-type variants are short words: numbers and long words are left as they are.
            guard bare.utf8.count <= 12, let first = bare.utf8.first, !Bytes.isDigit(first) else {
                words.append(String(token))
                continue
            }
            let key = AccentFolding.key(String(bare))
            if let canonical = streetTypes[key] {
                let keptAbbreviation = ["bp", "cs", "tsa", "zi", "za", "zac", "zone industrielle", "zone artisanale",
                                        "zone d'activité", "zone d'activites", "zone d activites", "zone d activite"].contains(key)
                    || ["BP", "CS", "TSA", "ZI", "ZA", "ZAC"].contains(bare.uppercased())
                let replacement: String
                if keptAbbreviation { replacement = bare.uppercased() }
                else if bare == bare.uppercased() && bare.count > 1 && bare.contains(where: \.isLetter) { replacement = canonical.uppercased() }
                else if words.isEmpty { replacement = canonical }  // first word of the line: "Immeuble …"
                else { replacement = canonical.lowercased() }
                words.append(replacement + (token.hasSuffix(",") ? "," : ""))
            } else {
                words.append(String(token))
            }
        }
        return words.joined(separator: " ")
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let last = s.last, set.contains(last) { s = s.dropLast() }
        return s
    }
}

extension String {
    /// Upper case without accents, as La Poste writes the last address line.
    func uppercasedFolded() -> String {
        AccentFolding.key(self, keepPunctuation: true).uppercased()
    }
}
