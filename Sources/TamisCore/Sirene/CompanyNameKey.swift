/// Company names reduced to what identifies them, on both sides of siretisation: the
/// register's upper-case denominations, acronyms and signs, and the prospects' names in every
/// case, with or without legal form.
///
/// Folded (accents, case, punctuation), then legal forms (`SARL`, `S.A.S.`…), words such as
/// `Société`, `Ets`, `Groupe` and articles dropped. Runs of single letters are joined, so
/// `S.A.R.L.` is `sarl` (dropped) and `I.B.M.` is `ibm`.
public enum CompanyNameKey {
    static let dropped: Set<[UInt8]> = Set([
        // Legal forms (INSEE categories as people write them).
        "sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "scop", "scp", "sel", "selarl", "selas", "selafa", "selca",
        "gie", "gaec", "earl", "ei", "eirl", "sca", "scs", "scea", "sem", "scic", "sarlu", "spa", "ltd", "gmbh", "inc",
        // Words that do not tell companies apart.
        "societe", "ste", "ets", "etablissements", "etablissement", "entreprise", "entreprises", "groupe", "cie",
        "compagnie", "et", "the",
        // Articles and prepositions.
        "le", "la", "les", "l", "d", "de", "du", "des", "au", "aux", "en",
    ].map { Array($0.utf8) })

    /// Significant tokens of a name, in order.
    public static func tokens(_ name: String) -> [[UInt8]] {
        var name = name
        return name.withUTF8 { tokens($0) }
    }

    public static func tokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var folded: [UInt8] = []
        folded.reserveCapacity(bytes.count)
        AccentFolding.fold(bytes, into: &folded)
        let raw = folded.withUnsafeBufferPointer { folded in Bytes.words(folded).map { Array(folded[$0]) } }
        // Join runs of single letters: "s a r l" → "sarl", "i b m" → "ibm".
        var joined: [[UInt8]] = []
        var run: [UInt8] = []
        for token in raw {
            if token.count == 1 && token[0] >= 0x61 { run.append(token[0]); continue }
            if !run.isEmpty { joined.append(run); run = [] }
            joined.append(token)
        }
        if !run.isEmpty { joined.append(run) }
        let kept = joined.filter { !dropped.contains($0) }
        // A name made only of dropped words ("Société Générale" keeps "generale"; "SARL" alone
        // keeps itself) is kept whole rather than erased.
        return kept.isEmpty ? joined : kept
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
        guard postalCode.utf8.count == 5 else { return [] }
        let department = department(ofPostalCode: postalCode)
        var keys: [UInt64] = []
        for name in names {
            let tokens = tokens(name)
            if tokens.isEmpty { continue }
            for token in tokens.prefix(3) where token.count >= 2 {
                keys.append(hash("t", postalCode, token))
            }
            // The first word's first four letters: a typo further on ("Arvelyl" / "ARVELLY").
            if let first = tokens.first, first.count > 4 { keys.append(hash("f", postalCode, Array(first.prefix(4)))) }
            let whole = join(tokens)
            keys.append(hash("p", postalCode, whole))
            keys.append(hash("n", department, whole))
        }
        var seen = Set<UInt64>()
        return keys.filter { seen.insert($0).inserted }
    }

    static func hash(_ kind: String, _ place: String, _ value: [UInt8]) -> UInt64 {
        var h = StableHash()
        h.combine(kind)
        h.combine(place)
        h.combine(value)
        // SQLite integers are signed: keep the key positive.
        return h.value & 0x7FFF_FFFF_FFFF_FFFF
    }
}
