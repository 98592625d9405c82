/// E-mail reference lists: free-mail and disposable domains, role accounts, common domains
/// (for typo suggestions).
public struct EmailLists: Sendable {
    public var consumer = ByteStringSet()
    public var disposable = ByteStringSet()
    /// A broad free-mail list: a weak signal, used after `consumer`.
    public var broadFree = ByteStringSet()
    public var roleAccounts = ByteStringSet([
        "contact", "info", "infos", "information", "commercial", "commerciale", "accueil", "admin", "administration",
        "direction", "compta", "comptabilite", "rh", "recrutement", "jobs", "support", "sales", "vente", "ventes",
        "serviceclient", "service.client", "service-client", "hello", "bonjour", "secretariat", "noreply",
        "no-reply", "webmaster", "marketing", "communication", "facturation", "achats", "office", "standard",
        "reception", "mairie", "devis", "commandes", "sav", "postmaster", "abuse", "team", "equipe",
    ])
    /// Well-known domains: an address one typo away from one of these is flagged.
    public let wellKnown: [[UInt8]] = [
        "gmail.com", "hotmail.fr", "hotmail.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net",
        "yahoo.fr", "yahoo.com", "outlook.fr", "outlook.com", "live.fr", "icloud.com", "neuf.fr", "bbox.fr",
        "gmx.fr", "aol.com", "msn.com", "club-internet.fr", "numericable.fr", "protonmail.com",
    ].map { Array($0.utf8) }
    /// Letter counts of `wellKnown`, precomputed.
    public private(set) var wellKnownHistograms: [[UInt8]] = []

    /// Bit n set when a well-known domain is n bytes long (n < 64).
    private(set) var wellKnownLengths: UInt64 = 0

    public init() {
        wellKnownHistograms = wellKnown.map(EmailAddress.letterHistogram)
        for known in wellKnown where known.count < 64 { wellKnownLengths |= 1 << UInt64(known.count) }
    }

    /// Whether a well-known domain is within two bytes of `length` (most domains are not).
    func hasWellKnownDomain(near length: Int) -> Bool {
        let low = max(0, length - 2), high = min(length + 2, 63)
        guard low <= high else { return false }
        return (wellKnownLengths >> UInt64(low)) & ((1 << UInt64(high - low + 1)) - 1) != 0
    }
}

/// The result of normalising an e-mail cell.
public struct EmailResult: Equatable {
    public var address: [UInt8]
    public var domain: [UInt8]
    public var quality: FieldQuality
    public var suggestion: [UInt8]?
}

public enum EmailAddress {
    /// Trims, lower-cases, checks a practical syntax, extracts the domain and flags free-mail,
    /// disposable and role addresses and frequent domain typos (with a suggestion).
    public static func normalize(_ raw: UnsafeBufferPointer<UInt8>, lists: EmailLists) -> EmailResult {
        var address: [UInt8] = []
        clean(raw, into: &address)
        let assessed = address.withUnsafeBufferPointer { assess($0, lists: lists) }
        let domain = assessed.domainStart.map { Array(address[$0...]) } ?? []
        return EmailResult(address: address, domain: domain, quality: assessed.quality, suggestion: assessed.suggestion)
    }

    static let mailto = Array("mailto:".utf8)

    /// Appends the cleaned address to `out`: trimmed, white space removed, ASCII lower-cased,
    /// `mailto:` and `<…>` taken off.
    public static func clean(_ raw: UnsafeBufferPointer<UInt8>, into out: inout some ByteSink) {
        var text = Bytes.trimmed(raw)
        // "mailto:" (any case) and <…> around the address
        let mailto = EmailAddress.mailto
        var skipped = 0, start = 0
        while start < text.count && skipped < 7 {
            let b = text[start]
            if b <= 0x20 { start += 1; continue }
            if Bytes.lower(b) != mailto[skipped] { break }
            skipped += 1
            start += 1
        }
        if skipped == 7 { text = UnsafeBufferPointer(rebasing: text[start...]) }
        let first = out.count
        out.append(room: text.count) { out in  // written in place, not byte by byte
            var count = 0, i = 0
            let raw = UnsafeRawBufferPointer(text)
            // Eight bytes at a time while none is a space or a control character.
            while i &+ 8 <= text.count {
                let x = Bytes.EightBytes.load(raw, at: i)
                if Bytes.EightBytes.below(x, 0x21) != 0 { break }
                UnsafeMutableRawPointer(out + count).storeBytes(of: Bytes.EightBytes.lowercased(x).littleEndian, as: UInt64.self)
                count &+= 8
                i &+= 8
            }
            while i < text.count {
                let b = text[i]
                if b > 0x20 {
                    out[count] = Bytes.lower(b)
                    count &+= 1
                }
                i &+= 1
            }
            return count
        }
        if out.count - first >= 2 && out[first] == 0x3C && out[out.count - 1] == 0x3E {
            out.removeLast()
            out.remove(at: first)
        }
    }

    /// The quality of a cleaned address, where its domain starts, and a suggestion when the
    /// domain looks like a typo of a well-known one.
    public static func assess(_ address: UnsafeBufferPointer<UInt8>, lists: EmailLists)
        -> (quality: FieldQuality, domainStart: Int?, suggestion: [UInt8]?) {
        guard !address.isEmpty else { return (.missing, nil, nil) }
        guard let at = lastAt(address), isValidSyntax(address, at: at) else {
            return (FieldQuality(.invalid, .badSyntax), nil, nil)
        }
        let domain = UnsafeBufferPointer(rebasing: address[(at + 1)...])
        if lists.disposable.contains(domain) { return (FieldQuality(.valid, .disposable), at + 1, nil) }
        if lists.consumer.contains(domain) { return (FieldQuality(.valid, .freeMail), at + 1, nil) }
        // Before the broad list: it contains typo domains such as gmial.com.
        if let typo = suggestion(for: domain, lists: lists) {
            return (FieldQuality(.invalid, .domainTypo), at + 1, Array(address[...at]) + typo)
        }
        if lists.broadFree.contains(domain) { return (FieldQuality(.valid, .freeMail), at + 1, nil) }
        if lists.roleAccounts.contains(UnsafeBufferPointer(rebasing: address[..<at])) {
            return (FieldQuality(.valid, .roleAccount), at + 1, nil)
        }
        return (.valid, at + 1, nil)
    }

    /// Where the last "@" is: eight bytes at a time from the end (the domain is crossed on
    /// every address).
    @inline(__always)
    static func lastAt(_ address: UnsafeBufferPointer<UInt8>) -> Int? {
        let raw = UnsafeRawBufferPointer(address)
        var i = address.count
        while i >= 8 {
            let ats = Bytes.EightBytes.inRange(Bytes.EightBytes.load(raw, at: i &- 8), 0x40, 0x40)
            if ats != 0 { return i &- 8 &+ (63 &- ats.leadingZeroBitCount) >> 3 }
            i &-= 8
        }
        while i > 0 {
            i &-= 1
            if address[i] == 0x40 { return i }
        }
        return nil
    }

    /// ASCII characters allowed in a local part (RFC 5322 atext and the dot).
    /// The ASCII bytes allowed in a local part, "abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-",
    /// as two 64-bit masks (bytes 0-63, 64-127): constants, no table to reach
    /// (`test_each_ascii_byte_of_a_local_part_is_accepted_exactly_when_allowed` checks every byte).
    @inline(__always)
    static func isAllowedInLocalPart(_ b: UInt8) -> Bool {
        let low: UInt64 = 0xA3FF_ECFA_0000_0000, high: UInt64 = 0x7FFF_FFFF_C000_0000
        return b < 0x40 ? low >> UInt64(b) & 1 != 0 : b < 0x80 && high >> UInt64(b &- 0x40) & 1 != 0
    }

    /// Bytes allowed in a domain's labels besides the dots: a-z, 0-9, "-" and any non-ASCII
    /// byte (the same two-mask test; a test checks every byte).
    @inline(__always)
    static func isAllowedInDomain(_ b: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_2000_0000_0000, high: UInt64 = 0x07FF_FFFE_0000_0000
        return b < 0x40 ? low >> UInt64(b) & 1 != 0 : b >= 0x80 || high >> UInt64(b &- 0x40) & 1 != 0
    }

    /// One `@`, a local part of allowed characters (≤ 64), a domain of letter/digit/hyphen
    /// labels with a TLD of at least two letters; no empty label, no leading/trailing dot.
    static func isValidSyntax(_ address: UnsafeBufferPointer<UInt8>, at: Int) -> Bool {
        let n = address.count, domainCount = n - at - 1
        guard at > 0, at <= 64, domainCount >= 4, domainCount <= 253, let p = address.baseAddress else { return false }
        guard p[0] != 0x2E, p[at &- 1] != 0x2E else { return false }
        var previous: UInt8 = 0
        var i = 0
        let raw = UnsafeRawBufferPointer(address)
        // Eight bytes at once when all are letters, digits, dots, hyphens or underscores (the
        // usual local part) and no two dots are side by side, across words too.
        @inline(__always) func usualWord(at j: Int, after before: UInt8) -> Bool {
            let x = Bytes.EightBytes.load(raw, at: j)
            let dots = Bytes.EightBytes.inRange(x, 0x2E, 0x2E)
            let usual = Bytes.EightBytes.inRange(x, 0x61, 0x7A) | Bytes.EightBytes.inRange(x, 0x30, 0x39) | dots
                | Bytes.EightBytes.inRange(x, 0x2D, 0x2D) | Bytes.EightBytes.inRange(x, 0x5F, 0x5F)
            return usual == Bytes.EightBytes.highs && dots & (dots << 8 | (before == 0x2E ? 0x80 : 0)) == 0
        }
        while i < at {
            if i &+ 8 <= at {
                if usualWord(at: i, after: previous) {
                    previous = p[i &+ 7]
                    i &+= 8
                    continue
                }
            } else if at >= 8 && usualWord(at: at &- 8, after: at >= 9 ? p[at &- 9] : 0) {
                break  // the last bytes, as the word that ends the local part (read again in part)
            }
            let b = p[i]
            // Internationalised local parts are allowed ("andré.é.dupont"): a non-ASCII byte
            // also separates two dots. An @ is not allowed.
            if b < 0x80 && (!isAllowedInLocalPart(b) || (b == 0x2E && previous == 0x2E)) { return false }
            previous = b
            i &+= 1
        }
        // The domain's labels, one pass without splitting it: each 1-63 bytes of letters,
        // digits, hyphens (not first or last) or non-ASCII; at least two.
        var labelStart = at &+ 1, dots = 0
        func labelIsValid(_ end: Int) -> Bool {
            let length = end &- labelStart
            return length > 0 && length <= 63 && p[labelStart] != 0x2D && p[end &- 1] != 0x2D
        }
        i = labelStart
        while i < n {
            // Eight letters, digits or hyphens at once: no dot, so no label ends among them
            // (a hyphen at a label's edge is caught where the label ends).
            if i &+ 8 <= n {
                let x = Bytes.EightBytes.load(raw, at: i)
                if Bytes.EightBytes.inRange(x, 0x61, 0x7A) | Bytes.EightBytes.inRange(x, 0x30, 0x39) | Bytes.EightBytes.inRange(x, 0x2D, 0x2D) == Bytes.EightBytes.highs {
                    i &+= 8
                    continue
                }
            }
            let b = p[i]
            if b == 0x2E {
                guard labelIsValid(i) else { return false }
                dots &+= 1
                labelStart = i &+ 1
            } else if !isAllowedInDomain(b) {
                return false
            }
            i &+= 1
        }
        guard labelIsValid(n) else { return false }
        guard dots >= 1, n &- labelStart >= 2 else { return false }
        // The top-level domain: letters (or non-ASCII) only.
        i = labelStart
        while i < n {
            let b = p[i]
            if !(b &- 0x61 < 26 || b >= 0x80) { return false }
            i &+= 1
        }
        return true
    }

    /// The well-known domain one edit away (two for long names), or a `.fr`/`.com` TLD typo.
    static func suggestion(for domain: UnsafeBufferPointer<UInt8>, lists: EmailLists) -> [UInt8]? {
        var best: (distance: Int, domain: [UInt8])?
        if lists.hasWellKnownDomain(near: domain.count) {
            if lists.wellKnown.contains(where: { known in known.withUnsafeBufferPointer { Bytes.equal($0, domain) } }) { return nil }
            best = closestWellKnown(domain, lists: lists)
        }
        if let best { return best.domain }
        // TLD typos on any domain: orange.fe, societe.frr, entreprise.con
        if let (typo, fix) = tldTypo(domain) { return Array(domain.dropLast(typo)) + fix }
        return nil
    }

    /// The well-known domain at the smallest edit distance from `domain` within the limit (one
    /// edit, two for names of ten bytes or more), if any.
    static func closestWellKnown(_ domain: UnsafeBufferPointer<UInt8>, lists: EmailLists) -> (distance: Int, domain: [UInt8])? {
        var best: (distance: Int, domain: [UInt8])?
        var histogram = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 27 counts (+ 5 unused), a byte each
        var counted = false
        withUnsafeMutableBytes(of: &histogram) { counts in
            for (k, known) in lists.wellKnown.enumerated() where abs(known.count - domain.count) <= 2 {
                // Counted only for a domain of a length near a well-known one's (few are).
                if !counted {
                    countLetters(domain, into: counts)
                    counted = true
                }
                let limit = known.count >= 10 ? 2 : 1
                // Each edit changes the letter counts by at most 2: a cheap bound before the DP.
                var difference = 0
                let knownCounts = lists.wellKnownHistograms[k]
                for i in 0..<27 { difference += abs(Int(counts[i]) - Int(knownCounts[i])) }
                if difference > 2 * limit { continue }
                let d = damerau(Array(domain), known, limit: limit)
                if d <= limit, d < (best?.distance ?? .max) { best = (d, known) }
            }
        }
        return best
    }

    static let tldTypos: [(StaticString, StaticString)] = [(".fe", ".fr"), (".frr", ".fr"), (".ft", ".fr"), (".con", ".com"),
                                                           (".cmo", ".com"), (".comm", ".com"), (".om", ".com")]

    /// The first of `tldTypos` that ends `domain` (and is not all of it): its length and the
    /// fix. Static strings: read where they are, no array to retain per domain checked.
    static func tldTypo(_ domain: UnsafeBufferPointer<UInt8>) -> (Int, [UInt8])? {
        // Most domains end in .fr or .com, which no typo of the list ends (a test keeps it so).
        if domain.count > 4 && (Bytes.equal(UnsafeBufferPointer(rebasing: domain[(domain.count - 3)...]), ".fr")
                                || Bytes.equal(UnsafeBufferPointer(rebasing: domain[(domain.count - 4)...]), ".com")) {
            return nil
        }
        for (typo, fix) in tldTypos where domain.count > typo.utf8CodeUnitCount {
            let matches = typo.withUTF8Buffer { Bytes.equal($0, UnsafeBufferPointer(rebasing: domain[(domain.count - $0.count)...])) }
            if matches { return (typo.utf8CodeUnitCount, fix.withUTF8Buffer { Array($0) }) }
        }
        return nil
    }

    static func letterHistogram(_ text: [UInt8]) -> [UInt8] {
        var counts = [UInt8](repeating: 0, count: 27)
        counts.withUnsafeMutableBytes { countLetters(text, into: $0) }
        return counts
    }

    /// Adds the count of each letter a–z (and of every other byte, in the 27th) to `counts`.
    static func countLetters(_ text: some Sequence<UInt8>, into counts: UnsafeMutableRawBufferPointer) {
        for b in text { counts[b >= 0x61 && b <= 0x7A ? Int(b - 0x61) : 26] &+= 1 }
    }

    /// Optimal-string-alignment distance, stopping early above `limit`.
    static func damerau(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        let n = a.count, m = b.count
        if abs(n - m) > limit { return limit + 1 }
        var prev2 = [Int](repeating: 0, count: m + 1)
        var prev = Array(0...m)
        var current = [Int](repeating: 0, count: m + 1)
        for i in 1...max(n, 1) where n > 0 {
            current[0] = i
            var rowMin = current[0]
            for j in 1...max(m, 1) where m > 0 {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(prev[j] + 1, current[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, prev2[j - 2] + 1) }
                current[j] = value
                rowMin = min(rowMin, value)
            }
            if rowMin > limit { return limit + 1 }
            (prev2, prev, current) = (prev, current, prev2)
        }
        return n == 0 ? m : prev[m]
    }
}
