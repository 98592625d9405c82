/// The fields of Tamis's canonical prospect record.
///
/// Every source column is mapped onto one of these or kept as an extra attribute.
/// The raw value is an `UInt8` so a record can index its fields in a fixed-size table.
public enum CanonicalField: Int, CaseIterable, Sendable, Comparable {
    case civility
    case firstName
    case lastName
    case jobTitle
    case email
    case phone
    case mobile
    case companyName
    case siret
    case siren
    case naf
    case headcountBand
    case legalForm
    case address1
    case address2
    case address3
    case postalCode
    case city
    case country
    case website
    case capturedAt
    // Derived by the normalise stage (never read from a source column by detection).
    case vatNumber
    case nafSection
    case nafLabel
    case department
    case region
    case cedex
    case emailDomain
    case emailSuggestion
    case phoneType
    case mobileType
    case phoneExtension
    /// A (e-mail, phone and SIRET usable), B (e-mail or phone usable), C (neither): set on golden records.
    case qualityTier
    /// The establishment a golden record's contact works at (`E` + a hash of its SIRET, or of
    /// company name + postal code without one): set on golden records.
    case establishmentID
    // Filled by the SIRENE stage from the register.
    /// `categorieJuridiqueUniteLegale` (4 digits, e.g. 5710 SAS).
    case legalCategory
    /// `categorieEntreprise`: PME, ETI, GE.
    case sizeCategory
    /// Creation date of the establishment (YYYY-MM-DD).
    case creationDate
    /// What the register says of the record's company (`SireneStatus`).
    case sireneStatus
    /// Closing date of a closed establishment.
    case sireneClosedOn
    /// For a closed establishment of an active company: the suggested successor SIRET.
    case sireneSuccessor
    /// Siretisation score of a SIRET found by name and address (0–1).
    case sireneScore

    /// The number of fields: a constant (not `allCases.count`, a lazy global reached through
    /// a once-check on every use, several times a record). The last case's index plus one; a
    /// test keeps it equal to `allCases.count`.
    @inlinable public static var count: Int { sireneScore.rawValue + 1 }

    /// Fields read from sources (the others are derived by normalisation).
    public static let sourceFields: [CanonicalField] = allCases.filter { !$0.isDerived }

    /// How many: the source fields come first, the derived ones from `vatNumber` on (a test
    /// keeps it equal to `sourceFields.count`).
    @inlinable public static var sourceFieldCount: Int { vatNumber.rawValue }

    public var isDerived: Bool { rawValue >= CanonicalField.vatNumber.rawValue }

    /// The snake_case name used in pipeline files, CSV headers and the SQLite base.
    public var name: String {
        switch self {
        case .civility: return "civility"
        case .firstName: return "first_name"
        case .lastName: return "last_name"
        case .jobTitle: return "job_title"
        case .email: return "email"
        case .phone: return "phone"
        case .mobile: return "mobile"
        case .companyName: return "company_name"
        case .siret: return "siret"
        case .siren: return "siren"
        case .naf: return "naf"
        case .headcountBand: return "headcount_band"
        case .legalForm: return "legal_form"
        case .address1: return "address_line1"
        case .address2: return "address_line2"
        case .address3: return "address_line3"
        case .postalCode: return "postal_code"
        case .city: return "city"
        case .country: return "country"
        case .website: return "website"
        case .capturedAt: return "captured_at"
        case .vatNumber: return "vat_number"
        case .nafSection: return "naf_section"
        case .nafLabel: return "naf_label"
        case .department: return "department"
        case .region: return "region"
        case .cedex: return "cedex"
        case .emailDomain: return "email_domain"
        case .emailSuggestion: return "email_suggestion"
        case .phoneType: return "phone_type"
        case .mobileType: return "mobile_type"
        case .phoneExtension: return "phone_extension"
        case .qualityTier: return "quality_tier"
        case .establishmentID: return "establishment_id"
        case .legalCategory: return "legal_category"
        case .sizeCategory: return "size_category"
        case .creationDate: return "creation_date"
        case .sireneStatus: return "sirene_status"
        case .sireneClosedOn: return "sirene_closed_on"
        case .sireneSuccessor: return "sirene_successor"
        case .sireneScore: return "sirene_score"
        }
    }

    public init?(name: String) {
        guard let field = CanonicalField.byName[name] else { return nil }
        self = field
    }

    private static let byName: [String: CanonicalField] = {
        var table: [String: CanonicalField] = [:]
        for field in CanonicalField.allCases { table[field.name] = field }
        return table
    }()

    public static func < (lhs: CanonicalField, rhs: CanonicalField) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
