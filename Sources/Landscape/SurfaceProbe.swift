import BERT
import Foundation
import Probe
import Numerics
import Quantization

/// Evaluates a model's fixed objective at θ₀ + x·d₁ + y·d₂ in a perturbation space. Every point is built from the
/// pristine weights (nothing is walked in place): the perturbed tensors are rewritten in a private copy of the
/// forward weights, the rest of which never changes, and the model reads that copy only inside the call.
///
/// With the prefix cache on, every batch starts from hidden_states.l (l the lowest perturbed layer), computed once at
/// the unperturbed weights, and enters layer l at the first stage that reads a perturbed tensor, the earlier stages'
/// results (attention probabilities when only V moves, the FFN activation when only the FFN output moves…) saved
/// once too: bit-identical to the full forward, which `--no-cache` runs instead.
///
/// Outside the latent space the perturbed weights are affine in (x, y), and so is the output of the entry stage's
/// dense layer, whose input the perturbation cannot reach: with `affine` on, its output is out₀ + x·lin(d₁) + y·lin(d₂)
/// from three products made once per batch, and the GEMM of that layer leaves the per-point work (equal to the full
/// forward within rounding: the sum is ordered differently).
public final class SurfaceProbe<T: BLASReal> {
    public let probe: ProbeModel<T>
    public let objective: LossObjective<T>
    /// The perturbed tensors (union of the directions' supports), in model order.
    public let views: [ParameterView]
    public let space: PerturbationSpace
    public let boundary: PassBoundary
    /// Where layer `boundary` is entered: past the stages that read none of the perturbed tensors.
    public let entry: LayerEntry
    let dx: [[Double]], dy: [[Double]]?
    /// The forward weights at the point being evaluated (ŵ outside the perturbed tensors, always).
    let work: Buffer<T>
    /// Latent space: W (W₁ for a split model) and W₂ of the perturbed tensors, and scratch for their perturbed values.
    let latent1: [[T]], latent2: [[T]]?
    let scratch1: Buffer<T>, scratch2: Buffer<T>
    /// Quantized, steps, full precision: ŵ of the perturbed tensors at θ₀.
    let origin: [[T]]
    /// The affine shortcut's layer and stage (nil when off or not applicable), its directions' dense weight and bias
    /// (out × in, out; zero where a direction does not move them), and the per-batch basis, made on first use.
    public let affineStage: (layer: Int, entry: LayerEntry)?
    let affineDirections: [(weight: Buffer<T>, bias: Buffer<T>)]
    var affineBasis: [[Buffer<T>]]?

    /// Resolves the space a model can be scanned in: full precision has one; packed models have no latent weights.
    public static func resolve(_ requested: PerturbationSpace, for probe: ProbeModel<T>) throws -> PerturbationSpace {
        if probe.kind == "fp" {
            if requested == .steps { throw LandscapeError.badOption(option: "--space", reason: "steps needs a quantized model; \(probe.directory.path) is full precision") }
            return .fullPrecision
        }
        if requested == .latent && probe.quantized == nil {
            throw LandscapeError.badOption(option: "--space", reason: "latent needs latent weights; \(probe.directory.path) is a packed model (use quantized or steps)")
        }
        if requested == .fullPrecision { throw LandscapeError.badOption(option: "--space", reason: "full-precision is only for full-precision models") }
        return requested
    }

    /// The unperturbed weights of `space` for `views`, in Double: the latent weights (w₁ + w₂ for a split model) or ŵ.
    public static func reference(_ probe: ProbeModel<T>, views: [ParameterView], space: PerturbationSpace) -> [[Double]] {
        let source: Buffer<T> = space == .latent ? (probe.latentWeights() ?? probe.model.weights) : probe.model.weights
        return views.map { v in
            [Double](unsafeUninitializedCapacity: v.count) { out, count in
                T.kernelToDouble(source.pointer + v.offset, out.baseAddress!, v.count)
                count = v.count
            }
        }
    }

    /// Each view's quantization step for `--space steps` (one per row for an embedding table, else one), nil for a
    /// tensor the forward does not quantize: ternary and binary (and a split model's sum) the mean non-zero |ŵ| of
    /// the row — α itself for TWN, LAQ and BWN —; uniform b-bit tensors max|ŵ|/(2^(b−1) − 1) = 1/s.
    public static func stepUnits(_ probe: ProbeModel<T>, views: [ParameterView]) throws -> [[Double]?] {
        try probe.quantizationSteps(views)
    }

    /// `x` and `y` must be over `views` (extend them to the union first).
    public init(probe: ProbeModel<T>, objective: LossObjective<T>, space: PerturbationSpace, x: Direction, y: Direction?, prefixCache: Bool,
                affine: Bool = true) {
        precondition(y == nil || y!.views.map(\.name) == x.views.map(\.name), "SurfaceProbe: x and y directions over different tensors")
        self.probe = probe
        self.objective = objective
        self.space = space
        let views = x.views
        self.views = views
        dx = x.values
        dy = y?.values
        (boundary, entry) = prefixCache ? Self.cachedPass(probe.model, views: views) : (.embeddings, .start)
        work = Buffer(count: probe.model.table.totalCount)
        work.copy(from: probe.model.weights)
        let largest = views.map(\.count).max() ?? 0
        scratch1 = Buffer(count: largest); scratch2 = Buffer(count: largest)
        let p = probe.model.parameters
        if space == .latent, let q = probe.quantized {
            latent1 = views.map { v in Array(UnsafeBufferPointer(start: p.pointer + v.offset, count: v.count)) }
            latent2 = q.secondHalf.map { w2 in views.map { v in Array(UnsafeBufferPointer(start: w2.pointer + v.offset, count: v.count)) } }
            origin = []
        } else {
            latent1 = []; latent2 = nil
            origin = views.map { v in Array(UnsafeBufferPointer(start: probe.model.weights.pointer + v.offset, count: v.count)) }
        }
        let stage = prefixCache && affine ? Self.affineStage(probe.model, views: views, space: space) : nil
        affineStage = stage
        if let stage, let (wv, bv) = probe.model.entryLinear(layer: stage.layer, entry: stage.entry) {
            affineDirections = ([x.values] + (y.map { [$0.values] } ?? [])).map { values in
                let w = Buffer<T>(count: wv.count), b = Buffer<T>(count: bv.count)
                for (k, v) in views.enumerated() where v.name == wv.name || v.name == bv.name {
                    let target = v.name == wv.name ? w : b
                    for e in 0..<v.count { target[e] = T(values[k][e]) }
                }
                return (w, b)
            }
        } else {
            affineDirections = []
        }
    }

    /// The layer and stage whose dense output the affine shortcut gives, for a cached pass over `views` in `space`:
    /// the cached pass's entry stage when it is past `.start` (V, attention output, FFN intermediate or output) and
    /// the weights move affinely (every space but latent, where the quantizer re-quantizes them); else nil.
    public static func affineStage(_ model: BertModel<T>, views: [ParameterView], space: PerturbationSpace) -> (layer: Int, entry: LayerEntry)? {
        let (boundary, entry) = cachedPass(model, views: views)
        guard space != .latent, entry > .start, case let .hiddenState(l) = boundary, l < model.config.numHiddenLayers,
              model.entryLinear(layer: l, entry: entry) != nil else { return nil }
        return (l, entry)
    }

    /// Bytes a probe's caches take: the prefix cache (hidden states and entry states) and the affine basis.
    public static func cacheBytes(_ objective: LossObjective<T>, views: [ParameterView], space: PerturbationSpace, affine: Bool,
                                  directions: Int) -> Int {
        let (boundary, entry) = cachedPass(objective.model, views: views)
        return cacheBytes(objective, boundary: boundary, entry: entry,
                          stage: affine ? affineStage(objective.model, views: views, space: space) : nil, directions: directions)
    }

    static func cacheBytes(_ objective: LossObjective<T>, boundary: PassBoundary, entry: LayerEntry, stage: (layer: Int, entry: LayerEntry)?,
                           directions: Int) -> Int {
        objective.prefixCacheBytes(for: boundary, entry: entry)
            + (stage.map { objective.entryLinearBasisBytes(layer: $0.layer, entry: $0.entry, directions: directions) } ?? 0)
    }

    /// Where a cached pass over perturbed `views` starts: hidden_states.l of their lowest layer, entered at the first
    /// stage reading one of them.
    public static func cachedPass(_ model: BertModel<T>, views: [ParameterView]) -> (PassBoundary, LayerEntry) {
        let boundary = model.boundary(for: views)
        return (boundary, boundary == .embeddings ? .start : LayerEntry.entry(for: views, layer: boundary.firstLayer))
    }

    /// Bytes of the prefix cache and the affine basis this probe needs (0 without them).
    public var prefixCacheBytes: Int {
        Self.cacheBytes(objective, boundary: boundary, entry: entry, stage: affineStage, directions: affineDirections.count)
    }

    /// Writes the forward weights of point (x, y) into the private buffer and returns it.
    @discardableResult
    public func weights(x: Double, y: Double) -> Buffer<T> {
        // 1-D scans use y = 0 along x itself: x·a + 0·a is x·a exactly.
        let y = dy == nil ? 0 : y
        for (k, v) in views.enumerated() {
            let a = dx[k], b = dy?[k] ?? dx[k]
            let q = work.pointer + v.offset
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    let (pa, pb) = (a.baseAddress!, b.baseAddress!)
                    if space == .latent, let model = probe.quantized {
                        let s1 = scratch1.pointer, s2 = scratch2.pointer
                        if let w2 = latent2?[k] {
                            T.kernelOffsetFromDouble(latent1[k], pa, pb, x: x, y: y, scale: 0.5, s1, v.count)
                            T.kernelOffsetFromDouble(w2, pa, pb, x: x, y: y, scale: 0.5, s2, v.count)
                            model.quantizedValues(of: v, latent: s1, second: s2, into: q)
                        } else {
                            T.kernelOffsetFromDouble(latent1[k], pa, pb, x: x, y: y, scale: 1, s1, v.count)
                            model.quantizedValues(of: v, latent: s1, second: nil, into: q)
                        }
                    } else {
                        T.kernelOffsetFromDouble(origin[k], pa, pb, x: x, y: y, scale: 1, q, v.count)
                    }
                }
            }
        }
        return work
    }

    /// The objective's mean loss and metric at (x, y); non-finite values are returned as they are.
    public func evaluate(x: Double, y: Double) throws -> (loss: Double, metric: Double?) {
        guard let stage = affineStage else {
            let w = weights(x: x, y: y)
            let r = try probe.model.withWeights(w) { try objective.evaluate(from: boundary, entry: entry) }
            return (r.loss, r.accuracy)
        }
        if affineBasis == nil {
            affineBasis = try objective.entryLinearBasis(layer: stage.layer, entry: stage.entry, directions: affineDirections.map {
                (UnsafePointer($0.weight.pointer), UnsafePointer($0.bias.pointer))
            })
        }
        let basis = affineBasis!
        let cx = T(x), cy = T(dy == nil ? 0 : y)
        let w = weights(x: x, y: y)
        let r = try probe.model.withWeights(w) {
            try objective.evaluate(from: boundary, entry: entry) { i, out in
                let b = basis[i], n = b[0].count
                out.update(from: b[0].pointer, count: n)
                T.axpy(n: n, alpha: cx, x: b[1].pointer, incx: 1, y: out, incy: 1)
                if b.count > 2 { T.axpy(n: n, alpha: cy, x: b[2].pointer, incx: 1, y: out, incy: 1) }
            }
        }
        return (r.loss, r.accuracy)
    }
}
