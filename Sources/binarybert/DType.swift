import ArgumentParser
import BERT

/// float32 or float64: the type a command computes in.
enum DType: String, ExpressibleByArgument, CaseIterable, Codable {
    case float32, float64
}

/// The split a probe's objective is taken on.
enum ProbeSplit: String, ExpressibleByArgument, CaseIterable, Codable {
    case train, dev
}

/// How a probe's objective lays out its batches: packed (no padding rows), padded to each batch's longest row, or
/// auto: packed unless a model quantizes its activations — the 8-bit clip quantizer takes its range per batch, padding
/// rows included, so packing would change a quantized model's numbers (by ~1e-3 relative), not just its speed.
enum ProbeBatching: String, ExpressibleByArgument, CaseIterable, Codable {
    case auto, packed, padded

    static let help = ArgumentHelp(stringLiteral: "Batch layout of the objective: auto (packed unless a model quantizes "
        + "activations), packed (no padding rows) or padded (as training batches).")

    /// Whether batches are packed for these models.
    func packs(_ models: [ActivationQuantizing?]) -> Bool {
        switch self {
        case .packed: return true
        case .padded: return false
        case .auto: return models.allSatisfy { $0 == nil }
        }
    }
}
