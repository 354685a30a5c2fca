import Foundation
import Numerics

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
    public static func load<T: BLASReal>(_ directory: URL, as type: T.Type = T.self, newClassifierLabels: Int? = nil,
                                         seed: UInt64 = 0) throws -> BertModel<T> {
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
        let model = try BertModel<T>(config: config, pooler: hasPooler || wantClassifier, classifier: wantClassifier)
        // Parts not in the file (a new head, or a pooler a head needs) get HF's initialisation.
        model.initializeWeights(seed: seed)
        for view in model.table.views {
            guard let stored = byName[view.name] else {
                let optional = view.module == .classifier || (view.module == .pooler && !hasPooler)
                if optional && !hasClassifier { continue }
                throw CheckpointError.missingTensor(file: url.path, tensor: view.name)
            }
            let info = file[stored]!
            if info.shape != view.shape {
                throw CheckpointError.shapeMismatch(file: url.path, tensor: stored, expected: view.shape, found: info.shape)
            }
            try file.copyValues(stored, into: model.parameters.pointer + view.offset, count: view.count)
        }
        return model
    }

    /// Writes `config.json` and `model.safetensors` (in the model's precision, or `storage`), then copies the
    /// tokenizer files from `tokenizerSource`. Each file is written to a temporary name and renamed.
    /// `extraTensors` are written into model.safetensors after the model's own (e.g. the second halves of a split model).
    public static func save<T: BLASReal>(_ model: BertModel<T>, to directory: URL, tokenizerSource: URL? = nil,
                                         metadata: [String: String] = [:],
                                         extraTensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<T>)] = []) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError.unreadable(file: directory.path, reason: "cannot create directory: \(error.localizedDescription)")
        }
        var writer = SafetensorsWriter(metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        for view in model.table.views {
            writer.add(view.name, shape: view.shape,
                       values: UnsafeBufferPointer(start: model.parameters.pointer + view.offset, count: view.count))
        }
        for extra in extraTensors { writer.add(extra.name, shape: extra.shape, values: extra.values) }
        try writer.write(to: directory.appendingPathComponent(weightsFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
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

    /// Writes `data` to `url` through a temporary file in the same directory and a rename.
    public static func atomicWrite(_ data: Data, to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw CheckpointError.unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
        // rename(2) replaces an existing file atomically.
        if rename(tmp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw CheckpointError.unreadable(file: url.path, reason: "cannot write: \(reason)")
        }
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
