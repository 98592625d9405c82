/// An establishment as the SIRENE register has it: the columns Tamis uses.
public struct RegisteredEstablishment: Sendable, Equatable {
    public var siret: UInt64
    /// `etatAdministratifEtablissement`: `A` active, `F` closed.
    public var isActive: Bool
    /// `statutDiffusionEtablissement == P`: partial diffusion (never used for prospecting).
    public var isPartial: Bool
    /// `dateDebut`: start of the current period — for a closed establishment, its closing date.
    public var periodStart: String
    public var isHeadOffice: Bool
    public var created: String
    /// Headcount band code (`trancheEffectifsEtablissement`, INSEE codes `00`…`53`, `NN`).
    public var headcountBand: String
    /// APE code and its nomenclature (`NAFRev2`, `NAFRev1`…).
    public var naf: String
    public var nafNomenclature: String
    /// NAF 2025 activity where the register has it.
    public var naf2025: String
    /// Signs and usual name of the establishment (`enseigne1..3`, `denominationUsuelle`).
    public var names: [String]
    public var streetNumber: String
    public var streetRepeat: String
    public var streetType: String
    public var streetName: String
    public var complement: String
    public var postalCode: String
    public var communeCode: String
    public var city: String

    public init(siret: UInt64, isActive: Bool = true, isPartial: Bool = false, periodStart: String = "",
                isHeadOffice: Bool = false, created: String = "", headcountBand: String = "", naf: String = "",
                nafNomenclature: String = "", naf2025: String = "", names: [String] = [], streetNumber: String = "",
                streetRepeat: String = "", streetType: String = "", streetName: String = "", complement: String = "",
                postalCode: String = "", communeCode: String = "", city: String = "") {
        self.siret = siret
        self.isActive = isActive
        self.isPartial = isPartial
        self.periodStart = periodStart
        self.isHeadOffice = isHeadOffice
        self.created = created
        self.headcountBand = headcountBand
        self.naf = naf
        self.nafNomenclature = nafNomenclature
        self.naf2025 = naf2025
        self.names = names
        self.streetNumber = streetNumber
        self.streetRepeat = streetRepeat
        self.streetType = streetType
        self.streetName = streetName
        self.complement = complement
        self.postalCode = postalCode
        self.communeCode = communeCode
        self.city = city
    }

    public var siren: UInt64 { siret / 100_000 }

    /// `12 B RUE DE LA PAIX` (street type expanded by the caller's table if wanted).
    public var streetLine: String {
        [streetNumber + streetRepeat, streetType, streetName].filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// A legal unit (SIREN) as the register has it.
public struct RegisteredUnit: Sendable, Equatable {
    public var siren: UInt64
    /// `etatAdministratifUniteLegale`: `A` active, `C` ceased.
    public var isActive: Bool
    public var isPartial: Bool
    /// Denomination (legal persons) or `NOM PRENOM` (sole traders).
    public var name: String
    public var acronym: String
    /// `denominationUsuelle1..3`.
    public var usualNames: [String]
    /// `categorieJuridiqueUniteLegale` (4 digits).
    public var legalCategory: String
    public var naf: String
    public var headcountBand: String
    /// `categorieEntreprise`: PME, ETI, GE.
    public var sizeCategory: String
    /// NIC of the head office.
    public var headOfficeNIC: UInt64?
    public var created: String

    public init(siren: UInt64, isActive: Bool = true, isPartial: Bool = false, name: String = "", acronym: String = "",
                usualNames: [String] = [], legalCategory: String = "", naf: String = "", headcountBand: String = "",
                sizeCategory: String = "", headOfficeNIC: UInt64? = nil, created: String = "") {
        self.siren = siren
        self.isActive = isActive
        self.isPartial = isPartial
        self.name = name
        self.acronym = acronym
        self.usualNames = usualNames
        self.legalCategory = legalCategory
        self.naf = naf
        self.headcountBand = headcountBand
        self.sizeCategory = sizeCategory
        self.headOfficeNIC = headOfficeNIC
        self.created = created
    }

    public var headOfficeSiret: UInt64? { headOfficeNIC.map { siren * 100_000 + $0 } }

    /// Every name the company is known by, legal first.
    public var allNames: [String] { ([name, acronym] + usualNames).filter { !$0.isEmpty && $0 != "[ND]" } }
}

/// The register's identity: when its stock was taken, and what it holds.
public struct RegisterInfo: Sendable, Equatable {
    /// `YYYY-MM-DD`: the latest processing date in the stock (or as given at import).
    public var stockDate: String
    public var importedAt: String
    public var establishments: Int
    public var units: Int

    public init(stockDate: String, importedAt: String, establishments: Int, units: Int) {
        self.stockDate = stockDate
        self.importedAt = importedAt
        self.establishments = establishments
        self.units = units
    }
}

/// The administrative state of an establishment or unit: what the checks need, nothing more.
public struct RegisterState: Sendable, Equatable {
    public var isActive: Bool
    public var isPartial: Bool

    public init(isActive: Bool, isPartial: Bool) {
        self.isActive = isActive
        self.isPartial = isPartial
    }
}

/// Reads a register. One reader per thread: the stage asks `SireneRegister` for one each.
public protocol SireneReader: AnyObject {
    /// The state of an establishment, without reading its other columns (the fast path of the checks).
    func establishmentState(_ siret: UInt64) throws -> RegisterState?
    func unitState(_ siren: UInt64) throws -> RegisterState?
    /// The states of many establishments or units at once (identifier 0: none, nil).
    func establishmentStates(_ sirets: [UInt64]) throws -> [RegisterState?]
    func unitStates(_ sirens: [UInt64]) throws -> [RegisterState?]
    func establishment(_ siret: UInt64) throws -> RegisteredEstablishment?
    func unit(_ siren: UInt64) throws -> RegisteredUnit?
    /// What siretisation compares: state, signs and usual name, street address and city.
    func candidate(_ siret: UInt64) throws -> RegisteredEstablishment?
    /// A closed establishment's closing date (`periodStart`) and postal code, nothing else.
    func closing(_ siret: UInt64) throws -> RegisteredEstablishment?
    /// A closed establishment's closing date alone (nil when the register does not have it).
    func closingDate(_ siret: UInt64) throws -> String?
    /// The open establishments of a SIREN, in SIRET order: identity, state, head office and
    /// street address only (names, activity and dates left empty; read one with
    /// `establishment(_:)` for the rest).
    func openEstablishments(ofSiren siren: UInt64) throws -> [RegisteredEstablishment]
    /// What choosing a closed establishment's successor needs, without reading the addresses
    /// of a big company's other establishments: see `SuccessorCandidates`.
    func successorCandidates(ofSiren siren: UInt64, at postalCode: String) throws -> SuccessorCandidates
    /// SIRETs of the active establishments indexed under this siretisation key
    /// (`CompanyNameKey.blockingKeys`), at most `limit`.
    func candidates(forKey key: UInt64, limit: Int) throws -> [UInt64]
}

/// The open establishments of a SIREN as choosing a successor sees them.
public struct SuccessorCandidates: Sendable, Equatable {
    /// Those at the postal code, in SIRET order, as `openEstablishments` gives them.
    public var here: [RegisteredEstablishment]
    /// The first open head office.
    public var headOffice: UInt64?
    /// The SIREN's open establishment when it has exactly one.
    public var only: UInt64?

    public init(here: [RegisteredEstablishment], headOffice: UInt64?, only: UInt64?) {
        self.here = here
        self.headOffice = headOffice
        self.only = only
    }

    /// The same, from all the open establishments.
    public init(open: [RegisteredEstablishment], at postalCode: String) {
        self.init(here: open.filter { $0.postalCode == postalCode }, headOffice: open.first { $0.isHeadOffice }?.siret,
                  only: open.count == 1 ? open[0].siret : nil)
    }
}

extension SireneReader {
    public func closingDate(_ siret: UInt64) throws -> String? {
        try closing(siret)?.periodStart
    }

    /// From `openEstablishments` (a register that reads a record at little cost).
    public func successorCandidates(ofSiren siren: UInt64, at postalCode: String) throws -> SuccessorCandidates {
        SuccessorCandidates(open: try openEstablishments(ofSiren: siren), at: postalCode)
    }

    /// The states of many establishments (SIRET 0: none), as `establishmentState` one by one.
    /// A register in memory answers them side by side, faster.
    public func establishmentStates(_ sirets: [UInt64]) throws -> [RegisterState?] {
        try sirets.map { $0 == 0 ? nil : try establishmentState($0) }
    }

    public func unitStates(_ sirens: [UInt64]) throws -> [RegisterState?] {
        try sirens.map { $0 == 0 ? nil : try unitState($0) }
    }
}

/// A register the pipeline can read from several threads.
public protocol SireneRegister: Sendable {
    var info: RegisterInfo { get }
    func makeReader() throws -> SireneReader
}
