import ArgumentParser
import Quantization
import Training

/// `binarybert export --packed`: the deployable packed form of a quantized model, and its size.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
        abstract: "Write the packed 1-/2-/4-/8-bit form of a quantized model and report its size in MB (1 MB = 1024² bytes).")

    @Option(help: "Quantized model directory.") var model: String
    @Option(help: "Output directory.") var output: String
    @Flag(help: "Pack the quantized weights (the only export format so far).") var packed = false

    func validate() throws {
        guard packed else { throw ValidationError("only --packed export exists so far") }
    }

    func run() throws {
        try OutputClaim.with(output) { try printJSONLine(try job.run()) }
    }

    var job: ExportJob { ExportJob(model: model, output: output) }

    static func arguments(_ job: ExportJob) -> [String] {
        ArgumentWriter("export", ["--model": job.model, "--packed": true, "--output": job.output]).words
    }
}
