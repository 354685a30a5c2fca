import Foundation

extension ReportRenderer {
    static func g(_ v: Double, _ digits: Int = 4) -> String { v.isFinite ? String(format: "%.\(digits)g", v) : "—" }
    static func pm(_ m: Double, _ s: Double?) -> String { s.map { "\(g(m)) ± \(g($0, 2))" } ?? g(m) }

    /// REPORT.md: provenance, the verdicts with their rule, and each figure with its numbers and a two-line reading.
    func markdown(_ claims: [Claim]) throws -> String {
        let spec = provenance["spec"]
        var md: [String] = []
        let preset = spec?["preset"]?.string ?? "?"
        md.append("# Is a binary BERT harder to train than a ternary one? (`\(preset)` preset)")
        md.append("")
        let subset = spec?["train_subset"]?.double.map { "a seeded subset of \(Int($0)) training examples" } ?? "the full training split"
        let seeds = (spec?["seeds"]?.array ?? []).compactMap(\.double).map { String(Int($0)) }.joined(separator: ", ")
        md.append("Task **\(provenance["task"]?.string ?? "?")** on `\(provenance["data"]?.string ?? "?")` (sha256 `\(String((provenance["data_sha256"]?.string ?? "").prefix(16)))…`), "
                  + "model `\(provenance["model"]?.string ?? "?")` (sha256 `\(String((provenance["model_sha256"]?.string ?? "").prefix(16)))…`): \(subset), "
                  + "max length \(Int(spec?["max_length"]?.double ?? 0)), seeds \(seeds). Made by `\(provenance["command"]?.string ?? "binarybert report")` "
                  + "(\(provenance["version"]?.string ?? "?"), \(Int(provenance["threads"]?.double ?? 0)) threads); its \(Int(provenance["stages"]?.array?.count ?? 0)) stages took "
                  + "\(StageRunner.duration(provenance["stage_seconds"]?.double ?? 0)) in all. Every number below is computed from the CSV beside this file that its "
                  + "section names (`report.json`: the spec, every command, the hashes); the students are W·A8 (8-bit activations).")
        md.append("")
        md.append("## Verdicts")
        md.append("")
        md.append("| claim | statistic | estimate ± SE | verdict | from |")
        md.append("|---|---|---|---|---|")
        for c in claims {
            md.append("| \(c.text) | \(c.statistic) | \(Self.pm(c.estimate, c.standardError)) | **\(c.verdict.rawValue)** | `\(c.basis)` |")
        }
        md.append("")
        md.append("Rule: " + Verdict.ruleText + " Accuracy standard errors are over seeds when there are several, else binomial on the dev set; "
                  + "surface and curvature ratios are geometric means of paired ratios, SE on the log scale.")
        md.append("")

        // Fig. 1
        let acc = try records(ReportFiles.accuracy)
        md.append("## Fig. 1: accuracy against weight bits (`\(ReportFiles.accuracy)`)")
        md.append("")
        md.append("![Fig. 1](fig1-accuracy-bits.svg)")
        md.append("")
        md.append("| model | weight bits | dev accuracy (mean ± std over seeds) | seeds |")
        md.append("|---|---|---|---|")
        var meanOf: [String: Double] = [:]
        var order: [String] = []
        for r in acc where !order.contains(r["model"]!) { order.append(r["model"]!) }
        for m in order {
            let xs = acc.filter { $0["model"] == m }.map { $0.number("accuracy") }
            meanOf[m] = Estimate.mean(xs)
            let bits = acc.first { $0["model"] == m }!["weight_bits"]!
            md.append("| \(m) | \(bits) | \(Self.pm(Estimate.mean(xs), Estimate.standardDeviation(xs))) | \(xs.count) |")
        }
        md.append("")
        let a4 = meanOf[ReportPlan.uniform(4)] ?? .nan, a2 = meanOf[ReportPlan.ternary] ?? .nan, a1 = meanOf[ReportPlan.bwn] ?? .nan
        md.append("Reading: from 4 to 2 weight bits the dev accuracy changes by \(Self.g(a2 - a4, 3)), from 2 to 1 bit (BWN) by \(Self.g(a1 - a2, 3)). "
                  + "The split-and-fine-tuned binary model (TWS) reaches \(Self.g(meanOf[ReportPlan.tws] ?? .nan)) against BWN's \(Self.g(a1)).")
        md.append("")

        // Fig. 2
        md.append("## Fig. 2: loss surfaces (`\(ReportFiles.ones)`, `\(ReportFiles.filterLatent)`, `\(ReportFiles.filterQuantized)`, `\(ReportFiles.statistics)`)")
        md.append("")
        md.append("The paper's all-ones probe (value of layer 0 along x, of layer 1 along y, in units of mean|W|, latent weights re-quantized at every point), "
                  + "then filter-normalized random directions of value@0,1 in the latent and the quantized space (first direction seed drawn; statistics over all seeds). "
                  + "The full-precision teacher has one space and stands beside the students in each figure.")
        md.append("")
        for stem in ["fig2-ones", "fig2-filter-latent", "fig2-filter-quantized"] {
            md.append("![\(stem) surface](\(stem).surface.svg)")
            md.append("![\(stem) contour](\(stem).contour.svg)")
            md.append("")
        }
        md.append("![centre slices](fig2-slices.svg)")
        md.append("")
        let stats = try records(ReportFiles.statistics)
        let shown = ["loss_center", "sharpness_r3", "roughness", "curvature_x", "curvature_y", "nonconvex_fraction"]
        md.append("| probe | space | model | " + shown.joined(separator: " | ") + " |")
        md.append("|---|---|---|" + String(repeating: "---|", count: shown.count))
        var keys: [String] = []
        for r in stats {
            let k = "\(r["probe"]!)|\(r["space"]!)|\(r["model"]!)"
            if !keys.contains(k) { keys.append(k) }
        }
        for k in keys {
            let parts = k.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let rows = stats.filter { $0["probe"] == parts[0] && $0["space"] == parts[1] && $0["model"] == parts[2] }
            let cells = shown.map { name -> String in
                let xs = rows.filter { $0["statistic"] == name }.map { $0.number("value") }.filter(\.isFinite)
                return xs.isEmpty ? "—" : Self.pm(Estimate.mean(xs), Estimate.standardDeviation(xs))
            }
            let seedsCount = Set(rows.map { $0["direction_seed"]! }).count
            md.append("| \(parts[0])\(seedsCount > 1 ? " (\(seedsCount) seeds)" : "") | \(parts[1]) | \(parts[2]) | " + cells.joined(separator: " | ") + " |")
        }
        md.append("")
        let sharp = try surfaceRatio("sharpness_r3", space: "latent"), rough = try surfaceRatio("roughness", space: "latent")
        md.append("Reading: in the latent space, BWN's ε-sharpness within the full radius is \(Self.g(sharp.ratio, 3))× the ternary model's "
                  + "(±2 SE: \(Self.g(sharp.low ?? .nan, 3))–\(Self.g(sharp.high ?? .nan, 3))) and its roughness \(Self.g(rough.ratio, 3))× "
                  + "(\(Self.g(rough.low ?? .nan, 3))–\(Self.g(rough.high ?? .nan, 3))), over \(sharp.pairs) direction seeds. "
                  + "Statistics' definitions are in each scan's `surface.json` (sharpness: max(L − L₀) within the radius; roughness: mean |ΔL| between neighbours per grid step).")
        md.append("")

        // Fig. 3
        let ratios = try records(ReportFiles.ratios)
        md.append("## Fig. 3: top Hessian eigenvalue per module kind (`\(ReportFiles.perModule)`, `\(ReportFiles.ratios)`)")
        md.append("")
        md.append("![Fig. 3](fig3-ratios.svg)")
        md.append("")
        md.append("| module | ternary / FP (±2 SE) | BWN / FP (±2 SE) | BWN / ternary (±2 SE) | cells |")
        md.append("|---|---|---|---|---|")
        for m in Self.moduleOrder {
            let name = Self.moduleNames[m]!
            func cell(_ pair: String) -> String {
                guard let r = ratios.first(where: { $0["pair"] == pair && $0["module"] == name }) else { return "—" }
                return "\(Self.g(r.number("ratio"), 3)) [\(Self.g(r.number("low"), 3)), \(Self.g(r.number("high"), 3))]"
            }
            let bt = try moduleRatio(ReportPlan.bwn, ReportPlan.ternary, module: m)
            md.append("| \(name) | \(cell("ternary / FP")) | \(cell("BWN / FP")) | \(Self.g(bt.ratio, 3)) [\(Self.g(bt.low ?? .nan, 3)), \(Self.g(bt.high ?? .nan, 3))] | \(bt.pairs) |")
        }
        let layers = Set(try records(ReportFiles.perModule).map { $0["layer"]! }).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        md.append("")
        md.append("Reading: λ_max per (layer, mini-batch) cell on layers \(layers.joined(separator: ", ")), Lanczos on each block's exact Hessian of the STE "
                  + "surrogate in ŵ; ratios pair the models' cells. Where an interval spans 1 the two models' curvature is not told apart on this data.")
        md.append("")

        // Spectra
        let traces = try records(ReportFiles.traces)
        md.append("## Spectra of value@0,1 (`\(ReportFiles.density)`, `\(ReportFiles.traces)`, `\(ReportFiles.eigen1D)`)")
        md.append("")
        md.append("![density](spectra-density.svg)")
        md.append("![eigen-1d](eigen-1d.svg)")
        md.append("")
        md.append("| model | λ_max | trace (Hutch++) ± SE | trace (SLQ) ± SE | loss |")
        md.append("|---|---|---|---|---|")
        for r in traces {
            md.append("| \(r["model"]!) | \(Self.g(r.number("lambda_max"))) | \(Self.pm(r.number("trace"), r.number("trace_se"))) | "
                      + "\(Self.pm(r.number("slq_trace"), r.number("slq_trace_se"))) | \(Self.g(r.number("loss"))) |")
        }
        md.append("")
        let eigen = try records(ReportFiles.eigen1D)
        let worst = traces.map { t -> String in
            let m = t["model"]!
            let measured = eigen.filter { $0["model"] == m && $0["curve"] == "measured" }
            let model = eigen.filter { $0["model"] == m && $0["curve"] != "measured" }
            let edge = measured.max { abs($0.number("offset")) < abs($1.number("offset")) }
            let q = model.first { $0["offset"] == edge?["offset"] }
            return "\(m) \(Self.g(edge?.number("loss_change") ?? .nan, 3)) measured vs \(Self.g(q?.number("loss_change") ?? .nan, 3)) by ½λx²"
        }
        md.append("Reading: at the end of the eigenvector scan the loss change is " + worst.joined(separator: "; ") + ". "
                  + "Where the two differ, the top eigenvalue alone does not describe the surface at that distance.")
        md.append("")

        // Quadratic check
        md.append("## Quadratic check (`\(ReportFiles.quadratic)`)")
        md.append("")
        md.append("| model | L(w) latent | L(ŵ) quantized | measured L(ŵ) − L(w) | gᵀε | ½εᵀHε | predicted / measured | ‖ε‖ |")
        md.append("|---|---|---|---|---|---|---|---|")
        for r in try records(ReportFiles.quadratic) {
            md.append("| \(r["model"]!) | \(Self.g(r.number("loss_latent"))) | \(Self.g(r.number("loss_quantized"))) | \(Self.g(r.number("measured"))) | "
                      + "\(Self.g(r.number("gradient_term"))) | \(Self.g(r.number("curvature_term"))) | \(Self.g(r.number("ratio"), 3)) | \(Self.g(r.number("epsilon_norm"), 3)) |")
        }
        md.append("")
        md.append("Reading: ε = ŵ − w over every quantized tensor; a ratio near 1 means the second-order model explains the quantization loss, "
                  + "far from 1 (or negative) that ε is too large for it to be local.")
        md.append("")

        // TWS
        md.append("## TWS against BWN (`\(ReportFiles.curves)`, `\(ReportFiles.sizes)`, `\(ReportFiles.interpolation)`, `\(ReportFiles.exactness)`)")
        md.append("")
        md.append("![accuracy](tws-curves.accuracy.svg)")
        md.append("![loss](tws-curves.loss.svg)")
        md.append("![interpolation](tws-interpolation.svg)")
        md.append("")
        md.append("| model | weight bits | dev accuracy (mean ± std) | size (MB) |")
        md.append("|---|---|---|---|")
        let sizes = try records(ReportFiles.sizes)
        var sizeOrder: [String] = []
        for r in sizes where !sizeOrder.contains(r["model"]!) { sizeOrder.append(r["model"]!) }
        for m in sizeOrder {
            let rows = sizes.filter { $0["model"] == m }
            let xs = rows.map { $0.number("accuracy") }
            md.append("| \(m) | \(rows[0]["weight_bits"]!) | \(Self.pm(Estimate.mean(xs), Estimate.standardDeviation(xs))) | \(Self.g(rows[0].number("megabytes"), 3)) |")
        }
        md.append("")
        let line = try records(ReportFiles.interpolation)
        func at(_ l: String, _ x: Double) -> Double { line.first { $0["line"] == l && $0.number("x") == x }?.number("loss") ?? .nan }
        let ends = try records(ReportFiles.exactness)
        func end(_ m: String, _ x: Double) -> Double { ends.first { $0["model"] == m && $0.number("x") == x }?.number("loss") ?? .nan }
        md.append("Reading: in float64 (`\(ReportFiles.exactness)`) the split model's loss is \(String(format: "%.15g", end("split", 0))) against the ternary model's "
                  + "\(String(format: "%.15g", end("ternary", 0))) (relative difference \(Self.g(abs(end("split", 0) - end("ternary", 0)) / end("ternary", 0), 2))); in float32 the lines "
                  + "start at \(Self.g(at("split → TWS", 0), 7)) and \(Self.g(at("ternary → TWS", 0), 7)) (the halves rounded to float32 move α by ~1e-8, which the 8-bit activation "
                  + "rounding can amplify). At x = 1 (the fine-tuned TWS weights with the start's activation clips) the loss is \(Self.g(at("split → TWS", 1), 5)). "
                  + "Sizes are the packed exports' (1 MB = 1024² bytes; the teacher's is its float32 safetensors).")
        md.append("")

        // Curvature along training
        let along = try records(ReportFiles.trainingCurvature)
        md.append("## Curvature along training (`\(ReportFiles.trainingCurvature)`)")
        md.append("")
        md.append("![curvature along training](training-curvature.svg)")
        md.append("")
        md.append("| model | block | snapshots | λ_max at the start | λ_max at the end | max | converged |")
        md.append("|---|---|---|---|---|---|---|")
        for model in [ReportPlan.ternary, ReportPlan.bwn] {
            for block in TrainingCurvature.blocks {
                let rows = along.filter { $0["model"] == model && $0["block"] == block.name }
                guard let first = rows.first, let last = rows.last else { continue }
                let values = rows.map { $0.number("lambda_max") }
                md.append("| \(model) | \(block.name) | \(rows.count) | \(Self.g(first.number("lambda_max"))) | \(Self.g(last.number("lambda_max"))) | "
                          + "\(Self.g(values.max() ?? .nan)) | \(rows.filter { $0["converged"] == "true" }.count)/\(rows.count) |")
            }
        }
        md.append("")
        md.append("Reading: λ_max of all layers' value (and FFN-output) matrices at every kept snapshot of both distillation stages, Lanczos warm-started from the "
                  + "previous snapshot's eigenvector. A student whose curve stays higher trains on a sharper surface throughout, which speaks to \"harder to train\" directly.")
        md.append("")
        if hasAdaptiveSplit { md += try adaptiveSplitSection() }
        return md.joined(separator: "\n")
    }

    /// Adaptive splitting: per rule, the mean accuracy over the interior budgets, and max-gain's margin over the best control.
    func adaptiveSplitSection() throws -> [String] {
        let rows = try records(ReportFiles.adaptiveSplit)
        let interior = rows.filter { !["all-binary", "fully-split"].contains($0["run"] ?? "") }
        var md = ["## Adaptive splitting (`\(ReportFiles.adaptiveSplit)`)", "", "![adaptive splitting](adaptive-split.svg)", "",
                  "| rule | runs | mean dev accuracy | min | max |", "|---|---|---|---|---|"]
        var means: [String: Double] = [:]
        for rule in ["max · measured", "max · curvature", "random", "min · measured", "min · curvature"] {
            let acc = interior.filter { $0["rule"] == rule }.map { $0.number("accuracy") }
            guard !acc.isEmpty else { continue }
            means[rule] = acc.reduce(0, +) / Double(acc.count)
            md.append("| \(rule) | \(acc.count) | \(Self.g(means[rule]!)) | \(Self.g(acc.min()!)) | \(Self.g(acc.max()!)) |")
        }
        let n = interior.first.map { $0.number("dev_examples") } ?? .nan
        let p = interior.isEmpty ? Double.nan : interior.map { $0.number("accuracy") }.reduce(0, +) / Double(interior.count)
        md.append("")
        var reading = "Reading: the ends (all binary, every matrix split) are shared by every rule. One run's accuracy has a standard error of "
            + "\(Self.g(((p * (1 - p)) / n).squareRoot())) on \(Int(n.isFinite ? n : 0)) dev examples"
        for gain in ["measured", "curvature"] {
            if let mx = means["max · \(gain)"], let best = [means["min · \(gain)"], means["random"]].compactMap({ $0 }).max() {
                reading += "; max-gain (\(gain)) minus the best control: \(Self.g(mx - best))"
            }
        }
        md.append(reading + ". Max-gain wins only where that margin clears a few standard errors.")
        md.append("")
        return md
    }
}
