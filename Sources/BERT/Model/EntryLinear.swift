import Numerics

/// The dense layer a layer-entry stage begins with, seen as a function of its weights. Its input is fixed when
/// nothing before the stage changes, so its output is affine in (W, b): a probe that moves only this layer's tensors
/// along directions d₁, d₂ gets out(θ₀ + x·d₁ + y·d₂) = out₀ + x·lin(d₁) + y·lin(d₂) from three products made once,
/// instead of one GEMM per point (`LossObjective.entryLinearBasis`, `forward(…entryOutput:)`).
extension BertModel {
    /// The weight and bias views of the dense layer that stage `entry` of layer l starts with (V, the attention output,
    /// the FFN intermediate or the FFN output); nil for `.start`, which starts with two (Q and K).
    public func entryLinear(layer l: Int, entry: LayerEntry) -> (weight: ParameterView, bias: ParameterView)? {
        guard let module = entry.denseModule else { return nil }
        let views = table.views.filter { $0.layer == l && $0.module == module }
        guard let w = views.first(where: { $0.role == .matrix }),
              let b = views.first(where: { $0.role == .bias && $0.count == w.shape[0] }) else { return nil }
        return (w, b)
    }

    /// In and out features of that dense layer (nil for `.start`).
    func entryLinearFeatures(_ entry: LayerEntry) -> (inFeatures: Int, outFeatures: Int)? {
        let c = config
        switch entry {
        case .start: return nil
        case .value: return (c.hiddenSize, c.allHeadSize)
        case .attentionOutput: return (c.allHeadSize, c.hiddenSize)
        case .ffnIntermediate: return (c.hiddenSize, c.intermediateSize)
        case .ffnOutput: return (c.intermediateSize, c.hiddenSize)
        }
    }

    /// The input that stage's dense layer read in `acts` (its quantized copy with an activation quantizer) and its
    /// output buffer there.
    func entryLinearBuffers(_ acts: Activations<T>, layer l: Int, entry: LayerEntry) -> (input: Buffer<T>, output: Buffer<T>) {
        let la = acts.layers[l], qc = la.quantizedCopies
        switch entry {
        case .start: preconditionFailure("entryLinearBuffers: the start stage has two dense layers")
        case .value: return (qc?.valueInput ?? acts.hiddenStates[l], la.v)
        case .attentionOutput: return (qc?.context ?? la.context, la.attentionDense)
        case .ffnIntermediate: return (qc?.normed1 ?? la.normed1, la.ffnPre)
        case .ffnOutput: return (qc?.ffnAct ?? la.ffnAct, la.ffnDense)
        }
    }

    /// Values one output of that dense layer takes for `layout`.
    public func entryLinearCount(layer l: Int, entry: LayerEntry, layout: SequenceLayout) -> Int {
        layout.tokenCount * (entryLinearFeatures(entry)?.outFeatures ?? 0)
    }

    /// [out₀, lin(d) for each d]: the dense layer's output in `acts` (an eval forward at the current weights), then
    /// input · Wᵀ + b with W, b a direction's values for that layer's weight (out × in) and bias (nil: zero).
    func entryLinearBasis(_ acts: Activations<T>, layer l: Int, entry: LayerEntry,
                          directions: [(weight: UnsafePointer<T>, bias: UnsafePointer<T>?)]) -> [Buffer<T>] {
        let (input, output) = entryLinearBuffers(acts, layer: l, entry: entry)
        let (inF, outF) = entryLinearFeatures(entry)!
        let rows = acts.layout.tokenCount
        var basis = [Buffer(output.array)]
        for d in directions {
            let b = Buffer<T>(count: rows * outF)
            linearForward(b.pointer, input.pointer, d.weight, d.bias, rows: rows, inFeatures: inF, outFeatures: outF)
            basis.append(b)
        }
        return basis
    }
}
