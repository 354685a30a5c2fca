import Numerics

/// Importance of every attention head and FFN neuron (Michel et al. 2019, "Are Sixteen Heads Really Better than
/// One?"; DynaBERT, Hou et al. 2020): the accumulated magnitude of the loss's sensitivity to multiplicative masks
///
///     I_{l,h} = Σ_batches |∂L/∂m_{l,h}|      m_{l,h} scales head h's context output in layer l
///     I_{l,n} = Σ_batches |∂L/∂m_{l,n}|      m_{l,n} scales FFN neuron n's activation in layer l
///
/// taken at m = 1 with dropout off. `heads[l]` has `num_attention_heads` scores, `neurons[l]` `intermediate_size`.
public struct HeadNeuronImportance: Codable, Sendable, Equatable {
    /// [layers][heads]
    public var heads: [[Double]]
    /// [layers][intermediate]
    public var neurons: [[Double]]
    /// Number of batches accumulated.
    public var batches: Int

    public init(heads: [[Double]], neurons: [[Double]], batches: Int = 0) {
        self.heads = heads
        self.neurons = neurons
        self.batches = batches
    }

    /// All-zero scores for a model of this shape.
    public init(config: BertConfig) {
        heads = Array(repeating: Array(repeating: 0, count: config.numAttentionHeads), count: config.numHiddenLayers)
        neurons = Array(repeating: Array(repeating: 0, count: config.intermediateSize), count: config.numHiddenLayers)
        batches = 0
    }

    /// Per layer, the head indices by decreasing importance (ties: lower index first), i.e. new head j = old head
    /// `headOrder[l][j]`.
    public var headOrder: [[Int]] { heads.map(Self.descendingOrder) }
    /// Per layer, the neuron indices by decreasing importance (ties: lower index first).
    public var neuronOrder: [[Int]] { neurons.map(Self.descendingOrder) }

    static func descendingOrder(_ scores: [Double]) -> [Int] {
        scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
    }

    /// Adds |g| for one batch's mask gradients (as returned by `BertModel.maskGradients()`).
    public mutating func accumulate(_ g: HeadNeuronImportance) {
        precondition(g.heads.count == heads.count && g.neurons.count == neurons.count, "importance: layer count differs")
        for l in heads.indices {
            precondition(g.heads[l].count == heads[l].count && g.neurons[l].count == neurons[l].count, "importance: shape differs")
            for h in heads[l].indices { heads[l][h] += abs(g.heads[l][h]) }
            for n in neurons[l].indices { neurons[l][n] += abs(g.neurons[l][n]) }
        }
        batches += 1
    }

    enum CodingKeys: String, CodingKey {
        case heads = "head_importance", neurons = "neuron_importance", batches
    }
}

extension BertModel {
    /// The signed mask gradients ∂L/∂m_{l,h} and ∂L/∂m_{l,n} of the loss whose weight gradients `gradients`
    /// currently holds (call after `lossAndGradient`, or `backward` of a full-precision forward).
    ///
    /// Why weight · gradient sums are the mask gradients, exactly. In layer l the attention output dense is
    ///
    ///     y[t, r] = Σ_c W_ao[r, c] · m_{h(c)} · ctx[t, c] + b[r]          W_ao: [hidden, allHead], ctx: (B·T, allHead)
    ///
    /// where h(c) = c / headDim is the head of context column c. The chain rule at m = 1 gives
    ///
    ///     ∂L/∂m_h   = Σ_t Σ_r Σ_{c ∈ h} ∂L/∂y[t, r] · W_ao[r, c] · ctx[t, c]
    ///     ∂L/∂W_ao[r, c] = Σ_t ∂L/∂y[t, r] · ctx[t, c]
    ///  ⇒  ∂L/∂m_h   = Σ_r Σ_{c ∈ h} W_ao[r, c] · ∂L/∂W_ao[r, c].
    ///
    /// ctx is only read by this matrix product (the residual adds y, not ctx), so no other path reaches m_h.
    /// The same argument for the FFN output dense y = W_out · (m ⊙ act) + b (W_out: [hidden, intermediate]),
    /// whose input act = GELU(pre) is read by nothing else, gives ∂L/∂m_n = Σ_r W_out[r, n] · ∂L/∂W_out[r, n].
    /// With weight-quantization the products use `weights` (ŵ, whose gradient `gradients` holds); with activation
    /// quantization the matrix reads Q(ctx) instead of ctx and the identity is that of a mask after the quantizer.
    public func maskGradients() -> HeadNeuronImportance {
        let c = config, hidden = c.hiddenSize, a = c.allHeadSize, inter = c.intermediateSize, d = c.headDim
        var result = HeadNeuronImportance(config: c)
        let w = weights.pointer, g = gradients.pointer
        for l in 0..<c.numHiddenLayers {
            let ao = offsets.layers[l].attentionOutput.w, fo = offsets.layers[l].output.w
            for r in 0..<hidden {
                let wRow = w + ao + r * a, gRow = g + ao + r * a
                for head in 0..<c.numAttentionHeads {
                    var s = 0.0
                    for col in (head * d)..<((head + 1) * d) { s += Double(wRow[col]) * Double(gRow[col]) }
                    result.heads[l][head] += s
                }
                let wOut = w + fo + r * inter, gOut = g + fo + r * inter
                for n in 0..<inter { result.neurons[l][n] += Double(wOut[n]) * Double(gOut[n]) }
            }
        }
        return result
    }
}
