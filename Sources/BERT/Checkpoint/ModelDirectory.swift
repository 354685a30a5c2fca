import Foundation
import Numerics
import Storage

/// A model directory in the HF layout: `config.json`, `model.safetensors` (weights stored [out, in] as in
/// PyTorch, names with or without the `bert.` prefix) and the tokenizer files (`vocab.txt`, ...).
public enum ModelDirectory {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    /// Files copied along when a model derived from another one is saved.
    public static let tokenizerFiles = ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]

    /// Reads and validates `DIR/config.json`.
    public static func loadConfig(_ directory: URL) throws -> BertConfig {
        let url = directory.appendingPathComponent(configFile)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(file: url.path, reason: "no such file or not readable")
        }
        let config: BertConfig
        do { config = try JSONDecoder().decode(BertConfig.self, from: data) } catch let error as DecodingError {
            throw CheckpointError.badConfig(file: url.path, reason: describe(error))
        } catch {
            throw CheckpointError.badConfig(file: url.path, reason: "not valid JSON")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let kind = object["position_embedding_type"] as? String, kind != "absolute" {
            throw CheckpointError.badConfig(file: url.path, reason: "position_embedding_type '\(kind)' is not supported (only 'absolute')")
        }
        do { try config.validate() } catch {
            throw CheckpointError.badConfig(file: url.path, reason: "\(error)")
        }
        return config
    }

    /// Loads a model. A classifier is built when the weights contain one; `newClassifierLabels` adds a freshly
    /// initialised head (seeded) when they do not, as fine-tuning from an encoder-only checkpoint needs.
    ///
    /// Everything is checked against the file before the model is allocated: every tensor's shape, no tensor left
    /// unused (except `ignoredTensor`'s buffers and pretraining heads, and the names starting with one of
    /// `extraPrefixes`, which the caller reads), and after loading every value finite. A `vocab.txt` with more
    /// entries than `vocab_size` is refused (its ids would fall outside the embedding table).
    public static func load<T: BLASReal>(_ directory: URL, as type: T.Type = T.self, newClassifierLabels: Int? = nil,
                                         seed: UInt64 = 0, extraPrefixes: [String] = []) throws -> BertModel<T> {
        var config = try loadConfig(directory)
        let url = directory.appendingPathComponent(weightsFile)
        let file = try SafetensorsFile(contentsOf: url)
        // Accept names with or without the "bert." prefix.
        var byName: [String: String] = [:]
        for name in file.names {
            if name.hasPrefix("bert.") || name.hasPrefix("classifier.") { byName[name] = name } else { byName["bert." + name] = name }
        }
        let hasClassifier = byName["classifier.weight"] != nil
        let hasPooler = byName["bert.pooler.dense.weight"] != nil
        if hasClassifier, let info = file[byName["classifier.weight"]!], info.shape.count == 2 {
            config.numLabels = info.shape[0]
        } else if let n = newClassifierLabels {
            config.numLabels = n
        } else {
            config.numLabels = nil
        }
        let wantClassifier = hasClassifier || newClassifierLabels != nil
        do { try config.validate() } catch {
            throw CheckpointError.badConfig(file: directory.appendingPathComponent(configFile).path, reason: "\(error)")
        }
        try checkVocabulary(directory, config: config)
        let table = ParameterTable(config: config, pooler: hasPooler || wantClassifier, classifier: wantClassifier)
        var used = Set<String>()
        for view in table.views {
            guard let stored = byName[view.name] else {
                let optional = view.module == .classifier || (view.module == .pooler && !hasPooler)
                if optional && !hasClassifier { continue }
                throw CheckpointError.missingTensor(file: url.path, tensor: view.name)
            }
            let info = file[stored]!
            if info.shape != view.shape {
                throw CheckpointError.shapeMismatch(file: url.path, tensor: stored, expected: view.shape, found: info.shape)
            }
            used.insert(stored)
        }
        for name in file.names where !used.contains(name) && !ignoredTensor(name) && !extraPrefixes.contains(where: { name.hasPrefix($0) }) {
            throw CheckpointError.unexpectedTensor(file: url.path, tensor: name)
        }
        let model = try BertModel<T>(config: config, pooler: hasPooler || wantClassifier, classifier: wantClassifier)
        // Parts not in the file (a new head, or a pooler a head needs) get HF's initialisation, drawn for the whole
        // table so that their values do not depend on which others the file holds. With every tensor in the file
        // nothing is drawn (22.7 M normals of MiniLM-L6 cost ~0.5 s a load).
        if model.table.views.contains(where: { byName[$0.name] == nil }) { model.initializeWeights(seed: seed) }
        for view in model.table.views {
            guard let stored = byName[view.name] else { continue }
            let p = model.parameters.pointer + view.offset
            try file.copyValues(stored, into: p, count: view.count)
            if let i = T.kernelFirstNonFinite(p, view.count) {
                throw CheckpointError.malformedTensor(file: url.path, tensor: stored, reason: "element \(i) is NaN or infinite")
            }
        }
        return model
    }

    /// Tensors of HF checkpoints that no encoder reads: the `position_ids` buffer and the pretraining heads (`cls.*`).
    public static func ignoredTensor(_ name: String) -> Bool {
        let bare = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
        return bare == "embeddings.position_ids" || bare.hasPrefix("cls.")
    }

    /// Refuses a `vocab.txt` with more entries than `vocab_size` (fewer is a padded embedding table, which is fine).
    public static func checkVocabulary(_ directory: URL, config: BertConfig) throws {
        let url = directory.appendingPathComponent("vocab.txt")
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        var lines = data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        if let last = data.last, last != 0x0A { lines += 1 }
        if lines > config.vocabSize {
            throw CheckpointError.badConfig(file: directory.appendingPathComponent(configFile).path,
                                            reason: "vocab_size is \(config.vocabSize) but \(url.path) has \(lines) entries")
        }
    }

    /// Writes `config.json` and `model.safetensors` (in the model's precision, or `storage`), then copies the
    /// tokenizer files from `tokenizerSource`. Each file is written to a temporary name and renamed.
    /// `extraTensors` are written into model.safetensors after the model's own (e.g. the second halves of a split model).
    public static func save<T: BLASReal>(_ model: BertModel<T>, to directory: URL, tokenizerSource: URL? = nil,
                                         metadata: [String: String] = [:],
                                         extraTensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<T>)] = []) throws {
        try AtomicFile.createDirectory(directory)
        var writer = SafetensorsWriter(metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        for view in model.table.views {
            writer.add(view.name, shape: view.shape,
                       values: UnsafeBufferPointer(start: model.parameters.pointer + view.offset, count: view.count))
        }
        for extra in extraTensors { writer.add(extra.name, shape: extra.shape, values: extra.values) }
        try writer.write(to: directory.appendingPathComponent(weightsFile))
        let encoder = JSONFormat.encoder()
        var config = model.config
        config.numLabels = model.classes
        try atomicWrite(try encoder.encode(config), to: directory.appendingPathComponent(configFile))
        if let source = tokenizerSource { try copyTokenizerFiles(from: source, to: directory) }
    }

    /// Copies the tokenizer files that `source` has into `directory` (each atomically); nothing when they are the same.
    public static func copyTokenizerFiles(from source: URL, to directory: URL) throws {
        guard source.standardizedFileURL != directory.standardizedFileURL else { return }
        for name in tokenizerFiles {
            let from = source.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: from.path) else { continue }
            try atomicWrite(try Data(contentsOf: from), to: directory.appendingPathComponent(name))
        }
    }

    /// Writes `data` to `url` crash-safely (temporary file, fsync, rename; see `AtomicFile`).
    public static func atomicWrite(_ data: Data, to url: URL) throws {
        try AtomicFile.write(data, to: url)
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, _): return "missing key '\(key.stringValue)'"
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx):
            return "wrong type for '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))'"
        case let .dataCorrupted(ctx): return ctx.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
