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

/// Calls `body` with the folded bytes of a field ("Étudiante" → "etudiante"; empty when
/// missing): one small buffer, no `String`, since the checks run on every record.
func withFolded<R>(_ record: ProspectRecord, _ field: CanonicalField, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    record.value.withBytes(field.rawValue) { value in
        if value.isEmpty { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        var out: [UInt8] = []
        out.reserveCapacity(value.count + 8)
        AccentFolding.fold(value, into: &out)
        return out.withUnsafeBufferPointer(body)
    }
}

/// Students and trainees: by job title, or by a student e-mail sub-domain.
public struct StudentCheck: ExclusionCheck {
    public let name = "students"
    public let reasonCode = "student"
    static let titleWords: Set<String> = ["etudiant", "etudiante", "etudiants", "stagiaire", "stagiaires", "alternant",
                                          "alternante", "apprenti", "apprentie", "intern", "internship", "student",
                                          "trainee", "eleve", "doctorant", "doctorante", "apprentissage", "alternance"]
    static let studentSubdomains: [String] = ["etu.", "etud.", "etudiant.", "etudiants.", "student.", "students.", "stud.", "edu."]
    static let titleWordSet = ByteStringSet(titleWords)
    static let subdomainBytes = studentSubdomains.map { Array($0.utf8) }
    static let dottedSubdomainBytes = studentSubdomains.map { Array(("." + $0).utf8) }

    public init() {}

    public func matches(_ record: ProspectRecord) -> Bool {
        let byTitle = withFolded(record, .jobTitle) { title -> Bool in
            var start = 0
            for i in 0...title.count where i == title.count || title[i] == 0x20 {
                if i > start && StudentCheck.titleWordSet.contains(UnsafeBufferPointer(rebasing: title[start..<i])) { return true }
                start = i + 1
            }
            return false
        }
        if byTitle { return true }
        // Student mailboxes: etu.univ-xxx.fr, etudiant.xxx.fr, xxx.etu.univ-yyy.fr, and *.edu (US universities).
        return record.value.withBytes(CanonicalField.emailDomain.rawValue) { domain in
            if domain.isEmpty { return false }
            for (plain, dotted) in zip(StudentCheck.subdomainBytes, StudentCheck.dottedSubdomainBytes) {
                if domain.starts(with: plain) || domain.containsSubsequence(dotted) { return true }
            }
            return false
        }
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

    static let fakeWordSet = ByteStringSet(fakeWords)
    static let fakePeopleSet = ByteStringSet(fakePeople)
    static let fakeDomainSet = ByteStringSet(fakeDomains)
    static let testSuffixes = [Array(".test".utf8), Array(".example".utf8)]
    static let nameFields: [CanonicalField] = [.firstName, .lastName, .companyName]

    public func matches(_ record: ProspectRecord) -> Bool {
        // Folded first name, last name and company, on bytes (this runs on every record).
        var person: [UInt8] = []
        for field in TestEntryCheck.nameFields {
            let fake = withFolded(record, field) { value -> Bool in
                if field != .companyName {
                    if field == .lastName { person.append(0x20) }
                    person.append(contentsOf: value)
                }
                return !value.isEmpty && (TestEntryCheck.fakeWordSet.contains(value) || TestEntryCheck.isRepeated(value))
            }
            if fake { return true }
        }
        if person.withUnsafeBufferPointer({ TestEntryCheck.fakePeopleSet.contains($0) }) { return true }
        let fakeDomain = record.value.withBytes(CanonicalField.emailDomain.rawValue) { domain -> Bool in
            !domain.isEmpty && (TestEntryCheck.fakeDomainSet.contains(domain)
                                || TestEntryCheck.testSuffixes.contains { domain.count >= $0.count && domain.suffix($0.count).elementsEqual($0) })
        }
        if fakeDomain { return true }
        return record.value.withBytes(CanonicalField.email.rawValue) { email -> Bool in
            guard let at = email.firstIndex(of: 0x40) else { return false }
            return TestEntryCheck.fakeWordSet.contains(UnsafeBufferPointer(rebasing: email[..<at]))
        }
    }

    /// "aaaa", "zzzzz", "a a a": one character repeated (three or more times).
    static func isRepeated(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var first: UInt8 = 0, letters = 0
        for b in value where b != 0x20 {
            if letters == 0 { first = b } else if b != first { return false }
            letters += 1
        }
        return letters >= 3
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

    /// The oldest day still within the period.
    let limit: Int

    public init(field: CanonicalField = .capturedAt, months: Int, today: SimpleDate) {
        self.field = field
        self.months = months
        self.today = today.dayNumber
        limit = today.adding(months: -months).dayNumber
    }

    public func matches(_ record: ProspectRecord) -> Bool {
        guard let text = record[field], let date = SimpleDate(parsing: text) else { return false }
        return date.dayNumber < limit
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
        // The year from the mean length of a Gregorian year (146,097 days in 400 years), then
        // corrected by a step at most: the SIRENE checks decode a date this way per record.
        var y = Swift.max(1, dayNumber * 400 / 146_097 + 1)
        while y > 1 && SimpleDate.firstDay(of: y) > dayNumber { y -= 1 }
        while SimpleDate.firstDay(of: y + 1) <= dayNumber { y += 1 }
        var remaining = dayNumber - SimpleDate.firstDay(of: y)
        var m = 1
        while remaining >= SimpleDate.daysInMonth(y, m) { remaining -= SimpleDate.daysInMonth(y, m); m += 1 }
        self.init(year: y, month: m, day: remaining + 1)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 0001-01-01 to January 1st of `y`.
    static func firstDay(of y: Int) -> Int {
        let before = y - 1
        return before * 365 + before / 4 - before / 100 + before / 400
    }

    /// Days since 0001-01-01.
    public var dayNumber: Int {
        var days = SimpleDate.firstDay(of: year)
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
