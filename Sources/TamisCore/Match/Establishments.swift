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
        let none = Keys.none
        let keys = Keys.make(state.golden)  // on all cores
        var ids = [UInt64](repeating: none, count: state.golden.count)
        var byCompany = ByteStringSet(capacity: 1024)  // folded company|postal code → index in `named`
        var named: [UInt64] = []
        // First the contacts with a valid SIRET: they name the establishment.
        keys.forEach { g, siret, _, key in
            guard siret != none else { return }
            ids[g] = siret
            if let key, !byCompany.contains(key) {
                byCompany.insert(key, value: named.count)
                named.append(siret)
            }
        }
        // Then the others, by company name and postal code.
        keys.forEach { g, _, name, key in
            guard ids[g] == none, let key else { return }
            if let known = byCompany.value(key) {
                ids[g] = named[known]
            } else {
                ids[g] = name
                byCompany.insert(key, value: named.count)
                named.append(name)
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
        var distinct = ids.filter { $0 != none }  // counted sorted, not hashed into a set
        RadixSort.sort(&distinct)
        return RadixSort.unique(distinct).count
    }

    /// What the assignment needs of each golden record, worked out on all cores in chunks
    /// (folding company names and hashing were most of its time): the establishment of its
    /// valid SIRET, and its company key `<folded company>|<postal code>` with that key's
    /// establishment (`name:`), or `none` when either part is missing.
    struct Keys {
        struct Chunk {
            var siret: [UInt64] = []
            var name: [UInt64] = []
            var bytes: [UInt8] = []
            var ends: [Int] = []
        }
        static let chunkSize = 4096
        /// No establishment (no valid SIRET; no company name or postal code).
        static let none = UInt64.max
        var chunks: [Chunk]

        static func make(_ golden: [GoldenRecord]) -> Keys {
            let count = golden.count
            return Keys(chunks: ParallelLoop.map((count + chunkSize - 1) / chunkSize, chunk: 1, filling: Chunk()) { c in
                var chunk = Chunk()
                var key: [UInt8] = []
                for g in (c * chunkSize)..<min(count, (c + 1) * chunkSize) {
                    let fields = golden[g].fields
                    chunk.siret.append(fields.withBytes(CanonicalField.siret.rawValue) { digits in
                        digits.count == 14 && SiretNumber.isValidSiret(digits) ? hash("siret:", digits) : none
                    })
                    key.removeAll(keepingCapacity: true)
                    if !fields.isEmpty(CanonicalField.postalCode.rawValue) && !fields.isEmpty(CanonicalField.companyName.rawValue) {
                        fields.withBytes(CanonicalField.companyName.rawValue) { AccentFolding.fold($0, into: &key) }
                    }
                    if key.isEmpty {
                        chunk.name.append(none)
                    } else {
                        key.append(0x7C)  // |
                        fields.withBytes(CanonicalField.postalCode.rawValue) { key.append(contentsOf: $0) }
                        chunk.name.append(key.withUnsafeBufferPointer { hash("name:", $0) })
                        chunk.bytes.append(contentsOf: key)
                    }
                    chunk.ends.append(chunk.bytes.count)
                }
                return chunk
            })
        }

        /// `body(golden index, SIRET establishment, name establishment, company key or nil)`, in order.
        func forEach(_ body: (Int, UInt64, UInt64, UnsafeBufferPointer<UInt8>?) -> Void) {
            for (c, chunk) in chunks.enumerated() {
                chunk.bytes.withUnsafeBufferPointer { bytes in
                    var start = 0
                    for n in chunk.ends.indices {
                        let end = chunk.ends[n]
                        body(c * Keys.chunkSize + n, chunk.siret[n], chunk.name[n],
                             chunk.name[n] == Keys.none ? nil : UnsafeBufferPointer(rebasing: bytes[start..<end]))
                        start = end
                    }
                }
            }
        }

        /// The hash of the text prefix + bytes (an establishment ID's 64 bits).
        static func hash(_ prefix: String, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var hash = StableHash()
            hash.combine(prefix.utf8)
            hash.combine(bytes)
            hash.endText()
            return hash.value
        }
    }
}
