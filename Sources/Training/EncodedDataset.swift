import BERT
import Foundation
import Numerics
import Text

/// A task's examples, tokenized once, with the batching the trainer and the evaluator use.
public struct EncodedDataset: Sendable {
    public struct Item: Sendable {
        public var ids: [Int]
        public var typeIds: [Int]
        public var label: Label
    }

    public let task: TaskSpec
    public var items: [Item]
    public var count: Int { items.count }

    public init(task: TaskSpec, items: [Item]) {
        self.task = task
        self.items = items
    }

    public init(_ dataset: Dataset, tokenizer: BertTokenizer, maxLength: Int) {
        task = dataset.task
        items = dataset.examples.map { ex in
            let e = tokenizer.encode(ex.textA, ex.textB, maxLength: maxLength)
            return Item(ids: e.inputIds, typeIds: e.tokenTypeIds, label: ex.label)
        }
    }

    /// The sha256 of the task name and every example's token ids, segment ids and label, in order: it changes with
    /// the task, the data files, the subset and the truncation length, so a resumed run can tell it was given other data.
    public var fingerprint: String {
        var h = SHA256()
        h.update(Array(task.name.utf8))
        var words: [Int64] = []
        words.reserveCapacity(items.reduce(0) { $0 + 2 * $1.ids.count + 3 })
        for item in items {
            words.append(Int64(item.ids.count))
            words.append(contentsOf: item.ids.map(Int64.init))
            words.append(contentsOf: item.typeIds.map(Int64.init))
            if let c = item.label.classIndex { words.append(Int64(c)) } else { words.append(Int64(bitPattern: (item.label.value ?? .nan).bitPattern)) }
        }
        words.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    /// `count` examples drawn uniformly without replacement by `seed` (a partial Fisher–Yates shuffle), kept in file
    /// order; all of them when `count` is not smaller. A file sorted by label (rt-polarity's is) gives a balanced
    /// subset where `prefix` would give one class.
    public func seededSubset(_ count: Int, seed: UInt64) -> EncodedDataset {
        guard count < items.count else { return self }
        var order = Array(items.indices)
        var rng = SeededRNG(seed: seed, stream: 0x5B5E7)
        for i in 0..<count {
            let j = i + Int(rng.next() % UInt64(order.count - i))
            order.swapAt(i, j)
        }
        return EncodedDataset(task: task, items: order[..<count].sorted().map { items[$0] })
    }

    /// The examples at `indices` padded to their longest (or packed without padding), with their targets.
    public func batch(_ indices: [Int], padId: Int = 0, packed: Bool = false) -> (TokenBatch, Targets) {
        let chosen = indices.map { items[$0] }
        let tokens = packed ? TokenBatch(packing: chosen.map(\.ids), typeIds: chosen.map(\.typeIds))
            : TokenBatch(sequences: chosen.map(\.ids), typeIds: chosen.map(\.typeIds), padId: padId)
        if task.isRegression { return (tokens, .values(chosen.map { $0.label.value ?? 0 })) }
        return (tokens, .classes(chosen.map { $0.label.classIndex ?? 0 }))
    }

    /// A seeded permutation of the examples cut into batches (the last one may be smaller).
    public func shuffledBatches(batchSize: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        var rng = SeededRNG(seed: seed, stream: 0x5EED_0000 + UInt64(epoch))
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        return stride(from: 0, to: count, by: batchSize).map { Array(order[$0..<min(count, $0 + batchSize)]) }
    }

    /// Batches of similar length (sorted by length), for evaluation, where order does not matter.
    public func lengthSortedBatches(batchSize: Int) -> [[Int]] {
        let order = (0..<count).sorted { (items[$0].ids.count, $0) < (items[$1].ids.count, $1) }
        return stride(from: 0, to: count, by: batchSize).map { Array(order[$0..<min(count, $0 + batchSize)]) }
    }
}
