import ArgumentParser
import BERT
import Foundation
import Training
import Storage
import Quantization

/// `binarybert export --packed`: the deployable packed form of a quantized model, and its size.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
        abstract: "Write the packed 1-/2-/4-/8-bit form of a quantized model and report its size in MB (1 MB = 1024² bytes).")

    @Option(help: "Quantized model directory.") var model: String
    @Option(help: "Output directory.") var output: String
    @Flag(help: "Pack the quantized weights (the only export format so far).") var packed = false

    func run() throws {
        try OutputClaim.with(output) { try execute() }
    }

    private func execute() throws {
        guard packed else { throw ValidationError("only --packed export exists so far") }
        guard let q = try QuantizedModelDirectory.load(URL(fileURLWithPath: model), as: Double.self) else {
            throw ValidationError("\(model) has no quantization.json: not a quantized model")
        }
        // The tokenizer goes along, so `evaluate` and `forward --text` work on the packed directory as on the model.
        let report = try PackedModel.export(q, to: URL(fileURLWithPath: output), tokenizerSource: URL(fileURLWithPath: model))
        print(try JSONFormat.line(PackedModel.ExportSummary(report, method: q.spec.method)))
    }
}
