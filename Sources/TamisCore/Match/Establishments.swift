/// The establishment level: the golden records (people) grouped by the establishment they
/// work at. An establishment is known by its valid SIRET; without one, by company name and
/// postal code — and a contact without a SIRET joins the establishment whose SIRET-bearing
/// contacts have the same company name and postal code. People are matched within and
/// across establishments by the person-level matcher; this names the establishment each
/// golden record belongs to (`establishment_id`), for exports and account-based targeting.
public enum Establishments {
    /// Sets `establishment_id` on every golden record; returns how many establishments.
    ///
    /// Works on bytes: an establishment is the 64-bit stable hash its ID is written from
    /// (`E` + 16 hex digits of the hash of `siret:<digits>` or `name:<folded company>|<postal>`),
    /// company keys are looked up in a byte-string table (Strings per record cost 3 s for
    /// 600,000 golden records).
    @discardableResult
    public static func assign(_ state: inout RunState) -> Int {
        let none = UInt64.max
        var ids = [UInt64](repeating: none, count: state.golden.count)
        var byCompany = ByteStringSet(capacity: 1024)  // folded company|postal code → index in `named`
        var named: [UInt64] = []
        var key: [UInt8] = []
        /// `<folded company>|<postal code>` in `key`, or false when either is missing.
        func companyKey(_ g: GoldenRecord) -> Bool {
            key.removeAll(keepingCapacity: true)
            let postal = g.fields.valueRange(CanonicalField.postalCode.rawValue)
            guard !postal.isEmpty, !g.fields.isEmpty(CanonicalField.companyName.rawValue) else { return false }
            g.fields.withBytes(CanonicalField.companyName.rawValue) { AccentFolding.fold($0, into: &key) }
            guard !key.isEmpty else { return false }
            key.append(0x7C)  // |
            g.fields.withBytes(CanonicalField.postalCode.rawValue) { key.append(contentsOf: $0) }
            return true
        }
        func hash(_ prefix: String, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var hash = StableHash()
            hash.combine(prefix.utf8)
            hash.combine(bytes)
            hash.endText()  // the hash of the text prefix + bytes
            return hash.value
        }
        // First the contacts with a valid SIRET: they name the establishment.
        for (g, golden) in state.golden.enumerated() {
            let establishment: UInt64? = golden.fields.withBytes(CanonicalField.siret.rawValue) { digits in
                digits.count == 14 && SiretNumber.isValidSiret(digits) ? hash("siret:", digits) : nil
            }
            guard let establishment else { continue }
            ids[g] = establishment
            if companyKey(golden) {
                key.withUnsafeBufferPointer { key in
                    if !byCompany.contains(key) {
                        byCompany.insert(key, value: named.count)
                        named.append(establishment)
                    }
                }
            }
        }
        // Then the others, by company name and postal code.
        for (g, golden) in state.golden.enumerated() where ids[g] == none {
            guard companyKey(golden) else { continue }
            ids[g] = key.withUnsafeBufferPointer { key in
                if let known = byCompany.value(key) { return named[known] }
                let establishment = hash("name:", key)
                byCompany.insert(key, value: named.count)
                named.append(establishment)
                return establishment
            }
        }
        // Each golden record's ID written in place, on all cores (each worker its own records).
        let assigned = ids
        state.golden.withUnsafeMutableBufferPointer { buffer in
            let golden = SharedBuffer(buffer)
            ParallelLoop.run(assigned.count, chunk: 4096) { chunk in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 17) { text in
                    text[0] = UInt8(ascii: "E")
                    let id = UnsafeBufferPointer(text)
                    for g in chunk where assigned[g] != none {
                        StableHash.writeHex(assigned[g], into: UnsafeMutableBufferPointer(rebasing: text[1..<17]))
                        golden.buffer[g].fields = golden.buffer[g].fields.replacing(CanonicalField.establishmentID.rawValue, with: id)
                    }
                }
            }
        }
        return Set(ids.lazy.filter { $0 != none }).count
    }
}
