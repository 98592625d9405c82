import CLibXML2
import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// Streams record elements out of an XML file with libxml2's SAX2 push parser: no node tree
/// is built (libxml2's text reader builds and frees one per element, which took 60% of a
/// 205 MB export's reading time: 2.1–2.9 s against 1.1–1.3 s for the same parse through SAX).
///
/// What a record holds is what the text reader gave: each element's text runs, attributes as
/// `@name` paths, CDATA as text, internal entities expanded, and a run of white space between
/// elements ignored. Security is the same parser's: no network (`XML_PARSE_NONET`), every
/// external entity or DTD refused by `XMLSecurity`'s loader (the file is then reported), and
/// libxml2's guards against entity amplification and excessive depth.
struct XMLRecordStream {
    let displayName: String
    private let fd: Int32
    private let size: Int
    private(set) var bytesRead = 0
    /// First fatal error reported by libxml2, or the refusal of an external resource.
    private(set) var failure: InputError?
    /// Interned relative paths ("societe/raison_sociale", "@id").
    private(set) var paths: [String] = []
    /// For each parent path id + 1 (0 = the record), its children seen so far: the interned
    /// libxml2 name pointer, whether it is an attribute, and the child's path id. A parent
    /// has few children, so a scan beats hashing.
    private var children: [[(name: UnsafeRawPointer, attribute: Bool, id: Int)]] = [[]]

    // The record being read.
    private var parser: xmlParserCtxtPtr?
    private var wanted: [CChar] = []
    private var inRecord = false
    private var stack: [Int] = []
    private var spans: [XMLRecordValues.Span] = []
    private var arena: [UInt8] = []
    /// Span index of the open text value of each path in this record (-1: none).
    private var openText: [Int] = []
    private var recordLine = 0
    // The current run of character data (a text node, for the text reader).
    private var runOpen = false
    private var runSpan = -1
    /// The run continues a value (nothing else was read since): it is kept even if blank.
    private var runContinues = false
    private var runBlank = true
    private var runPath = -1
    private var openTextBefore = -1
    private var refusalsSeen = 0
    /// Elements open in the whole document, and text delivered so far: libxml2's push parser
    /// checks neither depth nor entity amplification as its tree-building parser does, so
    /// this stream does (the same limits: 256 levels; text over ten times the bytes read).
    private var depth = 0
    private var delivered = 0
    static let maxDepth = 256
    private var handler: ((XMLRecordValues) throws -> Void)?
    private var handlerError: (any Error)?
    private var emitted = 0
    private var progress: ((Int, Int) -> Void)?

    init(path: String, displayName: String) throws {
        self.displayName = displayName
        (fd, size) = try XMLSecurity.openInput(path: path, displayName: displayName)
    }

    func close() { Glibc.close(fd) }

    /// Calls `body` for each record element, in document order. Errors of the document end
    /// the reading and are left in `failure`; an error thrown by `body` is rethrown.
    mutating func forEachRecord(named recordName: String, progress: (Int, Int) -> Void,
                       _ body: (XMLRecordValues) throws -> Void) throws {
        wanted = Array(recordName.utf8CString)
        arena.reserveCapacity(4096)
        refusalsSeen = XMLSecurity.refusalCount
        // The callbacks reach them through `self`, only while `parse` runs.
        withoutActuallyEscaping(progress) { progress in
            withoutActuallyEscaping(body) { body in
                handler = body
                self.progress = progress
                defer { handler = nil; self.progress = nil }
                parse()
            }
        }
        if let handlerError { throw handlerError }
        progress(bytesRead, size)
        if failure == nil, inRecord {
            failure = InputError(file: displayName, line: recordLine, problem: "the file ends inside a record element")
        }
    }

    private mutating func parse() {
        var sax = xmlSAXHandler()
        xmlSAXVersion(&sax, 2)  // the default handlers keep the DTD's entity declarations
        sax.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            guard let context, let localName else { return }
            XMLRecordStream.from(context).pointee.startElement(localName, attributeCount: Int(attributeCount), attributes: attributes)
        }
        sax.endElementNs = { context, _, _, _ in
            guard let context else { return }
            XMLRecordStream.from(context).pointee.endElement()
        }
        sax.characters = { context, text, length in
            guard let context, let text else { return }
            XMLRecordStream.from(context).pointee.characters(UnsafeBufferPointer(start: text, count: Int(length)), cdata: false)
        }
        sax.ignorableWhitespace = sax.characters
        sax.cdataBlock = { context, text, length in
            guard let context, let text else { return }
            XMLRecordStream.from(context).pointee.characters(UnsafeBufferPointer(start: text, count: Int(length)), cdata: true)
        }
        sax.warning = nil
        sax.error = nil
        sax.fatalError = nil
        sax.serror = { context, error in
            guard let context, let error else { return }
            XMLRecordStream.from(context).pointee.libxmlError(error.pointee)
        }
        // The callbacks get the parser context (libxml2's default handlers, kept for the DTD's
        // entities, need it); this stream is its `_private`, which entity expansions inherit.
        guard let parser = xmlCreatePushParserCtxt(&sax, nil, nil, 0, displayName) else {
            failure = InputError(file: displayName, problem: "libxml2 could not create a parser")
            return
        }
        defer {
            if let document = parser.pointee.myDoc { xmlFreeDoc(document) }
            xmlFreeParserCtxt(parser)
        }
        // No network; internal entities expanded; CDATA kept apart (a run of its own).
        xmlCtxtUseOptions(parser, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOENT.rawValue))
        withUnsafeMutablePointer(to: &self) { me in
            parser.pointee._private = UnsafeMutableRawPointer(me)
            me.pointee.parser = parser
            XMLRecordStream.feed(me, parser)
            me.pointee.parser = nil
        }
    }

    /// Reads the file into the parser, whose callbacks update the stream through `me`: the
    /// stream is only read through that pointer here, after each call into libxml2.
    private static func feed(_ me: UnsafeMutablePointer<XMLRecordStream>, _ parser: xmlParserCtxtPtr) {
        let chunk = 1 << 16
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        let fd = me.pointee.fd, file = me.pointee.displayName
        while true {
            let n = Glibc.read(fd, buffer, chunk)
            if n < 0 {
                me.pointee.failure = me.pointee.failure
                    ?? InputError(file: file, problem: "the file could not be read (\(String(cString: strerror(errno))))")
                return
            }
            me.pointee.bytesRead += n
            // A recoverable error (an undeclared namespace prefix) is reported and the reading
            // goes on, as with the text reader; after a fatal one the parser calls nothing more.
            _ = xmlParseChunk(parser, buffer, Int32(n), n == 0 ? 1 : 0)
            if me.pointee.stopped || parser.pointee.disableSAX != 0 || n == 0 { break }
        }
        if me.pointee.failure == nil, !me.pointee.stopped, parser.pointee.wellFormed == 0 {
            me.pointee.failure = InputError(file: file, line: Int(xmlSAX2GetLineNumber(parser)),
                                            problem: "the XML could not be read to its end", hint: "the file may be truncated")
        }
    }

    /// Set when reading must end: the body threw, or an external resource was refused.
    private var stopped: Bool { handlerError != nil || refused }
    private var refused = false

    /// The stream a callback is for: the parser context's `_private` (a pointer to it, not
    /// a class: no reference counting nor exclusivity checks per callback).
    private static func from(_ context: UnsafeMutableRawPointer) -> UnsafeMutablePointer<XMLRecordStream> {
        let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
        return parser.pointee._private!.assumingMemoryBound(to: XMLRecordStream.self)
    }

    /// An external entity or DTD refused on this thread ends the reading, before anything
    /// read after it reaches a record.
    private mutating func refusedHere() -> Bool {
        guard XMLSecurity.refusalCount != refusalsSeen else { return false }
        refusalsSeen = XMLSecurity.refusalCount
        guard let request = XMLSecurity.takeRefusalOfThisThread() else { return false }
        refused = true
        do {  // the refusal is the clearer message, whatever libxml2 reported before it
            failure = InputError(file: displayName, line: parser.map { Int(xmlSAX2GetLineNumber($0)) },
                                 column: parser.map { Int(xmlSAX2GetColumnNumber($0)) },
                                 problem: "external entity or DTD refused: \(request)",
                                 hint: "Tamis never loads external resources from XML (XXE protection); export the file without a DOCTYPE that points outside it")
        }
        stop()
        return true
    }

    /// Counts text handed to a record (character data, attribute values); false when the
    /// document's text has grown past ten times the bytes read: entities that blow up.
    private mutating func deliver(_ count: Int) -> Bool {
        delivered += count
        guard delivered > 10 * bytesRead + 10_000_000 else { return true }
        refuse(problem: "entity expansion refused: the document's text expands to over ten times its size",
               hint: "the document declares entities that expand enormously (a \"billion laughs\" attack); Tamis does not read it")
        return false
    }

    /// Ends the reading on a document this stream will not read further.
    private mutating func refuse(problem: String, hint: String) {
        refused = true
        failure = InputError(file: displayName, line: parser.map { Int(xmlSAX2GetLineNumber($0)) },
                             column: parser.map { Int(xmlSAX2GetColumnNumber($0)) }, problem: problem, hint: hint)
        stop()
    }

    private func stop() {
        if let parser { xmlStopParser(parser) }
    }

    private mutating func startElement(_ localName: UnsafePointer<xmlChar>, attributeCount: Int,
                              attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        if stopped || refusedHere() { return }
        endRun()
        depth += 1
        if depth > XMLRecordStream.maxDepth {
            refuse(problem: "Excessive depth in document: more than \(XMLRecordStream.maxDepth) nested elements",
                   hint: "the document nests elements more than 256 levels deep; no prospect export does that, so it is refused")
            return
        }
        if !inRecord {
            guard strcmp(UnsafeRawPointer(localName).assumingMemoryBound(to: CChar.self), wanted) == 0 else { return }
            inRecord = true
            recordLine = parser.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0
            stack.removeAll(keepingCapacity: true)
            spans.removeAll(keepingCapacity: true)
            arena.removeAll(keepingCapacity: true)
            for i in openText.indices { openText[i] = -1 }
            readAttributes(attributeCount, attributes, parent: -1)
            return
        }
        let id = pathID(parent: stack.last ?? -1, name: localName, attribute: false)
        readAttributes(attributeCount, attributes, parent: id)
        stack.append(id)
    }

    private mutating func endElement() {
        if stopped || refusedHere() { return }
        endRun()
        depth -= 1
        guard inRecord else { return }
        if stack.isEmpty {
            inRecord = false
            emit()
        } else {
            // A repeated element (two <telephone>) starts a new value next time.
            let closed = stack.removeLast()
            if closed < openText.count { openText[closed] = -1 }
        }
    }

    /// Text of the current element. A run of text continues the element's open value when
    /// nothing was read since; otherwise it starts a new value, dropped at its end if it was
    /// only white space. A CDATA section is a run of its own, never dropped.
    private mutating func characters(_ text: UnsafeBufferPointer<UInt8>, cdata: Bool) {
        guard !stopped, deliver(text.count) else { return }
        guard inRecord, let current = stack.last else { return }
        if cdata { endRun() }
        if !runOpen {
            while openText.count <= current { openText.append(-1) }
            runOpen = true
            runPath = current
            runBlank = true
            openTextBefore = openText[current]
            if openText[current] >= 0 && spans[openText[current]].end == arena.count {
                runSpan = openText[current]
                runContinues = true
            } else {
                runSpan = spans.count
                runContinues = false
                openText[current] = runSpan
                spans.append(.init(path: current, start: arena.count, end: arena.count))
            }
        }
        arena.append(contentsOf: text)
        spans[runSpan].end = arena.count
        if runBlank {
            runBlank = !cdata && text.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        }
        if cdata { endRun() }
    }

    /// Ends the current run of text: a new value that was only white space is dropped.
    private mutating func endRun() {
        guard runOpen else { return }
        runOpen = false
        guard !runContinues, runBlank else { return }
        arena.removeSubrange(spans[runSpan].start...)
        spans.removeLast()
        openText[runPath] = openTextBefore
    }

    private mutating func emit() {
        guard let handler else { return }
        do {
            try arena.withUnsafeBufferPointer { buffer in
                try handler(XMLRecordValues(line: recordLine, spans: spans, arena: buffer, paths: paths))
            }
        } catch {
            handlerError = error
            stop()
            return
        }
        emitted += 1
        if emitted & 0xFFF == 0 { progress?(bytesRead, size) }
    }

    /// SAX2 attributes: five pointers each (local name, prefix, URI, value, end of value).
    private mutating func readAttributes(_ count: Int, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, parent: Int) {
        guard count > 0, let attributes else { return }
        for a in 0..<count {
            guard let name = attributes[a * 5] else { continue }
            let id = pathID(parent: parent, name: name, attribute: true)
            let start = arena.count
            if let value = attributes[a * 5 + 3], let end = attributes[a * 5 + 4] {
                guard deliver(end - value) else { return }
                arena.append(contentsOf: UnsafeBufferPointer(start: value, count: end - value))
            }
            spans.append(.init(path: id, start: start, end: arena.count))
        }
    }

    private mutating func pathID(parent: Int, name: UnsafePointer<xmlChar>, attribute: Bool) -> Int {
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

    private mutating func libxmlError(_ error: xmlError) {
        guard error.level.rawValue >= XML_ERR_ERROR.rawValue, failure == nil else { return }
        if refusedHere() { return }  // the refusal is the clearer message
        failure = XMLSecurity.inputError(error, file: displayName)
    }
}
