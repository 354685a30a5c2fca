import ArgumentParser
import BERT
import Foundation
import Numerics
import Quantization
import Text
import Training

/// `binarybert quantize`: quantization-aware training by two-stage distillation from a full-precision teacher.
struct QuantizeCommand: OutputCommand {
    static let configuration = CommandConfiguration(commandName: "quantize",
        abstract: "Distil a weight-quantized student from a fine-tuned full-precision teacher (two stages).",
        discussion: """
        --weight-bits 2 trains a TWN ternary student (--weight-method laq: loss-aware ternarization, whose scales are \
        refitted with Adam's second moment after every step and stored in quantization.json), 1 a BWN binary one \
        (the paper's baseline; give it twice the epochs), 8 and 4 uniform ones. --init DIR starts from another quantized model directory instead of the \
        teacher, e.g. the output of `binarybert split` for BinaryBERT's binary fine-tuning. Stage 1 (attention \
        scores + hidden states, LR × 2.5) keeps its last state in OUTPUT/stage1; stage 2 (logits) keeps the best dev \
        checkpoint in OUTPUT. Activations: 8-bit symmetric/asymmetric uniform with learnable clip values (init ±2.5), \
        4-bit LSQ with a ReLU FFN in the student. --width W < 1: the teacher's heads and FFN neurons are ranked by \
        importance on --rank-batches training batches (--no-rank: keep the first ones), it is sliced to width W and \
        fine-tuned for --teacher-epochs into OUTPUT/teacher-wW, which then serves as teacher and student init.
        """)

    @Option(help: "Fine-tuned full-precision teacher directory.") var teacher: String
    @Option(help: "Task name.") var task: String
    @Option(help: "Data directory.") var data: String
    @Option(help: "Output directory.") var output: String
    @Option(help: "Weight bits: 1 (binary), 2 (ternary), 4 or 8.") var weightBits: Int
    @Option(help: "Ternary method (--weight-bits 2): twn or laq (loss-aware).") var weightMethod = "twn"
    @Option(help: "Activation bits: 8 (learnable clip), 4 (LSQ, and a ReLU FFN in the student) or 32.") var actBits = 8
    @Option(help: "Student width relative to the teacher, in (0, 1].") var width = 1.0
    @Flag(inversion: .prefixedNo, help: "With --width < 1: rank heads and neurons by importance before slicing (--no-rank keeps the first ones).") var rank = true
    @Option(help: "With --width < 1: training batches for the importance ranking.") var rankBatches = 32
    @Option(help: "With --width < 1: epochs of fine-tuning the sliced teacher.") var teacherEpochs = 2
    @Option(help: "Start from this (quantized) model directory instead of the teacher.") var `init`: String?
    @Option(help: "Epochs per stage; 0 trains nothing: it saves the quantized initialisation (post-training quantization) with its dev metrics.")
    var epochs = 2
    @Option(help: "Maximum tokens per example.") var maxLength = 128
    @Option(help: "Examples per step.") var batchSize = 32
    @Option(help: "Learning rate of stage 2 (stage 1 uses 2.5×).") var lr = 5e-5
    @Option(help: "Seed.") var seed: UInt64 = 42
    @Option(help: "Evaluate every N steps.") var evalEvery = 100
    @Option(help: "Keep the student every N steps of each stage (and before the first) in OUTPUT/stage1/snapshots/step-NNNNNN and OUTPUT/snapshots/, e.g. for curvature along training.")
    var saveEvery: Int?
    @Flag(help: "Skip stage 1.") var skipStage1 = false
    @Option(help: "Add a row to train_log.csv every N steps of each stage with the mean training loss since the previous row (dev_metric empty).")
    var logEvery: Int?
    @Flag(help: "Do not evaluate stage 1 on dev (it keeps its last state whatever its dev metric; stage1/train_log.csv rows get no dev_metric, stage1/metrics.json no metrics).")
    var noStage1Eval = false
    @Flag(help: "Continue an interrupted run in OUTPUT with the same options (a finished stage 1 is loaded, an unfinished stage continues from its checkpoint-last/).")
    var resume = false
    @OptionGroup var examples: TrainingSubsetOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard [1, 2, 4, 8].contains(weightBits) else { throw ValidationError("--weight-bits must be 1, 2, 4 or 8") }
        guard [4, 8, 32].contains(actBits) else { throw ValidationError("--act-bits must be 4, 8 or 32") }
        if let saveEvery, saveEvery <= 0 { throw ValidationError("--save-every must be positive, not \(saveEvery)") }
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.positive(evalEvery, "--eval-every")
        try OptionCheck.positive(logEvery, "--log-every")
        try OptionCheck.epochs(epochs, allowZero: true)
        try OptionCheck.epochs(teacherEpochs, "--teacher-epochs")
        try OptionCheck.maxLength(maxLength)
        try OptionCheck.learningRate(lr)
        try OptionCheck.positive(rankBatches, "--rank-batches", max: 1_000_000)
        guard width > 0, width <= 1, rankBatches > 0, teacherEpochs > 0 else {
            throw ValidationError("--width must lie in (0, 1]; --rank-batches and --teacher-epochs must be positive")
        }
        guard ["twn", QuantizationSpec.lossAwareMethod].contains(weightMethod) else { throw ValidationError("--weight-method must be twn or laq") }
        if weightMethod == QuantizationSpec.lossAwareMethod && weightBits != 2 {
            throw ValidationError("--weight-method laq is ternary: it needs --weight-bits 2")
        }
    }

    func execute() throws {
        try printJSONLine(try job.run(resume: resume, log: TaskData.standardError))
    }

    /// The command's typed options.
    var job: QuantizeJob {
        var o = DistillationOptions()
        o.epochsPerStage = epochs; o.batchSize = batchSize; o.learningRate = lr; o.seed = seed; o.evalEvery = evalEvery
        o.skipStage1 = skipStage1; o.snapshotEvery = saveEvery; o.logEvery = logEvery; o.evaluateStage1 = !noStage1Eval
        var job = QuantizeJob(teacher: teacher, taskData: examples.taskData(task: task, data: data, maxLength: maxLength), output: output,
                              weightBits: weightBits)
        job.weightMethod = weightMethod; job.activationBits = actBits; job.initial = `init`; job.distillation = o
        job.width = width; job.rank = rank; job.rankBatches = rankBatches; job.teacherEpochs = teacherEpochs
        return job
    }

    /// `job` as this command's arguments: the options the report always states, the others when they are not the default.
    static func arguments(_ job: QuantizeJob) -> [String] {
        let o = job.distillation, data = job.taskData, d = QuantizeJob(teacher: "", taskData: data, output: "", weightBits: 0)
        var a = ArgumentWriter("quantize")
        a.options(["--teacher": job.teacher])
        a.task(data.task, data: data.data, maxLength: data.maxLength)
        a.options(["--output": job.output, "--weight-bits": job.weightBits])
        a.nondefault(["--weight-method": (job.weightMethod, d.weightMethod), "--act-bits": (job.activationBits, d.activationBits),
                   "--width": (job.width, d.width)])
        a.flag("--no-rank", !job.rank)
        a.nondefault(["--rank-batches": (job.rankBatches, d.rankBatches), "--teacher-epochs": (job.teacherEpochs, d.teacherEpochs)])
        a.options(["--epochs": o.epochsPerStage, "--lr": o.learningRate, "--batch-size": o.batchSize, "--eval-every": o.evalEvery,
                   "--log-every": o.logEvery])
        a.flag("--no-stage1-eval", !o.evaluateStage1)
        a.flag("--skip-stage1", o.skipStage1)
        a.options(["--seed": o.seed, "--save-every": o.snapshotEvery, "--init": job.initial])
        a.subset(data.subset)
        return a.words
    }
}
