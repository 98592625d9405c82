/// What the register says of a record's company (`sirene_status` in the base and exports).
public enum SireneStatus: String, Sendable, CaseIterable {
    /// The SIRET (or SIREN) is in the register, establishment and unit active.
    case active
    /// Establishment closed (`F`), company still active: kept, flagged, successor suggested.
    case closed
    /// Closed establishment of a ceased company (`C`), or a ceased SIREN: the company is gone.
    case defunct
    /// Partial diffusion (`P`): the person asked not to be prospected.
    case partial
    /// A well-formed SIRET or SIREN the register does not know.
    case unknown
    /// No valid SIRET in the source; found by SIREN or by name and address with confidence.
    case siretised
    /// Candidates found but none confident enough: in `sirene_review.csv`.
    case review
    /// A company name but no candidate close enough.
    case notFound = "not_found"
    /// No SIRET, no SIREN and no company name: nothing to look up.
    case noIdentifier = "no_identifier"
}

/// Register fields Tamis can fill where the source is empty.
public enum SireneEnrichment: String, Sendable, CaseIterable {
    case naf, headcountBand = "headcount_band", legalCategory = "legal_category", sizeCategory = "size_category"
    case creationDate = "creation_date", address
}

/// Pipeline `stages.sirene`.
public struct SireneSettings: Sendable, Equatable {
    /// The register file (`tamis sirene import` builds it); none: the stage is skipped.
    public var register: String?
    /// Exclusions (reason codes `defunct`, `sirene_opposition`, `sirene_unknown`, `sirene_closed`).
    public var excludeDefunct = true
    public var excludeOpposition = true
    public var excludeUnknown = false
    public var excludeClosed = false
    /// Siretisation of records without a valid SIRET.
    public var siretise = true
    /// A candidate at or above `threshold`, ahead of the next by `margin`, fills the SIRET.
    public var threshold = 0.88
    /// Candidates between `reviewBelow` and the threshold, or near-ties, go to review.
    public var reviewBelow = 0.70
    public var margin = 0.05
    public var enrich: Set<SireneEnrichment> = Set(SireneEnrichment.allCases)
    /// Fields where the register wins over a different source value (default: the source wins).
    public var registerWins: Set<SireneEnrichment> = []

    public init() {}
}

/// A record whose siretisation is left to the steward: its best candidates.
public struct SiretisationReview: Sendable {
    public struct Candidate: Sendable, Equatable {
        public var siret: UInt64
        public var score: Double
        public var name: String
        public var address: String
    }

    public var record: Int
    public var candidates: [Candidate]
}

/// A source value the register contradicts.
public struct EnrichmentConflict: Sendable, Equatable {
    public var record: Int
    public var field: CanonicalField
    public var sourceValue: String
    public var registerValue: String
    /// True when the register's value was kept (`register_wins`).
    public var registerKept: Bool
}

/// What the SIRENE stage found, for the summary, the report and the output files.
public struct SireneOutcome: Sendable {
    public var info: RegisterInfo
    public var statuses: [String: Int] = [:]
    public var enriched: [String: Int] = [:]
    public var review: [SiretisationReview] = []
    public var conflicts: [EnrichmentConflict] = []

    public init(info: RegisterInfo) { self.info = info }
}
