import BERT
import Foundation
import Numerics

/// Eigenvectors as safetensors files named after the selected tensors (one file per vector, each tensor with its
/// model shape, float64), so that surface scans can load them as directions and Lanczos can warm-start from them.
/// Signs are fixed: the component of largest magnitude is positive (else plots mirror between runs).
public enum EigenvectorFile {
    /// Flips `v` so that its largest-|component| entry is positive.
    public static func fixSign(_ v: [Double]) -> [Double] {
        guard let i = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[i] < 0 else { return v }
        return v.map { -$0 }
    }

    /// Writes `vector` (concatenated in `selection` order) to `url` atomically, with `metadata` (e.g. eigenvalue).
    public static func write(_ vector: [Double], selection: [ParameterView], to url: URL, metadata: [String: String]) throws {
        precondition(vector.count == selection.reduce(0) { $0 + $1.count }, "EigenvectorFile.write: vector and selection differ in size")
        var writer = SafetensorsWriter(metadata: metadata)
        var k = 0
        for v in selection {
            writer.add(v.name, shape: v.shape, values: Array(vector[k..<(k + v.count)]))
            k += v.count
        }
        try writer.write(to: url)
    }

    /// Reads a vector for `selection` from `url`: every selected tensor must be present with its shape. When
    /// `model` (a model's sha256) is given and the file records another `model_sha256`, the file was computed on
    /// another model with the same tensor names: refused unless `allowOtherModel`.
    public static func read(_ url: URL, selection: [ParameterView], model: String? = nil, allowOtherModel: Bool = false) throws -> [Double] {
        let file = try SafetensorsFile(contentsOf: url)
        if let model, !allowOtherModel, let recorded = file.metadata["model_sha256"], recorded != model {
            throw ProbeError.badFile(path: url.path, reason: "was computed on another model (model_sha256 \(recorded.prefix(12))…, this model's is \(model.prefix(12))…); pass --allow-other-model if that is intended")
        }
        var out: [Double] = []
        for v in selection {
            guard let info = file[v.name] else {
                throw ProbeError.badFile(path: url.path, reason: "has no tensor \(v.name) (it holds \(file.names.prefix(4).joined(separator: ", "))…); was it made for this selection?")
            }
            guard info.shape == v.shape else {
                throw ProbeError.badFile(path: url.path, reason: "tensor \(v.name) has shape \(info.shape), the model's is \(v.shape)")
            }
            let values = try file.values(v.name, as: Double.self)
            guard values.allSatisfy(\.isFinite) else { throw ProbeError.badFile(path: url.path, reason: "tensor \(v.name) holds NaN or Inf") }
            out += values
        }
        return out
    }
}
