import ArgumentParser
import Numerics
import Quantization
import Training

/// `binarybert finetune`: full-precision fine-tuning of a model directory on a task.
struct FinetuneCommand: OutputCommand {
    static let configuration = CommandConfiguration(commandName: "finetune",
        abstract: "Fine-tune a model on a task (BertAdam, warm-up + linear decay, keep the best dev checkpoint).",
        discussion: """
        The output directory receives the best model (HF layout), metrics.json, train_log.csv and checkpoint-last/ \
        (use --resume to continue an interrupted run with the same options). Progress goes to standard error.
        """)

    @Option(help: "Model directory to start from (an encoder-only checkpoint gets a new classifier head).") var model: String
    @Option(help: "Task: rt-polarity, rt-rating, cola, sst-2, mrpc, sts-b, qqp, mnli, mnli-mm, qnli, rte, wnli.") var task: String
    @Option(help: "Data directory (GLUE layout, or the folder holding movieReviewSnippets_GroundTruth.txt).") var data: String
    @Option(help: "Output directory.") var output: String
    @Option(help: "Epochs.") var epochs = 2
    @Option(help: "Peak learning rate.") var lr = 5e-5
    @Option(help: "Examples per step.") var batchSize = 32
    @Option(help: "Maximum tokens per example (truncation: longest first).") var maxLength = 128
    @Option(help: "Seed for the new head, shuffling and dropout.") var seed: UInt64 = 42
    @Option(help: "Evaluate on dev every N steps (and at the end of each epoch).") var evalEvery = 100
    @Option(help: "Add a row to train_log.csv every N steps with the mean training loss since the previous row (dev_metric empty).")
    var logEvery: Int?
    @Option(help: "Warm-up fraction of the steps.") var warmup = 0.1
    @Option(help: "Decoupled weight decay (not on biases and LayerNorm).") var weightDecay = 0.01
    @OptionGroup var examples: TrainingSubsetOptions
    @Flag(help: "Skip malformed data rows (counted) instead of failing.") var skipBadRows = false
    @Flag(help: "Continue from OUTPUT/checkpoint-last.") var resume = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try OptionCheck.epochs(epochs)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.positive(evalEvery, "--eval-every")
        try OptionCheck.positive(logEvery, "--log-every")
        try OptionCheck.maxLength(maxLength)
        try OptionCheck.learningRate(lr)
        try OptionCheck.number(warmup, "--warmup", in: 0.0..<1.0)
        try OptionCheck.number(weightDecay, "--weight-decay", in: 0.0...1.0)
    }

    func execute() throws {
        try printJSONLine(try job.run(resume: resume, log: TaskData.standardError))
    }

    /// The command's typed options.
    var job: FineTuneJob {
        var o = FineTuneOptions()
        o.epochs = epochs; o.batchSize = batchSize; o.learningRate = lr; o.seed = seed; o.evalEvery = evalEvery; o.logEvery = logEvery
        o.warmupFraction = warmup; o.weightDecay = weightDecay
        var job = FineTuneJob(model: model, taskData: examples.taskData(task: task, data: data, maxLength: maxLength, skipBadRows: skipBadRows),
                              output: output)
        job.options = o
        return job
    }

    /// `job` as this command's arguments: the options the report always states, the others when they are not the default.
    static func arguments(_ job: FineTuneJob) -> [String] {
        let o = job.options, d = FineTuneOptions(), data = job.taskData
        var a = ArgumentWriter("finetune")
        a.options(["--model": job.model])
        a.task(data.task, data: data.data, maxLength: data.maxLength)
        a.options(["--output": job.output, "--epochs": o.epochs, "--lr": o.learningRate, "--batch-size": o.batchSize,
                   "--eval-every": o.evalEvery, "--log-every": o.logEvery, "--seed": o.seed])
        a.nondefault(["--warmup": (o.warmupFraction, d.warmupFraction), "--weight-decay": (o.weightDecay, d.weightDecay)])
        a.subset(data.subset)
        a.flag("--skip-bad-rows", data.skipBadRows)
        return a.words
    }
}
