/// Candidate pairs: records sharing a blocking key under at least one rule. Never all pairs.
public struct Blocking: Sendable {
    public struct RuleCount: Sendable, Equatable, Codable {
        public var rule: String
        /// Pairs the rule produced (before the union with the other rules).
        public var pairs: Int
        /// Blocks left out because they exceeded `max_block_size`, and their records.
        public var oversizedBlocks: Int
        public var oversizedRecords: Int
    }

    /// Sorted, unique; a pair is `lo << 32 | hi` with `lo < hi` (rows of the match table).
    public var pairs: [UInt64]
    public var perRule: [RuleCount]
    /// Each rule's own pairs (sorted, unique): the training sessions of the model.
    public var rulePairs: [[UInt64]]

    @inline(__always)
    public static func pair(_ a: Int, _ b: Int) -> UInt64 {
        a < b ? UInt64(a) << 32 | UInt64(b) : UInt64(b) << 32 | UInt64(a)
    }

    @inline(__always)
    public static func rows(_ pair: UInt64) -> (Int, Int) { (Int(pair >> 32), Int(pair & 0xFFFF_FFFF)) }

    /// Each rule's blocks are built on its own core (the rules are independent); the union is
    /// the same whatever the number of cores.
    public init(table: MatchTable, rules: [BlockingRule], maxBlockSize: Int) {
        let perRuleResults = ParallelLoop.map(rules.count, chunk: 1, filling: (pairs: [UInt64](), count: RuleCount(rule: "", pairs: 0, oversizedBlocks: 0, oversizedRecords: 0))) { r in
            Blocking.pairs(of: rules[r], in: table, maxBlockSize: maxBlockSize)
        }
        perRule = perRuleResults.map(\.count)
        rulePairs = perRuleResults.map(\.pairs)
        pairs = RadixSort.union(rulePairs)  // each rule's pairs are sorted already
    }

    /// One rule's pairs (sorted; a pair twice in the rule's blocks is there twice) and counts.
    static func pairs(of rule: BlockingRule, in table: MatchTable, maxBlockSize: Int) -> (pairs: [UInt64], count: RuleCount) {
        var keyed: [(hash: UInt64, row: Int32)] = []
        keyed.reserveCapacity(table.count)
        let columns = rule.parts.map { $0.transform == .phonetic ? table.phonetic($0.field) : table.column($0.field) }
        let transforms = rule.parts.map(\.transform)
        var key: [UInt8] = []
        columns.withViews { columns in
            for row in 0..<table.count {
                key.removeAll(keepingCapacity: true)
                var complete = true
                for (p, transform) in transforms.enumerated() {
                    let value = columns[p].value(row)
                    if value.isEmpty { complete = false; break }
                    switch transform {
                    case .value: key.append(contentsOf: value)
                    case .prefix(let n): key.append(contentsOf: value.prefix(n))
                    case .initial: key.append(value[0])
                    case .phonetic: key.append(contentsOf: value)  // the column holds the keys
                    }
                    key.append(0x1F)
                }
                if !complete { continue }
                var hash = StableHash()
                hash.combine(key)
                keyed.append((hash.value, Int32(row)))
            }
        }
        // By hash, then row: the rows went in in order, and the sort is stable.
        RadixSort.sort(&keyed) { $0.hash }
        var count = RuleCount(rule: rule.description, pairs: 0, oversizedBlocks: 0, oversizedRecords: 0)
        var own: [UInt64] = []
        var start = 0
        while start < keyed.count {
            var end = start + 1
            while end < keyed.count && keyed[end].hash == keyed[start].hash { end += 1 }
            let size = end - start
            if size > maxBlockSize {
                count.oversizedBlocks += 1
                count.oversizedRecords += size
            } else if size > 1 {
                for i in start..<end {
                    for j in (i + 1)..<end {
                        own.append(Blocking.pair(Int(keyed[i].row), Int(keyed[j].row)))
                    }
                }
                count.pairs += size * (size - 1) / 2
            }
            start = end
        }
        RadixSort.sort(&own)
        return (own, count)
    }
}
