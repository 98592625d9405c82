import Foundation
import TamisCore

/// Writes prospect exports shaped like real ones (French names, accents, quoted addresses
/// with delimiters and the odd line break) for ingest benchmarks.
enum SyntheticExport {
    static let firstNames = ["Jean", "Marie", "Hélène", "François", "Zoé", "Étienne", "Camille", "Léa", "Jean-Pierre",
                             "Anne-Sophie", "Noël", "Chloé", "Loïc", "Gaëlle", "Thomas", "Nicolas", "Sophie", "Inès"]
    static let lastNames = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
                            "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Château", "Dupré", "Bœuf", "Kerjean"]
    static let companies = ["Boulangerie", "Transports", "Cabinet", "Ateliers", "Soft'Œuvre", "Pharma", "Bâtiment",
                            "Conseil", "Imprimerie", "Garage", "Menuiserie", "Informatique"]
    static let forms = ["SAS", "SARL", "SA", "EURL", "SASU", ""]
    static let streets = ["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "place Bellecour",
                          "chemin des Vignes", "allée des Sciences", "impasse du Moulin"]
    static let cities = [("69002", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("31000", "Toulouse"),
                         ("44000", "Nantes"), ("33000", "Bordeaux"), ("59000", "Lille"), ("29200", "Brest")]
    static let titles = ["Gérant", "Directeur commercial", "Responsable achats", "DAF", "Assistante de direction", "CTO"]
    static let nafs = ["62.01Z", "10.71C", "69.20Z", "49.41A", "43.32A", "46.90Z", "70.22Z"]

    struct Person {
        var fields: [String]
    }

    static let csvHeader = ["Identifiant", "Civilité", "Prénom", "Nom", "Société", "SIRET", "Code NAF", "Fonction",
                            "E-mail", "Téléphone", "Adresse", "CP", "Ville", "Date de création"]

    static func person(_ i: Int, _ rng: inout SplitMix64) -> Person {
        let first = rng.pick(firstNames), last = rng.pick(lastNames)
        let company = "\(rng.pick(companies)) \(rng.pick(lastNames)) \(rng.pick(forms))".trimmingCharacters(in: .whitespaces)
        let (cp, city) = rng.pick(cities)
        var address = "\(rng.int(1...180)), \(rng.pick(streets))"
        if rng.next() % 50 == 0 { address += "\nBâtiment \(rng.int(1...9))" }
        let siret = String(format: "%09d%05d", rng.int(100_000_000...999_999_999), rng.int(1...99))
        let email = "\(first.lowercased()).\(last.lowercased())\(i % 7)@example-\(rng.int(1...50_000)).fr"
        return Person(fields: [
            "P\(i)", rng.next() % 2 == 0 ? "M." : "Mme", first, last.uppercased(), company, siret, rng.pick(nafs),
            rng.pick(titles), email, String(format: "0%d %02d %02d %02d %02d", rng.int(1...7), rng.int(0...99),
            rng.int(0...99), rng.int(0...99), rng.int(0...99)), address, cp, city, "2026-0\(rng.int(1...9))-1\(rng.int(0...9))",
        ])
    }

    /// Writes a `;`-separated UTF-8 CSV with CRLF line ends; returns its size in bytes.
    static func writeCSV(rows: Int, to path: String, seed: UInt64 = 42) throws -> Int {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var rng = SplitMix64(seed: seed)
        var buffer = Data()
        buffer.append(contentsOf: Array((csvHeader.joined(separator: ";") + "\r\n").utf8))
        var total = 0
        for i in 0..<rows {
            let cells = person(i, &rng).fields.map { cell -> String in
                cell.contains(";") || cell.contains("\"") || cell.contains("\n") || cell.contains(",")
                    ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
            }
            buffer.append(contentsOf: Array((cells.joined(separator: ";") + "\r\n").utf8))
            if buffer.count > 1 << 20 {
                total += buffer.count
                handle.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        total += buffer.count
        handle.write(buffer)
        return total
    }

    static let xmlTags = ["", "civilite", "prenom", "nom", "", "", "", "fonction", "email", "telephone", "", "", "", "date_creation"]

    /// Writes an XML CRM export of the same people; returns its size in bytes.
    static func writeXML(rows: Int, to path: String, seed: UInt64 = 42) throws -> Int {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var rng = SplitMix64(seed: seed)
        var buffer = Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<export xmlns=\"urn:example:crm\">\n".utf8)
        var total = 0
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        }
        for i in 0..<rows {
            let f = person(i, &rng).fields
            var xml = "  <contact id=\"\(f[0])\">"
            for (k, tag) in xmlTags.enumerated() where !tag.isEmpty { xml += "<\(tag)>\(esc(f[k]))</\(tag)>" }
            xml += "<societe siret=\"\(f[5])\"><raison_sociale>\(esc(f[4]))</raison_sociale><naf>\(f[6])</naf></societe>"
            xml += "<adresse><ligne1><![CDATA[\(f[10])]]></ligne1><cp>\(f[11])</cp><ville>\(esc(f[12]))</ville></adresse></contact>\n"
            buffer.append(contentsOf: Array(xml.utf8))
            if buffer.count > 1 << 20 {
                total += buffer.count
                handle.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        buffer.append(contentsOf: Array("</export>\n".utf8))
        total += buffer.count
        handle.write(buffer)
        return total
    }
}
