/// The state of every SIRET (or SIREN) of the register, in memory: sorted `key·4 + flags`
/// values (bit 1 active, bit 0 partial diffusion), as the import stores them.
///
/// A plain binary search over ten million keys makes about 13 cache misses per lookup. Keys
/// (SIRETs, SIRENs) spread evenly over their range, so a directory of buckets over that
/// range, each holding the position of its first key, narrows a lookup to a few entries:
/// one miss in the directory, one or two in the keys.
public struct RegisterStateTable: Sendable {
    let entries: [UInt64]
    /// For each entry, its closing date as `ClosingDay` (0: none kept), or empty when the
    /// register was imported without them.
    let closingDays: [UInt16]
    /// `directory[b]` is the position of the first key whose bucket is `b` or more.
    let directory: [UInt32]
    let divisor: UInt64

    /// - Parameter entries: sorted by key (`entry >> 2`), keys unique.
    /// - Parameter closingDays: one per entry, or none.
    public init(entries: [UInt64], closingDays: [UInt16] = []) {
        self.entries = entries
        self.closingDays = closingDays.count == entries.count ? closingDays : []
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
        guard let i = position(key) else { return nil }
        return RegisterState(isActive: entries[i] & 2 != 0, isPartial: entries[i] & 1 != 0)
    }

    /// The closing date (`YYYY-MM-DD`) kept for `key`, or nil when none is kept.
    public func closingDate(_ key: UInt64) -> String? {
        guard !closingDays.isEmpty, let i = position(key) else { return nil }
        return ClosingDay.text(closingDays[i])
    }

    func position(_ key: UInt64) -> Int? {
        let quotient = key / divisor
        guard quotient < UInt64(directory.count - 1) else { return nil }  // beyond the last key
        let bucket = Int(quotient)
        return entries.withUnsafeBufferPointer { entries in
            directory.withUnsafeBufferPointer { directory in
                var low = Int(directory[bucket]), high = Int(directory[bucket + 1])
                while low < high {
                    let mid = (low + high) >> 1
                    if entries[mid] >> 2 < key { low = mid + 1 } else { high = mid }
                }
                guard low < entries.count, entries[low] >> 2 == key else { return nil }
                return low
            }
        }
    }
}

/// A date from 1900-01-01 to 2079-06-05 in two bytes: days since 1899-12-31 (0: no date), so
/// that the register can keep every closed establishment's closing date in memory.
public enum ClosingDay {
    /// `YYYY-MM-DD` → its day number, or 0 when it is not such a date or out of range.
    public static func number(_ text: UnsafeBufferPointer<UInt8>) -> UInt16 {
        guard text.count == 10, text[4] == 0x2D, text[7] == 0x2D else { return 0 }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard text[i] >= 0x30 && text[i] <= 0x39 else { return nil }
                value = value * 10 + Int(text[i] - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
              (1...12).contains(month), day >= 1, day <= daysIn(month, year) else { return 0 }
        let number = civilDays(year, month, day) - civilDays(1899, 12, 31)
        return number > 0 && number <= Int(UInt16.max) ? UInt16(number) : 0
    }

    /// The `YYYY-MM-DD` text of a day number, nil for 0.
    public static func text(_ number: UInt16) -> String? {
        guard number > 0 else { return nil }
        // Civil date from a day count (H. Hinnant's algorithm, days since 1970-01-01).
        let z = Int(number) + civilDays(1899, 12, 31) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
    static func civilDays(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
