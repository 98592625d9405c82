/// The web domain of a website or e-mail value: `https://www.Acme.fr/contact` → `acme.fr`.
public func webDomain(_ value: String) -> String? {
    var text = Substring(value.lowercased())
    if let at = text.lastIndex(of: "@") { text = text[text.index(after: at)...] }
    for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
    if text.hasPrefix("www.") { text = text.dropFirst(4) }
    if let slash = text.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == ":" }) { text = text[..<slash] }
    let domain = String(text).trimmingASCIIWhitespace()
    return domain.contains(".") && !domain.contains(" ") ? domain : nil
}

/// Company name + postal code key, for matching when no identifier is there.
func companyPostalKey(_ record: ProspectRecord) -> String? {
    guard let name = record[.companyName], let postal = record[.postalCode] else { return nil }
    let key = CompanyName.matchingKey(name)
    return key.isEmpty ? nil : key + "|" + postal
}

/// A list of companies (partners, existing customers, competitors): every contact of a listed
/// company is excluded, whichever source it came from. Matched by SIREN, SIRET, web domain
/// (of a corporate e-mail or the website), and by company name + postal code when the record
/// has no identifier.
public struct CompanyList: ExclusionCheck {
    public let name: String
    public let reasonCode: String
    var sirens: Set<String> = []
    var sirets: Set<String> = []
    var domains: Set<String> = []
    var namePostal: Set<String> = []

    /// - Parameter entries: the list's rows, normalised like any record.
    public init(name: String, reasonCode: String, entries: [ProspectRecord]) {
        self.name = name
        self.reasonCode = reasonCode
        for entry in entries {
            if let siren = entry[.siren], entry.quality(.siren).status != .invalid { sirens.insert(siren) }
            if let siret = entry[.siret], entry.quality(.siret).status != .invalid { sirets.insert(siret) }
            for field in [CanonicalField.website, .email] {
                if let value = entry[field], let domain = webDomain(value), !CompanyList.isPersonalMail(entry, field) {
                    domains.insert(domain)
                }
            }
            if let key = companyPostalKey(entry) { namePostal.insert(key) }
        }
    }

    public var isEmpty: Bool { sirens.isEmpty && sirets.isEmpty && domains.isEmpty && namePostal.isEmpty }

    static func isPersonalMail(_ record: ProspectRecord, _ field: CanonicalField) -> Bool {
        field == .email && [.freeMail, .disposable].contains(record.quality(.email).reason)
    }

    public func matches(_ record: ProspectRecord) -> Bool {
        if let siren = record[.siren], sirens.contains(siren) { return true }
        if let siret = record[.siret], sirets.contains(siret) || sirens.contains(String(siret.prefix(9))) { return true }
        if !CompanyList.isPersonalMail(record, .email), let email = record[.email], let domain = webDomain(email), domains.contains(domain) {
            return true
        }
        if let website = record[.website], let domain = webDomain(website), domains.contains(domain) { return true }
        let hasIdentifier = record[.siren] != nil || record[.siret] != nil
        if !hasIdentifier, let key = companyPostalKey(record), namePostal.contains(key) { return true }
        return false
    }
}

/// The suppression (opt-out) list: people who asked not to be contacted (RGPD right to
/// object). Matched by e-mail, phone (E.164), or first + last name + company.
public struct SuppressionList: ExclusionCheck {
    public let name: String
    public let reasonCode = "suppressed"
    var emails: Set<String> = []
    var phones: Set<String> = []
    var people: Set<String> = []

    public init(name: String, entries: [ProspectRecord]) {
        self.name = name
        for entry in entries {
            if let email = entry[.email], entry.quality(.email).status != .invalid { emails.insert(email) }
            for field in [CanonicalField.phone, .mobile] {
                if let phone = entry[field], phone.hasPrefix("+") { phones.insert(phone) }
            }
            if let key = SuppressionList.personKey(entry) { people.insert(key) }
        }
    }

    public var count: Int { emails.count + phones.count + people.count }

    static func personKey(_ record: ProspectRecord) -> String? {
        guard let first = record[.firstName], let last = record[.lastName], let company = record[.companyName] else { return nil }
        let key = CompanyName.matchingKey(company)
        guard !key.isEmpty else { return nil }
        return AccentFolding.key(first) + "|" + AccentFolding.key(last) + "|" + key
    }

    public func matches(_ record: ProspectRecord) -> Bool {
        if let email = record[.email], emails.contains(email) { return true }
        // An opted-out number is never called again, even when a colleague shares it: the
        // conservative reading of an objection.
        for field in [CanonicalField.phone, .mobile] {
            if let phone = record[field], phones.contains(phone) { return true }
        }
        if let key = SuppressionList.personKey(record), people.contains(key) { return true }
        return false
    }
}
