import ArgumentParser
import Numerics
import Quantization

/// `binarybert evaluate`: task metrics of a model directory on a split, as one JSON object on stdout.
struct EvaluateCommand: ThreadedCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "evaluate",
        abstract: "Evaluate a model on a task split; prints one JSON object of metrics on stdout.")

    @Option(help: "Model directory.") var model: String
    @OptionGroup var taskArguments: TaskArguments
    @Option(help: "Split to evaluate.") var split: ProbeSplit = .dev
    @Option(help: "Precision of the computation.") var dtype: DType = .float32
    @Option(help: "Examples per forward call.") var batchSize = 64
    @Flag(help: "Skip malformed data rows (counted) instead of failing.") var skipBadRows = false
    @OptionGroup var threading: ThreadOptions

    var job: EvaluateJob {
        var job = EvaluateJob(model: model, task: taskArguments.task, data: taskArguments.data)
        job.split = split.rawValue; job.maxLength = taskArguments.maxLength; job.dtype = dtype; job.batchSize = batchSize; job.skipBadRows = skipBadRows
        return job
    }

    func check() throws { try job.validate() }

    func run() throws { try printJSONLine(try job.run()) }
}
