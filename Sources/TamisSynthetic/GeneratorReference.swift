import Foundation
import TamisIO

extension ProspectGenerator.Reference {
    /// Real postal codes and communes, NAF sub-classes and first names from Tamis's
    /// reference data folder.
    public static func load(refdata: String) throws -> ProspectGenerator.Reference {
        let communes = try CSVTable.read(path: refdata + "/postal_codes_laposte.csv").compactMap { row -> (String, String)? in
            guard let cp = row["code_postal"], let city = row["commune_nom"] else { return nil }
            return (cp, city.capitalized)
        }
        let naf = try CSVTable.read(path: refdata + "/naf_rev2_subclasses.csv").compactMap { $0["code"] }
        let names = try String(contentsOfFile: refdata + "/first_names_fr.txt", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .map { String($0.hasSuffix("*") ? $0.dropLast() : $0).capitalized }
        return ProspectGenerator.Reference(communes: communes, nafCodes: naf, firstNames: names)
    }
}
