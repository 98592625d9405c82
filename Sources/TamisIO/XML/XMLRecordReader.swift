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
        let explicitPaths: [String: CanonicalField] = Dictionary(options.fields.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var takenFields = Set<CanonicalField>(options.fields.keys)
        var assembler = RecordAssembler()
        var elementIndex = 0
        // What each path id is, decided the first time the path is seen.
        var roles: [PathRole] = []
        var fieldSpan = [Int](repeating: -1, count: CanonicalField.count)
        var extraSpans: [(slot: Int, span: Int)] = []

        func role(of pathID: Int) -> PathRole {
            while roles.count <= pathID { roles.append(.unknown) }
            if roles[pathID].isUnknown {
                let pathName = session.paths[pathID]
                var field = explicitPaths[pathName]
                if field == nil, let leaf = pathName.split(separator: "/").last {
                    // Detection from the last path component (<email>, <raison_sociale>, @siret).
                    let name = leaf.hasPrefix("@") ? String(leaf.dropFirst()) : String(leaf)
                    if let guess = ColumnMapping.detect(name), !takenFields.contains(guess) {
                        field = guess
                        takenFields.insert(guess)
                    }
                }
                roles[pathID] = PathRole(field: field, isID: pathName == options.idPath, extraSlot: -1, known: true)
            }
            return roles[pathID]
        }

        func extraSlot(of pathID: Int) -> Int {
            if roles[pathID].extraSlot < 0 {
                roles[pathID].extraSlot = sink.extraIndex(source: sourceIndex, name: session.paths[pathID])
            }
            return roles[pathID].extraSlot
        }
        var slotSpan: [Int] = []

        try session.forEachRecord(named: options.recordElement, progress: progress) { record in
            elementIndex += 1
            for i in fieldSpan.indices { fieldSpan[i] = -1 }
            extraSpans.removeAll(keepingCapacity: true)
            var sourceID = ""
            for (index, span) in record.spans.enumerated() {
                let pathRole = role(of: span.path)
                if pathRole.isID {
                    sourceID = String(decoding: Bytes.trimmed(record.bytes(index)), as: UTF8.self)
                }
                if let field = pathRole.field, fieldSpan[field.rawValue] < 0 {
                    fieldSpan[field.rawValue] = index
                } else if span.end > span.start || pathRole.field == nil {
                    // Unmapped paths, and repeated ones (a second <telephone>), are kept as extras.
                    extraSpans.append((extraSlot(of: span.path), index))
                }
            }
            let fields = assembler.pack(count: CanonicalField.count, checkUTF8: true) { field in
                fieldSpan[field] >= 0 ? record.bytes(fieldSpan[field]) : nil
            }
            let extraCount = (extraSpans.map(\.slot).max() ?? -1) + 1
            slotSpan.removeAll(keepingCapacity: true)
            slotSpan.append(contentsOf: repeatElement(-1, count: extraCount))
            for (slot, span) in extraSpans where slotSpan[slot] < 0 { slotSpan[slot] = span }  // first value of a slot
            let extras = assembler.pack(count: extraCount, checkUTF8: true) { slot in
                slotSpan[slot] >= 0 ? record.bytes(slotSpan[slot]) : nil
            }
            let hasOwnID = !sourceID.isEmpty
            if !hasOwnID { sourceID = "\(CSVSourceReader.baseName(displayName))#\(elementIndex)" }
            let origin = RecordOrigin(sourceIndex: sourceIndex, sourceID: sourceID, fileIndex: fileIndex, line: record.line,
                                      hasOwnID: hasOwnID)
            sink.record(ProspectRecord(origin: origin, raw: fields, extras: extras))
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

/// One parsed record element: its values (path id + span of text) in document order, all
/// in one byte arena reused from record to record.
struct XMLRecordValues {
    struct Span {
        var path: Int
        var start: Int
        var end: Int
    }
    var line: Int
    var spans: [Span]
    var arena: UnsafeBufferPointer<UInt8>

    func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: arena[spans[index].start..<spans[index].end])
    }
}

/// How a path inside a record is used.
struct PathRole {
    var field: CanonicalField?
    var isID: Bool
    /// Slot among the source's extras, registered the first time the path is kept as one.
    var extraSlot: Int
    var known: Bool
    static let unknown = PathRole(field: nil, isID: false, extraSlot: -1, known: false)

    var isUnknown: Bool { !known }
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
    /// For each parent path id + 1 (0 = the record), its children seen so far: the interned
    /// libxml2 name pointer, whether it is an attribute, and the child's path id. A parent
    /// has few children, so a scan beats hashing.
    private var children: [[(name: UnsafeRawPointer, attribute: Bool, id: Int)]] = [[]]

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
        let pointer = UnsafeRawPointer(name)
        for child in children[parent + 1] where child.name == pointer && child.attribute == attribute {
            return child.id
        }
        let leaf = (attribute ? "@" : "") + String(cString: name)
        let full = parent < 0 ? leaf : paths[parent] + "/" + leaf
        // Distinct interned pointers can name the same path (different prefixes): share ids.
        let id = paths.firstIndex(of: full) ?? { paths.append(full); children.append([]); return paths.count - 1 }()
        children[parent + 1].append((pointer, attribute, id))
        return id
    }

    /// Calls `body` for each record element, in document order.
    func forEachRecord(named recordName: String, progress: (Int, Int) -> Void,
                       _ body: (XMLRecordValues) throws -> Void) throws {
        guard let reader else { return }
        let wanted = Array(recordName.utf8CString)
        var inRecord = false
        var recordDepth = 0
        var stack: [Int] = []
        var spans: [XMLRecordValues.Span] = []
        var arena: [UInt8] = []
        arena.reserveCapacity(4096)
        /// Span index of the open text value of each path in this record (-1: none).
        var openText: [Int] = []
        var recordLine = 0
        var count = 0
        var refusalsBefore = XMLSecurity.refusalCount
        func emit() throws {
            try arena.withUnsafeBufferPointer { buffer in
                try body(XMLRecordValues(line: recordLine, spans: spans, arena: buffer))
            }
            count += 1
            if count & 0xFFF == 0 { progress(bytesRead, size) }
        }
        while true {
            let status = xmlTextReaderRead(reader)
            // Something was refused, here or in a file read at the same time on another thread.
            if XMLSecurity.refusalCount != refusalsBefore {
                refusalsBefore = XMLSecurity.refusalCount
                if let request = XMLSecurity.takeRefusalOfThisThread() {
                    externalRequest = request
                    failure = InputError(file: displayName, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                                         column: Int(xmlTextReaderGetParserColumnNumber(reader)),
                                         problem: "external entity or DTD refused: \(request)",
                                         hint: "Tamis never loads external resources from XML (XXE protection); export the file without a DOCTYPE that points outside it")
                    break
                }
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
            switch type {
            case 1:  // element
                guard let name = xmlTextReaderConstLocalName(reader) else { continue }
                let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
                if !inRecord {
                    guard strcmp(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self), wanted) == 0 else { continue }
                    inRecord = true
                    recordDepth = Int(xmlTextReaderDepth(reader))
                    // The node's own line: the parser's position is ahead of it (read-ahead).
                    recordLine = Int(xmlGetLineNo(xmlTextReaderCurrentNode(reader)))
                    stack.removeAll(keepingCapacity: true)
                    spans.removeAll(keepingCapacity: true)
                    arena.removeAll(keepingCapacity: true)
                    for i in openText.indices { openText[i] = -1 }
                    readAttributes(reader, parent: -1, spans: &spans, arena: &arena)
                    if isEmpty {
                        inRecord = false
                        try emit()
                    }
                    continue
                }
                let id = pathID(parent: stack.last ?? -1, name: name, attribute: false)
                readAttributes(reader, parent: id, spans: &spans, arena: &arena)
                if !isEmpty { stack.append(id) }
            case 3, 4, 13, 14:  // text, CDATA, whitespace, significant whitespace
                guard inRecord, let current = stack.last, let value = xmlTextReaderConstValue(reader) else { continue }
                while openText.count <= current { openText.append(-1) }
                let length = strlen(value)
                if openText[current] >= 0 && spans[openText[current]].end == arena.count {
                    arena.append(contentsOf: UnsafeBufferPointer(start: value, count: length))
                    spans[openText[current]].end = arena.count
                } else if type == 3 || type == 4 {
                    openText[current] = spans.count
                    let start = arena.count
                    arena.append(contentsOf: UnsafeBufferPointer(start: value, count: length))
                    spans.append(.init(path: current, start: start, end: arena.count))
                }
            case 15:  // end element
                guard inRecord else { continue }
                if stack.isEmpty {
                    inRecord = false
                    try emit()
                } else {
                    // A repeated element (two <telephone>) starts a new value next time.
                    let closed = stack.removeLast()
                    if closed < openText.count { openText[closed] = -1 }
                }
            default:
                continue
            }
        }
        _ = recordDepth
        progress(bytesRead, size)
        if failure == nil, externalRequest == nil, inRecord {
            failure = InputError(file: displayName, line: recordLine, problem: "the file ends inside a record element")
        }
    }

    private func readAttributes(_ reader: xmlTextReaderPtr, parent: Int,
                                spans: inout [XMLRecordValues.Span], arena: inout [UInt8]) {
        guard xmlTextReaderHasAttributes(reader) == 1 else { return }
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            guard let name = xmlTextReaderConstLocalName(reader) else { continue }
            if xmlTextReaderIsNamespaceDecl(reader) == 1 { continue }
            let id = pathID(parent: parent, name: name, attribute: true)
            let start = arena.count
            if let value = xmlTextReaderConstValue(reader) {
                arena.append(contentsOf: UnsafeBufferPointer(start: value, count: strlen(value)))
            }
            spans.append(.init(path: id, start: start, end: arena.count))
        }
        xmlTextReaderMoveToElement(reader)
    }
}

/// Process-wide libxml2 security settings.
enum XMLSecurity {
    nonisolated(unsafe) private static var installed = false
    /// What was refused, by the thread whose parser asked (files are read in parallel).
    nonisolated(unsafe) private static var refusedByThread: [UInt: String] = [:]
    /// Bumped at each refusal; readers compare it to the value they last saw (a plain read
    /// per node instead of a lock: only the loader writes it, under the lock), then ask
    /// `takeRefusalOfThisThread` whether the refusal was theirs.
    nonisolated(unsafe) private(set) static var refusalCount = 0
    private static let lock = NSLockLike()

    static func install() {
        lock.locked {
            guard !installed else { return }
            installed = true
            xmlInitParser()
            // Every external entity, DTD or XInclude goes through this loader: refuse them all.
            xmlSetExternalEntityLoader { url, _, _ in
                XMLSecurity.lock.locked {
                    XMLSecurity.refusedByThread[UInt(pthread_self())] = url.map { String(cString: $0) } ?? "(unnamed)"
                    XMLSecurity.refusalCount += 1
                }
                return nil
            }
        }
    }

    /// The request refused on the calling thread since the last call, if any.
    static func takeRefusalOfThisThread() -> String? {
        lock.locked { refusedByThread.removeValue(forKey: UInt(pthread_self())) }
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
