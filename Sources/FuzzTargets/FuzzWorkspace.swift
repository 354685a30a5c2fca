import BERT
import Foundation
import Quantization

/// The fixed files the fuzz targets put their input among: a tiny model (plain and packed) written once per
/// process into a temporary directory, and scratch directories rewritten per input.
final class FuzzWorkspace: @unchecked Sendable {
    static let shared = FuzzWorkspace()

    let root: URL
    let plain: URL
    let packed: URL
    let table: ParameterTable
    let layers = 2

    private init() {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        root = base.appendingPathComponent("binarybert-fuzz-\(getpid())")
        plain = root.appendingPathComponent("fixed-plain")
        packed = root.appendingPathComponent("fixed-packed")
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "good", "nice", "##s", "!"]
        let config = BertConfig(vocabSize: vocab.count, hiddenSize: 8, numHiddenLayers: layers, numAttentionHeads: 2,
                                intermediateSize: 12, maxPositionEmbeddings: 16, numLabels: 2)
        do {
            let model = try BertModel<Float>(config: config)
            model.initializeWeights(seed: 1)
            table = model.table
            try ModelDirectory.save(model, to: plain)
            try (vocab.joined(separator: "\n") + "\n").write(to: plain.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
            let q = try QuantizedBertModel(model: model, spec: QuantizationSpec(method: "twn", weightBits: 2, activationBits: 32,
                                                                               quantizedTensors: QuantizationSpec.defaultQuantizedTensors(model.table)))
            _ = try PackedModel.export(q, to: packed, tokenizerSource: plain)
        } catch {
            fatalError("cannot set up the fuzz workspace in \(root.path): \(error)")
        }
        atexit { try? FileManager.default.removeItem(at: FuzzWorkspace.shared.root) }
    }

    /// An emptied scratch directory named `name`.
    func scratch(_ name: String) throws -> URL {
        let dir = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A scratch directory holding copies of `files` from `source` and the input under its file name.
    func directory(_ name: String, copying files: [String], from source: URL, input: (name: String, data: Data)) throws -> URL {
        let dir = try scratch(name)
        for file in files { try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file)) }
        try input.data.write(to: dir.appendingPathComponent(input.name))
        return dir
    }
}
