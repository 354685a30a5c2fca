import Foundation
import Numerics

/// One fixed objective for probes: the mean task loss over a fixed list of batches, each batch's mean weighted by
/// its example count (so the result is the mean over examples, whatever the batch sizes), in eval mode. Its gradient
/// and Hessian-vector products have the same normalization. Batches are validated once, at construction.
///
/// A prefix cache keeps, per batch, hidden_states.l at the current weights for one boundary l, so that probes of
/// layers ≥ l do not rerun the layers below. It is valid only while the weights below l do not change: call
/// `invalidatePrefix()` after changing them (`withWeights` of a buffer that differs below l included).
public final class LossObjective<T: BLASReal> {
    public let model: BertModel<T>
    public let batches: [(tokens: TokenBatch, targets: Targets)]
    public let exampleCount: Int
    private var prefix: (boundary: PassBoundary, hidden: [Buffer<T>])?
    private var entryCache: (boundary: PassBoundary, entry: LayerEntry, states: [LayerEntryState<T>])?
    /// (model.forwardCount, weights, boundary) right after this objective's last HVP forward of its only batch: while both are
    /// unchanged, the model's workspace still holds that forward and the next HVP reuses it.
    private var lastForward: (count: Int, weights: ObjectIdentifier, boundary: PassBoundary)?

    public init(model: BertModel<T>, batches: [(tokens: TokenBatch, targets: Targets)]) throws {
        guard !batches.isEmpty else { throw ObjectiveError.empty }
        for b in batches {
            try model.validate(b.tokens)
            if b.targets.count != b.tokens.batchSize { throw ModelError.labelCount(expected: b.tokens.batchSize, found: b.targets.count) }
        }
        self.model = model
        self.batches = batches
        exampleCount = batches.reduce(0) { $0 + $1.tokens.batchSize }
    }

    func weight(_ b: Int) -> Double { Double(batches[b].tokens.batchSize) / Double(exampleCount) }

    /// The mean loss over all examples at the current weights.
    public func loss() throws -> Double {
        var total = 0.0
        for (i, b) in batches.enumerated() {
            let l = try model.taskLoss(model.forward(b.tokens), targets: b.targets, wantGradient: false).0
            guard l.isFinite else { throw ObjectiveError.nonFinite(what: "loss", batch: i) }
            total += weight(i) * l
        }
        return total
    }

    /// The mean loss and, for a classifier, the accuracy (fraction of argmax predictions equal to the label) over all
    /// examples at the current weights: what a curvature number must be read beside.
    public func lossAndAccuracy() throws -> (loss: Double, accuracy: Double?) {
        let r = try evaluate(from: .embeddings)
        guard r.loss.isFinite else { throw ObjectiveError.nonFinite(what: "loss", batch: r.firstNonFinite) }
        return (r.loss, r.accuracy)
    }

    /// The mean loss and accuracy (nil for regression) at the current weights, non-finite values returned as they
    /// are (a surface scan records them). With a boundary above the embeddings, every batch starts from the prefix
    /// cache's hidden_states.l (filled on first use): valid while the weights below l equal those it was made at.
    /// The accuracy of a batch with a non-finite loss is NaN.
    ///
    /// With `entry` past `.start` (and a boundary above the embeddings), layer l is entered at that stage with the
    /// earlier stages' results saved per batch on first use (`LayerEntryState`): valid while the weights those
    /// stages read equal the ones they were made at too.
    ///
    /// `entryOutput(i, out)`, with such an entry, writes batch i's output of the entry stage's dense layer (see
    /// `entryLinearBasis`) in place of its GEMM.
    public func evaluate(from boundary: PassBoundary, entry: LayerEntry = .start,
                         entryOutput: ((Int, UnsafeMutablePointer<T>) -> Void)? = nil) throws -> (loss: Double, accuracy: Double?, firstNonFinite: Int?) {
        let hidden = try prefixHidden(for: boundary)
        let states = try entryStates(for: boundary, entry: entry)
        precondition(entryOutput == nil || states != nil, "evaluate: an entry output needs a layer entry past .start")
        var total = 0.0, correct = 0, classification = true, firstBad: Int? = nil
        for (i, b) in batches.enumerated() {
            let fill = entryOutput.map { f in { (out: UnsafeMutablePointer<T>) in f(i, out) } }
            let acts = try model.forward(b.tokens, from: boundary, hidden: hidden?[i], entry: states?[i], entryOutput: fill)
            let l = try model.taskLoss(acts, targets: b.targets, wantGradient: false).0
            if !l.isFinite && firstBad == nil { firstBad = i }
            total += weight(i) * l
            guard case let .classes(labels) = b.targets, let logits = acts.logits, let k = model.classes else { classification = false; continue }
            for (row, y) in labels.enumerated() {
                var best = 0
                for j in 1..<k where logits[row * k + j] > logits[row * k + best] { best = j }
                if best == y { correct += 1 }
            }
        }
        let accuracy = classification ? (firstBad == nil ? Double(correct) / Double(exampleCount) : .nan) : nil
        return (total, accuracy, firstBad)
    }

    /// Bytes the prefix cache of `boundary` (and the entry states of `entry`) take for these batches (0 for the
    /// embeddings boundary), known before they are filled.
    public func prefixCacheBytes(for boundary: PassBoundary, entry: LayerEntry = .start) -> Int {
        guard case let .hiddenState(l) = boundary else { return 0 }
        let perEntry = l < model.config.numHiddenLayers ? entry : .start
        return batches.reduce(0) {
            $0 + $1.tokens.tokenCount * model.config.hiddenSize
                + LayerEntryState<T>.count(perEntry, config: model.config, layout: $1.tokens.layout)
        } * MemoryLayout<T>.stride
    }

    /// For every batch, [out₀, lin(d₁), …]: the output of the dense layer that `entry` of layer l starts with at the
    /// current weights, and that layer applied to the same (fixed) input with each direction's weight and bias (nil
    /// bias: zero). With the layer's tensors at θ₀ + Σ cₖ·dₖ and everything before the stage at θ₀, its output is
    /// out₀ + Σ cₖ·lin(dₖ) (the rounding aside). One eval forward per batch.
    public func entryLinearBasis(layer l: Int, entry: LayerEntry,
                                 directions: [(weight: UnsafePointer<T>, bias: UnsafePointer<T>?)]) throws -> [[Buffer<T>]] {
        precondition(entry > .start && l < model.config.numHiddenLayers, "entryLinearBasis: needs a layer entry past .start")
        return try batches.map { b in
            let acts = try model.forward(b.tokens)
            return model.entryLinearBasis(acts, layer: l, entry: entry, directions: directions)
        }
    }

    /// Bytes `entryLinearBasis` takes for these batches with `directions` directions.
    public func entryLinearBasisBytes(layer l: Int, entry: LayerEntry, directions: Int) -> Int {
        batches.reduce(0) { $0 + model.entryLinearCount(layer: l, entry: entry, layout: $1.tokens.layout) } * (1 + directions)
            * MemoryLayout<T>.stride
    }

    /// The entry states of every batch for layer l of `boundary` at the current weights, cached (nil for `.start`).
    func entryStates(for boundary: PassBoundary, entry: LayerEntry) throws -> [LayerEntryState<T>]? {
        guard entry > .start, case let .hiddenState(l) = boundary, l < model.config.numHiddenLayers else { return nil }
        if let e = entryCache, e.boundary == boundary, e.entry == entry { return e.states }
        let hidden = try prefixHidden(for: boundary)
        let states = try batches.enumerated().map { i, b -> LayerEntryState<T> in
            LayerEntryState(try model.forward(b.tokens, from: boundary, hidden: hidden?[i]), layer: l, entry: entry)
        }
        entryCache = (boundary, entry, states)
        return states
    }

    /// The mean loss and its gradient (into `model.gradients`, zeroed first), restricted to `only` when given
    /// (the backward then stops at the lowest of those tensors).
    @discardableResult
    public func lossAndGradient(only views: [ParameterView]? = nil) throws -> Double {
        model.zeroGradients()
        var total = 0.0
        let stop = views.map { model.boundary(for: $0) } ?? .embeddings
        for (i, b) in batches.enumerated() {
            let acts = try model.forward(b.tokens)
            let (l, dLogits) = try model.taskLoss(acts, targets: b.targets, wantGradient: true)
            guard l.isFinite else { throw ObjectiveError.nonFinite(what: "loss", batch: i) }
            let w = weight(i)
            T.scal(n: dLogits!.count, alpha: T(w), x: dLogits!.pointer, incx: 1)
            model.backward(acts, seeds: OutputGradients(logits: dLogits), downTo: stop, only: views)
            total += w * l
        }
        return total
    }

    /// hv[s] = (∂²L/∂w² · v)[s] for the tensors in `selected` (zeroed first; the rest of hv is untouched). Uses and
    /// fills the prefix cache for `selected`'s boundary. Returns the mean loss.
    @discardableResult
    public func hessianVectorProduct(direction v: Buffer<T>, selected: [ParameterView], into hv: Buffer<T>) throws -> Double {
        try curvatureVectorProduct(.hessian, direction: v, selected: selected, into: hv)
    }

    /// hv[s] = (C · v)[s] with C the Hessian or the generalized Gauss–Newton matrix (`product`) of the mean loss, for
    /// the tensors in `selected` (zeroed first; the rest of hv is untouched), each batch weighted by its example count
    /// as the loss is. Uses and fills the prefix cache for `selected`'s boundary. Returns the mean loss.
    @discardableResult
    public func curvatureVectorProduct(_ product: CurvatureProduct, direction v: Buffer<T>, selected: [ParameterView],
                                       into hv: Buffer<T>) throws -> Double {
        try curvatureBlockProduct(product, directions: [v], selected: selected, into: [hv])
    }

    /// `curvatureVectorProduct` for k directions at once (hv[j] = C · directions[j]): each batch's forward and plain
    /// backward run once for the block and its tangents travel together (`BertModel.curvatureBlockProduct`); the
    /// results equal k single products. Returns the mean loss.
    ///
    /// An objective of one batch keeps its forward and the plain backward's adjoints between products (the model's
    /// `keptAdjointBytes`): the next product with the same selection and product skips both while nothing else ran a
    /// forward and the weights are the same buffer (after changing their values in place, call `invalidatePrefix()`).
    @discardableResult
    public func curvatureBlockProduct(_ product: CurvatureProduct, directions: [Buffer<T>], selected: [ParameterView],
                                      into hv: [Buffer<T>]) throws -> Double {
        for out in hv { for s in selected { memset(out.pointer + s.offset, 0, s.count * MemoryLayout<T>.stride) } }
        let boundary = model.boundary(for: selected)
        let hidden = try prefixHidden(for: boundary)
        var total = 0.0
        // (A forward from a lower boundary would also do; an equal one is what repeated probes of one block give.)
        let reuse = batches.count == 1 && lastForward.map {
            $0.count == model.forwardCount && $0.weights == ObjectIdentifier(model.weights) && $0.boundary == boundary
        } == true
        for (i, b) in batches.enumerated() {
            let l = try model.curvatureBlockProduct(b.tokens, targets: b.targets, directions: directions, selected: selected, into: hv,
                                                    scale: weight(i), hidden: hidden?[i], reuseForward: reuse,
                                                    keepAdjoints: batches.count == 1, product: product)
            guard l.isFinite else { throw ObjectiveError.nonFinite(what: "loss", batch: i) }
            // A non-finite product stays non-finite once accumulated: the first batch that makes it so is named.
            for out in hv {
                for s in selected where T.kernelFirstNonFinite(out.pointer + s.offset, s.count) != nil {
                    throw ObjectiveError.nonFinite(what: "\(product == .hessian ? "Hessian" : "Gauss–Newton")-vector product (\(s.name))", batch: i)
                }
            }
            total += weight(i) * l
        }
        lastForward = (model.forwardCount, ObjectIdentifier(model.weights), boundary)
        return total
    }

    /// Bytes each column of a block curvature product costs on this objective (its largest batch decides).
    public var curvatureColumnBytes: Int { batches.map { model.curvatureColumnBytes(for: $0.tokens) }.max() ?? 0 }

    /// Bytes a curvature product keeps between products beside the forward (the plain adjoints of a one-batch
    /// objective; 0 with more batches), whatever the block size.
    public var keptAdjointBytes: Int { batches.count == 1 ? model.keptAdjointBytes(for: batches[0].tokens) : 0 }

    /// hidden_states.l of every batch at the current weights (nil for the embeddings boundary), cached.
    func prefixHidden(for boundary: PassBoundary) throws -> [Buffer<T>]? {
        guard case let .hiddenState(l) = boundary else { return nil }
        if let p = prefix, p.boundary == boundary { return p.hidden }
        let hidden = try batches.map { b -> Buffer<T> in
            let acts = try model.forward(b.tokens)
            return Buffer(acts.hiddenStates[l].array)
        }
        prefix = (boundary, hidden)
        return hidden
    }

    /// Bytes the prefix cache holds now.
    public var prefixCacheBytes: Int {
        ((prefix?.hidden.reduce(0) { $0 + $1.count } ?? 0) + (entryCache?.states.reduce(0) { $0 + $1.count } ?? 0)) * MemoryLayout<T>.stride
    }

    public func invalidatePrefix() { prefix = nil; entryCache = nil; lastForward = nil }
}

/// A probe's objective could not be evaluated.
public enum ObjectiveError: Error, CustomStringConvertible, Equatable {
    case nonFinite(what: String, batch: Int?)
    case empty

    public var description: String {
        switch self {
        case .empty: return "the objective has no examples"
        case let .nonFinite(what, batch):
            return "non-finite \(what)" + (batch.map { " on batch \($0) of the objective" } ?? "") + " (the model or its inputs hold NaN/Inf, or it diverged)"
        }
    }
}
