#if canImport(Glibc)
import Glibc
#endif

/// The local SIRENE register's file: one file written by `tamis sirene import`, mapped into
/// memory by the runs that read it.
///
/// Written by hand rather than kept in SQLite: a register is built once a month and then only
/// read, by key, from several threads. Sorted arrays and a record heap are written at the
/// speed of the disk (an SQLite import of ten million establishments with its indexes took
/// four and a half minutes), and a lookup is a few array reads instead of a prepared statement.
///
/// ```
/// 0    "TAMISREG"  format version (UInt32)  0 (UInt32)
/// 16   section table: (offset, length) UInt64 pairs, little-endian, in `Section` order
/// …    sections
/// ```
/// - `records`: the heap of establishment and unit records (`RegisterRecord`).
/// - `establishments`, `units`: `(identifier·4 + flags, record offset)` pairs sorted by
///   identifier (flags: bit 1 active, bit 0 partial diffusion), one per SIRET or SIREN.
/// - `nameKeys`: `(key, SIRET)` pairs sorted by key then SIRET: the siretisation keys
///   (`CompanyNameKey.blockingKeys`) of open, fully diffusible establishments.
/// - `keyDirectory`: for each of the 2¹⁶ values of a key's top bits, the position of its first
///   pair (2¹⁶ + 1 UInt64), so a lookup searches one small slice.
/// - `meta`: `key=value` lines (format, stock date, import date, counts, files).
/// - `closingDates`: for each establishment, in the order of `establishments`, the date its
///   closed period began (`ClosingDate`, UInt16), so the checks of closed and ceased
///   establishments need not read their records; padded to 16 bytes.
#if _endian(big)
#error("the register is read in place as little-endian integers")
#endif
enum RegisterLayout {
    static let magic: [UInt8] = Array("TAMISREG".utf8)
    static let version: UInt32 = 4
    static let sqliteMagic: [UInt8] = Array("SQLite format 3".utf8)

    enum Section: Int, CaseIterable {
        case records, establishments, units, nameKeys, keyDirectory, meta, closingDates
    }

    static let tableOffset = 16
    static var headerSize: Int { tableOffset + Section.allCases.count * 16 }
    /// Name keys are 63-bit hashes: their top 16 bits index the key directory.
    static let keyDirectoryShift: UInt64 = 47
    static let keyDirectoryCount = 1 << 16

    static func header(sections: [(offset: UInt64, length: UInt64)]) -> [UInt8] {
        var bytes = magic
        append(UInt64(version), to: &bytes)  // the version (UInt32), then 4 reserved zero bytes
        for section in sections {
            append(section.offset, to: &bytes)
            append(section.length, to: &bytes)
        }
        return bytes
    }

    /// What is wrong with a register's header.
    enum Problem: Error {
        case version(UInt64)
        case damaged(String)
    }

    /// The sections of a register whose magic has been checked (`bytes` at least
    /// `headerSize` long), each within the file and aligned as the reader needs.
    static func sections(of bytes: UnsafeBufferPointer<UInt8>) throws -> [(offset: Int, length: Int)] {
        func word(_ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << UInt64(8 * $1) }
        }
        let found = word(magic.count) & 0xFFFF_FFFF
        guard found == UInt64(version) else { throw Problem.version(found) }
        return try Section.allCases.map { section in
            let offset = word(tableOffset + section.rawValue * 16), length = word(tableOffset + section.rawValue * 16 + 8)
            guard offset <= UInt64(bytes.count), length <= UInt64(bytes.count) - offset else {
                throw Problem.damaged("section \(section) outside the file: truncated?")
            }
            if section != .records && section != .meta {
                guard offset % 16 == 0, length % (section == .keyDirectory ? 8 : 16) == 0 else { throw Problem.damaged("section \(section) misaligned") }
            }
            return (Int(offset), Int(length))
        }
    }

    /// The length a section of `count` closing dates takes, padded to 16 bytes.
    static func closingDatesLength(count: Int) -> Int { (count * 2 + 15) / 16 * 16 }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

/// The fields of one register record, in the heap: a flags byte, then each text field as its
/// length (LEB128) and bytes.
///
/// - Establishment: flags (bit 0 active, 1 partial, 2 head office), then `establishmentFields`.
/// - Unit: flags (bit 0 active, 1 partial), then `unitFields`.
enum RegisterRecord {
    static let establishmentFields = 15
    static let unitFields = 9
    // Establishment field positions.
    static let periodStart = 0, created = 1, headcount = 2, naf = 3, nafNomenclature = 4, naf2025 = 5, names = 6,
               streetNumber = 7, streetRepeat = 8, streetType = 9, streetName = 10, complement = 11, postalCode = 12,
               communeCode = 13, city = 14
    // Unit field positions.
    static let unitName = 0, acronym = 1, usualNames = 2, legalCategory = 3, unitNaf = 4, unitHeadcount = 5, sizeCategory = 6,
               headOfficeNIC = 7, unitCreated = 8

    /// Writes a record at `start`, which has room for it (`capacity(forRowBytes:)`).
    struct Encoder {
        let start: UnsafeMutablePointer<UInt8>
        private(set) var count = 0

        /// Room enough for a record made from a row of `rowBytes` bytes: every field at most
        /// once, plus lengths, separators and the flags.
        static func capacity(forRowBytes rowBytes: Int) -> Int { rowBytes + 3 * 24 + 8 }

        init(start: UnsafeMutablePointer<UInt8>, flags: UInt8) {
            self.start = start
            start[0] = flags
            count = 1
        }

        mutating func length(_ length: Int) {
            var n = UInt(length)
            while n >= 0x80 {
                start[count] = UInt8(truncatingIfNeeded: n) | 0x80
                count += 1
                n >>= 7
            }
            start[count] = UInt8(n)
            count += 1
        }

        mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let source = bytes.baseAddress else { return }
            (start + count).update(from: source, count: bytes.count)
            count += bytes.count
        }

        mutating func field(_ bytes: UnsafeBufferPointer<UInt8>) {
            length(bytes.count)
            raw(bytes)
        }
    }

    /// A record read in place. Its first `fields` fields are checked to lie within the heap
    /// when it is made (a damaged register gives nil, never a read past the mapping); a field
    /// is then found by skipping the ones before it.
    struct View {
        let flags: UInt8
        private let base: UnsafePointer<UInt8>
        private let fields: Int

        /// Reads the record at `offset` of `heap`, with `fields` fields.
        init?(heap: UnsafeBufferPointer<UInt8>, offset: UInt64, fields: Int) {
            guard let start = heap.baseAddress, offset < UInt64(heap.count) else { return nil }
            base = start + Int(offset)
            self.fields = fields
            let available = heap.count - Int(offset)
            flags = base[0]
            var position = 1
            for _ in 0..<fields {
                var length = 0, shift = 0
                while true {
                    guard position < available, shift < 28 else { return nil }
                    let byte = base[position]
                    position += 1
                    length |= Int(byte & 0x7F) << shift
                    if byte < 0x80 { break }
                    shift += 7
                }
                guard length <= available - position else { return nil }
                position += length
            }
        }

        /// The field's length and where its bytes start, from where its length starts.
        @inline(__always)
        private func field(at position: Int) -> (length: Int, start: Int) {
            var position = position, length = 0, shift = 0
            while true {
                let byte = base[position]
                position += 1
                length |= Int(byte & 0x7F) << shift
                if byte < 0x80 { return (length, position) }
                shift += 7
            }
        }

        func bytes(_ field: Int) -> UnsafeBufferPointer<UInt8> {
            precondition(field < fields, "field \(field) of a record read with \(fields)")
            var position = 1
            for _ in 0..<field {
                let (length, start) = self.field(at: position)
                position = start + length
            }
            let (length, start) = self.field(at: position)
            return UnsafeBufferPointer(start: base + start, count: length)
        }

        func text(_ field: Int) -> String {
            String(decoding: bytes(field), as: UTF8.self)
        }
    }
}

/// A date of the register (`YYYY-MM-DD`) in two bytes: the day after 1899-12-31, so
/// 1900-01-01 is 1 and 2079-06-04 is 65,533. 0 is no date; `unreadable` is a text that is not
/// such a date, read from the record instead (so every text comes back exactly as it was).
enum ClosingDate {
    static let none: UInt16 = 0
    static let unreadable: UInt16 = 0xFFFF

    static func code(_ text: UnsafeBufferPointer<UInt8>) -> UInt16 {
        if text.isEmpty { return none }
        guard text.count == 10, text[4] == 0x2D, text[7] == 0x2D else { return unreadable }
        var digits = 0
        func number(_ range: Range<Int>) -> Int {
            var n = 0
            for i in range {
                let d = Int(text[i]) &- 0x30
                if d >= 0 && d <= 9 { digits += 1 }
                n = n &* 10 &+ d
            }
            return n
        }
        let year = number(0..<4), month = number(5..<7), day = number(8..<10)
        guard digits == 8, month >= 1, month <= 12, day >= 1, day <= daysIn(month, of: year) else { return unreadable }
        let days = daysFromCivil(year: year, month: month, day: day) - daysFromCivil(year: 1899, month: 12, day: 31)
        return days >= 1 && days < Int(unreadable) ? UInt16(days) : unreadable
    }

    /// The date of a code other than `none` and `unreadable`.
    static func text(_ code: UInt16) -> String {
        let (year, month, day) = civil(fromDays: Int(code) + daysFromCivil(year: 1899, month: 12, day: 31))
        return String(unsafeUninitializedCapacity: 10) { buffer in
            func put(_ value: Int, _ at: Int, _ width: Int) {
                var v = value
                for i in stride(from: at + width - 1, through: at, by: -1) { buffer[i] = UInt8(0x30 + v % 10); v /= 10 }
            }
            put(year, 0, 4); buffer[4] = 0x2D; put(month, 5, 2); buffer[7] = 0x2D; put(day, 8, 2)
            return 10
        }
    }

    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
