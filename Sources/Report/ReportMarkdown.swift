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

    /// "mean ± std (count)" over replicates; the count only when more than one.
    static func cell(_ s: Spread) -> String {
        pm(s.mean, s.standardDeviation) + (s.count > 1 ? " (\(s.count))" : "")
    }

    /// REPORT.md: provenance, the verdicts with their rule, and each figure with its numbers and a reading. Every
    /// number comes from the claims or the summaries computed from the CSV each section names (`ReportSummaries`);
    /// the sections here only put them into words.
    func markdown(_ claims: [Claim], _ set: ReportClaims) throws -> String {
        let reps = set.replicates
        func claimText(_ id: String) -> String {
            guard let c = claims.first(where: { $0.id == id }) else { return "—" }
            return "\(Self.interval(c.estimate)) (\(c.agreement) replicates agree, \(c.verdict.rawValue))"
        }
        var md = header(replicates: reps) + verdictSection(claims)
        md += try accuracySection(claimText)
        md += try surfaceSection(replicates: reps, claimText)
        md += try curvatureSection(claimText)
        md += try curvatureViewsSection(claims, set)
        md += try spectraSection(claimText)
        md += try quadraticSection(claimText)
        md += try heterogeneitySection(set, claimText)
        md += try sharpnessSection(claimText)
        md += try twsSection(replicates: reps, claimText)
        md += try alongTrainingSection(replicates: reps, claimText)
        if hasAdaptiveSplit { md += try adaptiveSplitSection() }
        return md.joined(separator: "\n")
    }

    /// The title and what the report was made from and by.
    func header(replicates reps: [String]) -> [String] {
        let spec = provenance["spec"]
        let preset = spec?["preset"]?.string ?? "?"
        let subset = spec?["train_subset"]?.double.map { "a seeded subset of \(Int($0)) training examples" } ?? "the full training split"
        let wall: String = (provenance["busy_seconds"]?.double).map {
            " (\(StageRunner.duration($0)) of wall time, up to \(Int(provenance["jobs"]?.double ?? 1)) at once)"
        } ?? ""
        return ["# Is a binary BERT harder to train than a ternary one? (`\(preset)` preset)", "",
                "Task **\(provenance["task"]?.string ?? "?")** on `\(provenance["data"]?.string ?? "?")` (sha256 `\(String((provenance["data_sha256"]?.string ?? "").prefix(16)))…`), "
                + "model `\(provenance["model"]?.string ?? "?")` (sha256 `\(String((provenance["model_sha256"]?.string ?? "").prefix(16)))…`): \(subset), "
                + "max length \(Int(spec?["max_length"]?.double ?? 0)); one teacher (seed \(Int(spec?["teacher_seed"]?.double ?? 0))) and "
                + "**\(reps.count) replicate\(reps.count == 1 ? "" : "s")** (seeds \(reps.joined(separator: ", "))), each a complete training of every student "
                + "with its own probe draws. Made by `\(provenance["command"]?.string ?? "binarybert report")` "
                + "(\(provenance["version"]?.string ?? "?"), \(Int(provenance["threads"]?.double ?? 0)) threads, BLAS core \(provenance["blas_core"]?.string ?? "?")); "
                + "its \(Int(provenance["stages"]?.array?.count ?? 0)) stages took \(StageRunner.duration(provenance["stage_seconds"]?.double ?? 0)) in all\(wall). "
                + "Every number below is computed from the CSV beside this file that its section names (`report.json`: the spec, every command, the hashes); "
                + "the students are W·A8 (8-bit activations).",
                ""]
    }

    /// Every claim with its statistic, interval, agreement and verdict, and the rule.
    func verdictSection(_ claims: [Claim]) -> [String] {
        let level = Estimate.percent(confidence)
        var md = ["## Verdicts (`\(ReportFiles.verdicts)`, `\(ReportFiles.forest)`)", "",
                  "| claim | statistic (one value per replicate) | mean [\(level) % t-interval] | replicates agreeing | verdict | from |",
                  "|---|---|---|---|---|---|"]
        for c in claims {
            md.append("| \(c.text) | \(c.statistic) | \(Self.interval(c.estimate)) | \(c.agreement) | **\(c.verdict.rawValue)**"
                      + "\(c.note.isEmpty ? "" : " (\(c.note))") | `\(c.basis)` |")
        }
        md += ["", "Rule: " + Verdict.ruleText(confidence: confidence) + " A verdict moves between supported and not supported only when the whole "
               + "interval crosses the threshold, which rounding-level changes (another BLAS kernel or machine) do not do; they can move a claim to or from inconclusive.",
               "", "![forest plot](forest.svg)", ""]
        return md
    }

    /// Fig. 1: accuracy against weight bits.
    func accuracySection(_ claimText: (String) -> String) throws -> [String] {
        let (rows, baseline) = try accuracySummary()
        var md = ["## Fig. 1: accuracy against weight bits (`\(ReportFiles.accuracy)`)", "", "![Fig. 1](fig1-accuracy-bits.svg)", "",
                  "| model | weight bits | dev accuracy (mean ± std (replicates)) | learned (of replicates) |", "|---|---|---|---|"]
        for r in rows {
            md.append("| \(r.model) | \(r.weightBits) | \(Self.cell(r.accuracy)) | \(r.learned) of \(r.replicates) |")
        }
        let margin = provenance["spec"]?["learned_margin"]?.double ?? .nan
        md += ["", "Reading: the 2 → 1-bit drop is \(claimText("fig1-drop-2-1")); the 4 → 2-bit drop is \(claimText("fig1-drop-4-2")). "
               + "A model *learned* when its dev accuracy is at least \(Self.g(baseline + margin, 3)) (the majority class, \(Self.g(baseline, 3)), plus the "
               + "spec's margin \(Self.g(margin, 2))); curvature and surface claims use only the replicates whose ternary and BWN students both learned. "
               + "BWN gets the TWS route's steps (twice the ternary student's per stage).", ""]
        return md
    }

    /// Fig. 2: the loss surfaces and their statistics.
    func surfaceSection(replicates reps: [String], _ claimText: (String) -> String) throws -> [String] {
        var md = ["## Fig. 2: loss surfaces (`\(ReportFiles.ones)`, `\(ReportFiles.filterLatent)`, `\(ReportFiles.filterQuantized)`, `\(ReportFiles.statistics)`)", "",
                  "The paper's all-ones probe (value of layer 0 along x, of layer 1 along y, in units of mean|W|, latent weights re-quantized at every point), "
                  + "then filter-normalized random directions of value@0,1 in the latent and the quantized space. The figures show the first replicate; "
                  + "the statistics cover every replicate (each with its own directions and probe examples). The full-precision teacher has one space and "
                  + "stands beside the students in each figure.", ""]
        for stem in ["fig2-ones", "fig2-filter-latent", "fig2-filter-quantized"] {
            md += ["![\(stem) surface](\(stem).surface.svg)", "![\(stem) contour](\(stem).contour.svg)", ""]
        }
        md += ["![centre slices](fig2-slices.svg)", ""]
        let rows = try surfaceStatisticsRows(replicates: reps)
        let shown = Self.shownSurfaceStatistics
        md += ["Per-replicate values (mean over the replicate's direction seeds), then mean ± std over replicates:", "",
               "| probe | space | model | " + shown.joined(separator: " | ") + " |", "|---|---|---|" + String(repeating: "---|", count: shown.count)]
        for r in rows {
            md.append("| \(r.probe) | \(r.space) | \(r.model) | " + r.cells.map { $0.map(Self.cell) ?? "—" }.joined(separator: " | ") + " |")
        }
        md += ["", "Reading: the all-ones surface's mean rise, BWN minus ternary: \(claimText("fig2-ones-rise")). In the latent space BWN's log sharpness ratio is "
               + "\(claimText("fig2-latent-sharpness_r3")) and its log roughness ratio \(claimText("fig2-latent-roughness")); in the quantized space "
               + "\(claimText("fig2-quantized-sharpness_r3")) and \(claimText("fig2-quantized-roughness")). Statistics' definitions are in each scan's "
               + "`surface.json` (sharpness: max(L − L₀) within the radius; roughness: mean |ΔL| between neighbours per grid step; mean_rise: mean of L − L₀ over the grid).", ""]
        return md
    }

    /// Fig. 3: the top eigenvalue per module kind, as ratios, overall and per layer.
    func curvatureSection(_ claimText: (String) -> String) throws -> [String] {
        let level = Estimate.percent(confidence)
        let ratios = try records(ReportFiles.ratios)
        var md = ["## Fig. 3: top Hessian eigenvalue per module kind (`\(ReportFiles.perModule)`, `\(ReportFiles.ratios)`, `\(ReportFiles.perLayer)`)", "",
                  "![Fig. 3](fig3-ratios.svg)", "",
                  "Geometric mean over replicates of each replicate's mean log-ratio over its (layer, batch) cells, with the \(level) % t-interval:", "",
                  "| module | ternary / FP | BWN / FP | BWN / ternary | replicates |", "|---|---|---|---|---|"]
        for m in Self.moduleOrder {
            let name = Self.moduleNames[m]!
            func cell(_ pair: String) -> String {
                ratios.first(where: { $0["pair"] == pair && $0["module"] == name }).map(Self.ratioCell) ?? "—"
            }
            let count = ratios.first { $0["pair"] == "BWN / ternary" && $0["module"] == name }?["replicates"] ?? "0"
            md.append("| \(name) | \(cell("ternary / FP")) | \(cell("BWN / FP")) | \(cell("BWN / ternary")) | \(count) |")
        }
        let perLayer = try records(ReportFiles.perLayer)
        let layers = BarChart.ordered(perLayer.map { $0["layer"]! })
        md += ["", "BWN / ternary per layer (layers are a factor, not replicates):", "",
               "| module | " + layers.map { "layer \($0)" }.joined(separator: " | ") + " |", "|---|" + String(repeating: "---|", count: layers.count)]
        for m in Self.moduleOrder {
            let name = Self.moduleNames[m]!
            let cells = layers.map { l -> String in
                perLayer.first(where: { $0["module"] == name && $0["layer"] == l }).map(Self.ratioCell) ?? "—"
            }
            md.append("| \(name) | " + cells.joined(separator: " | ") + " |")
        }
        md += ["", "Reading: λ_max per (layer, mini-batch) cell, Lanczos on each block's exact Hessian of the STE surrogate in ŵ. Over all module kinds "
               + "BWN's log-ratio to the ternary model is \(claimText("fig3-overall")). Where an interval spans 1 the two models' curvature is not told apart.", ""]
        return md
    }

    /// Fig. 3 in the views that compare models whose weights differ in scale, beside the raw Hessian, and whether
    /// they agree.
    func curvatureViewsSection(_ claims: [Claim], _ set: ReportClaims) throws -> [String] {
        let views = set.views
        guard !views.isEmpty else { return [] }
        let titles = views.map { ReportClaims.viewTitles[$0] ?? $0 }
        var md = ["### Fig. 3 in \(views.count + 1) views (" + views.map { "`\(ReportFiles.perModule(view: $0))`, `\(ReportFiles.ratios(view: $0))`" }.joined(separator: ", ") + ")", ""]
        md += views.map { "![Fig. 3, \($0)](fig3-ratios-\($0).svg)" } + [""]
        md += ["BWN / ternary log-ratio of λ_max per module kind, mean over replicates with its t-interval, and the verdict, in each view:", "",
               "| module | Hessian | " + titles.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |", "|---|---|" + String(repeating: "---|", count: views.count)]
        func cell(_ id: String) -> String {
            guard let c = claims.first(where: { $0.id == id }) else { return "—" }
            return "\(Self.interval(c.estimate)) \(c.verdict.rawValue)"
        }
        for m in Self.moduleOrder {
            md.append("| \(Self.moduleNames[m]!) | \(cell("fig3-\(m)")) | " + views.map { cell("fig3-\($0)-\(m)") }.joined(separator: " | ") + " |")
        }
        md.append("| all kinds | \(cell("fig3-overall")) | " + views.map { cell("fig3-\($0)-overall") }.joined(separator: " | ") + " |")
        let (same, verdicts) = ReportClaims.viewAgreement(claims, views: views)
        func counts(_ c: [Verdict: Int]) -> String {
            Verdict.allCases.compactMap { v in c[v].map { "\($0) \(v.rawValue)" } }.joined(separator: ", ")
        }
        md += ["", "Which views agree: the sign of BWN's mean log-ratio is the same in every view for \(same.count) of \(Self.moduleOrder.count) module kinds"
               + (same.isEmpty ? "" : " (\(same.joined(separator: ", ")))") + "; per module kind the verdicts are "
               + verdicts.map { "\($0.view == "hessian" ? "Hessian" : ReportClaims.viewTitles[$0.view] ?? $0.view): \(counts($0.counts))" }.joined(separator: "; ")
               + ". The Gauss–Newton matrix drops the part of the Hessian that makes it indefinite away from a minimum; the normalized "
               + "Hessian is unchanged when one layer's weights are scaled against the next's, which the raw λ_max is not (Dinh et al. 2017).", ""]
        return md
    }

    /// The spectra of value@0,1 and the loss along each top eigenvector.
    func spectraSection(_ claimText: (String) -> String) throws -> [String] {
        var md = ["## Spectra of value@0,1 (`\(ReportFiles.density)`, `\(ReportFiles.traces)`, `\(ReportFiles.eigen1D)`)", "",
                  "![density](spectra-density.svg)", "![eigen-1d](eigen-1d.svg)", "",
                  "| model | λ_max | λ_min | trace (Hutch++) | trace (SLQ) | loss |", "|---|---|---|---|---|---|"]
        for r in try spectrumRows() {
            md.append("| \(r.model) | \(Self.cell(r.lambdaMax)) | \(Self.cell(r.lambdaMin)) | \(Self.cell(r.trace)) | \(Self.cell(r.slqTrace)) | \(Self.cell(r.loss)) |")
        }
        let ends = try eigenScanEnds().map { "\($0.model) \(Self.g($0.measured, 3)) measured vs \(Self.g($0.quadratic, 3)) by ½λx²" }
        md += ["", "Mean ± std over replicates (count). Reading: BWN minus ternary trace: \(claimText("trace")). At the end of the first replicate's eigenvector scan the loss change is "
               + ends.joined(separator: "; ") + "; where the two differ, the top eigenvalue alone does not describe the surface at that distance.", ""]
        return md
    }

    /// How different the spectra of each model's module blocks are.
    func heterogeneitySection(_ set: ReportClaims, _ claimText: (String) -> String) throws -> [String] {
        let kinds = ReportClaims.BlockPairs.allCases
        var md = ["## Heterogeneity across modules (`\(ReportFiles.heterogeneity)`, `\(ReportFiles.heterogeneitySummary)`)", "",
                  "![heterogeneity](heterogeneity-summary.svg)", "",
                  "| model | " + kinds.map(\.rawValue).joined(separator: " | ") + " |", "|---|" + kinds.map { _ in "---|" }.joined()]
        for model in ReportPlan.probed {
            let cells = try kinds.map { pairs in Self.cell(Spread(try set.replicates.map { try set.meanDistance(model, $0, pairs: pairs) })) }
            md.append("| \(model) | " + cells.joined(separator: " | ") + " |")
        }
        md += ["", "Mean ± std over replicates (count) of each replicate's mean Jensen–Shannon distance between the blocks' SLQ spectral densities "
               + "(a block: one module kind in the first or the last layer, on the per-module examples; base-2 logarithms, so 0 means the same spectrum and 1 spectra "
               + "that do not overlap; each model's densities are smoothed on one scale, 1 % of its nodes' range, so a model whose every curvature "
               + "is c times another's has the same distances). Zhang et al. (2024) relate such block heterogeneity to how hard a transformer is to "
               + "train with one learning rate for all blocks. BWN minus ternary, all pairs: \(claimText("heterogeneity")).", ""]
        return md
    }

    /// The students' adaptive sharpness.
    func sharpnessSection(_ claimText: (String) -> String) throws -> [String] {
        let rows = try records(ReportFiles.sharpness), cases = ReportPlan.sharpness
        var md = ["## Adaptive sharpness in quantization steps (`\(ReportFiles.sharpness)`, "
                  + cases.map { "`\(ReportFiles.sharpness(case: $0.name))`" }.joined(separator: ", ") + ")", ""]
        md += cases.map { "![\($0.name)-case sharpness](sharpness-\($0.name).svg)" }
        md += ["", "| model | L(ŵ) | " + cases.map { "\($0.name)-case rise (ρ = \($0.rho))" }.joined(separator: " | ") + " |",
               "|---|---|" + cases.map { _ in "---|" }.joined()]
        for model in [ReportPlan.ternary, ReportPlan.bwn] {
            let mine = rows.filter { $0["model"] == model }
            let loss = Self.cell(Spread(mine.filter { $0["case"] == cases[0].name }.map { $0.number("loss") }))
            let rises = cases.map { c in Self.cell(Spread(mine.filter { $0["case"] == c.name }.map { $0.number("rise") })) }
            md.append("| \(model) | \(loss) | " + rises.joined(separator: " | ") + " |")
        }
        md += ["", "Mean ± std over replicates (count). Every quantized weight of ŵ moves by δ = ρ·α·u, α its tensor's quantization step and u of "
               + "unit RMS (Kwon et al. 2021; Andriushchenko et al. 2023): the average case over Gaussian u at ρ = \(cases[0].rho), about the size of a "
               + "quantization error; the worst case by projected gradient ascent within ‖u‖₂ ≤ √d at ρ = \(cases[1].rho), a radius small enough that "
               + "the ascent does not drive the loss to chance. Measured in each model's own step, it compares the two students on the scale their "
               + "weights actually move on, which a raw eigenvalue does not. BWN against ternary: average case \(claimText("sharpness-average")); "
               + "worst case \(claimText("sharpness-worst")).", ""]
        return md
    }

    /// The quadratic check of the students.
    func quadraticSection(_ claimText: (String) -> String) throws -> [String] {
        var md = ["## Quadratic check and the paper's bound (`\(ReportFiles.quadratic)`)", "",
                  "| model | L(w) latent | L(ŵ) quantized | measured L(ŵ) − L(w) | gᵀε | ½εᵀHε | predicted / measured | ‖ε‖ | λ_max at w | bound ½λ_max‖ε‖² | εᵀHε/‖ε‖² |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for (model, columns) in try quadraticRows() {
            md.append("| \(model) | " + columns.map(Self.cell).joined(separator: " | ") + " |")
        }
        md += ["", "Mean ± std over replicates (count). Reading: ε = ŵ − w over every quantized tensor; a ratio near 1 means the second-order model explains the "
               + "quantization loss, far from 1 (or negative) that ε is too large for it to be local. The paper bounds the curvature term by "
               + "½εᵀHε ≤ ½λ_max‖ε‖² (λ_max by Lanczos on every quantized tensor at w: a Ritz value, so the bound shown is a lower estimate of the "
               + "true one); the Rayleigh quotient εᵀHε/‖ε‖² says how much of λ_max the actual error sees. BWN's λ_max against the ternary "
               + "student's: \(claimText("bound-lambda-max")); its bound against the ternary student's: \(claimText("bound")). "
               + "How loose the bound is, as orders of magnitude between ½λ_max‖ε‖² and |½εᵀHε|, over the replicates whose λ_max is resolved "
               + "(Lanczos converged and the Ritz value above its residual; convergence is relative to the largest |Ritz value|, so where a strongly "
               + "negative end dominates, λ_max can be indistinguishable from 0, and those replicates are left out of this and of both claims): "
               + (try boundLooseness()).map { "\($0.model) \(Self.g($0.orders, 3)) (\($0.converged) of \($0.of) resolved)" }.joined(separator: ", ") + ".", ""]
        return md
    }

    /// TWS against BWN: accuracy, size, training length, the interpolations and exactness.
    func twsSection(replicates reps: [String], _ claimText: (String) -> String) throws -> [String] {
        var md = ["## TWS against BWN (`\(ReportFiles.curves)`, `\(ReportFiles.sizes)`, `\(ReportFiles.interpolation)`, `\(ReportFiles.exactness)`)", "",
                  "![accuracy](tws-curves.accuracy.svg)", "![loss](tws-curves.loss.svg)", "![interpolation](tws-interpolation.svg)", "",
                  "| model | weight bits | dev accuracy (mean ± std (replicates)) | packed size (MB) |", "|---|---|---|---|"]
        for r in try sizeRows() {
            md.append("| \(r.model) | \(r.weightBits) | \(Self.cell(r.accuracy)) | \(Self.g(r.megabytes, 3)) |")
        }
        let plateau = try plateaus(replicates: reps).map { "\($0.model) \($0.stopped) of \($0.runs)" }
        md += ["", "The curves' dev accuracy comes from learning-curve evaluations\(curveSubsetPhrase) (before the first step and every few steps of each stage), "
               + "which choose nothing: the kept stage-2 model is the best of the recipe's own evaluations, and the trained weights are the same "
               + "bytes as without the curve. Training length: runs whose best stage-2 dev accuracy came before their last evaluation (so the "
               + "accuracy had stopped improving): " + plateau.joined(separator: ", ") + ".", ""]
        let line = try interpolationEnds()
        md += ["Reading: TWS minus BWN (same total steps): \(claimText("tws-beats-bwn")). Digits of agreement between the split and the ternary model's "
               + "loss in float64 (`\(ReportFiles.exactness)`): \(claimText("tws-exact")). In float32 the first replicate's lines start at "
               + "\(Self.g(line.splitStart, 7)) and \(Self.g(line.ternaryStart, 7)); at x = 1 (the fine-tuned TWS weights with the start's "
               + "activation clips) the loss is \(Self.g(line.splitEnd, 5)). Sizes are the first replicate's packed exports "
               + "(1 MB = 1024² bytes; the teacher's is its float32 safetensors). The distillation loss of BWN against the ternary student at equal "
               + "steps: \(claimText("distillation-loss")).", ""]
        return md
    }

    /// Curvature along training: λ_max at every kept snapshot, at step 0 and at matched loss.
    func alongTrainingSection(replicates reps: [String], _ claimText: (String) -> String) throws -> [String] {
        let rows = try alongTrainingRows(replicates: reps)
        var md = ["## Curvature along training (`\(ReportFiles.trainingCurvature)`, `\(ReportFiles.matchedLoss)`)", "",
                  "![curvature along training](training-curvature.svg)", "",
                  "| model | block | snapshots per replicate | λ_max at step 0 | λ_max at the end | converged |", "|---|---|---|---|---|---|"]
        for r in rows {
            md.append("| \(r.model) | \(r.block) | \(r.snapshotsPerReplicate) | \(Self.cell(r.start)) | \(Self.cell(r.end)) | \(r.converged)/\(r.cells) |")
        }
        md += ["", "Reading: λ_max of all layers' value (and FFN-output) matrices at every kept snapshot of both distillation stages. At step 0, before any "
               + "training, BWN's value block is at \(claimText("training-value-initial")) (log-ratio to the ternary model's): that is the quantizer's "
               + "effect. After it, through distillation: \(claimText("training-value")) (value), \(claimText("training-ffn-output")) (FFN-output). "
               + "At matched training loss (each student's snapshot nearest the lowest probe loss both reach, `\(ReportFiles.matchedLoss)`): "
               + "\(claimText("matched-loss-value")) (value), \(claimText("matched-loss-ffn-output")) (FFN-output).", ""]
        return md
    }

    /// Adaptive splitting: per rule, the mean accuracy over the interior budgets, and max-gain's margin over the best control.
    func adaptiveSplitSection() throws -> [String] {
        let s = try adaptiveSplitSummary()
        var md = ["## Adaptive splitting (`\(ReportFiles.adaptiveSplit)`)", "", "![adaptive splitting](adaptive-split.svg)", "",
                  "| rule | runs | mean dev accuracy | min | max |", "|---|---|---|---|---|"]
        for r in s.rules {
            md.append("| \(r.rule) | \(r.runs) | \(Self.g(r.mean)) | \(Self.g(r.min)) | \(Self.g(r.max)) |")
        }
        md.append("")
        var reading = "Reading: the ends (all binary, every matrix split) are shared by every rule. One run's accuracy has a standard error of "
            + "\(Self.g(s.standardError)) on \(Int(s.devExamples.isFinite ? s.devExamples : 0)) dev examples"
        for m in s.margins { reading += "; max-gain (\(m.gain)) minus the best control: \(Self.g(m.margin))" }
        md.append(reading + ". Max-gain wins only where that margin clears a few standard errors.")
        md.append("")
        return md
    }
}
