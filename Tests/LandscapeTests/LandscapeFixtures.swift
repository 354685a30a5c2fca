import XCTest
import BERT
import Curvature
import Numerics
import Quantization
@testable import Landscape

/// Tiny models saved to a temporary directory (probes load directories) and a fixed two-batch objective.
enum LandscapeFixtures {
    static func config(layers: Int = 2) -> BertConfig {
        BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: layers, numAttentionHeads: 2, intermediateSize: 24,
                   hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 3)
    }

    static func batches() -> [(tokens: TokenBatch, targets: Targets)] {
        [(TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
                     typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]]), .classes([0, 2, 1])),
         (TokenBatch(sequences: [[2, 8, 9, 3], [2, 17, 3]]), .classes([1, 1]))]
    }

    static func directory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bb-landscape-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A full-precision model directory.
    static func fullPrecision(in dir: URL, seed: UInt64 = 7) throws -> URL {
        let m = try BertModel<Double>(config: config())
        m.randomizeAllParameters(seed: seed, std: 0.5)
        let url = dir.appendingPathComponent("fp-\(seed)")
        try ModelDirectory.save(m, to: url)
        return url
    }

    /// A quantized model directory (method "bwn" with 1 bit, "twn" with 2), activations at `activationBits`
    /// (their clipping initialised from one training-mode batch, as training does).
    static func quantized(in dir: URL, bits: Int, split: Bool = false, seed: UInt64 = 11, activationBits: Int = 32) throws -> URL {
        let m = try BertModel<Double>(config: config())
        m.randomizeAllParameters(seed: seed, std: 0.5)
        let spec = QuantizationSpec(method: bits == 2 ? "twn" : "bwn", weightBits: bits, activationBits: activationBits,
                                    quantizedTensors: QuantizationSpec.defaultQuantizedTensors(m.table))
        let q = try QuantizedBertModel(model: m, spec: spec)
        if activationBits < 32 {
            var rng = SeededRNG(seed: 1)
            try m.forward(batches()[0].tokens, training: true, rng: &rng)
        }
        let url = dir.appendingPathComponent((bits == 1 ? "bwn" : "twn") + (activationBits < 32 ? "-a\(activationBits)" : ""))
        try QuantizedModelDirectory.save(q, to: url)
        if split {
            let s = try q.splitIntoBinary().model
            let su = dir.appendingPathComponent("split")
            try QuantizedModelDirectory.save(s, to: su)
            return su
        }
        return url
    }
}
