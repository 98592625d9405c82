/// Company names reduced to what identifies them, on both sides of siretisation: the
/// register's upper-case denominations, acronyms and signs, and the prospects' names in every
/// case, with or without legal form.
///
/// Folded (accents, case, punctuation), then legal forms (`SARL`, `S.A.S.`…), words such as
/// `Société`, `Ets`, `Groupe` and articles dropped. Runs of single letters are joined, so
/// `S.A.R.L.` is `sarl` (dropped) and `I.B.M.` is `ibm`.
public enum CompanyNameKey {
    static let dropped = ByteStringSet([
        // Legal forms (INSEE categories as people write them).
        "sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "scop", "scp", "sel", "selarl", "selas", "selafa", "selca",
        "gie", "gaec", "earl", "ei", "eirl", "sca", "scs", "scea", "sem", "scic", "sarlu", "spa", "ltd", "gmbh", "inc",
        // Words that do not tell companies apart.
        "societe", "ste", "ets", "etablissements", "etablissement", "entreprise", "entreprises", "groupe", "cie",
        "compagnie", "et", "the",
        // Articles and prepositions.
        "le", "la", "les", "l", "d", "de", "du", "des", "au", "aux", "en",
    ])

    /// Significant tokens of a name, in order.
    public static func tokens(_ name: String) -> [[UInt8]] {
        var name = name
        return name.withUTF8 { tokens($0) }
    }

    public static func tokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var builder = KeyBuilder()
        builder.tokenize(bytes)
        return builder.significant.map { Array(builder.tokenBytes[$0]) }
    }

    /// The tokens joined by single spaces (`boulangerie martin`).
    public static func key(_ name: String) -> [UInt8] {
        join(tokens(name))
    }

    static func join(_ tokens: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, token) in tokens.enumerated() {
            if i > 0 { out.append(0x20) }
            out.append(contentsOf: token)
        }
        return out
    }

    /// The département part of a postal code: its first two digits (three overseas).
    public static func department(ofPostalCode postal: String) -> String {
        let bytes = Array(postal.utf8)
        guard bytes.count == 5 else { return "" }
        return String(decoding: bytes.prefix(bytes[0] == 0x39 && bytes[1] == 0x37 ? 3 : 2), as: UTF8.self)
    }

    /// Siretisation blocking keys of an establishment known by `names` at `postalCode`:
    /// each whole name at the postal code (precise even where a word is common), every
    /// significant token (first three of each name, two letters or more) at the postal code
    /// (a typo in another word), and each whole name in the département (a company that moved
    /// within it).
    public static func blockingKeys(names: [String], postalCode: String) -> [UInt64] {
        var builder = KeyBuilder()
        var postal = postalCode
        guard postal.withUTF8({ builder.begin(postalCode: $0) }) else { return [] }
        for var name in names { name.withUTF8 { builder.add(name: $0) } }
        return builder.keys
    }

    /// Makes names' tokens and blocking keys from bytes, reusing its buffers: the register
    /// import makes keys for millions of establishments.
    public struct KeyBuilder {
        private var folded: [UInt8] = []
        /// The tokens' bytes (runs of single letters already joined); `tokens` are ranges of it.
        fileprivate var tokenBytes: [UInt8] = []
        private var tokens: [Range<Int>] = []
        /// The tokens that tell companies apart (all of them when none does).
        fileprivate var significant: [Range<Int>] = []
        /// The keys so far, each once, in the order first made.
        public private(set) var keys: [UInt64] = []
        /// Hash states after the key kind and the place: token, first letters, whole name at the
        /// postal code, whole name in the département.
        private var atPostalCode = (token: StableHash(), first: StableHash(), whole: StableHash())
        private var inDepartment = StableHash()

        public init() {}

        /// Starts the keys of an establishment at `postalCode`: false (no key at all) unless it has five characters.
        public mutating func begin(postalCode: UnsafeBufferPointer<UInt8>) -> Bool {
            keys.removeAll(keepingCapacity: true)
            guard postalCode.count == 5 else { return false }
            func state(_ kind: UInt8, _ place: UnsafeBufferPointer<UInt8>) -> StableHash {
                var h = StableHash()
                h.combine(CollectionOfOne(kind))
                h.endText()
                h.combine(place)
                h.endText()
                return h
            }
            atPostalCode = (state(UInt8(ascii: "t"), postalCode), state(UInt8(ascii: "f"), postalCode), state(UInt8(ascii: "p"), postalCode))
            let overseas = postalCode[0] == 0x39 && postalCode[1] == 0x37
            inDepartment = state(UInt8(ascii: "n"), UnsafeBufferPointer(rebasing: postalCode[0..<(overseas ? 3 : 2)]))
            return true
        }

        /// Folds `name` and splits it into tokens: runs of single letters joined (`s a r l` →
        /// `sarl`, `i b m` → `ibm`), legal forms, common words and articles dropped unless
        /// nothing else is left.
        mutating func tokenize(_ name: UnsafeBufferPointer<UInt8>) {
            folded.removeAll(keepingCapacity: true)
            AccentFolding.fold(name, into: &folded)
            tokenBytes.removeAll(keepingCapacity: true)
            tokens.removeAll(keepingCapacity: true)
            folded.withUnsafeBufferPointer { folded in
                var run = -1  // where a run of single letters started in tokenBytes
                for word in Bytes.words(folded) {
                    if word.count == 1 && folded[word.lowerBound] >= 0x61 {
                        if run < 0 { run = tokenBytes.count }
                        tokenBytes.append(folded[word.lowerBound])
                        continue
                    }
                    if run >= 0 { tokens.append(run..<tokenBytes.count); run = -1 }
                    let start = tokenBytes.count
                    tokenBytes.append(contentsOf: folded[word])
                    tokens.append(start..<tokenBytes.count)
                }
                if run >= 0 { tokens.append(run..<tokenBytes.count) }
            }
            significant.removeAll(keepingCapacity: true)
            tokenBytes.withUnsafeBufferPointer { bytes in
                for token in tokens where !CompanyNameKey.dropped.contains(UnsafeBufferPointer(rebasing: bytes[token])) {
                    significant.append(token)
                }
            }
            // A name made only of dropped words ("SARL" alone) is kept whole rather than erased.
            if significant.isEmpty { significant = tokens }
        }

        /// Adds the keys of one more name of the establishment (after `begin`).
        public mutating func add(name: UnsafeBufferPointer<UInt8>) {
            tokenize(name)
            guard let first = significant.first else { return }
            tokenBytes.withUnsafeBufferPointer { bytes in
                for token in significant.prefix(3) where token.count >= 2 {
                    var h = atPostalCode.token
                    h.combine(bytes[token])
                    note(h.value)
                }
                // The first word's first four letters: a typo further on ("Arvelyl" / "ARVELLY").
                if first.count > 4 {
                    var h = atPostalCode.first
                    h.combine(bytes[first.lowerBound..<(first.lowerBound + 4)])
                    note(h.value)
                }
                var whole = atPostalCode.whole, wholeInDepartment = inDepartment
                for (i, token) in significant.enumerated() {
                    if i > 0 {
                        whole.combine(CollectionOfOne(0x20))
                        wholeInDepartment.combine(CollectionOfOne(0x20))
                    }
                    whole.combine(bytes[token])
                    wholeInDepartment.combine(bytes[token])
                }
                note(whole.value)
                note(wholeInDepartment.value)
            }
        }

        private mutating func note(_ hash: UInt64) {
            // 63 bits: the register's key directory indexes the top 16 of them.
            let key = hash & 0x7FFF_FFFF_FFFF_FFFF
            if !keys.contains(key) { keys.append(key) }
        }
    }
}
