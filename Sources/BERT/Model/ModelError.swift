/// Invalid inputs to a model call.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfRange(position: Int, id: Int, vocabSize: Int)
    case tokenTypeOutOfRange(position: Int, id: Int, typeVocabSize: Int)
    case sequenceTooLong(length: Int, maxPositions: Int)
    case noClassifier
    case labelCount(expected: Int, found: Int)
    case labelOutOfRange(index: Int, label: Int, classes: Int)
    case badSelection(String)

    public var description: String {
        switch self {
        case let .tokenOutOfRange(p, id, v): return "token id \(id) at position \(p) is outside the vocabulary (size \(v))"
        case let .tokenTypeOutOfRange(p, id, v): return "token type \(id) at position \(p) is outside 0..<\(v)"
        case let .sequenceTooLong(l, m): return "sequence length \(l) exceeds max_position_embeddings \(m)"
        case .noClassifier: return "the model has no classifier head (num_labels missing)"
        case let .labelCount(e, f): return "expected \(e) labels, got \(f)"
        case let .labelOutOfRange(i, l, c): return "label \(l) of example \(i) is outside 0..<\(c)"
        case let .badSelection(why): return "bad --select: \(why)"
        }
    }
}
