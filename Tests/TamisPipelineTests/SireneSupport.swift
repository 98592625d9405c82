import CZlib
import Foundation
import TamisCore
import TamisIO
import TamisPipeline
import XCTest

/// Writes SIRENE stock files in INSEE's layout (the columns in the official order, most left
/// empty) from a few values per row, for tests.
enum StockFiles {
    static let establishmentHeader = try! String(contentsOf: packageRoot.appendingPathComponent("data/sirene/StockEtablissement_sample.csv"), encoding: .utf8)
        .split(separator: "\n")[0].split(separator: ",").map(String.init)
    static let unitHeader = try! String(contentsOf: packageRoot.appendingPathComponent("data/sirene/StockUniteLegale_sample.csv"), encoding: .utf8)
        .split(separator: "\n")[0].split(separator: ",").map(String.init)

    /// A SIREN with its check digit after `prefix` (8 digits).
    static func siren(_ prefix: String) -> String {
        (0...9).map { prefix + String($0) }.first { SiretNumber.luhn(Array($0.utf8)) }!
    }

    /// A valid SIRET of `siren` whose NIC starts with `nic` (4 digits).
    static func siret(_ siren: String, _ nic: String) -> String {
        (0...9).map { siren + nic + String($0) }.first { SiretNumber.luhn(Array($0.utf8)) }!
    }

    static func csv(header: [String], rows: [[String: String]]) -> String {
        var text = header.joined(separator: ",") + "\n"
        for row in rows {
            text += header.map { column -> String in
                let value = row[column] ?? ""
                return value.contains(",") || value.contains("\"") ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
            }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// An active establishment row; `values` override (short names: see `expand`).
    static func establishment(_ siret: String, _ values: [String: String] = [:]) -> [String: String] {
        var row = ["siren": String(siret.prefix(9)), "nic": String(siret.suffix(5)), "siret": siret,
                   "statutDiffusionEtablissement": "O", "etatAdministratifEtablissement": "A", "etablissementSiege": "false",
                   "nomenclatureActivitePrincipaleEtablissement": "NAFRev2", "dateDernierTraitementEtablissement": "2026-10-31T10:00:00"]
        for (key, value) in values { row[expand[key] ?? key] = value }
        return row
    }

    static func unit(_ siren: String, _ name: String, _ values: [String: String] = [:]) -> [String: String] {
        var row = ["siren": siren, "denominationUniteLegale": name, "statutDiffusionUniteLegale": "O",
                   "etatAdministratifUniteLegale": "A", "dateDernierTraitementUniteLegale": "2026-10-30T10:00:00"]
        for (key, value) in values { row[expand[key] ?? key] = value }
        return row
    }

    static let expand = [
        "state": "etatAdministratifEtablissement", "diffusion": "statutDiffusionEtablissement", "siege": "etablissementSiege",
        "number": "numeroVoieEtablissement", "type": "typeVoieEtablissement", "street": "libelleVoieEtablissement",
        "postal": "codePostalEtablissement", "city": "libelleCommuneEtablissement", "naf": "activitePrincipaleEtablissement",
        "headcount": "trancheEffectifsEtablissement", "sign": "enseigne1Etablissement", "since": "dateDebut",
        "created": "dateCreationEtablissement",
        "unit_state": "etatAdministratifUniteLegale", "unit_diffusion": "statutDiffusionUniteLegale", "nic_siege": "nicSiegeUniteLegale",
        "category": "categorieJuridiqueUniteLegale", "size": "categorieEntreprise", "acronym": "sigleUniteLegale",
        "unit_naf": "activitePrincipaleUniteLegale",
    ]

    /// Writes both files into `dir` and imports them into `dir/sirene.register`.
    @discardableResult
    static func register(in dir: URL, establishments: [[String: String]], units: [[String: String]]) throws -> String {
        let e = dir.appendingPathComponent("StockEtablissement_utf8.csv"), u = dir.appendingPathComponent("StockUniteLegale_utf8.csv")
        try csv(header: establishmentHeader, rows: establishments).write(to: e, atomically: true, encoding: .utf8)
        try csv(header: unitHeader, rows: units).write(to: u, atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("sirene.register").path
        try SireneImport.run(files: [e.path, u.path], registerPath: path, importedAt: "2026-11-01T00:00:00Z")
        return path
    }

    /// A zip holding one deflated entry, as INSEE publishes the stock (local header, data,
    /// central directory, end record).
    static func zip(name: String, content: Data) throws -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CocoaError(.fileWriteUnknown)
        }
        var input = [UInt8](content)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                _ = deflate(&stream, Z_FINISH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        deflateEnd(&stream)
        let crc = input.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        var data = Data()
        func u16(_ v: Int) { data.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
        func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { data.append(UInt8(v >> UInt32(s) & 0xFF)) } }
        let nameBytes = Array(name.utf8)
        u32(0x0403_4B50); u16(20); u16(0); u16(8); u16(0); u16(0); u32(crc); u32(UInt32(produced)); u32(UInt32(input.count))
        u16(nameBytes.count); u16(0); data.append(contentsOf: nameBytes)
        data.append(contentsOf: output[0..<produced])
        let central = data.count
        u32(0x0201_4B50); u16(20); u16(20); u16(0); u16(8); u16(0); u16(0); u32(crc); u32(UInt32(produced)); u32(UInt32(input.count))
        u16(nameBytes.count); u16(0); u16(0); u16(0); u16(0); u32(0); u32(0); data.append(contentsOf: nameBytes)
        let centralSize = data.count - central
        u32(0x0605_4B50); u16(0); u16(0); u16(1); u16(1); u32(UInt32(centralSize)); u32(UInt32(central)); u16(0)
        return data
    }
}

/// Runs a small pipeline over `prospects` (a `;` CSV) with `stages.sirene` pointing at `register`.
func runSirenePipeline(in dir: URL, prospects: String, register: String?, sirene: String = "") throws -> (RunSummary, PipelineRunner) {
    try prospects.write(to: dir.appendingPathComponent("prospects.csv"), atomically: true, encoding: .utf8)
    var yaml = "name: sirene-test\nsources:\n  - name: leads\n    path: prospects.csv\n    id_column: id\n"
    yaml += "reference_data: \(packageRoot.appendingPathComponent("data/refdata").path)\n"
    yaml += "stages:\n  exclude:\n    rule_sets: [students, test_entries]\n"
    if let register {
        yaml += "  sirene:\n    register: \(register)\n"
        for line in sirene.split(separator: "\n") { yaml += "    " + line + "\n" }
    }
    yaml += "outputs:\n  directory: out/run\n  base: out/base.sqlite\n"
    let path = dir.appendingPathComponent("sirene.yml").path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    let runner = PipelineRunner(definition: try PipelineLoader.load(path: path), options: RunOptions(quiet: true))
    return (try runner.run(), runner)
}

extension PipelineRunner {
    /// The record with this source id.
    func record(_ id: String) -> (ProspectRecord, RecordOutcome)? {
        guard let i = state.records.firstIndex(where: { $0.origin.sourceID == id }) else { return nil }
        return (state.records[i], state.outcomes[i])
    }
}
