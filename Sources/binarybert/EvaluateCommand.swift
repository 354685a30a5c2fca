import ArgumentParser
import Numerics
import Quantization

/// `binarybert evaluate`: task metrics of a model directory on a split, as one JSON object on stdout.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate",
        abstract: "Evaluate a model on a task split; prints one JSON object of metrics on stdout.")

    @Option(help: "Model directory.") var model: String
    @Option(help: "Task name (see finetune --help).") var task: String
    @Option(help: "Data directory.") var data: String
    @Option(help: "Split: \(ProbeSplit.allCases.map(\.rawValue).joined(separator: " or ")).") var split: ProbeSplit = .dev
    @Option(help: "Maximum tokens per example.") var maxLength = 128
    @Option(help: "Compute in \(DType.allCases.map(\.rawValue).joined(separator: " or ")).") var dtype: DType = .float32
    @Option(help: "Examples per forward call.") var batchSize = 64
    @Flag(help: "Skip malformed data rows (counted) instead of failing.") var skipBadRows = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try OptionCheck.maxLength(maxLength)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
    }

    func run() throws {
        try threading.apply()
        var job = EvaluateJob(model: model, task: task, data: data)
        job.split = split.rawValue; job.maxLength = maxLength; job.dtype = dtype; job.batchSize = batchSize; job.skipBadRows = skipBadRows
        try printJSONLine(try job.run())
    }
}
