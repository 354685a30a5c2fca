import ArgumentParser
import Foundation
import Quantization
import Storage
import Training

/// `binarybert quantize`: quantization-aware training by two-stage distillation from a full-precision teacher.
struct QuantizeCommand: OutputCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "quantize",
        abstract: "Distil a weight-quantized student from a fine-tuned full-precision teacher (two stages).",
        discussion: """
        --weight-bits 2 trains a ternary student (TWN, or loss-aware with --weight-method laq), 1 a BWN binary one (the \
        paper's baseline), 4 and 8 uniform ones. Stage 1 (attention scores and hidden states, LR × 2.5) keeps its last \
        state in OUTPUT/stage1, stage 2 (logits) the best dev checkpoint in OUTPUT. --init DIR starts from another \
        quantized model, e.g. `split`'s output for BinaryBERT's binary fine-tuning; --width W < 1 first slices the teacher \
        (ranked by importance) and fine-tunes it into OUTPUT/teacher-wW, which then serves as teacher and initial student.
        """)

    @Option(help: "Fine-tuned full-precision teacher directory.") var teacher: String
    @OptionGroup var taskArguments: TaskArguments
    @Option(help: "Output directory.") var output: String
    @Option(help: "Weight bits: 1 (binary), 2 (ternary), 4 or 8.") var weightBits: Int
    @Option(help: "Ternary method (--weight-bits 2): twn or laq (loss-aware).") var weightMethod = "twn"
    @Option(help: "Activation bits: 8 (learnable clip), 4 (LSQ, and a ReLU FFN in the student) or 32.") var actBits = 8
    @Option(help: "Student width relative to the teacher, in (0, 1].") var width = 1.0
    @Flag(inversion: .prefixedNo, help: "With --width < 1: rank heads and neurons by importance before slicing (--no-rank keeps the first ones).") var rank = true
    @Option(help: "With --width < 1: training batches for the importance ranking.") var rankBatches = 32
    @Option(help: "With --width < 1: epochs of fine-tuning the sliced teacher.") var teacherEpochs = 2
    @Option(help: "Start from this (quantized) model directory instead of the teacher.") var `init`: String?
    @Option(help: "Epochs per stage; 0 trains nothing: it saves the quantized initialisation (post-training quantization) with its dev metrics.") var epochs = 2
    @OptionGroup var training: TrainingArguments
    @Option(help: "Keep the student every N steps of each stage (and before the first) in OUTPUT/stage1/snapshots/ and OUTPUT/snapshots/.") var saveEvery: Int?
    @Flag(help: "Skip stage 1.") var skipStage1 = false
    @Option(help: "Add a row to train_log.csv every N steps of each stage with the mean training loss since the previous row (dev_metric empty).") var logEvery: Int?
    @Option(help: "Learning curve: also evaluate on dev before the first step and every N steps of each stage, into train_log.csv only (never chooses the kept model, never changes the run).") var curveEvery: Int?
    @Option(help: "With --curve-every: the learning-curve evaluations read this many dev examples (a fixed seeded draw, the same for every run); dev_metric in train_log.csv then holds only those. Default: all.") var curveExamples: Int?
    @Flag(help: "Do not evaluate stage 1 on dev (it keeps its last state whatever its dev metric).") var noStage1Eval = false
    @Flag(help: "Continue an interrupted run in OUTPUT with the same options (a finished stage 1 is loaded, an unfinished stage continues).") var resume = false
    @Option(help: "Keep the teacher's distillation targets of each batch in this folder and read them back when a run on the same batches stored them (students of one seed share it; the results are the same bytes).") var teacherCache: String?
    @OptionGroup var examples: TrainingSubsetOptions
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        try job.validate()
        if let teacherCache {
            var isFolder: ObjCBool = false
            guard !teacherCache.isEmpty else { throw OptionError("--teacher-cache must name a folder, not an empty path") }
            if FileManager.default.fileExists(atPath: teacherCache, isDirectory: &isFolder) && !isFolder.boolValue {
                throw OptionError("--teacher-cache \(teacherCache) is a file, not a folder")
            }
        }
    }

    func execute() throws { try printJSONLine(try job.run(resume: resume, teacherCache: teacherCache, log: TaskData.standardError)) }

    var job: QuantizeJob {
        var o = DistillationOptions()
        o.epochsPerStage = epochs; o.batchSize = training.batchSize; o.learningRate = training.lr; o.seed = training.seed
        o.evalEvery = training.evalEvery; o.skipStage1 = skipStage1; o.snapshotEvery = saveEvery; o.logEvery = logEvery; o.curveEvery = curveEvery; o.curveExamples = curveExamples; o.evaluateStage1 = !noStage1Eval
        var job = QuantizeJob(teacher: teacher, taskData: examples.taskData(taskArguments), output: output, weightBits: weightBits)
        job.weightMethod = weightMethod; job.activationBits = actBits; job.initial = `init`; job.distillation = o
        job.width = width; job.rank = rank; job.rankBatches = rankBatches; job.teacherEpochs = teacherEpochs
        return job
    }

    static func arguments(_ job: QuantizeJob) -> [String] {
        let o = job.distillation, data = job.taskData, d = QuantizeJob(teacher: "", taskData: data, output: "", weightBits: 0)
        var a = ArgumentWriter("quantize", ["--teacher": job.teacher])
        a.task(data)
        a.options(["--output": job.output, "--weight-bits": job.weightBits])
        a.nondefault(["--weight-method": (job.weightMethod, d.weightMethod), "--act-bits": (job.activationBits, d.activationBits),
                      "--width": (job.width, d.width)])
        a.options(["--no-rank": !job.rank])
        a.nondefault(["--rank-batches": (job.rankBatches, d.rankBatches), "--teacher-epochs": (job.teacherEpochs, d.teacherEpochs)])
        a.options(["--epochs": o.epochsPerStage, "--lr": o.learningRate, "--batch-size": o.batchSize, "--eval-every": o.evalEvery,
                   "--log-every": o.logEvery, "--curve-every": o.curveEvery, "--curve-examples": o.curveExamples, "--no-stage1-eval": !o.evaluateStage1, "--skip-stage1": o.skipStage1, "--seed": o.seed,
                   "--save-every": o.snapshotEvery, "--init": job.initial])
        a.subset(data.subset)
        return a.words
    }
}
