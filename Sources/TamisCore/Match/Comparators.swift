/// String comparators on UTF-8 bytes, allocation-free: scratch space comes from the stack
/// (`withUnsafeTemporaryAllocation`). Inputs are expected folded (lower case, no accents):
/// the matching keys are, so one byte is one letter.
public enum JaroWinkler {
    /// Jaro-Winkler similarity in [0, 1]. The Winkler prefix bonus (up to 4 characters, scale
    /// 0.1) applies when the Jaro similarity exceeds 0.7, as in Winkler's definition.
    @inlinable
    public static func similarity(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        let la = a.count, lb = b.count
        if la == 0 || lb == 0 { return la == lb ? 1 : 0 }
        let jaro = Self.jaro(a, b)
        guard jaro > 0.7 else { return jaro }
        var prefix = 0
        let limit = min(4, la, lb)
        while prefix < limit && a[prefix] == b[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    /// Whether the similarity of `a` and `b` is `threshold` or more: the letter-count bound
    /// first (`isCertainlyBelow`), the similarity only when the bound cannot tell.
    @inlinable
    public static func reaches(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ threshold: Double) -> Bool {
        !isCertainlyBelow(a, b, threshold) && similarity(a, b) >= threshold
    }

    /// Whether the similarity of `a` and `b` is certainly below `threshold`, from their letter
    /// counts alone: the Jaro matches are at most the letters the two have in common (counted
    /// over 32 classes of bytes, `byte & 31`: each letter its own; merging classes only
    /// raises the count), and there are no transpositions at best; the Winkler bonus is taken
    /// with the true common prefix. The bound is only ever higher than the similarity, so a
    /// comparison's level is the same with or without it. It settles most unrelated addresses
    /// and names without the bit-parallel Jaro (comparing the Febrl-shaped million's 24 M
    /// candidate pairs: 11.7 – 12.4 s → 8.1 – 10.5 s). False when unsure.
    @inlinable
    public static func isCertainlyBelow(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ threshold: Double) -> Bool {
        let la = a.count, lb = b.count
        if la == 0 || lb == 0 || la > 255 || lb > 255 { return false }
        let common = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { counts -> Int in
            counts.initialize(repeating: 0)
            for byte in a { counts[Int(byte & 31)] &+= 1 }
            var common = 0
            for byte in b {  // without branches: letters in common are not predictable
                let k = Int(byte & 31), left = counts[k], found = left > 0 ? 1 : 0
                counts[k] = left &- UInt8(truncatingIfNeeded: found)
                common &+= found
            }
            return common
        }
        if common == 0 { return threshold > 0 }
        let m = Double(common)
        let jaro = (m / Double(la) + m / Double(lb) + 1) / 3
        var bound = jaro
        if jaro > 0.7 {
            var prefix = 0
            let limit = min(4, la, lb)
            while prefix < limit && a[prefix] == b[prefix] { prefix += 1 }
            bound = jaro + Double(prefix) * 0.1 * (1 - jaro)
        }
        // A margin for rounding: the bound and the similarity are computed in different orders.
        return bound < threshold - 1e-9
    }

    /// Jaro similarity: bit-parallel when both strings fit in 64 bytes (names, addresses,
    /// company names), the textbook scan otherwise.
    @inlinable
    public static func jaro(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        if a.count <= 12 && b.count <= 64 && !a.isEmpty && !b.isEmpty { return jaroBitParallelShort(a, b) }
        if a.count <= 64 && b.count <= 64 && !a.isEmpty && !b.isEmpty { return jaroBitParallel(a, b) }
        return jaroScan(a, b)
    }

    /// The same for a short `a` (a given name): each letter's positions are found by scanning
    /// `a`, which is cheaper than preparing a table. The loop is written out twice on purpose:
    /// sharing it through a closure costs 10–20% on given names (measured with
    /// `tamis-bench comparators`).
    @inlinable
    static func jaroBitParallelShort(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        let la = a.count, lb = b.count
        let window = max(0, max(la, lb) / 2 - 1)
        @inline(__always) func positions(_ c: UInt8) -> UInt64 {
            var mask: UInt64 = 0
            for i in 0..<la where a[i] == c { mask |= 1 << UInt64(i) }
            return mask
        }
        var boundMask: UInt64 = window + 1 >= 64 ? ~0 : (1 << UInt64(window + 1)) &- 1
        var patternFlags: UInt64 = 0, textFlags: UInt64 = 0
        for j in 0..<lb {
            let candidates = positions(b[j]) & boundMask & ~patternFlags
            patternFlags |= candidates & (0 &- candidates)
            if candidates != 0 { textFlags |= 1 << UInt64(j) }
            boundMask = j < window ? (boundMask << 1) | 1 : boundMask << 1
        }
        let matches = patternFlags.nonzeroBitCount
        if matches == 0 { return 0 }
        var transpositions = 0
        var p = patternFlags, t = textFlags
        while t != 0 {
            let i = p.trailingZeroBitCount
            if a[i] != b[t.trailingZeroBitCount] { transpositions += 1 }
            t &= t &- 1
            p &= p &- 1
        }
        let m = Double(matches)
        return (m / Double(la) + m / Double(lb) + (m - Double(transpositions / 2)) / m) / 3
    }

    /// Hyyrö-style bit-parallel Jaro (the method rapidfuzz uses): one 64-bit mask per letter of
    /// `a`; each letter of `b` finds its match in the window with a few bit operations.
    @inlinable
    static func jaroBitParallel(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        let la = a.count, lb = b.count
        let window = max(0, max(la, lb) / 2 - 1)
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 256 + 4) { table -> Double in
            // table[0..<256]: positions of each byte in `a`, valid only where `present` says so.
            let present = UnsafeMutablePointer(table.baseAddress! + 256)
            present[0] = 0; present[1] = 0; present[2] = 0; present[3] = 0
            for i in 0..<la { table[Int(a[i])] = 0 }
            for i in 0..<la {
                let c = Int(a[i])
                table[c] |= 1 << UInt64(i)
                present[c >> 6] |= 1 << UInt64(c & 63)
            }
            @inline(__always) func positions(_ c: UInt8) -> UInt64 {
                let k = Int(c)
                return present[k >> 6] & (1 << UInt64(k & 63)) != 0 ? table[k] : 0
            }
            var boundMask: UInt64 = window + 1 >= 64 ? ~0 : (1 << UInt64(window + 1)) &- 1
            var patternFlags: UInt64 = 0, textFlags: UInt64 = 0
            for j in 0..<lb {
                let candidates = positions(b[j]) & boundMask & ~patternFlags
                patternFlags |= candidates & (0 &- candidates)      // lowest candidate
                if candidates != 0 { textFlags |= 1 << UInt64(j) }
                boundMask = j < window ? (boundMask << 1) | 1 : boundMask << 1
            }
            let matches = patternFlags.nonzeroBitCount
            if matches == 0 { return 0 }
            var transpositions = 0
            var p = patternFlags, t = textFlags
            while t != 0 {
                let lowestPattern = p & (0 &- p)
                if positions(b[t.trailingZeroBitCount]) & lowestPattern == 0 { transpositions += 1 }
                t &= t &- 1
                p ^= lowestPattern
            }
            let m = Double(matches)
            return (m / Double(la) + m / Double(lb) + (m - Double(transpositions / 2)) / m) / 3
        }
    }

    @inlinable
    static func jaroScan(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        let la = a.count, lb = b.count
        let window = max(0, max(la, lb) / 2 - 1)
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: la + lb) { flags -> Double in
            flags.initialize(repeating: false)
            var matches = 0
            for i in 0..<la {
                let lo = max(0, i - window), hi = min(lb - 1, i + window)
                if lo > hi { continue }
                let c = a[i]
                var j = lo
                while j <= hi {
                    if !flags[la + j] && b[j] == c {
                        flags[i] = true
                        flags[la + j] = true
                        matches += 1
                        break
                    }
                    j += 1
                }
            }
            if matches == 0 { return 0 }
            var transpositions = 0
            var k = 0
            for i in 0..<la where flags[i] {
                while !flags[la + k] { k += 1 }
                if a[i] != b[k] { transpositions += 1 }
                k += 1
            }
            let m = Double(matches)
            return (m / Double(la) + m / Double(lb) + (m - Double(transpositions / 2)) / m) / 3
        }
    }
}

public enum EditDistance {
    /// Levenshtein distance (insertions, deletions, substitutions).
    @inlinable
    public static func levenshtein(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let la = a.count, lb = b.count
        if la == 0 { return lb }
        if lb == 0 { return la }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: lb + 1) { row -> Int in
            for j in 0...lb { row[j] = j }
            for i in 1...la {
                var diagonal = row[0]
                row[0] = i
                let c = a[i - 1]
                for j in 1...lb {
                    let above = row[j]
                    row[j] = Swift.min(above + 1, row[j - 1] + 1, diagonal + (c == b[j - 1] ? 0 : 1))
                    diagonal = above
                }
            }
            return row[lb]
        }
    }

    /// How far apart the two strings' character counts are (summed over 16 classes of bytes,
    /// `byte & 15`: each digit its own). An insertion or deletion moves the sum by one, a
    /// substitution by two at most, a transposition not at all: half of it is a lower bound of
    /// the distance, which settles most bounded comparisons of unrelated numbers (two birth
    /// dates, two social security or SIRET numbers) without the dynamic programme. Merging
    /// bytes into classes only lowers the sum.
    @usableFromInline
    static func countDifference(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 16) { counts in
            counts.initialize(repeating: 0)
            for byte in a { counts[Int(byte & 15)] &+= 1 }
            for byte in b { counts[Int(byte & 15)] &-= 1 }
            var sum = 0
            for count in counts { sum &+= count < 0 ? -count : count }
            return sum
        }
    }

    /// Damerau-Levenshtein distance, optimal string alignment variant: a transposition of two
    /// adjacent letters (`Mrtain`) costs 1.
    ///
    /// With a `bound`, stops as soon as the distance is known to exceed it and returns
    /// `bound + 1` (a comparison with levels up to 2 edits needs no more).
    @inlinable
    public static func damerau(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, bound: Int = Int.max) -> Int {
        let la = a.count, lb = b.count
        if la == 0 || lb == 0 { return Swift.min(la + lb, bound == Int.max ? Int.max : bound + 1) }
        if bound < Int.max && abs(la - lb) > bound { return bound + 1 }
        if bound < Int.max && la + lb <= 256 && countDifference(a, b) > 2 * bound { return bound + 1 }
        let width = lb + 1
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * width) { rows -> Int in
            // Three rows: two lines back, the previous line, the current one (rotated).
            var twoBack = 0, previous = width, current = 2 * width
            for j in 0...lb { rows[previous + j] = j }
            for i in 1...la {
                rows[current] = i
                var rowMinimum = i
                for j in 1...lb {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var d = Swift.min(rows[previous + j] + 1, rows[current + j - 1] + 1, rows[previous + j - 1] + cost)
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        d = Swift.min(d, rows[twoBack + j - 2] + 1)
                    }
                    rows[current + j] = d
                    rowMinimum = Swift.min(rowMinimum, d)
                }
                // A transposition reaches back two rows: stop only when both are past the bound.
                if bound < Int.max && rowMinimum > bound && i > 1 {
                    var previousMinimum = Int.max
                    for j in 0...lb { previousMinimum = Swift.min(previousMinimum, rows[previous + j]) }
                    if previousMinimum > bound { return bound + 1 }
                }
                (twoBack, previous, current) = (previous, current, twoBack)
            }
            return Swift.min(rows[previous + lb], bound == Int.max ? Int.max : bound + 1)
        }
    }
}

public enum TokenSet {
    /// Dice coefficient of the two sets of space-separated tokens: 2·|A∩B| / (|A|+|B|).
    /// Word order and repeats do not matter ("martin et fils" ≈ "fils martin").
    @inlinable
    public static func similarity(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        var tokensA = 0, tokensB = 0, common = 0
        forEachToken(b) { _ in tokensB += 1 }
        forEachToken(a) { token in
            tokensA += 1
            var found = false
            forEachToken(b) { other in
                if !found && Bytes.equal(other, token) { found = true }
            }
            if found { common += 1 }
        }
        if tokensA + tokensB == 0 { return 0 }
        return Double(2 * min(common, tokensB)) / Double(tokensA + tokensB)
    }

    @inlinable
    static func forEachToken(_ s: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        for i in 0...s.count {
            if i == s.count || s[i] == 0x20 {
                if i > start { body(UnsafeBufferPointer(rebasing: s[start..<i])) }
                start = i + 1
            }
        }
    }
}

/// A phonetic key for French names: Soundex2 (Frédéric Brouard's French adaptation of
/// Soundex), 4 letters. "Lefèvre", "Lefebvre" and "Lefeuvre" share `LFVR`; "Mathieu" and
/// "Matthieu" share `MTI`.
public enum FrenchPhonetic {
    static let groups: [([UInt8], [UInt8])] = [("GUI", "KI"), ("GUE", "KE"), ("GA", "KA"), ("GO", "KO"), ("GU", "K"), ("CA", "KA"),
                                               ("CO", "KO"), ("CU", "KU"), ("Q", "K"), ("CC", "K"), ("CK", "K")]
        .map { (Array($0.0.utf8), Array($0.1.utf8)) }
    static let prefixes: [([UInt8], [UInt8])] = [("MAC", "MCC"), ("ASA", "AZA"), ("KN", "NN"), ("PF", "FF"), ("SCH", "SSS"), ("PH", "FF")]
        .map { (Array($0.0.utf8), Array($0.1.utf8)) }

    /// The key, computed in one scratch buffer on the stack (every rule keeps or shortens the
    /// text, so each pass rewrites it in place).
    public static func key(_ folded: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: folded.count + 1) { s -> [UInt8] in
            var n = 0
            for b in folded {
                if b >= 0x61 && b <= 0x7A { s[n] = b - 0x20; n += 1 } else if b >= 0x41 && b <= 0x5A { s[n] = b; n += 1 }
            }
            if n == 0 { return [] }
            func matches(_ pattern: [UInt8], at i: Int) -> Bool {
                if i + pattern.count > n { return false }
                for (k, c) in pattern.enumerated() where s[i + k] != c { return false }
                return true
            }
            // Consonant groups (one left-to-right pass, first matching rule wins).
            var r = 0, w = 0
            scan: while r < n {
                for (from, to) in groups where matches(from, at: r) {
                    for c in to { s[w] = c; w += 1 }
                    r += from.count
                    continue scan
                }
                s[w] = s[r]
                w += 1
                r += 1
            }
            n = w
            // Vowels but the first letter become A.
            for i in 1..<max(n, 1) where s[i] == 0x45 || s[i] == 0x49 || s[i] == 0x4F || s[i] == 0x55 { s[i] = 0x41 }
            // Prefixes (same length).
            for (from, to) in prefixes where matches(from, at: 0) {
                for (k, c) in to.enumerated() { s[k] = c }
            }
            // H except after C or S (and a leading H before a letter); Y except after A.
            w = 0
            var previous: UInt8 = 0
            for i in 0..<n {
                let c = s[i]
                if c == 0x48 && ((i > 0 && previous != 0x43 && previous != 0x53) || (i == 0 && n > 1)) { previous = c; continue }
                if c == 0x59 && i > 0 && previous != 0x41 { previous = c; continue }
                previous = c
                s[w] = c
                w += 1
            }
            n = w
            // Final A, D, P, S, T.
            while n > 1 && (s[n - 1] == 0x41 || s[n - 1] == 0x44 || s[n - 1] == 0x50 || s[n - 1] == 0x53 || s[n - 1] == 0x54) { n -= 1 }
            // A except the first letter; repeated letters once; four letters.
            var out: [UInt8] = []
            out.reserveCapacity(4)
            for i in 0..<n where i == 0 || s[i] != 0x41 {
                if out.last != s[i] {
                    out.append(s[i])
                    if out.count == 4 { break }
                }
            }
            return out
        }
    }
}
