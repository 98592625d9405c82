/// The quality of one normalised field.
public enum FieldStatus: UInt8, CaseIterable, Sendable, Codable {
    /// No value in the source.
    case missing
    /// The value is well-formed (possibly reformatted: `6201Z` → `62.01Z`).
    case valid
    /// The value was damaged and recovered without guessing (lost leading zero, Excel float).
    case repaired
    /// The value is wrong and was kept as it is, flagged.
    case invalid

    public var name: String {
        switch self {
        case .missing: return "missing"
        case .valid: return "valid"
        case .repaired: return "repaired"
        case .invalid: return "invalid"
        }
    }
}

/// Why a field has its status: a machine-readable code, counted in the run summary.
/// A `valid` field may carry a flag (`free_mail`, `role_account`, `naf2025`).
public enum QualityReason: UInt8, CaseIterable, Sendable {
    case none
    // Identifiers
    case leadingZerosRestored, floatSuffixRemoved, scientificNotationExpanded, scientificNotationTruncated
    case sirenFromVAT, sirenFromRCS, sirenFromSiret, sirenOnly, badChecksum, wrongLength, placeholder, notANumber
    case sirenMismatch
    // NAF
    case classCompleted, rev1Mapped, rev1Ambiguous, ambiguousClass, divisionOnly, sectionOnly, unknownCode, naf2025
    // Phones
    case trunkPrefixRemoved, internationalPrefix, secondNumberSplit, shortNumber, unknownPrefix, foreign, telemarketing
    // E-mails
    case badSyntax, freeMail, roleAccount, domainTypo, disposable
    // People and companies
    case firstLastSwapped, notAPerson, legalFormExtracted
    // Addresses
    case unknownPostalCode, cityMismatch, cedexSeparated, corsicaAmbiguous
    // SIRENE register
    case sireneUnknown, sireneClosed, sireneCeased, sirenePartial, siretised, fromSirene, sireneConflict

    public var code: String {
        switch self {
        case .none: return ""
        case .leadingZerosRestored: return "leading_zeros_restored"
        case .floatSuffixRemoved: return "float_suffix_removed"
        case .scientificNotationExpanded: return "scientific_notation_expanded"
        case .scientificNotationTruncated: return "scientific_notation_truncated"
        case .sirenFromVAT: return "siren_from_vat"
        case .sirenFromRCS: return "siren_from_rcs"
        case .sirenFromSiret: return "siren_from_siret"
        case .sirenOnly: return "siren_only"
        case .badChecksum: return "bad_checksum"
        case .wrongLength: return "wrong_length"
        case .placeholder: return "placeholder"
        case .notANumber: return "not_a_number"
        case .sirenMismatch: return "siren_mismatch"
        case .classCompleted: return "class_completed"
        case .rev1Mapped: return "rev1_mapped"
        case .rev1Ambiguous: return "rev1_ambiguous"
        case .ambiguousClass: return "ambiguous_class"
        case .divisionOnly: return "division_only"
        case .sectionOnly: return "section_only"
        case .unknownCode: return "unknown_code"
        case .naf2025: return "naf2025"
        case .trunkPrefixRemoved: return "trunk_prefix_removed"
        case .internationalPrefix: return "international_prefix"
        case .secondNumberSplit: return "second_number_split"
        case .shortNumber: return "short_number"
        case .unknownPrefix: return "unknown_prefix"
        case .foreign: return "foreign"
        case .telemarketing: return "telemarketing"
        case .badSyntax: return "bad_syntax"
        case .freeMail: return "free_mail"
        case .roleAccount: return "role_account"
        case .domainTypo: return "domain_typo"
        case .disposable: return "disposable"
        case .firstLastSwapped: return "first_last_swapped"
        case .notAPerson: return "not_a_person"
        case .legalFormExtracted: return "legal_form_extracted"
        case .unknownPostalCode: return "unknown_postal_code"
        case .cityMismatch: return "city_mismatch"
        case .cedexSeparated: return "cedex_separated"
        case .corsicaAmbiguous: return "corsica_ambiguous"
        case .sireneUnknown: return "sirene_unknown"
        case .sireneClosed: return "sirene_closed"
        case .sireneCeased: return "sirene_ceased"
        case .sirenePartial: return "sirene_partial"
        case .siretised: return "siretised"
        case .fromSirene: return "from_sirene"
        case .sireneConflict: return "sirene_conflict"
        }
    }
}

/// Status and reason of one field: two bytes.
public struct FieldQuality: Sendable, Equatable {
    public var status: FieldStatus
    public var reason: QualityReason

    public init(_ status: FieldStatus, _ reason: QualityReason = .none) {
        self.status = status
        self.reason = reason
    }

    public static let missing = FieldQuality(.missing)
    public static let valid = FieldQuality(.valid)
}
