import Foundation
import Storage

/// The task data a training command learns from and is evaluated on: the task, its data directory, the tokens per
/// example, which training examples (all when `subset` is nil) and whether malformed rows are skipped (counted).
public struct TaskDataOptions: Codable, Sendable, Equatable {
    public var task: String
    public var data: String
    public var maxLength = 128
    public var subset: TrainingSubset?
    public var skipBadRows = false

    public init(task: String, data: String, maxLength: Int = 128, subset: TrainingSubset? = nil, skipBadRows: Bool = false) {
        self.task = task
        self.data = data
        self.maxLength = maxLength
        self.subset = subset
        self.skipBadRows = skipBadRows
    }

    /// Refuses a token budget or a subset out of range (one sentence naming the option).
    public func validate() throws {
        try OptionCheck.maxLength(maxLength)
        if let subset, subset.count <= 0 { throw OptionError("\(subset.seed == nil ? "--limit" : "--subset") must be positive, not \(subset.count)") }
    }

    /// The task's training (after the subset) and dev examples, encoded with `model`'s tokenizer.
    public func load(model: String) throws -> TaskData {
        var loaded = try TaskData.load(task: task, data: data, model: model, maxLength: maxLength, skipBadRows: skipBadRows)
        if let subset { loaded.train = subset.apply(to: loaded.train) }
        return loaded
    }
}
