import Foundation
import Storage

/// One analysis, described once: the model and data, the training recipe of the teacher and the students, and the
/// probe settings of every figure. `ReportPlan` turns it into commands; `Analyses/report/<preset>.json` is this
/// value as JSON (a test keeps them equal).
public struct ReportSpec: Codable, Equatable, Sendable {
    /// The named presets: `quick` (the README's main job: three replicates in ~30 minutes on 2 cores; Fig. 1 without
    /// the 8-bit point, which the others have), `standard` (five replicates, the headline the README quotes, ~4 hours
    /// on 2 cores) and `paper` (the cluster-scale run).
    public enum Preset: String, Codable, Sendable, CaseIterable {
        case quick, standard, paper
    }

    public var preset: Preset
    /// The pre-trained encoder fine-tuned into the teacher.
    public var model: String
    public var task: String
    public var data: String
    /// One replicate per seed: a complete training of every student (data order, dropout and quantizer state from
    /// the seed) and every probe on it with its own draws (probe examples, directions, Lanczos starts).
    public var replicateSeeds: [UInt64]
    /// The one fine-tuned teacher every replicate distils from (the paper starts from one released model).
    public var teacherSeed: UInt64
    public var maxLength: Int
    public var batchSize: Int
    /// Training examples drawn at random (seeded by `subsetSeed`) from the training split; nil: all.
    public var trainSubset: Int?
    public var subsetSeed: UInt64
    public var evalEvery: Int
    /// The distillation loss is logged every N steps of each stage (the "harder to train" claim compares it).
    public var logEvery: Int
    /// The ternary, BWN and TWS students are also evaluated on dev before the first step and every N steps of each
    /// stage, for the learning curves only (these evaluations choose nothing and leave the students' bytes unchanged).
    public var curveEvery: Int
    /// Dev examples those learning-curve evaluations read (a fixed seeded draw, the same for every student and
    /// replicate); nil (the key left out): the whole dev set. The recipe's own evaluations always read all of it.
    public var curveExamples: Int?
    public var teacherEpochs: Int
    public var teacherLearningRate: Double
    /// Epochs per distillation stage of every student (ternary, uniform, TWS). The BWN baseline gets twice as many,
    /// the steps of the TWS route (ternary, then split and fine-tuned); `bwnSingleBudget` adds a BWN student with
    /// the ternary model's steps as a reported extra.
    public var studentEpochs: Int
    public var bwnSingleBudget: Bool
    public var studentLearningRate: Double
    /// Uniform weight bit widths distilled for Fig. 1 besides 2 (ternary) and 1 (BWN), all at 8-bit activations.
    public var uniformBits: [Int]
    /// Keep the ternary and BWN students every N steps of each stage (curvature along training).
    public var snapshotEvery: Int
    /// A claim compares only models that learned: dev accuracy at least this far above the dev set's majority class
    /// (the correlation above 0 for regression tasks), in every replicate it uses.
    public var learnedMargin: Double
    /// Two-sided confidence level of the intervals over replicates.
    public var confidence: Double

    /// Examples of the probes' objective (a seeded draw of the training split, eval mode).
    public var probeExamples: Int
    /// Points per axis of the all-ones probe (offsets −1…1) and of the filter-normalized scans.
    public var onesPoints: Int
    public var filterPoints: Int
    public var filterRadius: Double
    /// Filter-normalized direction pairs per model and replicate (averaged inside the replicate).
    public var directionSeeds: Int
    /// Points of the 1-D scans along the top eigenvector (±`eigenRadius`) and of the TWS interpolation.
    public var eigenPoints: Int
    public var eigenRadius: Double
    public var interpolationPoints: Int
    /// Per-module table (Fig. 3): layers ("first,last", "all" or an explicit list), mini-batches and their size.
    public var perModuleLayers: String
    public var perModuleBatches: Int
    public var perModuleBatchSize: Int
    public var perModuleMaxHvps: Int
    /// Spectra of value@0,1: examples, Hutch++ probes, SLQ runs and steps, Lanczos budget.
    public var spectraExamples: Int
    public var traceProbes: Int
    public var densityRuns: Int
    public var densitySteps: Int
    public var lanczosMaxHvps: Int
    public var lanczosTolerance: Double
    /// Curvature along training: examples of the objective and Lanczos budget per snapshot and block.
    public var trainingCurvatureExamples: Int
    public var trainingCurvatureMaxHvps: Int
    /// Adaptive splitting (§3.3) on the teacher and the first replicate's ternary model: the budgets as fractions of
    /// the feasible range (empty: skipped), the epochs of the mixed model and of the binary fine-tuning, and the
    /// examples and Hutch++ products of the sensitivities. Each interior budget runs max and min with both gains and random.
    public var adaptiveSplitFractions: [Double]
    public var adaptiveSplitEpochs: Int
    public var adaptiveSplitProbeExamples: Int
    public var adaptiveSplitTraceMatvecs: Int

    /// The embedded default: MiniLM-L6 on rt-polarity.
    public static let defaultModel = "assets/models/all-MiniLM-L6-v2"
    public static let defaultTask = "rt-polarity"
    public static let defaultData = "assets/data/rt-polarity"

    public static func preset(_ preset: Preset) -> ReportSpec {
        switch preset {
        case .quick:
            return ReportSpec(
                preset: .quick, model: defaultModel, task: defaultTask, data: defaultData, replicateSeeds: [1, 2, 3], teacherSeed: 42,
                maxLength: 32, batchSize: 32, trainSubset: 512, subsetSeed: 0, evalEvery: 1000, logEvery: 2, curveEvery: 4, curveExamples: 256, teacherEpochs: 2,
                teacherLearningRate: 5e-5, studentEpochs: 1, bwnSingleBudget: false, studentLearningRate: 5e-5, uniformBits: [4],
                snapshotEvery: 16, learnedMargin: 0.05, confidence: 0.95,
                probeExamples: 16, onesPoints: 7, filterPoints: 7, filterRadius: 1, directionSeeds: 1,
                eigenPoints: 9, eigenRadius: 0.25, interpolationPoints: 5,
                perModuleLayers: "first,last", perModuleBatches: 1, perModuleBatchSize: 12, perModuleMaxHvps: 10,
                spectraExamples: 12, traceProbes: 9, densityRuns: 1, densitySteps: 10, lanczosMaxHvps: 12, lanczosTolerance: 1e-2,
                trainingCurvatureExamples: 8, trainingCurvatureMaxHvps: 8,
                // Too long for the quick preset (Analyses/adaptive-split/run.sh runs its reduced form).
                adaptiveSplitFractions: [], adaptiveSplitEpochs: 1, adaptiveSplitProbeExamples: 64, adaptiveSplitTraceMatvecs: 12)
        case .standard:
            return ReportSpec(
                preset: .standard, model: defaultModel, task: defaultTask, data: defaultData, replicateSeeds: [1, 2, 3, 4, 5],
                teacherSeed: 42, maxLength: 32, batchSize: 32, trainSubset: 1024, subsetSeed: 0, evalEvery: 16, logEvery: 4, curveEvery: 4, curveExamples: nil,
                teacherEpochs: 3, teacherLearningRate: 5e-5, studentEpochs: 1, bwnSingleBudget: false, studentLearningRate: 5e-5,
                uniformBits: [8, 4], snapshotEvery: 32, learnedMargin: 0.05, confidence: 0.95,
                probeExamples: 64, onesPoints: 9, filterPoints: 9, filterRadius: 1, directionSeeds: 1,
                eigenPoints: 11, eigenRadius: 0.25, interpolationPoints: 7,
                perModuleLayers: "all", perModuleBatches: 1, perModuleBatchSize: 32, perModuleMaxHvps: 8,
                spectraExamples: 64, traceProbes: 12, densityRuns: 1, densitySteps: 16, lanczosMaxHvps: 16, lanczosTolerance: 1e-2,
                trainingCurvatureExamples: 32, trainingCurvatureMaxHvps: 8,
                adaptiveSplitFractions: [], adaptiveSplitEpochs: 1, adaptiveSplitProbeExamples: 64, adaptiveSplitTraceMatvecs: 12)
        case .paper:
            return ReportSpec(
                preset: .paper, model: defaultModel, task: defaultTask, data: defaultData, replicateSeeds: [1, 2, 3, 4, 5],
                teacherSeed: 42, maxLength: 64, batchSize: 32, trainSubset: nil, subsetSeed: 0, evalEvery: 100, logEvery: 10, curveEvery: 50, curveExamples: nil,
                teacherEpochs: 3, teacherLearningRate: 3e-5, studentEpochs: 2, bwnSingleBudget: true, studentLearningRate: 5e-5,
                uniformBits: [8, 4], snapshotEvery: 100, learnedMargin: 0.05, confidence: 0.95,
                probeExamples: 128, onesPoints: 41, filterPoints: 41, filterRadius: 1, directionSeeds: 3,
                eigenPoints: 21, eigenRadius: 0.25, interpolationPoints: 21,
                perModuleLayers: "all", perModuleBatches: 4, perModuleBatchSize: 32, perModuleMaxHvps: 80,
                spectraExamples: 64, traceProbes: 30, densityRuns: 4, densitySteps: 40, lanczosMaxHvps: 60, lanczosTolerance: 1e-3,
                trainingCurvatureExamples: 32, trainingCurvatureMaxHvps: 30,
                adaptiveSplitFractions: [0.2, 0.4, 0.6, 0.8], adaptiveSplitEpochs: 2, adaptiveSplitProbeExamples: 128,
                adaptiveSplitTraceMatvecs: 30)
        }
    }

    /// The spec as the JSON committed in `Analyses/report/` (sorted keys, snake_case, a trailing newline).
    public func json() throws -> Data {
        try JSONFormat.file(self) + Data("\n".utf8)
    }

    /// What each key takes, for the sentences of a refused spec.
    static let expectations: [String: String] = [
        "replicate_seeds": "a list of distinct whole numbers ≥ 0", "teacher_seed": "a whole number ≥ 0",
        "uniform_bits": "a list of distinct values from 4 and 8", "adaptive_split_fractions": "a list of distinct numbers in (0, 1)",
        "per_module_layers": "\"first,last\", \"all\" or a list like \"0,3,5\"", "bwn_single_budget": "true or false",
        "train_subset": "a whole number, or leave the key out for the whole split",
        "curve_examples": "a whole number, or leave the key out for the whole dev set",
        "confidence": "a number in [0.5, 0.999]", "learned_margin": "a number in [0, 0.5]",
    ]

    /// Decodes a spec strictly: every key known, none repeated, none missing (`train_subset` and `curve_examples` may
    /// be left out: the whole split), every value of its kind; each refusal is one sentence naming the key.
    public static func decode(_ data: Data) throws -> ReportSpec {
        guard let object = try? JSONSerialization.jsonObject(with: data), let keys = (object as? [String: Any]).map({ Array($0.keys) }) else {
            throw ReportError.badSpec("the file is not a JSON object")
        }
        if let (key, line) = StrictJSON.firstRepeatedKey(in: data) {
            throw ReportError.badSpec("the key \"\(key)\" appears twice (line \(line)); give each key once")
        }
        let known = Set(Mirror(reflecting: ReportSpec.preset(.quick)).children.compactMap { $0.label.map(StrictJSON.snake) })
        if let unknown = keys.sorted().first(where: { !known.contains($0) }) {
            let near = known.sorted().min { editDistance($0, unknown) < editDistance($1, unknown) }
            throw ReportError.badSpec("unknown key \"\(unknown)\"\(near.map { editDistance($0, unknown) <= 3 ? " (did you mean \"\($0)\"?)" : "" } ?? "")")
        }
        try checkKinds(data)
        do { return try JSONFormat.decoder().decode(ReportSpec.self, from: data) } catch {
            throw ReportError.badSpec(StrictJSON.describe(error, expectations: expectations))
        }
    }

    /// The spec a report runs: the file's (decoded strictly) or else the preset's, its embedded default paths moved
    /// under `assets` (where `scripts/fetch-assets` put them), and `model`, `task` and `data` in place of its own.
    public static func load(file: String?, preset: Preset, assets: String?, model: String?, task: String?, data: String?) throws -> ReportSpec {
        var s = ReportSpec.preset(preset)
        if let file {
            guard let bytes = FileManager.default.contents(atPath: file) else { throw ReportError.badSpec("--spec \(file) cannot be read") }
            do { s = try decode(bytes) } catch ReportError.badSpec(let why) { throw ReportError.badSpec("\(file): \(why)") }
        }
        if let assets, !assets.isEmpty {
            for path in [\ReportSpec.model, \ReportSpec.data] where s[keyPath: path].hasPrefix("assets/") {
                s[keyPath: path] = assets + s[keyPath: path].dropFirst("assets".count)
            }
        }
        s.model = model ?? s.model
        s.task = task ?? s.task
        s.data = data ?? s.data
        if task != nil && data == nil && s.task != defaultTask {
            throw ReportError.badSpec("--task \(s.task) needs --data DIR (a folder in the GLUE layout)")
        }
        try s.validate()
        return s
    }

    /// Every present key's value is of the kind its field needs (whole numbers in range, true/false, strings,
    /// lists), checked against the preset's own field types, so the sentence can say what it got.
    static func checkKinds(_ data: Data) throws {
        guard case let .object(values)? = try? JSONDecoder().decode(JSONValue.self, from: data) else { return }
        for child in Mirror(reflecting: ReportSpec.preset(.quick)).children {
            guard let label = child.label else { continue }
            let key = StrictJSON.snake(label)
            guard let v = values[key] else { continue }
            func shown(_ v: JSONValue) -> String {
                switch v {
                case let .number(n): return TidyTable.number(n)
                case let .integer(i): return String(i)
                case let .string(s): return "\"\(s)\""
                case let .bool(b): return String(b)
                case .null: return "null"
                case .array: return "a list"
                case .object: return "an object"
                }
            }
            func whole(_ v: JSONValue, unsigned: Bool) -> Bool {
                if case let .integer(i) = v { return abs(i) <= 9_007_199_254_740_992 && (!unsigned || i >= 0) }
                guard case let .number(n) = v else { return false }
                return n == n.rounded() && abs(n) <= 9_007_199_254_740_992 && (!unsigned || n >= 0)
            }
            var ok = true, need = ""
            // By exact type: `is` would let an empty [Double] pass as [UInt64].
            let type = Swift.type(of: child.value)
            if type == Int.self || type == Int?.self {
                ok = whole(v, unsigned: false) || (type == Int?.self && v == .null); need = "a whole number"
            } else if type == UInt64.self {
                ok = whole(v, unsigned: true); need = "a whole number ≥ 0"
            } else if type == Double.self {
                ok = v.double != nil; need = "a number"
            } else if type == Bool.self {
                ok = v.bool != nil; need = "true or false"
            } else if type == String.self || type == Preset.self {
                ok = v.string != nil; need = "a string"
            } else if type == [UInt64].self {
                ok = v.array?.allSatisfy { whole($0, unsigned: true) } ?? false; need = "a list of whole numbers ≥ 0"
            } else if type == [Int].self {
                ok = v.array?.allSatisfy { whole($0, unsigned: false) } ?? false; need = "a list of whole numbers"
            } else if type == [Double].self {
                ok = v.array?.allSatisfy { $0.double != nil } ?? false; need = "a list of numbers"
            }
            if !ok {
                let got: String
                if case let .array(items) = v, let bad = items.first(where: { $0.double == nil || !whole($0, unsigned: true) }) {
                    got = "a list holding \(shown(bad))"
                } else { got = shown(v) }
                throw ReportError.badSpec("\"\(key)\" is \(got); it takes \(expectations[key] ?? need)")
            }
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let old = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = old
            }
        }
        return row[b.count]
    }

    /// Every number in its range, every list without repeats; the first bad value is the error. The ranges are those
    /// of the commands the stages run, so a spec that passes here is not refused by a stage later.
    public func validate() throws {
        func check(_ name: String, _ v: Int, _ lo: Int, _ hi: Int) throws {
            guard v >= lo && v <= hi else { throw ReportError.badSpec("\(name) is \(v); it takes a whole number from \(lo) to \(hi)") }
        }
        func check(_ name: String, _ v: Double, _ lo: Double, _ hi: Double, open: Bool = false) throws {
            let inside = open ? (v > lo && v < hi) : (v >= lo && v <= hi)
            guard v.isFinite && inside else {
                throw ReportError.badSpec("\(name) is \(v); it takes a number in \(open ? "(" : "[")\(lo), \(hi)\(open ? ")" : "]")")
            }
        }
        try check("replicate_seeds (count)", replicateSeeds.count, 1, 100)
        if let s = Self.firstRepeat(replicateSeeds) { throw ReportError.badSpec("replicate_seeds repeats the seed \(s); each replicate needs its own") }
        if let s = replicateSeeds.first(where: { $0 > 1_000_000_000 }) { throw ReportError.badSpec("replicate_seeds holds \(s); seeds go up to 1000000000") }
        try check("max_length", maxLength, 2, 512)
        try check("batch_size", batchSize, 1, 4096)
        if let n = trainSubset {
            try check("train_subset", n, 1, 100_000_000)
            guard n >= 2 * batchSize else {
                throw ReportError.badSpec("train_subset is \(n); it needs at least two batches of batch_size \(batchSize) (≥ \(2 * batchSize))")
            }
        }
        try check("eval_every", evalEvery, 1, 1_000_000)
        try check("log_every", logEvery, 1, 1_000_000)
        try check("curve_every", curveEvery, 1, 1_000_000)
        if let n = curveExamples { try check("curve_examples", n, 1, 100_000_000) }
        try check("teacher_epochs", teacherEpochs, 1, 1000)
        try check("student_epochs", studentEpochs, 1, 1000)
        try check("snapshot_every", snapshotEvery, 1, 1_000_000)
        try check("teacher_learning_rate", teacherLearningRate, 0, 1, open: true)
        try check("student_learning_rate", studentLearningRate, 0, 1, open: true)
        try check("learned_margin", learnedMargin, 0, 0.5)
        try check("confidence", confidence, 0.5, 0.999)
        if let b = uniformBits.first(where: { ![4, 8].contains($0) }) { throw ReportError.badSpec("uniform_bits takes 4 and 8, not \(b)") }
        if let b = Self.firstRepeat(uniformBits) { throw ReportError.badSpec("uniform_bits repeats \(b)") }
        try check("probe_examples", probeExamples, 2, 100_000)
        try check("ones_points", onesPoints, 3, 401)
        try check("filter_points", filterPoints, 3, 401)
        try check("filter_radius", filterRadius, 0, 1000, open: true)
        try check("direction_seeds", directionSeeds, 1, 1000)
        try check("eigen_points", eigenPoints, 3, 401)
        try check("eigen_radius", eigenRadius, 0, 1000, open: true)
        try check("interpolation_points", interpolationPoints, 3, 401)
        _ = try Self.layerList(perModuleLayers, layers: nil)
        try check("per_module_batches", perModuleBatches, 1, 1000)
        try check("per_module_batch_size", perModuleBatchSize, 1, 4096)
        try check("per_module_max_hvps", perModuleMaxHvps, 2, 100_000)
        try check("spectra_examples", spectraExamples, 2, 100_000)
        try check("trace_probes", traceProbes, 6, 100_000)
        try check("density_runs", densityRuns, 1, 1000)
        try check("density_steps", densitySteps, 2, 100_000)
        try check("lanczos_max_hvps", lanczosMaxHvps, 2, 100_000)
        try check("lanczos_tolerance", lanczosTolerance, 0, 1, open: true)
        try check("training_curvature_examples", trainingCurvatureExamples, 2, 100_000)
        try check("training_curvature_max_hvps", trainingCurvatureMaxHvps, 2, 100_000)
        if let f = adaptiveSplitFractions.first(where: { !($0 > 0 && $0 < 1) }) {
            throw ReportError.badSpec("adaptive_split_fractions lie strictly between 0 and 1 (the ends always run), not \(f)")
        }
        if let f = Self.firstRepeat(adaptiveSplitFractions) { throw ReportError.badSpec("adaptive_split_fractions repeats \(f)") }
        try check("adaptive_split_epochs", adaptiveSplitEpochs, 1, 1000)
        try check("adaptive_split_probe_examples", adaptiveSplitProbeExamples, 1, 100_000)
        try check("adaptive_split_trace_matvecs", adaptiveSplitTraceMatvecs, 6, 100_000)
    }

    static func firstRepeat<T: Hashable>(_ xs: [T]) -> T? {
        var seen = Set<T>()
        return xs.first { !seen.insert($0).inserted }
    }

    /// The per-module layers: "first,last", "all" or a comma list of distinct layer indices (checked against the
    /// model's layer count when it is known).
    public static func layerList(_ spec: String, layers: Int?) throws -> [Int] {
        switch spec {
        case "first,last": return layers.map { [0, $0 - 1] } ?? [0]
        case "all": return layers.map { Array(0..<$0) } ?? [0]
        default:
            let parts = spec.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw ReportError.badSpec("per_module_layers is \"\(spec)\"; it takes \"first,last\", \"all\" or layer indices like \"0,3,5\"")
            }
            let list = parts.map { $0! }
            if let r = firstRepeat(list) { throw ReportError.badSpec("per_module_layers repeats layer \(r)") }
            if let layers, let bad = list.first(where: { $0 >= layers }) {
                throw ReportError.badSpec("per_module_layers names layer \(bad), but the model has layers 0–\(layers - 1)")
            }
            return list
        }
    }
}
