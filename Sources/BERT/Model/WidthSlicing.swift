import Numerics

extension BertModel {
    /// DynaBERT-style width slicing: keeps the first ⌈heads·width⌉ attention heads of every layer (their rows of
    /// Q, K, V and columns of the attention output) and the first ⌊intermediate·width⌋ FFN neurons (rows of the
    /// intermediate layer, columns of the FFN output). Embeddings, LayerNorms, pooler and head are kept whole.
    /// `width` = 1 returns an identical copy. The sliced config records `attention_head_size`. To keep the most
    /// important heads and neurons instead of the first ones, slice `reorderedByImportance(_:)` (see
    /// `HeadNeuronImportance`).
    public func sliced(width: Double) throws -> BertModel<T> {
        guard width > 0, width <= 1 else { throw BertConfigError.invalid("width must lie in (0, 1], got \(width)") }
        let c = config.sliced(width: width)
        let out = try BertModel<T>(config: c, pooler: hasPooler, classifier: classes != nil)
        let keptHeads = c.allHeadSize, keptNeurons = c.intermediateSize
        for v in out.table.views {
            let src = table.view(v.name)
            let from = parameters.pointer + src.offset, to = out.parameters.pointer + v.offset
            if v.shape == src.shape {
                to.update(from: from, count: v.count)
                continue
            }
            switch (v.module, v.role, v.shape.count) {
            case (_, _, 1):
                // Biases of Q, K, V (first heads) or of the intermediate layer (first neurons): a prefix.
                to.update(from: from, count: v.count)
            case (.query, _, 2), (.key, _, 2), (.value, _, 2), (.ffnIntermediate, _, 2):
                // [out, in] with out sliced: the first rows.
                to.update(from: from, count: v.count)
            case (.attentionOutput, _, 2), (.ffnOutput, _, 2):
                // [out, in] with in sliced: the first columns of every row.
                let rows = v.shape[0], kept = v.shape[1], full = src.shape[1]
                precondition(kept == (v.module == .attentionOutput ? keptHeads : keptNeurons))
                for r in 0..<rows { (to + r * kept).update(from: from + r * full, count: kept) }
            default:
                preconditionFailure("width slicing: unexpected shape change of \(v.name)")
            }
        }
        return out
    }
}

extension BertConfig {
    /// The configuration of a model sliced to `width` (see `BertModel.sliced(width:)`): ⌈heads·width⌉ heads of the
    /// same size (recorded as `attention_head_size`) and ⌊intermediate·width⌋ FFN neurons (at least 1).
    public func sliced(width: Double) -> BertConfig {
        var c = self
        c.numAttentionHeads = Int((Double(numAttentionHeads) * width).rounded(.up))
        c.intermediateSize = max(1, Int(Double(intermediateSize) * width))
        c.attentionHeadSize = headDim
        return c
    }
}
