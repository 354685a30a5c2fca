import Foundation
import Storage
import Plotting

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
    func claimSet() throws -> ReportClaims { try ReportClaims(confidence: confidence, records: records) }

    /// Writes every figure, the derived tables and REPORT.md; returns the files written and the claims.
    @discardableResult
    public func render() throws -> (files: [String], claims: [Claim]) {
        var written: [String] = []
        func draw(_ plot: TidyPlot, from csv: String, to svg: String) throws {
            let t = try table(csv)
            let table = try CSVTable(text: t.text, source: csv)
            let (document, _) = try plot.render(table, source: csv)
            try AtomicFile.write(document.text, to: directory.appendingPathComponent(svg), createParent: true)
            written.append(svg)
        }
        let set = try claimSet()
        let n = set.replicates.count
        // The figures that show one run's grid, spectrum or line show the first replicate's.
        let first = set.replicates.first ?? "?"
        // Fig. 1
        var p = TidyPlot(x: "weight_bits", y: ["accuracy"])
        p.group = "series"; p.xSpacing = .log2
        p.title = "Dev accuracy against weight bits (A8; mean ± std over \(n) replicate\(n == 1 ? "" : "s"))"
        p.xLabel = "weight bits"; p.yLabel = "dev accuracy"
        try draw(p, from: ReportFiles.accuracy, to: "fig1-accuracy-bits.svg")
        // Fig. 2
        for (csv, what) in [(ReportFiles.ones, "all-ones probe, latent space"), (ReportFiles.filterLatent, "filter-normalized directions, latent space"),
                            (ReportFiles.filterQuantized, "filter-normalized directions, quantized space")] {
            let stem = String(csv.dropLast(4))
            let ones = csv == ReportFiles.ones
            for (kind, view) in [(TidyPlot.Kind.surface, "surface"), (.contour, "contour")] {
                var g = TidyPlot(kind: kind, x: "x", y: ["y"])
                g.z = "loss"; g.panel = "model"; g.panelFormat = "{}"; g.columns = 3; g.colorLabel = "training loss"
                g.title = "Fig. 2, \(what): training loss on one colour scale (replicate \(first))"
                let short = kind == .surface
                g.xLabel = ones ? (short ? "x (layer 0 value)" : "x · mean|W| on layer 0's value") : (short ? "x" : "x (filter-normalized, value@0,1)")
                g.yLabel = ones ? (short ? "y (layer 1 value)" : "y · mean|W| on layer 1's value") : (short ? "y" : "y (filter-normalized, value@0,1)")
                try draw(g, from: csv, to: "\(stem).\(view).svg")
            }
        }
        p = TidyPlot(x: "offset", y: ["loss"])
        p.group = "model"; p.panel = "panel"; p.panelFormat = "{}"; p.title = "All-ones probe, centre slices (latent space, replicate \(first))"
        p.xLabel = "offset (units of mean|W|)"; p.yLabel = "training loss"
        try draw(p, from: ReportFiles.slices, to: "fig2-slices.svg")
        // Fig. 3: ratios over replicates on a log axis (the intervals are computed on the log scale).
        try store(ReportFiles.ratios, try ratios(set)); written.append(ReportFiles.ratios)
        try store(ReportFiles.perLayer, try perLayer(set)); written.append(ReportFiles.perLayer)
        var bar = TidyPlot(kind: .bar, x: "module", y: ["ratio"])
        bar.group = "pair"; bar.errorColumns = ("low", "high"); bar.reference = 1; bar.ySpacing = .log10
        bar.title = "Top Hessian eigenvalue per module kind (Fig. 3): mean over replicates, \(Estimate.percent(confidence)) % t-interval"
        bar.xLabel = "module"; bar.yLabel = "λ_max ratio (log scale)"
        try draw(bar, from: ReportFiles.ratios, to: "fig3-ratios.svg")
        // Spectra, eigenvector scans, TWS, curvature along training.
        p = TidyPlot(kind: .density, x: "eigenvalue", y: ["density"])
        p.group = "model"; p.title = "Spectral density of value@0,1 (SLQ, smoothed; replicate \(first))"
        p.xLabel = "eigenvalue"; p.yLabel = "density"
        try draw(p, from: ReportFiles.density, to: "spectra-density.svg")
        p = TidyPlot(x: "offset", y: ["loss_change"])
        p.group = "curve"; p.panel = "model"; p.panelFormat = "{}"; p.columns = 3
        p.title = "Loss along the top Hessian eigenvector of value@0,1 (replicate \(first))"
        p.xLabel = "offset along the unit eigenvector"; p.yLabel = "L − L₀"
        try draw(p, from: ReportFiles.eigen1D, to: "eigen-1d.svg")
        p = TidyPlot(x: "step", y: ["dev_accuracy"])
        p.group = "model"; p.filters = ["stage=2"]; p.connectGaps = true
        p.title = "Dev accuracy during stage 2 (mean ± std over replicates)"
        p.xLabel = "step of stage 2 (logit distillation)"; p.yLabel = "dev accuracy"
        try draw(p, from: ReportFiles.curves, to: "tws-curves.accuracy.svg")
        p = TidyPlot(x: "step", y: ["train_loss"])
        p.group = "model"; p.panel = "stage"; p.panelFormat = "stage {}"; p.connectGaps = true
        p.title = "Distillation loss per stage (mean ± std over replicates)"
        p.xLabel = "step within the stage"; p.yLabel = "loss (mean since the last log)"
        try draw(p, from: ReportFiles.curves, to: "tws-curves.loss.svg")
        p = TidyPlot(x: "x", y: ["loss"])
        p.group = "line"; p.title = "Start (x = 0) to fine-tuned TWS (x = 1), replicate \(first)"; p.xLabel = "x"; p.yLabel = "training loss"
        try draw(p, from: ReportFiles.interpolation, to: "tws-interpolation.svg")
        p = TidyPlot(x: "position", y: ["lambda_max"])
        p.group = "model"; p.panel = "block"; p.panelFormat = "{} block (all layers)"
        p.title = "Top Hessian eigenvalue along distillation (mean ± std over replicates)"; p.xLabel = "step (stage 1, then stage 2)"; p.yLabel = "λ_max"
        try draw(p, from: ReportFiles.trainingCurvature, to: "training-curvature.svg")
        try store(ReportFiles.matchedLoss, try matchedLoss(set)); written.append(ReportFiles.matchedLoss)
        if hasAdaptiveSplit {
            p = TidyPlot(x: "packed_mb", y: ["accuracy"])
            p.group = "rule"; p.title = "Adaptive splitting: dev accuracy against packed size (§3.3)"
            p.xLabel = "packed size (MB)"; p.yLabel = "dev accuracy of the binary model"
            try draw(p, from: ReportFiles.adaptiveSplit, to: "adaptive-split.svg")
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
        try AtomicFile.write(try forestPlot(n: n).render().text, to: directory.appendingPathComponent("forest.svg"), createParent: true)
        written.append("forest.svg")
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

    /// The tables derived while rendering (read like the collected ones).
    let cache = Cache()
    final class Cache { var tables: [String: TidyTable] = [:]; var records: [String: [[String: String]]] = [:] }
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
    func ratios(_ set: ReportClaims) throws -> TidyTable {
        var t = TidyTable(columns: ["pair", "module", "ratio", "low", "high", "replicates"])
        for (a, b, pair) in Self.pairs {
            for m in Self.moduleOrder {
                let r = try set.moduleRatio(a, b, module: m)
                t.append(["pair": pair, "module": Self.moduleNames[m]!, "ratio": TidyTable.number(r.ratio), "low": TidyTable.number(r.low),
                          "high": TidyTable.number(r.high), "replicates": String(r.n)])
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
