import XCTest
import BERT
import Numerics
@testable import Quantization

final class PackedModelTests: XCTestCase {
    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3]], typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0]])

    func quantized(bits: Int) throws -> QuantizedBertModel<Double> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 3)
        let m = try BertModel<Double>(config: config)
        m.randomizeAllParameters(seed: 4)
        return try QuantizedBertModel(model: m, spec: QuantizationSpec(method: "q\(bits)", weightBits: bits,
                                                                      quantizedTensors: QuantizationSpec.defaultQuantizedTensors(m.table)))
    }

    func assertRoundTrip(_ q: QuantizedBertModel<Double>) throws -> PackedModel.SizeReport {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-packed-\(getpid())-\(q.spec.method)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try PackedModel.export(q, to: dir)
        let unpacked = try PackedModel.load(dir, as: Double.self)
        let expected = try q.model.forward(batch).logits!.array
        let got = try unpacked.forward(batch).logits!.array
        XCTAssertEqual(got, expected, q.spec.method)
        return report
    }

    func testTernaryBinaryAndUniformRoundTrip() throws {
        for bits in [2, 1, 8, 4] { _ = try assertRoundTrip(try quantized(bits: bits)) }
    }

    func testSplitModelRoundTripAndSizes() throws {
        let ternary = try quantized(bits: 2)
        let (split, _) = try ternary.splitIntoBinary()
        let splitReport = try assertRoundTrip(split)
        let ternaryReport = try assertRoundTrip(ternary)
        // Two 1-bit halves take as many code bytes as one 2-bit ternary tensor (plus one more scale per row).
        XCTAssertEqual(splitReport.quantizedWeights, 2 * ternaryReport.quantizedWeights)
        XCTAssertGreaterThan(splitReport.totalBytes, ternaryReport.totalBytes)
        XCTAssertLessThan(splitReport.totalBytes, ternaryReport.totalBytes + 4096)
    }

    /// BWN gives an exact zero latent weight 0: the packed file lists it and unpacks exactly; the codes are stored
    /// one byte per 8 binary weights (U8), so the file is the reported size plus the header.
    func testBinaryExactZerosAndFileSize() throws {
        let q = try quantized(bits: 1)
        for name in ["bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight"] {
            let v = try XCTUnwrap(q.model.table[name])
            q.model.parameters[v.offset + 3] = 0
        }
        q.refresh()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-packed-zeros-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try PackedModel.export(q, to: dir)
        let unpacked = try PackedModel.load(dir, as: Double.self)
        XCTAssertEqual(try unpacked.forward(batch).logits!.array, try q.model.forward(batch).logits!.array)
        let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent(PackedModel.fileName))
        XCTAssertEqual(try file.integers("bert.embeddings.word_embeddings.weight.zero_positions"), [3])
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(PackedModel.fileName).path)[.size] as? Int)
        // This Double model's float remainder is not float32-exact, so it is stored (and counted) as float64.
        XCTAssertEqual(file["bert.embeddings.LayerNorm.weight"]?.dtype, .F64)
        XCTAssertGreaterThanOrEqual(size, report.totalBytes)
        XCTAssertLessThan(size, report.totalBytes + 16_384, "header and padding only")
    }

    /// A model trained in Float and loaded as Double (every table run) has a float32-exact remainder: it is written
    /// as F32, so the file on disk is the reported size plus the header, and still unpacks exactly.
    func testFloatExactRemainderIsStoredAsFloat32() throws {
        let q = try quantized(bits: 2)
        for i in 0..<q.model.table.totalCount { q.model.parameters[i] = Double(Float(q.model.parameters[i])) }
        q.refresh()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-packed-f32-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try PackedModel.export(q, to: dir)
        XCTAssertEqual(try PackedModel.load(dir, as: Double.self).forward(batch).logits!.array, try q.model.forward(batch).logits!.array)
        let url = dir.appendingPathComponent(PackedModel.fileName)
        let file = try SafetensorsFile(contentsOf: url)
        for name in ["bert.embeddings.LayerNorm.weight", "bert.embeddings.position_embeddings.weight", "classifier.weight"] {
            XCTAssertEqual(file[name]?.dtype, .F32, name)
        }
        XCTAssertEqual(file["bert.encoder.layer.0.attention.self.query.weight.scales"]?.dtype, .F64)
        let codeBytes = q.quantizedViews.reduce(0) { $0 + ($1.count + 3) / 4 + 8 * q.scaleLayout($1).rows }
        XCTAssertEqual(report.totalBytes, codeBytes + 4 * report.floatParameters)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        XCTAssertGreaterThanOrEqual(size, report.totalBytes)
        XCTAssertLessThan(size, report.totalBytes + 16_384, "header and padding only")
    }

    /// A zero position outside its tensor is refused with the file and tensor named.
    func testZeroPositionOutsideTheTensorIsRefused() throws {
        let q = try quantized(bits: 1)
        let name = "bert.encoder.layer.0.attention.self.query.weight"
        let v = try XCTUnwrap(q.model.table[name])
        q.model.parameters[v.offset + 3] = 0
        q.refresh()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-packed-badzero-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try PackedModel.export(q, to: dir)
        let url = dir.appendingPathComponent(PackedModel.fileName)
        let file = try SafetensorsFile(contentsOf: url)
        var writer = SafetensorsWriter(metadata: file.metadata)
        for t in file.tensors {
            switch t.dtype {
            case .U8: writer.add(t.name, shape: t.shape, bytes: [UInt8](try file.rawBytes(t.name)))
            case .I64: writer.add(t.name, shape: t.shape, integers: t.name == name + ".zero_positions" ? [Int64(v.count)] : try file.integers(t.name))
            default: writer.add(t.name, shape: t.shape, values: try file.values(t.name, as: Double.self))
            }
        }
        try writer.write(to: url)
        XCTAssertThrowsError(try PackedModel.load(dir, as: Double.self)) {
            XCTAssertTrue("\($0)".contains("\(name).zero_positions holds \(v.count), outside 0..<\(v.count)"), "\($0)")
            XCTAssertTrue("\($0)".contains(url.path), "\($0)")
        }
    }

    func testPacking() {
        let codes: [UInt8] = [1, 0, 2, 1, 0, 2, 2]
        XCTAssertEqual(PackedModel.unpack(PackedModel.pack(codes, bits: 2), bits: 2, count: 7), codes)
        let bitsCodes: [UInt8] = [1, 0, 1, 1, 0, 0, 0, 1, 1]
        XCTAssertEqual(PackedModel.pack(bitsCodes, bits: 1).count, 2)
        XCTAssertEqual(PackedModel.unpack(PackedModel.pack(bitsCodes, bits: 1), bits: 1, count: 9), bitsCodes)
    }
}
