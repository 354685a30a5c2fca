import BERT
import Foundation
import Text

/// A task's examples as the training commands use them: the task, the model's tokenizer, and the train and dev
/// splits encoded to `maxLength` (checked against the model's positions before anything is read). A split read as
/// Windows-1252 is reported through `warn`.
public struct TaskData {
    public let task: TaskSpec
    public let tokenizer: BertTokenizer
    public var train: EncodedDataset
    public let dev: EncodedDataset
    /// Malformed training rows skipped (with `skipBadRows`).
    public let trainSkippedRows: Int

    public static func load(task name: String, data: String, model: String, maxLength: Int, skipBadRows: Bool = false,
                            warn: (String) -> Void = TaskData.standardError) throws -> TaskData {
        try checkMaxLength(maxLength, modelDirectory: model)
        let task = try Tasks.named(name)
        let tokenizer = try BertTokenizer(modelDirectory: URL(fileURLWithPath: model))
        let train = try loadSplit(task: task, data: data, split: "train", skipBadRows: skipBadRows, warn: warn)
        let dev = try loadSplit(task: task, data: data, split: "dev", skipBadRows: skipBadRows, warn: warn)
        return TaskData(task: task, tokenizer: tokenizer, train: EncodedDataset(train, tokenizer: tokenizer, maxLength: maxLength),
                        dev: EncodedDataset(dev, tokenizer: tokenizer, maxLength: maxLength), trainSkippedRows: train.skippedRows)
    }

    /// One split of a task's folder, its encoding warning (if any) through `warn`.
    public static func loadSplit(task: TaskSpec, data: String, split: String, skipBadRows: Bool = false,
                                 warn: (String) -> Void = TaskData.standardError) throws -> Dataset {
        let set = try DatasetLoader.load(task: task, dataDirectory: URL(fileURLWithPath: data), split: split, skipBadRows: skipBadRows)
        if let warning = set.encodingWarning { warn(warning) }
        return set
    }

    /// `maxLength` may not exceed the model's position embeddings (read from its `config.json` alone).
    public static func checkMaxLength(_ maxLength: Int, modelDirectory: String, option: String = "--max-length") throws {
        let config = try ModelDirectory.loadConfig(URL(fileURLWithPath: modelDirectory))
        try checkMaxLength(maxLength, config: config, model: modelDirectory, option: option)
    }

    public static func checkMaxLength(_ maxLength: Int, config: BertConfig, model: String, option: String = "--max-length") throws {
        guard maxLength <= config.maxPositionEmbeddings else {
            throw TrainingError.invalidOption("\(option) \(maxLength) exceeds the \(config.maxPositionEmbeddings) positions of \(model)")
        }
    }

    public static func standardError(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
