/// Which training examples a training command uses, when not all of them: the first `count` in file order (`seed`
/// nil), or `count` drawn at random by `seed` (balanced where the file is sorted by label).
public struct TrainingSubset: Codable, Sendable, Equatable {
    public var count: Int
    public var seed: UInt64?

    public init(count: Int, seed: UInt64? = nil) {
        self.count = count
        self.seed = seed
    }

    public func apply(to train: EncodedDataset) -> EncodedDataset {
        guard let seed else { var t = train; t.items = Array(t.items.prefix(count)); return t }
        return train.seededSubset(count, seed: seed)
    }
}
