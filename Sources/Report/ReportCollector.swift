import Foundation
import Plotting

/// Reads the finished stages' outputs (metrics.json, train_log.csv, surface.csv/json, hessian.json, per-module.csv)
/// into the report's tidy tables. Every number REPORT.md quotes comes from these tables, so `ReportRenderer` needs
/// nothing else.
public struct ReportCollector {
    public let plan: ReportPlan
    public let records: [String: StageRunner.Record]

    public init(plan: ReportPlan, records: [StageRunner.Record]) {
        self.plan = plan
        self.records = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }

    func url(_ path: String) -> URL { URL(fileURLWithPath: path) }
    func json(_ path: String) throws -> JSONValue { try JSONValue.read(url(path)) }
    func csv(_ path: String) throws -> [[String: String]] { try TidyTable.read(url(path)).records }
    var seedFolders: [(UInt64, String)] { plan.spec.seeds.map { ($0, "\(plan.work)/\(ReportPlan.seedFolder($0))") } }
    var probes: String { "\(plan.work)/probes" }
    static func n(_ v: Double?) -> String { TidyTable.number(v) }

    /// All tables by file name.
    public func collect() throws -> [String: TidyTable] {
        var t: [String: TidyTable] = [:]
        t[ReportFiles.accuracy] = try accuracy()
        t[ReportFiles.ones] = try surfaces(prefix: "ones", spaces: ["latent"], seedDirectory: false)
        t[ReportFiles.filterLatent] = try surfaces(prefix: "filter-latent", spaces: ["latent"], seedDirectory: true)
        t[ReportFiles.filterQuantized] = try surfaces(prefix: "filter-quantized", spaces: ["quantized"], seedDirectory: true)
        t[ReportFiles.slices] = slices(t[ReportFiles.ones]!)
        t[ReportFiles.statistics] = try statistics()
        t[ReportFiles.perModule] = try perModule()
        let (density, traces, eigen) = try spectra()
        t[ReportFiles.density] = density
        t[ReportFiles.traces] = traces
        t[ReportFiles.eigen1D] = eigen
        t[ReportFiles.quadratic] = try quadratic()
        t[ReportFiles.curves] = try curves()
        t[ReportFiles.sizes] = try sizes()
        t[ReportFiles.interpolation] = try interpolation()
        t[ReportFiles.exactness] = try exactness()
        t[ReportFiles.trainingCurvature] = try trainingCurvature()
        if !plan.spec.adaptiveSplitFractions.isEmpty { t[ReportFiles.adaptiveSplit] = try adaptiveSplit() }
        return t
    }

    /// Fig. 1: dev accuracy of the kept (best) model of every seed and bit width.
    func accuracy() throws -> TidyTable {
        var t = TidyTable(columns: ["seed", "model", "series", "weight_bits", "activation_bits", "accuracy", "dev_examples"])
        var models: [(String, Int, String)] = [(ReportPlan.teacher, 32, "distilled students")]
        for b in plan.spec.uniformBits.sorted(by: >) { models.append((ReportPlan.uniform(b), b, "distilled students")) }
        models += [(ReportPlan.ternary, 2, "distilled students"), (ReportPlan.bwn, 1, "distilled students"), (ReportPlan.tws, 1, "TWS (split + fine-tuned)")]
        for (seed, folder) in seedFolders {
            for (name, bits, series) in models {
                let m = try json("\(folder)/\(name)/metrics.json")
                t.append(["seed": String(seed), "model": name, "series": series, "weight_bits": String(bits),
                          "activation_bits": name == ReportPlan.teacher ? "32" : "8", "accuracy": Self.n(m["best"]?["accuracy"]?.double),
                          "dev_examples": Self.n(m["devExamples"]?.double)])
            }
        }
        return t
    }

    /// The units of a surface scan: (direction seed or nil, directory).
    func units(_ dir: String, seedDirectory: Bool) -> [(Int?, String)] {
        guard seedDirectory else { return [(nil, dir)] }
        return (0..<plan.spec.directionSeeds).map { ($0, "\(dir)/seed-\($0)") }
    }

    /// Fig. 2: the grid of every model's scan (the first direction seed of random scans), with its space.
    func surfaces(prefix: String, spaces: [String], seedDirectory: Bool) throws -> TidyTable {
        var t = TidyTable(columns: ["model", "space", "i", "j", "x", "y", "loss", "accuracy"])
        for name in ReportPlan.probed {
            let dir = "\(probes)/\(prefix)-\(name)"
            // The teacher has one space (full precision); its latent scan stands beside the students' in each space.
            let source = FileManager.default.fileExists(atPath: dir) ? dir : "\(probes)/filter-latent-\(name)"
            guard let (_, unit) = units(source, seedDirectory: seedDirectory).first else { continue }
            let space = try json("\(unit)/surface.json")["space"]?.string ?? ""
            for r in try csv("\(unit)/surface.csv") {
                t.append(["model": name, "space": space, "i": r["i"] ?? "", "j": r["j"] ?? "", "x": r["x"] ?? "", "y": r["y"] ?? "",
                          "loss": r["loss"] ?? "", "accuracy": r["metric"] ?? ""])
            }
        }
        return t
    }

    /// The all-ones surfaces' centre row (y = 0) and column (x = 0).
    func slices(_ ones: TidyTable) -> TidyTable {
        var t = TidyTable(columns: ["model", "panel", "offset", "loss", "accuracy"])
        for axis in ["x", "y"] {
            for r in ones.records where r.number(axis == "x" ? "y" : "x") == 0 {
                t.append(["model": r["model"]!, "panel": axis == "x" ? "x: layer 0 value" : "y: layer 1 value",
                          "offset": r[axis]!, "loss": r["loss"]!, "accuracy": r["accuracy"]!])
            }
        }
        return t
    }

    /// Every scan's statistics (surface.json), one row per statistic and direction seed.
    func statistics() throws -> TidyTable {
        var t = TidyTable(columns: ["probe", "space", "model", "direction_seed", "statistic", "value"])
        let scans: [(String, String, Bool)] = ReportPlan.probed.map { ("ones", $0, false) }
            + ReportPlan.probed.map { ("filter-latent", $0, true) } + [ReportPlan.ternary, ReportPlan.bwn].map { ("filter-quantized", $0, true) }
        for (probe, name, seeded) in scans {
            for (seed, unit) in units("\(probes)/\(probe)-\(name)", seedDirectory: seeded) {
                let doc = try json("\(unit)/surface.json")
                guard case let .object(stats)? = doc["statistics"] else {
                    throw ReportError.badResult(path: "\(unit)/surface.json", reason: "has no statistics")
                }
                for key in stats.keys.sorted() {
                    t.append(["probe": probe.hasPrefix("filter") ? "filter" : "ones", "space": doc["space"]?.string ?? "", "model": name,
                              "direction_seed": seed.map(String.init) ?? "", "statistic": key, "value": Self.n(stats[key]?.double ?? .nan)])
                }
            }
        }
        return t
    }

    /// Fig. 3: the per-module cells as `hessian --per-module` wrote them.
    func perModule() throws -> TidyTable {
        let rows = try TidyTable.read(url("\(probes)/per-module/per-module.csv"))
        var t = TidyTable(columns: ["model", "module", "layer", "batch", "lambda_max", "lambda_min", "residual_max", "hvps", "converged"])
        for r in rows.records { t.append(r) }
        return t
    }

    /// Spectral densities, traces and the loss along each top eigenvector beside ½λx².
    func spectra() throws -> (TidyTable, TidyTable, TidyTable) {
        let doc = try json("\(probes)/spectra/hessian.json")
        var density = TidyTable(columns: ["model", "eigenvalue", "density"])
        var traces = TidyTable(columns: ["model", "dimension", "lambda_max", "lambda_max_residual", "trace", "trace_se", "trace_estimator",
                                         "slq_trace", "slq_trace_se", "loss", "accuracy", "hvps"])
        var eigen = TidyTable(columns: ["model", "curve", "offset", "loss_change"])
        for rep in doc["models"]?.array ?? [] {
            let label = rep["model"]?["label"]?.string ?? rep["model"]?.string ?? ""
            if let d = rep["density"], let grid = d["grid"]?.array, let ys = d["density"]?.array {
                let peak = ys.compactMap(\.double).max() ?? 0
                for (x, y) in zip(grid, ys) {
                    let v = y.double ?? 0
                    // Gaussian tails underflow towards 0: below 1e-6 of the peak the estimate is smoothing, not spectrum.
                    density.append(["model": label, "eigenvalue": Self.n(x.double), "density": v > 1e-6 * peak ? Self.n(v) : ""])
                }
            }
            let lam = rep["top"]?["values"]?[0]?.double
            traces.append(["model": label, "dimension": Self.n(rep["dimension"]?.double), "lambda_max": Self.n(lam),
                           "lambda_max_residual": Self.n(rep["top"]?["residuals"]?[0]?.double),
                           "trace": Self.n(rep["trace"]?["estimate"]?.double), "trace_se": Self.n(rep["trace"]?["standard_error"]?.double),
                           "trace_estimator": rep["trace"]?["estimator"]?.string ?? "",
                           "slq_trace": Self.n(rep["density"]?["trace"]?.double), "slq_trace_se": Self.n(rep["density"]?["trace_standard_error"]?.double),
                           "loss": Self.n(rep["loss"]?.double), "accuracy": Self.n(rep["accuracy"]?.double), "hvps": Self.n(rep["hvps"]?.double)])
            let scan = "\(probes)/eigen-1d-\(label)/surface.csv"
            if let lam, FileManager.default.fileExists(atPath: scan) {
                let points = try csv(scan)
                let centre = points.first { $0.number("x") == 0 }?.number("loss") ?? .nan
                for r in points {
                    let x = r.number("x")
                    eigen.append(["model": label, "curve": "measured", "offset": r["x"]!, "loss_change": Self.n(r.number("loss") - centre)])
                    eigen.append(["model": label, "curve": "½λ_max·x²", "offset": r["x"]!, "loss_change": Self.n(0.5 * lam * x * x)])
                }
            }
        }
        return (density, traces, eigen)
    }

    /// How much of each student's quantization loss L(ŵ) − L(w) the model gᵀε + ½εᵀHε explains.
    func quadratic() throws -> TidyTable {
        let doc = try json("\(probes)/quadratic/hessian.json")
        let keys = ["loss_latent", "loss_quantized", "measured", "gradient_term", "curvature_term", "predicted", "ratio", "epsilon_norm"]
        var t = TidyTable(columns: ["model"] + keys)
        for rep in doc["models"]?.array ?? [] {
            guard let q = rep["quadratic_check"] else { continue }
            var row = ["model": rep["model"]?["label"]?.string ?? ""]
            for k in keys { row[k] = Self.n(q[k]?.double) }
            t.append(row)
        }
        return t
    }

    /// Dev accuracy and training loss at every evaluation of both distillation stages (all seeds).
    func curves() throws -> TidyTable {
        var t = TidyTable(columns: ["seed", "model", "stage", "step", "position", "epoch", "train_loss", "dev_accuracy"])
        for (seed, folder) in seedFolders {
            for name in [ReportPlan.ternary, ReportPlan.bwn, ReportPlan.tws] {
                let perStage = plan.stageSteps(epochs: plan.epochs(of: name))
                for stage in [1, 2] {
                    let path = "\(folder)/\(name)\(stage == 1 ? "/stage1" : "")/train_log.csv"
                    for r in try csv(path) {
                        let step = Int(r["step"] ?? "") ?? 0
                        t.append(["seed": String(seed), "model": name, "stage": String(stage), "step": String(step),
                                  "position": String(step + (stage == 2 ? perStage : 0)), "epoch": r["epoch"] ?? "",
                                  "train_loss": r["loss"] ?? "", "dev_accuracy": r["dev_metric"] ?? ""])
                    }
                }
            }
        }
        return t
    }

    /// The accuracy/size table: the packed size each export reports.
    func sizes() throws -> TidyTable {
        var t = TidyTable(columns: ["seed", "model", "weight_bits", "accuracy", "megabytes"])
        for (seed, folder) in seedFolders {
            let teacher = try json("\(folder)/\(ReportPlan.teacher)/metrics.json")
            let bytes = (try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(ReportPlan.teacher)/model.safetensors")[.size] as? Int) ?? nil
            t.append(["seed": String(seed), "model": ReportPlan.teacher, "weight_bits": "32", "accuracy": Self.n(teacher["best"]?["accuracy"]?.double),
                      "megabytes": Self.n(bytes.map { Double($0) / 1_048_576 })])
            for (name, bits) in [(ReportPlan.ternary, 2), (ReportPlan.bwn, 1), (ReportPlan.tws, 1)] {
                let m = try json("\(folder)/\(name)/metrics.json")
                let export = records["\(ReportPlan.seedFolder(seed))/\(name)-packed"]?.result
                t.append(["seed": String(seed), "model": name, "weight_bits": String(bits), "accuracy": Self.n(m["best"]?["accuracy"]?.double),
                          "megabytes": Self.n(export?["megabytes"]?.double)])
            }
        }
        return t
    }

    /// The loss along ternary → fine-tuned TWS and split → fine-tuned TWS (x = 1 reaches the TWS model's weights).
    func interpolation() throws -> TidyTable {
        var t = TidyTable(columns: ["line", "x", "loss", "accuracy"])
        for label in ["ternary", "split"] {
            for r in try csv("\(probes)/interpolation-\(label)/surface.csv") {
                t.append(["line": "\(label) → TWS", "x": r["x"]!, "loss": r["loss"]!, "accuracy": r["metric"]!])
            }
        }
        return t
    }

    /// The ends of both lines in float64: x = 0 is the ternary model and the split one, x = 1 the TWS weights.
    func exactness() throws -> TidyTable {
        var t = TidyTable(columns: ["model", "x", "loss", "accuracy", "dtype"])
        for label in ["ternary", "split"] {
            let dir = "\(probes)/exactness-\(label)"
            let dtype = try json("\(dir)/surface.json")["dtype"]?.string ?? ""
            for r in try csv("\(dir)/surface.csv") {
                t.append(["model": label, "x": r["x"]!, "loss": r["loss"]!, "accuracy": r["metric"]!, "dtype": dtype])
            }
        }
        return t
    }

    /// λ_max of the value and FFN-output blocks at every kept snapshot of the ternary and BWN students.
    func trainingCurvature() throws -> TidyTable {
        var t = TidyTable(columns: ["model", "block", "stage", "step", "position", "lambda_max", "residual", "converged", "hvps", "loss"])
        for name in [ReportPlan.ternary, ReportPlan.bwn] {
            let perStage = plan.stageSteps(epochs: plan.epochs(of: name))
            for block in TrainingCurvature.blocks {
                for s in plan.snapshots(of: name) {
                    let doc = try json("\(probes)/along-training/\(name)/\(block.name)/\(s.label)/hessian.json")
                    let rep = doc["models"]?[0]
                    t.append(["model": name, "block": block.name, "stage": String(s.stage), "step": String(s.step),
                              "position": String(s.step + (s.stage == 2 ? perStage : 0)),
                              "lambda_max": Self.n(rep?["top"]?["values"]?[0]?.double), "residual": Self.n(rep?["top"]?["residuals"]?[0]?.double),
                              "converged": (rep?["top"]?["converged"]?[0]?.bool ?? false) ? "true" : "false",
                              "hvps": Self.n(rep?["hvps"]?.double), "loss": Self.n(rep?["loss"]?.double)])
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
            let rule = run.selection == "random" ? "random" : "\(run.selection) · \(run.gain)"
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
    public static let ratios = "fig3-ratios.csv"
    public static let density = "spectra-density.csv"
    public static let traces = "spectra-traces.csv"
    public static let eigen1D = "eigen-1d.csv"
    public static let quadratic = "quadratic-check.csv"
    public static let curves = "tws-curves.csv"
    public static let sizes = "tws-sizes.csv"
    public static let interpolation = "tws-interpolation.csv"
    public static let exactness = "tws-exactness.csv"
    public static let trainingCurvature = "training-curvature.csv"
    public static let verdicts = "verdicts.csv"
    public static let provenance = "report.json"
    public static let report = "REPORT.md"
}
