import ArgumentParser
import Foundation
import TamisCore
import TamisIO
import TamisPipeline

struct Sirene: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build and inspect the local SIRENE register the pipelines check companies against.",
        subcommands: [Import.self, Info.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import INSEE's monthly stock files into a local register (replaces the old one only once complete).",
            discussion: """
                Download StockEtablissement_utf8.zip and StockUniteLegale_utf8.zip from data.gouv.fr
                ("Base Sirene des entreprises et de leurs établissements"), then:
                  tamis sirene import StockEtablissement_utf8.zip StockUniteLegale_utf8.zip --register data/sirene.register
                Zipped or unzipped files, or extracts with the same header; columns are read by name.
                """)

        @Argument(help: "Stock files (.zip or .csv), establishments and legal units, in any order.")
        var files: [String]

        @Option(help: "The register to build (the path a pipeline names in stages.sirene.register).")
        var register: String

        @Option(help: "The stock's date (YYYY-MM-DD). Default: the latest processing date found in the files.")
        var stockDate: String?

        func run() throws {
            FileHandle.standardError.write(Data("Importing \(files.count) file(s) into \(register) …\n".utf8))
            do {
                let report = try SireneImport.run(
                    files: files, registerPath: register, stockDate: stockDate, importedAt: PipelineRunner.timestamp()
                ) { file, rows, bytes, size in
                    let share = size > 0 ? String(format: " (%.0f%% of the file)", 100 * Double(bytes) / Double(size)) : ""
                    FileHandle.standardError.write(Data("  \((file as NSString).lastPathComponent): \(rows) rows\(share)\n".utf8))
                }
                for file in report.files {
                    var line = "\((file.file as NSString).lastPathComponent): \(file.kind.rawValue), \(file.rows) rows"
                    if file.skipped > 0 { line += ", \(file.skipped) skipped (no valid identifier or wrong field count; first at line \(file.firstSkippedLine ?? 0))" }
                    print(line)
                }
                let rows = report.files.reduce(0) { $0 + $1.rows }
                print("register \(register): stock of \(report.info.stockDate), \(report.info.establishments) establishments, \(report.info.units) legal units, \(report.nameKeys) name keys")
                print(String(format: "%.1f s, %.0f rows/s", report.seconds, Double(rows) / max(report.seconds, 1e-9))
                      + " (" + report.phases.map { String(format: "%@ %.1f s", $0.0, $0.1) }.joined(separator: ", ") + ")")
                if report.info.units == 0 {
                    print("note: no legal-unit file was imported: ceased companies, partial diffusion of sole traders and company names will not be known")
                }
            } catch let error as InputError {
                FileHandle.standardError.write(Data(("error: " + error.description + "\n").utf8))
                throw ExitCode(ExitCodes.runFailed)
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a register's stock date and size.")

        @Argument(help: "The register file.")
        var register: String

        func run() throws {
            do {
                let file = try SireneRegisterFile(path: register)
                print("register:        \(register)")
                print("stock date:      \(file.info.stockDate)")
                print("imported at:     \(file.info.importedAt)")
                print("establishments:  \(file.info.establishments)")
                print("legal units:     \(file.info.units)")
            } catch let error as InputError {
                FileHandle.standardError.write(Data(("error: " + error.description + "\n").utf8))
                throw ExitCode(ExitCodes.usage)
            }
        }
    }
}
