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

/// Streams records out of an XML file with libxml2's SAX2 parser (`XMLRecordStream`).
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
        var session = try XMLRecordStream(path: path, displayName: displayName)
        defer { session.close() }
        let explicitPaths: [String: CanonicalField] = Dictionary(options.fields.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var takenFields = Set<CanonicalField>(options.fields.keys)
        var assembler = RecordAssembler()
        var elementIndex = 0
        // What each path id is, decided the first time the path is seen.
        var roles: [PathRole] = []
        var fieldSpan = [Int](repeating: -1, count: CanonicalField.count)
        var extraSpans: [(slot: Int, span: Int)] = []

        func role(of pathID: Int, in paths: [String]) -> PathRole {
            while roles.count <= pathID { roles.append(.unknown) }
            if roles[pathID].isUnknown {
                let pathName = paths[pathID]
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

        func extraSlot(of pathID: Int, in paths: [String]) -> Int {
            if roles[pathID].extraSlot < 0 {
                roles[pathID].extraSlot = sink.extraIndex(source: sourceIndex, name: paths[pathID])
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
                let pathRole = role(of: span.path, in: record.paths)
                if pathRole.isID {
                    sourceID = String(decoding: Bytes.trimmed(record.bytes(index)), as: UTF8.self)
                }
                if let field = pathRole.field, fieldSpan[field.rawValue] < 0 {
                    fieldSpan[field.rawValue] = index
                } else if span.end > span.start || pathRole.field == nil {
                    // Unmapped paths, and repeated ones (a second <telephone>), are kept as extras.
                    extraSpans.append((extraSlot(of: span.path, in: record.paths), index))
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
    /// The relative paths met so far, by id (`Span.path`).
    var paths: [String]

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

/// Owns one xmlTextReader over a file descriptor, with secure options and error capture
/// (`tamis inspect` reads the start of a file with it; records are read by `XMLRecordStream`).
final class XMLSession {
    let displayName: String
    private let fd: Int32
    private var reader: xmlTextReaderPtr?
    /// First fatal error reported by libxml2.
    private(set) var failure: InputError?

    init(path: String, displayName: String) throws {
        self.displayName = displayName
        (fd, _) = try XMLSecurity.openInput(path: path, displayName: displayName)
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOENT.rawValue | XML_PARSE_NOCDATA.rawValue)
        let context = Unmanaged.passUnretained(self).toOpaque()
        reader = xmlReaderForIO({ context, buffer, length in
            guard let context, let buffer else { return -1 }
            let session = Unmanaged<XMLSession>.fromOpaque(context).takeUnretainedValue()
            return Int32(Glibc.read(session.fd, buffer, Int(length)))
        }, nil, context, "file://" + path, nil, options)
        guard let reader else {
            Glibc.close(fd)
            throw InputError(file: displayName, problem: "libxml2 could not create a reader")
        }
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let session = Unmanaged<XMLSession>.fromOpaque(context).takeUnretainedValue()
            guard error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue, session.failure == nil else { return }
            session.failure = XMLSecurity.inputError(error.pointee, file: session.displayName)
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

    /// Opens an XML file for reading, with libxml2 set up securely first: its descriptor and
    /// size. A missing or empty file is a clear error.
    static func openInput(path: String, displayName: String) throws -> (fd: Int32, size: Int) {
        install()
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(file: displayName, problem: "cannot open the file (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        fstat(fd, &info)
        if info.st_size == 0 {
            Glibc.close(fd)
            throw InputError(file: displayName, problem: "the file is empty")
        }
        return (fd, Int(info.st_size))
    }

    /// A libxml2 error as the steward reads it: where, what, and what to do.
    static func inputError(_ error: xmlError, file: String) -> InputError {
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
        return InputError(file: file, line: Int(error.line), column: Int(error.int2), problem: message, hint: hint)
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
