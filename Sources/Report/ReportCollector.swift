import Foundation
import Storage
import Plotting

/// Reads the finished stages' outputs (metrics.json, train_log.csv, surface.csv/json, hessian.json, per-module.csv)
/// into the report's tidy tables, one row per observation with its replicate. Every number REPORT.md quotes comes
/// from these tables, so `ReportRenderer` needs nothing else. Figures that show one run's surfaces or spectra take the
/// first replicate; every statistic a claim uses is collected for every replicate.
public struct ReportCollector {
    public let plan: ReportPlan
    public let records: [String: StageRunner.Record]
    /// The dev set's majority-class fraction (0 for regression tasks): what a model that learned nothing scores.
    public let baseline: Double

    public init(plan: ReportPlan, records: [StageRunner.Record], baseline: Double) {
        self.plan = plan
        self.records = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.baseline = baseline
    }

    func url(_ path: String) -> URL { URL(fileURLWithPath: path) }
    func json(_ path: String) throws -> JSONValue { try JSONValue.read(url(path)) }
    func csv(_ path: String) throws -> [[String: String]] { try TidyTable.read(url(path)).records }
    var first: UInt64 { plan.replicates[0] }
    static func n(_ v: Double?) -> String { TidyTable.number(v) }

    /// All tables by file name.
    public func collect() throws -> [String: TidyTable] {
        var t: [String: TidyTable] = [:]
        t[ReportFiles.accuracy] = try accuracy()
        t[ReportFiles.ones] = try surfaces(prefix: "ones", seedDirectory: false)
        t[ReportFiles.filterLatent] = try surfaces(prefix: "filter-latent", seedDirectory: true)
        t[ReportFiles.filterQuantized] = try surfaces(prefix: "filter-quantized", seedDirectory: true)
        t[ReportFiles.slices] = slices(t[ReportFiles.ones]!)
        t[ReportFiles.statistics] = try statistics()
        t[ReportFiles.perModule] = try perModule()
        for (name, view) in ReportPlan.curvatureViews {
            t[ReportFiles.perModule(view: name)] = try perModule(stage: "per-module-\(name)", file: "per-module-\(view.slug).csv")
        }
        let (density, traces, eigen) = try spectra()
        t[ReportFiles.density] = density
        t[ReportFiles.traces] = traces
        t[ReportFiles.eigen1D] = eigen
        t[ReportFiles.quadratic] = try quadratic()
        t[ReportFiles.heterogeneity] = try heterogeneity()
        t[ReportFiles.sharpness] = try sharpness()
        t[ReportFiles.curves] = try curves()
        t[ReportFiles.sizes] = try sizes()
        t[ReportFiles.interpolation] = try interpolation()
        t[ReportFiles.exactness] = try exactness()
        t[ReportFiles.trainingCurvature] = try trainingCurvature()
        if !plan.spec.adaptiveSplitFractions.isEmpty { t[ReportFiles.adaptiveSplit] = try adaptiveSplit() }
        return t
    }

    /// The models of Fig. 1 with their weight bits and series.
    var fig1Models: [(name: String, bits: Int, series: String)] {
        var models: [(String, Int, String)] = []
        for b in plan.spec.uniformBits.sorted(by: >) { models.append((ReportPlan.uniform(b), b, "distilled students")) }
        models += [(ReportPlan.ternary, 2, "distilled students"), (ReportPlan.bwn, 1, "distilled students")]
        if plan.spec.bwnSingleBudget { models.append((ReportPlan.bwnSingle, 1, "BWN with the ternary student's steps")) }
        models.append((ReportPlan.tws, 1, "TWS (split + fine-tuned)"))
        return models
    }

    /// A model's dev metric: accuracy for classification, the task's primary metric otherwise.
    static func metric(_ m: JSONValue) -> Double? {
        m["best"]?["accuracy"]?.double ?? m[anyOf: ["primary_metric", "primaryMetric"]]?.string.flatMap { m["best"]?[$0]?.double }
    }

    /// Fig. 1: dev accuracy of the kept (best) model of every replicate and bit width, and the shared teacher's once;
    /// `learned` says whether it clears the majority class by the spec's margin.
    func accuracy() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "series", "weight_bits", "activation_bits", "accuracy", "dev_examples",
                                    "majority_baseline", "learned"])
        func row(_ replicate: String, _ name: String, _ series: String, _ bits: Int, _ dir: String) throws {
            let m = try json("\(dir)/metrics.json")
            let acc = Self.metric(m)
            t.append(["replicate": replicate, "model": name, "series": series, "weight_bits": String(bits),
                      "activation_bits": name == ReportPlan.teacher ? "32" : "8", "accuracy": Self.n(acc),
                      "dev_examples": Self.n(m[anyOf: ["dev_examples", "devExamples"]]?.double), "majority_baseline": Self.n(baseline),
                      "learned": (acc ?? -.infinity) >= baseline + plan.spec.learnedMargin ? "true" : "false"])
        }
        try row("", ReportPlan.teacher, "full precision (shared teacher)", 32, plan.model(ReportPlan.teacher, replicate: first))
        for seed in plan.replicates {
            for (name, bits, series) in fig1Models { try row(String(seed), name, series, bits, plan.model(name, replicate: seed)) }
        }
        return t
    }

    /// The units of a surface scan: (direction seed or nil, directory).
    func units(_ dir: String, seedDirectory: Bool, replicate seed: UInt64) -> [(UInt64?, String)] {
        guard seedDirectory else { return [(nil, dir)] }
        let base = plan.directionSeed(seed)
        // `landscape` writes one seed into its output itself, several into seed-S subdirectories.
        guard plan.spec.directionSeeds > 1 else { return [(base, dir)] }
        return (0..<UInt64(plan.spec.directionSeeds)).map { (base + $0, "\(dir)/seed-\(base + $0)") }
    }

    /// Fig. 2: the grid of every model's scan in the first replicate (its first direction seed for random
    /// directions); the teacher's latent scan stands beside the students' in each space.
    func surfaces(prefix: String, seedDirectory: Bool) throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "space", "i", "j", "x", "y", "loss", "accuracy"])
        let probes = plan.probes(first)
        for name in ReportPlan.probed {
            let dir = "\(probes)/\(prefix)-\(name)"
            let source = FileManager.default.fileExists(atPath: dir) ? dir : "\(probes)/filter-latent-\(name)"
            guard let (_, unit) = units(source, seedDirectory: seedDirectory, replicate: first).first else { continue }
            let space = try json("\(unit)/surface.json")["space"]?.string ?? ""
            for r in try csv("\(unit)/surface.csv") {
                t.append(["replicate": String(first), "model": name, "space": space, "i": r["i"] ?? "", "j": r["j"] ?? "", "x": r["x"] ?? "",
                          "y": r["y"] ?? "", "loss": r["loss"] ?? "", "accuracy": r["metric"] ?? ""])
            }
        }
        return t
    }

    /// The all-ones surfaces' centre row (y = 0) and column (x = 0).
    func slices(_ ones: TidyTable) -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "panel", "offset", "loss", "accuracy"])
        for axis in ["x", "y"] {
            for r in ones.records where r.number(axis == "x" ? "y" : "x") == 0 {
                t.append(["replicate": r["replicate"]!, "model": r["model"]!, "panel": axis == "x" ? "x: layer 0 value" : "y: layer 1 value",
                          "offset": r[axis]!, "loss": r["loss"]!, "accuracy": r["accuracy"]!])
            }
        }
        return t
    }

    /// Every scan's statistics (surface.json) of every replicate, one row per statistic and direction seed; the
    /// all-ones scans add `mean_rise`, the mean over the grid of L − L(centre).
    func statistics() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "probe", "space", "model", "direction_seed", "statistic", "value"])
        let scans: [(String, String, Bool)] = ReportPlan.probed.map { ("ones", $0, false) }
            + ReportPlan.probed.map { ("filter-latent", $0, true) } + [ReportPlan.ternary, ReportPlan.bwn].map { ("filter-quantized", $0, true) }
        for seed in plan.replicates {
            for (probe, name, seeded) in scans {
                for (direction, unit) in units("\(plan.probes(seed))/\(probe)-\(name)", seedDirectory: seeded, replicate: seed) {
                    let doc = try json("\(unit)/surface.json")
                    guard case var .object(stats)? = doc["statistics"] else {
                        throw ReportError.badResult(path: "\(unit)/surface.json", reason: "has no statistics")
                    }
                    if probe == "ones" {
                        let grid = try csv("\(unit)/surface.csv")
                        let centre = stats["loss_center"]?.double ?? .nan
                        stats["mean_rise"] = .number(Estimate.mean(grid.map { $0.number("loss") - centre }))
                    }
                    for key in stats.keys.sorted() {
                        t.append(["replicate": String(seed), "probe": probe.hasPrefix("filter") ? "filter" : "ones", "space": doc["space"]?.string ?? "",
                                  "model": name, "direction_seed": direction.map(String.init) ?? "", "statistic": key,
                                  "value": Self.n(stats[key]?.double ?? .nan)])
                    }
                }
            }
        }
        return t
    }

    /// Fig. 3: the per-module cells of every replicate as `hessian --per-module` wrote them.
    /// `stage`/`file`: a curvature view's stage folder and table (the raw Hessian's by default).
    func perModule(stage: String = "per-module", file: String = "per-module.csv") throws -> TidyTable {
        try everyReplicate(["model", "module", "layer", "batch", "lambda_max", "lambda_min", "residual_max", "hvps", "converged"], "\(stage)/\(file)")
    }

    /// One probe table (`columns`, at PROBES/`path`) of every replicate, each row with its replicate.
    func everyReplicate(_ columns: [String], _ path: String) throws -> TidyTable {
        var t = TidyTable(columns: ["replicate"] + columns)
        for seed in plan.replicates {
            for r in try csv("\(plan.probes(seed))/\(path)") {
                var row = r
                row["replicate"] = String(seed)
                t.append(row)
            }
        }
        return t
    }

    /// Spectral densities and the loss along each top eigenvector beside ½λx² (first replicate), traces (every replicate).
    func spectra() throws -> (TidyTable, TidyTable, TidyTable) {
        var density = TidyTable(columns: ["replicate", "model", "eigenvalue", "density"])
        var traces = TidyTable(columns: ["replicate", "model", "dimension", "lambda_max", "lambda_max_residual", "lambda_min", "lambda_min_residual", "trace", "trace_se",
                                         "trace_estimator", "slq_trace", "slq_trace_se", "loss", "accuracy", "hvps"])
        var eigen = TidyTable(columns: ["replicate", "model", "curve", "offset", "loss_change"])
        for seed in plan.replicates {
            let probes = plan.probes(seed), rep = String(seed)
            let doc = try json("\(probes)/spectra/hessian.json")
            for model in doc["models"]?.array ?? [] {
                let label = model["model"]?["label"]?.string ?? model["model"]?.string ?? ""
                if seed == first, let d = model["density"], let grid = d["grid"]?.array, let ys = d["density"]?.array {
                    let peak = ys.compactMap(\.double).max() ?? 0
                    for (x, y) in zip(grid, ys) {
                        let v = y.double ?? 0
                        // Gaussian tails underflow towards 0: below 1e-6 of the peak the estimate is smoothing, not spectrum.
                        density.append(["replicate": rep, "model": label, "eigenvalue": Self.n(x.double), "density": v > 1e-6 * peak ? Self.n(v) : ""])
                    }
                }
                let lam = model["top"]?["values"]?[0]?.double
                traces.append(["replicate": rep, "model": label, "dimension": Self.n(model["dimension"]?.double), "lambda_max": Self.n(lam),
                               "lambda_max_residual": Self.n(model["top"]?["residuals"]?[0]?.double),
                               "lambda_min": Self.n(model["bottom"]?["values"]?[0]?.double),
                               "lambda_min_residual": Self.n(model["bottom"]?["residuals"]?[0]?.double),
                               "trace": Self.n(model["trace"]?["estimate"]?.double), "trace_se": Self.n(model["trace"]?["standard_error"]?.double),
                               "trace_estimator": model["trace"]?["estimator"]?.string ?? "",
                               "slq_trace": Self.n(model["density"]?["trace"]?.double),
                               "slq_trace_se": Self.n(model["density"]?["trace_standard_error"]?.double),
                               "loss": Self.n(model["loss"]?.double), "accuracy": Self.n(model["accuracy"]?.double), "hvps": Self.n(model["hvps"]?.double)])
                let scan = "\(probes)/eigen-1d-\(label)/surface.csv"
                if seed == first, let lam, FileManager.default.fileExists(atPath: scan) {
                    let points = try csv(scan)
                    let centre = points.first { $0.number("x") == 0 }?.number("loss") ?? .nan
                    for r in points {
                        let x = r.number("x")
                        eigen.append(["replicate": rep, "model": label, "curve": "measured", "offset": r["x"]!, "loss_change": Self.n(r.number("loss") - centre)])
                        eigen.append(["replicate": rep, "model": label, "curve": "½λ_max·x²", "offset": r["x"]!, "loss_change": Self.n(0.5 * lam * x * x)])
                    }
                }
            }
        }
        return (density, traces, eigen)
    }

    /// How much of each student's quantization loss L(ŵ) − L(w) the model gᵀε + ½εᵀHε explains, per replicate, with
    /// the paper's bound ½λ_max‖ε‖² on the curvature term (λ_max at w on all quantized tensors).
    func quadratic() throws -> TidyTable {
        let keys = ["loss_latent", "loss_quantized", "measured", "gradient_term", "curvature_term", "predicted", "ratio", "epsilon_norm",
                    "lambda_max", "lambda_max_residual", "curvature_bound", "rayleigh_quotient"]
        let columns = ["replicate", "model"] + keys + ["lambda_max_converged"]
        var t = TidyTable(columns: columns)
        for seed in plan.replicates {
            let doc = try json("\(plan.probes(seed))/quadratic/hessian.json")
            for model in doc["models"]?.array ?? [] {
                guard let q = model["quadratic_check"] else { continue }
                var row = ["replicate": String(seed), "model": model["model"]?["label"]?.string ?? ""]
                for k in keys { row[k] = Self.n(q[k]?.double) }
                row["lambda_max_converged"] = q["lambda_max_converged"]?.bool.map { $0 ? "true" : "false" } ?? ""
                t.append(row)
            }
        }
        return t
    }

    /// The Jensen–Shannon distance between every two module blocks' spectral densities of each model, per replicate.
    func heterogeneity() throws -> TidyTable {
        try everyReplicate(["model", "a", "b", "module_a", "layer_a", "module_b", "layer_b", "distance"], "heterogeneity/heterogeneity.csv")
    }

    /// The students' adaptive sharpness per replicate: each case's loss rise (in loss units) at its radius.
    func sharpness() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "case", "rho", "scale", "ball", "loss", "rise", "rise_se", "dimension"])
        for seed in plan.replicates {
            for c in ReportPlan.sharpness {
                let doc = try json("\(plan.probes(seed))/sharpness-\(c.name)/sharpness.json")
                for m in doc["models"]?.array ?? [] {
                    let r = m["result"]
                    t.append(["replicate": String(seed), "model": URL(fileURLWithPath: m["model"]?.string ?? "").lastPathComponent, "case": c.name,
                              "rho": Self.n(r?["rho"]?.double), "scale": r?["scale"]?.string ?? "", "ball": r?["ball"]?.string ?? "",
                              "loss": Self.n(r?["loss"]?.double), "rise": Self.n(r?[c.steps > 0 ? "worst_rise" : "average_rise"]?.double),
                              "rise_se": Self.n(c.steps > 0 ? nil : r?["average_rise_standard_error"]?.double), "dimension": Self.n(r?["dimension"]?.double)])
                }
            }
        }
        return t
    }

    /// The distillation loss (every `log_every` steps) and dev accuracy (at every evaluation) of both stages of every
    /// replicate's ternary, BWN and TWS students; `position` counts steps from the start of stage 1.
    func curves() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "stage", "step", "position", "epoch", "train_loss", "dev_accuracy"])
        var models = [ReportPlan.ternary, ReportPlan.bwn]
        if plan.spec.bwnSingleBudget { models.append(ReportPlan.bwnSingle) }
        models.append(ReportPlan.tws)
        for seed in plan.replicates {
            for name in models {
                let perStage = plan.stageSteps(epochs: plan.epochs(of: name))
                let dir = plan.model(name, replicate: seed)
                // TWS starts from the split model: it has no stage 1 of its own only when trained with --skip-stage1.
                for stage in [1, 2] {
                    let path = "\(dir)\(stage == 1 ? "/stage1" : "")/train_log.csv"
                    guard stage == 2 || FileManager.default.fileExists(atPath: path) else { continue }
                    for r in try csv(path) {
                        let step = Int(r["step"] ?? "") ?? 0
                        t.append(["replicate": String(seed), "model": name, "stage": String(stage), "step": String(step),
                                  "position": String(step + (stage == 2 ? perStage : 0)), "epoch": r["epoch"] ?? "",
                                  "train_loss": r["loss"] ?? "", "dev_accuracy": r["dev_metric"] ?? ""])
                    }
                }
            }
        }
        return t
    }

    /// The accuracy/size table: the packed size each export (first replicate) reports, the accuracy of every replicate.
    func sizes() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "weight_bits", "accuracy", "megabytes"])
        let teacherDir = plan.model(ReportPlan.teacher, replicate: first)
        let teacher = try json("\(teacherDir)/metrics.json")
        let bytes = (try? FileManager.default.attributesOfItem(atPath: "\(teacherDir)/model.safetensors")[.size] as? Int) ?? nil
        t.append(["replicate": "", "model": ReportPlan.teacher, "weight_bits": "32", "accuracy": Self.n(Self.metric(teacher)),
                  "megabytes": Self.n(bytes.map { Double($0) / 1_048_576 })])
        for seed in plan.replicates {
            for (name, bits) in [(ReportPlan.ternary, 2), (ReportPlan.bwn, 1), (ReportPlan.tws, 1)] {
                let m = try json("\(plan.model(name, replicate: seed))/metrics.json")
                let export = records["\(ReportPlan.replicateFolder(first))/\(name)-packed"]?.result
                t.append(["replicate": String(seed), "model": name, "weight_bits": String(bits), "accuracy": Self.n(Self.metric(m)),
                          "megabytes": Self.n(export?["megabytes"]?.double)])
            }
        }
        return t
    }

    /// The loss along ternary → fine-tuned TWS and split → fine-tuned TWS (first replicate; x = 1 reaches the TWS weights).
    func interpolation() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "line", "x", "loss", "accuracy"])
        for label in ["ternary", "split"] {
            for r in try csv("\(plan.probes(first))/interpolation-\(label)/surface.csv") {
                t.append(["replicate": String(first), "line": "\(label) → TWS", "x": r["x"]!, "loss": r["loss"]!, "accuracy": r["metric"]!])
            }
        }
        return t
    }

    /// The ends of both lines in float64 for every replicate: x = 0 is the ternary model and the split one, x = 1 the TWS weights.
    func exactness() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "x", "loss", "accuracy", "dtype"])
        for seed in plan.replicates {
            for label in ["ternary", "split"] {
                let dir = "\(plan.probes(seed))/exactness-\(label)"
                let dtype = try json("\(dir)/surface.json")["dtype"]?.string ?? ""
                for r in try csv("\(dir)/surface.csv") {
                    t.append(["replicate": String(seed), "model": label, "x": r["x"]!, "loss": r["loss"]!, "accuracy": r["metric"]!, "dtype": dtype])
                }
            }
        }
        return t
    }

    /// λ_max of the value and FFN-output blocks at every kept snapshot of every replicate's ternary and BWN students,
    /// with the probe objective's loss there (the view at matched training loss pairs snapshots by it).
    func trainingCurvature() throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "model", "block", "stage", "step", "position", "lambda_max", "residual", "converged", "hvps", "loss"])
        for seed in plan.replicates {
            for name in [ReportPlan.ternary, ReportPlan.bwn] {
                let perStage = plan.stageSteps(epochs: plan.epochs(of: name))
                for block in TrainingCurvature.blocks {
                    for stage in [1, 2] {
                        let path = "\(plan.trainingCurvatureOutput(name, block: block.name, stage: stage, replicate: seed))/hessian.json"
                        let models = try json(path)["models"]?.array ?? []
                        for s in plan.snapshots(of: name, replicate: seed) where s.stage == stage {
                            guard let rep = models.first(where: { ($0["model"]?["label"]?.string ?? $0["model"]?.string) == s.directoryName }) else {
                                throw ReportError.badResult(path: path, reason: "has no result for the snapshot \(s.directoryName)")
                            }
                            t.append(["replicate": String(seed), "model": name, "block": block.name, "stage": String(stage), "step": String(s.step),
                                      "position": String(s.step + (stage == 2 ? perStage : 0)),
                                      "lambda_max": Self.n(rep["top"]?["values"]?[0]?.double), "residual": Self.n(rep["top"]?["residuals"]?[0]?.double),
                                      "converged": (rep["top"]?["converged"]?[0]?.bool ?? false) ? "true" : "false",
                                      "hvps": Self.n(rep["hvps"]?.double), "loss": Self.n(rep["loss"]?.double)])
                        }
                    }
                }
            }
        }
        return t
    }
}

/// The file names of the report's tables (each SVG `NAME.svg` or `NAME.VIEW.svg` is drawn from `NAME.csv`).
extension ReportCollector {
    /// Adaptive splitting: one row per run (the ends once per rule, where every rule starts and ends) with its
    /// packed size, what it split and the final binary model's dev accuracy.
    func adaptiveSplit() throws -> TidyTable {
        var t = TidyTable(columns: ["run", "rule", "selection", "gain", "budget_fraction", "budget_mb", "packed_mb", "matrices_split",
                                    "planned_gain", "mixed_accuracy", "split_accuracy", "accuracy", "split_relative_error", "dev_examples"])
        let runs = ReportPlan.adaptiveRuns(plan.spec.adaptiveSplitFractions)
        let rules = ["max · measured", "max · curvature", "random", "min · measured", "min · curvature"]
        for run in runs {
            let r = try json("\(plan.work)/adaptive/\(run.name)/adaptive-split.json")
            let end = run.fraction == 0 || run.fraction == 1
            let rule = run.selection == .random ? "random" : "\(run.selection.rawValue) · \(run.gain.rawValue)"
            for each in end ? rules : [rule] {
                let parts = each.components(separatedBy: " · ")
                t.append(["run": run.name, "rule": each, "selection": parts[0], "gain": parts.count > 1 ? parts[1] : "",
                          "budget_fraction": Self.n(run.fraction), "budget_mb": Self.n(r["options"]?["budget_mb"]?.double),
                          "packed_mb": Self.n(r["packed_mb"]?.double), "matrices_split": Self.n(r["choice"]?["split"]?.array.map { Double($0.count) }),
                          "planned_gain": Self.n(r["choice"]?["gain"]?.double), "mixed_accuracy": Self.n(r["mixed_metric"]?.double),
                          "split_accuracy": Self.n(r["split_metric"]?.double), "accuracy": Self.n(r["final_metric"]?.double),
                          "split_relative_error": Self.n(r["split_relative_error"]?.double), "dev_examples": Self.n(r["dev_examples"]?.double)])
            }
        }
        return t
    }
}

public enum ReportFiles {
    public static let adaptiveSplit = "adaptive-split.csv"
    public static let accuracy = "fig1-accuracy-bits.csv"
    public static let ones = "fig2-ones.csv"
    public static let filterLatent = "fig2-filter-latent.csv"
    public static let filterQuantized = "fig2-filter-quantized.csv"
    public static let slices = "fig2-slices.csv"
    public static let statistics = "fig2-statistics.csv"
    public static let perModule = "fig3-per-module.csv"
    /// Fig. 3's cells in a curvature view (`ReportPlan.curvatureViews`: ggn, normalized), and their ratios.
    public static func perModule(view: String) -> String { "fig3-per-module-\(view).csv" }
    public static func ratios(view: String) -> String { "fig3-ratios-\(view).csv" }
    public static let ratios = "fig3-ratios.csv"
    public static let density = "spectra-density.csv"
    public static let traces = "spectra-traces.csv"
    public static let eigen1D = "eigen-1d.csv"
    public static let quadratic = "quadratic-check.csv"
    public static let heterogeneity = "heterogeneity.csv"
    public static let heterogeneitySummary = "heterogeneity-summary.csv"
    public static let sharpness = "sharpness.csv"
    /// One case's summary over replicates (the figure `sharpness-<case>.svg` is drawn from it).
    public static func sharpness(case name: String) -> String { "sharpness-\(name).csv" }
    public static let curves = "tws-curves.csv"
    public static let sizes = "tws-sizes.csv"
    public static let interpolation = "tws-interpolation.csv"
    public static let exactness = "tws-exactness.csv"
    public static let trainingCurvature = "training-curvature.csv"
    public static let verdicts = "verdicts.csv"
    public static let forest = "forest.csv"
    public static let perLayer = "fig3-per-layer.csv"
    public static let matchedLoss = "matched-loss.csv"
    public static let provenance = "report.json"
    public static let report = "REPORT.md"
    /// Every figure of the folder with its caption, its table and the command that redraws it.
    public static let gallery = "README.md"
}
