import Numerics
import Text

/// A small learnable classification task for tests and smoke runs: label 1 iff the sequence contains a marker token.
public enum SyntheticTask {
    public static let spec = TaskSpec(name: "synthetic-marker", kind: .classification(labels: ["0", "1"]), primaryMetric: "accuracy")

    /// `count` sequences of 3–8 random tokens from 11..<41 between [CLS] = 1 and [SEP] = 2; even-indexed examples
    /// carry the marker token 10 at a random position. Needs a vocabulary of at least 41 ids.
    public static func data(count: Int, seed: UInt64) -> EncodedDataset {
        var rng = SeededRNG(seed: seed)
        let items = (0..<count).map { i -> EncodedDataset.Item in
            let length = 3 + Int(rng.next() % 6)
            var ids = [1] + (0..<length).map { _ in 11 + Int(rng.next() % 30) } + [2]
            let positive = i % 2 == 0
            if positive { ids[1 + Int(rng.next() % UInt64(length))] = 10 }
            return EncodedDataset.Item(ids: ids, typeIds: [Int](repeating: 0, count: ids.count), label: .classIndex(positive ? 1 : 0))
        }
        return EncodedDataset(task: spec, items: items)
    }
}
