import ArgumentParser
import Training

/// `binarybert finetune`: full-precision fine-tuning of a model directory on a task.
struct FinetuneCommand: OutputCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "finetune",
        abstract: "Fine-tune a model on a task (BertAdam, warm-up + linear decay, keep the best dev checkpoint).",
        discussion: "OUTPUT receives the best model (HF layout), metrics.json, train_log.csv and checkpoint-last/ (for --resume).")

    @Option(help: "Model directory to start from (an encoder-only checkpoint gets a new classifier head).") var model: String
    @OptionGroup var taskArguments: TaskArguments
    @Option(help: "Output directory.") var output: String
    @Option(help: "Epochs.") var epochs = 2
    @OptionGroup var training: TrainingArguments
    @Option(help: "Add a row to train_log.csv every N steps with the mean training loss since the previous row (dev_metric empty).") var logEvery: Int?
    @Option(help: "Learning curve: also evaluate on dev before the first step and every N steps, into train_log.csv only (never chooses the kept model).") var curveEvery: Int?
    @Option(help: "With --curve-every: the learning-curve evaluations read this many dev examples (a fixed seeded draw, the same for every run); dev_metric in train_log.csv then holds only those. Default: all.") var curveExamples: Int?
    @Option(help: "Warm-up fraction of the steps.") var warmup = 0.1
    @Option(help: "Decoupled weight decay (not on biases and LayerNorm).") var weightDecay = 0.01
    @OptionGroup var examples: TrainingSubsetOptions
    @Flag(help: "Skip malformed data rows (counted) instead of failing.") var skipBadRows = false
    @Flag(help: "Continue from OUTPUT/checkpoint-last (same options).") var resume = false
    @OptionGroup var threading: ThreadOptions

    func check() throws { try job.validate() }

    func execute() throws { try printJSONLine(try job.run(resume: resume, log: TaskData.standardError)) }

    var job: FineTuneJob {
        var job = FineTuneJob(model: model, taskData: examples.taskData(taskArguments, skipBadRows: skipBadRows), output: output)
        job.options.epochs = epochs; job.options.logEvery = logEvery; job.options.curveEvery = curveEvery; job.options.curveExamples = curveExamples; job.options.warmupFraction = warmup; job.options.weightDecay = weightDecay
        job.options.batchSize = training.batchSize; job.options.learningRate = training.lr; job.options.seed = training.seed
        job.options.evalEvery = training.evalEvery
        return job
    }

    static func arguments(_ job: FineTuneJob) -> [String] {
        let o = job.options, d = FineTuneOptions(), data = job.taskData
        var a = ArgumentWriter("finetune", ["--model": job.model])
        a.task(data)
        a.options(["--output": job.output, "--epochs": o.epochs, "--lr": o.learningRate, "--batch-size": o.batchSize,
                   "--eval-every": o.evalEvery, "--log-every": o.logEvery, "--curve-every": o.curveEvery, "--curve-examples": o.curveExamples, "--seed": o.seed])
        a.nondefault(["--warmup": (o.warmupFraction, d.warmupFraction), "--weight-decay": (o.weightDecay, d.weightDecay)])
        a.subset(data.subset)
        a.options(["--skip-bad-rows": data.skipBadRows])
        return a.words
    }
}
