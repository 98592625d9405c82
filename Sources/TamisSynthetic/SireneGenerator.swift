import Foundation
import TamisCore
import TamisIO

/// A synthetic SIRENE register in INSEE's stock layout, at any size, and prospects drawn from
/// it with ground truth: for the SIRENE stage's tests and benchmarks, on data it was not
/// tuned on.
///
/// Legal units: companies (brand-like or activity + surname names, some with an acronym),
/// sole traders (`NOM PRENOM`, some in partial diffusion with `[ND]` masks), some ceased.
/// Establishments: one to many per unit, a head office, some closed, some with a sign (trade
/// name) differing from the legal name, real postal codes skewed to big cities.
/// Prospects: with a SIRET (right, closed, defunct, partial-diffusion or unknown), with a
/// SIREN only, or with no identifier at all (name and address with realistic damage, some
/// of companies that are not in the register).
public struct SireneGenerator {
    public struct Settings: Sendable {
        public var establishments: Int
        public var prospects: Int
        public var seed: UInt64 = 77

        public init(establishments: Int, prospects: Int, seed: UInt64 = 77) {
            self.establishments = establishments
            self.prospects = prospects
            self.seed = seed
        }
    }

    /// What a prospect truly is.
    public enum Truth: String, Sendable {
        /// SIRET of an active establishment.
        case active
        /// SIRET of a closed establishment of an active company.
        case closed
        /// SIRET of a closed establishment of a ceased company.
        case defunct
        /// SIRET in partial diffusion.
        case partial
        /// A SIRET with a valid checksum that the register does not hold.
        case unknown
        /// No SIRET: its establishment is `truthSiret` (siretisation should find it).
        case findable
        /// No SIRET and a company the register does not hold (siretisation must find nothing).
        case absent
        /// A SIREN only: any active establishment of it is right; `truthSiret` is the one at
        /// the prospect's postal code.
        case sirenOnly = "siren_only"
    }

    public struct Counts: Sendable {
        public var establishments = 0
        public var units = 0
        public var prospects = 0
    }

    public static let establishmentHeader = "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement"
    public static let unitHeader = "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,caractereEmployeurUniteLegale"
    public static let prospectHeader = "id;Société;SIRET;SIREN;Adresse;CP;Ville;E-mail"

    public let settings: Settings
    let reference: ProspectGenerator.Reference
    var rng: SplitMix64
    /// Indices of communes in big cities (a third of the establishments go there).
    let bigCities: [Int]

    public init(settings: Settings, reference: ProspectGenerator.Reference) {
        self.settings = settings
        self.reference = reference
        rng = SplitMix64(seed: settings.seed)
        let big: Set<String> = ["75", "69", "13", "31", "33", "44", "59", "67", "06", "34", "35"]
        bigCities = reference.communes.indices.filter { big.contains(String(reference.communes[$0].postalCode.prefix(2))) }
    }

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }
    mutating func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

    static let syllables = ["no", "va", "tek", "bri", "co", "max", "sol", "ar", "vel", "lum", "ka", "dis", "tri", "mo",
                            "ren", "go", "pla", "neo", "fi", "ber", "ta", "lor", "ex", "pro", "ser", "vi", "zen", "al",
                            "do", "mi", "ra", "sy", "ne", "qua", "ly", "ter", "ga", "hel", "po", "ri"]
    static let signs = ["Le Fournil", "Chez", "Au Bon", "L'Atelier", "Le Comptoir", "La Maison", "Espace", "Le Relais", "Studio", "Optique"]
    static let streetTypes = [("RUE", "rue"), ("AV", "avenue"), ("BD", "boulevard"), ("PL", "place"), ("CHE", "chemin"),
                              ("ALL", "allée"), ("IMP", "impasse"), ("RTE", "route"), ("QUAI", "quai")]
    static let streetNames = ["DE LA REPUBLIQUE", "JEAN JAURES", "VICTOR HUGO", "PASTEUR", "DES ECOLES", "DU MOULIN", "DE LA GARE",
                              "GAMBETTA", "DE PARIS", "NATIONALE", "DU COMMERCE", "DES LILAS", "SAINT MARTIN", "DE LA PAIX",
                              "DU GENERAL LECLERC", "FOCH", "CARNOT", "DES TILLEULS", "DU STADE", "DE LA LIBERTE", "MOZART",
                              "DES ACACIAS", "PIERRE CURIE", "EMILE ZOLA", "ANATOLE FRANCE", "DU PORT", "DES VIGNES", "CLEMENCEAU"]
    static let bands = ["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53"]

    struct Unit {
        var siren: String
        var name: String
        var acronym: String
        var soleTrader: Bool
        var partial: Bool
        var ceased: Bool
        var naf: String
    }

    struct Establishment {
        var siret: String
        var active: Bool
        var headOffice: Bool
        var sign: String
        var number: String
        var streetType: Int
        var street: String
        var postalCode: String
        var city: String
    }

    static func checkDigit(_ prefix: String) -> String {
        for d in 0...9 where SiretNumber.luhn(Array((prefix + String(d)).utf8)) { return prefix + String(d) }
        return prefix + "0"
    }

    mutating func brand() -> String {
        var name = ""
        for _ in 0..<int(2...3) { name += pick(SireneGenerator.syllables) }
        return name.uppercased()
    }

    mutating func makeUnit(_ index: Int) -> Unit {
        // A bijection of 0..<90M onto 8-digit prefixes: every unit a distinct SIREN.
        let prefix = String(10_000_000 + (index &* 7919) % 90_000_000)
        let siren = SireneGenerator.checkDigit(prefix)
        let soleTrader = chance(0.2)
        var name: String
        var acronym = ""
        if soleTrader {
            name = ProspectGenerator.surnames[int(0...(ProspectGenerator.surnames.count - 1))].0.uppercased() + " " + pick(reference.firstNames).uppercased()
        } else if chance(0.5) {
            name = brand() + (chance(0.3) ? " " + pick(["CONSEIL", "SERVICES", "INDUSTRIE", "GROUPE", "FRANCE", "DISTRIBUTION"]) : "")
        } else {
            name = pick(ProspectGenerator.activities).uppercased() + " " + ProspectGenerator.surnames[int(0...(ProspectGenerator.surnames.count - 1))].0.uppercased()
                + (chance(0.3) ? " " + pick(["ET FILS", "ET ASSOCIES", "SERVICES", "OUEST", "SUD", "CONSEIL"]) : "")
            if chance(0.15) { acronym = String(name.split(separator: " ").compactMap(\.first)) }
        }
        name = AccentFolding.key(name).uppercased()
        return Unit(siren: siren, name: name, acronym: acronym, soleTrader: soleTrader, partial: soleTrader && chance(0.1),
                    ceased: chance(0.12), naf: pick(reference.nafCodes))
    }

    mutating func makeEstablishment(_ unit: Unit, nic: Int, headOffice: Bool) -> Establishment {
        let commune = chance(0.35) && !bigCities.isEmpty ? reference.communes[pick(bigCities)] : pick(reference.communes)
        return Establishment(
            siret: SireneGenerator.checkDigit(unit.siren + String(format: "%04d", nic)),
            active: !unit.ceased && (headOffice || chance(0.8)), headOffice: headOffice,
            sign: chance(0.2) ? pick(SireneGenerator.signs).uppercased() + " " + brand() : "",
            number: String(int(1...180)), streetType: int(0...(SireneGenerator.streetTypes.count - 1)),
            street: pick(SireneGenerator.streetNames), postalCode: commune.postalCode,
            city: AccentFolding.key(commune.city).uppercased())
    }

    // MARK: - Writing

    /// Writes `StockEtablissement_utf8.csv`, `StockUniteLegale_utf8.csv`, `prospects.csv` and
    /// `truth.csv` (id, truth, siret) into `directory`.
    public mutating func write(to directory: String) throws -> Counts {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let establishments = try BufferedFile(directory + "/StockEtablissement_utf8.csv")
        let units = try BufferedFile(directory + "/StockUniteLegale_utf8.csv")
        let prospects = try BufferedFile(directory + "/prospects.csv")
        let truth = try BufferedFile(directory + "/truth.csv")
        try establishments.line(SireneGenerator.establishmentHeader)
        try units.line(SireneGenerator.unitHeader)
        try prospects.line(SireneGenerator.prospectHeader)
        try truth.line("id,truth,siret")
        var counts = Counts()
        let prospectRate = Double(settings.prospects) / Double(max(1, settings.establishments))
        var unitIndex = 0
        while counts.establishments < settings.establishments {
            let unit = makeUnit(unitIndex)
            unitIndex += 1
            let roll = int(0...99)
            let count = roll < 72 ? 1 : roll < 88 ? 2 : roll < 96 ? int(3...5) : int(6...20)
            var list: [Establishment] = []
            for n in 0..<count { list.append(makeEstablishment(unit, nic: n + 1, headOffice: n == 0)) }
            let head = list[0]
            try units.line(unitRow(unit, headNIC: String(head.siret.suffix(5))))
            for e in list {
                try establishments.line(establishmentRow(e, unit: unit))
                counts.establishments += 1
                if chance(prospectRate) {
                    try prospect(of: e, unit: unit, id: counts.prospects, prospects: prospects, truth: truth)
                    counts.prospects += 1
                }
            }
        }
        counts.units = unitIndex
        try establishments.close()
        try units.close()
        try prospects.close()
        try truth.close()
        return counts
    }

    func unitRow(_ u: Unit, headNIC: String) -> String {
        let diffusion = u.partial ? "P" : "O"
        var cells = [String](repeating: "", count: 34)
        cells[0] = u.siren; cells[1] = diffusion; cells[3] = "2005-01-01"; cells[4] = u.acronym
        cells[13] = u.soleTrader ? "NN" : "11"; cells[15] = "2026-10-31T12:00:00"; cells[17] = u.soleTrader ? "" : "PME"
        cells[20] = u.ceased ? "C" : "A"
        if u.soleTrader {
            let parts = u.name.split(separator: " ", maxSplits: 1).map(String.init)
            cells[21] = u.partial ? "[ND]" : parts[0]
            cells[6] = u.partial ? "[ND]" : (parts.count > 1 ? parts[1] : "")
        } else {
            cells[23] = u.name
        }
        cells[27] = u.soleTrader ? "1000" : "5710"; cells[28] = u.naf; cells[29] = "NAFRev2"; cells[30] = headNIC
        return cells.joined(separator: ",")
    }

    func establishmentRow(_ e: Establishment, unit u: Unit) -> String {
        var cells = [String](repeating: "", count: 53)
        let masked = u.partial
        cells[0] = u.siren; cells[1] = String(e.siret.suffix(5)); cells[2] = e.siret; cells[3] = masked ? "P" : "O"
        cells[4] = "2010-06-01"; cells[5] = "11"; cells[8] = "2026-10-31T12:00:00"; cells[9] = e.headOffice ? "true" : "false"
        cells[12] = masked ? "[ND]" : e.number; cells[16] = masked ? "[ND]" : SireneGenerator.streetTypes[e.streetType].0
        cells[17] = masked ? "[ND]" : e.street; cells[18] = e.postalCode; cells[19] = e.city
        cells[44] = e.active ? "2010-06-01" : "2023-12-31"; cells[45] = e.active ? "A" : "F"; cells[46] = e.sign
        cells[50] = u.naf; cells[51] = "NAFRev2"; cells[52] = "O"
        return cells.map { $0.contains(",") ? "\"" + $0 + "\"" : $0 }.joined(separator: ",")
    }

    /// One prospect of establishment `e`, with its truth.
    mutating func prospect(of e: Establishment, unit u: Unit, id: Int,
                           prospects: BufferedFile, truth: BufferedFile) throws {
        let pid = "P\(id)"
        let email = "contact\(id)@" + brand().lowercased() + ".fr"
        var siret = "", siren = ""
        var kind: Truth
        var truthSiret = e.siret
        let findable = e.active && !u.partial && !u.ceased
        var roll = int(0...99)
        // Only open establishments of active companies can be found by name: the others keep
        // their SIRET.
        if roll >= 67 && !findable { roll = int(0...54) }
        if roll < 55 {
            siret = e.siret
            kind = u.partial ? .partial : e.active ? .active : u.ceased ? .defunct : .closed
            if roll < 3 {
                // A well-formed SIRET nobody registered.
                // SIREN prefixes of registered units are 10000000…99999999: a leading 0 is free.
                let siren = SireneGenerator.checkDigit("0" + String(format: "%07d", int(0...9_999_999)))
                siret = SireneGenerator.checkDigit(siren + String(format: "%04d", int(1...9999)))
                kind = .unknown
                truthSiret = ""
            }
        } else if roll < 62 && findable {
            siren = u.siren
            kind = .sirenOnly
        } else if roll < 67 {
            kind = .absent
            truthSiret = ""
        } else {
            kind = .findable
        }
        var name = u.name
        if kind == .absent {
            name = pick(ProspectGenerator.activities).uppercased() + " " + brand()  // not in the register
        } else if !e.sign.isEmpty && chance(0.5) {
            name = e.sign
        } else if !u.acronym.isEmpty && chance(0.3) {
            name = u.acronym
        }
        name = damage(name)
        let streetWord = SireneGenerator.streetTypes[e.streetType].1
        var street = ""
        let s = int(0...99)
        if s < 55 { street = "\(e.number) \(streetWord) \(e.street.capitalized)" }
        else if s < 65 { street = "\(e.number), \(streetWord.capitalized) \(e.street.lowercased())" }
        else if s < 72 { street = "\(int(1...180)) \(streetWord) \(e.street.capitalized)" }
        var postal = e.postalCode
        if chance(0.03) { postal = pick(reference.communes).postalCode }
        try prospects.line([pid, name, siret, siren, street, postal, e.city.capitalized, email].map { $0.replacingOccurrences(of: ";", with: " ") }.joined(separator: ";"))
        try truth.line("\(pid),\(kind.rawValue),\(truthSiret)")
    }

    /// Case, legal form, accents and typos as prospects write company names.
    mutating func damage(_ name: String) -> String {
        var text = name
        let r = int(0...99)
        if r < 50 { text = text.capitalized } else if r < 60 { text = text.lowercased() }
        if chance(0.3) { text += " " + pick(["SARL", "SAS", "S.A.R.L.", "SA", "EURL"]) }
        if chance(0.08), text.count > 6 {
            var chars = Array(text)
            let i = int(1...(chars.count - 2))
            if chance(0.5) { chars.remove(at: i) } else { chars.swapAt(i, i + 1) }
            text = String(chars)
        }
        return text
    }
}

/// Lines appended to a file (TamisIO's `OutputFile`) through a 4 MiB buffer.
final class BufferedFile {
    let file: OutputFile
    var buffer: [UInt8] = []

    init(_ path: String) throws {
        file = try OutputFile(path: path, mode: 0o644)
        buffer.reserveCapacity(1 << 22)
    }

    func line(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 22 { try flush() }
    }

    func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try file.close()
    }
}
