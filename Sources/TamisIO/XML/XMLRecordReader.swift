import CLibXML2
import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// How to read an XML source: which element is a record, and which paths are which fields.
public struct XMLReadOptions: Sendable {
    /// Local name of the record element (`contact`); namespace prefixes are ignored.
    public var recordElement: String
    /// Path (relative to the record) of the source's id: `@id`, `identifiant`, `meta/@ref`.
    public var idPath: String?
    /// Field → path: `company_name: societe/raison_sociale`, `siret: societe/@siret`.
    public var fields: [CanonicalField: String]

    public init(recordElement: String, idPath: String? = nil, fields: [CanonicalField: String] = [:]) {
        self.recordElement = recordElement
        self.idPath = idPath
        self.fields = fields
    }
}

/// Streams records out of an XML file with libxml2's xmlTextReader.
///
/// Security: the network is off (`XML_PARSE_NONET`), external entities and DTDs are never
/// loaded (a refusing entity loader is installed, and a document that asks for one is
/// refused), and libxml2's entity-amplification guard stops billion-laughs documents.
/// Internal entities, CDATA and namespaces are handled; paths use local names.
public enum XMLRecordReader {
    /// Reads the file. Records read before a fatal XML error are kept; the error is thrown
    /// afterwards with its line and column.
    public static func read(
        path: String, displayName: String, sourceIndex: Int, fileIndex: Int, options: XMLReadOptions,
        sink: RecordSink, progress: (_ bytesDone: Int, _ bytesTotal: Int) -> Void
    ) throws -> FileReadReport {
        var report = FileReadReport(file: displayName, format: "xml")
        report.encoding = "declared"
        let session = try XMLSession(path: path, displayName: displayName)
        defer { session.close() }
        var extraSlots: [Int: Int] = [:]  // path id → extra slot
        var fieldForPath: [Int: CanonicalField?] = [:]
        let explicitPaths: [String: CanonicalField] = Dictionary(options.fields.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var assembler = RecordAssembler()
        var elementIndex = 0
        var takenFields = Set<CanonicalField>(options.fields.keys)

        try session.forEachRecord(named: options.recordElement, progress: progress) { record in
            elementIndex += 1
            var values = [[UInt8]](repeating: [], count: CanonicalField.count)
            var extras: [(slot: Int, value: [UInt8])] = []
            var sourceID = ""
            for (pathID, value) in record.values {
                let pathName = session.paths[pathID]
                if pathName == options.idPath {
                    sourceID = String(decoding: value, as: UTF8.self).trimmingASCIIWhitespace()
                }
                let field: CanonicalField?
                if let known = fieldForPath[pathID] {
                    field = known
                } else {
                    // Explicit path, else detection from the last path component
                    // (<email>, <raison_sociale>, @siret), once per path.
                    var detected = explicitPaths[pathName]
                    if detected == nil, let leaf = pathName.split(separator: "/").last {
                        let name = leaf.hasPrefix("@") ? String(leaf.dropFirst()) : String(leaf)
                        if let guess = ColumnMapping.detect(name), !takenFields.contains(guess) {
                            detected = guess
                            takenFields.insert(guess)
                        }
                    }
                    fieldForPath[pathID] = .some(detected)
                    field = detected
                }
                if let field, values[field.rawValue].isEmpty {
                    values[field.rawValue] = value
                } else if !value.isEmpty || field == nil {
                    let slot: Int
                    if let known = extraSlots[pathID] { slot = known }
                    else {
                        slot = sink.extraIndex(source: sourceIndex, name: pathName)
                        extraSlots[pathID] = slot
                    }
                    extras.append((slot, value))
                }
            }
            var builder = PackedFields.Builder(count: CanonicalField.count, reservingBytes: 256)
            for value in values {
                value.withUnsafeBufferPointer { assembler.append($0, to: &builder, checkUTF8: true) }
            }
            extras.sort { $0.slot < $1.slot }
            var extraBuilder = PackedFields.Builder(count: (extras.last?.slot ?? -1) + 1)
            var next = 0
            for (slot, value) in extras where slot >= next {
                while next < slot { extraBuilder.appendEmpty(); next += 1 }
                value.withUnsafeBufferPointer { assembler.append($0, to: &extraBuilder, checkUTF8: true) }
                next += 1
            }
            if sourceID.isEmpty { sourceID = "\(CSVSourceReader.baseName(displayName))#\(elementIndex)" }
            let origin = RecordOrigin(sourceIndex: sourceIndex, sourceID: sourceID, fileIndex: fileIndex, line: record.line)
            sink.record(ProspectRecord(origin: origin, raw: builder.finish(), extras: extraBuilder.finish()))
            report.records += 1
        }
        report.bytes = session.bytesRead
        report.encodingRepairs = assembler.repairs
        if let failure = session.failure {
            report.problem = FileProblem(failure)
        }
        return report
    }
}

/// One parsed record element: path id → text, in document order.
struct XMLRecordValues {
    var line: Int
    var values: [(Int, [UInt8])]
}

/// Owns one xmlTextReader over a file descriptor, with secure options and error capture.
final class XMLSession {
    let displayName: String
    private let fd: Int32
    private let size: Int
    private(set) var bytesRead = 0
    private var reader: xmlTextReaderPtr?
    /// First fatal error reported by libxml2.
    private(set) var failure: InputError?
    /// Set when the document asked for an external entity or DTD.
    var externalRequest: String?
    /// Interned relative paths ("societe/raison_sociale", "@id").
    private(set) var paths: [String] = []
    private var pathIDs: [PathKey: Int] = [:]

    private struct PathKey: Hashable {
        var parent: Int
        var name: UnsafeRawPointer
        var attribute: Bool
    }

    init(path: String, displayName: String) throws {
        self.displayName = displayName
        XMLSecurity.install()
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(file: displayName, problem: "cannot open the file (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        fstat(fd, &info)
        size = Int(info.st_size)
        if size == 0 {
            Glibc.close(fd)
            throw InputError(file: displayName, problem: "the file is empty")
        }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOENT.rawValue | XML_PARSE_NOCDATA.rawValue)
        let context = Unmanaged.passUnretained(self).toOpaque()
        reader = xmlReaderForIO({ context, buffer, length in
            guard let context, let buffer else { return -1 }
            let session = Unmanaged<XMLSession>.fromOpaque(context).takeUnretainedValue()
            let n = Glibc.read(session.fd, buffer, Int(length))
            if n > 0 { session.bytesRead += n }
            return Int32(n)
        }, nil, context, "file://" + path, nil, options)
        guard let reader else {
            Glibc.close(fd)
            throw InputError(file: displayName, problem: "libxml2 could not create a reader")
        }
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let session = Unmanaged<XMLSession>.fromOpaque(context).takeUnretainedValue()
            session.libxmlError(error.pointee)
        }, context)
    }

    func withReader<T>(_ body: (xmlTextReaderPtr) -> T?) -> T? {
        guard let reader else { return nil }
        return body(reader)
    }

    func close() {
        if let reader { xmlFreeTextReader(reader) }
        reader = nil
        Glibc.close(fd)
    }

    private func libxmlError(_ error: xmlError) {
        guard error.level.rawValue >= XML_ERR_ERROR.rawValue, failure == nil else { return }
        var message = error.message.map { String(cString: $0) } ?? "XML error"
        message = message.trimmingASCIIWhitespace()
        var hint = "fix the XML at that position (an unescaped & or <, a missing closing tag, a truncated file?)"
        if message.hasPrefix("Excessive depth") {
            hint = "the document nests elements more than 256 levels deep; no prospect export does that, so it is refused"
        }
        if message.contains("ntity") && (message.contains("loop") || message.contains("amplification")) {
            message = "entity expansion refused: " + message
            hint = "the document declares entities that expand enormously (a \"billion laughs\" attack); Tamis does not read it"
        }
        failure = InputError(file: displayName, line: Int(error.line), column: Int(error.int2),
                             problem: message, hint: hint)
    }

    private func pathID(parent: Int, name: UnsafePointer<xmlChar>, attribute: Bool) -> Int {
        let key = PathKey(parent: parent, name: UnsafeRawPointer(name), attribute: attribute)
        if let id = pathIDs[key] { return id }
        let leaf = (attribute ? "@" : "") + String(cString: name)
        let full = parent < 0 ? leaf : paths[parent] + "/" + leaf
        // Distinct interned pointers can name the same path (different prefixes): share ids.
        let id = paths.firstIndex(of: full) ?? { paths.append(full); return paths.count - 1 }()
        pathIDs[key] = id
        return id
    }

    /// Calls `body` for each record element, in document order.
    func forEachRecord(named recordName: String, progress: (Int, Int) -> Void,
                       _ body: (XMLRecordValues) throws -> Void) throws {
        guard let reader else { return }
        var inRecord = false
        var recordDepth = 0
        var stack: [Int] = []
        var values: [(Int, [UInt8])] = []
        var textFor: [Int: Int] = [:]  // path id → index in values
        var recordLine = 0
        var count = 0
        while true {
            let status = xmlTextReaderRead(reader)
            if let request = XMLSecurity.takeRefusal() {
                externalRequest = request
                failure = InputError(file: displayName, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                                     column: Int(xmlTextReaderGetParserColumnNumber(reader)),
                                     problem: "external entity or DTD refused: \(request)",
                                     hint: "Tamis never loads external resources from XML (XXE protection); export the file without a DOCTYPE that points outside it")
                break
            }
            if status != 1 {
                if status < 0 && failure == nil {
                    failure = InputError(file: displayName, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                                         problem: "the XML could not be read to its end",
                                         hint: "the file may be truncated")
                }
                break
            }
            let type = xmlTextReaderNodeType(reader)
            let depth = Int(xmlTextReaderDepth(reader))
            switch type {
            case 1:  // element
                guard let name = xmlTextReaderConstLocalName(reader) else { continue }
                let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
                if !inRecord {
                    guard String(cString: name) == recordName else { continue }
                    inRecord = true
                    recordDepth = depth
                    // The node's own line: the parser's position is ahead of it (read-ahead).
                    recordLine = Int(xmlGetLineNo(xmlTextReaderCurrentNode(reader)))
                    stack.removeAll()
                    values.removeAll()
                    textFor.removeAll()
                    readAttributes(reader, parent: -1, into: &values)
                    if isEmpty {
                        inRecord = false
                        try body(XMLRecordValues(line: recordLine, values: values))
                        count += 1
                    }
                    continue
                }
                let id = pathID(parent: stack.last ?? -1, name: name, attribute: false)
                readAttributes(reader, parent: id, into: &values)
                if !isEmpty { stack.append(id) }
            case 3, 4, 13, 14:  // text, CDATA, whitespace, significant whitespace
                guard inRecord, let current = stack.last, let value = xmlTextReaderConstValue(reader) else { continue }
                let bytes = UnsafeBufferPointer(start: value, count: strlen(value))
                if let index = textFor[current] {
                    values[index].1.append(contentsOf: bytes)
                } else if type == 3 || type == 4 {
                    textFor[current] = values.count
                    values.append((current, Array(bytes)))
                }
            case 15:  // end element
                guard inRecord else { continue }
                if depth == recordDepth {
                    inRecord = false
                    try body(XMLRecordValues(line: recordLine, values: values))
                    count += 1
                    if count & 0xFFF == 0 { progress(bytesRead, size) }
                } else if !stack.isEmpty {
                    let closed = stack.removeLast()
                    // A repeated element (two <telephone>) starts a new value next time.
                    if let index = textFor.removeValue(forKey: closed) { _ = index }
                }
            default:
                continue
            }
        }
        progress(bytesRead, size)
        if failure == nil, externalRequest == nil, inRecord {
            failure = InputError(file: displayName, line: recordLine, problem: "the file ends inside a record element")
        }
    }

    private func readAttributes(_ reader: xmlTextReaderPtr, parent: Int, into values: inout [(Int, [UInt8])]) {
        guard xmlTextReaderHasAttributes(reader) == 1 else { return }
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            guard let name = xmlTextReaderConstLocalName(reader) else { continue }
            if xmlTextReaderIsNamespaceDecl(reader) == 1 { continue }
            let base = parent
            let key = PathKey(parent: base, name: UnsafeRawPointer(name), attribute: true)
            let id = pathIDs[key] ?? pathID(parent: base, name: name, attribute: true)
            let value = xmlTextReaderConstValue(reader).map { Array(UnsafeBufferPointer(start: $0, count: strlen($0))) } ?? []
            values.append((id, value))
        }
        xmlTextReaderMoveToElement(reader)
    }
}

/// Process-wide libxml2 security settings.
enum XMLSecurity {
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static var refused: String?
    private static let lock = NSLockLike()

    static func install() {
        lock.locked {
            guard !installed else { return }
            installed = true
            xmlInitParser()
            // Every external entity, DTD or XInclude goes through this loader: refuse them all.
            xmlSetExternalEntityLoader { url, _, _ in
                XMLSecurity.lock.locked { XMLSecurity.refused = url.map { String(cString: $0) } ?? "(unnamed)" }
                return nil
            }
        }
    }

    static func takeRefusal() -> String? {
        lock.locked {
            defer { refused = nil }
            return refused
        }
    }
}

/// A tiny mutex without Foundation.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
