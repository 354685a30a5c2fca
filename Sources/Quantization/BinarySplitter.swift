import BERT
import Numerics

extension QuantizedBertModel {
    /// Ternary weight splitting of a ternary model (TWN or LAQ) into the equivalent split binary model (method "tws").
    /// Returns the new model and, per quantized tensor, the coefficients of each row (one row unless per-row scaled).
    /// Run it in Double to keep the equivalence exact to rounding; in Float the halves are rounded to Float.
    /// An LAQ model splits with its stored α and threshold α/2 (see `TernaryWeightSplit`); the binary model needs
    /// no stored scales (BWN's α₁ = α₂ = α/2 follow from the halves).
    ///
    /// A mixed ternary/binary model (adaptive splitting) splits its ternary tensors only; its binary tensors (and
    /// their biases) are copied as one binary tensor each, so the result is uniformly binary and its `split_tensors`
    /// records which matrices were split. Coefficients are returned for the split tensors.
    public func splitIntoBinary() throws -> (model: QuantizedBertModel<T>, coefficients: [String: [TernaryWeightSplit.Coefficients]]) {
        guard !spec.split, quantizers.contains(where: \.isTernary), quantizers.allSatisfy({ $0.isTernary || $0 == .binary }) else {
            throw QuantizationError.notTernary("this model's weights are \(spec.method) at \(spec.weightBits) bits")
        }
        let ternaryNames = zip(quantizedViews, quantizers).filter { $0.1.isTernary }.map(\.0.name)
        let binary = try BertModel<T>(config: model.config, pooler: model.hasPooler, classifier: model.classes != nil)
        binary.parameters.copy(from: model.parameters)
        var newSpec = QuantizationSpec(method: "tws", weightBits: 1, activationBits: spec.activationBits, split: true,
                                       quantizedTensors: spec.quantizedTensors)
        if ternaryNames.count < quantizedViews.count { newSpec.splitTensors = ternaryNames }
        newSpec.activationQuantizers = currentSpec.activationQuantizers   // clip values / LSQ steps carry over
        let result = try QuantizedBertModel(model: binary, spec: newSpec)
        let w2 = result.secondHalf!
        var coefficients: [String: [TernaryWeightSplit.Coefficients]] = [:]
        for (k, v) in quantizedViews.enumerated() where quantizers[k].isTernary {
            let (rows, cols) = scaleLayout(v)
            var h1 = [Double](repeating: 0, count: cols), h2 = h1
            var rowCoefficients: [TernaryWeightSplit.Coefficients] = []
            for r in 0..<rows {
                let src = model.parameters.pointer + v.offset + r * cols
                let ternary = quantizers[k] == .lossAwareTernary ? (alpha: laqScales[k][r], delta: laqScales[k][r] / 2) : nil
                rowCoefficients.append(TernaryWeightSplit.split(src, &h1, &h2, count: cols, ternary: ternary))
                let d1 = binary.parameters.pointer + v.offset + r * cols, d2 = w2.pointer + v.offset + r * cols
                for i in 0..<cols { d1[i] = T(h1[i]); d2[i] = T(h2[i]) }
            }
            coefficients[v.name] = rowCoefficients
        }
        for v in result.splitBiasViews {
            for i in v.range {
                let half = model.parameters[i] / 2
                binary.parameters[i] = half
                w2[i] = half
            }
        }
        result.refresh()
        return (result, coefficients)
    }
}
