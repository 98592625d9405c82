/// Everything the normalisers look up, loaded once per run (see TamisIO's
/// `ReferenceDataLoader`; `data/refdata/` in the repository).
public struct ReferenceData: Sendable {
    public var naf = NafTable()
    public var geography = GeographyTable()
    public var email = EmailLists()
    public var legalForms = LegalForms()
    /// Folded French first names, for first/last swap detection.
    public var firstNames = ByteStringSet()
    /// First names that are also frequent surnames (Martin, Thomas…).
    public var surnameLikeFirstNames = ByteStringSet()
    /// INSEE headcount band codes (`01`, `11`, `NN`…).
    public var headcountBands = ByteStringSet()
    /// libphonenumber's answers for the overseas sub-blocks (empty: it is asked each time).
    public var overseasPhoneBlocks = OverseasPhoneBlocks()

    public init() {}
}

/// Options of the normalise stage (pipeline `stages.normalise`).
public struct NormalizeOptions: Sendable, Equatable {
    /// Derive the intra-EU VAT number from a valid SIREN.
    public var vatNumber = false
    /// Swap first and last names when the first-name list makes it clear.
    public var fixSwappedNames = true
    /// Bytes left free in each record's values for a value written later in place
    /// (`PackedFields.replace`): the SIRENE stage's status, when the pipeline checks the
    /// register (`sireneStatusRoom`), saves an allocation per record.
    public var spareBytes = 0
    public static let sireneStatusRoom = 16

    public init(vatNumber: Bool = false, fixSwappedNames: Bool = true, spareBytes: Int = 0) {
        self.vatNumber = vatNumber
        self.fixSwappedNames = fixSwappedNames
        self.spareBytes = spareBytes
    }
}
