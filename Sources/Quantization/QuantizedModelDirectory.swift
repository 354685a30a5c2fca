import BERT
import Foundation
import Storage
import Numerics

/// A quantized model directory: the HF layout with the latent weights in model.safetensors (the second halves of a
/// split model as `split2.<name>`) plus `quantization.json`. A directory without quantization.json is full precision.
public enum QuantizedModelDirectory {
    public static func save<T: BLASReal>(_ q: QuantizedBertModel<T>, to directory: URL, tokenizerSource: URL? = nil,
                                         metadata: [String: String] = [:]) throws {
        var extras: [(name: String, shape: [Int], values: UnsafeBufferPointer<T>)] = []
        if let w2 = q.secondHalf {
            for v in q.splitViews + q.splitBiasViews {
                extras.append((QuantizationSpec.secondHalfPrefix + v.name, v.shape,
                               UnsafeBufferPointer(start: w2.pointer + v.offset, count: v.count)))
            }
        }
        try ModelDirectory.save(q.model, to: directory, tokenizerSource: tokenizerSource,
                                metadata: metadata.merging(["quantization": q.spec.method]) { a, _ in a }, extraTensors: extras)
        let encoder = JSONFormat.encoder()
        try ModelDirectory.atomicWrite(try encoder.encode(q.currentSpec), to: directory.appendingPathComponent(QuantizationSpec.fileName))
    }

    /// Loads a quantized model, or nil when the directory has no quantization.json.
    public static func load<T: BLASReal>(_ directory: URL, as type: T.Type = T.self) throws -> QuantizedBertModel<T>? {
        guard let spec = try QuantizationSpec.load(directory) else { return nil }
        // A saved quantized model carries its activation quantizers' trained clips or steps; defaults would be another model.
        if spec.activationBits < 32 && spec.activationQuantizers == nil {
            throw QuantizationError.badSpec(file: directory.appendingPathComponent(QuantizationSpec.fileName).path,
                                            reason: "has activation_bits \(spec.activationBits) but no activation_quantizers (the trained clip values or LSQ steps)")
        }
        let model = try ModelDirectory.load(directory, as: T.self, extraPrefixes: [QuantizationSpec.secondHalfPrefix])
        let q = try QuantizedBertModel(model: model, spec: spec)
        if let w2 = q.secondHalf {
            let url = directory.appendingPathComponent(ModelDirectory.weightsFile)
            let file = try SafetensorsFile(contentsOf: url)
            for v in q.splitViews + q.splitBiasViews {
                let name = QuantizationSpec.secondHalfPrefix + v.name
                guard let info = file[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
                guard info.shape == v.shape else {
                    throw CheckpointError.shapeMismatch(file: url.path, tensor: name, expected: v.shape, found: info.shape)
                }
                try file.copyValues(name, into: w2.pointer + v.offset, count: v.count)
            }
        }
        q.refresh()
        return q
    }

    /// Loads a quantized model; a directory without quantization.json is refused.
    public static func loadQuantized<T: BLASReal>(_ path: String, as type: T.Type = T.self) throws -> QuantizedBertModel<T> {
        guard let q = try load(URL(fileURLWithPath: path), as: T.self) else { throw QuantizationError.notQuantized(path) }
        return q
    }

    /// The model a command should run: packed (`export --packed`: a directory with model.packed.safetensors and no
    /// model.safetensors, unpacked to ŵ), quantized (weights refreshed) or full precision.
    public static func loadAny<T: BLASReal>(_ directory: URL, as type: T.Type = T.self) throws -> BertModel<T> {
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.appendingPathComponent(ModelDirectory.weightsFile).path),
           fm.fileExists(atPath: directory.appendingPathComponent(PackedModel.fileName).path) {
            return try PackedModel.load(directory, as: T.self)
        }
        if let q = try load(directory, as: T.self) { return q.model }
        return try ModelDirectory.load(directory, as: T.self)
    }
}

extension QuantizedBertModel {
    /// Replaces the latent weights (both halves of a split model) and the activation quantizers' parameters with
    /// those saved in `directory`, which must hold a model of the same architecture and quantization.
    public func restore(from directory: URL) throws {
        guard let saved = try QuantizedModelDirectory.load(directory, as: T.self) else {
            throw QuantizationError.badSpec(file: directory.appendingPathComponent(QuantizationSpec.fileName).path, reason: "missing")
        }
        let a = saved.spec, b = spec
        guard a.method == b.method, a.weightBits == b.weightBits, a.activationBits == b.activationBits, a.split == b.split,
              a.tensorBits == b.tensorBits, a.splitTensors == b.splitTensors,
              saved.model.table.totalCount == model.table.totalCount else {
            throw QuantizationError.badSpec(file: directory.path, reason: "holds \(a.method) W\(a.weightBits)A\(a.activationBits), "
                                            + "a different model than this \(b.method) W\(b.weightBits)A\(b.activationBits) run")
        }
        model.parameters.copy(from: saved.model.parameters)
        if let w2 = secondHalf, let s2 = saved.secondHalf { w2.copy(from: s2) }
        if quantizer == .lossAwareTernary { laqScales = saved.laqScales }
        if let aq = activationQuantizers, let s = saved.activationQuantizers {
            try aq.restore(ActivationQuantizerSet.Checkpoint(states: s.serialized, firstMoments: [:], secondMoments: [:]))
        }
        refresh()
    }
}
