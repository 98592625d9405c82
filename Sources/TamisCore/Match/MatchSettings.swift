/// A field the matcher reads: a canonical field, or an unmapped column by its header name
/// (Febrl's `date_of_birth`, a CRM's own column).
public enum MatchField: Sendable, Hashable, CustomStringConvertible {
    case canonical(CanonicalField)
    case extra(String)

    public init(name: String) {
        if let field = CanonicalField(name: name) { self = .canonical(field) } else { self = .extra(name) }
    }

    public var description: String {
        switch self {
        case .canonical(let field): return field.name
        case .extra(let name): return name
        }
    }
}

/// How two values of a field are compared. Each comparison has ordered levels: `null` (either
/// side missing: no evidence), `exact`, one level per threshold, and `else`.
public enum ComparisonMethod: String, Sendable, CaseIterable {
    /// exact | else.
    case exact
    /// Jaro-Winkler similarity ≥ each threshold (names).
    case jaroWinkler = "jaro_winkler"
    /// Damerau-Levenshtein distance ≤ each threshold (codes, numbers with typos).
    case levenshtein
    /// Shared words (Dice of token sets) ≥ each threshold (company names, addresses).
    case tokenSet = "token_set"
    /// The French phonetic key is the same (one level), then Jaro-Winkler thresholds.
    case phonetic
}

public struct ComparisonSpec: Sendable, Equatable {
    public var field: MatchField
    public var method: ComparisonMethod
    /// Similarities (decreasing) or distances (increasing), one level each.
    public var thresholds: [Double]
    /// Term-frequency adjustment of the exact level: two "Martin" weigh less than two "Kerjean".
    public var termFrequency: Bool
    /// A field this one is often swapped with (first and last names): a `swapped` level when
    /// the two values are found the other way round.
    public var swappedWith: MatchField?

    public init(field: MatchField, method: ComparisonMethod, thresholds: [Double] = [], termFrequency: Bool = false,
                swappedWith: MatchField? = nil) {
        self.field = field
        self.method = method
        self.thresholds = thresholds
        self.termFrequency = termFrequency
        self.swappedWith = swappedWith
    }

    /// null, exact, thresholds…, (swapped), else; and one more for `phonetic`.
    public var levelCount: Int { 3 + thresholds.count + (method == .phonetic ? 1 : 0) + (swappedWith == nil ? 0 : 1) }

    public func levelNames() -> [String] {
        var names = ["null", "exact"]
        if method == .phonetic { names.append("same sound") }
        for t in thresholds {
            switch method {
            case .levenshtein: names.append("distance ≤ \(Int(t))")
            default: names.append("≥ \(t)")
            }
        }
        if let swappedWith { names.append("swapped with \(swappedWith)") }
        names.append("different")
        return names
    }
}

/// One blocking rule: records sharing every key part are compared. `email`,
/// `[postal_code, last_name:phonetic]`, `[company_name:prefix4, first_name:initial]`.
public struct BlockingRule: Sendable, Equatable, CustomStringConvertible {
    public enum Transform: Sendable, Equatable {
        case value
        case phonetic
        case prefix(Int)
        case initial
    }

    public struct Part: Sendable, Equatable {
        public var field: MatchField
        public var transform: Transform

        public init(field: MatchField, transform: Transform = .value) {
            self.field = field
            self.transform = transform
        }
    }

    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// `last_name:phonetic`, `company_name:prefix4`, `first_name:initial`, `email`.
    public static func parsePart(_ text: String) -> Part? {
        let pieces = text.split(separator: ":", maxSplits: 1).map { String($0).trimmingSpaces() }
        guard let name = pieces.first, !name.isEmpty else { return nil }
        guard pieces.count == 2 else { return Part(field: MatchField(name: name)) }
        let option = pieces[1]
        if option == "phonetic" { return Part(field: MatchField(name: name), transform: .phonetic) }
        if option == "initial" { return Part(field: MatchField(name: name), transform: .initial) }
        if option.hasPrefix("prefix"), let n = Int(option.dropFirst(6)), n > 0 { return Part(field: MatchField(name: name), transform: .prefix(n)) }
        return nil
    }

    public var description: String {
        parts.map { part in
            switch part.transform {
            case .value: return part.field.description
            case .phonetic: return "\(part.field):phonetic"
            case .prefix(let n): return "\(part.field):prefix\(n)"
            case .initial: return "\(part.field):initial"
            }
        }.joined(separator: " + ")
    }
}

/// `stages.deduplicate` of a pipeline.
public struct MatchSettings: Sendable, Equatable {
    public var blocking: [BlockingRule]
    public var comparisons: [ComparisonSpec]
    /// Pairs at or above this match probability are merged.
    public var threshold: Double
    /// Pairs with a probability in [reviewBelow, threshold) go to the review file.
    public var reviewBelow: Double
    /// Two clusters are not joined if any pair across them is below this probability (or is
    /// deterministically different): A≈B and B≈C do not merge a clearly different A and C.
    public var chainingGuard: Double
    /// Blocks larger than this (a switchboard shared by 3,000 contacts) are not compared
    /// within; they are counted in the summary.
    public var maxBlockSize: Int
    /// Random pairs drawn to estimate u probabilities.
    public var uSamplePairs: Int
    /// The same valid, personal (not role) e-mail is the same person.
    public var sameEmailIsMatch: Bool
    /// Two different valid SIRETs are different establishments, hence different contacts.
    public var differentSiretIsNonMatch: Bool
    /// Two clearly different first names or last names (not a typo, not the same sound, not an
    /// initial, not swapped) are two people, however much else they share: colleagues share a
    /// company, an address and a switchboard, and those fields must not add up to a match.
    public var differentNamesIsNonMatch: Bool

    public init(blocking: [BlockingRule], comparisons: [ComparisonSpec], threshold: Double = 0.9, reviewBelow: Double = 0.5,
                chainingGuard: Double = 0.01, maxBlockSize: Int = 1000, uSamplePairs: Int = 200_000,
                sameEmailIsMatch: Bool = true, differentSiretIsNonMatch: Bool = true, differentNamesIsNonMatch: Bool = true) {
        self.blocking = blocking
        self.comparisons = comparisons
        self.threshold = threshold
        self.reviewBelow = reviewBelow
        self.chainingGuard = chainingGuard
        self.maxBlockSize = maxBlockSize
        self.uSamplePairs = uSamplePairs
        self.sameEmailIsMatch = sameEmailIsMatch
        self.differentSiretIsNonMatch = differentSiretIsNonMatch
        self.differentNamesIsNonMatch = differentNamesIsNonMatch
    }

    /// French B2B contacts: the default when a pipeline says nothing.
    public static let frenchContacts: MatchSettings = {
        func part(_ text: String) -> BlockingRule.Part { BlockingRule.parsePart(text)! }
        return MatchSettings(
            blocking: [
                BlockingRule(parts: [part("email")]),
                BlockingRule(parts: [part("phone"), part("first_name:initial")]),
                BlockingRule(parts: [part("mobile")]),
                BlockingRule(parts: [part("siren"), part("last_name:phonetic")]),
                BlockingRule(parts: [part("postal_code"), part("last_name:phonetic"), part("first_name:initial")]),
                BlockingRule(parts: [part("company_name"), part("last_name:phonetic")]),
                BlockingRule(parts: [part("company_name"), part("first_name:phonetic")]),
            ],
            comparisons: [
                ComparisonSpec(field: .canonical(.firstName), method: .phonetic, thresholds: [0.92, 0.8],
                               swappedWith: .canonical(.lastName)),
                ComparisonSpec(field: .canonical(.lastName), method: .phonetic, thresholds: [0.92, 0.8], termFrequency: true,
                               swappedWith: .canonical(.firstName)),
                ComparisonSpec(field: .canonical(.email), method: .levenshtein, thresholds: [1]),
                ComparisonSpec(field: .canonical(.phone), method: .exact),
                ComparisonSpec(field: .canonical(.mobile), method: .exact),
                ComparisonSpec(field: .canonical(.companyName), method: .tokenSet, thresholds: [0.6]),
                ComparisonSpec(field: .canonical(.postalCode), method: .exact),
                ComparisonSpec(field: .canonical(.siren), method: .exact),
            ])
    }()
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
