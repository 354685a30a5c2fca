import BERT
import Foundation

/// What `quantization.json` records beside a quantized model's latent weights.
public struct QuantizationSpec: Codable, Sendable, Equatable {
    /// "twn" (ternary), "laq" (loss-aware ternary), "bwn" (binary), "uniform" (8/4-bit), "tws" (binary split from
    /// ternary), "fp". Only "laq" changes the quantizer (see `WeightQuantizer.init(bits:method:)`); the others follow
    /// the bit width.
    public var method: String
    public var weightBits: Int
    /// 32 = activations in full precision; 8 = clip quantizers, 4 = LSQ (see ActivationQuantizerState).
    public var activationBits: Int
    /// TWS: every quantized tensor W is held as two latent halves and computed as Q_b(W₁) + Q_b(W₂).
    public var split: Bool
    /// Names of the quantized tensors (HF names); the word embedding is quantized per row, the others per tensor.
    public var quantizedTensors: [String]
    /// The learned activation quantizers by site (e.g. "layer0.query_input"), when activationBits < 32.
    public var activationQuantizers: [String: ActivationQuantizerState]?
    /// LAQ's learned scales α by tensor name (one per row for the word embedding, one per tensor otherwise), when
    /// method is "laq". Absent in older files and for the other methods; a "laq" spec without it starts from the
    /// d ≡ 1 fit (`WeightQuantizer.lossAwareTernary`).
    public var laqScales: [String: [Double]]?
    /// Mixed precision (adaptive splitting): weight bits of the named quantized tensors where they differ from
    /// `weightBits` (e.g. 1 for the binarized matrices of a mixed ternary/binary model). Absent: every tensor at
    /// `weightBits`.
    public var tensorBits: [String: Int]?
    /// With `split`: the quantized tensors held as two binary halves (the others, and their biases, as one binary
    /// tensor). Absent: every quantized tensor is split.
    public var splitTensors: [String]?

    enum CodingKeys: String, CodingKey {
        case method, weightBits = "weight_bits", activationBits = "activation_bits", split, quantizedTensors = "quantized_tensors"
        case activationQuantizers = "activation_quantizers", laqScales = "laq_scales"
        case tensorBits = "tensor_bits", splitTensors = "split_tensors"
    }

    public static let fileName = "quantization.json"
    /// The `method` of loss-aware ternarization.
    public static let lossAwareMethod = "laq"
    /// The `method` of a mixed ternary/binary model (adaptive splitting, before the split): TWN and BWN by tensor.
    public static let mixedMethod = "mixed"
    /// Prefix of the second halves' names in model.safetensors.
    public static let secondHalfPrefix = "split2."

    /// The paper's policy: word embedding, Q, K, V, attention output, FFN intermediate and output, pooler.
    public static func defaultQuantizedTensors(_ table: ParameterTable) -> [String] {
        table.views.filter { v in
            (v.role == .matrix && v.module != .classifier) || v.name == "bert.embeddings.word_embeddings.weight"
        }.map(\.name)
    }

    public init(method: String, weightBits: Int, activationBits: Int = 32, split: Bool = false, quantizedTensors: [String]) {
        self.method = method
        self.weightBits = weightBits
        self.activationBits = activationBits
        self.split = split
        self.quantizedTensors = quantizedTensors
    }

    /// The weight bits of one quantized tensor (`tensorBits` or the model's `weightBits`).
    public func bits(of name: String) -> Int { tensorBits?[name] ?? weightBits }

    /// Whether a quantized tensor is held as two halves.
    public func isSplit(_ name: String) -> Bool { split && (splitTensors.map { $0.contains(name) } ?? true) }

    public static func load(_ directory: URL) throws -> QuantizationSpec? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(QuantizationSpec.self, from: Data(contentsOf: url))
        } catch {
            throw QuantizationError.badSpec(file: url.path, reason: "not a valid quantization spec (\(error))")
        }
    }
}
