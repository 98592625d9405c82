/// The establishment level: the golden records (people) grouped by the establishment they
/// work at. An establishment is known by its valid SIRET; without one, by company name and
/// postal code — and a contact without a SIRET joins the establishment whose SIRET-bearing
/// contacts have the same company name and postal code. People are matched within and
/// across establishments by the person-level matcher; this names the establishment each
/// golden record belongs to (`establishment_id`), for exports and account-based targeting.
public enum Establishments {
    /// Sets `establishment_id` on every golden record; returns how many establishments.
    @discardableResult
    public static func assign(_ state: inout RunState) -> Int {
        var byCompany: [String: String] = [:]   // folded company + postal code → establishment
        var ids = [String?](repeating: nil, count: state.golden.count)
        func companyKey(_ g: GoldenRecord) -> String? {
            guard let company = g[.companyName], let postal = g[.postalCode] else { return nil }
            let folded = AccentFolding.key(company)
            return folded.isEmpty ? nil : folded + "|" + postal
        }
        func id(_ text: String) -> String {
            var hash = StableHash()
            hash.combine(text)
            return "E" + hash.hex
        }
        // First the contacts with a valid SIRET: they name the establishment.
        for (g, golden) in state.golden.enumerated() {
            let digits = golden.fields.bytes(CanonicalField.siret.rawValue)
            guard digits.count == 14, SiretNumber.isValidSiret(digits) else { continue }
            let establishment = id("siret:" + String(decoding: digits, as: UTF8.self))
            ids[g] = establishment
            if let key = companyKey(golden), byCompany[key] == nil { byCompany[key] = establishment }
        }
        // Then the others, by company name and postal code.
        for (g, golden) in state.golden.enumerated() where ids[g] == nil {
            guard let key = companyKey(golden) else { continue }
            if let known = byCompany[key] { ids[g] = known } else {
                let establishment = id("name:" + key)
                byCompany[key] = establishment
                ids[g] = establishment
            }
        }
        var distinct = Set<String>()
        for (g, value) in ids.enumerated() {
            guard let value else { continue }
            distinct.insert(value)
            state.golden[g].fields = state.golden[g].fields.replacing(CanonicalField.establishmentID.rawValue, with: Array(value.utf8))
        }
        return distinct.count
    }
}
