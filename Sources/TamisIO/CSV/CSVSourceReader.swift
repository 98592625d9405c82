import TamisCore

/// How to read a CSV source (from the pipeline file).
public struct CSVReadOptions: Sendable {
    /// nil = detect.
    public var encoding: TextEncoding?
    /// nil = detect among `;` `,` tab `|`.
    public var delimiter: UInt8?
    /// Header of the column holding the source's own record id.
    public var idColumn: String?
    /// Header → field, winning over detection.
    public var mapping: [String: CanonicalField]
    /// Headers to keep as extra attributes whatever they look like.
    public var extraColumns: Set<String> = []
    public var limits: CSVLimits

    public init(encoding: TextEncoding? = nil, delimiter: UInt8? = nil, idColumn: String? = nil,
                mapping: [String: CanonicalField] = [:], limits: CSVLimits = CSVLimits()) {
        self.encoding = encoding
        self.delimiter = delimiter
        self.idColumn = idColumn
        self.mapping = mapping
        self.limits = limits
    }
}

/// Reads one CSV file into records, streaming: rows are turned into records as they are
/// parsed and memory does not grow with the file (beyond the records themselves).
public enum CSVSourceReader {
    /// Detects the format and the header mapping (for `tamis inspect` and the runner).
    public static func header(path: String, options: CSVReadOptions) throws -> (format: CSVFileFormat, headers: [String], mapping: ColumnMapping) {
        let format = try CSVSniffer.sniff(path: path, encoding: options.encoding, delimiter: options.delimiter)
        var headers: [String] = []
        struct HeaderGrabber: CSVRowHandler {
            var headers: [String]?
            mutating func row(_ row: CSVRow) -> CSVRowDecision {
                if headers == nil {
                    headers = (0..<row.fieldCount).map { i in
                        let bytes = row.field(i)
                        if UTF8Validation.isValid(bytes) { return row.string(i) }
                        var decoded: [UInt8] = []
                        Windows1252.decode(bytes, into: &decoded)
                        return String(decoding: decoded, as: UTF8.self)
                    }
                }
                return .accept
            }

        mutating func problem(_ problem: CSVProblem) {}
        }
        var grabber = HeaderGrabber()
        var parser = CSVParser(dialect: format.dialect, limits: options.limits)
        var transcoder = UTF8Transcoder(encoding: format.encoding.encoding, skipBOM: format.encoding.bomLength)
        // Read until the header row is complete: a wide header can be longer than the sample.
        let reader = try FileByteReader(path: path, chunkSize: CSVSniffer.sampleSize)
        struct HeaderFound: Error {}
        do {
            try reader.forEachChunk { chunk in
                transcoder.transcode(chunk) { parser.parse($0, into: &grabber) }
                if grabber.headers != nil { throw HeaderFound() }
                if reader.bytesRead > options.limits.maxFieldBytes * 16 {
                    throw InputError(file: path, line: 1, problem: "no end of the header row in the first \(reader.bytesRead) bytes",
                                     hint: "is this a CSV file with a header row?")
                }
            }
        } catch is HeaderFound {}
        if grabber.headers == nil { parser.finish(into: &grabber) }
        headers = grabber.headers ?? []
        return (format, headers, ColumnMapping(headers: headers, explicit: options.mapping, extras: options.extraColumns))
    }

    /// Reads the whole file. File-level problems (empty, not CSV, unreadable) are thrown;
    /// row-level problems become rejected inputs in the sink.
    public static func read(
        path: String, displayName: String, sourceIndex: Int, fileIndex: Int, options: CSVReadOptions,
        sink: RecordSink, progress: (_ bytesDone: Int, _ bytesTotal: Int) -> Void
    ) throws -> FileReadReport {
        let (format, headers, mapping) = try header(path: path, options: options)
        var report = FileReadReport(file: displayName, format: "csv")
        report.encoding = format.encoding.encoding.rawValue + (format.encoding.hasBOM ? " (BOM)" : "")
        report.delimiter = format.dialect.delimiterName
        guard !headers.isEmpty else {
            throw InputError(file: displayName, line: 1, problem: "no header row found")
        }
        var idColumn: Int?
        if let wanted = options.idColumn {
            let key = AccentFolding.key(wanted)
            idColumn = headers.firstIndex { $0 == wanted } ?? headers.firstIndex { AccentFolding.key($0) == key }
            if idColumn == nil {
                throw InputError(file: displayName, line: 1,
                                 problem: "the id column \"\(wanted)\" is not in the header",
                                 hint: "the header has: \(headers.joined(separator: ", "))")
            }
        }
        let extraSlots = mapping.extraColumns.map { (column: $0.index, slot: sink.extraIndex(source: sourceIndex, name: $0.name)) }
        var handler = RowHandler(
            headerCount: headers.count, columnForField: mapping.columnForField, extraSlots: extraSlots,
            idColumn: idColumn, sourceIndex: sourceIndex, fileIndex: fileIndex,
            idPrefix: baseName(displayName), checkUTF8: format.encoding.encoding == .utf8, sink: sink)
        var parser = CSVParser(dialect: format.dialect, limits: options.limits)
        var transcoder = UTF8Transcoder(encoding: format.encoding.encoding, skipBOM: format.encoding.bomLength)
        let reader = try FileByteReader(path: path)
        try reader.forEachChunk { chunk in
            transcoder.transcode(chunk) { parser.parse($0, into: &handler) }
            progress(reader.bytesRead, reader.size)
        }
        transcoder.finish { parser.parse($0, into: &handler) }
        parser.finish(into: &handler)
        report.bytes = reader.bytesRead
        report.records = handler.records
        report.rejected = handler.rejected
        report.blankLines = parser.blankLines + handler.emptyRows
        report.encodingRepairs = handler.assembler.repairs + transcoder.replacements
        report.nulBytesRemoved = handler.assembler.nulRemoved
        return report
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    struct RowHandler: CSVRowHandler {
        let headerCount: Int
        let columnForField: [Int?]
        let extraSlots: [(column: Int, slot: Int)]
        let extraCount: Int
        let columnForSlot: [Int?]
        let idColumn: Int?
        let sourceIndex: Int
        let fileIndex: Int
        let idPrefix: String
        let checkUTF8: Bool
        let sink: RecordSink
        var sawHeader = false
        var dataRow = 0
        var records = 0
        var rejected = 0
        var emptyRows = 0
        var assembler = RecordAssembler()

        init(headerCount: Int, columnForField: [Int?], extraSlots: [(column: Int, slot: Int)], idColumn: Int?,
             sourceIndex: Int, fileIndex: Int, idPrefix: String, checkUTF8: Bool, sink: RecordSink) {
            self.headerCount = headerCount
            self.columnForField = columnForField
            self.extraSlots = extraSlots.sorted { $0.slot < $1.slot }
            self.extraCount = (extraSlots.map(\.slot).max() ?? -1) + 1
            var columnForSlot = [Int?](repeating: nil, count: extraCount)
            for (column, slot) in extraSlots { columnForSlot[slot] = column }
            self.columnForSlot = columnForSlot
            self.idColumn = idColumn
            self.sourceIndex = sourceIndex
            self.fileIndex = fileIndex
            self.idPrefix = idPrefix
            self.checkUTF8 = checkUTF8
            self.sink = sink
        }

        mutating func row(_ row: CSVRow) -> CSVRowDecision {
            if !sawHeader {
                sawHeader = true
                return .accept
            }
            dataRow += 1
            // The field count must match the header exactly: accepting "extra empty cells"
            // would silently shift every column of a row with an unquoted delimiter in it.
            let count = row.fieldCount
            var empty = true
            for i in 0..<min(count, headerCount) where row.field(i).count > 0 { empty = false; break }
            if empty && count <= headerCount {
                emptyRows += 1
                dataRow -= 1
                return .accept
            }
            if count != headerCount {
                rejected += 1
                return .reject(code: "field_count",
                               message: "expected \(headerCount) fields as in the header, found \(row.fieldCount); a value probably holds an unquoted delimiter or a stray quote")
            }
            let checkFields = checkUTF8 && !row.isValidUTF8
            let checkNUL = row.hasNUL
            let fields = assembler.pack(count: CanonicalField.count, checkUTF8: checkFields, checkNUL: checkNUL) { field in
                columnForField[field].map { row.field($0) }
            }
            let extras = assembler.pack(count: extraCount, checkUTF8: checkFields, checkNUL: checkNUL) { slot in
                columnForSlot[slot].map { row.field($0) }
            }
            var sourceID = ""
            if let idColumn {
                sourceID = String(decoding: Bytes.trimmed(row.field(idColumn)), as: UTF8.self)
            }
            let hasOwnID = !sourceID.isEmpty
            if !hasOwnID { sourceID = "\(idPrefix)#\(dataRow)" }
            let origin = RecordOrigin(sourceIndex: sourceIndex, sourceID: sourceID, fileIndex: fileIndex, line: row.line,
                                      hasOwnID: hasOwnID)
            sink.record(ProspectRecord(origin: origin, raw: fields, extras: extras))
            records += 1
            return .accept
        }


        mutating func problem(_ problem: CSVProblem) {
            if problem.code != "field_count" {
                rejected += 1
                dataRow += 1
            }
            let origin = RecordOrigin(sourceIndex: sourceIndex, sourceID: "\(idPrefix)#\(dataRow)",
                                      fileIndex: fileIndex, line: problem.line)
            sink.reject(RejectedInput(origin: origin,
                                      reason: Reason(code: problem.code, rule: "csv", message: problem.message),
                                      excerpt: problem.excerpt))
        }
    }
}
