/// The state of every SIRET (or SIREN) of the register, in memory: sorted `key·4 + flags`
/// values (bit 1 active, bit 0 partial diffusion), as the import stores them.
///
/// A plain binary search over ten million keys makes about 13 cache misses per lookup. Keys
/// (SIRETs, SIRENs) spread evenly over their range, so a directory of buckets over that
/// range, each holding the position of its first key, narrows a lookup to a few entries:
/// one miss in the directory, one or two in the keys.
public struct RegisterStateTable: Sendable {
    let entries: [UInt64]
    /// `directory[b]` is the position of the first key whose bucket is `b` or more.
    let directory: [UInt32]
    let divisor: UInt64

    /// - Parameter entries: sorted by key (`entry >> 2`), keys unique.
    public init(entries: [UInt64]) {
        self.entries = entries
        let maxKey = entries.last.map { $0 >> 2 } ?? 0
        // About one bucket per four keys (4 bytes each: 10 MB for 10M establishments), at most 2²⁴.
        let buckets = UInt64(max(1, min(entries.count / 4, 1 << 24)))
        divisor = maxKey / buckets + 1
        var directory = [UInt32](repeating: 0, count: Int(buckets) + 1)
        var position = 0
        for bucket in 0...Int(buckets) {
            while position < entries.count && Int((entries[position] >> 2) / divisor) < bucket { position += 1 }
            directory[bucket] = UInt32(position)
        }
        self.directory = directory
    }

    public var count: Int { entries.count }

    /// The state of `key`, or nil when the register does not have it.
    public func state(_ key: UInt64) -> RegisterState? {
        position(key).map { RegisterStateTable.state(entry: entries[$0]) }
    }

    /// Where `key` is among the sorted entries, or nil when the register does not have it.
    public func position(_ key: UInt64) -> Int? {
        let position = lowerBound(key)
        return position < entries.count && entries[position] >> 2 == key ? position : nil
    }

    /// The position of the first entry whose key is `key` or more (`count` if none).
    public func lowerBound(_ key: UInt64) -> Int {
        let quotient = key / divisor
        guard quotient < UInt64(directory.count - 1) else { return entries.count }  // beyond the last key
        let bucket = Int(quotient)
        return entries.withUnsafeBufferPointer { entries in
            directory.withUnsafeBufferPointer { directory in
                var low = Int(directory[bucket]), high = Int(directory[bucket + 1])
                while low < high {
                    let mid = (low + high) >> 1
                    if entries[mid] >> 2 < key { low = mid + 1 } else { high = mid }
                }
                return low
            }
        }
    }

    /// The states of `keys` (nil where the register does not have the key).
    ///
    /// The searches advance side by side, sixteen at a time, without branches: their memory
    /// reads are independent, so the processor waits for them together rather than one
    /// after another (a lookup in a table larger than the caches is two or three misses).
    public func states(_ keys: [UInt64]) -> [RegisterState?] {
        var result = [RegisterState?](repeating: nil, count: keys.count)
        let group = 16
        entries.withUnsafeBufferPointer { entries in
            directory.withUnsafeBufferPointer { directory in
                var low = [Int](repeating: 0, count: group), high = [Int](repeating: 0, count: group)
                for first in stride(from: 0, to: keys.count, by: group) {
                    let n = min(group, keys.count - first)
                    var longest = 0
                    for g in 0..<n {
                        let quotient = keys[first + g] / divisor
                        if quotient < UInt64(directory.count - 1) {
                            low[g] = Int(directory[Int(quotient)])
                            high[g] = Int(directory[Int(quotient) + 1])
                        } else {
                            (low[g], high[g]) = (entries.count, entries.count)
                        }
                        longest = max(longest, high[g] - low[g])
                    }
                    while longest > 0 {
                        for g in 0..<n where low[g] < high[g] {
                            let mid = (low[g] + high[g]) >> 1
                            let below = entries[mid] >> 2 < keys[first + g]
                            low[g] = below ? mid + 1 : low[g]
                            high[g] = below ? high[g] : mid
                        }
                        longest >>= 1
                    }
                    for g in 0..<n where low[g] < entries.count && entries[low[g]] >> 2 == keys[first + g] {
                        result[first + g] = RegisterStateTable.state(entry: entries[low[g]])
                    }
                }
            }
        }
        return result
    }

    /// The state an entry's flags give.
    @inline(__always)
    static func state(entry: UInt64) -> RegisterState {
        RegisterState(isActive: entry & 2 != 0, isPartial: entry & 1 != 0)
    }

    /// The entry at `position`: `key·4 + flags`.
    public func entry(_ position: Int) -> UInt64 { entries[position] }
}
