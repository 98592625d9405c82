/// Gives each cluster of this run a golden ID, keeping the IDs of the base stable.
///
/// - A cluster whose records belonged to one existing golden record keeps its ID.
/// - A cluster joining records of several existing golden records keeps one ID (the one most
///   of its records had; ties: the smallest ID) and records the others as merged into it.
/// - When an existing golden record splits, the cluster holding most of its records keeps the
///   ID (ties: the cluster read first); the others get new IDs.
/// - A new cluster gets `G` + a stable hash of its founding record, never an ID the base has
///   issued before (a suffix `-2`, `-3`… makes it unique).
/// - A merged ID is never revived.
public struct GoldenIDAssignment: Sendable, Equatable {
    public var ids: [String]
    public var merges: [GoldenMerge]

    /// - Parameters:
    ///   - clusters: record indices, founding record first.
    ///   - previousID: a record's golden ID in the base, if any.
    ///   - newIDs: each cluster's hash-based ID (of its founding record), used when it needs a new one.
    public static func assign(clusters: [[Int]], previousID: (Int) -> String?, newIDs: [String],
                              issued: Set<String>, merged: Set<String>) -> GoldenIDAssignment {
        // Votes: for each existing ID, how many records of each cluster carried it.
        var votes: [String: [(cluster: Int, count: Int)]] = [:]
        for (c, members) in clusters.enumerated() {
            var here: [String: Int] = [:]
            for member in members {
                if let id = previousID(member), !merged.contains(id) { here[id, default: 0] += 1 }
            }
            for (id, count) in here { votes[id, default: []].append((c, count)) }
        }
        // Each existing ID goes to the cluster with most of its records (ties: the earliest).
        // Only clusters that won one are listed (none in a first run: no array per cluster).
        var won: [Int: [(id: String, count: Int)]] = [:]
        for (id, candidates) in votes {
            let best = candidates.min { a, b in a.count != b.count ? a.count > b.count : a.cluster < b.cluster }!
            won[best.cluster, default: []].append((id, best.count))
        }
        var taken = Set<String>(minimumCapacity: clusters.count)
        var ids: [String] = []
        ids.reserveCapacity(clusters.count)
        var merges: [GoldenMerge] = []
        var needsNew: [Int] = []
        for c in clusters.indices {
            let ranked = won.isEmpty ? [] : (won[c] ?? []).sorted { a, b in a.count != b.count ? a.count > b.count : a.id < b.id }
            guard let survivor = ranked.first else {
                ids.append("")
                needsNew.append(c)
                continue
            }
            ids.append(survivor.id)
            taken.insert(survivor.id)
            for other in ranked.dropFirst() { merges.append(GoldenMerge(from: other.id, into: survivor.id)) }
        }
        for c in needsNew {
            let base = newIDs[c]
            var id = base
            var n = 2
            // One hash a try (a million new IDs in a first run): an ID the base issued is never
            // taken; `insert` both checks and takes.
            while (!issued.isEmpty && issued.contains(id)) || !taken.insert(id).inserted {
                id = "\(base)-\(n)"
                n += 1
            }
            ids[c] = id
        }
        merges.sort { ($0.into, $0.from) < ($1.into, $1.from) }
        return GoldenIDAssignment(ids: ids, merges: merges)
    }
}
