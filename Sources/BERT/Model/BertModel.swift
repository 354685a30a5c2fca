import Numerics

/// A BERT encoder (HF `BertModel`) with optional pooler and classification head (`BertForSequenceClassification`).
///
/// All parameters live in one contiguous `parameters` buffer described by `table`; gradients in the twin
/// `gradients` buffer with the same layout. The forward pass reads `weights`, which is `parameters` for a
/// full-precision model; a weight quantizer points it at a buffer of quantized values ŵ = Q(w) with the same
/// layout, and backward then writes ∂L/∂ŵ into `gradients` (the straight-through estimator).
public final class BertModel<T: BLASReal> {
    public let config: BertConfig
    public let activation: Activation
    public let table: ParameterTable
    public let parameters: Buffer<T>
    public let gradients: Buffer<T>
    /// What the forward pass reads (`parameters`, or a quantizer's ŵ); change it with `useWeights(_:)` or, for a
    /// scoped evaluation elsewhere, `withWeights(_:_:)`.
    public private(set) var weights: Buffer<T>
    public let hasPooler: Bool
    /// Number of classifier outputs, nil without a head.
    public let classes: Int?
    /// Quantizes activations at the `ActivationSite`s when set (nil: full-precision activations).
    public var activationQuantizer: ActivationQuantizing?

    let offsets: ModelOffsets
    var workspace: Activations<T>?
    /// Counts forward passes (each one overwrites `workspace`): a caller that ran the last forward can tell whether
    /// the workspace still holds it.
    public internal(set) var forwardCount = 0
    var backwardWorkspace: BackwardWorkspace<T>?
    /// The R-operator's workspaces: forward tangents and the tangents of the backward pass (Hessian-vector products).
    var tangentWorkspace: Tangents<T>?
    var rBackwardWorkspace: BackwardWorkspace<T>?
    /// The plain backward's adjoints kept by the last curvature product that asked to (`keepAdjoints`), with what they
    /// were computed for.
    var keptAdjoints: PlainAdjoints<T>?
    /// Counts curvature-product passes that ran the plain backward (the others read kept adjoints).
    var plainBackwardCount = 0
    /// True during a Gauss–Newton product's pass: the backward's adjoint is identically zero, so the R-backward skips
    /// every product with it (the input adjoints and the adjoint × tangent terms).
    var zeroAdjointPass = false

    /// Builds a zero-initialised model; call `initializeWeights(seed:)` or load a checkpoint.
    /// `classifier` defaults to whether the config has `num_labels`; a classifier implies a pooler.
    public init(config: BertConfig, pooler: Bool = true, classifier: Bool? = nil) throws {
        try config.validate()
        self.config = config
        activation = try config.activation
        table = ParameterTable(config: config, pooler: pooler, classifier: classifier)
        parameters = Buffer(count: table.totalCount)
        gradients = Buffer(count: table.totalCount)
        weights = parameters
        hasPooler = table["bert.pooler.dense.weight"] != nil
        classes = table["classifier.weight"]?.shape[0]
        offsets = ModelOffsets(table: table, layers: config.numHiddenLayers)
    }

    /// HF's initialisation: N(0, std²) for matrices and embeddings, LayerNorm gain 1, biases 0.
    public func initializeWeights(seed: UInt64, std: Double = 0.02) {
        var rng = SeededRNG(seed: seed, stream: 0x1417)
        for v in table.views {
            let p = parameters.pointer + v.offset
            switch v.role {
            case .matrix, .embedding: rng.fillNormal(p, count: v.count, std: std)
            case .norm: p.update(repeating: 1, count: v.count)
            case .bias: p.update(repeating: 0, count: v.count)
            }
        }
    }

    /// Non-trivial random values for every parameter: matrices and embeddings N(0, std²), LayerNorm gains
    /// 1 + N(0, 0.1²), biases N(0, 0.1²). For gradient checks and equivalence tests, where HF's initialisation
    /// (zero biases, unit gains) would leave parts of the backward pass untested.
    public func randomizeAllParameters(seed: UInt64, std: Double = 0.3) {
        var rng = SeededRNG(seed: seed)
        for v in table.views {
            let p = parameters.pointer + v.offset
            switch v.role {
            case .matrix, .embedding: rng.fillNormal(p, count: v.count, std: std)
            case .norm: rng.fillNormal(p, count: v.count, mean: 1, std: 0.1)
            case .bias: rng.fillNormal(p, count: v.count, std: 0.1)
            }
        }
    }

    /// Makes the forward and backward passes read `buffer` (same layout as `parameters`) from now on: for an owner
    /// of derived weights, such as a weight quantizer's ŵ.
    public func useWeights(_ buffer: Buffer<T>) {
        precondition(buffer.count == table.totalCount, "useWeights: \(buffer.count) values for a layout of \(table.totalCount)")
        weights = buffer
    }

    /// Runs `body` with the forward and backward passes reading `buffer` (same layout as `parameters`) instead of the
    /// current weights, which are restored afterwards (also when `body` throws). Nothing is copied; the activation
    /// workspace `body` leaves behind belongs to `buffer`.
    public func withWeights<R>(_ buffer: Buffer<T>, _ body: () throws -> R) rethrows -> R {
        precondition(buffer.count == table.totalCount, "withWeights: \(buffer.count) values for a layout of \(table.totalCount)")
        let saved = weights
        weights = buffer
        defer { weights = saved }
        return try body()
    }

    public func pointer(_ name: String) -> UnsafeMutablePointer<T> { parameters.pointer + table.view(name).offset }
    public func gradientPointer(_ name: String) -> UnsafeMutablePointer<T> { gradients.pointer + table.view(name).offset }

    public func zeroGradients() { gradients.zero() }

    /// Checks ids, token types and length against the configuration.
    public func validate(_ batch: TokenBatch) throws {
        if batch.sequenceLength > config.maxPositionEmbeddings {
            throw ModelError.sequenceTooLong(length: batch.sequenceLength, maxPositions: config.maxPositionEmbeddings)
        }
        for (i, id) in batch.inputIds.enumerated() where id < 0 || Int(id) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(position: i, id: Int(id), vocabSize: config.vocabSize)
        }
        for (i, id) in batch.tokenTypeIds.enumerated() where id < 0 || Int(id) >= config.typeVocabSize {
            throw ModelError.tokenTypeOutOfRange(position: i, id: Int(id), typeVocabSize: config.typeVocabSize)
        }
    }
}

/// Offsets of every tensor the forward pass touches, resolved once from the table.
struct ModelOffsets {
    struct Layer {
        var query: (w: Int, b: Int), key: (w: Int, b: Int), value: (w: Int, b: Int)
        var attentionOutput: (w: Int, b: Int), norm1: (w: Int, b: Int)
        var intermediate: (w: Int, b: Int), output: (w: Int, b: Int), norm2: (w: Int, b: Int)
    }
    var wordEmbeddings: Int, positionEmbeddings: Int, tokenTypeEmbeddings: Int, embeddingNorm: (w: Int, b: Int)
    var layers: [Layer]
    var pooler: (w: Int, b: Int)?
    var classifier: (w: Int, b: Int)?

    init(table: ParameterTable, layers count: Int) {
        func o(_ name: String) -> Int { table.view(name).offset }
        func pair(_ prefix: String) -> (w: Int, b: Int) { (o(prefix + ".weight"), o(prefix + ".bias")) }
        wordEmbeddings = o("bert.embeddings.word_embeddings.weight")
        positionEmbeddings = o("bert.embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = o("bert.embeddings.token_type_embeddings.weight")
        embeddingNorm = pair("bert.embeddings.LayerNorm")
        layers = (0..<count).map { l in
            let p = "bert.encoder.layer.\(l)."
            return Layer(query: pair(p + "attention.self.query"), key: pair(p + "attention.self.key"),
                         value: pair(p + "attention.self.value"), attentionOutput: pair(p + "attention.output.dense"),
                         norm1: pair(p + "attention.output.LayerNorm"), intermediate: pair(p + "intermediate.dense"),
                         output: pair(p + "output.dense"), norm2: pair(p + "output.LayerNorm"))
        }
        pooler = table["bert.pooler.dense.weight"] != nil ? pair("bert.pooler.dense") : nil
        classifier = table["classifier.weight"] != nil ? pair("classifier") : nil
    }
}
