import Foundation

/// `binarybert export --packed`: the deployable packed form of the quantized model in `model`, written to `output`
/// with the tokenizer (so that `evaluate` and `forward --text` work on it as on the model).
public struct ExportJob: Codable, Sendable, Equatable {
    public var model: String, output: String

    public init(model: String, output: String) { (self.model, self.output) = (model, output) }

    /// The paths it reads.
    public var reads: [String] { [model] }

    public func run() throws -> PackedModel.ExportSummary {
        let q = try QuantizedModelDirectory.loadQuantized(model, as: Double.self)
        let report = try PackedModel.export(q, to: URL(fileURLWithPath: output), tokenizerSource: URL(fileURLWithPath: model))
        return PackedModel.ExportSummary(report, method: q.spec.method)
    }
}
