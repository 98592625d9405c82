import Foundation
import TamisCore

/// Synthetic French B2B prospects with ground truth, for measuring matching quality on data
/// the matcher was not tuned on, at any size.
///
/// Companies have valid SIRETs (Luhn), real NAF codes and real postal codes; contacts have
/// French first names and a frequency-skewed surname distribution (many Martin, few Kerjean).
/// Each person appears in one to several sources with realistic damage: typos, dropped
/// accents, upper case, swapped first/last names, missing or private e-mails, other phone
/// formats, legal forms added or dropped, lost leading zeros, missing SIRETs. Hard negatives:
/// namesakes in other companies, colleagues sharing a switchboard, sister establishments of
/// one SIREN. Off-target entries (students, test entries) are marked in the truth.
public struct ProspectGenerator {
    public struct Settings: Sendable {
        public var people: Int
        public var seed: UInt64 = 2026
        /// Probability that a person has 0, 1, 2, 3 extra records.
        public var duplicates: [Double] = [0.55, 0.28, 0.12, 0.05]
        public var namesakeRate = 0.04
        public var offTargetRate = 0.03

        public init(people: Int, seed: UInt64 = 2026) {
            self.people = people
            self.seed = seed
        }
    }

    /// Columns of every generated record (the sources' headers are French variants of these).
    public static let columns = ["civility", "first_name", "last_name", "job_title", "email", "phone", "mobile",
                                 "company_name", "siret", "naf", "address_line1", "postal_code", "city", "captured_at"]

    public struct Record: Sendable {
        /// 0 = trade-show Excel file, 1 = webinar export, 2 = CRM XML.
        public var source: Int
        public var id: String
        /// Same entity ⇔ same person (truth); -1 for off-target entries.
        public var entity: Int
        public var kind: String
        public var values: [String]
    }

    public struct Reference: Sendable {
        public var communes: [(postalCode: String, city: String)]
        public var nafCodes: [String]
        public var firstNames: [String]

        public init(communes: [(postalCode: String, city: String)], nafCodes: [String], firstNames: [String]) {
            self.communes = communes
            self.nafCodes = nafCodes
            self.firstNames = firstNames
        }
    }

    struct Company {
        var name: String
        var form: String
        var siren: String
        var siret: String
        var naf: String
        var postalCode: String
        var city: String
        var street: String
        var phone: String
        var domain: String
    }

    struct Person {
        var civility: String
        var first: String
        var last: String
        var title: String
        var company: Int
        var email: String
        var phone: String
        var mobile: String
    }

    public let settings: Settings
    let reference: Reference
    var rng: SplitMix64

    public init(settings: Settings, reference: Reference) {
        self.settings = settings
        self.reference = reference
        rng = SplitMix64(seed: settings.seed)
    }

    static let surnames: [(String, Int)] = [
        ("Martin", 60), ("Bernard", 30), ("Dubois", 28), ("Thomas", 27), ("Robert", 25), ("Richard", 24), ("Petit", 24),
        ("Durand", 23), ("Leroy", 22), ("Moreau", 22), ("Simon", 21), ("Laurent", 21), ("Lefèvre", 20), ("Michel", 20),
        ("Garcia", 18), ("David", 17), ("Bertrand", 17), ("Roux", 16), ("Vincent", 16), ("Fournier", 15), ("Morel", 15),
        ("Girard", 14), ("André", 14), ("Lefebvre", 14), ("Mercier", 13), ("Dupont", 13), ("Lambert", 13), ("Bonnet", 12),
        ("François", 12), ("Martinez", 12), ("Legrand", 11), ("Garnier", 11), ("Faure", 11), ("Rousseau", 11), ("Blanc", 10),
        ("Guérin", 10), ("Muller", 10), ("Henry", 10), ("Roussel", 9), ("Nicolas", 9), ("Perrin", 9), ("Morin", 9),
        ("Mathieu", 9), ("Clément", 8), ("Gauthier", 8), ("Dumont", 8), ("Lopez", 8), ("Fontaine", 8), ("Chevalier", 8),
        ("Robin", 8), ("Masson", 7), ("Sanchez", 7), ("Gérard", 7), ("Nguyen", 7), ("Boyer", 7), ("Denis", 7), ("Lemaire", 7),
        ("Duval", 6), ("Joly", 6), ("Gautier", 6), ("Roger", 6), ("Roche", 6), ("Roy", 6), ("Noël", 6), ("Meyer", 6),
        ("Lucas", 6), ("Meunier", 6), ("Jean", 5), ("Pérez", 5), ("Marchand", 5), ("Dufour", 5), ("Blanchard", 5),
        ("Gillet", 4), ("Chevallier", 4), ("Brun", 4), ("Château", 3), ("Dupré", 3), ("Lefeuvre", 3), ("Le Gall", 3),
        ("Le Goff", 3), ("Kerjean", 2), ("Quéméner", 2), ("Ollivier", 2), ("Bœuf", 2), ("Da Silva", 3), ("De La Fontaine", 2),
        ("D'Arvor", 1), ("Abgrall", 1), ("Zimmermann", 2), ("Haddad", 3), ("Benali", 3), ("Diallo", 3), ("Traoré", 2),
    ]
    static let activities = ["Boulangerie", "Transports", "Cabinet", "Ateliers", "Pharmacie", "Bâtiment", "Conseil",
                             "Imprimerie", "Garage", "Menuiserie", "Informatique", "Plomberie", "Électricité", "Agence",
                             "Laboratoire", "Librairie", "Hôtel", "Clinique", "Expertise", "Logistique"]
    static let suffixes = ["", "", "", "et Fils", "et Associés", "Services", "Industrie", "Conseil", "Ouest", "Sud", "Distribution"]
    static let forms = ["SAS", "SARL", "SA", "EURL", "SASU", "SNC", "", ""]
    static let streets = ["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "place de la Mairie",
                          "chemin des Vignes", "allée des Sciences", "impasse du Moulin", "rue Pasteur", "rue Victor Hugo",
                          "route de Lyon", "avenue du Général de Gaulle", "rue des Écoles"]
    static let titles = ["Gérant", "Gérante", "Directeur commercial", "Directrice commerciale", "Responsable achats",
                         "DAF", "Assistante de direction", "Directeur technique", "Comptable", "Président", "DRH",
                         "Chef de projet", "Ingénieur commercial", "Responsable qualité"]
    static let freeMail = ["gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "hotmail.fr", "yahoo.fr", "laposte.net", "sfr.fr"]

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }
    mutating func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

    lazy var surnameTable: [String] = ProspectGenerator.surnames.flatMap { Array(repeating: $0.0, count: $0.1) }

    static func luhnDigit(_ digits: [Int]) -> Int {
        // The check digit that makes the whole number pass Luhn.
        for d in 0...9 where luhnValid(digits + [d]) { return d }
        return 0
    }

    static func luhnValid(_ digits: [Int]) -> Bool {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            let v = i % 2 == 1 ? d * 2 : d
            sum += v > 9 ? v - 9 : v
        }
        return sum % 10 == 0
    }

    mutating func siren() -> String {
        var digits = [int(1...9)] + (0..<7).map { _ in int(0...9) }
        digits.append(ProspectGenerator.luhnDigit(digits))
        return digits.map(String.init).joined()
    }

    static func siret(siren: String, nic: Int) -> String {
        var digits = siren.compactMap { $0.wholeNumberValue }
        let nicDigits = String(nic).leftPadded(4).compactMap { $0.wholeNumberValue }
        digits += nicDigits
        digits.append(luhnDigit(digits))
        return digits.map(String.init).joined()
    }

    mutating func frenchPhone(mobile: Bool) -> String {
        let prefix = mobile ? pick(["6", "7"]) : pick(["1", "2", "3", "4", "5", "9"])
        return "0" + prefix + (0..<4).map { _ in String(int(0...99)).leftPadded(2) }.joined()
    }

    static func plain(_ s: String) -> String {
        AccentFolding.key(s).replacingSpaces(with: "")
    }

    /// Generates the records, sources assigned, in a shuffled order.
    public mutating func generate() -> [Record] {
        let companyCount = max(1, settings.people / 4)
        var companies: [Company] = []
        for c in 0..<companyCount {
            let (cp, city) = pick(reference.communes)
            let last = pick(surnameTable)
            let name = "\(pick(ProspectGenerator.activities)) \(last) \(pick(ProspectGenerator.suffixes))".trimmingSpaces()
            var siren = self.siren()
            var nic = int(1...99)
            // Sister establishments: the same SIREN elsewhere.
            if c > 0 && chance(0.08) {
                siren = companies[c - 1].siren
                nic = Int(companies[c - 1].siret.suffix(5).prefix(4))! + int(1...30)
            }
            let domain = ProspectGenerator.plain(name).prefix(18) + "\(c % 97).fr"
            companies.append(Company(name: name, form: pick(ProspectGenerator.forms), siren: siren,
                                     siret: ProspectGenerator.siret(siren: siren, nic: nic), naf: pick(reference.nafCodes),
                                     postalCode: cp, city: city, street: "\(int(1...180)) \(pick(ProspectGenerator.streets))",
                                     phone: frenchPhone(mobile: false), domain: String(domain)))
        }
        var people: [Person] = []
        for p in 0..<settings.people {
            var first = pick(reference.firstNames)
            var last = pick(surnameTable)
            let company = p < companyCount ? p : int(0...(companyCount - 1))
            if p > 0 && chance(settings.namesakeRate) {  // a namesake: someone else with the same name, elsewhere
                let other = people[int(0...(p - 1))]
                if companies[other.company].siren != companies[company].siren {
                    first = other.first
                    last = other.last
                }
            }
            let c = companies[company]
            let local = ProspectGenerator.plain(first) + "." + ProspectGenerator.plain(last)
            let email = chance(0.12) ? "\(local)\(int(1...99))@\(pick(ProspectGenerator.freeMail))" : "\(local)@\(c.domain)"
            people.append(Person(civility: chance(0.5) ? "M." : "Mme", first: first, last: last,
                                 title: pick(ProspectGenerator.titles), company: company, email: email,
                                 phone: chance(0.5) ? c.phone : frenchPhone(mobile: false),   // colleagues share the switchboard
                                 mobile: chance(0.4) ? frenchPhone(mobile: true) : ""))
        }
        var records: [Record] = []
        var ids = [0, 0, 0]
        func nextID(_ source: Int) -> String {
            ids[source] += 1
            return ["SL-", "hs-", "CRM-"][source] + String(ids[source])
        }
        for (entity, person) in people.enumerated() {
            let roll = Double(rng.next() % 1000) / 1000
            var extra = 0, acc = 0.0
            for (k, p) in settings.duplicates.enumerated() {
                acc += p
                if roll < acc { extra = k; break }
                extra = k
            }
            var sources = [int(0...2)]
            for _ in 0..<extra { sources.append(int(0...2)) }
            for (n, source) in sources.enumerated() {
                let values = render(person, companies[person.company], damaged: n > 0)
                records.append(Record(source: source, id: nextID(source), entity: entity, kind: "person", values: values))
            }
        }
        let offTarget = Int(Double(settings.people) * settings.offTargetRate)
        for k in 0..<offTarget {
            let source = int(0...2)
            let (cp, city) = pick(reference.communes)
            var values: [String]
            if k % 2 == 0 {
                let first = pick(reference.firstNames), last = pick(surnameTable)
                values = ["", first, last, "Étudiant en master", "\(ProspectGenerator.plain(first)).\(ProspectGenerator.plain(last))@etu.univ-lyon\(int(1...3)).fr",
                          "", frenchPhone(mobile: true), "Université de Lyon", "", "", "", cp, city, "2026-10-0\(int(1...9))"]
            } else {
                values = ["", "Test", "TEST", "", "test\(k)@test.com", "0102030405", "", "Société Test", "", "", "", cp, city, "2026-10-01"]
            }
            records.append(Record(source: source, id: nextID(source), entity: -1, kind: k % 2 == 0 ? "student" : "test_entry", values: values))
        }
        // Shuffle (Fisher-Yates), so duplicates are not adjacent in files.
        for i in stride(from: records.count - 1, to: 0, by: -1) {
            records.swapAt(i, int(0...i))
        }
        return records
    }

    mutating func typo(_ s: String) -> String {
        var chars = Array(s)
        guard chars.count > 3 else { return s }
        let i = int(1...(chars.count - 2))
        switch int(0...3) {
        case 0: chars.remove(at: i)
        case 1: chars.swapAt(i, i + 1)
        case 2: chars.insert(chars[i], at: i)
        default: chars[i] = pick(Array("aeioustrnl"))
        }
        return String(chars)
    }

    mutating func render(_ p: Person, _ c: Company, damaged: Bool) -> [String] {
        var first = p.first, last = p.last, email = p.email, phone = p.phone, mobile = p.mobile
        var company = c.form.isEmpty ? c.name : "\(c.name) \(c.form)"
        var siret = c.siret, postal = c.postalCode, title = p.title, address = c.street
        if damaged {
            if chance(0.12) { first = typo(first) }
            if chance(0.12) { last = typo(last) }
            if chance(0.3) { last = last.uppercased() }
            if chance(0.25) { first = AccentFolding.key(first, keepPunctuation: true).capitalizedFirst() }
            if chance(0.04) { swap(&first, &last) }
            if chance(0.05) { first = String(first.prefix(1)) + "." }
            if chance(0.3) { email = "" } else if chance(0.12) {
                email = "\(ProspectGenerator.plain(p.first)).\(ProspectGenerator.plain(p.last))\(int(1...99))@\(pick(ProspectGenerator.freeMail))"
            } else if chance(0.3) { email = email.uppercased() }
            if chance(0.3) { phone = "" } else if chance(0.5) { phone = ProspectGenerator.formatted(phone, int(0...3)) }
            if chance(0.3) { mobile = "" }
            if chance(0.3) { company = c.name } else if chance(0.1) { company = "Sté " + company } else if chance(0.05) { company = typo(company) }
            if chance(0.5) { siret = "" } else if chance(0.1) { siret = String(siret.prefix(9)) }
            if postal.hasPrefix("0") && chance(0.3) { postal = String(postal.dropFirst()) }
            if chance(0.2) { title = pick(ProspectGenerator.titles) }
            if chance(0.3) { address = address.replacingFirst("avenue", with: "av.").replacingFirst("boulevard", with: "bd") }
        }
        return [p.civility, first, last, title, email, phone, mobile, company, siret, c.naf, address, postal, c.city,
                "2026-\(String(int(1...10)).leftPadded(2))-\(String(int(1...28)).leftPadded(2))"]
    }

    static func formatted(_ phone: String, _ style: Int) -> String {
        let digits = Array(phone)
        switch style {
        case 0: return stride(from: 0, to: 10, by: 2).map { String(digits[$0..<($0 + 2)]) }.joined(separator: " ")
        case 1: return stride(from: 0, to: 10, by: 2).map { String(digits[$0..<($0 + 2)]) }.joined(separator: ".")
        case 2: return "+33 " + String(digits[1]) + " " + stride(from: 2, to: 10, by: 2).map { String(digits[$0..<($0 + 2)]) }.joined(separator: " ")
        default: return "0033" + String(digits.dropFirst())
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }

    func replacingSpaces(with replacement: String) -> String { split(separator: " ").joined(separator: replacement) }

    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    func capitalizedFirst() -> String { prefix(1).uppercased() + dropFirst() }

    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
