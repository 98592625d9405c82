#if canImport(Glibc)
import Glibc
#endif
import TamisCore

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
/// The calendar is `SimpleDate`'s.
enum ClosingDate {
    static let none: UInt16 = 0
    static let unreadable: UInt16 = 0xFFFF
    static let dayZero = SimpleDate(year: 1899, month: 12, day: 31).dayNumber

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
        guard digits == 8, month >= 1, month <= 12, day >= 1 else { return unreadable }
        let date = SimpleDate(year: year, month: month, day: day)
        let days = date.dayNumber - dayZero
        // A day past its month's end (2023-02-29) does not come back from its day number.
        guard days >= 1, days < Int(unreadable), SimpleDate(dayNumber: date.dayNumber) == date else { return unreadable }
        return UInt16(days)
    }

    /// The date of a code other than `none` and `unreadable`.
    static func text(_ code: UInt16) -> String {
        let date = SimpleDate(dayNumber: Int(code) + dayZero)
        return String(unsafeUninitializedCapacity: 10) { buffer in
            func put(_ value: Int, _ at: Int, _ width: Int) {
                var v = value
                for i in stride(from: at + width - 1, through: at, by: -1) { buffer[i] = UInt8(0x30 + v % 10); v /= 10 }
            }
            put(date.year, 0, 4); buffer[4] = 0x2D; put(date.month, 5, 2); buffer[7] = 0x2D; put(date.day, 8, 2)
            return 10
        }
    }
}
