import ArgumentParser
import BERT
import Foundation

/// Checks of options against the model they are used with, once its config is known (before any work).
enum ModelLimits {
    /// `--max-length` may not exceed the model's position embeddings.
    static func check(maxLength: Int, config: BertConfig, model: String, option: String = "--max-length") throws {
        guard maxLength <= config.maxPositionEmbeddings else {
            throw ValidationError("\(option) \(maxLength) exceeds the \(config.maxPositionEmbeddings) positions of \(model)")
        }
    }

    /// The same, reading only `config.json` of a model directory.
    static func check(maxLength: Int, modelDirectory: String, option: String = "--max-length") throws {
        let config = try ModelDirectory.loadConfig(URL(fileURLWithPath: modelDirectory))
        try check(maxLength: maxLength, config: config, model: modelDirectory, option: option)
    }
}
