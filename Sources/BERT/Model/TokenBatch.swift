/// A batch of token sequences: padded, row-major (batch, seq), or packed (the sequences back to back, no padding;
/// see `SequenceLayout`).
public struct TokenBatch: Sendable, Equatable {
    public let batchSize: Int
    /// T when padded; the longest sequence when packed.
    public let sequenceLength: Int
    public var inputIds: [Int32]
    public var tokenTypeIds: [Int32]
    /// 1 for real tokens, 0 for padding (all 1 when packed).
    public var attentionMask: [Int32]
    /// Which rows belong to which sequence.
    public let layout: SequenceLayout

    public init(batchSize: Int, sequenceLength: Int, inputIds: [Int32], tokenTypeIds: [Int32]? = nil, attentionMask: [Int32]? = nil) {
        let n = batchSize * sequenceLength
        precondition(inputIds.count == n, "TokenBatch: \(inputIds.count) ids for \(batchSize)x\(sequenceLength)")
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds ?? [Int32](repeating: 0, count: n)
        self.attentionMask = attentionMask ?? [Int32](repeating: 1, count: n)
        layout = .padded(batch: batchSize, sequence: sequenceLength)
        precondition(self.tokenTypeIds.count == n && self.attentionMask.count == n, "TokenBatch: inconsistent sizes")
    }

    /// Pads sequences (ids include special tokens) to the longest one.
    public init(sequences: [[Int]], typeIds: [[Int]]? = nil, padId: Int = 0) {
        let t = max(1, sequences.map(\.count).max() ?? 1)
        var ids = [Int32](repeating: Int32(padId), count: sequences.count * t)
        var types = [Int32](repeating: 0, count: sequences.count * t)
        var mask = [Int32](repeating: 0, count: sequences.count * t)
        for (b, seq) in sequences.enumerated() {
            for (i, id) in seq.enumerated() {
                ids[b * t + i] = Int32(id)
                mask[b * t + i] = 1
                if let typeIds { types[b * t + i] = Int32(typeIds[b][i]) }
            }
        }
        self.init(batchSize: sequences.count, sequenceLength: t, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
    }

    /// Sequences (ids include special tokens, each at least one) back to back, without padding: an eval forward of
    /// it computes the same outputs as of the padded batch while doing only the real tokens' work.
    public init(packing sequences: [[Int]], typeIds: [[Int]]? = nil) {
        layout = .packed(lengths: sequences.map(\.count))
        batchSize = sequences.count
        sequenceLength = layout.longest
        inputIds = sequences.flatMap { $0.map { Int32($0) } }
        tokenTypeIds = typeIds.map { $0.flatMap { $0.map { Int32($0) } } } ?? [Int32](repeating: 0, count: inputIds.count)
        attentionMask = [Int32](repeating: 1, count: inputIds.count)
        precondition(tokenTypeIds.count == inputIds.count, "TokenBatch: type ids do not match the sequences")
    }

    /// Activation rows: B·T when padded, Σ L_b when packed.
    public var tokenCount: Int { layout.tokenCount }
}
