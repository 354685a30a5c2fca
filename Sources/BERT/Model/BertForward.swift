import Numerics

/// Where a partial pass enters or leaves the network: at the embeddings (token ids), or at hidden_states.l, the
/// input of Transformer layer l (l = L: the head's input). A forward from `.hiddenState(l)` runs layers l… and the
/// head; a backward down to `.hiddenState(l)` stops after layer l and leaves everything below untouched.
public enum PassBoundary: Equatable, Sendable, Comparable {
    case embeddings
    case hiddenState(Int)

    /// The first Transformer layer a pass from here runs (0 for the embeddings).
    public var firstLayer: Int {
        switch self {
        case .embeddings: return 0
        case let .hiddenState(l): return l
        }
    }

    public static func < (a: PassBoundary, b: PassBoundary) -> Bool {
        switch (a, b) {
        case (.embeddings, .hiddenState): return true
        case let (.hiddenState(x), .hiddenState(y)): return x < y
        default: return false
        }
    }
}

extension BertModel {
    /// Runs the encoder (and head, if any). In training mode dropout masks are drawn from `rng`; eval mode is
    /// deterministic and ignores it. The returned activations live in a workspace owned by the model and are
    /// overwritten by the next forward call of the same shape.
    @discardableResult
    public func forward(_ batch: TokenBatch, training: Bool = false, rng: inout SeededRNG) throws -> Activations<T> {
        try validate(batch)
        let acts = workspace(for: batch, training: training)
        embeddingsForward(acts, training: training, rng: &rng)
        for l in 0..<config.numHiddenLayers { layerForward(l, acts, training: training, rng: &rng) }
        headForward(acts, training: training, rng: &rng)
        return acts
    }

    /// Eval-mode forward (no dropout, no randomness).
    @discardableResult
    public func forward(_ batch: TokenBatch) throws -> Activations<T> {
        var rng = SeededRNG(seed: 0)
        return try forward(batch, training: false, rng: &rng)
    }

    /// Eval-mode forward that starts from a given hidden_states.l (B, T, C) of `batch` (a prefix computed once by
    /// an earlier forward at weights that agree below layer l): runs layers l… and the head only. With `.embeddings`
    /// this is the full forward. The activations below l are left as they were (stale) and must not be read.
    @discardableResult
    public func forward(_ batch: TokenBatch, from start: PassBoundary, hidden: Buffer<T>?) throws -> Activations<T> {
        try forward(batch, from: start, hidden: hidden, entry: nil)
    }

    /// `forward(_:from:hidden:)` entering layer l at `entry.entry` with the earlier stages' results from `entry`
    /// (saved from a forward of the same batch at weights that agree on everything those stages read).
    ///
    /// `entryOutput`, with an entry past `.start`, writes the output of the entry stage's dense layer (see
    /// `entryLinear(layer:entry:)`) instead of the layer computing it (and quantizing its input): the affine shortcut
    /// of a probe that moves only that layer's tensors.
    @discardableResult
    public func forward(_ batch: TokenBatch, from start: PassBoundary, hidden: Buffer<T>?, entry: LayerEntryState<T>?,
                        entryOutput: ((UnsafeMutablePointer<T>) -> Void)? = nil) throws -> Activations<T> {
        guard case let .hiddenState(l) = start else { return try forward(batch) }
        precondition(l >= 0 && l <= config.numHiddenLayers, "forward(from:): layer \(l) outside 0...\(config.numHiddenLayers)")
        precondition(entry == nil || entry!.layer == l, "forward(from:): an entry state of layer \(entry!.layer) for a pass from layer \(l)")
        precondition(entryOutput == nil || (entry?.entry ?? .start) > .start, "forward(from:): an entry output needs an entry past .start")
        try validate(batch)
        let acts = workspace(for: batch, training: false)
        guard let hidden, hidden.count == acts.hiddenStates[l].count else {
            preconditionFailure("forward(from:): hidden_states.\(l) must be given with \(acts.hiddenStates[l].count) values")
        }
        var rng = SeededRNG(seed: 0)
        fillAdditiveMask(acts)
        acts.hiddenStates[l].copy(from: hidden)
        entry?.restore(into: acts)
        for layer in l..<config.numHiddenLayers {
            layerForward(layer, acts, training: false, rng: &rng, from: layer == l ? entry?.entry ?? .start : .start,
                         entryOutput: layer == l ? entryOutput : nil)
        }
        headForward(acts, training: false, rng: &rng)
        return acts
    }

    /// The activation workspace for `batch`: the last one, resized, when it has room (same mode); else a new one with
    /// room for both the old and the new shape, so that a cycle through a list of batches allocates once.
    func workspace(for batch: TokenBatch, training: Bool) -> Activations<T> {
        forwardCount += 1
        let quantized = activationQuantizer != nil, heads = config.numAttentionHeads
        if let w = workspace, w.canHold(batch, heads: heads, training: training, quantized: quantized) {
            w.adopt(batch, heads: heads)
            return w
        }
        let previous = workspace.flatMap { $0.training == training && $0.quantized == quantized ? $0.pool.capacity : nil }
        workspace = nil  // release the old one before allocating its successor
        let acts = Activations<T>(config: config, batch: batch, training: training, pooler: hasPooler, classes: classes,
                                  quantized: quantized, capacity: previous)
        workspace = acts
        return acts
    }

    /// The values a consumer reads at `site`: `x` itself, or its quantized copy written into `copy`.
    func quantizedInput(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?, training: Bool) -> UnsafeMutablePointer<T> {
        guard let aq = activationQuantizer, let copy else { return x.pointer }
        aq.quantize(site, x.pointer, copy.pointer, count: x.count, training: training)
        return copy.pointer
    }

    func fillAdditiveMask(_ acts: Activations<T>) {
        let maskValue = -T.greatestFiniteMagnitude
        let m = acts.batch.attentionMask
        for i in 0..<m.count { acts.additiveMask[i] = m[i] != 0 ? 0 : maskValue }
    }

    func attentionShape(_ acts: Activations<T>) -> AttentionShape {
        AttentionShape(layout: acts.layout, heads: config.numAttentionHeads, headDim: config.headDim)
    }

    /// Embeddings → LayerNorm → dropout = hidden_states.0 (B·T, C); also fills the additive attention mask.
    func embeddingsForward(_ acts: Activations<T>, training: Bool, rng: inout SeededRNG) {
        let c = config, h = c.hiddenSize, n = acts.layout.tokenCount
        let w = UnsafePointer(weights.pointer), o = offsets
        fillAdditiveMask(acts)
        embeddingLookupForward(acts.embeddingSum.pointer, ids: acts.batch.inputIds, typeIds: acts.batch.tokenTypeIds, layout: acts.layout,
                          wte: w + o.wordEmbeddings, wpe: w + o.positionEmbeddings, wtt: w + o.tokenTypeEmbeddings, hidden: h)
        T.kernelLayerNorm(acts.embeddingSum.pointer, acts.embeddingNormed.pointer, mean: acts.embeddingMean.pointer,
                          rstd: acts.embeddingRstd.pointer, weight: w + o.embeddingNorm.w, bias: w + o.embeddingNorm.b,
                          rows: n, cols: h, eps: T(c.layerNormEps))
        dropout(acts.embeddingNormed, mask: acts.embeddingDropout, into: acts.hiddenStates[0], rng: &rng)
    }

    /// Transformer layer l: hidden_states.l (B·T, C) → hidden_states.(l+1) (B·T, C), keeping what backward needs.
    /// Entered at `entry` > `.start`, `entryOutput` (if given) fills that stage's dense output instead of its GEMM.
    func layerForward(_ l: Int, _ acts: Activations<T>, training: Bool, rng: inout SeededRNG, from entry: LayerEntry = .start,
                      entryOutput: ((UnsafeMutablePointer<T>) -> Void)? = nil) {
        let c = config, n = acts.layout.tokenCount, h = c.hiddenSize
        let inter = c.intermediateSize, a = c.allHeadSize
        let w = UnsafePointer(weights.pointer), lo = offsets.layers[l]
        let la = acts.layers[l], qc = la.quantizedCopies, shape = attentionShape(acts)
        func input(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?) -> UnsafeMutablePointer<T> {
            quantizedInput(site, x, copy, training: training)
        }
        let hidden = acts.hiddenStates[l]
        let probsUsed = la.probsUsed ?? la.probs
        if entry <= .start {
            linearForward(la.q.pointer, input(.queryInput(l), hidden, qc?.queryInput), w + lo.query.w, w + lo.query.b,
                          rows: n, inFeatures: h, outFeatures: a)
            linearForward(la.k.pointer, input(.keyInput(l), hidden, qc?.keyInput), w + lo.key.w, w + lo.key.b,
                          rows: n, inFeatures: h, outFeatures: a)
            if let mask = la.probsDropout {
                T.kernelDropoutMask(mask.pointer, mask.count, probability: c.attentionProbsDropoutProb, rng: &rng)
            }
            attentionProbabilities(scores: la.scores.pointer, probs: la.probs.pointer, probsUsed: probsUsed.pointer,
                                   dropoutMask: la.probsDropout.map { UnsafePointer($0.pointer) },
                                   q: input(.query(l), la.q, qc?.q), k: input(.key(l), la.k, qc?.k),
                                   additiveMask: acts.additiveMask.pointer, shape: shape)
        }
        /// The entry stage's dense output: given, or computed.
        func dense(_ stage: LayerEntry, _ compute: () -> Void, into out: Buffer<T>) {
            if stage == entry, let entryOutput { entryOutput(out.pointer) } else { compute() }
        }
        if entry <= .value {
            dense(.value, {
                linearForward(la.v.pointer, input(.valueInput(l), hidden, qc?.valueInput), w + lo.value.w, w + lo.value.b,
                              rows: n, inFeatures: h, outFeatures: a)
            }, into: la.v)
            attentionContext(la.context.pointer, p: input(.attentionProbs(l), probsUsed, qc?.probs),
                             v: input(.value(l), la.v, qc?.v), shape: shape)
        }
        if entry <= .attentionOutput {
            dense(.attentionOutput, {
                linearForward(la.attentionDense.pointer, input(.attentionOutputInput(l), la.context, qc?.context),
                              w + lo.attentionOutput.w, w + lo.attentionOutput.b, rows: n, inFeatures: a, outFeatures: h)
            }, into: la.attentionDense)
            dropout(la.attentionDense, mask: la.attentionDropout, into: la.residual1, rng: &rng)
            T.kernelAdd(la.residual1.pointer, hidden.pointer, la.residual1.pointer, n * h)
            T.kernelLayerNorm(la.residual1.pointer, la.normed1.pointer, mean: la.mean1.pointer, rstd: la.rstd1.pointer,
                              weight: w + lo.norm1.w, bias: w + lo.norm1.b, rows: n, cols: h, eps: T(c.layerNormEps))
        }
        if entry <= .ffnIntermediate {
            dense(.ffnIntermediate, {
                linearForward(la.ffnPre.pointer, input(.ffnIntermediateInput(l), la.normed1, qc?.normed1),
                              w + lo.intermediate.w, w + lo.intermediate.b, rows: n, inFeatures: h, outFeatures: inter)
            }, into: la.ffnPre)
            activationForward(activation, la.ffnPre.pointer, la.ffnAct.pointer, n * inter)
        }
        dense(.ffnOutput, {
            linearForward(la.ffnDense.pointer, input(.ffnOutputInput(l), la.ffnAct, qc?.ffnAct), w + lo.output.w, w + lo.output.b,
                          rows: n, inFeatures: inter, outFeatures: h)
        }, into: la.ffnDense)
        dropout(la.ffnDense, mask: la.ffnDropout, into: la.residual2, rng: &rng)
        T.kernelAdd(la.residual2.pointer, la.normed1.pointer, la.residual2.pointer, n * h)
        T.kernelLayerNorm(la.residual2.pointer, acts.hiddenStates[l + 1].pointer, mean: la.mean2.pointer,
                          rstd: la.rstd2.pointer, weight: w + lo.norm2.w, bias: w + lo.norm2.b, rows: n, cols: h,
                          eps: T(c.layerNormEps))
    }

    /// Pooler: pooled (B, C) = tanh(W · h[:, 0] + b); classifier: logits (B, K) on dropout(pooled).
    func headForward(_ acts: Activations<T>, training: Bool, rng: inout SeededRNG) {
        guard let pool = offsets.pooler, let pooled = acts.pooled else { return }
        let b = acts.batchSize, h = config.hiddenSize, starts = acts.layout.offsets
        let w = UnsafePointer(weights.pointer)
        let last = acts.hiddenStates[config.numHiddenLayers].pointer
        for bi in 0..<b { (acts.clsRows.pointer + bi * h).update(from: last + starts[bi] * h, count: h) }
        linearForward(pooled.pointer, quantizedInput(.poolerInput, acts.clsRows, acts.clsRowsHat, training: training),
                      w + pool.w, w + pool.b, rows: b, inFeatures: h, outFeatures: h)
        T.kernelTanh(pooled.pointer, pooled.pointer, b * h)
        if let cls = offsets.classifier, let logits = acts.logits, let k = classes {
            let used = acts.pooledUsed ?? pooled
            dropout(pooled, mask: acts.pooledDropout, into: used, rng: &rng)
            linearForward(logits.pointer, used.pointer, w + cls.w, w + cls.b, rows: b, inFeatures: h, outFeatures: k)
        }
    }

    /// into = source ⊙ mask with a freshly drawn mask, or a plain copy when `mask` is nil (eval / p = 0).
    private func dropout(_ source: Buffer<T>, mask: Buffer<T>?, into: Buffer<T>, rng: inout SeededRNG) {
        if let mask {
            T.kernelDropoutMask(mask.pointer, mask.count, probability: config.hiddenDropoutProb, rng: &rng)
            T.kernelMultiply(source.pointer, mask.pointer, into.pointer, source.count)
        } else if source !== into {
            into.copy(from: source)
        }
    }
}
