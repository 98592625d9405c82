#if canImport(Glibc)
import CPrefetch
import Glibc  // log2, pow: the core stays free of Foundation
#endif

/// Probabilistic record linkage (Fellegi-Sunter): each comparison's level contributes a weight
/// log2(m/u), where m = P(level | same person) and u = P(level | different people). u is
/// estimated on random pairs, m by expectation-maximisation on the candidate pairs, both from
/// the data itself. The sum, with the prior, gives the match probability.
public struct MatchModel: Sendable {
    public var specs: [ComparisonSpec]
    /// [comparison][level] (level 0, null, unused).
    public var m: [[Double]]
    public var u: [[Double]]
    /// Probability that two records drawn at random are the same person: the prior.
    public var lambda: Double
    public var emIterations = 0
    /// Value frequencies (share of records) for term-frequency comparisons.
    var frequencies: [[UInt64: Double]?]
    /// Phonetic keys per row for `phonetic` comparisons.
    var phonetics: [ByteColumn?]
    var columns: [ByteColumn]
    public var settings: MatchSettings
    var email: ByteColumn
    var siret: ByteColumn
    var firstName: ByteColumn
    var lastName: ByteColumn
    /// The column each comparison may be swapped with.
    var swapColumns: [ByteColumn?]
    var minFrequency: Double
    /// log2(m/u) by comparison and level, after training.
    var weightTable: [[Double]] = []

    /// Weight that stands for certainty (deterministic rules, decisions).
    public static let certain = 60.0

    public init(table: MatchTable, settings: MatchSettings) {
        self.settings = settings
        specs = settings.comparisons
        columns = specs.map { table.column($0.field) }
        email = table.column(.canonical(.email))
        siret = table.column(.canonical(.siret))
        firstName = table.column(.canonical(.firstName))
        lastName = table.column(.canonical(.lastName))
        swapColumns = settings.comparisons.map { $0.swappedWith.map { table.column($0) } }
        phonetics = specs.map { $0.method == .phonetic ? table.phonetic($0.field) : nil }
        minFrequency = 1 / Double(max(table.count, 1))
        frequencies = specs.map { spec in
            guard spec.termFrequency else { return nil }
            let column = table.column(spec.field)
            var counts: [UInt64: Double] = [:]
            var present = 0.0
            for row in 0..<table.count where !column.isEmpty(row) {
                counts[column.withValue(row) { MatchModel.hash($0) }, default: 0] += 1
                present += 1
            }
            return counts.mapValues { $0 / max(present, 1) }
        }
        m = specs.map { MatchModel.initialM(levels: $0.levelCount) }
        u = specs.map { Array(repeating: 1 / Double($0.levelCount - 1), count: $0.levelCount) }
        lambda = 0.3
        weightTable = MatchModel.weights(m: m, u: u)
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = StableHash()
        h.combine(bytes)
        return h.value
    }

    /// exact 0.7, then decreasing, `different` 0.05: EM's starting point.
    static func initialM(levels: Int) -> [Double] {
        var m = [0.0, 0.7]
        let middle = levels - 3
        let steps = Double(middle * (middle + 1) / 2)
        for k in 0..<middle { m.append(0.25 * Double(middle - k) / max(steps, 1)) }
        m.append(0.05)
        let total = m.dropFirst().reduce(0, +)
        return m.enumerated().map { $0.offset == 0 ? 0 : $0.element / total }
    }

    // MARK: - Levels

    /// The level of comparison `k` for rows `a` and `b`.
    public func level(_ k: Int, _ a: Int, _ b: Int) -> Int {
        specs[k].thresholds.withUnsafeBufferPointer { thresholds in
            columns[k].withView { column in
                MatchModel.withOptionalView(phonetics[k]) { phonetic in
                    MatchModel.withOptionalView(swapColumns[k]) { swap in
                        MatchModel.level(ComparisonView(spec: specs[k], thresholds: thresholds, column: column,
                                                        phonetic: phonetic, swap: swap), a, b)
                    }
                }
            }
        }
    }

    static func withOptionalView<R>(_ column: ByteColumn?, _ body: (ColumnView?) -> R) -> R {
        guard let column else { return body(nil) }
        return column.withView { body($0) }
    }

    /// The one definition of a comparison's levels: null, exact, (same sound), thresholds…,
    /// (swapped), else.
    @inline(__always)
    static func level(_ c: ComparisonView, _ a: Int, _ b: Int) -> Int {
        let x = c.column.value(a), y = c.column.value(b)
        if x.isEmpty || y.isEmpty { return 0 }
        if Bytes.equal(x, y) { return 1 }
        var base = 2
        switch c.method {
        case .exact:
            return 2
        case .phonetic:
            let p = c.phonetic!.value(a), q = c.phonetic!.value(b)
            if !p.isEmpty && Bytes.equal(p, q) { return 2 }
            base = 3
            fallthrough
        case .jaroWinkler:
            // Below the lowest threshold by the letter counts alone: no similarity to compute.
            if let lowest = c.lowestThreshold, JaroWinkler.isCertainlyBelow(x, y, lowest) { break }
            let s = JaroWinkler.similarity(x, y)
            for (i, t) in c.thresholds.enumerated() where s >= t { return base + i }
        case .levenshtein:
            let d = Double(EditDistance.damerau(x, y, bound: Int(c.thresholds.last ?? 0)))
            for (i, t) in c.thresholds.enumerated() where d <= t { return base + i }
        case .tokenSet:
            let s = TokenSet.similarity(x, y)
            for (i, t) in c.thresholds.enumerated() where s >= t { return base + i }
        }
        if let other = c.swap, swapped(c.column, other, a, b) { return c.levelCount - 2 }
        return c.levelCount - 1
    }

    /// Both values found the other way round (this field of each ≈ the other field of the other).
    static func swapped(_ column: ColumnView, _ other: ColumnView, _ a: Int, _ b: Int) -> Bool {
        let xa = column.value(a), ob = other.value(b)
        guard !xa.isEmpty, !ob.isEmpty, JaroWinkler.reaches(xa, ob, 0.9) else { return false }
        let xb = column.value(b), oa = other.value(a)
        return !xb.isEmpty && !oa.isEmpty && JaroWinkler.reaches(xb, oa, 0.9)
    }

    /// Calls `body` with every comparison by address (`LevelKernel`), for the loops over
    /// millions of pairs: reading the columns through their arrays retained and released
    /// them at every comparison, on both cores at once — a fifth of a million-record Febrl run.
    func withLevelKernel<R>(_ body: (LevelKernel) -> R) -> R {
        var all: [ByteColumn] = []
        var slots: [(column: Int, phonetic: Int, swap: Int)] = []
        for k in specs.indices {
            all.append(columns[k])
            let column = all.count - 1
            var phonetic = -1, swap = -1
            if let p = phonetics[k] { all.append(p); phonetic = all.count - 1 }
            if let w = swapColumns[k] { all.append(w); swap = all.count - 1 }
            slots.append((column, phonetic, swap))
        }
        let comparisons = UnsafeMutableBufferPointer<ComparisonView>.allocate(capacity: max(specs.count, 1))
        defer { comparisons.deallocate() }
        let flat = specs.flatMap(\.thresholds)
        return flat.withUnsafeBufferPointer { thresholds in
            all.withViews { views in
                var offset = 0
                for (k, spec) in specs.enumerated() {
                    let slot = slots[k]
                    comparisons.baseAddress!.advanced(by: k).initialize(to: ComparisonView(
                        spec: spec, thresholds: UnsafeBufferPointer(rebasing: thresholds[offset..<(offset + spec.thresholds.count)]),
                        column: views[slot.column], phonetic: slot.phonetic < 0 ? nil : views[slot.phonetic],
                        swap: slot.swap < 0 ? nil : views[slot.swap]))
                    offset += spec.thresholds.count
                }
                return body(LevelKernel(comparisons: UnsafeBufferPointer(rebasing: comparisons[0..<specs.count])))
            }
        }
    }

    /// Whether two names are clearly different: both present, not a typo (Jaro-Winkler below
    /// 0.8), not the same sound, not an initial of the other.
    func clearlyDifferent(_ column: ByteColumn, _ a: Int, _ b: Int) -> Bool {
        column.withValue(a) { x in
            column.withValue(b) { y in
                if x.isEmpty || y.isEmpty || Bytes.equal(x, y) { return false }
                if (x.count == 1 || y.count == 1) && x[0] == y[0] { return false }  // "J" / "jean"
                if JaroWinkler.reaches(x, y, 0.8) { return false }
                let px = FrenchPhonetic.key(x), py = FrenchPhonetic.key(y)
                return px.isEmpty || px != py
            }
        }
    }

    /// First and last names given the other way round.
    func swappedNames(_ a: Int, _ b: Int) -> Bool {
        firstName.withValue(a) { fa in
            lastName.withValue(b) { lb in
                lastName.withValue(a) { la in
                    firstName.withValue(b) { fb in
                        !fa.isEmpty && !la.isEmpty && JaroWinkler.reaches(fa, lb, 0.9) && JaroWinkler.reaches(la, fb, 0.9)
                    }
                }
            }
        }
    }

    /// Deterministic evidence: +certain (same personal e-mail), -certain (two valid SIRETs
    /// that differ; clearly different names), or nil.
    public func rule(_ table: MatchTable, _ a: Int, _ b: Int) -> Double? {
        if settings.differentSiretIsNonMatch && table.validSiret[a] && table.validSiret[b] {
            let same = siret.withValue(a) { x in siret.withValue(b) { Bytes.equal(x, $0) } }
            if !same { return -MatchModel.certain }
        }
        if settings.sameEmailIsMatch && table.personalEmail[a] && table.personalEmail[b] {
            let same = email.withValue(a) { x in email.withValue(b) { Bytes.equal(x, $0) } }
            if same { return MatchModel.certain }
        }
        if settings.differentNamesIsNonMatch
            && (clearlyDifferent(firstName, a, b) || clearlyDifferent(lastName, a, b)) && !swappedNames(a, b) {
            return -MatchModel.certain
        }
        return nil
    }

    /// Weight of comparison `k` at `level` (0 for null), with term frequency on exact levels.
    public func weight(_ k: Int, level: Int, row a: Int) -> Double {
        if level == 0 { return 0 }
        var uValue = u[k][level]
        if level == 1, let frequencies = frequencies[k] {
            let f = columns[k].withValue(a) { frequencies[MatchModel.hash($0)] } ?? minFrequency
            uValue = max(f, minFrequency)
        }
        return log2(max(m[k][level], 1e-12) / max(uValue, 1e-12))
    }

    public var priorWeight: Double { log2(lambda / (1 - lambda)) }

    /// Total match weight of a pair (prior included).
    public func score(_ table: MatchTable, _ a: Int, _ b: Int) -> Double {
        if let rule = rule(table, a, b) { return rule }
        var w = priorWeight
        for k in specs.indices { w += weight(k, level: level(k, a, b), row: a) }
        return w
    }

    public static func probability(_ weight: Double) -> Double { 1 / (1 + pow(2, -weight)) }

    // MARK: - Training

    /// Trains the model from the data, as linkage experts do (Splink's method):
    /// - u from random pairs (almost all non-matches);
    /// - m by expectation-maximisation, one session per blocking rule on that rule's pairs,
    ///   leaving out the comparisons of the fields the rule blocks on (they agree by
    ///   construction there); each comparison's m is the mean over the sessions that saw it;
    /// - the prior (probability that two random records match) by EM over all candidate
    ///   pairs with m and u fixed, counting every pair blocking did not produce as a non-match.
    /// Each candidate pair's levels, 4 bits per comparison, computed once on all cores: the
    /// training sessions and the scoring read them instead of comparing strings again.
    public func patternKeys(_ pairs: [UInt64]) -> [UInt64] {
        withLevelKernel { kernel in
            ParallelLoop.map(pairs.count, chunk: 8192, filling: 0) { i in
                // The second row of a pair is anywhere in the table (the first changes seldom).
                if i &+ 16 < pairs.count { kernel.prefetchEnds(Blocking.rows(pairs[i &+ 16]).1) }
                if i &+ 8 < pairs.count { kernel.prefetchValues(Blocking.rows(pairs[i &+ 8]).1) }
                let (a, b) = Blocking.rows(pairs[i])
                var key: UInt64 = 0
                for k in 0..<kernel.count { key |= UInt64(kernel.level(k, a, b)) << (4 * UInt64(k)) }
                return key
            }
        }
    }

    /// `level` of comparison `k` in a pattern key.
    @inline(__always)
    public static func level(_ key: UInt64, _ k: Int) -> Int { Int((key >> (4 * UInt64(k))) & 0xF) }

    public mutating func train(table: MatchTable, blocking: Blocking, keys: [UInt64], seed: UInt64 = 0x7A31) {
        let n = table.count
        guard n >= 2 else { return }
        // Random pairs in fixed chunks of 10,000, each with its own seed, counted on all cores:
        // the same sample whatever the number of cores, so the same model on every machine.
        let samples = min(settings.uSamplePairs, n * (n - 1) / 2)
        let chunk = 10_000
        let chunks = (samples + chunk - 1) / chunk
        let width = specs.map(\.levelCount).max() ?? 1
        var counts = [Double](repeating: 0, count: chunks * specs.count * width)
        counts.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            withLevelKernel { kernel in
                ParallelLoop.run(chunks) { c in
                    var rng = SplitMix64(seed: seed &+ UInt64(c) &* 0x9E37_79B9)
                    let base = c * kernel.count * width
                    for _ in 0..<min(chunk, samples - c * chunk) {
                        let a = Int(rng.next() % UInt64(n))
                        var b = Int(rng.next() % UInt64(n - 1))
                        if b >= a { b += 1 }
                        for k in 0..<kernel.count { shared.buffer[base + k * width + kernel.level(k, a, b)] += 1 }
                    }
                }
            }
        }
        var uCounts = specs.map { Array(repeating: 0.0, count: $0.levelCount) }
        for c in 0..<chunks {
            for k in specs.indices {
                for l in 0..<specs[k].levelCount { uCounts[k][l] += counts[c * specs.count * width + k * width + l] }
            }
        }
        for k in specs.indices {
            let levels = specs[k].levelCount
            let nonNull = uCounts[k].dropFirst().reduce(0, +)
            u[k] = (0..<levels).map { $0 == 0 ? 0 : (uCounts[k][$0] + 0.5) / (nonNull + 0.5 * Double(levels - 1)) }
        }

        // m: one EM session per blocking rule, on the patterns of (up to a million of) its
        // pairs, counted for every rule at once on all cores. Counts are whole numbers, exact
        // in any order.
        // A rule trains the comparisons of the fields it does not block on.
        let trainingRules = settings.blocking.enumerated().compactMap { r, rule -> (rule: Int, used: [Int])? in
            let blocked = Set(rule.parts.map(\.field))
            let used = specs.indices.filter { !blocked.contains(specs[$0].field) }
            return r < blocking.rulePairs.count && !used.isEmpty && !blocking.rulePairs[r].isEmpty ? (r, used) : nil
        }
        let rulePatterns = ParallelLoop.map(trainingRules.count, chunk: 1, filling: [UInt64: Double]()) { n in
            MatchModel.patterns(of: blocking.rulePairs[trainingRules[n].rule], in: blocking.pairs, keys: keys)
        }
        var sums = specs.map { Array(repeating: 0.0, count: $0.levelCount) }
        var sessions = [Int](repeating: 0, count: specs.count)
        for ((_, used), patterns) in zip(trainingRules, rulePatterns) {
            var sessionM = specs.map { MatchModel.initialM(levels: $0.levelCount) }
            var sessionLambda = 0.5
            emIterations = max(emIterations, MatchModel.expectationMaximisation(
                patterns: patterns, used: used, m: &sessionM, u: u, lambda: &sessionLambda))
            for k in used {
                for l in 1..<specs[k].levelCount { sums[k][l] += sessionM[k][l] }
                sessions[k] += 1
            }
        }
        for k in specs.indices where sessions[k] > 0 {
            m[k] = sums[k].map { $0 / Double(sessions[k]) }
        }

        // The prior: EM over all candidate pairs, m and u fixed. Their patterns are counted in
        // chunks on all cores, then added up (whole numbers: the same in any order).
        let chunkCounts = ParallelLoop.map((keys.count + 999_999) / 1_000_000, chunk: 1, filling: [UInt64: Double]()) { c in
            var counts: [UInt64: Double] = [:]
            for key in keys[(c * 1_000_000)..<min(keys.count, (c + 1) * 1_000_000)] { counts[key, default: 0] += 1 }
            return counts
        }
        var all: [UInt64: Double] = [:]
        for counts in chunkCounts { all.merge(counts, uniquingKeysWith: +) }
        let totalPairs = Double(n) * Double(n - 1) / 2
        var logFactors: [(Double, Double)] = all.map { key, count in
            var w = 0.0
            for k in specs.indices {
                let l = Int((key >> (4 * UInt64(k))) & 0xF)
                if l > 0 { w += log2(max(m[k][l], 1e-12) / max(u[k][l], 1e-12)) }
            }
            return (w, count)
        }
        if logFactors.isEmpty { logFactors = [(0, 0)] }
        var prior = min(0.5, max(Double(blocking.pairs.count) / totalPairs, 1 / totalPairs))
        for _ in 0..<100 {
            var expected = 0.0
            let logOdds = log2(prior / (1 - prior))
            for (w, count) in logFactors { expected += count * MatchModel.probability(w + logOdds) }
            let updated = min(max(expected / totalPairs, 1 / totalPairs / 10), 0.5)
            if abs(updated - prior) < prior * 1e-6 { prior = updated; break }
            prior = updated
        }
        lambda = prior
        weightTable = MatchModel.weights(m: m, u: u)
    }

    /// How many of a rule's pairs (`own`, sorted) have each pattern: every pair, or an even
    /// sample of a million when there are more. Their keys are those of the same pairs in the
    /// sorted union `pairs`, found by galloping forward from the previous one.
    static func patterns(of own: [UInt64], in pairs: [UInt64], keys: [UInt64]) -> [UInt64: Double] {
        var patterns: [UInt64: Double] = [:]
        let step = max(1, own.count / 1_000_000)
        pairs.withUnsafeBufferPointer { pairs in
            var position = 0, i = 0
            while i < own.count {
                let pair = own[i]
                // Invariant: every pair before `position` is below `pair`.
                var low = position, high = position, stride = 1
                while high < pairs.count && pairs[high] < pair { low = high + 1; high += stride; stride <<= 1 }
                high = min(high, pairs.count)
                while low < high {
                    let mid = (low + high) >> 1
                    if pairs[mid] < pair { low = mid + 1 } else { high = mid }
                }
                position = low
                patterns[keys[position], default: 0] += Double(step)
                i += step
            }
        }
        return patterns
    }

    static func weights(m: [[Double]], u: [[Double]]) -> [[Double]] {
        zip(m, u).map { mk, uk in (0..<mk.count).map { $0 == 0 ? 0 : log2(max(mk[$0], 1e-12) / max(uk[$0], 1e-12)) } }
    }

    /// Total match weight of a candidate pair from its pattern key (prior included).
    public func score(_ table: MatchTable, _ a: Int, _ b: Int, key: UInt64) -> Double {
        score(table, a, b) { MatchModel.level(key, $0) }
    }

    /// The same with the comparisons read by address (`withLevelKernel`), for the pairs the
    /// chaining guard checks: `score(_:_:_:)` made a view of each comparison's columns, and
    /// copied its spec, at every comparison.
    func score(_ table: MatchTable, _ a: Int, _ b: Int, kernel: LevelKernel) -> Double {
        score(table, a, b) { kernel.level($0, a, b) }
    }

    /// The weights of the levels `level` gives, from the table (the same values as `weight`).
    @inline(__always)
    private func score(_ table: MatchTable, _ a: Int, _ b: Int, level: (Int) -> Int) -> Double {
        if let rule = rule(table, a, b) { return rule }
        var w = priorWeight
        for k in specs.indices {
            let l = level(k)
            w += l == 1 && frequencies[k] != nil ? weight(k, level: 1, row: a) : weightTable[k][l]
        }
        return w
    }

    /// EM on pattern counts: updates m of the `used` comparisons and the session's lambda, u
    /// fixed. Returns the iterations run.
    static func expectationMaximisation(patterns: [UInt64: Double], used: [Int], m: inout [[Double]], u: [[Double]],
                                        lambda: inout Double) -> Int {
        let list = Array(patterns)
        var iterations = 0
        for iteration in 1...60 {
            iterations = iteration
            var acc = m.map { Array(repeating: 0.0, count: $0.count) }
            var matches = 0.0, total = 0.0
            let logPrior = log2(lambda), logNot = log2(1 - lambda)
            for (key, count) in list {
                var lm = logPrior, lu = logNot
                for k in used {
                    let l = Int((key >> (4 * UInt64(k))) & 0xF)
                    if l == 0 { continue }
                    lm += log2(max(m[k][l], 1e-12))
                    lu += log2(max(u[k][l], 1e-12))
                }
                let posterior = 1 / (1 + pow(2, lu - lm))
                matches += count * posterior
                total += count
                for k in used {
                    acc[k][Int((key >> (4 * UInt64(k))) & 0xF)] += count * posterior
                }
            }
            var change = abs(matches / total - lambda)
            lambda = min(max(matches / total, 1e-6), 1 - 1e-6)
            for k in used {
                let nonNull = acc[k].dropFirst().reduce(0, +)
                guard nonNull > 0 else { continue }
                for l in 1..<m[k].count {
                    let updated = max(acc[k][l] / nonNull, 1e-6)
                    change = max(change, abs(updated - m[k][l]))
                    m[k][l] = updated
                }
            }
            if change < 1e-5 { break }
        }
        return iterations
    }

    // MARK: - Explain

    public struct Term: Sendable, Codable, Equatable {
        public var field: String
        public var level: String
        public var left: String
        public var right: String
        public var m: Double
        public var u: Double
        public var weight: Double
    }

    public struct Explanation: Sendable, Codable, Equatable {
        public var prior: Double
        public var terms: [Term]
        /// A deterministic rule that decided, if any.
        public var rule: String?
        public var weight: Double
        public var probability: Double
    }

    public func explain(_ table: MatchTable, _ a: Int, _ b: Int) -> Explanation {
        var terms: [Term] = []
        var total = priorWeight
        for k in specs.indices {
            let l = level(k, a, b)
            let w = weight(k, level: l, row: a)
            total += w
            terms.append(Term(field: specs[k].field.description, level: specs[k].levelNames()[l],
                              left: columns[k].string(a), right: columns[k].string(b),
                              m: m[k][l], u: u[k][l], weight: w))
        }
        var ruleName: String?
        if let rule = rule(table, a, b) {
            if rule > 0 {
                ruleName = "same personal e-mail: same person"
            } else if settings.differentSiretIsNonMatch && table.validSiret[a] && table.validSiret[b]
                        && !siret.withValue(a, { x in siret.withValue(b) { Bytes.equal(x, $0) } }) {
                ruleName = "two different valid SIRETs: different establishments"
            } else {
                ruleName = "clearly different names: two people"
            }
            total = rule
        }
        return Explanation(prior: priorWeight, terms: terms, rule: ruleName, weight: total,
                           probability: MatchModel.probability(total))
    }
}

/// A column by address: its values read with no reference counting (valid inside
/// `ByteColumn.withView` only).
struct ColumnView {
    let bytes: UnsafePointer<UInt8>?
    let ends: UnsafePointer<Int32>?

    @inline(__always)
    func value(_ row: Int) -> UnsafeBufferPointer<UInt8> {
        let start = row == 0 ? 0 : Int(ends![row &- 1])
        let end = Int(ends![row])
        return UnsafeBufferPointer(start: bytes.map { $0 + start }, count: end &- start)
    }
}

extension ByteColumn {
    func withView<R>(_ body: (ColumnView) -> R) -> R {
        bytes.withUnsafeBufferPointer { b in ends.withUnsafeBufferPointer { e in body(ColumnView(bytes: b.baseAddress, ends: e.baseAddress)) } }
    }
}

extension Array where Element == ByteColumn {
    /// Calls `body` with a view of every column at once, for loops over millions of rows:
    /// reading a column through its arrays retains and releases them at each read.
    func withViews<R>(_ body: (UnsafeBufferPointer<ColumnView>) -> R) -> R {
        let views = UnsafeMutableBufferPointer<ColumnView>.allocate(capacity: Swift.max(count, 1))
        defer { views.deallocate() }
        func nest(_ i: Int) -> R {
            if i < count { return self[i].withView { views.baseAddress!.advanced(by: i).initialize(to: $0); return nest(i + 1) } }
            return body(UnsafeBufferPointer(rebasing: views[0..<count]))
        }
        return nest(0)
    }
}

/// One comparison by address: its method, thresholds and columns.
struct ComparisonView {
    let method: ComparisonMethod
    let thresholds: UnsafeBufferPointer<Double>
    /// The lowest of the thresholds (any order is allowed): below it, no threshold's level.
    let lowestThreshold: Double?
    let levelCount: Int
    let column: ColumnView
    let phonetic: ColumnView?
    let swap: ColumnView?

    init(spec: ComparisonSpec, thresholds: UnsafeBufferPointer<Double>, column: ColumnView, phonetic: ColumnView?, swap: ColumnView?) {
        method = spec.method
        self.thresholds = thresholds
        lowestThreshold = thresholds.min()
        levelCount = spec.levelCount
        self.column = column
        self.phonetic = phonetic
        self.swap = swap
    }
}

/// Every comparison of a model by address (`MatchModel.withLevelKernel`).
struct LevelKernel: @unchecked Sendable {
    let comparisons: UnsafeBufferPointer<ComparisonView>

    var count: Int { comparisons.count }

    @inline(__always)
    func level(_ k: Int, _ a: Int, _ b: Int) -> Int { MatchModel.level(comparisons[k], a, b) }

    /// Prefetches, in two steps some pairs ahead, what comparing with `row` reads: first where
    /// its values end in each column, then (those ends read from the cache by then) the values.
    @inline(__always)
    func prefetchEnds(_ row: Int) {
        for k in 0..<comparisons.count {
            if let ends = comparisons[k].column.ends { tamis_prefetch(ends + row) }
        }
    }

    @inline(__always)
    func prefetchValues(_ row: Int) {
        for k in 0..<comparisons.count {
            let column = comparisons[k].column
            if let bytes = column.bytes, let ends = column.ends { tamis_prefetch(bytes + (row == 0 ? 0 : Int(ends[row &- 1]))) }
        }
    }
}
