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

/// The plain adjoints of one pass and whether the pass computes them (fresh) or reads them (kept from an earlier pass).
private struct PlainPass<T: BLASReal> {
    let adjoints: PlainAdjoints<T>
    let fresh: Bool
}

/// The k directions of one block pass and where their products go. Tangent buffers hold the k columns one after the
/// other (direction-major: column j of a buffer of `count` values starts at j · count/k), so every product with a
/// weight matrix of a tangent or adjoint tangent is one GEMM with k times the rows.
private struct BlockDirections<T: BLASReal> {
    let bases: [UnsafePointer<T>]
    let outputs: [UnsafeMutablePointer<T>]
    let selected: Set<Int>
    var k: Int { bases.count }
    /// Whether the tensor at `offset` has a (non-zero) tangent.
    func has(_ offset: Int) -> Bool { selected.contains(offset) }
    /// Column j's tangent of the tensor at `offset`, nil (zero) for a tensor outside the selection.
    func callAsFunction(_ offset: Int, _ j: Int) -> UnsafePointer<T>? { selected.contains(offset) ? bases[j] + offset : nil }
    /// Column j's product target for the tensor at `offset`, nil for a tensor outside the selection.
    func out(_ offset: Int, _ j: Int) -> UnsafeMutablePointer<T>? { selected.contains(offset) ? outputs[j] + offset : nil }
    /// Column j of a block buffer.
    func column(_ b: Buffer<T>, _ j: Int) -> UnsafeMutablePointer<T> { b.pointer + j * (b.count / k) }
    func column(_ b: Buffer<T>?, _ j: Int) -> UnsafePointer<T>? { b.map { UnsafePointer($0.pointer + j * ($0.count / k)) } }
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
    /// `keepAdjoints`: keep the plain backward's adjoints of every layer (`keptAdjointBytes(for:)`) for the next call
    /// that reuses this forward; such a call with the same targets, scale, selection and product skips the plain
    /// backward and reads them. The results are the same bits either way (the same operations on the same values).
    ///
    /// `product: .ggn` gives the generalized Gauss–Newton product Jᵀ H_out J v instead (same conventions, same
    /// masks): the backward's adjoint seed ∂L/∂z is set to zero, so every second-order term of the R-backward (each
    /// linear in that adjoint) vanishes and only the backward of H_out·(J v) is left.
    @discardableResult
    public func hessianVectorProduct(_ batch: TokenBatch, targets: Targets, direction: Buffer<T>, selected: [ParameterView],
                                     into hv: Buffer<T>, scale: Double = 1, hidden: Buffer<T>? = nil,
                                     reuseForward: Bool = false, keepAdjoints: Bool = false,
                                     product: CurvatureProduct = .hessian) throws -> Double {
        try curvatureBlockProduct(batch, targets: targets, directions: [direction], selected: selected, into: [hv], scale: scale,
                                  hidden: hidden, reuseForward: reuseForward, keepAdjoints: keepAdjoints, product: product)
    }

    /// `hessianVectorProduct` for k directions in one pass: the forward and the plain backward run once, and the k
    /// tangents and adjoint tangents travel together (direction-major), so every weight matrix meets all k columns
    /// in one GEMM. hv[j] += scale · (C · directions[j]) on `selected`, exactly what k single calls give (the same
    /// operations per column, in the same order). Returns the batch's mean loss.
    @discardableResult
    public func curvatureBlockProduct(_ batch: TokenBatch, targets: Targets, directions: [Buffer<T>], selected: [ParameterView],
                                      into hv: [Buffer<T>], scale: Double = 1, hidden: Buffer<T>? = nil,
                                      reuseForward: Bool = false, keepAdjoints: Bool = false,
                                      product: CurvatureProduct = .hessian) throws -> Double {
        precondition(!directions.isEmpty && directions.count == hv.count, "curvatureBlockProduct: one output per direction")
        precondition(directions.allSatisfy { $0.count == table.totalCount } && hv.allSatisfy { $0.count == table.totalCount },
                     "curvatureBlockProduct: directions and outputs need the parameter layout")
        let k = directions.count
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
        guard var dLogits = dLogitsOrNil, let logits = acts.logits else { throw ModelError.noClassifier }

        // The plain adjoints: kept from a call on this forward with the same seed and extent, or computed in this pass
        // (into kept buffers, or into the backward scratch layer by layer).
        let ws = backwardWorkspace(for: acts)
        let key = PlainAdjoints<T>.Key(forward: forwardCount, weights: ObjectIdentifier(weights), targets: targets, scale: scale,
                                       selected: Set(selected.map(\.offset)), product: product)
        let plain: PlainAdjoints<T>
        if keepAdjoints {
            if let kept = keptAdjoints, kept.adopt(acts) { plain = kept } else {
                keptAdjoints = nil
                plain = PlainAdjoints(config: config, capacity: acts.pool.capacity, shape: acts.pool.shape)
                keptAdjoints = plain
            }
        } else {
            plain = PlainAdjoints(aliasing: ws, layers: config.numHiddenLayers)
        }
        let fresh = plain.key != key || plain.dLogits == nil
        if fresh {
            plainBackwardCount += 1
            plain.key = nil
            if product == .ggn { dLogits.zero() } else if scale != 1 { T.scal(n: dLogits.count, alpha: T(scale), x: dLogits.pointer, incx: 1) }
            plain.dLogits = dLogits
        } else {
            dLogits = plain.dLogits!
        }
        zeroAdjointPass = product == .ggn
        defer { zeroAdjointPass = false }

        let tg: Tangents<T>
        if let existing = tangentWorkspace, existing.adopt(acts, columns: k) { tg = existing } else {
            tangentWorkspace = nil
            tg = Tangents(config: config, capacity: acts.pool.capacity.columns(k), shape: acts.pool.shape.columns(k), classes: classes,
                          quantized: acts.quantized)
            tangentWorkspace = tg
        }
        let tw = BlockDirections(bases: directions.map { UnsafePointer($0.pointer) }, outputs: hv.map(\.pointer),
                                 selected: Set(selected.map(\.offset)))
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
        let rws = backwardWorkspace(for: acts, rOperator: true, columns: k)
        let rdLogits = Buffer<T>(count: k * logits.count)
        if let tLogits = head.logits {
            for j in 0..<k {
                lossTangentSeed(logits: logits, tangent: tw.column(tLogits, j), targets: targets, batch: acts.batchSize, scale: scale,
                                into: tw.column(rdLogits, j))
            }
        }

        // The backward pass (unless kept) and its tangent, from the head down to the boundary.
        let pass = PlainPass(adjoints: plain, fresh: fresh)
        var rdOut = rws.dOut, rdIn = rws.dIn
        if fresh { plain.hidden[L].zero() }
        rdOut.zero()
        headBackwardR(acts, ws, rws, head, pass, rdLogits: rdLogits, rdLast: rdOut, tw)
        for l in stride(from: L - 1, through: start.firstLayer, by: -1) {
            let i = l - start.firstLayer
            let needInput = l > start.firstLayer || start == .embeddings
            layerBackwardR(l, acts, ws, rws, layerStates[i], pass, rdOut: rdOut, rdIn: needInput ? rdIn : nil, tw)
            swap(&rdOut, &rdIn)
        }
        if start == .embeddings {
            embeddingsBackwardR(acts, rws, embeddingSumTangent: embeddingSumTangent, dHidden0: plain.hidden[0], rdHidden0: rdOut, tw)
        }
        if plain.owned { plain.key = key }
        return loss
    }

    // MARK: Forward-mode tangents

    /// m ⊙ t for the read at `site` into `hat` (the site's straight-through mask, column by column), or `t` itself
    /// without a quantizer.
    private func maskedTangent(_ site: ActivationSite, _ x: Buffer<T>, _ t: Buffer<T>?, _ hat: Buffer<T>?,
                               _ tw: BlockDirections<T>) -> Buffer<T>? {
        guard let t else { return nil }
        guard let aq = activationQuantizer, let hat else { return t }
        hat.zero()
        let m = x.count
        for j in 0..<tw.k { aq.backward(site, x.pointer, t.pointer + j * m, hat.pointer + j * m, count: m) }
        return hat
    }

    /// The tangent of a linear layer's output into `out` for all k columns (`linearTangent` column by column, with
    /// the input tangents' product one GEMM of k·rows rows); nil (zero) when no tangent is non-zero.
    private func linearTangentOrZero(_ out: Buffer<T>, tinp: Buffer<T>?, inp: UnsafePointer<T>, _ pair: (w: Int, b: Int),
                                     _ tw: BlockDirections<T>, rows n: Int, inFeatures c: Int, outFeatures oc: Int) -> Buffer<T>? {
        guard tinp != nil || tw.has(pair.w) || tw.has(pair.b) else { return nil }
        let weight = UnsafePointer(weights.pointer) + pair.w, k = tw.k
        var beta: T = 0
        if let tinp {
            T.gemm(.none, .transpose, m: k * n, n: oc, k: c, alpha: 1, a: tinp.pointer, lda: c, b: weight, ldb: c, beta: 0,
                   c: out.pointer, ldc: oc)
            beta = 1
        }
        if tw.has(pair.w) {
            for j in 0..<k {
                T.gemm(.none, .transpose, m: n, n: oc, k: c, alpha: 1, a: inp, lda: c, b: tw(pair.w, j)!, ldb: c, beta: beta,
                       c: out.pointer + j * n * oc, ldc: oc)
            }
            beta = 1
        }
        if beta == 0 { memset(out.pointer, 0, k * n * oc * MemoryLayout<T>.stride) }
        if tw.has(pair.b) { for j in 0..<k { T.kernelAddRowVector(out.pointer + j * n * oc, tw(pair.b, j)!, rows: n, cols: oc) } }
        return out
    }

    /// `layerNormTangent` into `out` (column by column) when some tangent is non-zero; nil otherwise.
    private func layerNormTangentOrZero(_ out: Buffer<T>, tx: Buffer<T>?, x: Buffer<T>, mean: Buffer<T>, rstd: Buffer<T>,
                                        _ pair: (w: Int, b: Int), _ tw: BlockDirections<T>, rows: Int) -> Buffer<T>? {
        guard tx != nil || tw.has(pair.w) || tw.has(pair.b) else { return nil }
        for j in 0..<tw.k {
            layerNormTangent(tw.column(out, j), tx: tw.column(tx, j), x: x.pointer, mean: mean.pointer, rstd: rstd.pointer,
                             weight: UnsafePointer(weights.pointer) + pair.w, tweight: tw(pair.w, j), tbias: tw(pair.b, j), rows: rows,
                             cols: config.hiddenSize)
        }
        return out
    }

    /// Tangent of hidden_states.0: the selected embedding tables' rows, through the embedding LayerNorm.
    private func embeddingsTangent(_ acts: Activations<T>, _ tg: Tangents<T>, _ tw: BlockDirections<T>) -> Buffer<T>? {
        let o = offsets, layout = acts.layout, h = config.hiddenSize
        let tableOffsets = [o.wordEmbeddings, o.positionEmbeddings, o.tokenTypeEmbeddings]
        var sum: Buffer<T>? = nil
        if tableOffsets.contains(where: tw.has) {
            tg.embeddingSum.zero()
            let ids = acts.batch.inputIds, types = acts.batch.tokenTypeIds
            for j in 0..<tw.k {
                let tables = tableOffsets.map { tw($0, j) }, target = tw.column(tg.embeddingSum, j)
                for bi in 0..<layout.count {
                    for t in 0..<layout.lengths[bi] {
                        let i = layout.offsets[bi] + t
                        let rows = [Int(ids[i]), t, Int(types[i])]
                        for (table, row) in zip(tables, rows) {
                            if let table { T.axpy(n: h, alpha: 1, x: table + row * h, incx: 1, y: target + i * h, incy: 1) }
                        }
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
                              _ tw: BlockDirections<T>) -> (LayerTangentState<T>, Buffer<T>?) {
        let c = config, n = acts.layout.tokenCount, h = c.hiddenSize, inter = c.intermediateSize, a = c.allHeadSize
        let lo = offsets.layers[l], la = acts.layers[l], qc = la.quantizedCopies, lt = tg.layers[l], shape = attentionShape(acts)
        let x = acts.hiddenStates[l]
        var s = LayerTangentState<T>()
        s.queryInputHat = maskedTangent(.queryInput(l), x, tx, lt.queryInputHat, tw)
        s.keyInputHat = maskedTangent(.keyInput(l), x, tx, lt.keyInputHat, tw)
        s.valueInputHat = maskedTangent(.valueInput(l), x, tx, lt.valueInputHat, tw)
        let tq = linearTangentOrZero(lt.q, tinp: s.queryInputHat, inp: (qc?.queryInput ?? x).pointer, lo.query, tw,
                                     rows: n, inFeatures: h, outFeatures: a)
        let tk = linearTangentOrZero(lt.k, tinp: s.keyInputHat, inp: (qc?.keyInput ?? x).pointer, lo.key, tw,
                                     rows: n, inFeatures: h, outFeatures: a)
        let tv = linearTangentOrZero(lt.v, tinp: s.valueInputHat, inp: (qc?.valueInput ?? x).pointer, lo.value, tw,
                                     rows: n, inFeatures: h, outFeatures: a)
        s.qHat = maskedTangent(.query(l), la.q, tq, lt.qHat, tw)
        s.kHat = maskedTangent(.key(l), la.k, tk, lt.kHat, tw)
        s.vHat = maskedTangent(.value(l), la.v, tv, lt.vHat, tw)
        if s.qHat != nil || s.kHat != nil {
            for j in 0..<tw.k {
                attentionProbabilitiesTangent(tprobs: tw.column(lt.probs, j), probs: la.probs.pointer, q: (qc?.q ?? la.q).pointer,
                                              tq: tw.column(s.qHat, j), k: (qc?.k ?? la.k).pointer, tk: tw.column(s.kHat, j), shape: shape)
            }
            s.probs = lt.probs
        }
        s.probsHat = maskedTangent(.attentionProbs(l), la.probs, s.probs, lt.probsHat, tw)
        var tContext: Buffer<T>? = nil
        if s.probsHat != nil || s.vHat != nil {
            for j in 0..<tw.k {
                attentionContextTangent(tw.column(lt.context, j), p: (qc?.probs ?? la.probs).pointer, tp: tw.column(s.probsHat, j),
                                        v: (qc?.v ?? la.v).pointer, tv: tw.column(s.vHat, j), shape: shape)
            }
            tContext = lt.context
        }
        s.contextHat = maskedTangent(.attentionOutputInput(l), la.context, tContext, lt.contextHat, tw)
        // residual1 = attention output + x
        let tDense = linearTangentOrZero(lt.residual1, tinp: s.contextHat, inp: (qc?.context ?? la.context).pointer,
                                         lo.attentionOutput, tw, rows: n, inFeatures: a, outFeatures: h)
        if let tDense, let tx { T.kernelAdd(tDense.pointer, tx.pointer, tDense.pointer, tw.k * n * h) }
        s.residual1 = tDense ?? tx
        s.normed1 = layerNormTangentOrZero(lt.normed1, tx: s.residual1, x: la.residual1, mean: la.mean1, rstd: la.rstd1,
                                           lo.norm1, tw, rows: n)
        s.normed1Hat = maskedTangent(.ffnIntermediateInput(l), la.normed1, s.normed1, lt.normed1Hat, tw)
        s.ffnPre = linearTangentOrZero(lt.ffnPre, tinp: s.normed1Hat, inp: (qc?.normed1 ?? la.normed1).pointer, lo.intermediate, tw,
                                       rows: n, inFeatures: h, outFeatures: inter)
        var tAct: Buffer<T>? = nil
        if let tPre = s.ffnPre {
            activationTangents(activation, la.ffnPre.pointer, tPre.pointer, lt.ffnAct.pointer, n * inter, columns: tw.k)
            tAct = lt.ffnAct
        }
        s.ffnActHat = maskedTangent(.ffnOutputInput(l), la.ffnAct, tAct, lt.ffnActHat, tw)
        // residual2 = FFN output + normed1
        let tFfn = linearTangentOrZero(lt.residual2, tinp: s.ffnActHat, inp: (qc?.ffnAct ?? la.ffnAct).pointer, lo.output, tw,
                                       rows: n, inFeatures: inter, outFeatures: h)
        if let tFfn, let tn = s.normed1 { T.kernelAdd(tFfn.pointer, tn.pointer, tFfn.pointer, tw.k * n * h) }
        s.residual2 = tFfn ?? s.normed1
        let next = layerNormTangentOrZero(tg.hiddenStates[l + 1], tx: s.residual2, x: la.residual2, mean: la.mean2, rstd: la.rstd2,
                                          lo.norm2, tw, rows: n)
        return (s, next)
    }

    /// Tangents of the pooler and classifier, given the tangent of hidden_states.L.
    private func headTangent(_ acts: Activations<T>, _ tg: Tangents<T>, input tLast: Buffer<T>?,
                             _ tw: BlockDirections<T>) -> HeadTangentState<T> {
        var s = HeadTangentState<T>()
        guard let pool = offsets.pooler, let pooled = acts.pooled else { return s }
        let b = acts.batchSize, h = config.hiddenSize, starts = acts.layout.offsets
        var tCls: Buffer<T>? = nil
        if let tLast {
            for j in 0..<tw.k {
                let rows = tw.column(tg.clsRows, j), last = tw.column(tLast, j)
                for bi in 0..<b { (rows + bi * h).update(from: last + starts[bi] * h, count: h) }
            }
            tCls = tg.clsRows
        }
        s.clsHat = maskedTangent(.poolerInput, acts.clsRows, tCls, tg.clsRowsHat, tw)
        if let tz = linearTangentOrZero(tg.pooled, tinp: s.clsHat, inp: (acts.clsRowsHat ?? acts.clsRows).pointer, pool, tw,
                                        rows: b, inFeatures: h, outFeatures: h) {
            for j in 0..<tw.k { tanhTangent(pooled.pointer, tw.column(tz, j), tw.column(tz, j), b * h) }
            s.pooled = tz
        }
        if let cls = offsets.classifier, let tLogits = tg.logits, let k = classes {
            s.logits = linearTangentOrZero(tLogits, tinp: s.pooled, inp: pooled.pointer, cls, tw, rows: b, inFeatures: h, outFeatures: k)
        }
        return s
    }

    /// rdz = scale · ∂²L/∂z² · tz for the batch-mean loss: softmax cross-entropy p ⊙ (tz − Σ p·tz)/B, squared error 2·tz/B.
    private func lossTangentSeed(logits: Buffer<T>, tangent tz: UnsafePointer<T>, targets: Targets, batch b: Int, scale: Double,
                                 into rdz: UnsafeMutablePointer<T>) {
        let k = logits.count / b
        let s = scale / Double(b)
        switch targets {
        case .classes:
            for i in 0..<b {
                let row = logits.pointer + i * k, trow = tz + i * k
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

    /// Backward through the quantizer at `site` for the adjoint (into dx) and its k tangents (into rdx) at once; either
    /// may be nil (not needed). `body` accumulates into the (scratch) targets it is given.
    private func throughQuantizerR(_ site: ActivationSite, _ x: Buffer<T>, _ copy: Buffer<T>?, dx: UnsafeMutablePointer<T>?,
                                   rdx: UnsafeMutablePointer<T>?, _ ws: BackwardWorkspace<T>, _ rws: BackwardWorkspace<T>, k: Int,
                                   _ body: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void) {
        guard let aq = activationQuantizer, copy != nil else { return body(dx, rdx) }
        let m = x.count
        if dx != nil { memset(ws.scratchA.pointer, 0, m * MemoryLayout<T>.stride) }
        if rdx != nil { memset(rws.scratchA.pointer, 0, k * m * MemoryLayout<T>.stride) }
        body(dx != nil ? ws.scratchA.pointer : nil, rdx != nil ? rws.scratchA.pointer : nil)
        if let dx { aq.backward(site, x.pointer, ws.scratchA.pointer, dx, count: m) }
        if let rdx { for j in 0..<k { aq.backward(site, x.pointer, rws.scratchA.pointer + j * m, rdx + j * m, count: m) } }
    }

    /// `to ← m ⊙ from` through the quantizer at `site` for the plain adjoint (one column; nil: kept, nothing to do)
    /// and the k tangents of a block.
    private func maskAdjoints(_ aq: ActivationQuantizing, _ site: ActivationSite, _ x: Buffer<T>, plain: (from: Buffer<T>, to: Buffer<T>)?,
                              tangents: (from: Buffer<T>, to: Buffer<T>), k: Int) {
        let m = x.count
        for (pair, columns) in [(plain, 1), (tangents, k)] {
            guard let pair else { continue }
            pair.to.zero()
            for j in 0..<columns { aq.backward(site, x.pointer, pair.from.pointer + j * m, pair.to.pointer + j * m, count: m) }
        }
    }

    /// A linear layer's input adjoint (dinp), its k tangents (rdinp, stacked) and the weight's and bias's R-gradient
    /// of every column: `linearBackward` and `linearBackwardR` column by column, with the adjoint tangents' product
    /// with the weight one GEMM of k·rows rows.
    private func linearBackwardBoth(dinp: UnsafeMutablePointer<T>?, rdinp: UnsafeMutablePointer<T>?, dout: Buffer<T>, rdout: Buffer<T>,
                                    inp: UnsafePointer<T>, tinp: Buffer<T>?, _ pair: (w: Int, b: Int), _ tw: BlockDirections<T>,
                                    rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
        let w = UnsafePointer(weights.pointer) + pair.w, k = tw.k
        // With a zero adjoint (a Gauss–Newton pass) dinp stays zero and the terms dout·t(W), doutᵀ·t(inp) vanish.
        let zero = zeroAdjointPass
        if let dinp, !zero {
            linearBackward(dinp: dinp, dweight: nil, dbias: nil, dout: dout.pointer, inp: inp, weight: w,
                           rows: n, inFeatures: c, outFeatures: oc)
        }
        if let rdinp {
            T.gemm(.none, .none, m: k * n, n: c, k: oc, alpha: 1, a: rdout.pointer, lda: oc, b: w, ldb: c, beta: 1, c: rdinp, ldc: c)
            if !zero, tw.has(pair.w) {
                for j in 0..<k {
                    T.gemm(.none, .none, m: n, n: c, k: oc, alpha: 1, a: dout.pointer, lda: oc, b: tw(pair.w, j)!, ldb: c, beta: 1,
                           c: rdinp + j * n * c, ldc: c)
                }
            }
        }
        for j in 0..<k {
            linearBackwardR(rdinp: nil, rdweight: tw.out(pair.w, j), rdbias: tw.out(pair.b, j), dout: dout.pointer,
                            rdout: tw.column(rdout, j), inp: inp, tinp: zero ? nil : tw.column(tinp, j), weight: w, tweight: nil,
                            rows: n, inFeatures: c, outFeatures: oc)
        }
    }

    private func headBackwardR(_ acts: Activations<T>, _ ws: BackwardWorkspace<T>, _ rws: BackwardWorkspace<T>, _ s: HeadTangentState<T>,
                               _ pass: PlainPass<T>, rdLogits: Buffer<T>, rdLast: Buffer<T>, _ tw: BlockDirections<T>) {
        guard let pool = offsets.pooler, let pooled = acts.pooled else { return }
        let b = acts.batchSize, h = config.hiddenSize, starts = acts.layout.offsets, k = tw.k, fresh = pass.fresh
        let plain = pass.adjoints, dPooled = plain.dPooled, dPooledPre = plain.dPooledPre
        if fresh { dPooled.zero() }
        rws.dPooled.zero()
        if let cls = offsets.classifier, let classes {
            linearBackwardBoth(dinp: fresh ? dPooled.pointer : nil, rdinp: rws.dPooled.pointer, dout: plain.dLogits!, rdout: rdLogits,
                               inp: pooled.pointer, tinp: s.pooled, cls, tw, rows: b, inFeatures: h, outFeatures: classes)
        }
        if fresh {
            dPooledPre.zero()
            T.kernelTanhBackward(pooled.pointer, dPooled.pointer, dPooledPre.pointer, b * h)
        }
        rws.dPooledPre.zero()
        for j in 0..<k {
            if let tp = tw.column(s.pooled, j) {
                tanhBackwardR(pooled.pointer, tp, dPooled.pointer, tw.column(rws.dPooled, j), tw.column(rws.dPooledPre, j), b * h)
            } else {
                T.kernelTanhBackward(pooled.pointer, tw.column(rws.dPooled, j), tw.column(rws.dPooledPre, j), b * h)
            }
        }
        // The adjoint of the CLS rows goes to ws.dPooled (free by now, also where it is the kept dPooled's alias).
        if fresh { ws.dPooled.zero() }
        rws.dPooled.zero()
        throughQuantizerR(.poolerInput, acts.clsRows, acts.clsRowsHat, dx: fresh ? ws.dPooled.pointer : nil, rdx: rws.dPooled.pointer,
                          ws, rws, k: k) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: dPooledPre, rdout: rws.dPooledPre, inp: (acts.clsRowsHat ?? acts.clsRows).pointer,
                               tinp: s.clsHat, pool, tw, rows: b, inFeatures: h, outFeatures: h)
        }
        if fresh {
            let dLast = plain.hidden[config.numHiddenLayers]
            for bi in 0..<b { T.axpy(n: h, alpha: 1, x: ws.dPooled.pointer + bi * h, incx: 1, y: dLast.pointer + starts[bi] * h, incy: 1) }
        }
        for j in 0..<k {
            let src = tw.column(rws.dPooled, j), dst = tw.column(rdLast, j)
            for bi in 0..<b { T.axpy(n: h, alpha: 1, x: src + bi * h, incx: 1, y: dst + starts[bi] * h, incy: 1) }
        }
    }

    /// Layer l's backward and its tangent: the adjoint of hidden_states.(l+1) (`pass`) and its tangents rdOut → those of
    /// hidden_states.l (rdIn nil: not needed, the pass stops here), R-gradients of the selected tensors into `out`. A
    /// fresh pass computes the layer's plain adjoints into `pass`, a kept one reads them. Without rdIn the pass stops as
    /// soon as no selected tensor lies further down in the layer.
    private func layerBackwardR(_ l: Int, _ acts: Activations<T>, _ ws: BackwardWorkspace<T>, _ rws: BackwardWorkspace<T>,
                                _ s: LayerTangentState<T>, _ pass: PlainPass<T>, rdOut: Buffer<T>, rdIn: Buffer<T>?,
                                _ tw: BlockDirections<T>) {
        let c = config, n = acts.layout.tokenCount, h = c.hiddenSize, inter = c.intermediateSize, a = c.allHeadSize
        let w = UnsafePointer(weights.pointer), lo = offsets.layers[l]
        let la = acts.layers[l], qc = la.quantizedCopies, shape = attentionShape(acts), aq = activationQuantizer
        let x = acts.hiddenStates[l], k = tw.k, fresh = pass.fresh
        let p = pass.adjoints.layers[l], dOut = pass.adjoints.hidden[l + 1]
        // The plain adjoint of hidden_states.l, written by a fresh pass that goes on below.
        let dIn = fresh && rdIn != nil ? pass.adjoints.hidden[l] : nil
        /// A plain target: written by a fresh pass only.
        func written(_ b: Buffer<T>?) -> Buffer<T>? { fresh ? b : nil }
        func through(_ site: ActivationSite, _ xb: Buffer<T>, _ copy: Buffer<T>?, _ dx: Buffer<T>?, _ rdx: Buffer<T>?,
                     _ body: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void) {
            throughQuantizerR(site, xb, copy, dx: written(dx)?.pointer, rdx: rdx?.pointer, ws, rws, k: k, body)
        }
        /// Whether the pass must go on below: the input's adjoint is wanted, or a selected tensor lies further down.
        func goOn(_ below: [(w: Int, b: Int)]) -> Bool {
            rdIn != nil || below.contains { tw.has($0.w) || tw.has($0.b) }
        }
        let attention = [lo.query, lo.key, lo.value, lo.attentionOutput]
        // output LayerNorm
        for j in 0..<k {
            layerNormBackwardR(dx: fresh && j == 0 ? p.dResidual2.pointer : nil, rdx: tw.column(rws.dRes, j), rdweight: tw.out(lo.norm2.w, j),
                               rdbias: tw.out(lo.norm2.b, j), dy: dOut.pointer, rdy: tw.column(rdOut, j), x: la.residual2.pointer,
                               tx: tw.column(s.residual2, j), mean: la.mean2.pointer, rstd: la.rstd2.pointer, weight: w + lo.norm2.w,
                               tweight: tw(lo.norm2.w, j), rows: n, cols: h)
        }
        if fresh { p.dNormed1.copy(from: p.dResidual2) }
        rws.dNormed1.copy(from: rws.dRes)
        // FFN output
        guard goOn([lo.output, lo.intermediate, lo.norm1] + attention) else { return }
        let belowOutput = goOn([lo.intermediate, lo.norm1] + attention)
        if fresh { p.dFfnAct.zero() }
        rws.dFfnAct.zero()
        through(.ffnOutputInput(l), la.ffnAct, qc?.ffnAct, belowOutput ? p.dFfnAct : nil, belowOutput ? rws.dFfnAct : nil) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: p.dResidual2, rdout: rws.dRes, inp: (qc?.ffnAct ?? la.ffnAct).pointer,
                               tinp: s.ffnActHat, lo.output, tw, rows: n, inFeatures: inter, outFeatures: h)
        }
        guard belowOutput else { return }
        if fresh { p.dFfnPre.zero() }
        rws.dFfnPre.zero()
        activationBackwardColumns(activation, la.ffnPre.pointer, dy: p.dFfnAct.pointer, dx: fresh ? p.dFfnPre.pointer : nil,
                                  tx: s.ffnPre.map { UnsafePointer($0.pointer) }, rdy: rws.dFfnAct.pointer, rdx: rws.dFfnPre.pointer,
                                  n * inter, columns: k)
        // FFN intermediate
        let belowIntermediate = goOn([lo.norm1] + attention)
        through(.ffnIntermediateInput(l), la.normed1, qc?.normed1, belowIntermediate ? p.dNormed1 : nil,
                belowIntermediate ? rws.dNormed1 : nil) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: p.dFfnPre, rdout: rws.dFfnPre, inp: (qc?.normed1 ?? la.normed1).pointer,
                               tinp: s.normed1Hat, lo.intermediate, tw, rows: n, inFeatures: h, outFeatures: inter)
        }
        // attention LayerNorm
        guard belowIntermediate else { return }
        let belowNorm1 = goOn(attention)
        for j in 0..<k {
            layerNormBackwardR(dx: fresh && belowNorm1 && j == 0 ? p.dResidual1.pointer : nil, rdx: belowNorm1 ? tw.column(rws.dRes, j) : nil,
                               rdweight: tw.out(lo.norm1.w, j), rdbias: tw.out(lo.norm1.b, j), dy: p.dNormed1.pointer,
                               rdy: tw.column(rws.dNormed1, j), x: la.residual1.pointer, tx: tw.column(s.residual1, j),
                               mean: la.mean1.pointer, rstd: la.rstd1.pointer, weight: w + lo.norm1.w, tweight: tw(lo.norm1.w, j),
                               rows: n, cols: h)
        }
        guard belowNorm1 else { return }
        dIn?.copy(from: p.dResidual1); rdIn?.copy(from: rws.dRes)
        // attention output
        let belowDense = goOn([lo.query, lo.key, lo.value])
        if fresh { p.dContext.zero() }
        rws.dContext.zero()
        through(.attentionOutputInput(l), la.context, qc?.context, belowDense ? p.dContext : nil, belowDense ? rws.dContext : nil) { d, rd in
            linearBackwardBoth(dinp: d, rdinp: rd, dout: p.dResidual1, rdout: rws.dRes, inp: (qc?.context ?? la.context).pointer,
                               tinp: s.contextHat, lo.attentionOutput, tw, rows: n, inFeatures: a, outFeatures: h)
        }
        guard belowDense else { return }
        // ctx = p̂ · v̂; the scores' branch is needed for the input's adjoint or a selected Q or K only. The plain dp and
        // dv come out of the first column's call of a fresh pass (into scratch first when they pass a quantizer).
        let quantized = qc != nil && aq != nil
        let needScores = goOn([lo.query, lo.key])
        let probsStride = la.probs.count, valueStride = la.v.count
        for j in 0..<k {
            let plainHere = fresh && j == 0
            attentionContextBackwardR(dp: plainHere ? (quantized ? ws.dScoresCopy : p.dProbs).pointer : nil,
                                      dv: plainHere ? (quantized ? ws.scratchB : p.dv).pointer : nil,
                                      rdp: (quantized ? rws.dScoresCopy : rws.dScores).pointer + j * probsStride,
                                      rdv: (quantized ? rws.scratchB : rws.dv).pointer + j * valueStride, wantProbs: needScores,
                                      dctx: p.dContext.pointer, rdctx: tw.column(rws.dContext, j), p: (qc?.probs ?? la.probs).pointer,
                                      tp: tw.column(s.probsHat, j), v: (qc?.v ?? la.v).pointer, tv: tw.column(s.vHat, j), shape: shape)
        }
        if let aq, quantized {
            maskAdjoints(aq, .value(l), la.v, plain: fresh ? (ws.scratchB, p.dv) : nil, tangents: (rws.scratchB, rws.dv), k: k)
            if needScores {
                maskAdjoints(aq, .attentionProbs(l), la.probs, plain: fresh ? (ws.dScoresCopy, p.dProbs) : nil,
                             tangents: (rws.dScoresCopy, rws.dScores), k: k)
            }
        }
        if !needScores {
            // Only the value projection is left.
            throughQuantizerR(.valueInput(l), x, qc?.valueInput, dx: nil, rdx: nil, ws, rws, k: k) { _, _ in
                linearBackwardBoth(dinp: nil, rdinp: nil, dout: p.dv, rdout: rws.dv, inp: (qc?.valueInput ?? x).pointer,
                                   tinp: s.valueInputHat, lo.value, tw, rows: n, inFeatures: h, outFeatures: a)
            }
            return
        }
        // scores = q̂ · k̂ᵀ / √d: a fresh pass's first column turns dprobs into d(scores) and gives the plain dq, dk.
        let queryStride = la.q.count
        for j in 0..<k {
            let plainHere = fresh && j == 0
            attentionScoresBackwardR(dq: plainHere ? (quantized ? ws.scratchA : p.dq).pointer : nil,
                                     dk: plainHere ? (quantized ? ws.scratchB : p.dk).pointer : nil,
                                     rdq: (quantized ? rws.scratchA : rws.dq).pointer + j * queryStride,
                                     rdk: (quantized ? rws.scratchB : rws.dk).pointer + j * queryStride,
                                     dprobs: p.dProbs.pointer, dscores: p.dScores.pointer, rdprobs: tw.column(rws.dScores, j),
                                     probs: la.probs.pointer, tprobs: tw.column(s.probs, j), q: (qc?.q ?? la.q).pointer,
                                     tq: tw.column(s.qHat, j), k: (qc?.k ?? la.k).pointer, tk: tw.column(s.kHat, j), shape: shape)
        }
        if let aq, quantized {
            maskAdjoints(aq, .query(l), la.q, plain: fresh ? (ws.scratchA, p.dq) : nil, tangents: (rws.scratchA, rws.dq), k: k)
            maskAdjoints(aq, .key(l), la.k, plain: fresh ? (ws.scratchB, p.dk) : nil, tangents: (rws.scratchB, rws.dk), k: k)
        }
        // Q, K, V projections of x
        for (site, copy, pair, d, rd, tinp) in [
            (ActivationSite.queryInput(l), qc?.queryInput, lo.query, p.dq, rws.dq, s.queryInputHat),
            (.keyInput(l), qc?.keyInput, lo.key, p.dk, rws.dk, s.keyInputHat),
            (.valueInput(l), qc?.valueInput, lo.value, p.dv, rws.dv, s.valueInputHat),
        ] {
            throughQuantizerR(site, x, copy, dx: dIn?.pointer, rdx: rdIn?.pointer, ws, rws, k: k) { dinp, rdinp in
                linearBackwardBoth(dinp: dinp, rdinp: rdinp, dout: d, rdout: rd, inp: (copy ?? x).pointer, tinp: tinp, pair, tw,
                                   rows: n, inFeatures: h, outFeatures: a)
            }
        }
    }

    private func embeddingsBackwardR(_ acts: Activations<T>, _ rws: BackwardWorkspace<T>, embeddingSumTangent: Buffer<T>?,
                                     dHidden0: Buffer<T>, rdHidden0: Buffer<T>, _ tw: BlockDirections<T>) {
        let h = config.hiddenSize, o = offsets
        let w = UnsafePointer(weights.pointer)
        let tableOffsets = [o.wordEmbeddings, o.positionEmbeddings, o.tokenTypeEmbeddings]
        let needSum = tableOffsets.contains(where: tw.has)
        for j in 0..<tw.k {
            layerNormBackwardR(dx: nil, rdx: needSum ? tw.column(rws.dRes, j) : nil, rdweight: tw.out(o.embeddingNorm.w, j),
                               rdbias: tw.out(o.embeddingNorm.b, j), dy: dHidden0.pointer, rdy: tw.column(rdHidden0, j),
                               x: acts.embeddingSum.pointer, tx: tw.column(embeddingSumTangent, j), mean: acts.embeddingMean.pointer,
                               rstd: acts.embeddingRstd.pointer, weight: w + o.embeddingNorm.w, tweight: tw(o.embeddingNorm.w, j),
                               rows: acts.layout.tokenCount, cols: h)
            if needSum {
                let tables = tableOffsets.map { tw.out($0, j) }
                embeddingLookupBackward(dwte: tables[0], dwpe: tables[1], dwtt: tables[2], dout: tw.column(rws.dRes, j),
                                        ids: acts.batch.inputIds, typeIds: acts.batch.tokenTypeIds, layout: acts.layout, hidden: h)
            }
        }
    }
}
