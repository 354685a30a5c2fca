import AdaptiveSplit
import ArgumentParser
import BERT
import Curvature
import Foundation
import Numerics
import Quantization
import Text
import Training

extension SplitGain: ExpressibleByArgument {}
extension SplitSelection: ExpressibleByArgument {}

/// `binarybert adaptive-split`: choose which matrices to split under a size budget, and build that model.
struct AdaptiveSplitCommand: OutputCommand {
    static let configuration = CommandConfiguration(commandName: "adaptive-split",
        abstract: "Adaptive splitting (BinaryBERT §3.3): split only the most sensitive matrices, within a size budget.",
        discussion: """
        Steps, each marked finished in OUTPUT/.stages and skipped by a rerun with the same options (a killed run \
        continues; training resumes from its \
        checkpoints): a TWN base (OUTPUT/ternary, or --ternary DIR); the sensitivity of every quantized matrix at that \
        base (sensitivity.csv: measured = the probe loss's increase when the matrix alone is binarized; curvature = \
        ½·tr(H)/n·‖ŵ_bin − ŵ_ter‖² with tr(H) of its Hessian block by Hutch++), both always computed, with their rank \
        correlation; the selection (selection.json: max = exact 0/1 knapsack by dynamic programming on costs rounded up \
        to --resolution bytes, with the bound on what the rounding can lose; random = seeded order; min = least gain \
        first); the mixed ternary/binary model trained by distillation (mixed/); its ternary part split exactly (split/, \
        float64, checked against the mixed model); binary fine-tuning (final/); the packed export (packed/), checked \
        against the budget. adaptive-split.json (also in final/) records which matrices were split and why. The budget is \
        the packed size in MB (1024² bytes of `export --packed`'s data section) between the all-binary model and the \
        fully split one; outside that range it is refused with the range.
        """)

    @Option(help: "Fine-tuned full-precision teacher directory.") var teacher: String
    @Option(help: "Task name.") var task: String
    @Option(help: "Data directory.") var data: String
    @Option(help: "Output directory.") var output: String
    @Option(help: "Size budget of the packed model in MB (1024² bytes).") var budget: Double?
    @Option(help: "Start from the finished sensitivity table of another adaptive-split output with the same base and probe options (its sensitivity.csv and .json are copied; their provenance is checked).")
    var sensitivities: String?
    @Option(help: "Size budget as a fraction of the feasible range, in [0, 1] (0: all binary, 1: every matrix split; instead of --budget).")
    var budgetFraction: Double?
    @Option(help: "Sensitivity that drives the selection: \(SplitGain.allCases.map(\.rawValue).joined(separator: ", ")).")
    var gain: SplitGain = .measured
    @Option(help: "Selection rule: \(SplitSelection.allCases.map(\.rawValue).joined(separator: ", ")) (max: exact knapsack; random and min: controls).")
    var selection: SplitSelection = .max
    @Option(help: "Seed of --selection random.") var selectionSeed: UInt64 = 0
    @Option(help: "Knapsack cost resolution in bytes (≥ 1).") var resolution = 256
    @Option(help: "A trained TWN model to start from instead of training OUTPUT/ternary.") var ternary: String?
    @Option(help: "Training examples of the sensitivities' probe objective.") var probeExamples = 32
    @Option(help: "Examples per probe batch.") var probeBatchSize = 16
    @Option(help: "Draw the probe examples at random with this seed (default: the first ones).") var sampleSeed: UInt64?
    @Option(help: "Hutch++ matrix-vector products per matrix (≥ 6).") var traceMatvecs = 12
    @Option(help: "Seed of the Hutch++ probes.") var traceSeed: UInt64 = 0
    @Option(help: "Precision of the sensitivities: float32 or float64.") var dtype: DType = .float32
    @Option(help: "Epochs per distillation stage of the TWN base (without --ternary); 0 = post-training quantization.") var ternaryEpochs = 2
    @Option(help: "Epochs per distillation stage of the mixed model; 0 = none.") var mixedEpochs = 2
    @Option(help: "Epochs per distillation stage of the binary fine-tuning after the split; 0 = none.") var finetuneEpochs = 2
    @Flag(help: "Distil the logits only (skip stage 1) at every training step.") var skipStage1 = false
    @Option(help: "Maximum tokens per example (≥ 2).") var maxLength = 128
    @Option(help: "Examples per step.") var batchSize = 32
    @Option(help: "Learning rate of stage 2 (stage 1 uses 2.5×).") var lr = 5e-5
    @Option(help: "Seed of training.") var seed: UInt64 = 42
    @Option(help: "Evaluate every N steps.") var evalEvery = 100
    @OptionGroup var examples: TrainingSubsetOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        switch (budget, budgetFraction) {
        case let (b?, nil): try OptionCheck.positive(b, "--budget")
        case let (nil, f?): try OptionCheck.number(f, "--budget-fraction", in: 0.0...1.0)
        default: throw ValidationError("give one of --budget MB and --budget-fraction F")
        }
        guard traceMatvecs >= 6 else { throw ValidationError("--trace-matvecs must be at least 6 (Hutch++ uses 3 groups of 2 or more), not \(traceMatvecs)") }
        try OptionCheck.positive(resolution, "--resolution", max: 1 << 30)
        try OptionCheck.positive(probeExamples, "--probe-examples")
        try OptionCheck.positive(probeBatchSize, "--probe-batch-size", max: 65_536)
        try OptionCheck.positive(traceMatvecs, "--trace-matvecs", max: 100_000)
        try OptionCheck.epochs(ternaryEpochs, "--ternary-epochs", allowZero: true)
        try OptionCheck.epochs(mixedEpochs, "--mixed-epochs", allowZero: true)
        try OptionCheck.epochs(finetuneEpochs, "--finetune-epochs", allowZero: true)
        try OptionCheck.maxLength(maxLength)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.positive(evalEvery, "--eval-every")
        try OptionCheck.learningRate(lr)
    }

    func execute() throws {
        try printJSONLine(try job.run(version: BinaryBERTVersion.string))
    }

    /// The command's typed options.
    var job: AdaptiveSplitJob {
        var o = AdaptiveSplitOptions(budgetMegabytes: budget ?? 0, teacher: teacher, task: task, data: data)
        o.gain = gain; o.selection = selection; o.selectionSeed = selectionSeed; o.resolutionBytes = resolution
        o.probeExamples = probeExamples; o.probeBatchSize = probeBatchSize; o.probeSeed = sampleSeed
        o.traceMatvecs = traceMatvecs; o.traceSeed = traceSeed; o.dtype = dtype.rawValue
        o.ternaryEpochs = ternaryEpochs; o.mixedEpochs = mixedEpochs; o.fineTuneEpochs = finetuneEpochs; o.skipStage1 = skipStage1
        o.batchSize = batchSize; o.learningRate = lr; o.seed = seed; o.evalEvery = evalEvery; o.maxLength = maxLength
        o.ternary = ternary; o.trainSubset = examples.choice?.count; o.trainSubsetSeed = examples.choice?.seed
        var job = AdaptiveSplitJob(options: o, output: output)
        job.budgetFraction = budgetFraction
        job.sensitivities = sensitivities
        return job
    }

    /// `job` as this command's arguments: the options the report always states, the others when they are not the default.
    static func arguments(_ job: AdaptiveSplitJob) -> [String] {
        let o = job.options, d = AdaptiveSplitOptions(budgetMegabytes: 0, teacher: "", task: "", data: "")
        var a = ArgumentWriter("adaptive-split")
        a.options(["--teacher": o.teacher, "--ternary": o.ternary])
        a.task(o.task, data: o.data, maxLength: o.maxLength)
        a.options(["--output": job.output])
        if let f = job.budgetFraction { a.options(["--budget-fraction": ArgumentWriter.number(f)]) } else { a.options(["--budget": o.budgetMegabytes]) }
        a.options(["--selection": o.selection.rawValue, "--gain": o.gain.rawValue, "--selection-seed": o.selectionSeed])
        a.nondefault(["--resolution": (o.resolutionBytes, d.resolutionBytes)])
        a.flag("--skip-stage1", o.skipStage1)
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
