/// Least-significant-digit radix sorts for the blocking's 64-bit keys: a million keys in a few
/// passes over memory, where a comparison sort (Swift's is a stable merge sort) makes twenty.
/// Only the digits that vary among the keys are sorted (pairs of match-table rows use the low
/// 52 bits, a hash all 64). Stable: equal keys keep their order.
enum RadixSort {
    /// Bits per pass: 2¹¹ counters (16 KB) stay in the first-level cache.
    static let digitBits = 11
    static let digitMask = UInt64(1) << UInt64(digitBits) - 1

    /// Sorts `keys` in ascending order.
    static func sort(_ keys: inout [UInt64]) {
        sort(&keys, key: { $0 })
    }

    /// Sorts `items` by `key`, ascending, keeping the order of items with equal keys.
    static func sort<T>(_ items: inout [T], key: (T) -> UInt64) {
        let count = items.count
        guard count > 1 else { return }
        // The bits that differ between keys: the passes over digits all keys share are skipped.
        var all: UInt64 = 0
        let first = key(items[0])
        for item in items { all |= key(item) ^ first }
        guard all != 0 else { return }  // all keys equal: already in order
        let highest = 64 - all.leadingZeroBitCount
        let lowest = all.trailingZeroBitCount
        var buffer = items  // the other half of each pass
        var counts = [Int](repeating: 0, count: 1 << digitBits)
        var inItems = true  // where the keys are, sorted on the digits below `shift`
        var shift = lowest
        while shift < highest {
            let s = UInt64(shift)
            counts.withUnsafeMutableBufferPointer { counts in
                for i in counts.indices { counts[i] = 0 }
                func pass(_ from: UnsafeMutableBufferPointer<T>, _ to: UnsafeMutableBufferPointer<T>) {
                    for item in from { counts[Int((key(item) >> s) & digitMask)] += 1 }
                    var total = 0
                    for i in counts.indices {
                        let c = counts[i]
                        counts[i] = total
                        total += c
                    }
                    for item in from {
                        let d = Int((key(item) >> s) & digitMask)
                        to[counts[d]] = item
                        counts[d] += 1
                    }
                }
                items.withUnsafeMutableBufferPointer { a in
                    buffer.withUnsafeMutableBufferPointer { b in
                        if inItems { pass(a, b) } else { pass(b, a) }
                    }
                }
            }
            inItems.toggle()
            shift += digitBits
        }
        if !inItems { items = buffer }
    }

    /// The sorted union, without repeats, of sorted lists (each may hold repeats): merged two
    /// by two, the lists already being in order.
    static func union(_ lists: [[UInt64]]) -> [UInt64] {
        var level = lists.map(unique)
        if level.isEmpty { return [] }
        while level.count > 1 {
            var next: [[UInt64]] = []
            for k in stride(from: 0, to: level.count, by: 2) {
                next.append(k + 1 < level.count ? merge(level[k], level[k + 1]) : level[k])
            }
            level = next
        }
        return level[0]
    }

    /// A sorted list without its repeats.
    static func unique(_ sorted: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(sorted.count)
        for value in sorted where out.last != value { out.append(value) }
        return out
    }

    /// Two sorted lists without repeats, merged into one without repeats.
    static func merge(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out = [UInt64]()
        out.reserveCapacity(a.count + b.count)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var i = 0, j = 0
                while i < a.count && j < b.count {
                    if a[i] < b[j] { out.append(a[i]); i += 1 }
                    else if b[j] < a[i] { out.append(b[j]); j += 1 }
                    else { out.append(a[i]); i += 1; j += 1 }
                }
                out.append(contentsOf: a[i...])
                out.append(contentsOf: b[j...])
            }
        }
        return out
    }
}
