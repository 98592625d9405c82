import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// Loads `data/refdata/` into `ReferenceData`. Files are read by column name, so a refreshed
/// file with extra columns still loads.
public enum ReferenceDataLoader {
    /// Loaded data by folder, for processes that run several pipelines (tests, a scheduler):
    /// the files are read once per process, and read again when one of them changes (the key
    /// holds each file's size and modification time).
    nonisolated(unsafe) private static var cache: [String: ReferenceData] = [:]
    private static let cacheLock = NSLockLike()

    static let fileNames = ["naf_rev2.csv", "naf_rev2_subclasses.csv", "naf_rev1_to_rev2.csv",
                            "naf2025_subclasses.csv", "regions.csv", "departements.csv",
                            "postal_codes_laposte.csv", "address_abbreviations.csv",
                            "legal_form_abbreviations.csv", "consumer_email_domains.csv",
                            "free_email_domains_broad.csv", "tranches_effectif.csv", "first_names_fr.txt",
                            OverseasPhoneBlocksFile.name]

    public static func load(directory: String) throws -> ReferenceData {
        let key = cacheKey(directory)
        if let cached = cacheLock.locked({ cache[key] }) { return cached }
        let data = try read(directory: directory)
        cacheLock.locked { cache[key] = data }
        return data
    }

    private static func cacheKey(_ directory: String) -> String {
        var key = directory
        for name in fileNames {
            var info = stat()
            if stat(directory + "/" + name, &info) == 0 {
                key += "|\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            } else {
                key += "|-"
            }
        }
        return key
    }

    static func read(directory: String) throws -> ReferenceData {
        var data = ReferenceData()
        for row in try table(directory, "naf_rev2.csv") where row["level"] == "1" {
            data.naf.addSection(row["code"] ?? "", label: row["label"] ?? "")
        }
        for row in try table(directory, "naf_rev2_subclasses.csv") {
            data.naf.addSubclass(code: row["code"] ?? "", label: row["label"] ?? "", section: row["section"] ?? "")
        }
        for row in try table(directory, "naf_rev1_to_rev2.csv") {
            data.naf.addRev1Link(rev1: row["naf_rev1"] ?? "", rev2: row["naf_rev2"] ?? "")
        }
        for row in try table(directory, "naf2025_subclasses.csv") {
            data.naf.addNaf2025(code: row["code"] ?? "", label: row["label"] ?? "", section: row["section"] ?? "")
        }
        for row in try table(directory, "regions.csv") {
            data.geography.addRegion(row["region_code"] ?? "", name: row["region_nom"] ?? "")
        }
        for row in try table(directory, "departements.csv") {
            data.geography.addDepartment(row["departement_code"] ?? "", name: row["departement_nom"] ?? "", region: row["region_code"] ?? "")
        }
        for row in try table(directory, "postal_codes_laposte.csv") {
            data.geography.addPostalCode(row["code_postal"] ?? "", commune: row["commune_nom"] ?? "",
                                         deliveryLabel: row["libelle_acheminement"] ?? "", line5: row["ligne_5"] ?? "",
                                         department: row["departement_code"] ?? "", region: row["region_code"] ?? "")
        }
        for row in try table(directory, "address_abbreviations.csv") {
            data.geography.addStreetType(variant: row["variant"] ?? "", canonical: row["canonical"] ?? "")
        }
        for row in try table(directory, "legal_form_abbreviations.csv") {
            let variants = (row["variants"] ?? "").split(separator: ";").map(String.init)
            data.legalForms.add(abbreviation: row["abbreviation"] ?? "", variants: variants)
        }
        for row in try table(directory, "consumer_email_domains.csv") {
            if row["category"] == "disposable" { data.email.disposable.insert(row["domain"] ?? "") }
            else { data.email.consumer.insert(row["domain"] ?? "") }
        }
        for row in try table(directory, "free_email_domains_broad.csv") {
            data.email.broadFree.insert(row["domain"] ?? "")
        }
        for row in try table(directory, "tranches_effectif.csv") {
            if let code = row["code"] { data.headcountBands.insert(code) }
        }
        // Optional: without it, libphonenumber answers for every overseas number.
        if access(directory + "/" + OverseasPhoneBlocksFile.name, F_OK) == 0 {
            data.overseasPhoneBlocks = try OverseasPhoneBlocksFile.read(try table(directory, OverseasPhoneBlocksFile.name),
                                                                       path: directory + "/" + OverseasPhoneBlocksFile.name)
        }
        let names = try FileByteReader.prefix(of: directory + "/first_names_fr.txt", count: 1 << 20)
        for line in names.split(separator: 0x0A) where !line.isEmpty && line.first != 0x23 {
            let ambiguous = line.last == 0x2A  // "martin*": also a frequent surname
            let name = Array(ambiguous ? line.dropLast() : line)
            name.withUnsafeBufferPointer {
                data.firstNames.insert($0)
                if ambiguous { data.surnameLikeFirstNames.insert($0) }
            }
        }
        return data
    }

    /// Rows of a reference CSV as column name → value.
    static func table(_ directory: String, _ name: String) throws -> [[String: String]] {
        struct Collector: CSVRowHandler {
            var header: [String]?
            var rows: [[String: String]] = []
            mutating func row(_ row: CSVRow) -> CSVRowDecision {
                let cells = (0..<row.fieldCount).map { row.string($0) }
                if let header {
                    var entry: [String: String] = [:]
                    for (i, name) in header.enumerated() where i < cells.count { entry[name] = cells[i] }
                    rows.append(entry)
                } else {
                    header = cells
                }
                return .accept
            }
            mutating func problem(_ problem: CSVProblem) {}
        }
        let path = directory + "/" + name
        let reader: FileByteReader
        do { reader = try FileByteReader(path: path) } catch {
            throw InputError(file: path, problem: "reference data file missing",
                             hint: "the pipeline's reference_data folder must hold Tamis's data/refdata files")
        }
        var parser = CSVParser(dialect: CSVDialect(delimiter: UInt8(ascii: ",")))
        var collector = Collector()
        try reader.forEachChunk { parser.parse($0, into: &collector) }
        parser.finish(into: &collector)
        return collector.rows
    }
}
