import AdaptiveSplit
import ArgumentParser
import Numerics
import Training

extension SplitGain: ExpressibleByArgument {}
extension SplitSelection: ExpressibleByArgument {}

/// `binarybert adaptive-split`: choose which matrices to split under a size budget, and build that model.
struct AdaptiveSplitCommand: OutputCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "adaptive-split",
        abstract: "Adaptive splitting (BinaryBERT §3.3): split only the most sensitive matrices, within a size budget.",
        discussion: """
        Steps, each kept in OUTPUT and skipped by a rerun with the same options (a killed run continues): a TWN base, \
        every quantized matrix's sensitivity (sensitivity.csv: measured and curvature), the selection (selection.json), \
        the mixed ternary/binary model trained (mixed/), split exactly (split/), fine-tuned (final/) and packed (packed/); \
        adaptive-split.json records the choice. The budget is the packed size in MB (1024² bytes) between the all-binary \
        and the fully split model; outside that range it is refused with the range. Details: Analyses/README.md.
        """)

    @Option(help: "Fine-tuned full-precision teacher directory.") var teacher: String
    @OptionGroup var taskArguments: TaskArguments
    @Option(help: "Output directory.") var output: String
    @Option(help: "Size budget of the packed model in MB (1024² bytes).") var budget: Double?
    @Option(help: "Budget as a fraction of the feasible range, in [0, 1] (0: all binary, 1: every matrix split).") var budgetFraction: Double?
    @Option(help: "Adopt the finished sensitivity table of another adaptive-split output with the same base and probe options.") var sensitivities: String?
    @Option(help: "Sensitivity that drives the selection.") var gain: SplitGain = .measured
    @Option(help: "Selection rule (max: exact knapsack; random and min: controls).") var selection: SplitSelection = .max
    @Option(help: "Seed of --selection random.") var selectionSeed: UInt64 = 0
    @Option(help: "Knapsack cost resolution in bytes.") var resolution = 256
    @Option(help: "A trained TWN model to start from instead of training OUTPUT/ternary.") var ternary: String?
    @Option(help: "Training examples of the sensitivities' probe objective.") var probeExamples = 32
    @Option(help: "Examples per probe batch.") var probeBatchSize = 16
    @Option(help: "Draw the probe examples at random with this seed (default: the first ones).") var sampleSeed: UInt64?
    @Option(help: "Hutch++ matrix-vector products per matrix (≥ 6).") var traceMatvecs = 12
    @Option(help: "Seed of the Hutch++ probes.") var traceSeed: UInt64 = 0
    @Option(help: "Precision of the sensitivities.") var dtype: DType = .float32
    @Option(help: "Epochs per distillation stage of the TWN base (without --ternary); 0 = post-training quantization.") var ternaryEpochs = 2
    @Option(help: "Epochs per distillation stage of the mixed model; 0 = none.") var mixedEpochs = 2
    @Option(help: "Epochs per distillation stage of the binary fine-tuning after the split; 0 = none.") var finetuneEpochs = 2
    @Flag(help: "Distil the logits only (skip stage 1) at every training step.") var skipStage1 = false
    @OptionGroup var training: TrainingArguments
    @OptionGroup var examples: TrainingSubsetOptions
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        guard (budget == nil) != (budgetFraction == nil) else { throw ValidationError("give one of --budget MB and --budget-fraction F") }
        try job.validate()
    }

    func execute() throws { try printJSONLine(try job.run(version: BinaryBERTVersion.string)) }

    var job: AdaptiveSplitJob {
        let t = taskArguments
        var o = AdaptiveSplitOptions(budgetMegabytes: budget ?? 0, teacher: teacher, task: t.task, data: t.data)
        o.gain = gain; o.selection = selection; o.selectionSeed = selectionSeed; o.resolutionBytes = resolution
        o.probeExamples = probeExamples; o.probeBatchSize = probeBatchSize; o.probeSeed = sampleSeed
        o.traceMatvecs = traceMatvecs; o.traceSeed = traceSeed; o.dtype = dtype.rawValue
        o.ternaryEpochs = ternaryEpochs; o.mixedEpochs = mixedEpochs; o.fineTuneEpochs = finetuneEpochs; o.skipStage1 = skipStage1
        o.batchSize = training.batchSize; o.learningRate = training.lr; o.seed = training.seed; o.evalEvery = training.evalEvery
        o.maxLength = t.maxLength; o.ternary = ternary; o.trainSubset = examples.choice?.count; o.trainSubsetSeed = examples.choice?.seed
        var job = AdaptiveSplitJob(options: o, output: output)
        job.budgetFraction = budgetFraction; job.sensitivities = sensitivities
        return job
    }

    static func arguments(_ job: AdaptiveSplitJob) -> [String] {
        let o = job.options, d = AdaptiveSplitOptions(budgetMegabytes: 0, teacher: "", task: "", data: "")
        var a = ArgumentWriter("adaptive-split", ["--teacher": o.teacher, "--ternary": o.ternary])
        a.task(job.taskData)
        a.options(["--output": job.output, "--budget-fraction": job.budgetFraction.map(ArgumentWriter.number),
                   "--budget": job.budgetFraction == nil ? o.budgetMegabytes : nil,
                   "--selection": o.selection.rawValue, "--gain": o.gain.rawValue, "--selection-seed": o.selectionSeed])
        a.nondefault(["--resolution": (o.resolutionBytes, d.resolutionBytes)])
        a.options(["--skip-stage1": o.skipStage1])
        a.nondefault(["--ternary-epochs": (o.ternaryEpochs, d.ternaryEpochs)])
        a.options(["--mixed-epochs": o.mixedEpochs, "--finetune-epochs": o.fineTuneEpochs, "--probe-examples": o.probeExamples])
        a.nondefault(["--probe-batch-size": (o.probeBatchSize, d.probeBatchSize)])
        a.options(["--sample-seed": o.probeSeed, "--trace-matvecs": o.traceMatvecs])
        a.nondefault(["--trace-seed": (o.traceSeed, d.traceSeed), "--dtype": (o.dtype, d.dtype)])
        a.options(["--batch-size": o.batchSize, "--lr": o.learningRate, "--eval-every": o.evalEvery, "--seed": o.seed,
                   "--sensitivities": job.sensitivities])
        a.subset(job.taskData.subset)
        return a.words
    }
}
