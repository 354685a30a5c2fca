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

    func records(_ name: String) throws -> [[String: String]] { try table(name).records }
    /// Whether the run included adaptive splitting (its table exists).
    var hasAdaptiveSplit: Bool { (try? table(ReportFiles.adaptiveSplit)) != nil }

    /// Writes every figure, the derived tables and REPORT.md; returns the files written and the claims' verdicts.
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
        // Fig. 1
        var p = TidyPlot(x: "weight_bits", y: ["accuracy"])
        p.group = "series"; p.xSpacing = .log2; p.title = "Dev accuracy against weight bits (A8, mean ± std)"
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
                g.title = "Fig. 2, \(what): training loss on one colour scale"
                let short = kind == .surface
                g.xLabel = ones ? (short ? "x (layer 0 value)" : "x · mean|W| on layer 0's value") : (short ? "x" : "x (filter-normalized, value@0,1)")
                g.yLabel = ones ? (short ? "y (layer 1 value)" : "y · mean|W| on layer 1's value") : (short ? "y" : "y (filter-normalized, value@0,1)")
                try draw(g, from: csv, to: "\(stem).\(view).svg")
            }
        }
        p = TidyPlot(x: "offset", y: ["loss"])
        p.group = "model"; p.panel = "panel"; p.panelFormat = "{}"; p.title = "All-ones probe, centre slices (latent space)"
        p.xLabel = "offset (units of mean|W|)"; p.yLabel = "training loss"
        try draw(p, from: ReportFiles.slices, to: "fig2-slices.svg")
        // Fig. 3
        try store(ReportFiles.ratios, try ratios()); written.append(ReportFiles.ratios)
        var bar = TidyPlot(kind: .bar, x: "module", y: ["ratio"])
        bar.group = "pair"; bar.errorColumns = ("low", "high"); bar.reference = 1
        bar.title = "Top Hessian eigenvalue per module kind, relative to the full-precision model (Fig. 3)"
        bar.xLabel = "module"; bar.yLabel = "λ_max ratio (geometric mean, ±2 SE)"
        try draw(bar, from: ReportFiles.ratios, to: "fig3-ratios.svg")
        // Spectra, eigenvector scans, TWS, curvature along training.
        p = TidyPlot(kind: .density, x: "eigenvalue", y: ["density"])
        p.group = "model"; p.title = "Spectral density of value@0,1 (SLQ, smoothed)"; p.xLabel = "eigenvalue"; p.yLabel = "density"
        try draw(p, from: ReportFiles.density, to: "spectra-density.svg")
        p = TidyPlot(x: "offset", y: ["loss_change"])
        p.group = "curve"; p.panel = "model"; p.panelFormat = "{}"; p.columns = 3
        p.title = "Loss along the top Hessian eigenvector of value@0,1"; p.xLabel = "offset along the unit eigenvector"; p.yLabel = "L − L₀"
        try draw(p, from: ReportFiles.eigen1D, to: "eigen-1d.svg")
        for (column, view, label) in [("dev_accuracy", "accuracy", "dev accuracy"), ("train_loss", "loss", "distillation loss since the last evaluation")] {
            p = TidyPlot(x: "position", y: [column])
            p.group = "model"; p.connectGaps = true
            p.title = "Distillation of the ternary, BWN and TWS students"; p.xLabel = "step (stage 1, then stage 2)"; p.yLabel = label
            try draw(p, from: ReportFiles.curves, to: "tws-curves.\(view).svg")
        }
        p = TidyPlot(x: "x", y: ["loss"])
        p.group = "line"; p.title = "Start (x = 0) to fine-tuned TWS (x = 1)"; p.xLabel = "x"; p.yLabel = "training loss"
        try draw(p, from: ReportFiles.interpolation, to: "tws-interpolation.svg")
        p = TidyPlot(x: "position", y: ["lambda_max"])
        p.group = "model"; p.panel = "block"; p.panelFormat = "{} block (all layers)"
        p.title = "Top Hessian eigenvalue along distillation"; p.xLabel = "step (stage 1, then stage 2)"; p.yLabel = "λ_max"
        try draw(p, from: ReportFiles.trainingCurvature, to: "training-curvature.svg")
        if hasAdaptiveSplit {
            p = TidyPlot(x: "packed_mb", y: ["accuracy"])
            p.group = "rule"; p.title = "Adaptive splitting: dev accuracy against packed size (§3.3)"
            p.xLabel = "packed size (MB)"; p.yLabel = "dev accuracy of the binary model"
            try draw(p, from: ReportFiles.adaptiveSplit, to: "adaptive-split.svg")
        }
        // Verdicts and the report.
        let claims = try self.claims()
        var v = TidyTable(columns: ["claim", "text", "statistic", "estimate", "standard_error", "threshold", "verdict", "basis"])
        for c in claims {
            v.append(["claim": c.id, "text": c.text, "basis": c.basis, "statistic": c.statistic, "estimate": TidyTable.number(c.estimate),
                      "standard_error": TidyTable.number(c.standardError), "threshold": TidyTable.number(c.threshold), "verdict": c.verdict.rawValue])
        }
        try store(ReportFiles.verdicts, v); written.append(ReportFiles.verdicts)
        try AtomicFile.write(try markdown(claims), to: directory.appendingPathComponent(ReportFiles.report), createParent: true)
        written.append(ReportFiles.report)
        return (written, claims)
    }

    /// The tables derived while rendering (read like the collected ones).
    let cache = Cache()
    final class Cache { var tables: [String: TidyTable] = [:] }
    /// Writes a derived table and keeps it for the rest of the rendering.
    func store(_ name: String, _ t: TidyTable) throws {
        cache.tables[name] = t
        try t.write(to: directory.appendingPathComponent(name))
    }

    // MARK: Derived numbers

    static let moduleNames = ["mha-qk": "MHA-QK", "mha-v": "MHA-V", "mha-o": "MHA-O", "ffn-mid": "FFN-Mid", "ffn-out": "FFN-Out"]
    static let moduleOrder = ["mha-qk", "mha-v", "mha-o", "ffn-mid", "ffn-out"]

    /// λ_max of `a` over `b` per module kind, paired by (layer, batch) cell.
    func moduleRatio(_ a: String, _ b: String, module: String) throws -> Estimate.Ratio {
        let cells = try records(ReportFiles.perModule).filter { $0["module"] == module }
        var of: [String: [String: Double]] = [:]
        for c in cells { of[c["model"]!, default: [:]]["\(c["layer"]!)/\(c["batch"]!)"] = c.number("lambda_max") }
        let keys = (of[a] ?? [:]).keys.sorted()
        return Estimate.pairedRatio(keys.compactMap { k in of[b]?[k].map { (of[a]![k]!, $0) } })
    }

    /// Fig. 3's bars: ternary/FP and BWN/FP per module kind.
    func ratios() throws -> TidyTable {
        var t = TidyTable(columns: ["pair", "module", "ratio", "low", "high", "cells"])
        for (model, pair) in [(ReportPlan.ternary, "ternary / FP"), (ReportPlan.bwn, "BWN / FP")] {
            for m in Self.moduleOrder {
                let r = try moduleRatio(model, ReportPlan.teacher, module: m)
                t.append(["pair": pair, "module": Self.moduleNames[m]!, "ratio": TidyTable.number(r.ratio), "low": TidyTable.number(r.low ?? r.ratio),
                          "high": TidyTable.number(r.high ?? r.ratio), "cells": String(r.pairs)])
            }
        }
        return t
    }

    /// One claim of the paper, its statistic (oriented: larger supports the claim) and verdict.
    public struct Claim: Sendable {
        public var id: String
        public var text: String
        public var statistic: String
        public var estimate: Double
        public var standardError: Double?
        public var threshold: Double
        public var verdict: Verdict
        /// What the number rests on.
        public var basis: String
    }

    func accuracies() throws -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for r in try records(ReportFiles.accuracy) { out[r["model"]!, default: []].append(r.number("accuracy")) }
        return out
    }

    /// The difference of two linear combinations of mean accuracies with its standard error: over seeds when there
    /// are several (paired), else binomial on the dev set.
    func accuracyContrast(_ weights: [String: Double]) throws -> (Double, Double?) {
        let rows = try records(ReportFiles.accuracy)
        let seeds = Array(Set(rows.map { $0["seed"]! })).sorted()
        var perSeed: [Double] = []
        var variance = 0.0
        for s in seeds {
            var d = 0.0
            // In a fixed order: a dictionary's iteration order changes from process to process, and so would the sum's last bit.
            for (model, w) in weights.sorted(by: { $0.key < $1.key }) {
                guard let r = rows.first(where: { $0["seed"] == s && $0["model"] == model }) else { return (.nan, nil) }
                d += w * r.number("accuracy")
                variance += w * w * Estimate.binomialError(r.number("accuracy"), n: r.number("dev_examples")).squared
            }
            perSeed.append(d)
        }
        let k = Double(seeds.count)
        return (Estimate.mean(perSeed), seeds.count >= 2 ? Estimate.standardError(perSeed) : (variance / (k * k)).squareRoot())
    }

    func statistic(_ probe: String, _ space: String?, _ model: String, _ name: String) throws -> [(Int, Double)] {
        try records(ReportFiles.statistics).filter {
            $0["probe"] == probe && (space == nil || $0["space"] == space) && $0["model"] == model && $0["statistic"] == name
        }.map { (Int($0["direction_seed"] ?? "") ?? 0, $0.number("value")) }
    }

    func surfaceRatio(_ name: String, space: String) throws -> Estimate.Ratio {
        let b = Dictionary(try statistic("filter", space, ReportPlan.bwn, name), uniquingKeysWith: { a, _ in a })
        let t = Dictionary(try statistic("filter", space, ReportPlan.ternary, name), uniquingKeysWith: { a, _ in a })
        return Estimate.pairedRatio(b.keys.sorted().compactMap { k in t[k].map { (b[k]!, $0) } })
    }

    public func claims() throws -> [Claim] {
        var claims: [Claim] = []
        let bits = try records(ReportFiles.accuracy).map { Int($0["weight_bits"]!) ?? 0 }
        // C1: the drop from 2 to 1 bit is larger than from 4 to 2.
        if bits.contains(4) {
            let (d, se) = try accuracyContrast([ReportPlan.uniform(4): -1, ReportPlan.ternary: 2, ReportPlan.bwn: -1])
            claims.append(Claim(id: "fig1-sharp-drop", text: "Accuracy drops sharply from ternary to binary weights (Fig. 1)",
                                statistic: "(acc₂ − acc₁) − (acc₄ − acc₂)", estimate: d, standardError: se, threshold: 0,
                                verdict: Verdict.rule(estimate: d, standardError: se), basis: ReportFiles.accuracy))
        }
        for (space, label) in [("latent", "latent"), ("quantized", "quantized")] {
            for (stat, what) in [("sharpness_r3", "steeper"), ("roughness", "more irregular")] {
                let r = try surfaceRatio(stat, space: space)
                claims.append(Claim(id: "fig2-\(label)-\(stat)", text: "BWN's loss surface is \(what) than the ternary model's (Fig. 2, \(label) space, filter-normalized value@0,1)",
                                    statistic: "log(\(stat) BWN / ternary), paired by direction seed", estimate: r.logMean,
                                    standardError: r.logStandardError, threshold: 0,
                                    verdict: Verdict.rule(estimate: r.logMean, standardError: r.logStandardError), basis: ReportFiles.statistics))
            }
        }
        var parts: [Verdict] = []
        var logs: [Double] = []
        for m in Self.moduleOrder {
            let r = try moduleRatio(ReportPlan.bwn, ReportPlan.ternary, module: m)
            parts.append(Verdict.rule(estimate: r.logMean, standardError: r.logStandardError))
            logs.append(r.logMean)
            claims.append(Claim(id: "fig3-\(m)", text: "BWN's top Hessian eigenvalue exceeds the ternary model's, \(Self.moduleNames[m]!) (Fig. 3)",
                                statistic: "log(λ_max BWN / ternary), paired by layer and batch", estimate: r.logMean,
                                standardError: r.logStandardError, threshold: 0, verdict: parts.last!, basis: ReportFiles.perModule))
        }
        claims.append(Claim(id: "fig3-overall", text: "BWN's top Hessian eigenvalues exceed the ternary model's (Fig. 3, all module kinds)",
                            statistic: "majority of the module kinds", estimate: Estimate.mean(logs), standardError: nil, threshold: 0,
                            verdict: Verdict.majority(parts), basis: ReportFiles.perModule))
        let traces = Dictionary(try records(ReportFiles.traces).map { ($0["model"]!, $0) }, uniquingKeysWith: { a, _ in a })
        if let b = traces[ReportPlan.bwn], let t = traces[ReportPlan.ternary] {
            let d = b.number("trace") - t.number("trace")
            let se = (b.number("trace_se").squared + t.number("trace_se").squared).squareRoot()
            claims.append(Claim(id: "trace", text: "BWN's Hessian trace of value@0,1 exceeds the ternary model's",
                                statistic: "trace BWN − trace ternary (Hutch++)", estimate: d, standardError: se.isFinite ? se : nil, threshold: 0,
                                verdict: Verdict.rule(estimate: d, standardError: se.isFinite ? se : nil), basis: ReportFiles.traces))
        }
        var along: [Verdict] = []
        for block in TrainingCurvature.blocks {
            let rows = try records(ReportFiles.trainingCurvature).filter { $0["block"] == block.name }
            var of: [String: [String: Double]] = [:]
            for r in rows { of[r["model"]!, default: [:]]["\(r["stage"]!)/\(r["step"]!)"] = r.number("lambda_max") }
            let keys = (of[ReportPlan.bwn] ?? [:]).keys.sorted()
            let ratio = Estimate.pairedRatio(keys.compactMap { k in of[ReportPlan.ternary]?[k].map { (of[ReportPlan.bwn]![k]!, $0) } })
            along.append(Verdict.rule(estimate: ratio.logMean, standardError: ratio.logStandardError))
            claims.append(Claim(id: "training-\(block.name)", text: "BWN's \(block.name) block stays sharper than the ternary model's through distillation",
                                statistic: "log(λ_max BWN / ternary), paired by snapshot", estimate: ratio.logMean,
                                standardError: ratio.logStandardError, threshold: 0, verdict: along.last!, basis: ReportFiles.trainingCurvature))
        }
        let (gap, gapSE) = try accuracyContrast([ReportPlan.tws: 1, ReportPlan.bwn: -1])
        claims.append(Claim(id: "tws-beats-bwn", text: "TWS (split ternary + fine-tuning) reaches a higher accuracy than BWN",
                            statistic: "acc(TWS) − acc(BWN)", estimate: gap, standardError: gapSE, threshold: 0,
                            verdict: Verdict.rule(estimate: gap, standardError: gapSE), basis: ReportFiles.accuracy))
        let ends = try records(ReportFiles.exactness)
        let l0 = ends.first { $0["model"] == "ternary" && $0.number("x") == 0 }?.number("loss") ?? .nan
        let s0 = ends.first { $0["model"] == "split" && $0.number("x") == 0 }?.number("loss") ?? .nan
        // Digits of agreement: −log10 of the relative difference (16 where the two are equal to the last bit).
        let relative = abs(s0 - l0) / abs(l0)
        let digits = relative > 0 ? -log10(relative) : 16
        claims.append(Claim(id: "tws-exact", text: "The split binary model sits exactly on the ternary model's loss (float64)",
                            statistic: "−log10 |L(split) − L(ternary)| / L(ternary), against 9 digits", estimate: digits, standardError: 0, threshold: 9,
                            verdict: digits.isFinite ? Verdict.rule(estimate: digits, standardError: 0, threshold: 9) : .inconclusive, basis: ReportFiles.exactness))
        return claims
    }
}

extension Double {
    var squared: Double { self * self }
}
