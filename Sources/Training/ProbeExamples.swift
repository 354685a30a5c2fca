import BERT
import Foundation
import Numerics

/// Which examples a probe's fixed objective uses, and how they are batched: the first N of a split in file order,
/// or a seeded subset of N (sorted back into file order), cut into batches of `batchSize` in that order, each batch
/// packed (no padding rows: the probes evaluate and differentiate only the real tokens). The
/// indices' SHA-256 goes into every result so that two runs can be compared on the same examples.
public struct ProbeExamples: Sendable, Equatable {
    public let indices: [Int]
    public let batchSize: Int
    public let sampleSeed: UInt64?
    /// Whether the batches are packed (the default) or padded.
    public let packed: Bool

    public init(available: Int, count: Int?, sampleSeed: UInt64?, batchSize: Int, packed: Bool = true) throws {
        guard batchSize >= 1 else { throw TrainingError.invalidOption("--batch-size must be at least 1, got \(batchSize)") }
        guard available >= 1 else { throw TrainingError.invalidOption("the split has no examples") }
        let n = count ?? available
        guard n >= 1, n <= available else {
            throw TrainingError.invalidOption("--examples must be between 1 and the split's \(available) examples, got \(n)")
        }
        if let seed = sampleSeed {
            var rng = SeededRNG(seed: seed, stream: 0x5A_3B1E)
            var all = Array(0..<available)
            all.shuffle(using: &rng)
            indices = Array(all.prefix(n)).sorted()
        } else {
            indices = Array(0..<n)
        }
        self.batchSize = batchSize
        self.sampleSeed = sampleSeed
        self.packed = packed
    }

    /// "packed" or "padded", as the results record it.
    public var batching: String { packed ? "packed" : "padded" }

    /// SHA-256 of the indices written as decimal numbers separated by commas.
    public var indicesHash: String { SHA256.hex(Data(indices.map(String.init).joined(separator: ",").utf8)) }

    /// The examples' batches, in order (the last one may be smaller).
    public func batches(_ data: EncodedDataset) -> [(tokens: TokenBatch, targets: Targets)] {
        stride(from: 0, to: indices.count, by: batchSize).map { start in
            let (t, y) = data.batch(Array(indices[start..<min(indices.count, start + batchSize)]), packed: packed)
            return (t, y)
        }
    }
}
