import Foundation
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
    public let threads: Int
    /// The work directory every output lies in (as given: relative paths stay relative to the current directory).
    public let work: String
    public private(set) var stages: [ReportStage] = []

    /// The model names of a replicate folder, in the report's order.
    public static let teacher = "teacher", ternary = "ternary", bwn = "bwn", bwnSingle = "bwn-1x", split = "tws-split", tws = "tws"
    public static func uniform(_ bits: Int) -> String { "w\(bits)a8" }
    /// The three models every probe compares.
    public static let probed = [teacher, ternary, bwn]

    public init(spec: ReportSpec, work: String, layers: Int, trainExamples: Int, threads: Int) throws {
        try spec.validate()
        guard layers >= 2 else { throw ReportError.badSpec("the report probes value@0,1: the model needs at least 2 layers, not \(layers)") }
        _ = try ReportSpec.layerList(spec.perModuleLayers, layers: layers)
        guard trainExamples > 0 else { throw ReportError.badSpec("the training split of \(spec.data) is empty") }
        self.spec = spec
        self.layers = layers
        self.trainExamples = min(trainExamples, spec.trainSubset ?? .max)
        self.threads = threads
        self.work = work.hasSuffix("/") && work.count > 1 ? String(work.dropLast()) : work
        stages = build()
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

    var data: [String] { ["--task", spec.task, "--data", spec.data, "--max-length", String(spec.maxLength)] }
    var threading: [String] { ["--threads", String(threads)] }
    var subset: [String] { spec.trainSubset.map { ["--subset", String($0), "--subset-seed", String(spec.subsetSeed)] } ?? [] }
    /// The probes' objective of a replicate: a seeded (balanced) draw of the training split, not its first N rows
    /// (rt-polarity's file is sorted by label); each replicate draws its own.
    func objective(_ examples: Int, replicate seed: UInt64) -> [String] {
        ["--examples", String(examples), "--sample-seed", String(seed), "--batch-size", String(min(32, examples))]
    }
    /// The first direction seed of a replicate's random directions (its `direction_seeds` follow it).
    func directionSeed(_ seed: UInt64) -> UInt64 { seed * 1000 }
    static func grid(_ lo: Double, _ hi: Double, _ n: Int) -> String { "\(number(lo)):\(number(hi)):\(n)" }
    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }

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
    public static func adaptiveRuns(_ fractions: [Double]) -> [(name: String, fraction: Double, selection: String, gain: String)] {
        guard !fractions.isEmpty else { return [] }
        var runs: [(String, Double, String, String)] = [("all-binary", 0, "max", "measured"), ("fully-split", 1, "max", "measured")]
        for f in fractions {
            let pct = Int((f * 100).rounded())
            for gain in ["measured", "curvature"] { runs.append(("b\(pct)-max-\(gain)", f, "max", gain)) }
            runs.append(("b\(pct)-random", f, "random", "measured"))
            for gain in ["measured", "curvature"] { runs.append(("b\(pct)-min-\(gain)", f, "min", gain)) }
        }
        return runs
    }

    mutating func addAdaptiveSplit() {
        let runs = Self.adaptiveRuns(spec.adaptiveSplitFractions)
        guard let seed = replicates.first, !runs.isEmpty else { return }
        let first = "\(work)/adaptive/\(runs[0].name)"
        let epochs = String(spec.adaptiveSplitEpochs)
        for (k, run) in runs.enumerated() {
            let out = "\(work)/adaptive/\(run.name)"
            add(ReportStage(id: out, title: "adaptive splitting, \(run.name)",
                            arguments: ["adaptive-split", "--teacher", model(Self.teacher, replicate: seed), "--ternary", model(Self.ternary, replicate: seed)]
                                + data + ["--output", out, "--budget-fraction", Self.number(run.fraction), "--selection", run.selection,
                                          "--gain", run.gain, "--selection-seed", String(Int((run.fraction * 100).rounded())),
                                          "--skip-stage1", "--mixed-epochs", epochs, "--finetune-epochs", epochs,
                                          "--probe-examples", String(spec.adaptiveSplitProbeExamples), "--sample-seed", "0",
                                          "--trace-matvecs", String(spec.adaptiveSplitTraceMatvecs), "--batch-size", String(spec.batchSize),
                                          "--lr", String(spec.studentLearningRate), "--eval-every", String(spec.evalEvery), "--seed", String(seed)]
                                + (k == 0 ? [] : ["--sensitivities", first]) + subset + threading,
                            output: out, cost: Double(stageSteps(epochs: spec.adaptiveSplitEpochs * 2)) * stepCost * 1.5 + (k == 0 ? 300 : 30)))
        }
    }

    static let evalCost = 8.0

    mutating func addTeacher() {
        let teacher = model(Self.teacher, replicate: 0)
        add(ReportStage(id: teacher, title: "fine-tune the full-precision teacher (seed \(spec.teacherSeed))",
                        arguments: ["finetune", "--model", spec.model] + data + ["--output", teacher, "--epochs", String(spec.teacherEpochs),
                                    "--lr", String(spec.teacherLearningRate), "--batch-size", String(spec.batchSize),
                                    "--eval-every", String(spec.evalEvery), "--seed", String(spec.teacherSeed)] + subset + threading,
                        output: teacher, resume: .finetune, cost: Double(stageSteps(epochs: spec.teacherEpochs)) * stepCost + Self.evalCost))
    }

    /// The students of one replicate, all distilled from the shared teacher with the replicate's seed.
    mutating func addTraining(seed: UInt64, exports: Bool) {
        let s = String(seed)
        let teacher = model(Self.teacher, replicate: seed)
        func student(_ name: String, bits: Int, extra: [String] = [], title: String) {
            let out = model(name, replicate: seed)
            let epochs = epochs(of: name)
            add(ReportStage(id: out, title: "\(title) (replicate \(s))",
                            arguments: ["quantize", "--teacher", teacher] + data + ["--output", out, "--weight-bits", String(bits),
                                        "--epochs", String(epochs), "--lr", String(spec.studentLearningRate),
                                        "--batch-size", String(spec.batchSize), "--eval-every", String(spec.evalEvery),
                                        "--log-every", String(spec.logEvery), "--no-stage1-eval", "--seed", s]
                                + extra + subset + threading,
                            output: out, resume: .quantize,
                            cost: Double(stageSteps(epochs: epochs) * (extra.contains("--skip-stage1") ? 1 : 2)) * stepCost * 1.5 + 3 * Self.evalCost))
        }
        let keep = ["--save-every", String(spec.snapshotEvery)]
        student(Self.ternary, bits: 2, extra: keep, title: "distil the ternary (TWN) student")
        student(Self.bwn, bits: 1, extra: keep, title: "distil the binary (BWN) baseline with the TWS route's steps")
        if spec.bwnSingleBudget { student(Self.bwnSingle, bits: 1, title: "distil the binary (BWN) baseline with the ternary student's steps") }
        let split = model(Self.split, replicate: seed)
        add(ReportStage(id: split, title: "split the ternary model into binary halves (TWS, replicate \(s))",
                        arguments: ["split", "--model", model(Self.ternary, replicate: seed), "--output", split], output: split, cost: 4))
        student(Self.tws, bits: 1, extra: ["--init", split], title: "fine-tune the split binary model (TWS)")
        for bits in spec.uniformBits {
            student(Self.uniform(bits), bits: bits, title: "distil the \(bits)-bit uniform student")
        }
        guard exports else { return }
        for name in [Self.ternary, Self.bwn, Self.tws] {
            let out = model(name, replicate: seed) + "-packed"
            add(ReportStage(id: out, title: "packed export of \(name) (replicate \(s))",
                            arguments: ["export", "--model", model(name, replicate: seed), "--packed", "--output", out], output: out, cost: 3))
        }
    }

    /// Every probe on one replicate's models, with the replicate's own draws.
    mutating func addProbes(seed: UInt64) {
        let n1 = spec.onesPoints, nf = spec.filterPoints, r = spec.filterRadius
        let probes = self.probes(seed), rep = "replicate \(seed)"
        func model(_ name: String) -> String { self.model(name, replicate: seed) }
        func objective(_ n: Int) -> [String] { self.objective(n, replicate: seed) }
        for name in Self.probed {
            let out = "\(probes)/ones-\(name)"
            add(ReportStage(id: out, title: "all-ones probe of value@0 × value@1, \(name) (Fig. 2, latent, \(rep))",
                            arguments: ["landscape", "--model", model(name)] + data + ["--space", "latent", "--select", "value@0",
                                        "--y-select", "value@1", "--directions", "ones", "--x=\(Self.grid(-1, 1, n1))", "--y=\(Self.grid(-1, 1, n1))"]
                                + objective(spec.probeExamples) + ["--output", out] + threading,
                            output: out, cost: Double(n1 * n1) * pointCost + 3))
        }
        for (space, models) in [("latent", Self.probed), ("quantized", [Self.ternary, Self.bwn])] {
            for name in models {
                let out = "\(probes)/filter-\(space)-\(name)"
                add(ReportStage(id: out, title: "filter-normalized random directions of value@0,1, \(name) (Fig. 2, \(space), \(rep))",
                                arguments: ["landscape", "--model", model(name)] + data + ["--space", space, "--select", "value@0,1",
                                            "--directions", "filter", "--direction-seed", String(directionSeed(seed)),
                                            "--direction-seeds", String(spec.directionSeeds),
                                            "--x=\(Self.grid(-r, r, nf))", "--y=\(Self.grid(-r, r, nf))"]
                                    + objective(spec.probeExamples) + ["--output", out] + threading,
                                output: out, cost: Double(nf * nf * spec.directionSeeds) * pointCost + 3))
            }
        }
        let hvp = Double(spec.spectraExamples * spec.maxLength) / 1024 * 0.7
        let models = Self.probed.flatMap { ["--model", model($0)] }
        add(ReportStage(id: "\(probes)/spectra", title: "top eigenpair, Hutch++ trace and SLQ density of value@0,1 (3 models, \(rep))",
                        arguments: ["hessian"] + models + data + ["--select", "value@0,1", "--top-k", "1", "--tol", String(spec.lanczosTolerance),
                                    "--max-hvps", String(spec.lanczosMaxHvps), "--trace", "--estimator", "hutchpp", "--probes", String(spec.traceProbes),
                                    "--density", "--runs", String(spec.densityRuns), "--steps", String(spec.densitySteps)]
                            + objective(spec.spectraExamples) + ["--seed", String(seed), "--dtype", "float32", "--output", "\(probes)/spectra"] + threading,
                        output: "\(probes)/spectra",
                        cost: 3 * hvp * Double(spec.lanczosMaxHvps / 2 + spec.traceProbes + spec.densityRuns * spec.densitySteps) + 5))
        let er = spec.eigenRadius
        for name in Self.probed {
            let out = "\(probes)/eigen-1d-\(name)"
            add(ReportStage(id: out, title: "loss along the top eigenvector of value@0,1, \(name) (\(rep))",
                            arguments: ["landscape", "--model", model(name)] + data + ["--space", "quantized", "--select", "value@0,1",
                                        "--directions", "hessian:\(probes)/spectra/\(name)/top-0.safetensors", "--x=\(Self.grid(-er, er, spec.eigenPoints))"]
                                + objective(spec.spectraExamples) + ["--output", out] + threading,
                            output: out, cost: Double(spec.eigenPoints) * pointCost * Double(spec.spectraExamples) / Double(spec.probeExamples) + 3))
        }
        let cellHVP = Double(spec.perModuleBatchSize * spec.maxLength) / 1024 * 0.4
        let cells = 5 * perModuleLayers.split(separator: ",").count * spec.perModuleBatches * 3
        add(ReportStage(id: "\(probes)/per-module", title: "λ_max and λ_min per module kind and layer (Fig. 3, \(rep))",
                        arguments: ["hessian"] + models + data + ["--per-module", "--layers", perModuleLayers, "--batches", String(spec.perModuleBatches),
                                    "--examples", String(spec.perModuleBatches * spec.perModuleBatchSize), "--sample-seed", String(seed),
                                    "--batch-size", String(spec.perModuleBatchSize), "--tol", String(spec.lanczosTolerance),
                                    "--max-hvps", String(spec.perModuleMaxHvps), "--seed", String(seed), "--dtype", "float32",
                                    "--output", "\(probes)/per-module"] + threading,
                        output: "\(probes)/per-module", cost: Double(cells) * cellHVP * 12 + 5))
        add(ReportStage(id: "\(probes)/quadratic", title: "quadratic check of the students' quantization loss (all quantized tensors, \(rep))",
                        arguments: ["hessian", "--model", model(Self.ternary), "--model", model(Self.bwn)] + data
                            + ["--select", "all-quantized@*", "--top-k", "0", "--quadratic-check"] + objective(spec.probeExamples)
                            + ["--seed", String(seed), "--dtype", "float32", "--output", "\(probes)/quadratic"] + threading,
                        output: "\(probes)/quadratic", cost: Double(spec.probeExamples * spec.maxLength) / 1024 * 40 + 5))
        // Ternary → fine-tuned TWS and split → fine-tuned TWS in ŵ (ŵ₁ + ŵ₂ for the split models): the split is exact, so
        // both lines must coincide, and at x = 0 the split model must sit on the ternary loss.
        let n = spec.interpolationPoints
        for (name, label) in [(Self.ternary, "ternary"), (Self.split, "split")] {
            let out = "\(probes)/interpolation-\(label)"
            add(ReportStage(id: out, title: "interpolation \(label) → fine-tuned TWS binary (all tensors, ŵ, \(rep))",
                            arguments: ["landscape", "--model", model(name)] + data + ["--space", "quantized", "--select", "all@*+embeddings+pooler+classifier",
                                        "--directions", "model:\(model(Self.tws))", "--x=\(Self.grid(-0.5, 1.5, n))"]
                                + objective(spec.probeExamples) + ["--output", out] + threading,
                            output: out, cost: Double(n) * pointCost * 2 + 5))
        }
        // The same two lines' ends in float64, where the split is exact to rounding: the check of the TWS claim.
        for (name, label) in [(Self.ternary, "ternary"), (Self.split, "split")] {
            let out = "\(probes)/exactness-\(label)"
            add(ReportStage(id: out, title: "\(label) and fine-tuned TWS losses in float64 (the split's exactness, \(rep))",
                            arguments: ["landscape", "--model", model(name)] + data + ["--space", "quantized", "--select", "all@*+embeddings+pooler+classifier",
                                        "--directions", "model:\(model(Self.tws))", "--x=0:1:2", "--dtype", "float64"]
                                + objective(spec.probeExamples) + ["--output", out] + threading,
                            output: out, cost: 8 * pointCost + 6))
        }
        // λ_max of each block at every kept snapshot: one `hessian` per model, block and distillation stage (its
        // snapshots are the command's models, labelled by their step folders).
        for name in [Self.ternary, Self.bwn] {
            for block in TrainingCurvature.blocks {
                for stage in [1, 2] {
                    let kept = snapshots(of: name, replicate: seed).filter { $0.stage == stage }
                    let out = trainingCurvatureOutput(name, block: block.name, stage: stage, replicate: seed)
                    add(ReportStage(id: out, title: "λ_max of \(block.selection) along distillation stage \(stage), \(name) (\(kept.count) snapshots, \(rep))",
                                    arguments: ["hessian"] + kept.flatMap { ["--model", $0.directory] } + data
                                        + ["--select", block.selection, "--top-k", "1", "--tol", String(spec.lanczosTolerance),
                                           "--max-hvps", String(spec.trainingCurvatureMaxHvps)]
                                        + objective(spec.trainingCurvatureExamples)
                                        + ["--seed", String(seed), "--dtype", "float32", "--output", out] + threading,
                                    output: out, cost: Double(kept.count) * (Double(spec.trainingCurvatureMaxHvps) * 0.5
                                        * Double(spec.trainingCurvatureExamples * spec.maxLength) / 1024 * 0.7 + 2.5) + 2))
                }
            }
        }
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
