import BERT
import Foundation
import Numerics

/// A BERT whose forward pass uses quantized weights ŵ = Q(w) while training updates latent full-precision w
/// (straight-through estimator: ∂L/∂w = ∂L/∂ŵ, the scales get no gradient).
///
/// `model.parameters` holds the latent weights (the first halves W₁ for a split model), `secondHalf` the second
/// halves W₂ (same layout; used for the quantized tensors and their biases), and `model.weights` points at the
/// buffer of ŵ that `refresh()` fills: Q(W), or Q_b(W₁) + Q_b(W₂) and b₁ + b₂ when split. Gradients land in
/// `model.gradients` and serve both halves.
public final class QuantizedBertModel<T: BLASReal> {
    public let model: BertModel<T>
    /// The spec as loaded or created; `currentSpec` adds the activation quantizers' learned parameters.
    public let spec: QuantizationSpec
    /// Activation quantizers (activationBits < 32), installed as `model.activationQuantizer`.
    public let activationQuantizers: ActivationQuantizerSet?
    public let quantizer: WeightQuantizer
    public let secondHalf: Buffer<T>?
    public let quantized: Buffer<T>
    /// Scratch for Q(W₂) of the largest quantized tensor (split models), reused by every `refresh()`.
    private let scratch: Buffer<T>
    /// Views of the quantized tensors, and of the biases that belong to them (split halves those too).
    public let quantizedViews: [ParameterView]
    public let splitBiasViews: [ParameterView]

    public init(model: BertModel<T>, spec: QuantizationSpec) throws {
        self.model = model
        self.spec = spec
        quantizer = try WeightQuantizer(bits: spec.weightBits)
        var views: [ParameterView] = []
        for name in spec.quantizedTensors {
            guard let v = model.table[name] else { throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "unknown tensor \(name)") }
            views.append(v)
        }
        quantizedViews = views
        splitBiasViews = spec.split ? views.compactMap { v in
            v.name.hasSuffix(".weight") ? model.table[String(v.name.dropLast("weight".count)) + "bias"] : nil
        } : []
        secondHalf = spec.split ? Buffer(count: model.table.totalCount) : nil
        scratch = Buffer(count: spec.split ? (views.map(\.count).max() ?? 0) : 0)
        quantized = Buffer(count: model.table.totalCount)
        if spec.activationBits < 32 {
            let layers = model.config.numHiddenLayers
            let set = try spec.activationQuantizers.map { try ActivationQuantizerSet(serialized: $0, layers: layers) }
                ?? ActivationQuantizerSet(bits: spec.activationBits, layers: layers)
            activationQuantizers = set
            model.activationQuantizer = set
        } else {
            activationQuantizers = nil
        }
        model.weights = quantized
        refresh()
    }

    /// The spec to save: with the activation quantizers' current parameters.
    public var currentSpec: QuantizationSpec {
        var s = spec
        s.activationQuantizers = activationQuantizers?.serialized
        return s
    }

    /// Rows × columns of a quantized view: the word embedding has one scale per row, the others one per tensor.
    func scaleLayout(_ v: ParameterView) -> (rows: Int, cols: Int) {
        v.role == .embedding ? (v.shape[0], v.count / v.shape[0]) : (1, v.count)
    }

    /// Recomputes ŵ from the latent weights; call after every update of `model.parameters` / `secondHalf`.
    public func refresh() {
        let p = model.parameters.pointer, q = quantized.pointer
        q.update(from: p, count: model.table.totalCount)   // unquantized tensors pass through
        for v in quantizedViews {
            let (rows, cols) = scaleLayout(v)
            quantizer.quantize(p + v.offset, into: q + v.offset, rows: rows, cols: cols)
            if let w2 = secondHalf {
                quantizer.quantize(w2.pointer + v.offset, into: scratch.pointer, rows: rows, cols: cols)
                T.axpy(n: v.count, alpha: 1, x: scratch.pointer, incx: 1, y: q + v.offset, incy: 1)
            }
        }
        if let w2 = secondHalf {
            for v in splitBiasViews { T.axpy(n: v.count, alpha: 1, x: w2.pointer + v.offset, incx: 1, y: q + v.offset, incy: 1) }
        }
    }

    /// The scales (α per tensor, or per row for the word embedding) of the current latent weights, by tensor name.
    public func scales() -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        let tmp = Buffer<T>(count: quantizedViews.map(\.count).max() ?? 0)
        for v in quantizedViews {
            let (rows, cols) = scaleLayout(v)
            out[v.name] = quantizer.quantize(model.parameters.pointer + v.offset, into: tmp.pointer, rows: rows, cols: cols)
        }
        return out
    }
}
