import Foundation
import Numerics

/// Where a backward pass writes each tensor's gradient: `base + offset`, or nowhere for a tensor outside `wanted`
/// (nil: every tensor). Tensors are identified by their offset in the parameter layout.
struct GradientTargets<T: BLASReal> {
    let base: UnsafeMutablePointer<T>
    let wanted: Set<Int>?

    func callAsFunction(_ offset: Int) -> UnsafeMutablePointer<T>? {
        wanted == nil || wanted!.contains(offset) ? base + offset : nil
    }

    /// For kernels that always accumulate (LayerNorm): the target, or a discard buffer.
    func orSink(_ offset: Int, _ sink: Buffer<T>) -> UnsafeMutablePointer<T> { self(offset) ?? sink.pointer }
}

extension BertModel {
    /// Accumulates ∂L/∂(weights) into `gradients` (call `zeroGradients()` first) for the forward pass that produced
    /// `acts` (it must be the model's latest forward), given the loss's gradients with respect to the outputs.
    ///
    /// `downTo` stops the pass after the layer that reads that boundary (the layers below and the embeddings get no
    /// gradient and cost nothing); `only` restricts the weight gradients written to those tensors (the others are
    /// left untouched and their weight GEMMs skipped). Seeds below `downTo` are ignored.
    public func backward(_ acts: Activations<T>, seeds: OutputGradients<T>, downTo stop: PassBoundary = .embeddings,
                         only wanted: [ParameterView]? = nil) {
        precondition(acts === workspace, "backward: activations are not from this model's latest forward pass")
        let ws = backwardWorkspace(for: acts)
        let targets = GradientTargets(base: gradients.pointer, wanted: wanted.map { Set($0.map(\.offset)) })
        let L = config.numHiddenLayers
        var dOut = ws.dOut, dIn = ws.dIn
        if let seed = seeds.hiddenStates[L] { dOut.copy(from: seed) } else { dOut.zero() }
        headBackward(acts, ws, seeds: seeds, dLast: dOut, targets: targets)
        for l in stride(from: L - 1, through: stop.firstLayer, by: -1) {
            layerBackward(l, acts, ws, dOut: dOut, dIn: dIn, seeds: seeds, targets: targets)
            swap(&dOut, &dIn)
        }
        if stop == .embeddings { embeddingsBackward(acts, ws, dHidden0: dOut, targets: targets) }
    }

    /// The backward scratch for `acts` (reused when the shape matches); `rOperator` picks the second set that the
    /// R-operator uses for the tangents of the backward pass.
    func backwardWorkspace(for acts: Activations<T>, rOperator: Bool = false, columns: Int = 1) -> BackwardWorkspace<T> {
        let c = config
        if let existing = rOperator ? rBackwardWorkspace : backwardWorkspace, existing.adopt(acts, columns: columns) { return existing }
        if rOperator { rBackwardWorkspace = nil } else { backwardWorkspace = nil }
        let ws = BackwardWorkspace<T>(capacity: acts.pool.capacity.columns(columns), shape: acts.pool.shape.columns(columns),
                                      hidden: c.hiddenSize, heads: c.allHeadSize, intermediate: c.intermediateSize)
        if rOperator { rBackwardWorkspace = ws } else { backwardWorkspace = ws }
        return ws
    }

    /// Backward through the quantizer at `site`: `body` accumulates d(quantized copy) into zeroed scratch, and
    /// dx += ∂Q/∂x ⊙ scratch follows. Without a quantizer `body` accumulates into dx directly.
    func throughQuantizer(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?, into dx: UnsafeMutablePointer<T>,
                          scratch: Buffer<T>, _ body: (UnsafeMutablePointer<T>) -> Void) {
        guard let aq = activationQuantizer, copy != nil else { return body(dx) }
        memset(scratch.pointer, 0, x.count * MemoryLayout<T>.stride)
        body(scratch.pointer)
        aq.backward(site, x.pointer, scratch.pointer, dx, count: x.count)
    }

    /// Head (classifier, pooler): adds d(hidden_states.L) from the logits / pooled seeds into `dLast` (B·T, C).
    func headBackward(_ acts: Activations<T>, _ ws: BackwardWorkspace<T>, seeds: OutputGradients<T>, dLast: Buffer<T>,
                      targets g: GradientTargets<T>) {
        guard let pool = offsets.pooler, let pooled = acts.pooled else { return }
        let b = acts.batchSize, h = config.hiddenSize, starts = acts.layout.offsets
        let w = UnsafePointer(weights.pointer)
        ws.dPooled.zero()
        if let cls = offsets.classifier, let dLogits = seeds.logits, let k = classes {
            let used = acts.pooledUsed ?? pooled
            linearBackward(dinp: ws.dPooled.pointer, dweight: g(cls.w), dbias: g(cls.b), dout: dLogits.pointer,
                           inp: used.pointer, weight: w + cls.w, rows: b, inFeatures: h, outFeatures: k)
            if let mask = acts.pooledDropout { T.kernelMultiply(ws.dPooled.pointer, mask.pointer, ws.dPooled.pointer, b * h) }
        }
        if let dp = seeds.pooled { T.axpy(n: b * h, alpha: 1, x: dp.pointer, incx: 1, y: ws.dPooled.pointer, incy: 1) }
        ws.dPooledPre.zero()
        T.kernelTanhBackward(pooled.pointer, ws.dPooled.pointer, ws.dPooledPre.pointer, b * h)
        // d clsRows, scattered into position 0 of each sequence
        ws.dPooled.zero()
        throughQuantizer(.poolerInput, acts.clsRows, acts.clsRowsHat, into: ws.dPooled.pointer, scratch: ws.scratchA) { d in
            linearBackward(dinp: d, dweight: g(pool.w), dbias: g(pool.b), dout: ws.dPooledPre.pointer,
                           inp: (acts.clsRowsHat ?? acts.clsRows).pointer, weight: w + pool.w, rows: b, inFeatures: h, outFeatures: h)
        }
        for bi in 0..<b {
            T.axpy(n: h, alpha: 1, x: ws.dPooled.pointer + bi * h, incx: 1, y: dLast.pointer + starts[bi] * h, incy: 1)
        }
    }

    /// Transformer layer l: d(hidden_states.(l+1)) `dOut` (B·T, C) → d(hidden_states.l) `dIn` (overwritten), plus the
    /// seed on hidden_states.l and on the layer's attention scores; weight gradients into `g`.
    func layerBackward(_ l: Int, _ acts: Activations<T>, _ ws: BackwardWorkspace<T>, dOut: Buffer<T>, dIn: Buffer<T>,
                       seeds: OutputGradients<T>, targets g: GradientTargets<T>) {
        let c = config, n = acts.layout.tokenCount, h = c.hiddenSize
        let inter = c.intermediateSize, a = c.allHeadSize
        let w = UnsafePointer(weights.pointer), lo = offsets.layers[l]
        let la = acts.layers[l], qc = la.quantizedCopies, shape = attentionShape(acts)
        let aq = activationQuantizer
        let xBuffer = acts.hiddenStates[l]
        func through(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?, into dx: UnsafeMutablePointer<T>,
                     _ body: (UnsafeMutablePointer<T>) -> Void) {
            throughQuantizer(site, x, copy, into: dx, scratch: ws.scratchA, body)
        }
        // output LayerNorm: hidden_{l+1} = LN(residual2)
        ws.dRes.zero()
        T.kernelLayerNormBackward(la.residual2.pointer, dOut.pointer, mean: la.mean2.pointer, rstd: la.rstd2.pointer,
                                  weight: w + lo.norm2.w, dx: ws.dRes.pointer, dweight: g.orSink(lo.norm2.w, ws.sink),
                                  dbias: g.orSink(lo.norm2.b, ws.sink), rows: n, cols: h)
        // residual2 = dropout(ffnDense) + normed1
        ws.dNormed1.copy(from: ws.dRes)
        if let mask = la.ffnDropout { T.kernelMultiply(ws.dRes.pointer, mask.pointer, ws.dRes.pointer, n * h) }
        ws.dFfnAct.zero()
        through(.ffnOutputInput(l), la.ffnAct, qc?.ffnAct, into: ws.dFfnAct.pointer) { d in
            linearBackward(dinp: d, dweight: g(lo.output.w), dbias: g(lo.output.b), dout: ws.dRes.pointer,
                           inp: (qc?.ffnAct ?? la.ffnAct).pointer, weight: w + lo.output.w, rows: n, inFeatures: inter, outFeatures: h)
        }
        ws.dFfnPre.zero()
        activationBackward(activation, la.ffnPre.pointer, ws.dFfnAct.pointer, ws.dFfnPre.pointer, n * inter)
        through(.ffnIntermediateInput(l), la.normed1, qc?.normed1, into: ws.dNormed1.pointer) { d in
            linearBackward(dinp: d, dweight: g(lo.intermediate.w), dbias: g(lo.intermediate.b),
                           dout: ws.dFfnPre.pointer, inp: (qc?.normed1 ?? la.normed1).pointer, weight: w + lo.intermediate.w,
                           rows: n, inFeatures: h, outFeatures: inter)
        }
        // attention LayerNorm: normed1 = LN(residual1)
        ws.dRes.zero()
        T.kernelLayerNormBackward(la.residual1.pointer, ws.dNormed1.pointer, mean: la.mean1.pointer, rstd: la.rstd1.pointer,
                                  weight: w + lo.norm1.w, dx: ws.dRes.pointer, dweight: g.orSink(lo.norm1.w, ws.sink),
                                  dbias: g.orSink(lo.norm1.b, ws.sink), rows: n, cols: h)
        // residual1 = dropout(attentionDense) + x
        dIn.copy(from: ws.dRes)
        if let seed = seeds.hiddenStates[l] { T.axpy(n: n * h, alpha: 1, x: seed.pointer, incx: 1, y: dIn.pointer, incy: 1) }
        if let mask = la.attentionDropout { T.kernelMultiply(ws.dRes.pointer, mask.pointer, ws.dRes.pointer, n * h) }
        ws.dContext.zero()
        through(.attentionOutputInput(l), la.context, qc?.context, into: ws.dContext.pointer) { d in
            linearBackward(dinp: d, dweight: g(lo.attentionOutput.w), dbias: g(lo.attentionOutput.b),
                           dout: ws.dRes.pointer, inp: (qc?.context ?? la.context).pointer, weight: w + lo.attentionOutput.w,
                           rows: n, inFeatures: a, outFeatures: h)
        }
        // attention: ctx = p̂ · v̂ with p̂ = Q(probsUsed), v̂ = Q(v); scores from q̂ · k̂ᵀ
        let probsUsed = la.probsUsed ?? la.probs
        attentionContextBackward(dp: (qc != nil ? ws.dScoresCopy : ws.dScores).pointer, dv: (qc != nil ? ws.scratchB : ws.dv).pointer,
                                 dctx: ws.dContext.pointer, p: (qc?.probs ?? probsUsed).pointer, v: (qc?.v ?? la.v).pointer,
                                 shape: shape)
        if let aq, qc != nil {
            ws.dv.zero()
            aq.backward(.value(l), la.v.pointer, ws.scratchB.pointer, ws.dv.pointer, count: la.v.count)
            ws.dScores.zero()
            aq.backward(.attentionProbs(l), probsUsed.pointer, ws.dScoresCopy.pointer, ws.dScores.pointer, count: probsUsed.count)
        }
        attentionScoresBackward(dq: (qc != nil ? ws.scratchA : ws.dq).pointer, dk: (qc != nil ? ws.scratchB : ws.dk).pointer,
                                dprobs: ws.dScores.pointer, probs: la.probs.pointer,
                                dropoutMask: la.probsDropout.map { UnsafePointer($0.pointer) },
                                dscoresExtra: seeds.attentionScores[l].map { UnsafePointer($0.pointer) },
                                q: (qc?.q ?? la.q).pointer, k: (qc?.k ?? la.k).pointer, shape: shape)
        if let aq, qc != nil {
            ws.dq.zero()
            aq.backward(.query(l), la.q.pointer, ws.scratchA.pointer, ws.dq.pointer, count: la.q.count)
            ws.dk.zero()
            aq.backward(.key(l), la.k.pointer, ws.scratchB.pointer, ws.dk.pointer, count: la.k.count)
        }
        through(.queryInput(l), xBuffer, qc?.queryInput, into: dIn.pointer) { d in
            linearBackward(dinp: d, dweight: g(lo.query.w), dbias: g(lo.query.b), dout: ws.dq.pointer,
                           inp: (qc?.queryInput ?? xBuffer).pointer, weight: w + lo.query.w, rows: n, inFeatures: h, outFeatures: a)
        }
        through(.keyInput(l), xBuffer, qc?.keyInput, into: dIn.pointer) { d in
            linearBackward(dinp: d, dweight: g(lo.key.w), dbias: g(lo.key.b), dout: ws.dk.pointer,
                           inp: (qc?.keyInput ?? xBuffer).pointer, weight: w + lo.key.w, rows: n, inFeatures: h, outFeatures: a)
        }
        through(.valueInput(l), xBuffer, qc?.valueInput, into: dIn.pointer) { d in
            linearBackward(dinp: d, dweight: g(lo.value.w), dbias: g(lo.value.b), dout: ws.dv.pointer,
                           inp: (qc?.valueInput ?? xBuffer).pointer, weight: w + lo.value.w, rows: n, inFeatures: h, outFeatures: a)
        }
    }

    /// Embeddings: hidden_0 = dropout(LN(sum)); `dHidden0` (B·T, C) is consumed (dropout applied in place).
    func embeddingsBackward(_ acts: Activations<T>, _ ws: BackwardWorkspace<T>, dHidden0 dOut: Buffer<T>, targets g: GradientTargets<T>) {
        let h = config.hiddenSize, n = acts.layout.tokenCount
        let w = UnsafePointer(weights.pointer), o = offsets
        if let mask = acts.embeddingDropout { T.kernelMultiply(dOut.pointer, mask.pointer, dOut.pointer, n * h) }
        ws.dRes.zero()
        T.kernelLayerNormBackward(acts.embeddingSum.pointer, dOut.pointer, mean: acts.embeddingMean.pointer,
                                  rstd: acts.embeddingRstd.pointer, weight: w + o.embeddingNorm.w, dx: ws.dRes.pointer,
                                  dweight: g.orSink(o.embeddingNorm.w, ws.sink), dbias: g.orSink(o.embeddingNorm.b, ws.sink),
                                  rows: n, cols: h)
        embeddingLookupBackward(dwte: g(o.wordEmbeddings), dwpe: g(o.positionEmbeddings), dwtt: g(o.tokenTypeEmbeddings),
                           dout: ws.dRes.pointer, ids: acts.batch.inputIds, typeIds: acts.batch.tokenTypeIds,
                           layout: acts.layout, hidden: h)
    }
}
