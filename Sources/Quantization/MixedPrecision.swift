import BERT
import Numerics

extension QuantizedBertModel {
    /// The mixed ternary/binary model of adaptive splitting: this TWN model's latent weights and activation
    /// quantizers, with the quantized tensors in `ternary` kept ternary and every other one binarized (BWN), so that
    /// `splitIntoBinary()` afterwards splits exactly the kept ones. Method "mixed"; `tensor_bits` lists the binary ones.
    public func mixed(keepingTernary ternary: [String]) throws -> QuantizedBertModel<T> {
        guard quantizer == .ternary, quantizers.allSatisfy({ $0 == .ternary }), !spec.split else {
            throw QuantizationError.notTernary("a mixed ternary/binary model starts from an unsplit TWN model, not \(spec.method) W\(spec.weightBits)")
        }
        let names = Set(spec.quantizedTensors)
        if let unknown = ternary.first(where: { !names.contains($0) }) {
            throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "\(unknown) is not a quantized tensor of this model")
        }
        let keep = Set(ternary)
        let copy = try BertModel<T>(config: model.config, pooler: model.hasPooler, classifier: model.classes != nil)
        copy.parameters.copy(from: model.parameters)
        var newSpec = QuantizationSpec(method: QuantizationSpec.mixedMethod, weightBits: 2, activationBits: spec.activationBits,
                                       quantizedTensors: spec.quantizedTensors)
        newSpec.tensorBits = Dictionary(uniqueKeysWithValues: spec.quantizedTensors.filter { !keep.contains($0) }.map { ($0, 1) })
        newSpec.activationQuantizers = currentSpec.activationQuantizers
        return try QuantizedBertModel(model: copy, spec: newSpec)
    }
}
