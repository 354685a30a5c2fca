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
///
/// LAQ (method "laq") keeps its scales α as state (`laqScales`, saved in quantization.json): `refresh()` computes
/// ŵ = α·sign(w)⊙1[|w| > α/2] from the stored α, and training refits α with Adam's curvature through
/// `fitLossAwareScales(secondMoment:epsilon:)` after each optimizer step, before `refresh()`.
public final class QuantizedBertModel<T: BLASReal> {
    public let model: BertModel<T>
    /// The spec as loaded or created; `currentSpec` adds the learned activation-quantizer parameters and LAQ scales.
    public let spec: QuantizationSpec
    /// Activation quantizers (activationBits < 32), installed as `model.activationQuantizer`.
    public let activationQuantizers: ActivationQuantizerSet?
    /// The model's quantizer (`spec.weightBits`); `quantizers` holds each tensor's (they differ in a mixed model).
    public let quantizer: WeightQuantizer
    /// The quantizer of each quantized view (parallel to `quantizedViews`).
    public let quantizers: [WeightQuantizer]
    public let secondHalf: Buffer<T>?
    public let quantized: Buffer<T>
    /// Scratch for Q(W₂) of the largest quantized tensor (split models), reused by every `refresh()`.
    private let scratch: Buffer<T>
    /// Views of the quantized tensors, and of the biases that belong to them (split halves those too).
    public let quantizedViews: [ParameterView]
    /// The quantized views held as two halves (all of them in a TWS model, the selected ones after adaptive
    /// splitting), with `isSplitView` parallel to `quantizedViews`.
    public let splitViews: [ParameterView]
    public let isSplitView: [Bool]
    public let splitBiasViews: [ParameterView]
    /// LAQ's α for each quantized view (parallel to `quantizedViews`; one per row for the word embedding, one per
    /// tensor otherwise); empty for the other quantizers, whose scales are functions of w.
    public internal(set) var laqScales: [[Double]] = []
    /// The ranges of `model.parameters` outside the quantized views (offset, count), which `refresh()` copies as they are.
    private let passThrough: [(offset: Int, count: Int)]

    public init(model: BertModel<T>, spec: QuantizationSpec) throws {
        self.model = model
        self.spec = spec
        quantizer = try WeightQuantizer(bits: spec.weightBits, method: spec.method)
        if quantizer == .lossAwareTernary && spec.split { throw QuantizationError.unsupportedMethod(spec.method, bits: 1) }
        var views: [ParameterView] = []
        for name in spec.quantizedTensors {
            guard let v = model.table[name] else { throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "unknown tensor \(name)") }
            views.append(v)
        }
        quantizedViews = views
        var ranges: [(offset: Int, count: Int)] = [], next = 0
        for v in views.sorted(by: { $0.offset < $1.offset }) {
            if v.offset > next { ranges.append((next, v.offset - next)) }
            next = max(next, v.offset + v.count)
        }
        if next < model.table.totalCount { ranges.append((next, model.table.totalCount - next)) }
        passThrough = ranges
        let names = Set(spec.quantizedTensors)
        if let unknown = (Array((spec.tensorBits ?? [:]).keys) + (spec.splitTensors ?? [])).sorted().first(where: { !names.contains($0) }) {
            throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "tensor_bits or split_tensors name \(unknown), which is not a quantized tensor")
        }
        quantizers = try views.map { try WeightQuantizer(bits: spec.bits(of: $0.name), method: spec.method) }
        if spec.tensorBits != nil && quantizer == .lossAwareTernary {
            throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "a mixed-precision model (tensor_bits) cannot use laq")
        }
        isSplitView = views.map { spec.isSplit($0.name) }
        splitViews = zip(views, isSplitView).filter(\.1).map(\.0)
        if let bad = zip(views, quantizers).first(where: { spec.isSplit($0.0.name) && $0.1 != .binary }) {
            throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "\(bad.0.name) is split, so its halves must be binary (1 bit)")
        }
        splitBiasViews = splitViews.compactMap { v in
            v.name.hasSuffix(".weight") ? model.table[String(v.name.dropLast("weight".count)) + "bias"] : nil
        }
        secondHalf = spec.split ? Buffer(count: model.table.totalCount) : nil
        scratch = Buffer(count: splitViews.map(\.count).max() ?? 0)
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
        model.useWeights(quantized)
        if quantizer == .lossAwareTernary { laqScales = try initialLossAwareScales(spec.laqScales ?? [:]) }
        refresh()
    }

    /// The stored α where the spec has them (checked against the layout), else the d ≡ 1 fit from TWN's α.
    private func initialLossAwareScales(_ stored: [String: [Double]]) throws -> [[Double]] {
        if let unknown = Set(stored.keys).subtracting(quantizedViews.map(\.name)).sorted().first {
            throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "laq_scales names \(unknown), which is not a quantized tensor")
        }
        return try quantizedViews.map { v in
            let (rows, cols) = scaleLayout(v)
            guard let alphas = stored[v.name] else {
                // `quantized` is scratch here: refresh() overwrites it.
                return quantizer.quantize(model.parameters.pointer + v.offset, into: quantized.pointer + v.offset, rows: rows, cols: cols)
            }
            guard alphas.count == rows, alphas.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw QuantizationError.badSpec(file: QuantizationSpec.fileName,
                                                reason: "laq_scales[\(v.name)] needs \(rows) finite non-negative values, found \(alphas.count)")
            }
            return alphas
        }
    }

    /// LAQ: refits every α from its current value with d = √v + ε, v = Adam's second moment laid out like
    /// `model.parameters` (nil: d ≡ 1); see `LossAwareTernarization.fit`. Call `refresh()` afterwards. No-op for
    /// the other quantizers.
    public func fitLossAwareScales(secondMoment v: UnsafePointer<T>?, epsilon: Double) {
        guard quantizer == .lossAwareTernary else { return }
        let p = model.parameters.pointer
        for (k, view) in quantizedViews.enumerated() {
            let (rows, cols) = scaleLayout(view)
            for r in 0..<rows {
                let offset = view.offset + r * cols
                laqScales[k][r] = LossAwareTernarization.fit(p + offset, count: cols, from: laqScales[k][r],
                                                             secondMoment: v.map { $0 + offset }, epsilon: epsilon)
            }
        }
    }

    /// Quantizes the latent values of quantized view k (`latent`: W₁ or W₂ at that view) into `q` with this model's
    /// scales: the stored α for LAQ, else the quantizer's own. Returns the scale of each row.
    @discardableResult
    func quantize(view k: Int, latent: UnsafePointer<T>, into q: UnsafeMutablePointer<T>) -> [Double] {
        let (rows, cols) = scaleLayout(quantizedViews[k])
        guard quantizers[k] == .lossAwareTernary else { return quantizers[k].quantize(latent, into: q, rows: rows, cols: cols) }
        for r in 0..<rows { LossAwareTernarization.apply(latent + r * cols, into: q + r * cols, count: cols, alpha: laqScales[k][r]) }
        return laqScales[k]
    }

    /// `quantize(view:latent:into:)` for a view given by name (it must be one of `quantizedViews`).
    @discardableResult
    func quantize(_ view: ParameterView, latent: UnsafePointer<T>, into q: UnsafeMutablePointer<T>) -> [Double] {
        guard let k = quantizedViews.firstIndex(where: { $0.name == view.name }) else {
            preconditionFailure("\(view.name) is not a quantized tensor of this model")
        }
        return quantize(view: k, latent: latent, into: q)
    }

    /// ŵ of one tensor from given latent values, as `refresh()` computes it: Q(w) for a quantized tensor (this model's
    /// scales, recomputed from `latent` — LAQ's stored α excepted), Q_b(w₁) + Q_b(w₂) when split (`second` = W₂'s
    /// values of the tensor; ignored for a tensor that is not split), w₁ + w₂ for a split bias, and w itself for any
    /// other tensor. Probes that perturb the
    /// latent weights call this for each perturbed tensor; the model is not changed.
    public func quantizedValues(of view: ParameterView, latent: UnsafePointer<T>, second: UnsafePointer<T>?, into q: UnsafeMutablePointer<T>) {
        if let k = quantizedViews.firstIndex(where: { $0.name == view.name }) {
            quantize(view: k, latent: latent, into: q)
            if let second, isSplitView[k] {
                let (rows, cols) = scaleLayout(view)
                quantizers[k].quantize(second, into: scratch.pointer, rows: rows, cols: cols)
                T.axpy(n: view.count, alpha: 1, x: scratch.pointer, incx: 1, y: q, incy: 1)
            }
        } else {
            q.update(from: latent, count: view.count)
            if let second, splitBiasViews.contains(where: { $0.name == view.name }) {
                T.axpy(n: view.count, alpha: 1, x: second, incx: 1, y: q, incy: 1)
            }
        }
    }

    /// Whether `view` is one of the tensors whose forward weights are quantized.
    public func isQuantized(_ view: ParameterView) -> Bool { quantizedViews.contains { $0.name == view.name } }

    /// The spec to save: with the activation quantizers' current parameters and, for LAQ, the current α.
    public var currentSpec: QuantizationSpec {
        var s = spec
        s.activationQuantizers = activationQuantizers?.serialized
        s.laqScales = quantizer == .lossAwareTernary
            ? Dictionary(uniqueKeysWithValues: zip(quantizedViews.map(\.name), laqScales)) : nil
        return s
    }

    /// Rows × columns of a quantized view: the word embedding has one scale per row, the others one per tensor.
    public func scaleLayout(_ v: ParameterView) -> (rows: Int, cols: Int) {
        v.role == .embedding ? (v.shape[0], v.count / v.shape[0]) : (1, v.count)
    }

    /// Recomputes ŵ from the latent weights; call after every update of `model.parameters` / `secondHalf`.
    public func refresh() {
        let p = model.parameters.pointer, q = quantized.pointer
        for r in passThrough { (q + r.offset).update(from: p + r.offset, count: r.count) }   // unquantized tensors pass through
        if secondHalf == nil {
            // Each view is quantized alone into its own range: the same values whichever thread does it.
            let groups = refreshGroups(Parallel.threads)
            let quantize = { (k: Int) in _ = self.quantize(view: k, latent: p + self.quantizedViews[k].offset, into: q + self.quantizedViews[k].offset) }
            if groups.count <= 1 { for k in quantizedViews.indices { quantize(k) } } else {
                DispatchQueue.concurrentPerform(iterations: groups.count) { g in for k in groups[g] { quantize(k) } }
            }
            return
        }
        for (k, v) in quantizedViews.enumerated() {
            quantize(view: k, latent: p + v.offset, into: q + v.offset)
            if let w2 = secondHalf, isSplitView[k] {
                let (rows, cols) = scaleLayout(v)
                quantizers[k].quantize(w2.pointer + v.offset, into: scratch.pointer, rows: rows, cols: cols)
                T.axpy(n: v.count, alpha: 1, x: scratch.pointer, incx: 1, y: q + v.offset, incy: 1)
            }
        }
        if let w2 = secondHalf {
            for v in splitBiasViews { T.axpy(n: v.count, alpha: 1, x: w2.pointer + v.offset, incx: 1, y: q + v.offset, incy: 1) }
        }
    }

    /// The quantized views cut into `parts` groups of about equal size (largest first, each to the smallest group),
    /// in view order inside a group; the tensors spread over the threads in `refresh()`, the rows of a per-row view
    /// (the word embedding) over them again.
    private func refreshGroups(_ parts: Int) -> [[Int]] {
        if let cached = groupCache, cached.parts == parts { return cached.groups }
        let n = max(1, min(parts, quantizedViews.count))
        var groups = [[Int]](repeating: [], count: n), sizes = [Int](repeating: 0, count: n)
        for k in quantizedViews.indices.sorted(by: { (quantizedViews[$0].count, $1) > (quantizedViews[$1].count, $0) }) {
            let g = sizes.indices.min { (sizes[$0], $0) < (sizes[$1], $1) }!
            groups[g].append(k)
            sizes[g] += quantizedViews[k].count
        }
        groups = groups.map { $0.sorted() }.filter { !$0.isEmpty }
        groupCache = (parts, groups)
        return groups
    }
    private var groupCache: (parts: Int, groups: [[Int]])?

    /// The scales (α per tensor, or per row for the word embedding) of the current latent weights, by tensor name
    /// (LAQ: the stored α).
    public func scales() -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        let tmp = Buffer<T>(count: quantizedViews.map(\.count).max() ?? 0)
        for (k, v) in quantizedViews.enumerated() { out[v.name] = quantize(view: k, latent: model.parameters.pointer + v.offset, into: tmp.pointer) }
        return out
    }
}
