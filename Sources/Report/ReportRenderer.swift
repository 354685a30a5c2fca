import Foundation
import Storage
import Plotting
import Training

/// Draws the report from its tables alone: every SVG, the derived tables (Fig. 3's ratios, the verdicts) and
/// `REPORT.md`, whose every number is computed here from the CSV it cites. Same tables → same bytes.
public struct ReportRenderer {
    public let directory: URL
    let provenance: JSONValue

    public init(directory: URL) throws {
        self.directory = directory
        provenance = try JSONValue.read(directory.appendingPathComponent(ReportFiles.provenance))
    }

    /// A table by file name, read once (the derived ones come from the cache they were written through).
    func table(_ name: String) throws -> TidyTable {
        if let t = cache.tables[name] { return t }
        let t = try TidyTable.read(directory.appendingPathComponent(name))
        cache.tables[name] = t
        return t
    }

    /// A table's rows keyed by column, built once per table: the claims and REPORT.md look rows up many times.
    func records(_ name: String) throws -> [[String: String]] {
        if let r = cache.records[name] { return r }
        let r = try table(name).records
        cache.records[name] = r
        return r
    }
    /// Whether the run included adaptive splitting (its table exists).
    var hasAdaptiveSplit: Bool { (try? table(ReportFiles.adaptiveSplit)) != nil }

    /// The spec's confidence level (report.json), 0.95 when absent.
    var confidence: Double { provenance["spec"]?["confidence"]?.double ?? 0.95 }
    /// " on a fixed draw of N dev examples" when the spec's learning-curve evaluations read a subset of dev
    /// (report.json), else "".
    var curveSubsetPhrase: String {
        provenance["spec"]?["curve_examples"]?.double.map { " on a fixed draw of \(Int($0)) dev examples" } ?? ""
    }
    func claimSet() throws -> ReportClaims { try ReportClaims(confidence: confidence, records: records) }

    /// Writes every figure, the derived tables and REPORT.md; returns the files written and the claims.
    @discardableResult
    public func render() throws -> (files: [String], claims: [Claim]) {
        var written: [String] = []
        var gallery = ReportGallery()
        func draw(_ plot: TidyPlot, from csv: String, to svg: String, caption: String) throws {
            let t = try table(csv)
            let table = try CSVTable(text: t.text, source: csv)
            let (document, _) = try plot.render(table, source: csv)
            cache.layout[svg] = LayoutCheck.problems(in: document)
            try AtomicFile.write(document.text, to: directory.appendingPathComponent(svg), createParent: true)
            written.append(svg)
            gallery.add(svg, from: csv, caption: caption)
        }
        let set = try claimSet()
        let n = set.replicates.count
        let replicates = "\(n) replicate\(n == 1 ? "" : "s")"
        // The figures that show one run's grid, spectrum or line show the first replicate's.
        let first = set.replicates.first ?? "?"
        // Fig. 1: every replicate (thin lines, dots) and their mean (bold); the teacher is one shared point.
        var p = TidyPlot(x: "weight_bits", y: ["accuracy"])
        p.group = "series"; p.xSpacing = .log2; p.replicate = "replicate"; p.xFit = .padded
        p.title = "Dev accuracy against weight bits (A8): thin, each of \(replicates); bold, their mean"
        p.xLabel = "weight bits (log scale)"; p.yLabel = "dev accuracy"
        try draw(p, from: ReportFiles.accuracy, to: "fig1-accuracy-bits.svg",
                 caption: "Fig. 1: dev accuracy of the distilled 4-bit, ternary and BWN students (A8) and of TWS against weight bits; each replicate thin, the mean bold, the full-precision teacher one shared point.")
        // Fig. 2: the shared absolute scale (the paper's) and each model's rise from its centre on one scale.
        for (csv, what) in [(ReportFiles.ones, "all-ones probe, latent space"), (ReportFiles.filterLatent, "filter-normalized directions, latent space"),
                            (ReportFiles.filterQuantized, "filter-normalized directions, quantized space")] {
            let stem = String(csv.dropLast(4))
            let ones = csv == ReportFiles.ones
            for (kind, view) in [(TidyPlot.Kind.surface, "surface"), (.contour, "contour")] {
                var g = TidyPlot(kind: kind, x: "x", y: ["y"])
                g.z = "loss"; g.panel = "model"; g.panelFormat = "{}"; g.columns = 3; g.colorLabel = "training loss"
                let short = kind == .surface
                if short {
                    g.rise = true
                    g.title = "Fig. 2, \(what) (replicate \(first)): loss on one scale (top), rise from each model's centre on one scale (bottom)"
                } else {
                    g.panelLevels = true
                    g.title = "Fig. 2, \(what) (replicate \(first)): colours on one loss scale, contours at each model's own levels"
                }
                g.xLabel = ones ? (short ? "x (layer 0 value)" : "x · mean|W| on layer 0's value") : (short ? "x" : "x (filter-normalized, value@0,1)")
                g.yLabel = ones ? (short ? "y (layer 1 value)" : "y · mean|W| on layer 1's value") : (short ? "y" : "y (filter-normalized, value@0,1)")
                let caption = short
                    ? "Fig. 2 (\(what)): the training-loss surface of the full-precision, ternary and BWN models as 3-D meshes, on one shared loss scale (top row, the paper's view) and as the rise from each model's own centre on one shared scale (bottom row), so that their shapes compare."
                    : "Fig. 2 (\(what)): the same surfaces as maps, coloured on one shared loss scale, with labelled contours at levels chosen in each model's own range."
                try draw(g, from: csv, to: "\(stem).\(view).svg", caption: caption)
            }
        }
        p = TidyPlot(x: "offset", y: ["loss"])
        p.group = "model"; p.panel = "panel"; p.panelFormat = "{}"; p.title = "All-ones probe, centre slices (latent space, replicate \(first))"
        p.xLabel = "offset (units of mean|W|)"; p.yLabel = "training loss"
        try draw(p, from: ReportFiles.slices, to: "fig2-slices.svg",
                 caption: "The all-ones probe's two centre slices (x and y through the model itself), each model's training loss along them.")
        // Fig. 3: ratios over replicates on a log axis (the intervals are computed on the log scale).
        try store(ReportFiles.ratios, try ratios(set)); written.append(ReportFiles.ratios)
        try store(ReportFiles.perLayer, try perLayer(set)); written.append(ReportFiles.perLayer)
        var bar = TidyPlot(kind: .bar, x: "module", y: ["ratio"])
        bar.group = "pair"; bar.errorColumns = ("low", "high"); bar.reference = 1; bar.ySpacing = .log10; bar.points = "replicate_ratio"
        bar.title = "Fig. 3: λ_max ratios over \(replicates) (dots), geometric mean and \(Estimate.percent(confidence)) % t-interval"
        bar.xLabel = "module"; bar.yLabel = "λ_max ratio (log scale; bars from 1)"
        try draw(bar, from: ReportFiles.ratios, to: "fig3-ratios.svg",
                 caption: "Fig. 3: top Hessian eigenvalue ratios per module kind, ternary and BWN against full precision and BWN against ternary (the ratio the verdicts judge): geometric mean over replicates with its \(Estimate.percent(confidence)) % t-interval and each replicate's own ratio as a dot, on a log axis.")
        for view in set.views {
            let title = ReportClaims.viewTitles[view] ?? view
            try store(ReportFiles.ratios(view: view), try ratios(set, table: ReportFiles.perModule(view: view)))
            written.append(ReportFiles.ratios(view: view))
            var b = bar
            let short = view == "ggn" ? "Gauss–Newton" : "D·H·D, D = |w|"
            b.title = "Fig. 3, \(short): λ_max ratios over \(replicates) (dots), mean and \(Estimate.percent(confidence)) % t-interval"
            try draw(b, from: ReportFiles.ratios(view: view), to: "fig3-ratios-\(view).svg",
                     caption: "Fig. 3 in the \(title): the same cells and ratios as Fig. 3 with each block's \(view == "ggn" ? "generalized Gauss–Newton matrix (positive semi-definite)" : "Hessian in the coordinates w/|w|, which scaling one layer against the next leaves unchanged") in place of its Hessian; dots are replicates.")
        }
        // Module heterogeneity: each model's mean distance between its blocks' spectra, over replicates.
        try store(ReportFiles.heterogeneitySummary, try heterogeneitySummary(set)); written.append(ReportFiles.heterogeneitySummary)
        var h = TidyPlot(kind: .bar, x: "pairs", y: ["distance"])
        h.group = "model"; h.errorColumns = ("low", "high"); h.points = "replicate_distance"
        h.title = "Module heterogeneity over \(replicates) (dots): mean and \(Estimate.percent(confidence)) % t-interval"
        h.xLabel = "pairs of module blocks"; h.yLabel = "JS distance (0 same, 1 disjoint)"
        try draw(h, from: ReportFiles.heterogeneitySummary, to: "heterogeneity-summary.svg",
                 caption: "How different the Hessian spectra of a model's module blocks are (one block: one module kind in one layer; SLQ densities on one smoothing scale per model): the mean Jensen–Shannon distance over all pairs of blocks, over one kind's blocks in different layers and over different kinds in one layer; mean over replicates with its \(Estimate.percent(confidence)) % t-interval, each replicate a dot.")
        // Adaptive sharpness of the students in units of their quantization step, one figure per case (their rises
        // differ by orders of magnitude).
        for c in ReportPlan.sharpness {
            let csv = ReportFiles.sharpness(case: c.name)
            try store(csv, try sharpnessSummary(set, case: c.name)); written.append(csv)
            var sh = TidyPlot(kind: .bar, x: "model", y: ["rise"])
            sh.group = "model"; sh.errorColumns = ("low", "high"); sh.points = "replicate_rise"
            sh.title = "\(c.name.capitalized)-case sharpness at ρ = \(c.rho) steps: \(replicates) (dots), mean, \(Estimate.percent(confidence)) % t-interval"
            sh.xLabel = "student"; sh.yLabel = "loss rise L(ŵ + δ) − L(ŵ)"
            let how = c.steps > 0 ? "the largest rise found by \(c.steps) steps of projected gradient ascent within the ball ‖u‖₂ ≤ √d"
                                  : "the mean rise over \(c.samples) Gaussian draws of u"
            try draw(sh, from: csv, to: "sharpness-\(c.name).svg",
                     caption: "\(c.name.capitalized)-case adaptive sharpness of the ternary and BWN students: the training-loss rise when every quantized weight moves by δ = ρ·α·u (ρ = \(c.rho), α its tensor's quantization step, u of unit RMS), \(how); mean over replicates with its \(Estimate.percent(confidence)) % t-interval, each replicate a dot.")
        }
        // Spectra: every model on one axis, then each on its own fitted axis, λ_max and λ_min marked.
        p = TidyPlot(kind: .density, x: "eigenvalue", y: ["density"])
        p.group = "model"; p.panel = "model"; p.panelFormat = "{}"; p.columns = 2; p.overview = "every model on one axis"
        p.panelRules = try spectrumMarks(overview: p.overview!)
        p.title = "Spectral density of value@0,1 (SLQ, smoothed; replicate \(first)); dashed: each model's λ_max and λ_min"
        p.xLabel = "eigenvalue"; p.yLabel = "density (log scale)"
        try draw(p, from: ReportFiles.density, to: "spectra-density.svg",
                 caption: "Spectral density of the value matrices of layers 0 and 1 (SLQ, Gaussian-smoothed), every model on one axis and each on its own; values below 10⁻⁶ of the peak sit on the axis floor; dashed lines mark λ_max and λ_min (Lanczos, spectra-traces.csv).")
        p = TidyPlot(x: "offset", y: ["loss_change"])
        p.group = "curve"; p.panel = "model"; p.panelFormat = "{}"; p.columns = 3; p.xFit = .data
        p.title = "Loss along the top Hessian eigenvector of value@0,1 (replicate \(first))"
        p.xLabel = "offset along the unit eigenvector"; p.yLabel = "L − L₀"
        try draw(p, from: ReportFiles.eigen1D, to: "eigen-1d.svg",
                 caption: "The loss change along each model's top Hessian eigenvector of value@0,1, measured and as the quadratic ½λ_max·x² predicts.")
        // Distillation: one panel per stage objective on one step axis, each model's stage boundary marked.
        let curvesEnd = try records(ReportFiles.curves).map { $0.number("position") }.filter(\.isFinite).max() ?? 1
        let objectives = ["1": "stage 1: attention + hidden-state MSE", "2": "stage 2: logit distillation (soft CE)"]
        for (column, view, label) in [("dev_accuracy", "accuracy", "dev accuracy"), ("train_loss", "loss", "loss (mean since last point)")] {
            p = TidyPlot(x: "position", y: [column])
            p.group = "model"; p.panel = "stage"; p.panelTitles = objectives; p.replicate = "replicate"; p.connectGaps = true
            p.xRange = (0, max(curvesEnd, 1)); p.rules = try stageBoundaries(ReportFiles.curves)
            p.title = "Distillation \(view == "loss" ? "loss" : "dev accuracy") per stage: thin, each of \(replicates); bold, their mean"
            p.xLabel = "step from the start of distillation"; p.yLabel = label
            try draw(p, from: ReportFiles.curves, to: "tws-curves.\(view).svg",
                     caption: view == "loss"
                        ? "The distillation loss as logged, one panel per stage objective (the two stages minimise different losses), every replicate thin and the mean bold; dashed lines mark where each model's stage 2 starts."
                        : "Dev accuracy\(curveSubsetPhrase) before the first step and every few steps of each stage (learning-curve evaluations, which choose nothing), one panel per stage objective, every replicate thin and the mean bold; dashed lines mark where each model's stage 2 starts.")
        }
        p = TidyPlot(x: "x", y: ["loss"])
        p.group = "line"; p.title = "Start (x = 0) to fine-tuned TWS (x = 1), replicate \(first)"; p.xLabel = "x"; p.yLabel = "training loss"
        try draw(p, from: ReportFiles.interpolation, to: "tws-interpolation.svg",
                 caption: "Training loss on the straight line from the ternary model and from its exact split (x = 0) to the fine-tuned TWS model (x = 1): the two lines coincide.")
        p = TidyPlot(x: "position", y: ["lambda_max"])
        p.group = "model"; p.panel = "block"; p.panelFormat = "{} block (all layers)"; p.replicate = "replicate"; p.xFit = .padded
        p.rules = try stageBoundaries(ReportFiles.trainingCurvature)
        p.title = "Top Hessian eigenvalue along distillation: thin, each of \(replicates); bold, their mean"
        p.xLabel = "step from the start of distillation"; p.yLabel = "λ_max"
        try draw(p, from: ReportFiles.trainingCurvature, to: "training-curvature.svg",
                 caption: "λ_max of all value and of all FFN-output matrices at every kept snapshot of the ternary and BWN distillations, every replicate thin and the mean bold; dashed lines mark where each model's stage 2 starts.")
        try store(ReportFiles.matchedLoss, try matchedLoss(set)); written.append(ReportFiles.matchedLoss)
        if hasAdaptiveSplit {
            p = TidyPlot(x: "packed_mb", y: ["accuracy"])
            p.group = "rule"; p.title = "Adaptive splitting: dev accuracy against packed size (§3.3)"
            p.xLabel = "packed size (MB)"; p.yLabel = "dev accuracy of the binary model"; p.xFit = .padded
            try draw(p, from: ReportFiles.adaptiveSplit, to: "adaptive-split.svg",
                     caption: "Adaptive splitting (§3.3): dev accuracy of the final binary model against its packed size, per selection rule.")
        }
        // Verdicts, the forest plot and the report.
        let claims = try set.all()
        var v = TidyTable(columns: ["claim", "text", "statistic", "estimate", "standard_error", "low", "high", "confidence", "threshold",
                                    "replicates", "agree", "verdict", "note", "basis"])
        var f = TidyTable(columns: ["claim", "unit", "replicate", "value", "judged", "estimate", "low", "high", "threshold", "verdict"])
        for c in claims {
            let e = c.estimate
            v.append(["claim": c.id, "text": c.text, "statistic": c.statistic, "estimate": TidyTable.number(e.mean),
                      "standard_error": TidyTable.number(e.standardError), "low": TidyTable.number(e.low), "high": TidyTable.number(e.high),
                      "confidence": TidyTable.number(confidence), "threshold": TidyTable.number(c.threshold), "replicates": String(e.count),
                      "agree": String(e.agreeing), "verdict": c.verdict.rawValue, "note": c.note, "basis": c.basis])
            for r in c.replicates {
                f.append(["claim": c.id, "unit": c.unit, "replicate": r.replicate, "value": TidyTable.number(r.value), "judged": r.judged ? "true" : "false",
                          "estimate": TidyTable.number(e.mean), "low": TidyTable.number(e.low), "high": TidyTable.number(e.high),
                          "threshold": TidyTable.number(c.threshold), "verdict": c.verdict.rawValue])
            }
        }
        try store(ReportFiles.verdicts, v); written.append(ReportFiles.verdicts)
        try store(ReportFiles.forest, f); written.append(ReportFiles.forest)
        let forest = try forestPlot(n: n).render()
        cache.layout["forest.svg"] = LayoutCheck.problems(in: forest)
        try AtomicFile.write(forest.text, to: directory.appendingPathComponent("forest.svg"), createParent: true)
        written.append("forest.svg")
        gallery.add("forest.svg", from: ReportFiles.forest,
                    caption: "Every claim: one dot per replicate, the mean (diamond) with its \(Estimate.percent(confidence)) % t-interval, the threshold dashed, the verdict at the right; panels by unit.")
        try AtomicFile.write(gallery.markdown, to: directory.appendingPathComponent(ReportFiles.gallery), createParent: true)
        written.append(ReportFiles.gallery)
        try AtomicFile.write(try markdown(claims, set), to: directory.appendingPathComponent(ReportFiles.report), createParent: true)
        written.append(ReportFiles.report)
        return (written, claims)
    }

    /// The forest plot, from forest.csv alone: one row per claim, one dot per judged replicate.
    func forestPlot(n: Int) throws -> ForestPlot {
        var rows: [ForestPlot.Row] = []
        for r in try records(ReportFiles.forest) {
            let id = r["claim"]!
            if let k = rows.firstIndex(where: { $0.label == id }) {
                if r["judged"] == "true" { rows[k].points.append(r.number("value")) }
                continue
            }
            let lo = r.number("low"), hi = r.number("high")
            rows.append(ForestPlot.Row(label: id, panel: r["unit"]!, estimate: r.number("estimate"), low: lo.isFinite ? lo : nil, high: hi.isFinite ? hi : nil,
                                       threshold: r.number("threshold"), points: r["judged"] == "true" ? [r.number("value")] : [], verdict: r["verdict"]!))
        }
        return ForestPlot(title: "Every claim: per-replicate values, mean and \(Estimate.percent(confidence)) % t-interval over \(n) replicates (forest.csv)", rows: rows)
    }

    /// Where each model's stage 2 starts (its last stage-1 position) in a table with model, stage and position columns:
    /// one rule per boundary, naming the models that share it.
    func stageBoundaries(_ name: String) throws -> [Rule] {
        var ends: [String: Double] = [:], models: [String] = []
        for r in try records(name) where r["stage"] == "1" {
            let model = r["model"]!, x = r.number("position")
            guard x.isFinite else { continue }
            if ends[model] == nil { models.append(model) }
            ends[model] = max(ends[model] ?? x, x)
        }
        let positions = BarChart.ordered(models.map { TidyTable.number(ends[$0]!) })
        return positions.map { x in
            Rule(x: Double(x)!, label: "stage 2 starts: " + models.filter { TidyTable.number(ends[$0]!) == x }.joined(separator: ", "))
        }
    }

    /// The spectrum figure's marks by panel (model) and in the overview: each model's λ_max from the traces (the
    /// spectrum's replicate) and λ_min as the lower edge of its SLQ density.
    func spectrumMarks(overview: String) throws -> [String: [Rule]] {
        var marks: [String: [Rule]] = [:]
        let density = try records(ReportFiles.density)
        let replicate = density.first?["replicate"]
        let models = BarChart.ordered(density.map { $0["model"]! })
        let traces = try records(ReportFiles.traces)
        func short(_ v: Double) -> String { String(format: "%.3g", v) }
        for model in models {
            var rules: [Rule] = []
            if let t = traces.first(where: { $0["model"] == model && $0["replicate"] == replicate }), t.number("lambda_max").isFinite {
                rules.append(Rule(x: t.number("lambda_max"), label: "λ_max \(short(t.number("lambda_max")))", series: model))
            }
            if let t = traces.first(where: { $0["model"] == model && $0["replicate"] == replicate }), t.number("lambda_min").isFinite {
                rules.append(Rule(x: t.number("lambda_min"), label: "λ_min \(short(t.number("lambda_min")))", series: model))
            } else {
                // Without a Lanczos λ_min, the lower edge of the SLQ density.
                let support = density.filter { $0["model"] == model && $0.number("density") > 0 }.map { $0.number("eigenvalue") }.filter(\.isFinite)
                if let low = support.min() { rules.append(Rule(x: low, label: "λ_min ≈ \(short(low))", series: model)) }
            }
            marks[model] = rules
            marks[overview, default: []] += rules.map { Rule(x: $0.x, label: "\(model) " + $0.label.prefix { $0 != " " }, series: model) }
        }
        return marks
    }

    /// The tables derived while rendering (read like the collected ones).
    let cache = Cache()
    final class Cache {
        var tables: [String: TidyTable] = [:], records: [String: [[String: String]]] = [:]
        var layout: [String: [LayoutProblem]] = [:]
    }
    /// What the layout check found in each figure of the last rendering (empty lists: nothing overlaps or is clipped).
    public var layoutProblems: [String: [LayoutProblem]] { cache.layout }

    /// `report --render-only`: redraws everything in `directory` from its CSVs, the folder claimed like a run's
    /// output (two renderings, or a run and a rendering, never write into one folder at once); the layout check's
    /// findings go to `log`, one line each (the figures are written all the same).
    public static func redraw(_ directory: URL, log: (String) -> Void) throws -> [String: String] {
        let renderer = try ReportRenderer(directory: directory)
        let files = try OutputClaim.with(directory.path) { try renderer.render().files }
        for (figure, problems) in renderer.layoutProblems.sorted(by: { $0.key < $1.key }) {
            for p in problems { log("layout: \(figure): \(p)") }
        }
        return ["output": directory.path, "files": files.joined(separator: ",")]
    }
    /// Writes a derived table and keeps it for the rest of the rendering.
    func store(_ name: String, _ t: TidyTable) throws {
        cache.tables[name] = t
        cache.records[name] = nil
        try t.write(to: directory.appendingPathComponent(name))
    }

    // MARK: Derived numbers

    static let moduleNames = ReportClaims.moduleNames
    static let moduleOrder = ReportClaims.moduleOrder
    static let pairs = [(ReportPlan.ternary, ReportPlan.teacher, "ternary / FP"), (ReportPlan.bwn, ReportPlan.teacher, "BWN / FP"),
                        (ReportPlan.bwn, ReportPlan.ternary, "BWN / ternary")]

    /// Fig. 3's bars: ternary/FP, BWN/FP and BWN/ternary per module kind over replicates.
    func ratios(_ set: ReportClaims, table: String = ReportFiles.perModule) throws -> TidyTable {
        var t = TidyTable(columns: ["pair", "module", "replicate", "replicate_ratio", "ratio", "low", "high", "replicates"])
        for (a, b, pair) in Self.pairs {
            for m in Self.moduleOrder {
                let r = try set.moduleRatio(a, b, module: m, table: table)
                for (replicate, own) in r.each {
                    t.append(["pair": pair, "module": Self.moduleNames[m]!, "replicate": replicate, "replicate_ratio": TidyTable.number(own),
                              "ratio": TidyTable.number(r.ratio), "low": TidyTable.number(r.low), "high": TidyTable.number(r.high),
                              "replicates": String(r.n)])
                }
            }
        }
        return t
    }

    /// Each model's mean Jensen–Shannon distance between its module blocks, per kind of pair, over replicates.
    func heterogeneitySummary(_ set: ReportClaims) throws -> TidyTable {
        try replicateSummary(set, models: ReportPlan.probed, measures: ReportClaims.BlockPairs.allCases.map(\.rawValue), measure: "pairs",
                             value: "distance") { model, pairs, replicate in
            try set.meanDistance(model, replicate, pairs: ReportClaims.BlockPairs(rawValue: pairs)!)
        }
    }

    /// The students' adaptive sharpness of one case over replicates.
    func sharpnessSummary(_ set: ReportClaims, case name: String) throws -> TidyTable {
        let rows = try records(ReportFiles.sharpness)
        return try replicateSummary(set, models: [ReportPlan.ternary, ReportPlan.bwn], measures: [name], measure: "case",
                                    value: "rise") { model, c, replicate in
            rows.first { $0["replicate"] == replicate && $0["model"] == model && $0["case"] == c }?.number("rise") ?? .nan
        }
    }

    /// One row per model, measure and replicate: the replicate's value (`replicate_<value>`) beside the mean over
    /// replicates and its t-interval (`<value>`, `low`, `high`), for a bar chart with replicate dots.
    func replicateSummary(_ set: ReportClaims, models: [String], measures: [String], measure: String, value: String,
                          _ of: (String, String, String) throws -> Double) throws -> TidyTable {
        var t = TidyTable(columns: ["model", measure, "replicate", "replicate_\(value)", value, "low", "high", "replicates"])
        for model in models {
            for m in measures {
                let values = try set.replicates.map { try of(model, m, $0) }
                let e = ReplicateEstimate(values: values.filter(\.isFinite), confidence: confidence)
                for (replicate, own) in zip(set.replicates, values) {
                    t.append(["model": model, measure: m, "replicate": replicate, "replicate_\(value)": TidyTable.number(own),
                              value: TidyTable.number(e.mean), "low": TidyTable.number(e.low), "high": TidyTable.number(e.high),
                              "replicates": String(e.count)])
                }
            }
        }
        return t
    }

    /// BWN / ternary per module kind and layer, over replicates (layers are a factor, not replicates).
    func perLayer(_ set: ReportClaims) throws -> TidyTable {
        var t = TidyTable(columns: ["module", "layer", "ratio", "low", "high", "replicates"])
        let layers = Set(try records(ReportFiles.perModule).map { $0["layer"]! }).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        for m in Self.moduleOrder {
            for l in layers {
                let r = try set.moduleRatio(ReportPlan.bwn, ReportPlan.ternary, module: m, layer: l)
                t.append(["module": Self.moduleNames[m]!, "layer": l, "ratio": TidyTable.number(r.ratio), "low": TidyTable.number(r.low),
                          "high": TidyTable.number(r.high), "replicates": String(r.n)])
            }
        }
        return t
    }

    /// The snapshots each replicate's matched-loss view compares.
    func matchedLoss(_ set: ReportClaims) throws -> TidyTable {
        var t = TidyTable(columns: ["replicate", "block", "level", "model", "stage", "step", "loss", "lambda_max"])
        for r in set.replicates {
            for block in TrainingCurvature.blocks {
                guard let m = try set.matchedLoss(block: block.name, replicate: r) else { continue }
                for (name, p) in [(ReportPlan.ternary, m.ternary), (ReportPlan.bwn, m.bwn)] {
                    t.append(["replicate": r, "block": block.name, "level": TidyTable.number(m.level), "model": name, "stage": p.stage,
                              "step": p.step, "loss": TidyTable.number(p.loss), "lambda_max": TidyTable.number(p.lambda)])
                }
            }
        }
        return t
    }
}
