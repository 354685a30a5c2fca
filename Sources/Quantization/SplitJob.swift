import Foundation

/// `binarybert split`: ternary weight splitting (TWS) of the ternary model in `model` into the equivalent binary
/// model in `output`, computed and stored in float64.
public struct SplitJob: Codable, Sendable, Equatable {
    public var model: String
    public var output: String

    public init(model: String, output: String) {
        self.model = model
        self.output = output
    }

    /// The paths it reads.
    public var reads: [String] { [model] }

    /// Splits and saves; `log` gets one line: the tensors and rows split, and any not exactly splittable.
    public func run(log: (String) -> Void) throws {
        let ternary = try QuantizedModelDirectory.loadQuantized(model, as: Double.self)
        let (binary, coefficients) = try ternary.splitIntoBinary()
        let rows = coefficients.values.reduce(0) { $0 + $1.count }
        let inexact = coefficients.flatMap { name, cs in cs.filter { !$0.exact }.map { _ in name } }
        let rescaled = coefficients.values.reduce(0) { $0 + $1.filter { $0.lambda != 1 }.count }
        try QuantizedModelDirectory.save(binary, to: URL(fileURLWithPath: output), tokenizerSource: URL(fileURLWithPath: model))
        log("split \(coefficients.count) \(ternary.spec.method) tensors (\(rows) scaled rows); \(inexact.count) rows not exactly splittable"
            + (inexact.isEmpty ? "" : ": " + Set(inexact).sorted().joined(separator: ", "))
            + (rescaled > 0 ? "; \(rescaled) LAQ rows split with rescaled kept weights (w₁ + w₂ ≠ w there)" : ""))
    }
}
