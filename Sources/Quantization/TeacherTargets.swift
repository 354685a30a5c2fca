import BERT
import Numerics

/// What a distillation stage reads of the teacher on one batch: stage 1 (`intermediate`) the hidden states 0…L
/// (B·T, C) and every layer's attention scores (B, NH, T, T); stage 2 (`logits`) the logits (B, K). They come from a
/// teacher forward, or from a `TeacherCache` entry that such a forward wrote.
public struct TeacherTargets<T: BLASReal> {
    /// Which of the teacher's outputs a stage reads.
    public enum Kind: String, Sendable, CaseIterable {
        case intermediate, logits

        /// The outputs distillation stage `stage` (1 or 2) reads.
        public init(stage: Int) { self = stage == 1 ? .intermediate : .logits }
    }

    public let kind: Kind
    /// Hidden states 0…L (intermediate; empty for logits).
    public let hiddenStates: [Buffer<T>]
    /// Attention scores of layers 0..<L (intermediate; empty for logits).
    public let attentionScores: [Buffer<T>]
    /// The logits (logits; nil for intermediate).
    public let logits: Buffer<T>?

    /// The outputs of `kind` among a teacher forward's activations: its own buffers, valid until the teacher's next
    /// forward (no copy).
    public init(_ kind: Kind, of acts: Activations<T>, layers: Int) {
        self.kind = kind
        switch kind {
        case .intermediate:
            hiddenStates = Array(acts.hiddenStates[0...layers])
            attentionScores = (0..<layers).map { acts.attentionScores($0) }
            logits = nil
        case .logits:
            precondition(acts.logits != nil, "TeacherTargets: the teacher has no classifier")
            hiddenStates = []
            attentionScores = []
            logits = acts.logits
        }
    }

    /// Targets over the given buffers (a cache entry read back).
    init(kind: Kind, buffers: [Buffer<T>], layers: Int) {
        self.kind = kind
        switch kind {
        case .intermediate:
            precondition(buffers.count == 2 * layers + 1, "TeacherTargets: \(buffers.count) buffers for \(layers) layers")
            hiddenStates = Array(buffers[0...layers])
            attentionScores = Array(buffers[(layers + 1)...])
            logits = nil
        case .logits:
            precondition(buffers.count == 1, "TeacherTargets: \(buffers.count) buffers for the logits")
            hiddenStates = []
            attentionScores = []
            logits = buffers[0]
        }
    }

    /// Every buffer, in the fixed order a cache entry stores them: hidden states 0…L, then scores 0..<L; or the logits.
    public var buffers: [Buffer<T>] { kind == .logits ? [logits!] : hiddenStates + attentionScores }

    /// The sizes of `buffers` for `batch` on a model of `config` with `classes` outputs, as a forward sizes them.
    static func counts(_ kind: Kind, batch: TokenBatch, config: BertConfig, classes: Int?) -> [Int] {
        switch kind {
        case .intermediate:
            let hidden = batch.layout.tokenCount * config.hiddenSize
            let scores = batch.layout.scoreCount(heads: config.numAttentionHeads)
            return Array(repeating: hidden, count: config.numHiddenLayers + 1) + Array(repeating: scores, count: config.numHiddenLayers)
        case .logits:
            return [batch.layout.count * (classes ?? 0)]
        }
    }
}
