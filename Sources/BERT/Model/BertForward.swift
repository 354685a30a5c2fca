import Numerics

extension BertModel {
    /// Runs the encoder (and head, if any). In training mode dropout masks are drawn from `rng`; eval mode is
    /// deterministic and ignores it. The returned activations live in a workspace owned by the model and are
    /// overwritten by the next forward call of the same shape.
    @discardableResult
    public func forward(_ batch: TokenBatch, training: Bool = false, rng: inout SeededRNG) throws -> Activations<T> {
        try validate(batch)
        let c = config, b = batch.batchSize, tt = batch.sequenceLength, h = c.hiddenSize, n = b * tt
        let inter = c.intermediateSize, a = c.allHeadSize
        let acts: Activations<T>
        let aq = activationQuantizer
        if let w = workspace, w.fits(batch, training: training, quantized: aq != nil) {
            acts = w
            acts.batch = batch
        } else {
            acts = Activations(config: c, batch: batch, training: training, pooler: hasPooler, classes: classes, quantized: aq != nil)
            workspace = acts
        }
        /// The values a consumer reads at `site`: `x` itself, or its quantized copy written into `copy`.
        func input(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?) -> UnsafeMutablePointer<T> {
            guard let aq, let copy else { return x.pointer }
            aq.quantize(site, x.pointer, copy.pointer, count: x.count, training: training)
            return copy.pointer
        }
        let w = UnsafePointer(weights.pointer)
        let o = offsets
        let eps = T(c.layerNormEps)
        let maskValue = -T.greatestFiniteMagnitude
        for i in 0..<n { acts.additiveMask[i] = batch.attentionMask[i] != 0 ? 0 : maskValue }

        // Embeddings → LayerNorm → dropout = hidden_states.0
        embeddingsForward(acts.embeddingSum.pointer, ids: batch.inputIds, typeIds: batch.tokenTypeIds, batch: b, seq: tt,
                          wte: w + o.wordEmbeddings, wpe: w + o.positionEmbeddings, wtt: w + o.tokenTypeEmbeddings, hidden: h)
        T.kernelLayerNorm(acts.embeddingSum.pointer, acts.embeddingNormed.pointer, mean: acts.embeddingMean.pointer,
                          rstd: acts.embeddingRstd.pointer, weight: w + o.embeddingNorm.w, bias: w + o.embeddingNorm.b,
                          rows: n, cols: h, eps: eps)
        dropout(acts.embeddingNormed, mask: acts.embeddingDropout, into: acts.hiddenStates[0], rng: &rng)

        let shape = AttentionShape(batch: b, seq: tt, heads: c.numAttentionHeads, headDim: c.headDim)
        for l in 0..<c.numHiddenLayers {
            let la = acts.layers[l], lo = o.layers[l], qc = la.quantizedCopies
            let hidden = acts.hiddenStates[l]
            let x = UnsafePointer(hidden.pointer)
            linearForward(la.q.pointer, input(.queryInput(l), hidden, qc?.queryInput), w + lo.query.w, w + lo.query.b,
                          rows: n, inFeatures: h, outFeatures: a)
            linearForward(la.k.pointer, input(.keyInput(l), hidden, qc?.keyInput), w + lo.key.w, w + lo.key.b,
                          rows: n, inFeatures: h, outFeatures: a)
            linearForward(la.v.pointer, input(.valueInput(l), hidden, qc?.valueInput), w + lo.value.w, w + lo.value.b,
                          rows: n, inFeatures: h, outFeatures: a)
            if let mask = la.probsDropout {
                T.kernelDropoutMask(mask.pointer, mask.count, probability: c.attentionProbsDropoutProb, rng: &rng)
            }
            let probsUsed = la.probsUsed ?? la.probs
            attentionProbabilities(scores: la.scores.pointer, probs: la.probs.pointer, probsUsed: probsUsed.pointer,
                                   dropoutMask: la.probsDropout.map { UnsafePointer($0.pointer) },
                                   q: input(.query(l), la.q, qc?.q), k: input(.key(l), la.k, qc?.k),
                                   additiveMask: acts.additiveMask.pointer, shape: shape)
            attentionContext(la.context.pointer, p: input(.attentionProbs(l), probsUsed, qc?.probs),
                             v: input(.value(l), la.v, qc?.v), shape: shape)
            linearForward(la.attentionDense.pointer, input(.attentionOutputInput(l), la.context, qc?.context),
                          w + lo.attentionOutput.w, w + lo.attentionOutput.b, rows: n, inFeatures: a, outFeatures: h)
            dropout(la.attentionDense, mask: la.attentionDropout, into: la.residual1, rng: &rng)
            T.kernelAdd(la.residual1.pointer, x, la.residual1.pointer, n * h)
            T.kernelLayerNorm(la.residual1.pointer, la.normed1.pointer, mean: la.mean1.pointer, rstd: la.rstd1.pointer,
                              weight: w + lo.norm1.w, bias: w + lo.norm1.b, rows: n, cols: h, eps: eps)
            linearForward(la.ffnPre.pointer, input(.ffnIntermediateInput(l), la.normed1, qc?.normed1),
                          w + lo.intermediate.w, w + lo.intermediate.b, rows: n, inFeatures: h, outFeatures: inter)
            activationForward(activation, la.ffnPre.pointer, la.ffnAct.pointer, n * inter)
            linearForward(la.ffnDense.pointer, input(.ffnOutputInput(l), la.ffnAct, qc?.ffnAct), w + lo.output.w, w + lo.output.b,
                          rows: n, inFeatures: inter, outFeatures: h)
            dropout(la.ffnDense, mask: la.ffnDropout, into: la.residual2, rng: &rng)
            T.kernelAdd(la.residual2.pointer, la.normed1.pointer, la.residual2.pointer, n * h)
            T.kernelLayerNorm(la.residual2.pointer, acts.hiddenStates[l + 1].pointer, mean: la.mean2.pointer,
                              rstd: la.rstd2.pointer, weight: w + lo.norm2.w, bias: w + lo.norm2.b, rows: n, cols: h, eps: eps)
        }

        // Pooler: tanh(W · h[:, 0] + b); classifier on dropout(pooled).
        if let pool = o.pooler, let pooled = acts.pooled {
            let last = acts.hiddenStates[c.numHiddenLayers].pointer
            for bi in 0..<b { (acts.clsRows.pointer + bi * h).update(from: last + bi * tt * h, count: h) }
            linearForward(pooled.pointer, input(.poolerInput, acts.clsRows, acts.clsRowsHat), w + pool.w, w + pool.b,
                          rows: b, inFeatures: h, outFeatures: h)
            T.kernelTanh(pooled.pointer, pooled.pointer, b * h)
            if let cls = o.classifier, let logits = acts.logits, let k = classes {
                let used = acts.pooledUsed ?? pooled
                dropout(pooled, mask: acts.pooledDropout, into: used, rng: &rng)
                linearForward(logits.pointer, used.pointer, w + cls.w, w + cls.b, rows: b, inFeatures: h, outFeatures: k)
            }
        }
        return acts
    }

    /// Eval-mode forward (no dropout, no randomness).
    @discardableResult
    public func forward(_ batch: TokenBatch) throws -> Activations<T> {
        var rng = SeededRNG(seed: 0)
        return try forward(batch, training: false, rng: &rng)
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
