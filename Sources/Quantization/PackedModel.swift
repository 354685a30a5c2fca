import BERT
import Foundation
import Storage
import Numerics

/// The deployable form of a quantized model: quantized tensors as packed integer codes (1 bit per binary weight,
/// 2 bits per ternary weight (TWN or LAQ), 4 or 8 bits per uniform weight) with Double scales; every other tensor in
/// float32.
/// Stored as `model.packed.safetensors` beside `config.json`:
/// - `<name>.codes` (U8, packed little-end first within each byte), `<name>.scales` (F64, one per scaled row);
/// - for a split model the second halves as `split2.<name>.codes` / `.scales`, their biases summed into `<bias>`;
/// - the rest under their own names, as F32 whenever that is exact (every model trained in Float), F64 otherwise
///   (e.g. a split model's summed biases when b₁ + b₂ is not a float32); `totalBytes` is the data section as
///   written, the paper's MB counts float32.
/// Loading unpacks ŵ into a full-precision model that reproduces the quantized model's outputs exactly.
public enum PackedModel {
    public static let fileName = "model.packed.safetensors"

    public struct SizeReport: Codable, Sendable, Equatable {
        /// Bytes of the file's data section as written (codes, F64 scales, zero positions, float tensors): the file
        /// without its header.
        public var totalBytes: Int
        /// The paper's convention: MB = 1024² bytes, position embeddings not counted, scales and float32 parts counted.
        public var paperMegabytes: Double
        public var quantizedWeights: Int
        public var floatParameters: Int

        public var megabytes: Double { Double(totalBytes) / 1_048_576 }
    }

    /// What `export --packed` prints: the sizes, MB (1024² bytes of the data section) and the quantizer.
    public struct ExportSummary: Encodable, Sendable {
        public var totalBytes: Int, paperMegabytes: Double, quantizedWeights: Int, floatParameters: Int
        public var megabytes: Double
        public var method: String

        public init(_ r: SizeReport, method: String) {
            totalBytes = r.totalBytes; paperMegabytes = r.paperMegabytes; quantizedWeights = r.quantizedWeights
            floatParameters = r.floatParameters; megabytes = r.megabytes; self.method = method
        }
    }

    /// Codes of one row for `quantizer`, from the quantized values ŵ and the row's scale.
    static func code(_ q: Double, _ quantizer: WeightQuantizer, scale: Double) -> UInt8 {
        switch quantizer {
        case .binary: return q > 0 ? 1 : 0                       // 0 → −α (an exact zero weight packs as −α: see note)
        case .ternary, .lossAwareTernary: return q > 0 ? 1 : (q < 0 ? 2 : 0)
        case let .uniform(bits): return UInt8(truncatingIfNeeded: Int((q * scale).rounded()) + (1 << (bits - 1)))
        case .fullPrecision: preconditionFailure("full-precision tensors are not packed")
        }
    }

    static func bitsPerCode(_ quantizer: WeightQuantizer) -> Int {
        switch quantizer {
        case .binary: return 1
        case .ternary, .lossAwareTernary: return 2
        case let .uniform(bits): return bits
        case .fullPrecision: return 32
        }
    }

    static func pack(_ codes: [UInt8], bits: Int) -> [UInt8] {
        let perByte = 8 / bits
        var out = [UInt8](repeating: 0, count: (codes.count + perByte - 1) / perByte)
        for (i, c) in codes.enumerated() { out[i / perByte] |= c << UInt8((i % perByte) * bits) }
        return out
    }

    static func unpack(_ bytes: [UInt8], bits: Int, count: Int) -> [UInt8] {
        let perByte = 8 / bits, mask = UInt8((1 << bits) - 1)
        return (0..<count).map { i in (bytes[i / perByte] >> UInt8((i % perByte) * bits)) & mask }
    }

    /// Adds a full-precision tensor as float32 when every value survives the round trip through Float exactly (a
    /// model trained in Float and loaded as Double), in its own precision otherwise (e.g. a split model's summed
    /// biases when b₁ + b₂ is not a float32); the unpacked model is exact either way.
    static func addFloatingPoint<T: BLASReal>(_ name: String, shape: [Int], values: UnsafeBufferPointer<T>,
                                              to writer: inout SafetensorsWriter) {
        if MemoryLayout<T>.size > MemoryLayout<Float>.size, values.allSatisfy({ T(Float($0)) == $0 }) {
            writer.add(name, shape: shape, values: values.map { Float($0) })
        } else {
            writer.add(name, shape: shape, values: values)
        }
    }

    /// Writes the packed form of `q` into `directory` (config.json, quantization.json and the packed weights).
    @discardableResult
    public static func export<T: BLASReal>(_ q: QuantizedBertModel<T>, to directory: URL, tokenizerSource: URL? = nil) throws -> SizeReport {
        guard q.quantizer != .fullPrecision else { throw QuantizationError.badSpec(file: directory.path, reason: "nothing to pack: full-precision weights") }
        var writer = SafetensorsWriter(metadata: ["format": "binarybert-packed", "method": q.spec.method])
        var report = SizeReport(totalBytes: 0, paperMegabytes: 0, quantizedWeights: 0, floatParameters: 0)
        var paperBytes = 0
        let quantizerOf = Dictionary(uniqueKeysWithValues: zip(q.quantizedViews.map(\.name), q.quantizers))

        func addPacked(_ prefix: String, _ view: ParameterView, latent: UnsafePointer<T>) {
            let quantizer = quantizerOf[view.name]!, bits = bitsPerCode(quantizer)
            let (rows, cols) = q.scaleLayout(view)
            let values = Buffer<T>(count: view.count)
            let stored = q.quantize(view, latent: latent, into: values.pointer)   // α (LAQ: the stored α), or s for uniform
            var codes = [UInt8](repeating: 0, count: view.count)
            for r in 0..<rows {
                for j in 0..<cols { codes[r * cols + j] = code(Double(values[r * cols + j]), quantizer, scale: stored[r]) }
            }
            let packed = pack(codes, bits: bits)
            writer.add(prefix + view.name + ".codes", shape: [packed.count], bytes: packed)
            writer.add(prefix + view.name + ".scales", shape: [rows], values: stored)
            report.quantizedWeights += view.count
            paperBytes += packed.count + 4 * rows
            if quantizer == .binary {
                // BWN maps an exact 0 latent to 0 (sign 0 = 0, as torch.sign), which 1 bit cannot hold: such
                // positions (in rows with a non-zero α) are listed, so the unpacked model is still exact.
                var zeros: [Int64] = []
                for r in 0..<rows where stored[r] != 0 {
                    for j in 0..<cols where values[r * cols + j] == 0 { zeros.append(Int64(r * cols + j)) }
                }
                if !zeros.isEmpty {
                    writer.add(prefix + view.name + ".zero_positions", shape: [zeros.count], integers: zeros)
                    paperBytes += 4 * zeros.count
                }
            }
        }

        for v in q.model.table.views {
            if quantizerOf[v.name] != nil {
                addPacked("", v, latent: q.model.parameters.pointer + v.offset)
                if let w2 = q.secondHalf, q.spec.isSplit(v.name) { addPacked(QuantizationSpec.secondHalfPrefix, v, latent: w2.pointer + v.offset) }
            } else {
                // A split bias is stored summed (b₁ + b₂ is all the forward pass uses).
                let values = UnsafeBufferPointer(start: q.quantized.pointer + v.offset, count: v.count)
                addFloatingPoint(v.name, shape: v.shape, values: values, to: &writer)
                report.floatParameters += v.count
                if v.name != "bert.embeddings.position_embeddings.weight" { paperBytes += 4 * v.count }
            }
        }
        report.totalBytes = writer.dataByteCount
        report.paperMegabytes = Double(paperBytes) / 1_048_576
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try writer.write(to: directory.appendingPathComponent(fileName))
        let encoder = JSONFormat.encoder()
        var config = q.model.config
        config.numLabels = q.model.classes
        try ModelDirectory.atomicWrite(try encoder.encode(config), to: directory.appendingPathComponent(ModelDirectory.configFile))
        try ModelDirectory.atomicWrite(try encoder.encode(q.currentSpec), to: directory.appendingPathComponent(QuantizationSpec.fileName))
        if let tokenizerSource { try ModelDirectory.copyTokenizerFiles(from: tokenizerSource, to: directory) }
        return report
    }

    /// Unpacks a packed directory into a full-precision model whose weights are ŵ.
    public static func load<T: BLASReal>(_ directory: URL, as type: T.Type = T.self) throws -> BertModel<T> {
        let config = try ModelDirectory.loadConfig(directory)
        guard let spec = try QuantizationSpec.load(directory) else {
            throw QuantizationError.badSpec(file: directory.appendingPathComponent(QuantizationSpec.fileName).path, reason: "missing")
        }
        let url = directory.appendingPathComponent(fileName)
        let file = try SafetensorsFile(contentsOf: url)
        let model = try BertModel<T>(config: config, pooler: file["bert.pooler.dense.bias"] != nil,
                                     classifier: file["classifier.bias"] != nil)
        let quantizedNames = Set(spec.quantizedTensors)
        for v in model.table.views {
            let dst = model.parameters.pointer + v.offset
            guard quantizedNames.contains(v.name) else {
                guard let info = file[v.name] else { throw CheckpointError.missingTensor(file: url.path, tensor: v.name) }
                guard info.shape == v.shape else { throw CheckpointError.shapeMismatch(file: url.path, tensor: v.name, expected: v.shape, found: info.shape) }
                try file.copyValues(v.name, into: dst, count: v.count)
                continue
            }
            dst.update(repeating: 0, count: v.count)
            let quantizer = try WeightQuantizer(bits: spec.bits(of: v.name), method: spec.method), bits = bitsPerCode(quantizer)
            for prefix in spec.isSplit(v.name) ? ["", QuantizationSpec.secondHalfPrefix] : [""] {
                let codesName = prefix + v.name + ".codes", scalesName = prefix + v.name + ".scales"
                guard file[codesName] != nil else { throw CheckpointError.missingTensor(file: url.path, tensor: codesName) }
                let bytes = try file.integers(codesName).map { UInt8(truncatingIfNeeded: $0) }
                let scales = try file.values(scalesName, as: Double.self)
                let rows = v.role == .embedding ? v.shape[0] : 1, cols = v.count / rows
                guard scales.count == rows, bytes.count * (8 / bits) >= v.count else {
                    throw CheckpointError.shapeMismatch(file: url.path, tensor: codesName, expected: [rows], found: [scales.count])
                }
                let codes = unpack(bytes, bits: bits, count: v.count)
                let zerosName = prefix + v.name + ".zero_positions"
                var zeros = Set<Int>()
                if file[zerosName] != nil {
                    for position in try file.integers(zerosName) {
                        guard position >= 0, position < Int64(v.count) else {
                            throw QuantizationError.badSpec(file: url.path, reason: "\(zerosName) holds \(position), outside 0..<\(v.count)")
                        }
                        zeros.insert(Int(position))
                    }
                }
                for r in 0..<rows {
                    for j in 0..<cols {
                        let c = codes[r * cols + j], s = scales[r]
                        let value: T
                        switch quantizer {
                        case .binary: value = zeros.contains(r * cols + j) ? 0 : (c == 1 ? T(s) : -T(s))
                        case .ternary, .lossAwareTernary: value = c == 1 ? T(s) : (c == 2 ? -T(s) : 0)
                        case let .uniform(b): value = s == 0 ? 0 : T(Double(Int(c) - (1 << (b - 1))) / s)
                        case .fullPrecision: value = 0
                        }
                        dst[r * cols + j] += value
                    }
                }
            }
        }
        if spec.activationBits < 32 {
            model.activationQuantizer = try spec.activationQuantizers.map {
                try ActivationQuantizerSet(serialized: $0, layers: config.numHiddenLayers)
            } ?? ActivationQuantizerSet(bits: spec.activationBits, layers: config.numHiddenLayers)
        }
        return model
    }
}
