/// Groups matched pairs into clusters, strongest links first, with a guard against chaining:
/// two clusters are joined only if no pair across them is clearly different. So A≈B and
/// B≈C do not put A and C together when A and C are plainly two people.
public enum Clustering {
    public struct Result: Sendable {
        /// Row → cluster representative (a row).
        public var root: [Int]
        /// Links refused by the guard.
        public var refusedLinks: Int
    }

    /// - Parameters:
    ///   - edges: pair and weight, for the pairs at or above the match threshold.
    ///   - clearlyDifferent: the guard, asked for each pair across two clusters about to join,
    ///     except the pair of the edge that joins them (a match: the pipeline's match threshold
    ///     is at least 0.5, its guard at most 0.5).
    ///   - maxCheckedPairs: beyond this many cross pairs, the join is refused (a giant cluster
    ///     is far likelier a shared switchboard or a generic address than one person).
    public static func cluster(count: Int, edges: [(pair: UInt64, weight: Double)],
                               maxCheckedPairs: Int = 40_000,
                               clearlyDifferent: (Int, Int) -> Bool) -> Result {
        var parent = Array(0..<count)
        // Each cluster's members as a linked list through `next` (-1 ends it), from its root:
        // no array per row (a million small arrays cost more than the whole clustering).
        var next = [Int32](repeating: -1, count: count)
        var tail = (0..<count).map { Int32($0) }
        var size = [Int32](repeating: 1, count: count)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        let ordered = edges.sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.pair < $1.pair }
        var refused = 0
        for edge in ordered {
            let (a, b) = Blocking.rows(edge.pair)
            let ra = find(a), rb = find(b)
            if ra == rb { continue }
            var allowed = Int(size[ra]) * Int(size[rb]) <= maxCheckedPairs
            if allowed {
                var x = ra
                check: while x >= 0 {
                    var y = rb
                    while y >= 0 {
                        // The edge's own two records are a match: the guard is not asked about
                        // them (joining two single records asks it nothing).
                        let isEdge = (x == a && y == b) || (x == b && y == a)
                        if !isEdge && clearlyDifferent(x, y) {
                            allowed = false
                            break check
                        }
                        y = Int(next[y])
                    }
                    x = Int(next[x])
                }
            }
            if !allowed {
                refused += 1
                continue
            }
            let (big, small) = size[ra] >= size[rb] ? (ra, rb) : (rb, ra)
            parent[small] = big
            next[Int(tail[big])] = Int32(small)
            tail[big] = tail[small]
            size[big] += size[small]
        }
        return Result(root: (0..<count).map { find($0) }, refusedLinks: refused)
    }
}
