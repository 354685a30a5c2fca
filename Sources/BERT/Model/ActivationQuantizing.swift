import Numerics

/// A point of the forward pass whose activations an activation quantizer replaces by quantized values
/// (TernaryBERT/BinaryBERT placement: the input of every quantized linear layer, Q and K before QKᵀ,
/// V before probs·V, and the attention probabilities).
public enum ActivationSite: Hashable, Sendable, Codable, CustomStringConvertible {
    case queryInput(Int), keyInput(Int), valueInput(Int)
    case query(Int), key(Int), value(Int)
    case attentionProbs(Int)
    case attentionOutputInput(Int), ffnIntermediateInput(Int), ffnOutputInput(Int)
    case poolerInput

    /// All sites of a model with `layers` Transformer layers.
    public static func all(layers: Int) -> [ActivationSite] {
        (0..<layers).flatMap { l in
            [ActivationSite.queryInput(l), .keyInput(l), .valueInput(l), .query(l), .key(l), .value(l), .attentionProbs(l),
             .attentionOutputInput(l), .ffnIntermediateInput(l), .ffnOutputInput(l)]
        } + [.poolerInput]
    }

    /// Sites whose values are not centred at 0 (post-GELU/ReLU FFN activations and probabilities): quantized asymmetrically.
    public var isAsymmetric: Bool {
        switch self {
        case .ffnOutputInput, .attentionProbs: return true
        default: return false
        }
    }

    /// A stable text key (used in quantization.json), e.g. "layer3.query_input".
    public var description: String {
        switch self {
        case let .queryInput(l): return "layer\(l).query_input"
        case let .keyInput(l): return "layer\(l).key_input"
        case let .valueInput(l): return "layer\(l).value_input"
        case let .query(l): return "layer\(l).query"
        case let .key(l): return "layer\(l).key"
        case let .value(l): return "layer\(l).value"
        case let .attentionProbs(l): return "layer\(l).attention_probs"
        case let .attentionOutputInput(l): return "layer\(l).attention_output_input"
        case let .ffnIntermediateInput(l): return "layer\(l).ffn_intermediate_input"
        case let .ffnOutputInput(l): return "layer\(l).ffn_output_input"
        case .poolerInput: return "pooler_input"
        }
    }
}

/// Quantizes activations inside the forward pass and passes gradients back through the quantizers
/// (straight-through inside the clipping range; the quantizers' own parameters collect their gradients).
public protocol ActivationQuantizing: AnyObject {
    /// A frozen quantizer is a fixed function: no data-dependent initialisation (LSQ steps must already be set), no
    /// gradients of its own parameters accumulated, no statistics updated. Probes (curvature, surfaces) freeze it so
    /// that they never change the model; `backward` then only applies the straight-through mask.
    var frozen: Bool { get set }
    /// y (n) = Q_site(x). `training` lets data-initialised quantizers (LSQ) take their first statistics.
    func quantize<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, training: Bool)
    /// dx (n) += ∂Q/∂x ⊙ dy for the x that was quantized; accumulates the gradients of the site's parameters.
    func backward<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, count n: Int)
}
