import Foundation
import Numerics

/// A model's forward on a list of examples, kept whole for inspection (`binarybert forward`): every hidden state
/// (embeddings output and each layer's), the pooled output and the logits, computed `chunk` examples at a time and
/// written as one safetensors file next to the ids, types and mask they came from.
public struct ForwardDump<T: BLASReal> {
    public let batch: TokenBatch
    /// [layers + 1] × (examples × tokens × hidden).
    public private(set) var hidden: [[T]]
    public private(set) var pooled: [T]?
    public private(set) var logits: [T]?
    public let hiddenSize: Int, classes: Int?

    public init(model: BertModel<T>, batch all: TokenBatch, chunk: Int) throws {
        precondition(chunk >= 1, "ForwardDump: chunk must be positive")
        try model.validate(all)
        let b = all.batchSize, t = all.sequenceLength, h = model.config.hiddenSize, layers = model.config.numHiddenLayers
        batch = all
        hiddenSize = h
        classes = model.classes
        hidden = (0...layers).map { _ in [T](repeating: 0, count: b * t * h) }
        pooled = model.hasPooler ? [T](repeating: 0, count: b * h) : nil
        logits = model.classes.map { [T](repeating: 0, count: b * $0) }
        var start = 0
        while start < b {
            let end = min(b, start + chunk)
            let range = (start * t)..<(end * t)
            let part = TokenBatch(batchSize: end - start, sequenceLength: t, inputIds: Array(all.inputIds[range]),
                                  tokenTypeIds: Array(all.tokenTypeIds[range]), attentionMask: Array(all.attentionMask[range]))
            let acts = try model.forward(part)
            for l in 0...layers {
                hidden[l].withUnsafeMutableBufferPointer {
                    ($0.baseAddress! + start * t * h).update(from: acts.hiddenStates[l].pointer, count: (end - start) * t * h)
                }
            }
            if let p = acts.pooled { pooled!.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * h).update(from: p.pointer, count: p.count) } }
            if let g = acts.logits, let k = model.classes {
                logits!.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * k).update(from: g.pointer, count: g.count) }
            }
            start = end
        }
    }

    /// Writes the dump atomically: input_ids, token_type_ids, attention_mask, hidden_states.L, pooled, logits.
    public func write(to url: URL, metadata: [String: String]) throws {
        let b = batch.batchSize, t = batch.sequenceLength, h = hiddenSize
        var writer = SafetensorsWriter(metadata: metadata)
        writer.add("input_ids", shape: [b, t], integers: batch.inputIds.map(Int64.init))
        writer.add("token_type_ids", shape: [b, t], integers: batch.tokenTypeIds.map(Int64.init))
        writer.add("attention_mask", shape: [b, t], integers: batch.attentionMask.map(Int64.init))
        for l in hidden.indices { writer.add("hidden_states.\(l)", shape: [b, t, h], values: hidden[l]) }
        if let pooled { writer.add("pooled", shape: [b, h], values: pooled) }
        if let logits, let k = classes { writer.add("logits", shape: [b, k], values: logits) }
        try writer.write(to: url)
    }
}
