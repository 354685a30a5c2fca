import ArgumentParser
import Quantization
import Training

/// `binarybert split`: ternary weight splitting of a ternary model directory into the equivalent binary model.
struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "split",
        abstract: "Split a ternary model (TWN or LAQ) into the equivalent binary model (TWS), computed and stored in float64.")

    @Option(help: "Ternary model directory (from `quantize --weight-bits 2`, TWN or LAQ).") var model: String
    @Option(help: "Output directory.") var output: String

    func run() throws {
        try OutputClaim.with(output) { try job.run(log: TaskData.standardError) }
    }

    var job: SplitJob { SplitJob(model: model, output: output) }

    static func arguments(_ job: SplitJob) -> [String] { ArgumentWriter("split", ["--model": job.model, "--output": job.output]).words }
}
