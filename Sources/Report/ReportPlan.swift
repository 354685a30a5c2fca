import AdaptiveSplit
import BERT
import Curvature
import Foundation
import Landscape
import Numerics
import Probe
import Quantization
import Training

/// The commands of a report in dependency order, from its spec: the full-precision teacher (one, shared), then for
/// every replicate seed the ternary (TWN) and binary (BWN, with the TWS route's steps) students, the uniform 8- and
/// 4-bit students of Fig. 1, the TWS split of the ternary model and its binary fine-tuning, and every probe of the
/// report on that replicate's models with the replicate's own draws (probe examples, directions, Lanczos starts);
/// the packed exports of the first replicate. Paths are relative to the work directory.
public struct ReportPlan: Sendable {
    public let spec: ReportSpec
    /// Layers of the model (the spec's layer choices are resolved against it).
    public let layers: Int
    /// Training examples after the subset (the snapshot steps follow from it).
    public let trainExamples: Int
    /// The work directory every output lies in (as given: relative paths stay relative to the current directory).
    public let work: String
    public private(set) var stages: [ReportStage] = []

    /// The model names of a replicate folder, in the report's order.
    public static let teacher = "teacher", ternary = "ternary", bwn = "bwn", bwnSingle = "bwn-1x", split = "tws-split", tws = "tws"
    /// The students whose distillation curves the report draws (evaluated every `curve_every` steps).
    static let curveModels: Set = [ternary, bwn, bwnSingle, tws]
    public static func uniform(_ bits: Int) -> String { "w\(bits)a8" }
    /// Fig. 3's views besides the raw Hessian, by the name of their stage and table: the generalized Gauss–Newton
    /// matrix and the Hessian in the coordinates w/|w| (D·H·D, D = diag(|w|)).
    public static let curvatureViews: [(name: String, view: CurvatureView)] = [
        ("ggn", CurvatureView(product: .ggn, scale: .none)), ("normalized", CurvatureView(product: .hessian, scale: .weights)),
    ]
    /// The three models every probe compares.
    public static let probed = [teacher, ternary, bwn]
    /// The students' adaptive sharpness, each case at its radius in quantization steps (RMS over the quantized
    /// weights): the average case over Gaussian draws at about the size of a quantization error, the worst case by
    /// projected gradient ascent at a radius where its rise stays well below the loss itself.
    public static let sharpness: [(name: String, rho: Double, samples: Int, steps: Int)] = [("average", 0.5, 16, 0), ("worst", 0.001, 0, 10)]

    public init(spec: ReportSpec, work: String, layers: Int, trainExamples: Int) throws {
        try spec.validate()
        guard layers >= 2 else { throw ReportError.badSpec("the report probes value@0,1: the model needs at least 2 layers, not \(layers)") }
        _ = try ReportSpec.layerList(spec.perModuleLayers, layers: layers)
        guard trainExamples > 0 else { throw ReportError.badSpec("the training split of \(spec.data) is empty") }
        self.spec = spec
        self.layers = layers
        self.trainExamples = min(trainExamples, spec.trainSubset ?? .max)
        self.work = work.hasSuffix("/") && work.count > 1 ? String(work.dropLast()) : work
        stages = build()
    }

    /// The plan as `report --dry-run` prints it: every stage's command line (on `threads` threads) and estimated seconds.
    public struct Listing: Encodable {
        public struct Stage: Encodable { public var id: String, command: String, estimatedSeconds: Double }
        public var stages: [Stage]
        public var estimatedSeconds: Double
    }

    public func listing(_ commandLine: StageCommandLine, threads: Int) -> Listing {
        Listing(stages: stages.map { stage in
            let words = ["binarybert"] + commandLine.arguments(stage.command, threads: threads, resume: false)
            return Listing.Stage(id: stage.id, command: words.joined(separator: " "), estimatedSeconds: stage.cost.rounded())
        }, estimatedSeconds: stages.reduce(0) { $0 + $1.cost }.rounded())
    }

    /// A replicate's folder under the work directory.
    public static func replicateFolder(_ seed: UInt64) -> String { "rep-\(seed)" }
    public var replicates: [UInt64] { spec.replicateSeeds }
    /// A model of a replicate (the teacher is shared by all of them).
    public func model(_ name: String, replicate seed: UInt64) -> String {
        name == Self.teacher ? "\(work)/\(Self.teacher)" : "\(work)/\(Self.replicateFolder(seed))/\(name)"
    }
    public func probes(_ seed: UInt64) -> String { "\(work)/\(Self.replicateFolder(seed))/probes" }

    /// The per-module table's layers: "first,last", "all" or the spec's own list.
    /// The layers of the module heterogeneity: the first and the last.
    public var heterogeneityLayers: String { layers > 1 ? "0,\(layers - 1)" : "0" }
    public var perModuleLayers: String {
        ((try? ReportSpec.layerList(spec.perModuleLayers, layers: layers)) ?? [0]).map(String.init).joined(separator: ",")
    }

    /// Steps of one distillation stage, and the steps a snapshot is kept at (0, every N, and the last).
    /// Epochs per distillation stage of a student: the BWN baseline gets the TWS route's budget (the ternary
    /// student's epochs, then as many again for the split model's fine-tuning); `bwn-1x` the ternary student's.
    public func epochs(of name: String) -> Int { name == Self.bwn ? 2 * spec.studentEpochs : spec.studentEpochs }
    public func stageSteps(epochs: Int) -> Int { (trainExamples + spec.batchSize - 1) / spec.batchSize * epochs }
    public func snapshotSteps(epochs: Int) -> [Int] {
        let total = stageSteps(epochs: epochs)
        var steps = Array(stride(from: 0, through: total, by: spec.snapshotEvery))
        if steps.last != total { steps.append(total) }
        return steps
    }

    /// The task data of every training stage: the spec's task, sequence length and training subset.
    var taskData: TaskDataOptions {
        TaskDataOptions(task: spec.task, data: spec.data, maxLength: spec.maxLength,
                        subset: spec.trainSubset.map { TrainingSubset(count: $0, seed: spec.subsetSeed) })
    }
    /// The probes' objective of a replicate: a seeded (balanced) draw of the training split, not its first N rows
    /// (rt-polarity's file is sorted by label); each replicate draws its own.
    func objective(_ examples: Int, replicate seed: UInt64, batchSize: Int? = nil) -> ProbeObjectiveOptions {
        var o = ProbeObjectiveOptions(task: spec.task, data: spec.data)
        o.examples = examples; o.sampleSeed = seed; o.batchSize = batchSize ?? min(32, examples); o.maxLength = spec.maxLength
        return o
    }
    /// The first direction seed of a replicate's random directions (its `direction_seeds` follow it).
    func directionSeed(_ seed: UInt64) -> UInt64 { seed * 1000 }
    /// A square grid of n × n points on [lo, hi]², or n points on [lo, hi] when `square` is false.
    static func grid(_ lo: Double, _ hi: Double, _ n: Int, square: Bool = true) -> SurfaceGrid {
        let axis = GridAxis(min: lo, max: hi, count: n)
        return SurfaceGrid(x: axis, y: square ? axis : nil)
    }

    /// Seconds of one training step and one scan point at the quick preset's size, measured on 2 cores (AMD EPYC,
    /// OpenBLAS SkylakeX kernels): the plan's per-stage estimates came within ~20 % of the quick run's stage seconds.
    var stepCost: Double { Double(spec.batchSize * spec.maxLength) / 1024 * 0.9 }
    var pointCost: Double { Double(spec.probeExamples * spec.maxLength) / 1024 * 0.25 }

    /// Stage ids are the outputs relative to the work directory.
    mutating func add(_ stage: ReportStage) {
        var s = stage
        if s.id.hasPrefix(work + "/") { s.id = String(s.id.dropFirst(work.count + 1)) }
        s.inputs = s.reads(stages)
        stages.append(s)
    }

    func build() -> [ReportStage] {
        var plan = self
        plan.stages = []
        plan.addTeacher()
        for (k, seed) in replicates.enumerated() {
            plan.addTraining(seed: seed, exports: k == 0)
            plan.addProbes(seed: seed)
        }
        plan.addAdaptiveSplit()
        return plan.stages
    }

    /// The adaptive-split runs (`adaptive/<run>`): both ends of the size range and, per interior budget, max and min
    /// with each gain and one seeded random selection; the first run computes the sensitivities, the others adopt them.
    public static func adaptiveRuns(_ fractions: [Double]) -> [(name: String, fraction: Double, selection: SplitSelection, gain: SplitGain)] {
        guard !fractions.isEmpty else { return [] }
        var runs: [(String, Double, SplitSelection, SplitGain)] = [("all-binary", 0, .max, .measured), ("fully-split", 1, .max, .measured)]
        for f in fractions {
            let pct = Int((f * 100).rounded())
            for gain in [SplitGain.measured, .curvature] { runs.append(("b\(pct)-max-\(gain.rawValue)", f, .max, gain)) }
            runs.append(("b\(pct)-random", f, .random, .measured))
            for gain in [SplitGain.measured, .curvature] { runs.append(("b\(pct)-min-\(gain.rawValue)", f, .min, gain)) }
        }
        return runs
    }

    mutating func addAdaptiveSplit() {
        let runs = Self.adaptiveRuns(spec.adaptiveSplitFractions)
        guard let seed = replicates.first, !runs.isEmpty else { return }
        let first = "\(work)/adaptive/\(runs[0].name)"
        // The quick recipe on the first replicate's teacher and ternary student: logits only, its epochs for the mixed
        // model and the fine-tuning, sensitivities on a seeded draw of probe examples.
        var o = AdaptiveSplitOptions(budgetMegabytes: 0, teacher: model(Self.teacher, replicate: seed), task: spec.task, data: spec.data)
        o.ternary = model(Self.ternary, replicate: seed); o.maxLength = spec.maxLength; o.skipStage1 = true
        o.mixedEpochs = spec.adaptiveSplitEpochs; o.fineTuneEpochs = spec.adaptiveSplitEpochs
        o.probeExamples = spec.adaptiveSplitProbeExamples; o.probeSeed = 0; o.traceMatvecs = spec.adaptiveSplitTraceMatvecs
        o.batchSize = spec.batchSize; o.learningRate = spec.studentLearningRate; o.evalEvery = spec.evalEvery; o.seed = seed
        o.trainSubset = taskData.subset?.count; o.trainSubsetSeed = taskData.subset?.seed
        for (k, run) in runs.enumerated() {
            let out = "\(work)/adaptive/\(run.name)"
            o.gain = run.gain; o.selection = run.selection; o.selectionSeed = UInt64((run.fraction * 100).rounded())
            var job = AdaptiveSplitJob(options: o, output: out)
            job.budgetFraction = run.fraction
            job.sensitivities = k == 0 ? nil : first
            add(ReportStage(id: out, title: "adaptive splitting, \(run.name)", command: .adaptiveSplit(job),
                            cost: Double(stageSteps(epochs: spec.adaptiveSplitEpochs * 2)) * stepCost * 1.5 + (k == 0 ? 300 : 30)))
        }
    }

    static let evalCost = 8.0

    mutating func addTeacher() {
        let teacher = model(Self.teacher, replicate: 0)
        var job = FineTuneJob(model: spec.model, taskData: taskData, output: teacher)
        job.options.epochs = spec.teacherEpochs; job.options.learningRate = spec.teacherLearningRate
        job.options.batchSize = spec.batchSize; job.options.evalEvery = spec.evalEvery; job.options.seed = spec.teacherSeed
        add(ReportStage(id: teacher, title: "fine-tune the full-precision teacher (seed \(spec.teacherSeed))", command: .finetune(job),
                        cost: Double(stageSteps(epochs: spec.teacherEpochs)) * stepCost + Self.evalCost))
    }

    /// The students of one replicate, all distilled from the shared teacher with the replicate's seed.
    mutating func addTraining(seed: UInt64, exports: Bool) {
        let teacher = model(Self.teacher, replicate: seed)
        func student(_ name: String, bits: Int, snapshots: Bool = false, initial: String? = nil, title: String) {
            let out = model(name, replicate: seed)
            var o = DistillationOptions()
            o.epochsPerStage = epochs(of: name); o.learningRate = spec.studentLearningRate; o.batchSize = spec.batchSize
            o.evalEvery = spec.evalEvery; o.logEvery = spec.logEvery; o.evaluateStage1 = false; o.seed = seed
            o.curveEvery = Self.curveModels.contains(name) ? spec.curveEvery : nil
            o.curveExamples = o.curveEvery == nil ? nil : spec.curveExamples
            o.snapshotEvery = snapshots ? spec.snapshotEvery : nil
            var job = QuantizeJob(teacher: teacher, taskData: taskData, output: out, weightBits: bits)
            job.distillation = o
            job.initial = initial
            let steps = stageSteps(epochs: job.distillation.epochsPerStage) * (job.distillation.skipStage1 ? 1 : 2)
            let curve = o.curveEvery.map { Double(steps / $0 + 2) * (o.curveExamples.map { min(1, Double($0) / 1000) } ?? 1) } ?? 0
            add(ReportStage(id: out, title: "\(title) (replicate \(seed))", command: .quantize(job),
                            cost: Double(steps) * stepCost * 1.5 + (3 + curve) * Self.evalCost))
        }
        student(Self.ternary, bits: 2, snapshots: true, title: "distil the ternary (TWN) student")
        student(Self.bwn, bits: 1, snapshots: true, title: "distil the binary (BWN) baseline with the TWS route's steps")
        if spec.bwnSingleBudget { student(Self.bwnSingle, bits: 1, title: "distil the binary (BWN) baseline with the ternary student's steps") }
        let split = model(Self.split, replicate: seed)
        add(ReportStage(id: split, title: "split the ternary model into binary halves (TWS, replicate \(seed))",
                        command: .split(SplitJob(model: model(Self.ternary, replicate: seed), output: split)), cost: 4))
        student(Self.tws, bits: 1, initial: split, title: "fine-tune the split binary model (TWS)")
        for bits in spec.uniformBits {
            student(Self.uniform(bits), bits: bits, title: "distil the \(bits)-bit uniform student")
        }
        guard exports else { return }
        for name in [Self.ternary, Self.bwn, Self.tws] {
            let out = model(name, replicate: seed) + "-packed"
            add(ReportStage(id: out, title: "packed export of \(name) (replicate \(seed))",
                            command: .export(ExportJob(model: model(name, replicate: seed), output: out)), cost: 3))
        }
    }

    /// A scan of `model` on a replicate's objective of `examples`.
    func landscape(_ model: String, _ scan: LandscapeOptions, examples: Int, replicate seed: UInt64, dtype: DType = .float32,
                   output: String) -> StageCommand {
        var job = LandscapeJob(model: model, scan: scan, objective: objective(examples, replicate: seed), output: output)
        job.dtype = dtype
        return .landscape(job)
    }

    /// A `hessian` run on `models` with the replicate's seed, in float32.
    func hessian(_ models: [String], objective: ProbeObjectiveOptions, replicate seed: UInt64, output: String,
                 _ configure: (inout HessianJob) -> Void) -> StageCommand {
        var job = HessianJob(models: models, objective: objective, output: output)
        job.analysis.seed = seed
        job.dtype = .float32
        configure(&job)
        return .hessian(job)
    }

    /// Every probe on one replicate's models, with the replicate's own draws.
    mutating func addProbes(seed: UInt64) {
        let n1 = spec.onesPoints, nf = spec.filterPoints, r = spec.filterRadius
        let probes = self.probes(seed), rep = "replicate \(seed)"
        func model(_ name: String) -> String { self.model(name, replicate: seed) }
        for name in Self.probed {
            let out = "\(probes)/ones-\(name)"
            var scan = LandscapeOptions(select: "value@0", grid: Self.grid(-1, 1, n1))
            scan.ySelect = "value@1"
            scan.directions = .ones
            add(ReportStage(id: out, title: "all-ones probe of value@0 × value@1, \(name) (Fig. 2, latent, \(rep))",
                            command: landscape(model(name), scan, examples: spec.probeExamples, replicate: seed, output: out),
                            cost: Double(n1 * n1) * pointCost + 3))
        }
        for (space, models) in [(PerturbationSpace.latent, Self.probed), (.quantized, [Self.ternary, Self.bwn])] {
            for name in models {
                let out = "\(probes)/filter-\(space.rawValue)-\(name)"
                var scan = LandscapeOptions(select: "value@0,1", grid: Self.grid(-r, r, nf))
                scan.space = space
                scan.directionSeed = directionSeed(seed)
                scan.directionSeeds = spec.directionSeeds
                add(ReportStage(id: out, title: "filter-normalized random directions of value@0,1, \(name) (Fig. 2, \(space.rawValue), \(rep))",
                                command: landscape(model(name), scan, examples: spec.probeExamples, replicate: seed, output: out),
                                cost: Double(nf * nf * spec.directionSeeds) * pointCost + 3))
            }
        }
        let hvp = Double(spec.spectraExamples * spec.maxLength) / 1024 * 0.7
        let models = Self.probed.map(model)
        add(ReportStage(id: "\(probes)/spectra", title: "top eigenpair, Hutch++ trace and SLQ density of value@0,1 (3 models, \(rep))",
                        command: hessian(models, objective: objective(spec.spectraExamples, replicate: seed), replicate: seed, output: "\(probes)/spectra") {
                            $0.select = "value@0,1"
                            $0.analysis.bottomK = 1
                            $0.analysis.tolerance = spec.lanczosTolerance
                            $0.analysis.maxHVPs = spec.lanczosMaxHvps
                            $0.analysis.trace = true
                            $0.analysis.estimator = .hutchpp
                            $0.analysis.probes = spec.traceProbes
                            $0.analysis.density = true
                            $0.analysis.runs = spec.densityRuns
                            $0.analysis.steps = spec.densitySteps
                        },
                        cost: 3 * hvp * Double(spec.lanczosMaxHvps / 2 + spec.traceProbes + spec.densityRuns * spec.densitySteps) + 5))
        let er = spec.eigenRadius
        for name in Self.probed {
            let out = "\(probes)/eigen-1d-\(name)"
            var scan = LandscapeOptions(select: "value@0,1", grid: Self.grid(-er, er, spec.eigenPoints, square: false))
            scan.space = .quantized
            scan.directions = .hessian("\(probes)/spectra/\(name)/top-0.safetensors")
            add(ReportStage(id: out, title: "loss along the top eigenvector of value@0,1, \(name) (\(rep))",
                            command: landscape(model(name), scan, examples: spec.spectraExamples, replicate: seed, output: out),
                            cost: Double(spec.eigenPoints) * pointCost * Double(spec.spectraExamples) / Double(spec.probeExamples) + 3))
        }
        let cellHVP = Double(spec.perModuleBatchSize * spec.maxLength) / 1024 * 0.4
        let cells = 5 * perModuleLayers.split(separator: ",").count * spec.perModuleBatches * 3
        let cellObjective = objective(spec.perModuleBatches * spec.perModuleBatchSize, replicate: seed, batchSize: spec.perModuleBatchSize)
        // The raw Hessian's cells, then the same cells in the curvature views that compare models whose weights differ
        // in scale: the Gauss–Newton matrix (positive semi-definite) and the Hessian normalized by |w| (D·H·D).
        for (name, view) in [("", CurvatureView())] + Self.curvatureViews.map({ ("-\($0.name)", $0.view) }) {
            let out = "\(probes)/per-module\(name)"
            add(ReportStage(id: out, title: "λ_max and λ_min per module kind and layer\(view.isDefault ? "" : ", \(view.formula)") (Fig. 3, \(rep))",
                            command: hessian(models, objective: cellObjective, replicate: seed, output: out) {
                                $0.perModule = true
                                $0.layers = perModuleLayers
                                $0.batches = spec.perModuleBatches
                                $0.analysis.tolerance = spec.lanczosTolerance
                                $0.analysis.maxHVPs = spec.perModuleMaxHvps
                                $0.analysis.view = view
                            },
                            cost: Double(cells) * cellHVP * 12 + 5))
        }
        // How different the module blocks' spectra are within each model (Zhang et al. 2024), on the first and the last
        // layer's blocks (an SLQ density per block costs its steps in HVPs: every layer would multiply the stage).
        add(ReportStage(id: "\(probes)/heterogeneity", title: "spectral density per module kind and layer and the Jensen–Shannon distances between them (3 models, \(rep))",
                        command: hessian(models, objective: objective(spec.perModuleBatchSize, replicate: seed, batchSize: spec.perModuleBatchSize),
                                         replicate: seed, output: "\(probes)/heterogeneity") {
                            $0.heterogeneity = true
                            $0.layers = heterogeneityLayers
                            $0.analysis.runs = spec.densityRuns
                            $0.analysis.steps = spec.densitySteps
                        },
                        cost: Double(5 * 2 * 3) * cellHVP * Double(spec.densityRuns * spec.densitySteps) * 1.2 + 5))
        // Adaptive sharpness of the students in units of their own quantization step: the average case at the size of a
        // quantization error, the worst case at a radius where the ascent does not saturate the loss.
        for sharpness in Self.sharpness {
            let out = "\(probes)/sharpness-\(sharpness.name)"
            add(ReportStage(id: out, title: "\(sharpness.name)-case adaptive sharpness of the students at ρ = \(sharpness.rho) quantization steps (\(rep))",
                            command: .sharpness({
                                var job = SharpnessJob(models: [model(Self.ternary), model(Self.bwn)], select: "all-quantized@*", rho: sharpness.rho,
                                                       objective: objective(spec.probeExamples, replicate: seed), directory: out)
                                job.scale = .steps
                                job.samples = sharpness.samples
                                job.steps = sharpness.steps
                                job.seed = seed
                                return job
                            }()),
                            cost: Double(spec.probeExamples * spec.maxLength) / 1024 * 2 * Double(sharpness.samples + 3 * sharpness.steps) + 5))
        }
        add(ReportStage(id: "\(probes)/quadratic", title: "quadratic check of the students' quantization loss and its bound ½λ_max‖ε‖² (all quantized tensors, \(rep))",
                        command: hessian([model(Self.ternary), model(Self.bwn)], objective: objective(spec.probeExamples, replicate: seed),
                                         replicate: seed, output: "\(probes)/quadratic") {
                            $0.select = "all-quantized@*"
                            $0.analysis.topK = 0
                            $0.analysis.quadraticCheck = true
                            $0.analysis.quadraticBound = true
                            $0.analysis.tolerance = spec.lanczosTolerance
                            $0.analysis.maxHVPs = spec.lanczosMaxHvps
                        },
                        cost: Double(spec.probeExamples * spec.maxLength) / 1024 * Double(40 + 6 * spec.lanczosMaxHvps) + 5))
        // Ternary → fine-tuned TWS and split → fine-tuned TWS in ŵ (ŵ₁ + ŵ₂ for the split models): the split is exact, so
        // both lines must coincide, and at x = 0 the split model must sit on the ternary loss.
        let n = spec.interpolationPoints
        for (name, label) in [(Self.ternary, "ternary"), (Self.split, "split")] {
            let out = "\(probes)/interpolation-\(label)"
            add(ReportStage(id: out, title: "interpolation \(label) → fine-tuned TWS binary (all tensors, ŵ, \(rep))",
                            command: landscape(model(name), towardsTWS(Self.grid(-0.5, 1.5, n, square: false), replicate: seed),
                                               examples: spec.probeExamples, replicate: seed, output: out),
                            cost: Double(n) * pointCost * 2 + 5))
        }
        // The same two lines' ends in float64, where the split is exact to rounding: the check of the TWS claim.
        for (name, label) in [(Self.ternary, "ternary"), (Self.split, "split")] {
            let out = "\(probes)/exactness-\(label)"
            add(ReportStage(id: out, title: "\(label) and fine-tuned TWS losses in float64 (the split's exactness, \(rep))",
                            command: landscape(model(name), towardsTWS(Self.grid(0, 1, 2, square: false), replicate: seed),
                                               examples: spec.probeExamples, replicate: seed, dtype: .float64, output: out),
                            cost: 8 * pointCost + 6))
        }
        // λ_max of each block at every kept snapshot: one `hessian` per model, block and distillation stage (its
        // snapshots are the command's models, labelled by their step folders).
        for name in [Self.ternary, Self.bwn] {
            for block in TrainingCurvature.blocks {
                for stage in [1, 2] {
                    let kept = snapshots(of: name, replicate: seed).filter { $0.stage == stage }
                    let out = trainingCurvatureOutput(name, block: block.name, stage: stage, replicate: seed)
                    add(ReportStage(id: out, title: "λ_max of \(block.selection) along distillation stage \(stage), \(name) (\(kept.count) snapshots, \(rep))",
                                    command: hessian(kept.map(\.directory), objective: objective(spec.trainingCurvatureExamples, replicate: seed),
                                                     replicate: seed, output: out) {
                                        $0.select = block.selection
                                        $0.analysis.tolerance = spec.lanczosTolerance
                                        $0.analysis.maxHVPs = spec.trainingCurvatureMaxHvps
                                    },
                                    cost: Double(kept.count) * (Double(spec.trainingCurvatureMaxHvps) * 0.5
                                        * Double(spec.trainingCurvatureExamples * spec.maxLength) / 1024 * 0.7 + 2.5) + 2))
                }
            }
        }
    }

    /// The quantized-space scan of every tensor along the line to the replicate's fine-tuned TWS model.
    func towardsTWS(_ grid: SurfaceGrid, replicate seed: UInt64) -> LandscapeOptions {
        var scan = LandscapeOptions(select: "all@*+embeddings+pooler+classifier", grid: grid)
        scan.space = .quantized
        scan.directions = .model(model(Self.tws, replicate: seed))
        return scan
    }

    public func trainingCurvatureOutput(_ name: String, block: String, stage: Int, replicate seed: UInt64) -> String {
        "\(probes(seed))/along-training/\(name)/\(block)/stage\(stage)"
    }

    /// A kept student of curvature along training: its stage, step and directory.
    public struct Snapshot: Sendable {
        public var stage: Int
        public var step: Int
        public var directory: String
        public var directoryName: String { (directory as NSString).lastPathComponent }
        public var label: String { "stage\(stage)-\(directoryName)" }
    }

    /// Stage 2 starts from stage 1's last state, so its step 0 is left out (the same weights).
    public func snapshots(of name: String, replicate seed: UInt64) -> [Snapshot] {
        let root = model(name, replicate: seed)
        return [1, 2].flatMap { stage in
            snapshotSteps(epochs: epochs(of: name)).filter { stage == 1 || $0 > 0 }.map { step in
                Snapshot(stage: stage, step: step,
                         directory: "\(root)\(stage == 1 ? "/stage1" : "")/\(TrainingSnapshot.folder)/\(TrainingSnapshot.name(step: step))")
            }
        }
    }
}

/// The blocks whose top eigenvalue is followed through training, and how `hessian` labels a model directory.
public enum TrainingCurvature {
    public struct Block: Sendable { public var name: String; public var selection: String }
    public static let blocks = [Block(name: "value", selection: "value@*"), Block(name: "ffn-output", selection: "ffn-output@*")]
    /// `hessian` writes a model's eigenvectors under the model directory's last path component.
    public static func label(of directoryName: String) -> String { directoryName }
}
