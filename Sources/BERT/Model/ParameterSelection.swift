/// A set of parameter tensors chosen by a spec `KIND@LAYERS[+KIND@LAYERS…]`, the unit every probe (curvature, surface
/// scans) works on. KIND: query, key, value, qk (query and key), attention-output, ffn-intermediate, ffn-output,
/// embeddings, pooler, classifier, all-quantized (the tensors BinaryBERT quantizes: the word embedding, Q, K, V,
/// attention output, FFN matrices, pooler), all. LAYERS: `0,1`, `0-3` or `*`; embeddings, pooler and classifier take no
/// layers (`pooler` or `pooler@*`), and all / all-quantized with `*` include them. Weight matrices (and embedding tables)
/// only, unless `includeBiases` adds the biases and LayerNorm parameters of the chosen modules. Tensors keep the
/// model's layout order, each once.
public struct ParameterSelection: Sendable, Equatable {
    public enum Kind: String, CaseIterable, Sendable {
        case query, key, value, qk
        case attentionOutput = "attention-output", ffnIntermediate = "ffn-intermediate", ffnOutput = "ffn-output"
        case embeddings, pooler, classifier
        case allQuantized = "all-quantized", all

        var modules: [ModuleKind] {
            switch self {
            case .query: return [.query]
            case .key: return [.key]
            case .value: return [.value]
            case .qk: return [.query, .key]
            case .attentionOutput: return [.attentionOutput]
            case .ffnIntermediate: return [.ffnIntermediate]
            case .ffnOutput: return [.ffnOutput]
            case .embeddings: return [.embeddings]
            case .pooler: return [.pooler]
            case .classifier: return [.classifier]
            case .allQuantized: return [.embeddings, .query, .key, .value, .attentionOutput, .ffnIntermediate, .ffnOutput, .pooler]
            case .all: return ModuleKind.allCases
            }
        }

        var takesLayers: Bool { ![.embeddings, .pooler, .classifier].contains(self) }
    }

    public let spec: String
    public let includeBiases: Bool
    public let views: [ParameterView]

    public var names: [String] { views.map(\.name) }
    public var dimension: Int { views.reduce(0) { $0 + $1.count } }

    /// Parses `spec` against `table` of a model with `layers` Transformer layers.
    public init(_ spec: String, table: ParameterTable, layers: Int, includeBiases: Bool = false) throws {
        self.spec = spec
        self.includeBiases = includeBiases
        let kinds = Kind.allCases.map(\.rawValue).joined(separator: ", ")
        let layerRange = layers > 0 ? "0-\(layers - 1)" : "none"
        func fail(_ why: String) -> ModelError {
            .badSelection("\(why) in '\(spec)' (KIND@LAYERS[+KIND@LAYERS…], KIND one of \(kinds); LAYERS like 0,1 or 0-3 or *, within \(layerRange))")
        }
        guard !spec.isEmpty else { throw fail("empty selection") }
        var chosen = Set<String>()
        for term in spec.split(separator: "+", omittingEmptySubsequences: false) {
            let parts = term.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count <= 2, let kind = Kind(rawValue: String(parts[0])) else {
                throw fail("unknown kind '\(parts.first.map(String.init) ?? "")'")
            }
            var chosenLayers: Set<Int>? = nil   // nil: every layer
            if parts.count == 2 {
                let text = String(parts[1])
                if text != "*" {
                    guard kind.takesLayers else { throw fail("\(kind.rawValue) takes no layers") }
                    var set = Set<Int>()
                    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                        let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                        guard (1...2).contains(bounds.count), let lo = Int(bounds[0]), let hi = Int(bounds.last!), lo <= hi else {
                            throw fail("bad layer list '\(text)'")
                        }
                        guard lo >= 0, hi < layers else { throw fail("layer \(lo < 0 ? lo : hi) is outside the model") }
                        set.formUnion(lo...hi)
                    }
                    chosenLayers = set
                }
            } else if kind.takesLayers {
                throw fail("\(kind.rawValue) needs @LAYERS")
            }
            for v in table.views where kind.modules.contains(v.module) {
                if let layer = v.layer {
                    if let chosenLayers, !chosenLayers.contains(layer) { continue }
                } else if chosenLayers != nil {
                    continue   // embeddings / pooler / classifier only with every layer
                }
                let isWeight = v.role == .matrix || v.role == .embedding
                if kind == .allQuantized {
                    let quantizable = (v.role == .matrix && v.module != .classifier) || v.name == "bert.embeddings.word_embeddings.weight"
                    if !(quantizable || (includeBiases && !isWeight && v.module != .classifier && v.module != .embeddings)) { continue }
                } else if !isWeight && !includeBiases {
                    continue
                }
                chosen.insert(v.name)
            }
        }
        views = table.views.filter { chosen.contains($0.name) }
        guard !views.isEmpty else { throw fail("no tensor of this model matches") }
    }
}
