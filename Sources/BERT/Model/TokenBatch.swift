/// A padded batch of token sequences, row-major (batch, seq).
public struct TokenBatch: Sendable, Equatable {
    public let batchSize: Int
    public let sequenceLength: Int
    public var inputIds: [Int32]
    public var tokenTypeIds: [Int32]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int32]

    public init(batchSize: Int, sequenceLength: Int, inputIds: [Int32], tokenTypeIds: [Int32]? = nil, attentionMask: [Int32]? = nil) {
        let n = batchSize * sequenceLength
        precondition(inputIds.count == n, "TokenBatch: \(inputIds.count) ids for \(batchSize)x\(sequenceLength)")
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds ?? [Int32](repeating: 0, count: n)
        self.attentionMask = attentionMask ?? [Int32](repeating: 1, count: n)
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

    public var tokenCount: Int { batchSize * sequenceLength }
}
