import TamisCore

/// The delimiter and quote of a CSV file.
public struct CSVDialect: Sendable, Equatable {
    public var delimiter: UInt8
    public var quote: UInt8

    public init(delimiter: UInt8, quote: UInt8 = UInt8(ascii: "\"")) {
        self.delimiter = delimiter
        self.quote = quote
    }

    public static let candidates: [UInt8] = [UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: "|")]

    /// A printable name: `;`, `,`, `tab`, `|`.
    public var delimiterName: String {
        delimiter == 0x09 ? "tab" : String(decoding: [delimiter], as: UTF8.self)
    }
}

/// Limits that keep a hostile or broken file from taking all memory.
public struct CSVLimits: Sendable {
    /// A field longer than this rejects its row (an unterminated quote usually).
    public var maxFieldBytes = 1 << 20
    /// A quoted field spanning more lines than this is treated as an unterminated quote.
    public var maxQuotedLines = 1_000

    public init() {}
}

/// One parsed row, valid only during the handler call (its memory is reused).
public struct CSVRow {
    /// Physical line (1-based) where the row starts.
    public let line: Int
    /// Physical line where it ends (differs when a quoted field holds line breaks).
    public let lastLine: Int
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let ends: UnsafeBufferPointer<Int>

    public var fieldCount: Int { ends.count }

    @inlinable
    public func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let start = i == 0 ? 0 : ends[i &- 1]
        return UnsafeBufferPointer(rebasing: bytes[start..<ends[i]])
    }

    public func string(_ i: Int) -> String { String(decoding: field(i), as: UTF8.self) }

    /// Whether the whole row is valid UTF-8 (one pass instead of one per field).
    public var isValidUTF8: Bool { UTF8Validation.isValid(bytes) }

    /// Whether the row holds a NUL byte.
    public var hasNUL: Bool { ByteScan.firstOf(0, 0, 0, in: bytes, from: 0) < bytes.count }

    /// The row's fields re-joined for a rejects file excerpt.
    public func excerpt(delimiter: UInt8, limit: Int = 200) -> String {
        var out: [UInt8] = []
        for i in 0..<fieldCount {
            if i > 0 { out.append(delimiter) }
            out.append(contentsOf: field(i))
            if out.count >= limit { break }
        }
        return String(decoding: out.prefix(limit), as: UTF8.self)
    }
}

/// What the handler says of a row.
public enum CSVRowDecision {
    case accept
    /// Reject the row; if it spanned several lines because of a quoted field, the parser
    /// reads again from the line after its first one, so that one stray quote cannot swallow
    /// the records that follow it.
    case reject(code: String, message: String)
}

/// A row the parser itself could not read.
public struct CSVProblem: Sendable {
    public var line: Int
    /// 1-based field number where the problem is.
    public var field: Int
    public var code: String
    public var message: String
    public var excerpt: String
}

public protocol CSVRowHandler {
    mutating func row(_ row: CSVRow) -> CSVRowDecision
    mutating func problem(_ problem: CSVProblem)
}

/// A streaming RFC 4180 parser over UTF-8 bytes, lenient where Excel is.
///
/// - Fields may be quoted; doubled quotes inside are one quote; quoted fields may hold
///   delimiters and line breaks (LF, CRLF or CR).
/// - Rows end at LF, CRLF or a lone CR; blank lines are skipped (and counted).
/// - A quote inside an unquoted field is kept as text; text after a closing quote is appended.
/// - A quoted field that never closes (end of file, over `maxQuotedLines` lines or
///   `maxFieldBytes`) is reported as a problem and the parser resumes on the line after the
///   one where the quote opened.
///
/// It keeps its state between chunks, so a row may span any number of chunks, and works on
/// spans of bytes (copied in bulk), not per character.
public struct CSVParser {
    public let dialect: CSVDialect
    public let limits: CSVLimits

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, skipLine }

    private var state = State.fieldStart
    private var afterCR = false
    private var rowBytes: [UInt8] = []
    private var ends: [Int] = []
    private var line = 1
    private var rowLine = 1
    private var fieldStartCount = 0
    private var quoteLine = 0
    /// Raw bytes after the first line break inside a quoted field of the current row: what is
    /// read again when the row turns out to be broken.
    private var recovery: [UInt8] = []
    private var recoveryLine = 0
    public private(set) var blankLines = 0
    public private(set) var rows = 0

    /// The line the parser has reached (1-based; each line break read moves it on).
    public var currentLine: Int { line }

    /// True between rows: nothing of a row is pending (a file cut here ends with whole rows).
    public var isAtRowStart: Bool { state == .fieldStart && !afterCR && ends.isEmpty && rowBytes.isEmpty }

    public init(dialect: CSVDialect, limits: CSVLimits = CSVLimits()) {
        self.dialect = dialect
        self.limits = limits
        rowBytes.reserveCapacity(4096)
        ends.reserveCapacity(64)
    }

    /// Parses a chunk; complete rows go to `handler`.
    public mutating func parse<H: CSVRowHandler>(_ chunk: UnsafeBufferPointer<UInt8>, into handler: inout H) {
        let delimiter = dialect.delimiter, quote = dialect.quote
        let n = chunk.count
        var i = 0
        while i < n {
            if afterCR {
                afterCR = false
                if chunk[i] == 0x0A { i &+= 1; continue }
            }
            switch state {
            case .fieldStart:
                let b = chunk[i]
                if b == quote {
                    if recoveryLine > 0 { recovery.append(b) }
                    state = .quoted
                    quoteLine = line
                    i &+= 1
                } else if b == delimiter {
                    if recoveryLine > 0 { recovery.append(b) }
                    ends.append(rowBytes.count)
                    fieldStartCount = rowBytes.count
                    i &+= 1
                } else if b == 0x0A || b == 0x0D {
                    i &+= 1
                    endRow(newline: b, handler: &handler)
                } else {
                    state = .unquoted
                }
            case .unquoted:
                let start = i
                i = ByteScan.firstOf(delimiter, 0x0A, 0x0D, in: chunk, from: i)
                rowBytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<i]))
                if recoveryLine > 0 {
                    recovery.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<min(i &+ 1, n)]))
                }
                if rowBytes.count &- fieldStartCount > limits.maxFieldBytes {
                    reportProblem(code: "field_too_long",
                                  message: "a field is longer than \(limits.maxFieldBytes) bytes",
                                  handler: &handler)
                    state = .skipLine
                    continue
                }
                guard i < n else { break }
                let b = chunk[i]
                i &+= 1
                if b == delimiter {
                    ends.append(rowBytes.count)
                    fieldStartCount = rowBytes.count
                    state = .fieldStart
                } else {
                    endRow(newline: b, handler: &handler)
                }
            case .quoted:
                let start = i
                var newlineAt = -1
                while true {
                    i = ByteScan.firstOf(quote, 0x0A, 0x0A, in: chunk, from: i)
                    guard i < n, chunk[i] == 0x0A else { break }
                    line &+= 1
                    if newlineAt < 0 { newlineAt = i }
                    i &+= 1
                }
                rowBytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<i]))
                if newlineAt >= 0 && recoveryLine == 0 {
                    // First line break inside a quote in this row: from here on, keep the raw
                    // bytes in case the quote never closes.
                    recoveryLine = quoteLine &+ 1
                    recovery.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[(newlineAt &+ 1)..<i]))
                } else if recoveryLine > 0 {
                    recovery.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<i]))
                }
                if rowBytes.count &- fieldStartCount > limits.maxFieldBytes || line &- quoteLine > limits.maxQuotedLines {
                    abandonQuotedRow(handler: &handler, reason: .tooLong)
                    continue
                }
                if i < n {
                    if recoveryLine > 0 { recovery.append(quote) }
                    state = .quoteInQuoted
                    i &+= 1
                }
            case .quoteInQuoted:
                let b = chunk[i]
                if b == quote {
                    if recoveryLine > 0 { recovery.append(b) }
                    rowBytes.append(quote)
                    state = .quoted
                    i &+= 1
                } else if b == delimiter {
                    if recoveryLine > 0 { recovery.append(b) }
                    ends.append(rowBytes.count)
                    fieldStartCount = rowBytes.count
                    state = .fieldStart
                    i &+= 1
                } else if b == 0x0A || b == 0x0D {
                    i &+= 1
                    endRow(newline: b, handler: &handler)
                } else if recoveryLine > 0 {
                    // Text right after the closing quote of a field that ran over several
                    // lines: that "closing" quote really opened the next quoted field, and
                    // the first quote was a stray one.
                    abandonQuotedRow(handler: &handler, reason: .strayQuote)
                } else {
                    // Text after a closing quote on one line: keep it, as Excel does.
                    state = .unquoted
                }
            case .skipLine:
                while i < n, chunk[i] != 0x0A, chunk[i] != 0x0D { i &+= 1 }
                if i < n {
                    let b = chunk[i]
                    i &+= 1
                    countNewline(b)
                    resetRow()
                }
            }
        }
    }

    /// Ends the input: a last row without a line break is emitted; an open quote is reported.
    public mutating func finish<H: CSVRowHandler>(into handler: inout H) {
        switch state {
        case .quoted:
            abandonQuotedRow(handler: &handler, reason: .endOfFile)
            if state != .fieldStart || !ends.isEmpty || !rowBytes.isEmpty { finish(into: &handler) }
        case .skipLine:
            resetRow()
        case .fieldStart where ends.isEmpty && rowBytes.isEmpty:
            break
        default:
            line &-= 1  // endRow counts a line break that is not there
            endRow(newline: 0x0A, handler: &handler)
        }
    }

    private mutating func countNewline(_ b: UInt8) {
        line &+= 1
        if b == 0x0D { afterCR = true }
    }

    private mutating func endRow<H: CSVRowHandler>(newline: UInt8, handler: inout H) {
        ends.append(rowBytes.count)
        let startLine = rowLine
        let lastLine = line
        countNewline(newline)
        defer { resetRow() }
        if ends.count == 1 && ends[0] == 0 && state == .fieldStart {
            blankLines &+= 1
            return
        }
        rows &+= 1
        let decision = rowBytes.withUnsafeBufferPointer { bytes in
            ends.withUnsafeBufferPointer { ends in
                handler.row(CSVRow(line: startLine, lastLine: lastLine, bytes: bytes, ends: ends))
            }
        }
        if case .reject(let code, let message) = decision {
            handler.problem(CSVProblem(line: startLine, field: 0, code: code, message: message,
                                       excerpt: excerpt()))
            if lastLine > startLine && recoveryLine > 0 {
                replayRecovery(handler: &handler)
            }
        }
    }

    private mutating func reportProblem<H: CSVRowHandler>(code: String, message: String, handler: inout H) {
        handler.problem(CSVProblem(line: rowLine, field: ends.count + 1, code: code, message: message, excerpt: excerpt()))
    }

    /// The quoted field opened at `quoteLine` never closed: report the row, then read again
    /// from the line after the quote's.
    private enum AbandonReason { case endOfFile, tooLong, strayQuote }

    private mutating func abandonQuotedRow<H: CSVRowHandler>(handler: inout H, reason: AbandonReason) {
        let opened = quoteLine
        let why: String
        switch reason {
        case .endOfFile: why = "the file ends inside it"
        case .tooLong: why = "it runs over \(limits.maxQuotedLines) lines or \(limits.maxFieldBytes) bytes"
        case .strayQuote: why = "a later quote closes it in the middle of a field"
        }
        handler.problem(CSVProblem(
            line: rowLine, field: ends.count + 1, code: "unterminated_quote",
            message: "the quoted field \(ends.count + 1) opened on line \(opened) is never closed (\(why)); the following lines were read again as new rows",
            excerpt: excerpt()))
        if recoveryLine > 0 {
            rowLine = recoveryLine
            replayRecovery(handler: &handler)
        } else {
            resetRow()
        }
    }

    private mutating func replayRecovery<H: CSVRowHandler>(handler: inout H) {
        let replay = recovery
        let restartLine = recoveryLine
        let savedLine = line
        resetRow()
        line = restartLine
        rowLine = restartLine
        replay.withUnsafeBufferPointer { parse($0, into: &handler) }
        // `line` now counts the replayed lines; it must equal where we were.
        if line < savedLine { line = savedLine }
    }

    private mutating func resetRow() {
        rowBytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        recovery.removeAll(keepingCapacity: true)
        recoveryLine = 0
        fieldStartCount = 0
        state = .fieldStart
        rowLine = line
    }

    /// The row's first bytes with its delimiters, line breaks shown as spaces.
    private func excerpt() -> String {
        var text: [UInt8] = []
        var start = 0
        for end in ends + [rowBytes.count] where end >= start {
            if start > 0 { text.append(dialect.delimiter) }
            text.append(contentsOf: rowBytes[start..<end])
            start = end
            if text.count >= 160 { break }
        }
        text = Array(text.prefix(160))
        for j in text.indices where text[j] == 0x0A || text[j] == 0x0D { text[j] = 0x20 }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Finds special bytes eight at a time (SWAR on 64-bit words): CSV fields are mostly
/// ordinary text, so skipping it a word at a time is what makes the parser fast.
enum ByteScan {
    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// Index of the first byte equal to `a`, `b` or `c` at or after `start`, or `bytes.count`.
    @inline(__always)
    static func firstOf(_ a: UInt8, _ b: UInt8, _ c: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let n = bytes.count
        var i = start
        guard let base = bytes.baseAddress else { return n }
        let ma = UInt64(a) &* 0x0101_0101_0101_0101
        let mb = UInt64(b) &* 0x0101_0101_0101_0101
        let mc = UInt64(c) &* 0x0101_0101_0101_0101
        while i &+ 8 <= n {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            let hits = zeroBytes(word ^ ma) | zeroBytes(word ^ mb) | zeroBytes(word ^ mc)
            if hits != 0 {
                // The lowest flagged byte is exact (borrows only flag bytes above a real hit).
                return i &+ hits.trailingZeroBitCount >> 3
            }
            i &+= 8
        }
        while i < n {
            let x = base[i]
            if x == a || x == b || x == c { return i }
            i &+= 1
        }
        return n
    }
}
