/// Scores register establishments against a prospect's company name and address.
///
/// Blocking comes from `CompanyNameKey.blockingKeys` (the register stores the same keys);
/// comparison uses the deduplication comparators on folded bytes: Jaro-Winkler and token-set
/// Dice on names (best over the legal name, acronym, usual names and signs), postal code or
/// département, street number and street words. The score is a weighted sum in 0…1:
/// 0.60 name + 0.25 place + 0.15 street (neutral 0.5 when either side has no street).
public struct SiretisationScorer {
    public struct Prospect {
        public var nameKey: [UInt8]
        public var postalCode: String
        public var street: StreetKey?

        public init(companyName: String, postalCode: String, street: String) {
            nameKey = CompanyNameKey.key(companyName)
            self.postalCode = postalCode
            self.street = StreetKey(street)
        }
    }

    public init() {}

    /// Best similarity of the prospect's name key to any of the names: 1 for the same key,
    /// else a soft token Dice (each token scores its best Jaro-Winkler match on the other
    /// side, counted only from 0.88), so that a shared activity word ("boulangerie") is not
    /// enough: "boulangerie gakadis" vs "boulangerie dumont" scores 0.5, a typo 0.95+.
    public func nameSimilarity(_ prospect: [UInt8], _ names: [String]) -> Double {
        var best = 0.0
        let own = SiretisationScorer.split(prospect)
        for name in names {
            let key = CompanyNameKey.key(name)
            if key.isEmpty { continue }
            if key == prospect { return 1 }
            best = max(best, SiretisationScorer.softTokenDice(own, SiretisationScorer.split(key)))
            // Spacing differences ("soft oeuvre" / "softoeuvre"): the whole keys, nearly equal.
            let whole = prospect.withUnsafeBufferPointer { a in key.withUnsafeBufferPointer { b in JaroWinkler.similarity(a, b) } }
            if whole >= 0.96 { best = max(best, whole) }
        }
        return best
    }

    static func split(_ key: [UInt8]) -> [[UInt8]] {
        key.split(separator: 0x20).map(Array.init)
    }

    static func softTokenDice(_ a: [[UInt8]], _ b: [[UInt8]]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        func best(_ token: [UInt8], in others: [[UInt8]]) -> Double {
            var top = 0.0
            for other in others {
                if other == token { return 1 }
                let s = token.withUnsafeBufferPointer { x in other.withUnsafeBufferPointer { y in JaroWinkler.similarity(x, y) } }
                if s >= 0.88 { top = max(top, s) }
            }
            return top
        }
        var total = 0.0
        for token in a { total += best(token, in: b) }
        for token in b { total += best(token, in: a) }
        return total / Double(a.count + b.count)
    }

    public func placeSimilarity(_ postal: String, _ other: String) -> Double {
        if postal.isEmpty || other.isEmpty { return 0 }
        if postal == other { return 1 }
        let department = CompanyNameKey.department(ofPostalCode: postal)
        return !department.isEmpty && department == CompanyNameKey.department(ofPostalCode: other) ? 0.4 : 0
    }

    public func score(_ prospect: Prospect, establishment: RegisteredEstablishment, unit: RegisteredUnit?) -> Double {
        let names = (unit?.allNames ?? []) + establishment.names.filter { $0 != "[ND]" }
        let name = nameSimilarity(prospect.nameKey, names)
        let place = placeSimilarity(prospect.postalCode, establishment.postalCode)
        var street = 0.5
        if let own = prospect.street, let theirs = establishment.streetKey {
            street = own.similarity(theirs)
        }
        return 0.60 * name + 0.25 * place + 0.15 * street
    }
}

/// A street reduced to its number and its significant words (`12 bis av. de la Paix` →
/// 12, `paix`): street types and articles are dropped, as the register abbreviates them
/// (`AV`, `BD`) and prospects write them in full or not at all.
public struct StreetKey: Equatable {
    public var number: [UInt8]
    public var words: [UInt8]

    static let dropped: Set<[UInt8]> = Set([
        "rue", "r", "avenue", "av", "ave", "boulevard", "bd", "bld", "blvd", "chemin", "che", "ch", "place", "pl", "allee",
        "all", "impasse", "imp", "route", "rte", "quai", "qu", "cours", "crs", "square", "sq", "voie", "za", "zi", "zac",
        "parc", "pass", "passage", "faubourg", "fg", "fbg", "lotissement", "lot", "residence", "res", "sentier", "sen",
        "cite", "hameau", "ham", "lieu", "dit", "ld", "rond", "point", "rpt", "esplanade", "espl", "promenade", "prom",
        "bis", "ter", "quater", "b", "t", "q", "le", "la", "les", "l", "d", "de", "du", "des", "et", "a", "au", "aux",
    ].map { Array($0.utf8) })

    public init?(_ text: String) {
        var text = text
        var folded: [UInt8] = []
        text.withUTF8 { AccentFolding.fold($0, into: &folded) }
        var number: [UInt8] = []
        var words: [UInt8] = []
        var start = 0
        for i in 0...folded.count where i == folded.count || folded[i] == 0x20 {
            defer { start = i + 1 }
            guard i > start else { continue }
            let token = Array(folded[start..<i])
            if number.isEmpty && words.isEmpty && token.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                number = token
                continue
            }
            // "12b": the number and its repetition index.
            if number.isEmpty && words.isEmpty, let first = token.first, first >= 0x30 && first <= 0x39 {
                number = token.prefix { $0 >= 0x30 && $0 <= 0x39 }
                continue
            }
            if StreetKey.dropped.contains(token) { continue }
            if !words.isEmpty { words.append(0x20) }
            words.append(contentsOf: token)
        }
        guard !words.isEmpty else { return nil }
        self.number = number
        self.words = words
    }

    /// 1 same number and street, 0.8 same street with a number missing on one side, 0.4 same
    /// street at another number, 0 another street.
    public func similarity(_ other: StreetKey) -> Double {
        let words = self.words.withUnsafeBufferPointer { a in
            other.words.withUnsafeBufferPointer { b in max(JaroWinkler.similarity(a, b), TokenSet.similarity(a, b)) }
        }
        guard words >= 0.85 else { return 0 }
        if number.isEmpty || other.number.isEmpty { return 0.8 }
        return number == other.number ? 1 : 0.4
    }
}

extension RegisteredEstablishment {
    /// The establishment's street, as siretisation compares streets.
    public var streetKey: StreetKey? { StreetKey(streetLine) }
}
