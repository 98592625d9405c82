import ArgumentParser
import Foundation
import TamisPipeline

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a pipeline file: every mistake with its line and a hint. Exit 2 if any.")

    @Argument(help: "The pipeline file.")
    var pipeline: String

    func run() throws {
        let definition = try loadPipeline(pipeline)
        let files = definition.sources.reduce(0) { $0 + $1.files.count }
        print("\(pipeline): OK — \(definition.sources.count) source(s), \(files) file(s), "
              + "\(definition.exclusionRules.count) exclusion rule(s), \(definition.segments.count) segment(s)")
    }
}
