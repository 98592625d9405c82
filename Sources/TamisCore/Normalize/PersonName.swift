/// Civilities, proper casing of French names, first/last swaps.
public enum PersonName {
    static let civilities: [String: String] = [
        "m": "M.", "mr": "M.", "monsieur": "M.", "mister": "M.", "msieur": "M.",
        "mme": "Mme", "madame": "Mme", "mrs": "Mme", "ms": "Mme", "mad": "Mme",
        "mlle": "Mlle", "melle": "Mlle", "mademoiselle": "Mlle", "miss": "Mlle", "mll": "Mlle",
        "mm": "MM.", "messieurs": "MM.", "mmes": "Mmes", "mesdames": "Mmes",
        "dr": "Dr", "docteur": "Dr", "doctor": "Dr", "pr": "Pr", "professeur": "Pr", "prof": "Pr",
        "me": "Me", "maitre": "Me",
    ]

    /// `Monsieur`, `MR.`, `m` → `M.`; `Madame`, `MME` → `Mme`; unknown values are flagged.
    public static func civility(_ raw: UnsafeBufferPointer<UInt8>) -> (String?, FieldQuality) {
        var folded: [UInt8] = []
        AccentFolding.fold(Bytes.trimmed(raw), into: &folded)
        if folded.isEmpty { return (nil, .missing) }
        let key = String(decoding: folded.filter { $0 != 0x20 }, as: UTF8.self)
        if let canonical = civilities[key] { return (canonical, .valid) }
        return (String(decoding: Bytes.trimmed(raw), as: UTF8.self), FieldQuality(.invalid, .unknownCode))
    }

    static let lowerParticles: Set<String> = ["de", "du", "des", "d", "van", "von", "der", "den"]
    static let articleParticles: Set<String> = ["le", "la", "les", "l"]
    static let notPersons: Set<String> = ["accueil", "contact", "standard", "service", "direction", "secretariat",
                                          "comptabilite", "info", "infos", "commercial", "reception", "admin",
                                          "achats", "rh", "sav", "support", "nc", "n c", "inconnu", "xxx"]

    /// Proper case with French particles: `JEAN-PIERRE` → `Jean-Pierre`, `DE LA FONTAINE` →
    /// `de La Fontaine`, `d'arvor` → `d'Arvor`, `DUPRÉ-LEFÈVRE` → `Dupré-Lefèvre`.
    public static func properCase(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var word: [UInt8] = []
        var previousWord = ""
        var wordIndex = 0
        func flush(separator: UInt8?) {
            if !word.isEmpty {
                let lowered = lowerUTF8(word)
                var key: [UInt8] = []
                lowered.withUnsafeBufferPointer { AccentFolding.fold($0, into: &key) }
                let keyString = String(decoding: key, as: UTF8.self)
                // de, du, des, d' stay in lower case, even first ("de Gaulle", "d'Estaing").
                if lowerParticles.contains(keyString) {
                    out.append(contentsOf: lowered)
                } else if articleParticles.contains(keyString) && (lowerParticles.contains(previousWord) && previousWord != "" && wordIndex > 0) {
                    out.append(contentsOf: lowered)
                } else {
                    out.append(contentsOf: capitalizeUTF8(lowered))
                }
                previousWord = keyString
                wordIndex += 1
                word.removeAll(keepingCapacity: true)
            }
            if let separator { out.append(separator) }
        }
        var i = 0
        let text = Bytes.trimmed(raw)
        while i < text.count {
            let b = text[i]
            if b == 0x20 || b == 0x2D {
                flush(separator: b)
                while i + 1 < text.count && text[i + 1] == b { i += 1 }  // "Jean  Pierre" → one space
            } else if b == 0x27 {
                flush(separator: 0x27)
            } else if b == 0xE2, i + 2 < text.count, text[i + 1] == 0x80, text[i + 2] == 0x99 {
                flush(separator: 0x27)  // typographic apostrophe
                i += 2
            } else {
                word.append(b)
            }
            i += 1
        }
        flush(separator: nil)
        return out
    }

    /// Whether a last-name value looks like a function or a generic contact, not a person.
    public static func isNotAPerson(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        var folded: [UInt8] = []
        AccentFolding.fold(raw, into: &folded)
        if folded.contains(where: Bytes.isDigit) { return true }
        return notPersons.contains(String(decoding: folded, as: UTF8.self))
    }

    /// Lower-cases ASCII and the Latin-1/Latin Extended-A upper-case letters.
    static func lowerUTF8(_ word: [UInt8]) -> [UInt8] {
        var out = word
        var i = 0
        while i < out.count {
            let b = out[i]
            if b >= 0x41 && b <= 0x5A { out[i] = b | 0x20 }
            else if b == 0xC3, i + 1 < out.count, out[i + 1] >= 0x80, out[i + 1] <= 0x9E, out[i + 1] != 0x97 {
                out[i + 1] += 0x20
                i += 1
            } else if b == 0xC5, i + 1 < out.count, out[i + 1] == 0x92 || out[i + 1] == 0xB8 {
                // Œ → œ; Ÿ (C5 B8) → ÿ (C3 BF)
                if out[i + 1] == 0x92 { out[i + 1] = 0x93 } else { out[i] = 0xC3; out[i + 1] = 0xBF }
                i += 1
            }
            i += 1
        }
        return out
    }

    /// Upper-cases the first letter (ASCII or Latin-1).
    static func capitalizeUTF8(_ word: [UInt8]) -> [UInt8] {
        guard let first = word.first else { return word }
        var out = word
        if first >= 0x61 && first <= 0x7A { out[0] = first & 0xDF }
        else if first == 0xC3, out.count > 1, out[1] >= 0xA0, out[1] <= 0xBE, out[1] != 0xB7 { out[1] -= 0x20 }
        else if first == 0xC5, out.count > 1, out[1] == 0x93 { out[1] = 0x92 }
        return out
    }
}

/// Company names: legal form extracted, a display name, a matching key.
public struct LegalForms: Sendable {
    /// Folded token sequences ("s a r l", "sarl") → abbreviation, longest first.
    var forms: [(tokens: [String], abbreviation: String)] = []
    /// Forms indexed by their last and first token, so a name is checked against a handful.
    var byLastToken: [String: [Int]] = [:]
    var byFirstToken: [String: [Int]] = [:]

    public init() {}

    public mutating func add(abbreviation: String, variants: [String]) {
        for variant in [abbreviation] + variants {
            let folded = AccentFolding.key(variant)  // "S.A.R.L." → "s a r l"
            let tokens = folded.split(separator: " ").map(String.init)
            if !tokens.isEmpty { forms.append((tokens, abbreviation)) }
            let joined = tokens.joined()
            if tokens.count > 1 && joined.count <= 5 { forms.append(([joined], abbreviation)) }
        }
        forms.sort { $0.tokens.count != $1.tokens.count ? $0.tokens.count > $1.tokens.count : $0.tokens.joined().count > $1.tokens.joined().count }
        byLastToken = [:]
        byFirstToken = [:]
        for (index, form) in forms.enumerated() {
            byLastToken[form.tokens.last!, default: []].append(index)
            byFirstToken[form.tokens.first!, default: []].append(index)
        }
    }
}

public enum CompanyName {
    static let stopWords: Set<String> = ["societe", "ste", "ets", "etablissements", "etablissement", "entreprise", "groupe", "cie", "compagnie", "et", "the"]

    /// Splits `Boulangerie Lefèvre SARL au capital de 10 000 €` into the display name
    /// `Boulangerie Lefèvre` and the legal form `SARL`.
    public static func split(_ raw: UnsafeBufferPointer<UInt8>, forms: LegalForms) -> (name: String, legalForm: String?) {
        let text = String(decoding: Bytes.trimmed(raw), as: UTF8.self)
        // Tokens with their original text, split on spaces and parentheses; "au capital de …"
        // and "RCS …" mentions end the name.
        var pieces = text.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" || $0 == "," })
        // "S.A.R.L." folds to "s a r l": compare it as "sarl".
        func key(_ piece: Substring) -> String { String(AccentFolding.key(String(piece)).filter { $0 != " " }) }
        if let stop = pieces.firstIndex(where: { $0.count <= 8 && ["capital", "rcs"].contains(key($0)) }) {
            var end = stop
            if end > 0 && key(pieces[end - 1]) == "au" { end -= 1 }
            pieces.removeSubrange(end...)
        }
        // Only the first and last few tokens can be a legal form: fold only those.
        let edge = 4
        var tokens: [(original: Substring, key: String)] = pieces.enumerated().map { index, piece in
            (piece, index < edge || index >= pieces.count - edge ? key(piece) : "")
        }
        var legalForm: String?
        let keys = tokens.map(\.key)
        // After the name ("Dupont SARL"), then before it ("SAS Dupont"); never the whole name.
        if let last = keys.last {
            for index in forms.byLastToken[last] ?? [] {
                let (formTokens, abbreviation) = forms.forms[index]
                if keys.count > formTokens.count, Array(keys.suffix(formTokens.count)) == formTokens {
                    tokens.removeLast(formTokens.count)
                    legalForm = abbreviation
                    break
                }
            }
        }
        if legalForm == nil, let first = keys.first {
            for index in forms.byFirstToken[first] ?? [] {
                let (formTokens, abbreviation) = forms.forms[index]
                if keys.count > formTokens.count, Array(keys.prefix(formTokens.count)) == formTokens {
                    tokens.removeFirst(formTokens.count)
                    legalForm = abbreviation
                    break
                }
            }
        }
        var name = tokens.map { String($0.original) }.joined(separator: " ")
        while let last = name.last, last == "-" || last == "," || last == "." || last == " " { name.removeLast() }
        return (name, legalForm)
    }

    /// Matching key: folded, legal forms and "Société", "Sté", "Ets"… removed.
    public static func matchingKey(_ name: String) -> String {
        AccentFolding.key(name).split(separator: " ").filter { !stopWords.contains(String($0)) }.joined(separator: " ")
    }
}
