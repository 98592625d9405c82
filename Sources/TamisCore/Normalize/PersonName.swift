import CByteScan
/// Civilities, proper casing of French names, first/last swaps.
public enum PersonName {
    static let civilities: [(key: String, canonical: String)] = [
        ("m", "M."), ("mr", "M."), ("monsieur", "M."), ("mister", "M."), ("msieur", "M."),
        ("mme", "Mme"), ("madame", "Mme"), ("mrs", "Mme"), ("ms", "Mme"), ("mad", "Mme"),
        ("mlle", "Mlle"), ("melle", "Mlle"), ("mademoiselle", "Mlle"), ("miss", "Mlle"), ("mll", "Mlle"),
        ("mm", "MM."), ("messieurs", "MM."), ("mmes", "Mmes"), ("mesdames", "Mmes"),
        ("dr", "Dr"), ("docteur", "Dr"), ("doctor", "Dr"), ("pr", "Pr"), ("professeur", "Pr"), ("prof", "Pr"),
        ("me", "Me"), ("maitre", "Me"),
    ]
    static let civilityKeys: ByteStringSet = {
        var set = ByteStringSet(capacity: civilities.count)
        for (index, civility) in civilities.enumerated() { set.insert(civility.key, value: index) }
        return set
    }()

    /// `Monsieur`, `MR.`, `m` → `M.`; `Madame`, `MME` → `Mme`; unknown values are flagged.
    public static func civility(_ raw: UnsafeBufferPointer<UInt8>) -> (String?, FieldQuality) {
        var folded: [UInt8] = []
        AccentFolding.fold(Bytes.trimmed(raw), into: &folded)
        if folded.isEmpty { return (nil, .missing) }
        folded.removeAll { $0 == 0x20 }
        if let index = folded.withUnsafeBufferPointer({ civilityKeys.value($0) }) { return (civilities[index].canonical, .valid) }
        return (String(decoding: Bytes.trimmed(raw), as: UTF8.self), FieldQuality(.invalid, .unknownCode))
    }

    static let notPersons = ByteStringSet(["accueil", "contact", "standard", "service", "direction", "secretariat",
                                           "comptabilite", "info", "infos", "commercial", "reception", "admin",
                                           "achats", "rh", "sav", "support", "nc", "n c", "inconnu", "xxx"])

    /// de, du, des, d', van, von, der, den: kept in lower case.
    static func isLowerParticle(_ key: [UInt8]) -> Bool {
        switch key.count {
        case 1: return key[0] == 0x64
        case 2: return key[0] == 0x64 && (key[1] == 0x65 || key[1] == 0x75)
        case 3: return key.elementsEqual("des".utf8) || key.elementsEqual("van".utf8) || key.elementsEqual("von".utf8)
            || key.elementsEqual("der".utf8) || key.elementsEqual("den".utf8)
        default: return false
        }
    }

    /// le, la, les, l': in lower case after a particle ("de la Fontaine").
    static func isArticle(_ key: [UInt8]) -> Bool {
        switch key.count {
        case 1: return key[0] == 0x6C
        case 2: return key[0] == 0x6C && (key[1] == 0x65 || key[1] == 0x61)
        case 3: return key.elementsEqual("les".utf8)
        default: return false
        }
    }

    /// Proper case with French particles: `JEAN-PIERRE` → `Jean-Pierre`, `DE LA FONTAINE` →
    /// `de La Fontaine`, `d'arvor` → `d'Arvor`, `DUPRÉ-LEFÈVRE` → `Dupré-Lefèvre`.
    public static func properCase(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        properCase(raw, into: &out)
        return out
    }

    /// The same, appended to `out`.
    public static func properCase(_ raw: UnsafeBufferPointer<UInt8>, into out: inout some ByteSink) {
        let text = Bytes.trimmed(raw)
        var key: [UInt8] = []
        var previousWasParticle = false
        var wordIndex = 0
        var wordStart = -1  // in `out`, or -1 between words
        func flush(separator: UInt8?) {
            if wordStart >= 0 {
                key.removeAll(keepingCapacity: true)
                out.withUnsafeBufferPointer { AccentFolding.fold(UnsafeBufferPointer(rebasing: $0[wordStart...]), into: &key) }
                let particle = isLowerParticle(key)
                // de, du, des, d' stay in lower case, even first ("de Gaulle", "d'Estaing").
                if !particle && !(isArticle(key) && previousWasParticle && wordIndex > 0) { capitalize(&out, at: wordStart) }
                previousWasParticle = particle
                wordIndex += 1
                wordStart = -1
            }
            if let separator { out.append(separator) }
        }
        var i = 0
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
                if wordStart < 0 { wordStart = out.count }
                // Lower case: ASCII and the Latin-1/Latin Extended-A capitals.
                if b >= 0x41 && b <= 0x5A {
                    out.append(b | 0x20)
                } else if b == 0xC3, i + 1 < text.count, text[i + 1] >= 0x80, text[i + 1] <= 0x9E, text[i + 1] != 0x97 {
                    out.append(b); out.append(text[i + 1] + 0x20)
                    i += 1
                } else if b == 0xC5, i + 1 < text.count, text[i + 1] == 0x92 || text[i + 1] == 0xB8 {
                    // Œ → œ; Ÿ (C5 B8) → ÿ (C3 BF)
                    if text[i + 1] == 0x92 { out.append(0xC5); out.append(0x93) } else { out.append(0xC3); out.append(0xBF) }
                    i += 1
                } else {
                    out.append(b)
                }
            }
            i += 1
        }
        flush(separator: nil)
    }

    /// Upper-cases the letter at `index` (ASCII or Latin-1).
    static func capitalize(_ word: inout some ByteSink, at index: Int) {
        let first = word[index]
        if first >= 0x61 && first <= 0x7A { word[index] = first & 0xDF }
        else if first == 0xC3, word.count > index + 1, word[index + 1] >= 0xA0, word[index + 1] <= 0xBE, word[index + 1] != 0xB7 { word[index + 1] -= 0x20 }
        else if first == 0xC5, word.count > index + 1, word[index + 1] == 0x93 { word[index + 1] = 0x92 }
    }

    /// Whether a last-name value looks like a function or a generic contact, not a person.
    public static func isNotAPerson(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        var folded: [UInt8] = []
        AccentFolding.fold(raw, into: &folded)
        if folded.contains(where: Bytes.isDigit) { return true }
        return folded.withUnsafeBufferPointer { notPersons.contains($0) }
    }
}

/// Company names: legal form extracted, a display name, a matching key.
public struct LegalForms: Sendable {
    /// Folded token sequences ("s a r l", "sarl") → abbreviation, longest first.
    var forms: [(tokens: [String], abbreviation: String)] = []
    /// The same with each token as an id in `tokenIDs` (what `CompanyName.split` compares).
    var formTokenIDs: [[Int32]] = []
    /// Every folded token of a form → its id.
    var tokenIDs = ByteStringSet()
    /// Forms by the id of their last and first token, so a name is checked against a handful.
    var byLastToken: [[Int]] = []
    var byFirstToken: [[Int]] = []

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
        tokenIDs = ByteStringSet()
        formTokenIDs = forms.map { form in
            form.tokens.map { token in
                var token = token
                return token.withUTF8 { bytes in
                    if let id = tokenIDs.value(bytes) { return Int32(id) }
                    tokenIDs.insert(bytes, value: tokenIDs.count)
                    return Int32(tokenIDs.count - 1)
                }
            }
        }
        byLastToken = Array(repeating: [], count: tokenIDs.count)
        byFirstToken = Array(repeating: [], count: tokenIDs.count)
        for (index, ids) in formTokenIDs.enumerated() {
            byLastToken[Int(ids.last!)].append(index)
            byFirstToken[Int(ids.first!)].append(index)
        }
    }

    /// The id of a folded token, or -1.
    func id(_ key: UnsafeBufferPointer<UInt8>) -> Int32 {
        tokenIDs.value(key).map(Int32.init) ?? -1
    }
}

public enum CompanyName {
    static let separators = Bytes.mask(" (),")
    static let stopWords: Set<String> = ["societe", "ste", "ets", "etablissements", "etablissement", "entreprise", "groupe", "cie", "compagnie", "et", "the"]

    /// Splits `Boulangerie Lefèvre SARL au capital de 10 000 €` into the display name
    /// `Boulangerie Lefèvre` and the legal form `SARL`.
    public static func split(_ raw: UnsafeBufferPointer<UInt8>, forms: LegalForms) -> (name: String, legalForm: String?) {
        var name: [UInt8] = []
        let form = split(raw, forms: forms, into: &name)
        return (String(decoding: name, as: UTF8.self), form)
    }

    /// The same on bytes: appends the display name to `out`, returns the legal form.
    public static func split(_ raw: UnsafeBufferPointer<UInt8>, forms: LegalForms, into out: inout some ByteSink) -> String? {
        let text = Bytes.trimmed(raw)
        return withUnsafeTemporaryAllocation(of: Piece.self, capacity: text.count / 2 + 1) { pieces in
            // Each token's folded key, made once (folding at most doubles a token's bytes).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count * 2 + 8) { keys in
                // Tokens split on spaces, parentheses and commas, in one pass that also notes
                // which are plain (ASCII letters and digits only: most) and their first byte.
                let tokens = CompanyName.tokenize(text, into: pieces)
                // "S.A.R.L." folds to "s a r l": compare it as "sarl".
                var keysUsed = 0
                func key(_ n: Int) -> UnsafeBufferPointer<UInt8> {
                    if pieces[n].keyStart < 0 {
                        let start = keysUsed
                        let written = AccentFolding.foldBytes(UnsafeBufferPointer(rebasing: text[pieces[n].start..<pieces[n].end]),
                                                              to: keys.baseAddress! + start, keepPunctuation: false)
                        var end = start
                        for i in start..<(start + written) where keys[i] != 0x20 {
                            keys[end] = keys[i]
                            end += 1
                        }
                        keysUsed = end
                        pieces[n].keyStart = Int32(start)
                        pieces[n].keyEnd = Int32(end)
                    }
                    return UnsafeBufferPointer(rebasing: keys[Int(pieces[n].keyStart)..<Int(pieces[n].keyEnd)])
                }
                func key(_ n: Int, is word: StaticString) -> Bool { Bytes.equal(key(n), word) }
                // A plain token folds to itself in lower case: its key's first byte and length
                // are known without folding it.
                func plainFirst(_ n: Int) -> UInt8? { pieces[n].plainFirst < 0 ? nil : UInt8(pieces[n].plainFirst) }
                // "au capital de …" and "RCS …" mentions end the name: words of at most 8
                // characters (at most 8 bytes surely are; over 32 surely are not).
                var count = tokens
                for n in 0..<count {
                    let length = pieces[n].end - pieces[n].start
                    if let first = plainFirst(n) {
                        guard (length == 7 && first == 0x63) || (length == 3 && first == 0x72) else { continue }
                    } else {
                        guard length <= 8 || (length <= 32 && Bytes.characterCount(UnsafeBufferPointer(rebasing: text[pieces[n].start..<pieces[n].end])) <= 8) else { continue }
                    }
                    if key(n, is: "capital") || key(n, is: "rcs") {
                        var end = n
                        if end > 0 && key(end - 1, is: "au") { end -= 1 }
                        count = end
                        break
                    }
                }
                // Only the first and last few tokens can be a legal form: look only those up.
                let edge = 4
                for n in 0..<count where n < edge || n >= count - edge {
                    if let first = plainFirst(n), !forms.tokenIDs.mayContain(first: first, count: pieces[n].end - pieces[n].start) {
                        continue  // no form token starts so with this length (the id stays -1)
                    }
                    pieces[n].id = forms.id(key(n))
                }
                var first = 0, last = count
                var legalForm: String?
                // After the name ("Dupont SARL"), then before it ("SAS Dupont"); never the whole name.
                if count > 0, pieces[count - 1].id >= 0 {
                    for index in forms.byLastToken[Int(pieces[count - 1].id)] {
                        let ids = forms.formTokenIDs[index]
                        if count > ids.count, ids.indices.allSatisfy({ pieces[count - ids.count + $0].id == ids[$0] }) {
                            last = count - ids.count
                            legalForm = forms.forms[index].abbreviation
                            break
                        }
                    }
                }
                if legalForm == nil, count > 0, pieces[0].id >= 0 {
                    for index in forms.byFirstToken[Int(pieces[0].id)] {
                        let ids = forms.formTokenIDs[index]
                        if count > ids.count, ids.indices.allSatisfy({ pieces[$0].id == ids[$0] }) {
                            first = ids.count
                            legalForm = forms.forms[index].abbreviation
                            break
                        }
                    }
                }
                let start = out.count
                // Tokens joined by one space: a run of tokens already so in the text is copied
                // at once (the whole name, most often).
                var n = first
                while n < last {
                    var runEnd = n &+ 1
                    while runEnd < last, pieces[runEnd].start == pieces[runEnd &- 1].end &+ 1, text[pieces[runEnd &- 1].end] == 0x20 { runEnd &+= 1 }
                    if out.count > start { out.append(0x20) }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: text[pieces[n].start..<pieces[runEnd &- 1].end]))
                    n = runEnd
                }
                while out.count > start, let b = out.last, b == 0x2D || b == 0x2C || b == 0x2E || b == 0x20 { out.removeLast() }
                return legalForm
            }
        }
    }

    typealias Piece = (start: Int, end: Int, id: Int32, keyStart: Int32, keyEnd: Int32, plainFirst: Int16)

    /// Splits `text` into `pieces` on spaces, parentheses and commas; each piece's `plainFirst`
    /// is its first byte in lower case when it holds only ASCII letters and digits, else -1.
    /// Returns the number of pieces (at most `text.count / 2 + 1`).
    @inline(__always)
    static func tokenize(_ text: UnsafeBufferPointer<UInt8>, into pieces: UnsafeMutableBufferPointer<Piece>) -> Int {
        guard let base = text.baseAddress else { return 0 }
        let n = text.count, separators = CompanyName.separators
        // Most names: each byte's class from SSE2, sixteen at a time, then the tokens read off.
        var separatorBits: UInt64 = 0, notPlainBits: UInt64 = 0
        if tamis_company_byte_classes(base, n, &separatorBits, &notPlainBits) != 0 {
            var inside = ~separatorBits & ((1 << UInt64(n)) &- 1)  // n = 64: the shift gives 0, all ones
            var count = 0
            while inside != 0 {
                let start = inside.trailingZeroBitCount
                let length = (~(inside >> UInt64(start))).trailingZeroBitCount
                let token: UInt64 = ((1 << UInt64(length)) &- 1) << UInt64(start)
                pieces[count] = (start, start &+ length, -1, -1, -1, notPlainBits & token == 0 ? Int16(Bytes.lower(base[start])) : -1)
                count &+= 1
                inside &= ~token
            }
            return count
        }
        // Below 0x40 only the digits are plain; from 0x40 to 0x7F, the letters.
        let plainLow: UInt64 = 0x03FF << 0x30, plainHigh: UInt64 = 0x07FF_FFFE_07FF_FFFE
        var count = 0, i = 0
        while i < n {
            var b = base[i]
            if b < 0x40 && separators >> UInt64(b) & 1 != 0 {
                i &+= 1
                continue
            }
            let start = i
            var plain = true
            repeat {
                if b < 0x40 {
                    if separators >> UInt64(b) & 1 != 0 { break }
                    plain = plain && plainLow >> UInt64(b) & 1 != 0
                } else {
                    plain = plain && b < 0x80 && plainHigh >> UInt64(b &- 0x40) & 1 != 0
                }
                i &+= 1
                if i == n { break }
                b = base[i]
            } while true
            pieces[count] = (start, i, -1, -1, -1, plain ? Int16(Bytes.lower(base[start])) : -1)
            count &+= 1
        }
        return count
    }

    /// Matching key: folded, legal forms and "Société", "Sté", "Ets"… removed.
    public static func matchingKey(_ name: String) -> String {
        AccentFolding.key(name).split(separator: " ").filter { !stopWords.contains(String($0)) }.joined(separator: " ")
    }
}
