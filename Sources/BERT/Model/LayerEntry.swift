import Numerics

/// The stages of a Transformer layer's forward, in order: query/key and the attention probabilities, value and the
/// context, the attention output (dense, residual, LayerNorm), the FFN intermediate (dense, activation), the FFN
/// output (dense, residual, LayerNorm). A probe that changes only tensors used from stage s on can enter the layer
/// at s with the earlier stages' results saved from one forward (`LayerEntryState`): nothing before s reads them.
public enum LayerEntry: Int, Comparable, Sendable, CaseIterable {
    case start = 0, value, attentionOutput, ffnIntermediate, ffnOutput

    public static func < (a: LayerEntry, b: LayerEntry) -> Bool { a.rawValue < b.rawValue }

    /// The stage that first reads a tensor of `module` (LayerNorm 1 belongs to the attention output, 2 to the FFN output).
    public init(module: ModuleKind) {
        switch module {
        case .value: self = .value
        case .attentionOutput: self = .attentionOutput
        case .ffnIntermediate: self = .ffnIntermediate
        case .ffnOutput: self = .ffnOutput
        default: self = .start
        }
    }

    /// The latest stage of `layer` at which a forward can enter when `views` change: the earliest stage reading any
    /// of them in that layer (`.start` when none is in it).
    public static func entry(for views: [ParameterView], layer: Int) -> LayerEntry {
        views.filter { $0.layer == layer }.map { LayerEntry(module: $0.module) }.min() ?? .start
    }

    /// The module of the dense layer the stage starts with (nil for `.start`, which starts with Q and K): the
    /// inverse of `init(module:)` on the dense modules.
    public var denseModule: ModuleKind? {
        switch self {
        case .start: return nil
        case .value: return .value
        case .attentionOutput: return .attentionOutput
        case .ffnIntermediate: return .ffnIntermediate
        case .ffnOutput: return .ffnOutput
        }
    }

    public var name: String {
        switch self {
        case .start: return "start"
        case .value: return "value"
        case .attentionOutput: return "attention-output"
        case .ffnIntermediate: return "ffn-intermediate"
        case .ffnOutput: return "ffn-output"
        }
    }
}

/// What a forward entering layer l at `entry` needs from the stages before it, saved from one eval forward of a batch:
/// the attention probabilities (entry value), the context (attention output), the first LayerNorm's output (FFN
/// intermediate), the FFN activation and the first LayerNorm's output (FFN output).
public struct LayerEntryState<T: BLASReal> {
    public let layer: Int
    public let entry: LayerEntry
    let buffers: [Buffer<T>]

    /// Values the state holds (for memory budgets).
    public var count: Int { buffers.reduce(0) { $0 + $1.count } }

    static func sources(_ la: LayerActivations<T>, _ entry: LayerEntry) -> [Buffer<T>] {
        switch entry {
        case .start: return []
        case .value: return [la.probsUsed ?? la.probs]
        case .attentionOutput: return [la.context]
        case .ffnIntermediate: return [la.normed1]
        case .ffnOutput: return [la.ffnAct, la.normed1]
        }
    }

    /// Copies the state out of `acts` (an eval forward that ran layer `layer`).
    public init(_ acts: Activations<T>, layer: Int, entry: LayerEntry) {
        self.layer = layer
        self.entry = entry
        buffers = Self.sources(acts.layers[layer], entry).map { Buffer($0.array) }
    }

    /// Values a state of `entry` takes for a batch of this layout.
    public static func count(_ entry: LayerEntry, config c: BertConfig, layout: SequenceLayout) -> Int {
        let n = layout.tokenCount
        switch entry {
        case .start: return 0
        case .value: return layout.scoreCount(heads: c.numAttentionHeads)
        case .attentionOutput: return n * c.allHeadSize
        case .ffnIntermediate: return n * c.hiddenSize
        case .ffnOutput: return n * (c.intermediateSize + c.hiddenSize)
        }
    }

    func restore(into acts: Activations<T>) {
        for (saved, target) in zip(buffers, Self.sources(acts.layers[layer], entry)) {
            precondition(saved.count == target.count, "LayerEntryState: saved for another batch shape")
            target.copy(from: saved)
        }
    }
}
