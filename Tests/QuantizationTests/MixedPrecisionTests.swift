import XCTest
import Numerics
import BERT
import Foundation
@testable import Quantization

/// Adaptive splitting's model: a mixed ternary/binary model, its exact split of the ternary part only, the packed
/// export of the result and the budget's feasible range.
final class MixedPrecisionTests: XCTestCase {
    func ternaryModel() throws -> QuantizedBertModel<Double> {
        let config = BertConfig(vocabSize: 40, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 2)
        let base = try BertModel<Double>(config: config)
        base.randomizeAllParameters(seed: 9)
        // Float32 values, as a model trained in Float and loaded in Double: its float tensors pack as float32.
        for i in 0..<base.table.totalCount { base.parameters[i] = Double(Float(base.parameters[i])) }
        return try QuantizedBertModel(model: base, spec: QuantizationSpec(method: "twn", weightBits: 2,
                                                                          quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table)))
    }

    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 38, 3], [2, 30, 3, 21, 3]])

    func testMixedModelQuantizesEachTensorByItsBitsAndSplitsExactly() throws {
        let ternary = try ternaryModel()
        let keep = ["bert.encoder.layer.0.attention.self.value.weight", "bert.encoder.layer.1.output.dense.weight",
                    "bert.embeddings.word_embeddings.weight"]
        let mixed = try ternary.mixed(keepingTernary: keep)
        XCTAssertEqual(mixed.spec.method, QuantizationSpec.mixedMethod)
        for (v, quantizer) in zip(mixed.quantizedViews, mixed.quantizers) {
            XCTAssertEqual(quantizer, keep.contains(v.name) ? .ternary : .binary, v.name)
            // A binarized tensor takes two values ±α per scaled row; a ternary one three.
            let values = Set((0..<v.count).map { mixed.quantized[v.offset + $0].magnitude })
            if !keep.contains(v.name) && v.role != .embedding { XCTAssertEqual(values.count, 1, v.name) }
        }
        let (split, coefficients) = try mixed.splitIntoBinary()
        XCTAssertEqual(Set(coefficients.keys), Set(keep))
        XCTAssertEqual(split.spec.splitTensors.map(Set.init), Set(keep))
        XCTAssertEqual(split.splitViews.map(\.name).sorted(), keep.sorted())
        XCTAssertTrue(split.quantizers.allSatisfy { $0 == .binary })
        // The split equals the mixed model: every forward weight and the logits, to rounding in Double.
        var maxWeight = 0.0, maxDiff = 0.0
        for i in 0..<mixed.model.table.totalCount {
            maxWeight = max(maxWeight, abs(mixed.quantized[i])); maxDiff = max(maxDiff, abs(mixed.quantized[i] - split.quantized[i]))
        }
        XCTAssertLessThanOrEqual(maxDiff, 1e-12 * maxWeight)
        let a = try mixed.model.forward(batch).logits!, b = try split.model.forward(batch).logits!
        var scale = 0.0, diff = 0.0
        for i in 0..<a.count { scale = max(scale, abs(a[i])); diff = max(diff, abs(a[i] - b[i])) }
        XCTAssertLessThanOrEqual(diff, 1e-6 * scale, "split ≡ mixed before fine-tuning")

        // Saved and loaded, it is the same model; only the split tensors have second halves on disk.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-mixed-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try QuantizedModelDirectory.save(split, to: dir.appendingPathComponent("split"))
        let loaded = try XCTUnwrap(QuantizedModelDirectory.load(dir.appendingPathComponent("split"), as: Double.self))
        XCTAssertEqual(loaded.spec, split.spec)
        for i in 0..<split.model.table.totalCount { XCTAssertEqual(loaded.quantized[i], split.quantized[i]) }
        let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("split/model.safetensors"))
        XCTAssertNotNil(file[QuantizationSpec.secondHalfPrefix + keep[0]])
        XCTAssertNil(file[QuantizationSpec.secondHalfPrefix + "bert.encoder.layer.0.attention.self.query.weight"])

        // Packed: the planned bytes are the export's, within the feasible range, and the unpacked model is exact.
        let candidates = SplitCandidate.of(ternary)
        let range = SplitSizeRange(ternary, candidates: candidates)
        let report = try PackedModel.export(split, to: dir.appendingPathComponent("packed"))
        let planned = range.allBinaryBytes + candidates.filter { keep.contains($0.name) }.reduce(0) { $0 + $1.splitBytes }
        XCTAssertEqual(report.totalBytes, planned)
        let unpacked = try PackedModel.load(dir.appendingPathComponent("packed"), as: Double.self)
        let c = try unpacked.forward(batch).logits!
        for i in 0..<a.count { XCTAssertEqual(c[i], b[i], accuracy: 1e-12 * scale) }
    }

    func testTheFeasibleRangeIsTheAllBinaryAndFullySplitExports() throws {
        let ternary = try ternaryModel()
        let candidates = SplitCandidate.of(ternary)
        let range = SplitSizeRange(ternary, candidates: candidates)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-range-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let allBinary = try ternary.mixed(keepingTernary: [])
        XCTAssertEqual(try PackedModel.export(allBinary, to: dir.appendingPathComponent("b")).totalBytes, range.allBinaryBytes)
        XCTAssertThrowsError(try range.bytes(forMegabytes: Double(range.allBinaryBytes - 1) / 1_048_576)) { error in
            XCTAssertTrue("\(error)".contains("feasible range"), "\(error)")
        }
        XCTAssertThrowsError(try range.bytes(forMegabytes: Double(range.fullySplitBytes + 1) / 1_048_576))
        XCTAssertThrowsError(try range.bytes(forMegabytes: .nan))
        XCTAssertEqual(try range.bytes(forMegabytes: Double(range.fullySplitBytes) / 1_048_576), range.fullySplitBytes)
        XCTAssertThrowsError(try ternary.mixed(keepingTernary: ["no.such.weight"]))
        XCTAssertThrowsError(try allBinary.mixed(keepingTernary: []), "a mixed model is not a TWN base")
    }
}
