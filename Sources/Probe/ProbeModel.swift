import BERT
import Foundation
import Storage
import Numerics
import Quantization

/// A model directory loaded for probing: full precision, quantized (latent weights kept, ŵ refreshed) or packed
/// (ŵ only), with its activation quantizers frozen and the provenance every result records.
public final class ProbeModel<T: BLASReal> {
    public let label: String
    public let directory: URL
    public let model: BertModel<T>
    /// The quantized model when the directory has latent weights (needed for the quadratic check and split pairs).
    public let quantized: QuantizedBertModel<T>?
    /// SHA-256 of the weights file that was read.
    public let sha256: String
    public let kind: String
    public let weightBits: Int, activationBits: Int
    public let split: Bool

    public init(directory: URL, label: String? = nil) throws {
        self.directory = directory
        self.label = label ?? directory.standardizedFileURL.lastPathComponent
        let fm = FileManager.default
        let weights = directory.appendingPathComponent(ModelDirectory.weightsFile)
        let packed = directory.appendingPathComponent(PackedModel.fileName)
        guard fm.fileExists(atPath: directory.path) else { throw ProbeError.badFile(path: directory.path, reason: "no such model directory") }
        if !fm.fileExists(atPath: weights.path) && fm.fileExists(atPath: packed.path) {
            model = try PackedModel.load(directory, as: T.self)
            quantized = nil
            sha256 = try SHA256.hex(file: packed)
        } else {
            quantized = try QuantizedModelDirectory.load(directory, as: T.self)
            model = try quantized?.model ?? ModelDirectory.load(directory, as: T.self)
            sha256 = try SHA256.hex(file: weights)
        }
        let spec = try QuantizationSpec.load(directory)
        kind = spec?.method ?? "fp"
        weightBits = spec.map { $0.split ? 1 : $0.weightBits } ?? 32
        activationBits = spec?.activationBits ?? 32
        split = spec?.split ?? false
        if let set = model.activationQuantizer as? ActivationQuantizerSet, set.needsInitialization {
            throw ProbeError.badFile(path: directory.path, reason: "has activation quantizers whose LSQ steps were never initialised (an untrained model saved before its first batch)")
        }
        model.activationQuantizer?.frozen = true
        guard model.classes != nil else { throw ProbeError.badFile(path: directory.path, reason: "has no classifier head: probes need a task loss") }
    }

    /// The latent weights in the layout of ŵ: `parameters`, with w₁ + w₂ (and b₁ + b₂) for a split model; nil for a
    /// packed or full-precision model.
    public func latentWeights() -> Buffer<T>? {
        guard let q = quantized else { return nil }
        let w = Buffer<T>(count: model.table.totalCount)
        w.copy(from: model.parameters)
        if let w2 = q.secondHalf {
            for v in q.splitViews + q.splitBiasViews {
                T.axpy(n: v.count, alpha: 1, x: w2.pointer + v.offset, incx: 1, y: w.pointer + v.offset, incy: 1)
            }
        }
        return w
    }

    public var description: [String: String] {
        ["label": label, "path": Provenance.relative(directory.path), "sha256": sha256, "quantization": kind, "weight_bits": String(weightBits),
         "activation_bits": String(activationBits), "split": String(split)]
    }
}
