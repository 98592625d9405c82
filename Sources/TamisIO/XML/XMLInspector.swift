import CLibXML2
import TamisCore

/// Helps `tamis inspect` on an XML file whose record element is not known yet.
public enum XMLInspector {
    /// The first element name that repeats as a child of the same parent (e.g. `contact`
    /// under `<contacts>`), read from the start of the file.
    public static func guessRecordElement(path: String) throws -> String {
        let session = try XMLSession(path: path, displayName: path)
        defer { session.close() }
        if let name = session.firstRepeatedElement() { return name }
        throw InputError(file: path, problem: "no repeated element found to use as the record",
                         hint: "give it with --record, e.g. --record contact")
    }
}

extension XMLSession {
    func firstRepeatedElement(limit: Int = 10_000) -> String? {
        var seen: [Int: Set<String>] = [:]  // depth → names
        var nodes = 0
        return withReader { reader in
            while xmlTextReaderRead(reader) == 1, nodes < limit {
                nodes += 1
                guard xmlTextReaderNodeType(reader) == 1, let name = xmlTextReaderConstLocalName(reader) else { continue }
                let depth = Int(xmlTextReaderDepth(reader))
                let text = String(cString: name)
                if seen[depth, default: []].contains(text), depth > 0 { return text }
                seen[depth, default: []].insert(text)
                // Entering a new parent resets the deeper levels.
                seen = seen.filter { $0.key <= depth }
            }
            return nil
        }
    }
}
