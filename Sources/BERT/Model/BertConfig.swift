import Foundation

/// The HF `BertConfig` fields this encoder uses (snake_case keys as in `config.json`).
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var hiddenDropoutProb: Double
    public var attentionProbsDropoutProb: Double
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double
    /// Classifier outputs; nil for an encoder without a classification head.
    public var numLabels: Int?
    /// "regression" or "single_label_classification" (HF names); nil → inferred from numLabels (1 = regression).
    public var problemType: String?
    /// Width of one attention head. nil → hidden_size / num_attention_heads (HF). Set by width slicing, where the
    /// kept heads no longer fill the hidden size (written as `attention_head_size`, a key HF does not read).
    public var attentionHeadSize: Int?

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                hiddenAct: String = "gelu", hiddenDropoutProb: Double = 0.1, attentionProbsDropoutProb: Double = 0.1,
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Double = 1e-12,
                numLabels: Int? = nil, problemType: String? = nil) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.numLabels = numLabels
        self.problemType = problemType
    }

    /// The MiniLM-L6 shape (all-MiniLM-L6-v2), used as the benchmark default.
    public static func miniLML6(numLabels: Int? = 2) -> BertConfig {
        BertConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536,
                   maxPositionEmbeddings: 512, numLabels: numLabels)
    }

    public var headDim: Int { attentionHeadSize ?? hiddenSize / numAttentionHeads }
    /// Width of Q, K, V and the attention context: heads × head size (= hidden size unless sliced).
    public var allHeadSize: Int { numAttentionHeads * headDim }
    public var isRegression: Bool { problemType == "regression" || (problemType == nil && numLabels == 1) }

    public var activation: Activation {
        get throws {
            guard let a = Activation(rawValue: hiddenAct) else { throw BertConfigError.unsupportedActivation(hiddenAct) }
            return a
        }
    }

    /// Checks the relations the model relies on.
    public func validate() throws {
        // Upper bounds far above any BERT keep the layout's sizes free of overflow and refuse absurd values before
        // anything is allocated; token ids must fit the 32-bit batches.
        func positive(_ v: Int, _ name: String, max: Int = 1 << 20) throws {
            if v <= 0 || v > max { throw BertConfigError.invalid("\(name) must be an integer in [1, \(max)], got \(v)") }
        }
        try positive(vocabSize, "vocab_size", max: 1 << 24)
        try positive(hiddenSize, "hidden_size")
        try positive(numHiddenLayers, "num_hidden_layers", max: 1024)
        try positive(numAttentionHeads, "num_attention_heads", max: 4096)
        try positive(intermediateSize, "intermediate_size")
        try positive(maxPositionEmbeddings, "max_position_embeddings")
        try positive(typeVocabSize, "type_vocab_size", max: 1024)
        if let size = attentionHeadSize {
            try positive(size, "attention_head_size")
        } else if hiddenSize % numAttentionHeads != 0 {
            throw BertConfigError.invalid("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        if let n = numLabels, n <= 0 || n > 1 << 20 { throw BertConfigError.invalid("num_labels must be an integer in [1, 1048576], got \(n)") }
        if !(layerNormEps.isFinite && layerNormEps > 0 && layerNormEps < 1) {
            throw BertConfigError.invalid("layer_norm_eps must be a number in (0, 1), got \(layerNormEps)")
        }
        if !(0..<1).contains(hiddenDropoutProb) || !(0..<1).contains(attentionProbsDropoutProb) {
            throw BertConfigError.invalid("dropout probabilities must lie in [0, 1)")
        }
        _ = try activation
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size", hiddenAct = "hidden_act"
        case hiddenDropoutProb = "hidden_dropout_prob", attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", numLabels = "num_labels", problemType = "problem_type", id2label
        case attentionHeadSize = "attention_head_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        hiddenDropoutProb = try c.decodeIfPresent(Double.self, forKey: .hiddenDropoutProb) ?? 0.1
        attentionProbsDropoutProb = try c.decodeIfPresent(Double.self, forKey: .attentionProbsDropoutProb) ?? 0.1
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? 1e-12
        problemType = try c.decodeIfPresent(String.self, forKey: .problemType)
        attentionHeadSize = try c.decodeIfPresent(Int.self, forKey: .attentionHeadSize)
        if let n = try c.decodeIfPresent(Int.self, forKey: .numLabels) {
            numLabels = n
        } else if let labels = try c.decodeIfPresent([String: String].self, forKey: .id2label) {
            // HF writes id2label for every model (2 entries by default), so only an explicit head in the
            // weights decides whether a classifier exists; the loader reconciles the two.
            numLabels = labels.count
        } else {
            numLabels = nil
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(hiddenDropoutProb, forKey: .hiddenDropoutProb)
        try c.encode(attentionProbsDropoutProb, forKey: .attentionProbsDropoutProb)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(typeVocabSize, forKey: .typeVocabSize)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encodeIfPresent(problemType, forKey: .problemType)
        try c.encodeIfPresent(attentionHeadSize, forKey: .attentionHeadSize)
        if let n = numLabels {
            try c.encode(n, forKey: .numLabels)
            try c.encode(Dictionary(uniqueKeysWithValues: (0..<n).map { (String($0), "LABEL_\($0)") }), forKey: .id2label)
        }
    }
}

/// Problems with a configuration's values.
public enum BertConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case unsupportedActivation(String)

    public var description: String {
        switch self {
        case let .invalid(why): return "invalid BERT configuration: \(why)"
        case let .unsupportedActivation(name): return "unsupported hidden_act '\(name)' (supported: gelu, gelu_new, relu)"
        }
    }
}

/// FFN non-linearities selectable by `hidden_act`.
public enum Activation: String, Sendable {
    case gelu          // exact, erf-based (HF "gelu")
    case geluNew = "gelu_new"  // tanh approximation
    case relu
}
