import Foundation
import Plotting

extension ReportRenderer {
    static func g(_ v: Double, _ digits: Int = 4) -> String { v.isFinite ? String(format: "%.\(digits)g", v) : "—" }
    static func pm(_ m: Double, _ s: Double?) -> String { s.map { "\(g(m)) ± \(g($0, 2))" } ?? g(m) }

    /// A ratio row of fig3-ratios.csv or fig3-per-layer.csv: "1.2 [0.8, 1.9]", or the ratio alone without an interval.
    static func ratioCell(_ r: [String: String]) -> String {
        r.number("low").isFinite ? "\(g(r.number("ratio"), 3)) [\(g(r.number("low"), 3)), \(g(r.number("high"), 3))]" : g(r.number("ratio"), 3)
    }

    /// "0.12 [0.05, 0.19]" for an estimate over replicates, "0.12" without an interval.
    static func interval(_ e: ReplicateEstimate, _ digits: Int = 3) -> String {
        guard let lo = e.low, let hi = e.high else { return g(e.mean, digits) }
        return "\(g(e.mean, digits)) [\(g(lo, digits)), \(g(hi, digits))]"
    }

    /// Mean ± std over replicates of the values, with their count.
    static func spread(_ xs: [Double], _ digits: Int = 4) -> String {
        let v = xs.filter(\.isFinite)
        return pm(Estimate.mean(v), Estimate.standardDeviation(v)) + (v.count > 1 ? " (\(v.count))" : "")
    }

    /// REPORT.md: provenance, the verdicts with their rule, and each figure with its numbers and a reading whose every
    /// number is computed here from the CSV its section names.
    func markdown(_ claims: [Claim], _ set: ReportClaims) throws -> String {
        let spec = provenance["spec"]
        var md: [String] = []
        let preset = spec?["preset"]?.string ?? "?"
        let level = Estimate.percent(confidence)
        let reps = set.replicates
        md.append("# Is a binary BERT harder to train than a ternary one? (`\(preset)` preset)")
        md.append("")
        let wall: String = (provenance["busy_seconds"]?.double).map {
            " (\(StageRunner.duration($0)) of wall time, up to \(Int(provenance["jobs"]?.double ?? 1)) at once)"
        } ?? ""
        let subset = spec?["train_subset"]?.double.map { "a seeded subset of \(Int($0)) training examples" } ?? "the full training split"
        md.append("Task **\(provenance["task"]?.string ?? "?")** on `\(provenance["data"]?.string ?? "?")` (sha256 `\(String((provenance["data_sha256"]?.string ?? "").prefix(16)))…`), "
                  + "model `\(provenance["model"]?.string ?? "?")` (sha256 `\(String((provenance["model_sha256"]?.string ?? "").prefix(16)))…`): \(subset), "
                  + "max length \(Int(spec?["max_length"]?.double ?? 0)); one teacher (seed \(Int(spec?["teacher_seed"]?.double ?? 0))) and "
                  + "**\(reps.count) replicate\(reps.count == 1 ? "" : "s")** (seeds \(reps.joined(separator: ", "))), each a complete training of every student "
                  + "with its own probe draws. Made by `\(provenance["command"]?.string ?? "binarybert report")` "
                  + "(\(provenance["version"]?.string ?? "?"), \(Int(provenance["threads"]?.double ?? 0)) threads, BLAS core \(provenance["blas_core"]?.string ?? "?")); "
                  + "its \(Int(provenance["stages"]?.array?.count ?? 0)) stages took \(StageRunner.duration(provenance["stage_seconds"]?.double ?? 0)) in all\(wall). "
                  + "Every number below is computed from the CSV beside this file that its section names (`report.json`: the spec, every command, the hashes); "
                  + "the students are W·A8 (8-bit activations).")
        md.append("")
        md.append("## Verdicts (`\(ReportFiles.verdicts)`, `\(ReportFiles.forest)`)")
        md.append("")
        md.append("| claim | statistic (one value per replicate) | mean [\(level) % t-interval] | replicates agreeing | verdict | from |")
        md.append("|---|---|---|---|---|---|")
        for c in claims {
            md.append("| \(c.text) | \(c.statistic) | \(Self.interval(c.estimate)) | \(c.agreement) | **\(c.verdict.rawValue)**"
                      + "\(c.note.isEmpty ? "" : " (\(c.note))") | `\(c.basis)` |")
        }
        md.append("")
        md.append("Rule: " + Verdict.ruleText(confidence: confidence) + " A verdict moves between supported and not supported only when the whole "
                  + "interval crosses the threshold, which rounding-level changes (another BLAS kernel or machine) do not do; they can move a claim to or from inconclusive.")
        md.append("")
        md.append("![forest plot](forest.svg)")
        md.append("")

        // Fig. 1
        let acc = try records(ReportFiles.accuracy)
        md.append("## Fig. 1: accuracy against weight bits (`\(ReportFiles.accuracy)`)")
        md.append("")
        md.append("![Fig. 1](fig1-accuracy-bits.svg)")
        md.append("")
        md.append("| model | weight bits | dev accuracy (mean ± std (replicates)) | learned (of replicates) |")
        md.append("|---|---|---|---|")
        var order: [String] = []
        for r in acc where !order.contains(r["model"]!) { order.append(r["model"]!) }
        for m in order {
            let rows = acc.filter { $0["model"] == m }
            md.append("| \(m) | \(rows[0]["weight_bits"]!) | \(Self.spread(rows.map { $0.number("accuracy") })) | "
                      + "\(rows.filter { $0["learned"] == "true" }.count) of \(rows.count) |")
        }
        md.append("")
        let baseline = acc.first?.number("majority_baseline") ?? .nan
        let margin = spec?["learned_margin"]?.double ?? .nan
        func claimText(_ id: String) -> String {
            guard let c = claims.first(where: { $0.id == id }) else { return "—" }
            return "\(Self.interval(c.estimate)) (\(c.agreement) replicates agree, \(c.verdict.rawValue))"
        }
        md.append("Reading: the 2 → 1-bit drop is \(claimText("fig1-drop-2-1")); the 4 → 2-bit drop is \(claimText("fig1-drop-4-2")). "
                  + "A model *learned* when its dev accuracy is at least \(Self.g(baseline + margin, 3)) (the majority class, \(Self.g(baseline, 3)), plus the "
                  + "spec's margin \(Self.g(margin, 2))); curvature and surface claims use only the replicates whose ternary and BWN students both learned. "
                  + "BWN gets the TWS route's steps (twice the ternary student's per stage).")
        md.append("")

        // Fig. 2
        md.append("## Fig. 2: loss surfaces (`\(ReportFiles.ones)`, `\(ReportFiles.filterLatent)`, `\(ReportFiles.filterQuantized)`, `\(ReportFiles.statistics)`)")
        md.append("")
        md.append("The paper's all-ones probe (value of layer 0 along x, of layer 1 along y, in units of mean|W|, latent weights re-quantized at every point), "
                  + "then filter-normalized random directions of value@0,1 in the latent and the quantized space. The figures show the first replicate; "
                  + "the statistics cover every replicate (each with its own directions and probe examples). The full-precision teacher has one space and "
                  + "stands beside the students in each figure.")
        md.append("")
        for stem in ["fig2-ones", "fig2-filter-latent", "fig2-filter-quantized"] {
            md.append("![\(stem) surface](\(stem).surface.svg)")
            md.append("![\(stem) contour](\(stem).contour.svg)")
            md.append("")
        }
        md.append("![centre slices](fig2-slices.svg)")
        md.append("")
        let stats = try records(ReportFiles.statistics)
        let shown = ["loss_center", "mean_rise", "sharpness_r3", "roughness", "curvature_x", "nonconvex_fraction"]
        md.append("Per-replicate values (mean over the replicate's direction seeds), then mean ± std over replicates:")
        md.append("")
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
                let perRep = reps.map { r in Estimate.mean(rows.filter { $0["replicate"] == r && $0["statistic"] == name }.map { $0.number("value") }.filter(\.isFinite)) }
                return perRep.allSatisfy { !$0.isFinite } ? "—" : Self.spread(perRep)
            }
            md.append("| \(parts[0]) | \(parts[1]) | \(parts[2]) | " + cells.joined(separator: " | ") + " |")
        }
        md.append("")
        md.append("Reading: the all-ones surface's mean rise, BWN minus ternary: \(claimText("fig2-ones-rise")). In the latent space BWN's log sharpness ratio is "
                  + "\(claimText("fig2-latent-sharpness_r3")) and its log roughness ratio \(claimText("fig2-latent-roughness")); in the quantized space "
                  + "\(claimText("fig2-quantized-sharpness_r3")) and \(claimText("fig2-quantized-roughness")). Statistics' definitions are in each scan's "
                  + "`surface.json` (sharpness: max(L − L₀) within the radius; roughness: mean |ΔL| between neighbours per grid step; mean_rise: mean of L − L₀ over the grid).")
        md.append("")

        // Fig. 3
        let ratios = try records(ReportFiles.ratios)
        md.append("## Fig. 3: top Hessian eigenvalue per module kind (`\(ReportFiles.perModule)`, `\(ReportFiles.ratios)`, `\(ReportFiles.perLayer)`)")
        md.append("")
        md.append("![Fig. 3](fig3-ratios.svg)")
        md.append("")
        md.append("Geometric mean over replicates of each replicate's mean log-ratio over its (layer, batch) cells, with the \(level) % t-interval:")
        md.append("")
        md.append("| module | ternary / FP | BWN / FP | BWN / ternary | replicates |")
        md.append("|---|---|---|---|---|")
        for m in Self.moduleOrder {
            let name = Self.moduleNames[m]!
            func cell(_ pair: String) -> String {
                ratios.first(where: { $0["pair"] == pair && $0["module"] == name }).map(Self.ratioCell) ?? "—"
            }
            let count = ratios.first { $0["pair"] == "BWN / ternary" && $0["module"] == name }?["replicates"] ?? "0"
            md.append("| \(name) | \(cell("ternary / FP")) | \(cell("BWN / FP")) | \(cell("BWN / ternary")) | \(count) |")
        }
        md.append("")
        let perLayer = try records(ReportFiles.perLayer)
        let layers = BarChart.ordered(perLayer.map { $0["layer"]! })
        md.append("BWN / ternary per layer (layers are a factor, not replicates):")
        md.append("")
        md.append("| module | " + layers.map { "layer \($0)" }.joined(separator: " | ") + " |")
        md.append("|---|" + String(repeating: "---|", count: layers.count))
        for m in Self.moduleOrder {
            let name = Self.moduleNames[m]!
            let cells = layers.map { l -> String in
                perLayer.first(where: { $0["module"] == name && $0["layer"] == l }).map(Self.ratioCell) ?? "—"
            }
            md.append("| \(name) | " + cells.joined(separator: " | ") + " |")
        }
        md.append("")
        md.append("Reading: λ_max per (layer, mini-batch) cell, Lanczos on each block's exact Hessian of the STE surrogate in ŵ. Over all module kinds "
                  + "BWN's log-ratio to the ternary model is \(claimText("fig3-overall")). Where an interval spans 1 the two models' curvature is not told apart.")
        md.append("")

        // Spectra
        let traces = try records(ReportFiles.traces)
        md.append("## Spectra of value@0,1 (`\(ReportFiles.density)`, `\(ReportFiles.traces)`, `\(ReportFiles.eigen1D)`)")
        md.append("")
        md.append("![density](spectra-density.svg)")
        md.append("![eigen-1d](eigen-1d.svg)")
        md.append("")
        md.append("| model | λ_max | trace (Hutch++) | trace (SLQ) | loss |")
        md.append("|---|---|---|---|---|")
        for m in ReportPlan.probed {
            let rows = traces.filter { $0["model"] == m }
            func col(_ c: String) -> String { Self.spread(rows.map { $0.number(c) }) }
            md.append("| \(m) | \(col("lambda_max")) | \(col("trace")) | \(col("slq_trace")) | \(col("loss")) |")
        }
        md.append("")
        let eigen = try records(ReportFiles.eigen1D)
        let worst = ReportPlan.probed.map { m -> String in
            let measured = eigen.filter { $0["model"] == m && $0["curve"] == "measured" }
            let model = eigen.filter { $0["model"] == m && $0["curve"] != "measured" }
            let edge = measured.max { abs($0.number("offset")) < abs($1.number("offset")) }
            let q = model.first { $0["offset"] == edge?["offset"] }
            return "\(m) \(Self.g(edge?.number("loss_change") ?? .nan, 3)) measured vs \(Self.g(q?.number("loss_change") ?? .nan, 3)) by ½λx²"
        }
        md.append("Mean ± std over replicates (count). Reading: BWN minus ternary trace: \(claimText("trace")). At the end of the first replicate's eigenvector scan the loss change is "
                  + worst.joined(separator: "; ") + "; where the two differ, the top eigenvalue alone does not describe the surface at that distance.")
        md.append("")

        // Quadratic check
        md.append("## Quadratic check (`\(ReportFiles.quadratic)`)")
        md.append("")
        md.append("| model | L(w) latent | L(ŵ) quantized | measured L(ŵ) − L(w) | gᵀε | ½εᵀHε | predicted / measured | ‖ε‖ |")
        md.append("|---|---|---|---|---|---|---|---|")
        let quad = try records(ReportFiles.quadratic)
        for m in [ReportPlan.ternary, ReportPlan.bwn] {
            let rows = quad.filter { $0["model"] == m }
            func col(_ c: String, _ d: Int = 4) -> String { Self.spread(rows.map { $0.number(c) }, d) }
            md.append("| \(m) | \(col("loss_latent")) | \(col("loss_quantized")) | \(col("measured")) | \(col("gradient_term")) | \(col("curvature_term")) | "
                      + "\(col("ratio", 3)) | \(col("epsilon_norm", 3)) |")
        }
        md.append("")
        md.append("Mean ± std over replicates (count). Reading: ε = ŵ − w over every quantized tensor; a ratio near 1 means the second-order model explains the "
                  + "quantization loss, far from 1 (or negative) that ε is too large for it to be local.")
        md.append("")

        // TWS
        md.append("## TWS against BWN (`\(ReportFiles.curves)`, `\(ReportFiles.sizes)`, `\(ReportFiles.interpolation)`, `\(ReportFiles.exactness)`)")
        md.append("")
        md.append("![accuracy](tws-curves.accuracy.svg)")
        md.append("![loss](tws-curves.loss.svg)")
        md.append("![interpolation](tws-interpolation.svg)")
        md.append("")
        md.append("| model | weight bits | dev accuracy (mean ± std (replicates)) | packed size (MB) |")
        md.append("|---|---|---|---|")
        let sizes = try records(ReportFiles.sizes)
        for m in BarChart.ordered(sizes.map { $0["model"]! }) {
            let rows = sizes.filter { $0["model"] == m }
            md.append("| \(m) | \(rows[0]["weight_bits"]!) | \(Self.spread(rows.map { $0.number("accuracy") })) | \(Self.g(rows[0].number("megabytes"), 3)) |")
        }
        md.append("")
        // Whether the training was long enough: the best stage-2 evaluation before the last one means the dev accuracy had
        // stopped improving (the kept model is the best on dev either way).
        let curves = try records(ReportFiles.curves)
        var plateau: [String] = []
        for m in BarChart.ordered(curves.map { $0["model"]! }) {
            var stopped = 0, runs = 0, evaluations = 0
            for r in reps {
                let evals = curves.filter { $0["model"] == m && $0["replicate"] == r && $0["stage"] == "2" && !($0["dev_accuracy"] ?? "").isEmpty }
                guard evals.count >= 1 else { continue }
                runs += 1
                evaluations = max(evaluations, evals.count)
                let accs = evals.map { $0.number("dev_accuracy") }
                if let best = accs.indices.max(by: { accs[$0] < accs[$1] || (accs[$0] == accs[$1] && $0 > $1) }), best < accs.count - 1 { stopped += 1 }
            }
            plateau.append("\(m) \(stopped) of \(runs)")
        }
        md.append("Training length: runs whose best stage-2 dev accuracy came before their last evaluation (so the accuracy had stopped improving): "
                  + plateau.joined(separator: ", ") + ". With a single evaluation per stage this cannot be told, and reads 0.")
        md.append("")
        let line = try records(ReportFiles.interpolation)
        func at(_ l: String, _ x: Double) -> Double { line.first { $0["line"] == l && $0.number("x") == x }?.number("loss") ?? .nan }
        md.append("Reading: TWS minus BWN (same total steps): \(claimText("tws-beats-bwn")). Digits of agreement between the split and the ternary model's "
                  + "loss in float64 (`\(ReportFiles.exactness)`): \(claimText("tws-exact")). In float32 the first replicate's lines start at "
                  + "\(Self.g(at("split → TWS", 0), 7)) and \(Self.g(at("ternary → TWS", 0), 7)); at x = 1 (the fine-tuned TWS weights with the start's "
                  + "activation clips) the loss is \(Self.g(at("split → TWS", 1), 5)). Sizes are the first replicate's packed exports "
                  + "(1 MB = 1024² bytes; the teacher's is its float32 safetensors). The distillation loss of BWN against the ternary student at equal "
                  + "steps: \(claimText("distillation-loss")).")
        md.append("")

        // Curvature along training
        let along = try records(ReportFiles.trainingCurvature)
        md.append("## Curvature along training (`\(ReportFiles.trainingCurvature)`, `\(ReportFiles.matchedLoss)`)")
        md.append("")
        md.append("![curvature along training](training-curvature.svg)")
        md.append("")
        md.append("| model | block | snapshots per replicate | λ_max at step 0 | λ_max at the end | converged |")
        md.append("|---|---|---|---|---|---|")
        for model in [ReportPlan.ternary, ReportPlan.bwn] {
            for block in TrainingCurvature.blocks {
                let rows = along.filter { $0["model"] == model && $0["block"] == block.name }
                guard !rows.isEmpty else { continue }
                let starts = reps.map { r in rows.first { $0["replicate"] == r }?.number("lambda_max") ?? .nan }
                let ends = reps.map { r in rows.last { $0["replicate"] == r }?.number("lambda_max") ?? .nan }
                md.append("| \(model) | \(block.name) | \(rows.count / max(reps.count, 1)) | \(Self.spread(starts)) | \(Self.spread(ends)) | "
                          + "\(rows.filter { $0["converged"] == "true" }.count)/\(rows.count) |")
            }
        }
        md.append("")
        md.append("Reading: λ_max of all layers' value (and FFN-output) matrices at every kept snapshot of both distillation stages. At step 0, before any "
                  + "training, BWN's value block is at \(claimText("training-value-initial")) (log-ratio to the ternary model's): that is the quantizer's "
                  + "effect. After it, through distillation: \(claimText("training-value")) (value), \(claimText("training-ffn-output")) (FFN-output). "
                  + "At matched training loss (each student's snapshot nearest the lowest probe loss both reach, `\(ReportFiles.matchedLoss)`): "
                  + "\(claimText("matched-loss-value")) (value), \(claimText("matched-loss-ffn-output")) (FFN-output).")
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
