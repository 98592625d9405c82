import ArgumentParser
import Foundation
import TamisPipeline

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the matcher's verdict on two records: each field's level and weight, and the probability.",
        discussion: "Records are SOURCE:ID as in lineage.csv, e.g. crm:CRM-88121 webinar-hubspot:hs-1003. Nothing is written.")

    @Argument(help: "The pipeline file.")
    var pipeline: String
    @Argument(help: "The first record, SOURCE:ID.")
    var left: String
    @Argument(help: "The second record, SOURCE:ID.")
    var right: String
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let definition = try loadPipeline(pipeline)
        do {
            let explanation = try PairExplainer.explain(definition: definition, left: left, right: right)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(explanation), as: UTF8.self))
            } else {
                print(PairExplainer.text(explanation))
            }
        } catch let failure as PairExplainer.Failure {
            FileHandle.standardError.write(Data(("error: \(failure.description)\n").utf8))
            throw ExitCode(ExitCodes.usage)
        } catch let failure as RunFailure {
            FileHandle.standardError.write(Data(("error: " + failure.description + "\n").utf8))
            throw ExitCode(failure.exitCode)
        }
    }
}
