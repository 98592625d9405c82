import ArgumentParser
import Foundation
import TamisPipeline

@main
struct Tamis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tamis",
        abstract: "Turns messy French B2B prospect files into a clean, deduplicated, segmented base.",
        discussion: """
            Exit codes: 0 success; 1 data errors under --strict; 2 usage or pipeline-file errors;
            3 the run failed (I/O error or broken lineage) and nothing was written; 4 another run holds the base.
            """,
        subcommands: [Run.self, Validate.self, Inspect.self, Explain.self, Segments.self, Export.self, Report.self, Sirene.self]
    )
}

/// Exit codes, as documented in the README.
enum ExitCodes {
    static let dataErrors: Int32 = 1
    static let usage: Int32 = 2
    static let runFailed: Int32 = 3
}

/// Loads a pipeline file; on mistakes, prints them all (file:line:column) and exits with 2.
func loadPipeline(_ path: String) throws -> PipelineDefinition {
    do {
        return try PipelineLoader.load(path: path)
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(ExitCodes.usage)
    }
}
