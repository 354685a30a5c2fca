import Numerics

/// Why a head or neuron permutation cannot be applied to a model.
public enum ReorderingError: Error, CustomStringConvertible, Equatable {
    case layerCount(expected: Int, found: Int)
    case notAPermutation(what: String, layer: Int, size: Int)

    public var description: String {
        switch self {
        case let .layerCount(e, f): return "the model has \(e) layers but the ordering has \(f)"
        case let .notAPermutation(what, l, n): return "the \(what) ordering of layer \(l) is not a permutation of 0..<\(n)"
        }
    }
}

extension BertModel {
    /// The same network with every layer's heads and FFN neurons permuted: new head j of layer l is old head
    /// `headOrder[l][j]`, new neuron j is old neuron `neuronOrder[l][j]`. Moved together, per layer:
    ///
    ///     Q, K, V weights [allHead, hidden] and biases [allHead]     whole row blocks of headDim rows per head
    ///     attention output dense weight [hidden, allHead]            the matching column blocks
    ///     FFN intermediate weight [intermediate, hidden], bias       rows
    ///     FFN output dense weight [hidden, intermediate]             columns
    ///
    /// Heads are independent (softmax is per head) and the output projections sum over heads / neurons, so the
    /// permuted model computes the same function; only the summation order of those two products changes.
    public func reordered(headOrder: [[Int]], neuronOrder: [[Int]]) throws -> BertModel<T> {
        let c = config, layers = c.numHiddenLayers
        for (what, order, size) in [("head", headOrder, c.numAttentionHeads), ("neuron", neuronOrder, c.intermediateSize)] {
            guard order.count == layers else { throw ReorderingError.layerCount(expected: layers, found: order.count) }
            for (l, p) in order.enumerated() where p.count != size || Set(p) != Set(0..<size) {
                throw ReorderingError.notAPermutation(what: what, layer: l, size: size)
            }
        }
        let out = try BertModel<T>(config: c, pooler: hasPooler, classifier: classes != nil)
        out.parameters.copy(from: parameters)
        let src = parameters.pointer, dst = out.parameters.pointer
        let hidden = c.hiddenSize, a = c.allHeadSize, inter = c.intermediateSize, d = c.headDim
        for l in 0..<layers {
            let lo = offsets.layers[l]
            // Row blocks: head j's rows of Q/K/V (d·hidden values) and biases (d values) come from head order[j].
            for part in [lo.query, lo.key, lo.value] {
                for (j, old) in headOrder[l].enumerated() {
                    (dst + part.w + j * d * hidden).update(from: src + part.w + old * d * hidden, count: d * hidden)
                    (dst + part.b + j * d).update(from: src + part.b + old * d, count: d)
                }
            }
            // Column blocks of the attention output [hidden, allHead].
            for r in 0..<hidden {
                let row = lo.attentionOutput.w + r * a
                for (j, old) in headOrder[l].enumerated() {
                    (dst + row + j * d).update(from: src + row + old * d, count: d)
                }
            }
            // FFN: rows of the intermediate layer, columns of the output layer.
            for (j, old) in neuronOrder[l].enumerated() {
                (dst + lo.intermediate.w + j * hidden).update(from: src + lo.intermediate.w + old * hidden, count: hidden)
                dst[lo.intermediate.b + j] = src[lo.intermediate.b + old]
                for r in 0..<hidden { dst[lo.output.w + r * inter + j] = src[lo.output.w + r * inter + old] }
            }
        }
        return out
    }

    /// `reordered` with the most important heads and neurons first, so that `sliced(width:)` keeps those.
    public func reorderedByImportance(_ importance: HeadNeuronImportance) throws -> BertModel<T> {
        try reordered(headOrder: importance.headOrder, neuronOrder: importance.neuronOrder)
    }
}
