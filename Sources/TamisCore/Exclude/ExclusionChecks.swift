/// A built-in check that marks a record as off-target.
public protocol ExclusionCheck: Sendable {
    /// Rule name in lineage (`students`, `competitors`…).
    var name: String { get }
    /// Reason code in lineage and `excluded.csv` (`student`, `competitor`…).
    var reasonCode: String { get }
    func matches(_ record: ProspectRecord) -> Bool
    /// Whether an excluded record's personal data is erased from the base (retention), rather
    /// than kept with its reason (opt-outs, competitors…).
    var purges: Bool { get }
}

extension ExclusionCheck {
    public var purges: Bool { false }
}

/// Folded value of a field ("Étudiante" → "etudiante"), or "" when missing.
func folded(_ record: ProspectRecord, _ field: CanonicalField) -> String {
    var out: [UInt8] = []
    record.value.withBytes(field.rawValue) { AccentFolding.fold($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
}

/// Students and trainees: by job title, or by a student e-mail sub-domain.
public struct StudentCheck: ExclusionCheck {
    public let name = "students"
    public let reasonCode = "student"
    static let titleWords: Set<String> = ["etudiant", "etudiante", "etudiants", "stagiaire", "stagiaires", "alternant",
                                          "alternante", "apprenti", "apprentie", "intern", "internship", "student",
                                          "trainee", "eleve", "doctorant", "doctorante", "apprentissage", "alternance"]
    static let studentSubdomains: [String] = ["etu.", "etud.", "etudiant.", "etudiants.", "student.", "students.", "stud.", "edu."]

    public init() {}

    public func matches(_ record: ProspectRecord) -> Bool {
        let title = folded(record, .jobTitle)
        if !title.isEmpty && title.split(separator: " ").contains(where: { StudentCheck.titleWords.contains(String($0)) }) {
            return true
        }
        guard let domain = record[.emailDomain] else { return false }
        // Student mailboxes: etu.univ-xxx.fr, etudiant.xxx.fr, xxx.etu.univ-yyy.fr, and *.edu (US universities).
        if StudentCheck.studentSubdomains.contains(where: { domain.hasPrefix($0) || domain.contains("." + $0) }) { return true }
        return false
    }
}

/// Test and fake entries: "test", "aaa", "xxx", "asdf", "Mickey Mouse", repeated characters,
/// example.com-style domains.
public struct TestEntryCheck: ExclusionCheck {
    public let name = "test_entries"
    public let reasonCode = "test_entry"
    static let fakeWords: Set<String> = ["test", "tests", "testing", "essai", "aaa", "xxx", "xx", "asdf", "qwerty", "azerty",
                                         "toto", "titi", "tata", "foo", "bar", "dummy", "fake", "nobody", "personne",
                                         "anonyme", "anonymous", "inconnu", "unknown", "n a", "na", "nc", "none", "null", "zzz"]
    static let fakePeople: Set<String> = ["mickey mouse", "donald duck", "john doe", "jane doe", "jean dupont test", "bob l eponge"]
    static let fakeDomains: Set<String> = ["example.com", "example.org", "example.net", "example.fr", "test.com", "test.fr",
                                           "domain.com", "email.com", "mail.com", "xxx.com", "aaa.com", "toto.fr", "toto.com",
                                           "localhost", "invalid", "mailinator.com", "exemple.fr", "exemple.com"]

    public init() {}

    public func matches(_ record: ProspectRecord) -> Bool {
        let first = folded(record, .firstName), last = folded(record, .lastName), company = folded(record, .companyName)
        for value in [first, last, company] where !value.isEmpty {
            if TestEntryCheck.fakeWords.contains(value) || TestEntryCheck.isRepeated(value) { return true }
        }
        if TestEntryCheck.fakePeople.contains("\(first) \(last)") { return true }
        if let domain = record[.emailDomain], TestEntryCheck.fakeDomains.contains(domain) || domain.hasSuffix(".test") || domain.hasSuffix(".example") {
            return true
        }
        if let email = record[.email], let local = email.split(separator: "@").first, TestEntryCheck.fakeWords.contains(String(local)) {
            return true
        }
        return false
    }

    /// "aaaa", "zzzzz", "a a a": one character repeated (three or more times).
    static func isRepeated(_ value: String) -> Bool {
        let letters = value.filter { $0 != " " }
        guard letters.count >= 3, let first = letters.first else { return false }
        return letters.allSatisfy { $0 == first }
    }
}

/// No valid e-mail and no valid phone: sales cannot reach the prospect.
public struct UncontactableCheck: ExclusionCheck {
    public let name = "uncontactable"
    public let reasonCode = "uncontactable"

    public init() {}

    public func matches(_ record: ProspectRecord) -> Bool {
        func usable(_ field: CanonicalField) -> Bool {
            let status = record.quality(field).status
            return status == .valid || status == .repaired
        }
        return !usable(.email) && !usable(.phone) && !usable(.mobile)
    }
}

/// Records whose last activity is older than the retention period (CNIL guidance for B2B
/// prospects: three years after the last contact).
public struct RetentionCheck: ExclusionCheck {
    public let name = "retention"
    public let reasonCode = "retention"
    /// Past the retention period, the data is erased from the base: lineage keeps only where
    /// the record came from and why it went.
    public var purges: Bool { true }
    public var field: CanonicalField
    public var months: Int
    /// The run's date, as days since 0001-01-01 (explicit, so runs are reproducible).
    public var today: Int

    public init(field: CanonicalField = .capturedAt, months: Int, today: SimpleDate) {
        self.field = field
        self.months = months
        self.today = today.dayNumber
    }

    public func matches(_ record: ProspectRecord) -> Bool {
        guard let text = record[field], let date = SimpleDate(parsing: text) else { return false }
        let limit = SimpleDate(dayNumber: today).adding(months: -months)
        return date.dayNumber < limit.dayNumber
    }
}

/// A calendar date without time zones, parsed from the forms found in exports.
public struct SimpleDate: Sendable, Equatable, Comparable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `2026-03-12`, `2026-03-12T10:00:00Z`, `12/03/2026`, `12-03-2026`, `12.03.2026` (French day-first).
    public init?(parsing text: String) {
        let digits = text.split(whereSeparator: { !$0.isNumber }).map(String.init)
        guard digits.count >= 3, let a = Int(digits[0]), let b = Int(digits[1]), let c = Int(digits[2]) else { return nil }
        if digits[0].count == 4 { (year, month, day) = (a, b, c) }
        else if digits[2].count == 4 { (year, month, day) = (c, b, a) }
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), (1900...2200).contains(year) else { return nil }
    }

    public init(dayNumber: Int) {
        var y = 1, remaining = dayNumber
        while remaining >= SimpleDate.daysInYear(y) { remaining -= SimpleDate.daysInYear(y); y += 1 }
        var m = 1
        while remaining >= SimpleDate.daysInMonth(y, m) { remaining -= SimpleDate.daysInMonth(y, m); m += 1 }
        self.init(year: y, month: m, day: remaining + 1)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    static func daysInYear(_ y: Int) -> Int { isLeap(y) ? 366 : 365 }
    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    /// Days since 0001-01-01.
    public var dayNumber: Int {
        let y = year - 1
        var days = y * 365 + y / 4 - y / 100 + y / 400
        for m in 1..<month { days += SimpleDate.daysInMonth(year, m) }
        return days + day - 1
    }

    /// The same day `months` later (or earlier), clamped to the month's length.
    public func adding(months: Int) -> SimpleDate {
        let total = year * 12 + (month - 1) + months
        let y = total / 12, m = total % 12 + 1
        return SimpleDate(year: y, month: m, day: min(day, SimpleDate.daysInMonth(y, m)))
    }

    public static func < (a: SimpleDate, b: SimpleDate) -> Bool { a.dayNumber < b.dayNumber }
}
