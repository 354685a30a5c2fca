import BERT
import Foundation
import Numerics
import Quantization

extension ProbeModel {
    /// Each view's quantization step (one per row for an embedding table, else one), nil for a tensor the forward does
    /// not quantize: ternary and binary (and a split model's sum) the mean non-zero |ŵ| of the row — α itself for TWN,
    /// LAQ and BWN —; uniform b-bit tensors max|ŵ|/(2^(b−1) − 1) = 1/s. Read from ŵ, which the quantizer's state
    /// determines; 0 for a row whose ŵ is all zero.
    public func quantizationSteps(_ views: [ParameterView]) throws -> [[Double]?] {
        let quantizedNames = Set(try QuantizationSpec.load(directory)?.quantizedTensors ?? [])
        let w = model.weights
        return views.map { v in
            guard quantizedNames.contains(v.name) else { return nil }
            let rows = v.role == .embedding ? v.shape[0] : 1, cols = v.count / rows
            return (0..<rows).map { r in
                let base = w.pointer + v.offset + r * cols
                if weightBits >= 3 {
                    var m = 0.0
                    for c in 0..<cols { m = max(m, abs(Double(base[c]))) }
                    return m / Double((1 << (weightBits - 1)) - 1)
                }
                var s = 0.0, n = 0
                for c in 0..<cols where base[c] != 0 { s += abs(Double(base[c])); n += 1 }
                return n > 0 ? s / Double(n) : 0
            }
        }
    }
}
