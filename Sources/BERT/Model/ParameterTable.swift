/// What a parameter tensor is for.
public enum ParameterRole: String, Sendable, Codable {
    case matrix       // weight of a linear layer, stored [out, in] as in PyTorch
    case embedding    // lookup table [rows, hidden]
    case norm         // LayerNorm gain
    case bias         // additive bias (linear layers and LayerNorm shift)
}

/// The module a parameter belongs to; the units of per-module curvature and quantization policy.
public enum ModuleKind: String, Sendable, Codable, CaseIterable {
    case embeddings
    case query
    case key
    case value
    case attentionOutput = "attention-output"
    case ffnIntermediate = "ffn-intermediate"
    case ffnOutput = "ffn-output"
    case pooler
    case classifier
}

/// A named slice of the model's single parameter buffer.
public struct ParameterView: Sendable, Equatable {
    /// HF name, e.g. "bert.encoder.layer.0.attention.self.query.weight".
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let role: ParameterRole
    /// Transformer layer index, nil for embeddings, pooler and classifier.
    public let layer: Int?
    public let module: ModuleKind

    public init(name: String, shape: [Int], offset: Int, role: ParameterRole, layer: Int?, module: ModuleKind) {
        self.name = name; self.shape = shape; self.offset = offset; self.role = role; self.layer = layer; self.module = module
    }

    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// The table of named views into one contiguous parameter buffer, in HF state-dict order.
public struct ParameterTable: Sendable {
    public let views: [ParameterView]
    public let totalCount: Int
    private let indexByName: [String: Int]

    public init(views: [ParameterView]) {
        self.views = views
        totalCount = views.last.map { $0.offset + $0.count } ?? 0
        var index = [String: Int]()
        for (i, v) in views.enumerated() { index[v.name] = i }
        indexByName = index
    }

    public subscript(name: String) -> ParameterView? { indexByName[name].map { views[$0] } }

    public func view(_ name: String) -> ParameterView {
        guard let v = self[name] else { preconditionFailure("ParameterTable: no parameter named \(name)") }
        return v
    }

    /// The view holding the flat buffer's element `offset` (e.g. to name where a non-finite value sits).
    public func view(containing offset: Int) -> ParameterView? {
        views.first { $0.offset <= offset && offset < $0.offset + $0.count }
    }

    public func views(module: ModuleKind, layer: Int? = nil) -> [ParameterView] {
        views.filter { $0.module == module && (layer == nil || $0.layer == layer) }
    }

    /// The layout of `BertForSequenceClassification` (or `BertModel` without head / pooler).
    public init(config c: BertConfig, pooler: Bool = true, classifier: Bool? = nil) {
        var views: [ParameterView] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], _ role: ParameterRole, _ layer: Int?, _ module: ModuleKind) {
            let v = ParameterView(name: name, shape: shape, offset: offset, role: role, layer: layer, module: module)
            views.append(v)
            offset += v.count
        }
        let h = c.hiddenSize, inter = c.intermediateSize, a = c.allHeadSize
        add("bert.embeddings.word_embeddings.weight", [c.vocabSize, h], .embedding, nil, .embeddings)
        add("bert.embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h], .embedding, nil, .embeddings)
        add("bert.embeddings.token_type_embeddings.weight", [c.typeVocabSize, h], .embedding, nil, .embeddings)
        add("bert.embeddings.LayerNorm.weight", [h], .norm, nil, .embeddings)
        add("bert.embeddings.LayerNorm.bias", [h], .bias, nil, .embeddings)
        for l in 0..<c.numHiddenLayers {
            let p = "bert.encoder.layer.\(l)."
            for (part, kind) in [("query", ModuleKind.query), ("key", .key), ("value", .value)] {
                add(p + "attention.self.\(part).weight", [a, h], .matrix, l, kind)
                add(p + "attention.self.\(part).bias", [a], .bias, l, kind)
            }
            add(p + "attention.output.dense.weight", [h, a], .matrix, l, .attentionOutput)
            add(p + "attention.output.dense.bias", [h], .bias, l, .attentionOutput)
            add(p + "attention.output.LayerNorm.weight", [h], .norm, l, .attentionOutput)
            add(p + "attention.output.LayerNorm.bias", [h], .bias, l, .attentionOutput)
            add(p + "intermediate.dense.weight", [inter, h], .matrix, l, .ffnIntermediate)
            add(p + "intermediate.dense.bias", [inter], .bias, l, .ffnIntermediate)
            add(p + "output.dense.weight", [h, inter], .matrix, l, .ffnOutput)
            add(p + "output.dense.bias", [h], .bias, l, .ffnOutput)
            add(p + "output.LayerNorm.weight", [h], .norm, l, .ffnOutput)
            add(p + "output.LayerNorm.bias", [h], .bias, l, .ffnOutput)
        }
        let hasClassifier = classifier ?? (c.numLabels != nil)
        if pooler || hasClassifier {
            add("bert.pooler.dense.weight", [h, h], .matrix, nil, .pooler)
            add("bert.pooler.dense.bias", [h], .bias, nil, .pooler)
        }
        if hasClassifier, let n = c.numLabels {
            add("classifier.weight", [n, h], .matrix, nil, .classifier)
            add("classifier.bias", [n], .bias, nil, .classifier)
        }
        self.init(views: views)
    }
}
