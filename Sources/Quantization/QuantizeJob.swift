import BERT
import Foundation
import Storage
import Training

/// `binarybert quantize`: a weight-quantized student distilled from a fine-tuned full-precision teacher in two stages
/// (`DistillationPipeline`), into `output`.
public struct QuantizeJob: Codable, Sendable, Equatable {
    public var teacher: String
    public var output: String
    public var taskData: TaskDataOptions
    /// 1 (BWN), 2 (ternary: `weightMethod`), 4 or 8 (uniform).
    public var weightBits: Int
    /// The ternary method: twn, or laq (loss-aware).
    public var weightMethod = "twn"
    /// 8 (learnable clip), 4 (LSQ, with a ReLU FFN in the student) or 32.
    public var activationBits = 8
    /// Below 1: the teacher's heads and FFN neurons are ranked by importance on `rankBatches` training batches (or
    /// kept in order without `rank`), sliced to this width and fine-tuned for `teacherEpochs` (`WidthTeacher`).
    public var width = 1.0
    public var rank = true
    public var rankBatches = 32
    public var teacherEpochs = 2
    /// Start from this (quantized) model directory instead of the teacher.
    public var initial: String?
    public var distillation = DistillationOptions()

    public init(teacher: String, taskData: TaskDataOptions, output: String, weightBits: Int) {
        self.teacher = teacher
        self.taskData = taskData
        self.output = output
        self.weightBits = weightBits
    }

    /// The paths it reads.
    public var reads: [String] { [teacher, taskData.data] + (initial.map { [$0] } ?? []) }

    /// Refuses, before any work, options out of range or that do not fit together (one sentence naming the options).
    public func validate() throws {
        guard [1, 2, 4, 8].contains(weightBits) else { throw OptionError("--weight-bits must be 1, 2, 4 or 8") }
        guard [4, 8, 32].contains(activationBits) else { throw OptionError("--act-bits must be 4, 8 or 32") }
        try distillation.validate()
        try taskData.validate()
        try OptionCheck.epochs(teacherEpochs, "--teacher-epochs")
        try OptionCheck.positive(rankBatches, "--rank-batches", max: 1_000_000)
        guard width > 0, width <= 1 else { throw OptionError("--width must lie in (0, 1]") }
        guard ["twn", QuantizationSpec.lossAwareMethod].contains(weightMethod) else { throw OptionError("--weight-method must be twn or laq") }
        if weightMethod == QuantizationSpec.lossAwareMethod && weightBits != 2 {
            throw OptionError("--weight-method laq is ternary: it needs --weight-bits 2")
        }
    }

    /// Distils the student (with `resume`, continues an interrupted run in `output`); with 0 epochs it saves the
    /// quantized initialisation with its dev metrics. `log` gets one line about the student. `teacherCache` names a
    /// folder of the teacher's targets shared by runs on the same batches (`TeacherCache`): it changes no result,
    /// so it is no part of the job.
    public func run(resume: Bool, teacherCache: String? = nil, log: (String) -> Void) throws -> TrainingSummary {
        let o = distillation
        let loaded = try taskData.load(model: teacher)
        let train = loaded.train, dev = loaded.dev
        let teacherDir = URL(fileURLWithPath: teacher), out = URL(fileURLWithPath: output)
        var teacherModel = try ModelDirectory.load(teacherDir, as: Float.self)
        var narrow: WidthTeacher.Result?
        if width < 1 {
            var fine = FineTuneOptions()
            fine.epochs = teacherEpochs; fine.batchSize = o.batchSize; fine.learningRate = o.learningRate; fine.seed = o.seed; fine.evalEvery = o.evalEvery
            narrow = try WidthTeacher.prepare(full: teacherModel, train: train, dev: dev, options: .init(
                width: width, rank: rank, rankBatches: rankBatches, fineTune: fine, maxLength: taskData.maxLength),
                output: out, tokenizerSource: teacherDir, progress: ProgressReporter(), resume: resume)
            teacherModel = narrow!.teacher
        }
        let student = try self.student(base: narrow?.directory ?? teacherDir)
        if resume && o.epochsPerStage > 0 && narrow == nil && !DistillationPipeline.hasProgress(in: out, skipStage1: o.skipStage1) {
            // As finetune: --resume continues a run; it never silently starts one (a typo in --output would retrain).
            throw TrainingError.resumeMismatch("\(output) holds no checkpoint and no finished stage 1 (the run stopped before its first checkpoint?): run again without --resume")
        }
        log("quantize: \(student.spec.method) W\(student.spec.weightBits)A\(activationBits), train \(train.count), dev \(dev.count)")
        let summary = o.epochsPerStage == 0
            ? try DistillationPipeline.evaluateInitial(student: student, train: train, dev: dev, options: o, output: out, tokenizerSource: teacherDir)
            : try DistillationPipeline.run(student: student, teacher: teacherModel, train: train, dev: dev, options: o, output: out,
                                           tokenizerSource: teacherDir, resume: resume,
                                           teacherCache: try teacherCache.map { try TeacherCache(directory: URL(fileURLWithPath: $0), teacher: teacherModel) })
        if let narrow { try WidthTeacher.annotateMetrics(in: out, result: narrow, width: width) }
        return summary
    }

    /// The untrained student: `initial` when it is a quantized model of this job's bits, else `initial` (or the
    /// narrowed teacher, or the teacher in `base`) quantized.
    func student(base: URL) throws -> QuantizedBertModel<Float> {
        if let initial, let q = try QuantizedModelDirectory.load(URL(fileURLWithPath: initial), as: Float.self) {
            guard q.spec.weightBits == weightBits, q.spec.activationBits == activationBits else {
                throw QuantizationError.badInitial(path: initial, reason: "is W\(q.spec.weightBits)A\(q.spec.activationBits), not W\(weightBits)A\(activationBits)")
            }
            if weightBits == 2 && q.spec.method != weightMethod {
                throw QuantizationError.badInitial(path: initial, reason: "is a \(q.spec.method) model, not \(weightMethod) (--weight-method)")
            }
            guard distillation.epochsPerStage > 0 else {
                // Re-saving it would only round a split's float64 latent weights to float32.
                throw QuantizationError.badInitial(path: initial, reason: "is already quantized: it is its own starting point, so --epochs 0 has "
                                                + "nothing to do; evaluate it with `binarybert evaluate --model \(initial)`")
            }
            return q
        }
        var model = try ModelDirectory.load(initial.map { URL(fileURLWithPath: $0) } ?? base, as: Float.self)
        if activationBits == 4 && model.config.hiddenAct != "relu" {
            // The official 4-bit scripts give the student a ReLU FFN (LSQ quantizes its asymmetric input well).
            var config = model.config
            config.hiddenAct = "relu"
            let relu = try BertModel<Float>(config: config, pooler: model.hasPooler, classifier: model.classes != nil)
            relu.parameters.copy(from: model.parameters)
            model = relu
        }
        let method = weightBits == 2 ? weightMethod : weightBits == 1 ? "bwn" : "uniform"
        return try QuantizedBertModel(model: model, spec: QuantizationSpec(method: method, weightBits: weightBits, activationBits: activationBits,
                                                                           quantizedTensors: QuantizationSpec.defaultQuantizedTensors(model.table)))
    }
}
