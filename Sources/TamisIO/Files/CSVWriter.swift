#if canImport(Glibc)
import Glibc
#endif

/// Writes CSV (RFC 4180, UTF-8) through a large buffer, quoting only where needed.
///
/// Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
/// CR) are prefixed with `'` — except plain numbers such as `+33123456789` or `-12.5`, which
/// no spreadsheet evaluates as a formula and which CRM imports need intact.
public final class CSVWriter {
    public let delimiter: UInt8
    private let file: OutputFile
    private var buffer: [UInt8] = []
    private var firstInRow = true

    public init(file: OutputFile, delimiter: UInt8 = UInt8(ascii: ","), bom: Bool = false) {
        self.file = file
        self.delimiter = delimiter
        buffer.reserveCapacity(1 << 16)
        if bom { buffer.append(contentsOf: [0xEF, 0xBB, 0xBF]) }
    }

    public func writeRow(_ cells: [String]) throws {
        for cell in cells { writeCell(cell) }
        try endRow()
    }

    public func writeCell(_ cell: String) {
        var cell = cell
        cell.withUTF8 { writeCell(bytes: $0) }
    }

    /// A whole number, written as its digits (no `String` made).
    public func writeCell(_ number: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = number.magnitude, start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: n % 10) + 0x30
                n /= 10
            } while n > 0
            if number < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            writeCell(bytes: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    public func writeCell(bytes: UnsafeBufferPointer<UInt8>) {
        if !firstInRow { buffer.append(delimiter) }
        firstInRow = false
        let neutralise = CSVWriter.needsFormulaGuard(bytes)
        var needsQuotes = neutralise
        for b in bytes where b == delimiter || b == 0x22 || b == 0x0A || b == 0x0D {
            needsQuotes = true
            break
        }
        if !needsQuotes {
            buffer.append(contentsOf: bytes)
            return
        }
        buffer.append(0x22)
        if neutralise { buffer.append(0x27) }
        for b in bytes {
            if b == 0x22 { buffer.append(0x22) }
            buffer.append(b)
        }
        buffer.append(0x22)
    }

    public func endRow() throws {
        buffer.append(0x0D)
        buffer.append(0x0A)
        firstInRow = true
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Whether a cell would be read as a formula by Excel, LibreOffice or Google Sheets.
    public static func needsFormulaGuard(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "@"), 0x09, 0x0D:
            return true
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            // A signed number or phone (digits, spaces, dots, commas, parentheses) is data, not a formula.
            if bytes.count == 1 { return false }
            var digits = 0
            for b in bytes.dropFirst() {
                if b >= 0x30 && b <= 0x39 { digits += 1; continue }
                if b == 0x20 || b == 0x2E || b == 0x2C || b == 0x28 || b == 0x29 { continue }
                return true
            }
            return digits == 0
        default:
            return false
        }
    }
}
