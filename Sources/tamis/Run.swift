import ArgumentParser
import Foundation
import TamisPipeline

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline: ingest → normalise → exclude → deduplicate → segment → write.")

    @Argument(help: "The pipeline file, e.g. pipelines/pre-campaign.yml.")
    var pipeline: String

    @Option(name: .long, help: "Write the run's files to this folder instead of the pipeline's outputs.directory.")
    var out: String?

    @Flag(name: .long, help: "Read and process everything, write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Fail (exit 1, nothing written) if any row is rejected or any file cannot be read.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Print only warnings and errors.")
    var quiet = false

    @Flag(name: .long, help: "Rebuild the base from this run's files only, even if the pipeline says mode: refresh (golden IDs are kept).")
    var rebuild = false

    func run() throws {
        let definition = try loadPipeline(pipeline)
        let runner = PipelineRunner(definition: definition,
                                    options: RunOptions(outputDirectory: out, dryRun: dryRun, strict: strict, quiet: quiet,
                                                               rebuild: rebuild))
        do {
            try runner.run()
            // The process exits next: the run's records are left to the operating system, which
            // takes their memory back at once, instead of being freed one by one (half a second
            // of one core at a million records).
            _ = Unmanaged.passRetained(runner)
        } catch let failure as RunFailure {
            FileHandle.standardError.write(Data(("error: " + failure.description + "\n").utf8))
            throw ExitCode(failure.exitCode)
        }
    }
}
