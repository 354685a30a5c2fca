import Foundation
import Numerics

/// Which tangents of one R-operator pass are non-zero (nil: exactly zero, so every product with it is skipped).
/// Quantized reads (`...Hat`) are m ⊙ (the tangent), m the straight-through mask of the site's quantizer.
private struct LayerTangentState<T: BLASReal> {
    var queryInputHat: Buffer<T>?, keyInputHat: Buffer<T>?, valueInputHat: Buffer<T>?
    var qHat: Buffer<T>?, kHat: Buffer<T>?, vHat: Buffer<T>?
    var probs: Buffer<T>?, probsHat: Buffer<T>?, contextHat: Buffer<T>?
    var residual1: Buffer<T>?, normed1: Buffer<T>?, normed1Hat: Buffer<T>?
    var ffnPre: Buffer<T>?, ffnActHat: Buffer<T>?, residual2: Buffer<T>?
}

private struct HeadTangentState<T: BLASReal> {
    var clsHat: Buffer<T>?, pooled: Buffer<T>?, logits: Buffer<T>?
}

/// The direction's slices: `v + offset` for a selected tensor, nil (zero) for every other one.
private struct DirectionSlices<T: BLASReal> {
    let base: UnsafePointer<T>
    let selected: Set<Int>
    func callAsFunction(_ offset: Int) -> UnsafePointer<T>? { selected.contains(offset) ? base + offset : nil }
}

extension BertModel {
    /// Where a pass must start (and a backward stop) to reach every tensor in `views`: the embeddings, or the input of
    /// the lowest Transformer layer among them (hidden_states.L for the pooler and classifier alone).
    public func boundary(for views: [ParameterView]) -> PassBoundary {
        var lowest = PassBoundary.hiddenState(config.numHiddenLayers)
        for v in views {
            let b: PassBoundary = v.module == .embeddings ? .embeddings : .hiddenState(v.layer ?? config.numHiddenLayers)
            lowest = min(lowest, b)
        }
        return lowest
    }

    /// Exact Hessian-vector product of one batch's mean task loss (eval mode) by Pearlmutter's R-operator
    /// (forward-mode tangents, then the tangent of the backward pass): hv[s] += scale · (∂²L/∂w²·v)[s] for every
    /// tensor s in `selected`, where v is `direction` restricted to `selected` (its other entries are ignored) and
    /// w are the weights the forward reads (ŵ for a quantized model). Tensors outside `selected` are untouched in hv.
    ///
    /// With an activation quantizer, tangents and adjoints pass each quantizer as the straight-through estimator does
    /// (the quantizer's own mask: identity inside its range, zero outside) and its rounding has no curvature: the
    /// result is the Hessian of the STE surrogate with respect to ŵ, what PyTorch's double backward through fake
    /// quantization computes. The quantizers are frozen for the call (nothing of theirs changes).
    ///
    /// The pass starts at `boundary(for: selected)`: with `hidden` (that boundary's hidden_states of `batch` at the
    /// current weights below it) the layers under it are not run at all. `reuseForward`: the model's latest forward
    /// was of this batch, in eval mode, at the current weights (the caller vouches for it, e.g. by `forwardCount`),
    /// so it is not run again. Returns the batch's mean loss.
    ///
    /// `product: .ggn` gives the generalized Gauss–Newton product Jᵀ H_out J v instead (same conventions, same
    /// masks): the backward's adjoint seed ∂L/∂z is set to zero, so every second-order term of the R-backward (each
    /// linear in that adjoint) vanishes and only the backward of H_out·(J v) is left.
    @discardableResult
    public func hessianVectorProduct(_ batch: TokenBatch, targets: Targets, direction: Buffer<T>, selected: [ParameterView],
                                     into hv: Buffer<T>, scale: Double = 1, hidden: Buffer<T>? = nil,
                                     reuseForward: Bool = false, product: CurvatureProduct = .hessian) throws -> Double {
        precondition(direction.count == table.totalCount && hv.count == table.totalCount,
                     "hessianVectorProduct: direction and output need the parameter layout")
        let start = boundary(for: selected)
        let wasFrozen = activationQuantizer?.frozen
        activationQuantizer?.frozen = true
        defer { if let wasFrozen { activationQuantizer?.frozen = wasFrozen } }

        let acts: Activations<T>
        if reuseForward, let w = workspace, w.batch == batch, !w.training {
            acts = w
        } else {
            acts = try hidden.map { try forward(batch, from: start, hidden: $0) } ?? forward(batch)
        }
        let (loss, dLogitsOrNil) = try taskLoss(acts, targets: targets, wantGradient: true)
        guard let dLogits = dLogitsOrNil, let logits = acts.logits else { throw ModelError.noClassifier }
        if product == .ggn { dLogits.zero() } else if scale != 1 { T.scal(n: dLogits.count, alpha: T(scale), x: dLogits.pointer, incx: 1) }
        zeroAdjointPass = product == .ggn
        defer { zeroAdjointPass = false }

        let tg: Tangents<T>
        if let existing = tangentWorkspace, existing.adopt(acts) { tg = existing } else {
            tangentWorkspace = nil
            tg = Tangents(config: config, capacity: acts.pool.capacity, shape: acts.pool.shape, classes: classes,
                          quantized: acts.quantized)
            tangentWorkspace = tg
        }
        let tw = DirectionSlices(base: UnsafePointer(direction.pointer), selected: Set(selected.map(\.offset)))
        let out = GradientTargets(base: hv.pointer, wanted: tw.selected)
        let L = config.numHiddenLayers

        // Forward-mode tangents from the boundary up.
        var tHidden: Buffer<T>? = start == .embeddings ? embeddingsTangent(acts, tg, tw) : nil
        let embeddingSumTangent = start == .embeddings ? tg.embeddingSum : nil
        var layerStates: [LayerTangentState<T>] = []
        for l in start.firstLayer..<L {
            let (state, next) = layerTangent(l, acts, tg, input: tHidden, tw)
            layerStates.append(state)
            tHidden = next
        }
        let head = headTangent(acts, tg, input: tHidden, tw)

        // The loss's tangent seed on the logits.
        let rws = backwardWorkspace(for: acts, rOperator: true)
        let rdLogits = Buffer<T>(count: logits.count)
        if let tLogits = head.logits {
            lossTangentSeed(logits: logits, tangent: tLogits, targets: targets, batch: acts.batchSize, scale: scale, into: rdLogits)
        }

        // The backward pass and its tangent, from the head down to the boundary.
        let ws = backwardWorkspace(for: acts)
        var dOut = ws.dOut, dIn = ws.dIn, rdOut = rws.dOut, rdIn = rws.dIn
        dOut.zero(); rdOut.zero()
        headBackwardR(acts, ws, rws, head, dLogits: dLogits, rdLogits: rdLogits, dLast: dOut, rdLast: rdOut, tw, out)
        for l in stride(from: L - 1, through: start.firstLayer, by: -1) {
            let k = l - start.firstLayer
            let needInput = l > start.firstLayer || start == .embeddings
            layerBackwardR(l, acts, ws, rws, layerStates[k], dOut: dOut, rdOut: rdOut,
                           dIn: needInput ? dIn : nil, rdIn: needInput ? rdIn : nil, tw, out)
            swap(&dOut, &dIn)
            swap(&rdOut, &rdIn)
        }
        if start == .embeddings {
            embeddingsBackwardR(acts, rws, embeddingSumTangent: embeddingSumTangent, dHidden0: dOut, rdHidden0: rdOut, tw, out)
        }
        return loss
    }

    // MARK: Forward-mode tangents

    /// m ⊙ t for the read at `site` into `hat` (the site's straight-through mask), or `t` itself without a quantizer.
    private func maskedTangent(_ site: ActivationSite, _ x: Buffer<T>, _ t: Buffer<T>?, _ hat: Buffer<T>?) -> Buffer<T>? {
        guard let t else { return nil }
        guard let aq = activationQuantizer, let hat else { return t }
        hat.zero()
        aq.backward(site, x.pointer, t.pointer, hat.pointer, count: t.count)
        return hat
    }

    /// `linearTangent` into `out` when some tangent is non-zero; nil (zero) otherwise.
    private func linearTangentOrZero(_ out: Buffer<T>, tinp: Buffer<T>?, inp: UnsafePointer<T>, _ pair: (w: Int, b: Int),
                                     _ tw: DirectionSlices<T>, rows: Int, inFeatures: Int, outFeatures: Int) -> Buffer<T>? {
        let tweight = tw(pair.w), tbias = tw(pair.b)
        guard tinp != nil || tweight != nil || tbias != nil else { return nil }
        linearTangent(out.pointer, tinp: tinp.map { UnsafePointer($0.pointer) }, inp: inp, weight: UnsafePointer(weights.pointer) + pair.w,
                      tweight: tweight, tbias: tbias, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        return out
    }

    /// `layerNormTangent` into `out` when some tangent is non-zero; nil otherwise.
    private func layerNormTangentOrZero(_ out: Buffer<T>, tx: Buffer<T>?, x: Buffer<T>, mean: Buffer<T>, rstd: Buffer<T>,
                                        _ pair: (w: Int, b: Int), _ tw: DirectionSlices<T>, rows: Int) -> Buffer<T>? {
        let tweight = tw(pair.w), tbias = tw(pair.b)
        guard tx != nil || tweight != nil || tbias != nil else { return nil }
        layerNormTangent(out.pointer, tx: tx.map { UnsafePointer($0.pointer) }, x: x.pointer, mean: mean.pointer, rstd: rstd.pointer,
                         weight: UnsafePointer(weights.pointer) + pair.w, tweight: tweight, tbias: tbias, rows: rows,
                         cols: config.hiddenSize)
        return out
    }

    /// Tangent of hidden_states.0: the selected embedding tables' rows, through the embedding LayerNorm.
    private func embeddingsTangent(_ acts: Activations<T>, _ tg: Tangents<T>, _ tw: DirectionSlices<T>) -> Buffer<T>? {
        let o = offsets, layout = acts.layout, h = config.hiddenSize
        let tables = [tw(o.wordEmbeddings), tw(o.positionEmbeddings), tw(o.tokenTypeEmbeddings)]
        var sum: Buffer<T>? = nil
        if tables.contains(where: { $0 != nil }) {
            tg.embeddingSum.zero()
            let ids = acts.batch.inputIds, types = acts.batch.tokenTypeIds
            for bi in 0..<layout.count {
                for t in 0..<layout.lengths[bi] {
                    let i = layout.offsets[bi] + t
                    let rows = [Int(ids[i]), t, Int(types[i])]
                    for (table, row) in zip(tables, rows) {
                        if let table { T.axpy(n: h, alpha: 1, x: table + row * h, incx: 1, y: tg.embeddingSum.pointer + i * h, incy: 1) }
                    }
                }
            }
            sum = tg.embeddingSum
        }
        return layerNormTangentOrZero(tg.hiddenStates[0], tx: sum, x: acts.embeddingSum, mean: acts.embeddingMean,
                                      rstd: acts.embeddingRstd, o.embeddingNorm, tw, rows: layout.tokenCount)
    }

    /// Tangents of layer l, given the tangent of its input (nil: zero); returns them and the output's tangent.
    private func layerTangent(_ l: Int, _ acts: Activations<T>, _ tg: Tangents<T>, input tx: Buffer<T>?,
                              _ tw: DirectionSlices<T>) -> (LayerTangentState<T>, Buffer<T>?) {
        let c = config, n = acts.layout.tokenCount, h = c.hiddenSize, inter = c.intermediateSize, a = c.allHeadSize
        let lo = offsets.layers[l], la = acts.layers[l], qc = la.quantizedCopies, lt = tg.layers[l], shape = attentionShape(acts)
        let x = acts.hiddenStates[l]
        var s = LayerTangentState<T>()
        s.queryInputHat = maskedTangent(.queryInput(l), x, tx, lt.queryInputHat)
        s.keyInputHat = maskedTangent(.keyInput(l), x, tx, lt.keyInputHat)
        s.valueInputHat = maskedTangent(.valueInput(l), x, tx, lt.valueInputHat)
        let tq = linearTangentOrZero(lt.q, tinp: s.queryInputHat, inp: (qc?.queryInput ?? x).pointer, lo.query, tw,
                                     rows: n, inFeatures: h, outFeatures: a)
        let tk = linearTangentOrZero(lt.k, tinp: s.keyInputHat, inp: (qc?.keyInput ?? x).pointer, lo.key, tw,
                                     rows: n, inFeatures: h, outFeatures: a)
        let tv = linearTangentOrZero(lt.v, tinp: s.valueInputHat, inp: (qc?.valueInput ?? x).pointer, lo.value, tw,
                                     rows: n, inFeatures: h, outFeatures: a)
        s.qHat = maskedTangent(.query(l), la.q, tq, lt.qHat)
        s.kHat = maskedTangent(.key(l), la.k, tk, lt.kHat)
        s.vHat = maskedTangent(.value(l), la.v, tv, lt.vHat)
        if s.qHat != nil || s.kHat != nil {
            attentionProbabilitiesTangent(tprobs: lt.probs.pointer, probs: la.probs.pointer, q: (qc?.q ?? la.q).pointer,
                                          tq: s.qHat.map { UnsafePointer($0.pointer) }, k: (qc?.k ?? la.k).pointer,
                                          tk: s.kHat.map { UnsafePointer($0.pointer) }, shape: shape)
            s.probs = lt.probs
        }
        s.probsHat = maskedTangent(.attentionProbs(l), la.probs, s.probs, lt.probsHat)
        var tContext: Buffer<T>? = nil
        if s.probsHat != nil || s.vHat != nil {
            attentionContextTangent(lt.context.pointer, p: (qc?.probs ?? la.probs).pointer, tp: s.probsHat.map { UnsafePointer($0.pointer) },
                                    v: (qc?.v ?? la.v).pointer, tv: s.vHat.map { UnsafePointer($0.pointer) }, shape: shape)
            tContext = lt.context
        }
        s.contextHat = maskedTangent(.attentionOutputInput(l), la.context, tContext, lt.contextHat)
        // residual1 = attention output + x
        let tDense = linearTangentOrZero(lt.residual1, tinp: s.contextHat, inp: (qc?.context ?? la.context).pointer,
                                         lo.attentionOutput, tw, rows: n, inFeatures: a, outFeatures: h)
        if let tDense, let tx { T.kernelAdd(tDense.pointer, tx.pointer, tDense.pointer, n * h) }
        s.residual1 = tDense ?? tx
        s.normed1 = layerNormTangentOrZero(lt.normed1, tx: s.residual1, x: la.residual1, mean: la.mean1, rstd: la.rstd1,
                                           lo.norm1, tw, rows: n)
        s.normed1Hat = maskedTangent(.ffnIntermediateInput(l), la.normed1, s.normed1, lt.normed1Hat)
        s.ffnPre = linearTangentOrZero(lt.ffnPre, tinp: s.normed1Hat, inp: (qc?.normed1 ?? la.normed1).pointer, lo.intermediate, tw,
                                       rows: n, inFeatures: h, outFeatures: inter)
        var tAct: Buffer<T>? = nil
        if let tPre = s.ffnPre {
            activationTangent(activation, la.ffnPre.pointer, tPre.pointer, lt.ffnAct.pointer, n * inter)
            tAct = lt.ffnAct
        }
        s.ffnActHat = maskedTangent(.ffnOutputInput(l), la.ffnAct, tAct, lt.ffnActHat)
        // residual2 = FFN output + normed1
        let tFfn = linearTangentOrZero(lt.residual2, tinp: s.ffnActHat, inp: (qc?.ffnAct ?? la.ffnAct).pointer, lo.output, tw,
                                       rows: n, inFeatures: inter, outFeatures: h)
        if let tFfn, let tn = s.normed1 { T.kernelAdd(tFfn.pointer, tn.pointer, tFfn.pointer, n * h) }
        s.residual2 = tFfn ?? s.normed1
        let next = layerNormTangentOrZero(tg.hiddenStates[l + 1], tx: s.residual2, x: la.residual2, mean: la.mean2, rstd: la.rstd2,
                                          lo.norm2, tw, rows: n)
        return (s, next)
    }

    /// Tangents of the pooler and classifier, given the tangent of hidden_states.L.
    private func headTangent(_ acts: Activations<T>, _ tg: Tangents<T>, input tLast: Buffer<T>?,
                             _ tw: DirectionSlices<T>) -> HeadTangentState<T> {
        var s = HeadTangentState<T>()
        guard let pool = offsets.pooler, let pooled = acts.pooled else { return s }
        let b = acts.batchSize, h = config.hiddenSize, starts = acts.layout.offsets
        var tCls: Buffer<T>? = nil
        if let tLast {
            for bi in 0..<b { (tg.clsRows.pointer + bi * h).update(from: tLast.pointer + starts[bi] * h, count: h) }
            tCls = tg.clsRows
        }
        s.clsHat = maskedTangent(.poolerInput, acts.clsRows, tCls, tg.clsRowsHat)
        if let tz = linearTangentOrZero(tg.pooled, tinp: s.clsHat, inp: (acts.clsRowsHat ?? acts.clsRows).pointer, pool, tw,
                                        rows: b, inFeatures: h, outFeatures: h) {
            tanhTangent(pooled.pointer, tz.pointer, tz.pointer, b * h)
            s.pooled = tz
        }
        if let cls = offsets.classifier, let tLogits = tg.logits, let k = classes {
            s.logits = linearTangentOrZero(tLogits, tinp: s.pooled, inp: pooled.pointer, cls, tw, rows: b, inFeatures: h, outFeatures: k)
        }
        return s
    }

    /// rdz = scale · ∂²L/∂z² · tz for the batch-mean loss: softmax cross-entropy p ⊙ (tz − Σ p·tz)/B, squared error 2·tz/B.
    private func lossTangentSeed(logits: Buffer<T>, tangent tz: Buffer<T>, targets: Targets, batch b: Int, scale: Double,
                                 into rdz: Buffer<T>) {
        let k = logits.count / b
        let s = scale / Double(b)
        switch targets {
        case .classes:
            for i in 0..<b {
                let row = logits.pointer + i * k, trow = tz.pointer + i * k
                var m = Double(row[0])
                for j in 1..<k { m = max(m, Double(row[j])) }
                var p = [Double](repeating: 0, count: k), z = 0.0
                for j in 0..<k { p[j] = Foundation.exp(Double(row[j]) - m); z += p[j] }
                var dotPT = 0.0
                for j in 0..<k { p[j] /= z; dotPT += p[j] * Double(trow[j]) }
                for j in 0..<k { rdz[i * k + j] = T(s * p[j] * (Double(trow[j]) - dotPT)) }
            }
        case .values:
            for i in 0..<logits.count { rdz[i] = T(2 * s * Double(tz[i])) }
        }
    }

    // MARK: The backward pass and its tangent

    /// Backward through the quantizer at `site` for the adjoint (into dx) and its tangent (into rdx) at once; either
    /// may be nil (not needed). `body` accumulates into the (scratch) targets it is given.
    private func throughQuantizerR(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?, dx: UnsafeMutablePointer<T>?,
                                   rdx: UnsafeMutablePointer<T>?, _ ws: BackwardWorkspace<T>, _ rws: BackwardWorkspace<T>,
                                   _ body: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void) {
        guard let aq = activationQuantizer, copy != nil else { return body(dx, rdx) }
        if dx != nil { memset(ws.scratchA.pointer, 0, x.count * MemoryLayout<T>.stride) }
        if rdx != nil { memset(rws.scratchA.pointer, 0, x.count * MemoryLayout<T>.stride) }
        body(dx != nil ? ws.scratchA.pointer : nil, rdx != nil ? rws.scratchA.pointer : nil)
        if let dx { aq.backward(site, x.pointer, ws.scratchA.pointer, dx, count: x.count) }
        if let rdx { aq.backward(site, x.pointer, rws.scratchA.pointer, rdx, count: x.count) }
    }

    /// A linear layer's input adjoint (dinp), its tangent (rdinp) and the weight's and bias's R-gradient.
    private func linearBackwardBoth(dinp: UnsafeMutablePointer<T>?, rdinp: UnsafeMutablePointer<T>?, dout: Buffer<T>, rdout: Buffer<T>,
                                    inp: UnsafePointer<T>, tinp: Buffer<T>?, _ pair: (w: Int, b: Int), _ tw: DirectionSlices<T>,
                                    _ out: GradientTargets<T>, rows: Int, inFeatures: Int, outFeatures: Int) {
        let w = UnsafePointer(weights.pointer) + pair.w
        // With a zero adjoint (a Gauss–Newton pass) dinp stays zero and the terms dout·t(W), doutᵀ·t(inp) vanish.
        let zero = zeroAdjointPass
        if let dinp, !zero {
            linearBackward(dinp: dinp, dweight: nil, dbias: nil, dout: dout.pointer, inp: inp, weight: w,
                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        linearBackwardR(rdinp: rdinp, rdweight: out(pair.w), rdbias: out(pair.b), dout: dout.pointer, rdout: rdout.pointer, inp: inp,
                        tinp: zero ? nil : tinp.map { UnsafePointer($0.pointer) }, weight: w, tweight: zero ? nil : tw(pair.w),
                        rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    private func headBackwardR(_ acts: Activations<T>, _ ws: BackwardWorkspace<T>, _ rws: BackwardWorkspace<T>, _ s: HeadTangentState<T>,
                               dLogits: Buffer<T>, rdLogits: Buffer<T>, dLast: Buffer<T>, rdLast: Buffer<T>,
                               _ tw: DirectionSlices<T>, _ out: GradientTargets<T>) {
        guard let pool = offsets.pooler, let pooled = acts.pooled else { return }
        let b = acts.batchSize, h = config.hiddenSize, starts = acts.layout.offsets
        ws.dPooled.zero(); rws.dPooled.zero()
        if let cls = offsets.classifier, let k = classes {
            linearBackwardBoth(dinp: ws.dPooled.pointer, rdinp: rws.dPooled.pointer, dout: dLogits, rdout: rdLogits, inp: pooled.pointer,
                               tinp: s.pooled, cls, tw, out, rows: b, inFeatures: h, outFeatures: k)
        }
        ws.dPooledPre.zero(); rws.dPooledPre.zero()
        T.kernelTanhBackward(pooled.pointer, ws.dPooled.pointer, ws.dPooledPre.pointer, b * h)
        if let tp = s.pooled {
            tanhBackwardR(pooled.pointer, tp.pointer, ws.dPooled.pointer, rws.dPooled.pointer, rws.dPooledPre.pointer, b * h)
        } else {
            T.kernelTanhBackward(pooled.pointer, rws.dPooled.pointer, rws.dPooledPre.pointer, b * h)
        }
        ws.dPooled.zero(); rws.dPooled.zero()
        throughQuantizerR(.poolerInput, acts.clsRows, acts.clsRowsHat, dx: ws.dPooled.pointer, rdx: rws.dPooled.pointer, ws, rws) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: ws.dPooledPre, rdout: rws.dPooledPre, inp: (acts.clsRowsHat ?? acts.clsRows).pointer,
                               tinp: s.clsHat, pool, tw, out, rows: b, inFeatures: h, outFeatures: h)
        }
        for bi in 0..<b {
            T.axpy(n: h, alpha: 1, x: ws.dPooled.pointer + bi * h, incx: 1, y: dLast.pointer + starts[bi] * h, incy: 1)
            T.axpy(n: h, alpha: 1, x: rws.dPooled.pointer + bi * h, incx: 1, y: rdLast.pointer + starts[bi] * h, incy: 1)
        }
    }

    /// Layer l's backward and its tangent: (dOut, rdOut) for hidden_states.(l+1) → (dIn, rdIn) for hidden_states.l
    /// (nil: not needed, the pass stops here), R-gradients of the selected tensors into `out`. Without dIn the pass
    /// stops as soon as no selected tensor lies further down in the layer.
    private func layerBackwardR(_ l: Int, _ acts: Activations<T>, _ ws: BackwardWorkspace<T>, _ rws: BackwardWorkspace<T>,
                                _ s: LayerTangentState<T>, dOut: Buffer<T>, rdOut: Buffer<T>,
                                dIn: Buffer<T>?, rdIn: Buffer<T>?, _ tw: DirectionSlices<T>, _ out: GradientTargets<T>) {
        let c = config, n = acts.layout.tokenCount, h = c.hiddenSize, inter = c.intermediateSize, a = c.allHeadSize
        let w = UnsafePointer(weights.pointer), lo = offsets.layers[l]
        let la = acts.layers[l], qc = la.quantizedCopies, shape = attentionShape(acts), aq = activationQuantizer
        let x = acts.hiddenStates[l]
        func through(_ site: ActivationSite, _ xb: Buffer<T>, _ copy: Buffer<T>?, _ dx: Buffer<T>?, _ rdx: Buffer<T>?,
                     _ body: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void) {
            throughQuantizerR(site, xb, copy, dx: dx?.pointer, rdx: rdx?.pointer, ws, rws, body)
        }
        func ptr(_ b: Buffer<T>?) -> UnsafePointer<T>? { b.map { UnsafePointer($0.pointer) } }
        /// Whether the pass must go on below: the input's adjoint is wanted, or a selected tensor lies further down.
        func goOn(_ below: [(w: Int, b: Int)]) -> Bool {
            dIn != nil || below.contains { tw.selected.contains($0.w) || tw.selected.contains($0.b) }
        }
        let attention = [lo.query, lo.key, lo.value, lo.attentionOutput]
        // output LayerNorm
        layerNormBackwardR(dx: ws.dRes.pointer, rdx: rws.dRes.pointer, rdweight: out(lo.norm2.w), rdbias: out(lo.norm2.b),
                           dy: dOut.pointer, rdy: rdOut.pointer, x: la.residual2.pointer, tx: ptr(s.residual2),
                           mean: la.mean2.pointer, rstd: la.rstd2.pointer, weight: w + lo.norm2.w, tweight: tw(lo.norm2.w),
                           rows: n, cols: h)
        ws.dNormed1.copy(from: ws.dRes); rws.dNormed1.copy(from: rws.dRes)
        // FFN output
        guard goOn([lo.output, lo.intermediate, lo.norm1] + attention) else { return }
        let belowOutput = goOn([lo.intermediate, lo.norm1] + attention)
        ws.dFfnAct.zero(); rws.dFfnAct.zero()
        through(.ffnOutputInput(l), la.ffnAct, qc?.ffnAct, belowOutput ? ws.dFfnAct : nil, belowOutput ? rws.dFfnAct : nil) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: ws.dRes, rdout: rws.dRes, inp: (qc?.ffnAct ?? la.ffnAct).pointer,
                               tinp: s.ffnActHat, lo.output, tw, out, rows: n, inFeatures: inter, outFeatures: h)
        }
        guard belowOutput else { return }
        ws.dFfnPre.zero(); rws.dFfnPre.zero()
        activationBackward(activation, la.ffnPre.pointer, ws.dFfnAct.pointer, ws.dFfnPre.pointer, n * inter)
        if let tPre = s.ffnPre {
            activationBackwardR(activation, la.ffnPre.pointer, tPre.pointer, ws.dFfnAct.pointer, rws.dFfnAct.pointer,
                                rws.dFfnPre.pointer, n * inter)
        } else {
            activationBackward(activation, la.ffnPre.pointer, rws.dFfnAct.pointer, rws.dFfnPre.pointer, n * inter)
        }
        // FFN intermediate
        let belowIntermediate = goOn([lo.norm1] + attention)
        through(.ffnIntermediateInput(l), la.normed1, qc?.normed1, belowIntermediate ? ws.dNormed1 : nil,
                belowIntermediate ? rws.dNormed1 : nil) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: ws.dFfnPre, rdout: rws.dFfnPre, inp: (qc?.normed1 ?? la.normed1).pointer,
                               tinp: s.normed1Hat, lo.intermediate, tw, out, rows: n, inFeatures: h, outFeatures: inter)
        }
        // attention LayerNorm
        guard belowIntermediate else { return }
        let belowNorm1 = goOn(attention)
        layerNormBackwardR(dx: belowNorm1 ? ws.dRes.pointer : nil, rdx: belowNorm1 ? rws.dRes.pointer : nil, rdweight: out(lo.norm1.w), rdbias: out(lo.norm1.b),
                           dy: ws.dNormed1.pointer, rdy: rws.dNormed1.pointer, x: la.residual1.pointer, tx: ptr(s.residual1),
                           mean: la.mean1.pointer, rstd: la.rstd1.pointer, weight: w + lo.norm1.w, tweight: tw(lo.norm1.w),
                           rows: n, cols: h)
        guard belowNorm1 else { return }
        dIn?.copy(from: ws.dRes); rdIn?.copy(from: rws.dRes)
        // attention output
        let belowDense = goOn([lo.query, lo.key, lo.value])
        ws.dContext.zero(); rws.dContext.zero()
        through(.attentionOutputInput(l), la.context, qc?.context, belowDense ? ws.dContext : nil, belowDense ? rws.dContext : nil) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: ws.dRes, rdout: rws.dRes, inp: (qc?.context ?? la.context).pointer,
                               tinp: s.contextHat, lo.attentionOutput, tw, out, rows: n, inFeatures: a, outFeatures: h)
        }
        guard belowDense else { return }
        // ctx = p̂ · v̂; the scores' branch is needed for the input's adjoint or a selected Q or K only.
        let quantized = qc != nil && aq != nil
        let needScores = goOn([lo.query, lo.key])
        attentionContextBackwardR(dp: (quantized ? ws.dScoresCopy : ws.dScores).pointer, dv: (quantized ? ws.scratchB : ws.dv).pointer,
                                  rdp: (quantized ? rws.dScoresCopy : rws.dScores).pointer, rdv: (quantized ? rws.scratchB : rws.dv).pointer,
                                  wantProbs: needScores,
                                  dctx: ws.dContext.pointer, rdctx: rws.dContext.pointer, p: (qc?.probs ?? la.probs).pointer,
                                  tp: ptr(s.probsHat), v: (qc?.v ?? la.v).pointer, tv: ptr(s.vHat), shape: shape)
        if let aq, quantized {
            for b0 in [ws, rws] {
                b0.dv.zero()
                aq.backward(.value(l), la.v.pointer, b0.scratchB.pointer, b0.dv.pointer, count: la.v.count)
                if needScores {
                    b0.dScores.zero()
                    aq.backward(.attentionProbs(l), la.probs.pointer, b0.dScoresCopy.pointer, b0.dScores.pointer, count: la.probs.count)
                }
            }
        }
        if !needScores {
            // Only the value projection is left.
            throughQuantizerR(.valueInput(l), x, qc?.valueInput, dx: nil, rdx: nil, ws, rws) { _, _ in
                linearBackwardBoth(dinp: nil, rdinp: nil, dout: ws.dv, rdout: rws.dv, inp: (qc?.valueInput ?? x).pointer,
                                   tinp: s.valueInputHat, lo.value, tw, out, rows: n, inFeatures: h, outFeatures: a)
            }
            return
        }
        // scores = q̂ · k̂ᵀ / √d
        attentionScoresBackwardR(dq: (quantized ? ws.scratchA : ws.dq).pointer, dk: (quantized ? ws.scratchB : ws.dk).pointer,
                                 rdq: (quantized ? rws.scratchA : rws.dq).pointer, rdk: (quantized ? rws.scratchB : rws.dk).pointer,
                                 dprobs: ws.dScores.pointer, rdprobs: rws.dScores.pointer, probs: la.probs.pointer, tprobs: ptr(s.probs),
                                 q: (qc?.q ?? la.q).pointer, tq: ptr(s.qHat), k: (qc?.k ?? la.k).pointer, tk: ptr(s.kHat), shape: shape)
        if let aq, quantized {
            for b0 in [ws, rws] {
                b0.dq.zero()
                aq.backward(.query(l), la.q.pointer, b0.scratchA.pointer, b0.dq.pointer, count: la.q.count)
                b0.dk.zero()
                aq.backward(.key(l), la.k.pointer, b0.scratchB.pointer, b0.dk.pointer, count: la.k.count)
            }
        }
        // Q, K, V projections of x
        for (site, copy, pair, d, rd, tinp) in [
            (ActivationSite.queryInput(l), qc?.queryInput, lo.query, ws.dq, rws.dq, s.queryInputHat),
            (.keyInput(l), qc?.keyInput, lo.key, ws.dk, rws.dk, s.keyInputHat),
            (.valueInput(l), qc?.valueInput, lo.value, ws.dv, rws.dv, s.valueInputHat),
        ] {
            through(site, x, copy, dIn, rdIn) { dinp, rdinp in
                linearBackwardBoth(dinp: dinp, rdinp: rdinp, dout: d, rdout: rd, inp: (copy ?? x).pointer, tinp: tinp, pair, tw, out,
                                   rows: n, inFeatures: h, outFeatures: a)
            }
        }
    }

    private func embeddingsBackwardR(_ acts: Activations<T>, _ rws: BackwardWorkspace<T>, embeddingSumTangent: Buffer<T>?,
                                     dHidden0: Buffer<T>, rdHidden0: Buffer<T>, _ tw: DirectionSlices<T>, _ out: GradientTargets<T>) {
        let h = config.hiddenSize, o = offsets
        let w = UnsafePointer(weights.pointer)
        let tables = [out(o.wordEmbeddings), out(o.positionEmbeddings), out(o.tokenTypeEmbeddings)]
        let needSum = tables.contains { $0 != nil }
        layerNormBackwardR(dx: nil, rdx: needSum ? rws.dRes.pointer : nil, rdweight: out(o.embeddingNorm.w), rdbias: out(o.embeddingNorm.b),
                           dy: dHidden0.pointer, rdy: rdHidden0.pointer, x: acts.embeddingSum.pointer,
                           tx: embeddingSumTangent.map { UnsafePointer($0.pointer) }, mean: acts.embeddingMean.pointer,
                           rstd: acts.embeddingRstd.pointer, weight: w + o.embeddingNorm.w, tweight: tw(o.embeddingNorm.w),
                           rows: acts.layout.tokenCount, cols: h)
        if needSum {
            embeddingLookupBackward(dwte: tables[0], dwpe: tables[1], dwtt: tables[2], dout: rws.dRes.pointer, ids: acts.batch.inputIds,
                               typeIds: acts.batch.tokenTypeIds, layout: acts.layout, hidden: h)
        }
    }
}
