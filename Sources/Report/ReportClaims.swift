import Foundation

/// One of the paper's claims: its statistic computed once per replicate (oriented so that larger values support
/// it), the estimate over the replicates it can be judged on, and the verdict by the interval rule.
public struct Claim: Sendable {
    public var id: String
    public var text: String
    /// How one replicate's value is computed.
    public var statistic: String
    /// The unit the statistic is in (the forest plot's panel).
    public var unit: String
    public var threshold: Double
    /// Every replicate's value (nan where it could not be computed) and whether it is judged.
    public var replicates: [(replicate: String, value: Double, judged: Bool)]
    public var estimate: ReplicateEstimate
    /// Why the claim or some of its replicates are not judged (empty when all are).
    public var note: String
    /// The CSV the values come from.
    public var basis: String

    public var verdict: Verdict { estimate.verdict }
    /// "k of n": replicates on the estimate's side of the threshold, of those judged.
    public var agreement: String { "\(estimate.agreeing) of \(estimate.count)" }
}

/// Computes every claim of the report from its tidy tables. Statistics only: the renderer draws and writes them.
public struct ReportClaims {
    /// A collected table's rows by file name.
    let records: (String) throws -> [[String: String]]
    let confidence: Double
    /// Replicate ids in order.
    public let replicates: [String]

    public init(confidence: Double, records: @escaping (String) throws -> [[String: String]]) throws {
        self.records = records
        self.confidence = confidence
        var ids: [String] = []
        for r in try records(ReportFiles.accuracy) where !(r["replicate"] ?? "").isEmpty && !ids.contains(r["replicate"]!) { ids.append(r["replicate"]!) }
        replicates = ids
    }

    /// Fig. 3's curvature views besides the raw Hessian whose tables the report has, in `ReportPlan.curvatureViews` order.
    public var views: [String] {
        ReportPlan.curvatureViews.map(\.name).filter { (try? records(ReportFiles.perModule(view: $0))) != nil }
    }
    /// What each view is, in words.
    public static let viewTitles = ["ggn": "Gauss–Newton matrix", "normalized": "normalized Hessian D·H·D, D = diag(|w|)"]

    /// Across Fig. 3's views: the module kinds whose BWN/ternary estimates have one sign in every view that has one,
    /// and each view's verdicts counted (`fig3-<m>` is the raw Hessian's claim, `fig3-<view>-<m>` a view's).
    public static func viewAgreement(_ claims: [Claim], views: [String]) -> (sameSign: [String], verdicts: [(view: String, counts: [Verdict: Int])]) {
        func claim(_ view: String?, _ m: String) -> Claim? { claims.first { $0.id == (view.map { "fig3-\($0)-\(m)" } ?? "fig3-\(m)") } }
        let all: [String?] = [nil] + views.map { Optional($0) }
        let same = moduleOrder.filter { m in
            let signs = Set(all.compactMap { claim($0, m)?.estimate.mean }.filter(\.isFinite).map { $0 > 0 })
            return signs.count == 1
        }
        let verdicts = all.map { v -> (String, [Verdict: Int]) in
            var counts: [Verdict: Int] = [:]
            for m in moduleOrder { if let c = claim(v, m) { counts[c.verdict, default: 0] += 1 } }
            return (v ?? "hessian", counts)
        }
        return (same.map { moduleNames[$0]! }, verdicts)
    }

    static let moduleNames = ["mha-qk": "MHA-QK", "mha-v": "MHA-V", "mha-o": "MHA-O", "ffn-mid": "FFN-Mid", "ffn-out": "FFN-Out"]
    static let moduleOrder = ["mha-qk", "mha-v", "mha-o", "ffn-mid", "ffn-out"]

    /// Dev accuracy of a model in a replicate, and whether it learned (clears the majority class by the margin).
    func accuracy(_ model: String, _ replicate: String) throws -> (value: Double, learned: Bool)? {
        guard let r = try records(ReportFiles.accuracy).first(where: { $0["model"] == model && $0["replicate"] == replicate }) else { return nil }
        return (r.number("accuracy"), r["learned"] == "true")
    }

    /// Whether both students a curvature or surface claim compares learned in this replicate.
    func studentsLearned(_ replicate: String) throws -> Bool {
        try [ReportPlan.ternary, ReportPlan.bwn].allSatisfy { try accuracy($0, replicate)?.learned ?? false }
    }

    /// A claim from one value per replicate; `guarded` leaves out the replicates whose compared students did not learn.
    func claim(_ id: String, _ text: String, statistic: String, unit: String, threshold: Double = 0, basis: String, guarded: Bool,
               value: (String) throws -> Double) throws -> Claim {
        var rows: [(String, Double, Bool)] = []
        var unlearned: [String] = []
        for rep in replicates {
            let v = try value(rep)
            let judged = try !guarded || studentsLearned(rep)
            if !judged { unlearned.append(rep) }
            rows.append((rep, v, judged && v.isFinite))
        }
        let estimate = ReplicateEstimate(values: rows.filter(\.2).map(\.1), threshold: threshold, confidence: confidence)
        var notes: [String] = []
        if !unlearned.isEmpty {
            notes.append("left out: replicate\(unlearned.count > 1 ? "s" : "") \(unlearned.joined(separator: ", ")), whose ternary or BWN student did not learn")
        }
        let undefined = rows.filter { $0.2 == false && !unlearned.contains($0.0) }.map(\.0)
        if !undefined.isEmpty { notes.append("no value in replicate\(undefined.count > 1 ? "s" : "") \(undefined.joined(separator: ", "))") }
        if estimate.count < 2 {
            notes.append(replicates.count < 2 ? "one replicate: no interval, so no verdict" : "fewer than two replicates left")
        }
        return Claim(id: id, text: text, statistic: statistic, unit: unit, threshold: threshold, replicates: rows, estimate: estimate,
                     note: notes.joined(separator: "; "), basis: basis)
    }

    public func all() throws -> [Claim] {
        var claims: [Claim] = []
        let fig1 = try records(ReportFiles.accuracy)
        let hasFour = fig1.contains { $0["model"] == ReportPlan.uniform(4) }
        func acc(_ m: String, _ r: String) throws -> Double { try accuracy(m, r)?.value ?? .nan }
        let accUnit = "accuracy difference"
        claims.append(try claim("fig1-drop-2-1", "Accuracy drops from ternary to binary weights (Fig. 1)", statistic: "acc(ternary) − acc(BWN)",
                                unit: accUnit, basis: ReportFiles.accuracy, guarded: false) { try acc(ReportPlan.ternary, $0) - acc(ReportPlan.bwn, $0) })
        if hasFour {
            claims.append(try claim("fig1-drop-4-2", "Accuracy drops from 4-bit to ternary weights (Fig. 1)", statistic: "acc(4-bit) − acc(ternary)",
                                    unit: accUnit, basis: ReportFiles.accuracy, guarded: false) { try acc(ReportPlan.uniform(4), $0) - acc(ReportPlan.ternary, $0) })
            claims.append(try claim("fig1-sharp-drop", "The drop from ternary to binary exceeds the drop from 4-bit to ternary (Fig. 1)",
                                    statistic: "(acc₂ − acc₁) − max(acc₄ − acc₂, 0): a 4-bit student below the ternary one counts as no drop, never as support",
                                    unit: accUnit, basis: ReportFiles.accuracy, guarded: false) { r in
                let d21 = try acc(ReportPlan.ternary, r) - acc(ReportPlan.bwn, r), d42 = try acc(ReportPlan.uniform(4), r) - acc(ReportPlan.ternary, r)
                return d21 - max(d42, 0)
            })
        }
        let stats = try records(ReportFiles.statistics)
        func statistic(_ probe: String, _ space: String?, _ model: String, _ name: String, _ rep: String) -> [String: Double] {
            var out: [String: Double] = [:]
            for r in stats where r["replicate"] == rep && r["probe"] == probe && (space == nil || r["space"] == space)
                && r["model"] == model && r["statistic"] == name { out[r["direction_seed"] ?? ""] = r.number("value") }
            return out
        }
        claims.append(try claim("fig2-ones-rise", "BWN's all-ones surface rises more than the ternary model's (Fig. 2, the paper's probe)",
                                statistic: "mean over the grid of L − L(centre), BWN minus ternary", unit: "loss difference",
                                basis: ReportFiles.statistics, guarded: true) { r in
            let b = statistic("ones", nil, ReportPlan.bwn, "mean_rise", r).values.first ?? .nan
            let t = statistic("ones", nil, ReportPlan.ternary, "mean_rise", r).values.first ?? .nan
            return b - t
        })
        for space in ["latent", "quantized"] {
            for (stat, what) in [("sharpness_r3", "steeper"), ("roughness", "more irregular")] {
                claims.append(try claim("fig2-\(space)-\(stat)", "BWN's loss surface is \(what) than the ternary model's (Fig. 2, \(space) space, filter-normalized value@0,1)",
                                        statistic: "log(\(stat) BWN / ternary), paired by direction seed, mean over the replicate's seeds",
                                        unit: "log-ratio", basis: ReportFiles.statistics, guarded: true) { r in
                    let b = statistic("filter", space, ReportPlan.bwn, stat, r), t = statistic("filter", space, ReportPlan.ternary, stat, r)
                    return Estimate.meanLogRatio(b.keys.sorted().compactMap { k in t[k].map { (b[k]!, $0) } })
                })
            }
        }
        var perKind: [String: [String: Double]] = [:]
        for m in Self.moduleOrder {
            let c = try claim("fig3-\(m)", "BWN's top Hessian eigenvalue exceeds the ternary model's, \(Self.moduleNames[m]!) (Fig. 3)",
                              statistic: "log(λ_max BWN / ternary), paired by layer and batch, mean over the replicate's cells",
                              unit: "log-ratio", basis: ReportFiles.perModule, guarded: true) { try moduleLogRatio(ReportPlan.bwn, ReportPlan.ternary, module: m, replicate: $0) }
            for row in c.replicates { perKind[row.replicate, default: [:]][m] = row.value }
            claims.append(c)
        }
        claims.append(try claim("fig3-overall", "BWN's top Hessian eigenvalues exceed the ternary model's (Fig. 3, all module kinds)",
                                statistic: "mean over the five module kinds of the replicate's log(λ_max BWN / ternary)", unit: "log-ratio",
                                basis: ReportFiles.perModule, guarded: true) { r in
            let xs = Self.moduleOrder.map { perKind[r]?[$0] ?? .nan }
            return xs.allSatisfy(\.isFinite) ? Estimate.mean(xs) : .nan
        })
        // The same comparison in the curvature views that compare models whose weights differ in scale.
        for view in views {
            let table = ReportFiles.perModule(view: view), title = Self.viewTitles[view] ?? view
            var byKind: [String: [String: Double]] = [:]
            for m in Self.moduleOrder {
                let c = try claim("fig3-\(view)-\(m)", "BWN's top eigenvalue exceeds the ternary model's, \(Self.moduleNames[m]!) (Fig. 3, \(title))",
                                  statistic: "log(λ_max BWN / ternary) of the \(title), paired by layer and batch, mean over the replicate's cells",
                                  unit: "log-ratio", basis: table, guarded: true) {
                    try moduleLogRatio(ReportPlan.bwn, ReportPlan.ternary, module: m, replicate: $0, table: table)
                }
                for row in c.replicates { byKind[row.replicate, default: [:]][m] = row.value }
                claims.append(c)
            }
            claims.append(try claim("fig3-\(view)-overall", "BWN's top eigenvalues exceed the ternary model's (Fig. 3, \(title), all module kinds)",
                                    statistic: "mean over the five module kinds of the replicate's log(λ_max BWN / ternary) of the \(title)",
                                    unit: "log-ratio", basis: table, guarded: true) { r in
                let xs = Self.moduleOrder.map { byKind[r]?[$0] ?? .nan }
                return xs.allSatisfy(\.isFinite) ? Estimate.mean(xs) : .nan
            })
        }
        let traces = try records(ReportFiles.traces)
        claims.append(try claim("trace", "BWN's Hessian trace of value@0,1 exceeds the ternary model's",
                                statistic: "trace BWN − trace ternary (Hutch++)", unit: "trace difference", basis: ReportFiles.traces, guarded: true) { r in
            let b = traces.first { $0["replicate"] == r && $0["model"] == ReportPlan.bwn }?.number("trace") ?? .nan
            let t = traces.first { $0["replicate"] == r && $0["model"] == ReportPlan.ternary }?.number("trace") ?? .nan
            return b - t
        })
        let quadratic = try records(ReportFiles.quadratic)
        // λ_max (and the bound) of a replicate count only where it is resolved for both students (`boundResolved`).
        func quadraticLogRatio(_ column: String, _ r: String) -> Double {
            func value(_ m: String) -> Double {
                guard let row = quadratic.first(where: { $0["replicate"] == r && $0["model"] == m }), Self.boundResolved(row) else { return .nan }
                return row.number(column)
            }
            return Estimate.meanLogRatio([(value(ReportPlan.bwn), value(ReportPlan.ternary))])
        }
        claims.append(try claim("bound-lambda-max", "BWN's top Hessian eigenvalue over all quantized weights exceeds the ternary model's (at the latent weights w)",
                                statistic: "log(λ_max BWN / ternary), Lanczos on every quantized tensor at w", unit: "log-ratio",
                                basis: ReportFiles.quadratic, guarded: true) { quadraticLogRatio("lambda_max", $0) })
        claims.append(try claim("bound", "BWN's bound ½λ_max‖ε‖² on the curvature term of its quantization loss exceeds the ternary model's (the paper's argument)",
                                statistic: "log(½λ_max‖ε‖² BWN / ternary), ε = ŵ − w the student's own quantization error", unit: "log-ratio",
                                basis: ReportFiles.quadratic, guarded: true) { quadraticLogRatio("curvature_bound", $0) })
        claims.append(try claim("heterogeneity", "BWN's module blocks have more dissimilar Hessian spectra than the ternary model's",
                                statistic: "mean Jensen–Shannon distance between the blocks' SLQ densities, BWN minus ternary", unit: "distance difference",
                                basis: ReportFiles.heterogeneity, guarded: true) { try meanDistance(ReportPlan.bwn, $0) - meanDistance(ReportPlan.ternary, $0) })
        let sharp = try records(ReportFiles.sharpness)
        for c in ReportPlan.sharpness {
            claims.append(try claim("sharpness-\(c.name)", "BWN's \(c.name)-case adaptive sharpness exceeds the ternary model's (ŵ moved in units of each model's quantization step)",
                                    statistic: "\(c.name)-case loss rise at ρ = \(c.rho) steps, log(BWN / ternary)", unit: "log-ratio",
                                    basis: ReportFiles.sharpness, guarded: true) { r in
                func rise(_ m: String) -> Double { sharp.first { $0["replicate"] == r && $0["model"] == m && $0["case"] == c.name }?.number("rise") ?? .nan }
                return Estimate.meanLogRatio([(rise(ReportPlan.bwn), rise(ReportPlan.ternary))])
            })
        }
        let along = try records(ReportFiles.trainingCurvature)
        for block in TrainingCurvature.blocks {
            func rows(_ model: String, _ r: String) -> [[String: String]] {
                along.filter { $0["replicate"] == r && $0["model"] == model && $0["block"] == block.name }
            }
            claims.append(try claim("training-\(block.name)-initial", "BWN's \(block.name) block is sharper than the ternary model's before distillation (step 0)",
                                    statistic: "log(λ_max BWN / ternary) at step 0: the quantizer's effect, before any training",
                                    unit: "log-ratio", basis: ReportFiles.trainingCurvature, guarded: false) { r in
                let b = rows(ReportPlan.bwn, r).first { $0["stage"] == "1" && $0["step"] == "0" }?.number("lambda_max") ?? .nan
                let t = rows(ReportPlan.ternary, r).first { $0["stage"] == "1" && $0["step"] == "0" }?.number("lambda_max") ?? .nan
                return Estimate.meanLogRatio([(b, t)])
            })
            claims.append(try claim("training-\(block.name)", "BWN's \(block.name) block stays sharper than the ternary model's through distillation",
                                    statistic: "mean log λ_max of BWN's snapshots after step 0 minus the ternary student's",
                                    unit: "log-ratio", basis: ReportFiles.trainingCurvature, guarded: true) { r in
                func meanLog(_ m: String) -> Double {
                    let xs = rows(m, r).filter { !($0["stage"] == "1" && $0["step"] == "0") }.map { $0.number("lambda_max") }
                    return xs.allSatisfy { $0 > 0 && $0.isFinite } && !xs.isEmpty ? Estimate.mean(xs.map { log($0) }) : .nan
                }
                return meanLog(ReportPlan.bwn) - meanLog(ReportPlan.ternary)
            })
            claims.append(try claim("matched-loss-\(block.name)", "At matched training loss, BWN's \(block.name) block is sharper than the ternary model's",
                                    statistic: "log(λ_max BWN / ternary) at the snapshots whose probe loss is nearest the lowest loss both students reach",
                                    unit: "log-ratio", basis: ReportFiles.matchedLoss, guarded: true) { r in
                guard let m = try matchedLoss(block: block.name, replicate: r) else { return .nan }
                return Estimate.meanLogRatio([(m.bwn.lambda, m.ternary.lambda)])
            })
        }
        let curves = try records(ReportFiles.curves)
        claims.append(try claim("distillation-loss", "BWN's distillation loss stays above the ternary student's at equal steps (harder to train)",
                                statistic: "mean over both stages and the logged steps both reach of log(loss BWN / loss ternary)",
                                unit: "log-ratio", basis: ReportFiles.curves, guarded: false) { r in
            var logs: [Double] = []
            for stage in ["1", "2"] {
                // Every row with a loss (the mean since the previous row; the row before the first step has none).
                func losses(_ m: String) -> [String: Double] {
                    var out: [String: Double] = [:]
                    for row in curves where row["replicate"] == r && row["model"] == m && row["stage"] == stage && row.number("train_loss").isFinite {
                        out[row["step"]!] = row.number("train_loss")
                    }
                    return out
                }
                let b = losses(ReportPlan.bwn), t = losses(ReportPlan.ternary)
                let common = t.keys.filter { b[$0] != nil }.sorted { Int($0)! < Int($1)! }
                let x = Estimate.meanLogRatio(common.map { (b[$0]!, t[$0]!) })
                if x.isFinite { logs.append(x) }
            }
            return logs.count == 2 ? Estimate.mean(logs) : .nan
        })
        claims.append(try claim("tws-beats-bwn", "TWS (split ternary + fine-tuning) reaches a higher accuracy than BWN with the same training steps",
                                statistic: "acc(TWS) − acc(BWN)", unit: accUnit, basis: ReportFiles.accuracy, guarded: false) { try acc(ReportPlan.tws, $0) - acc(ReportPlan.bwn, $0) })
        if fig1.contains(where: { $0["model"] == ReportPlan.bwnSingle }) {
            claims.append(try claim("tws-beats-bwn-1x", "TWS reaches a higher accuracy than BWN trained for the ternary student's steps only",
                                    statistic: "acc(TWS) − acc(BWN, 1× steps)", unit: accUnit, basis: ReportFiles.accuracy, guarded: false) {
                try acc(ReportPlan.tws, $0) - acc(ReportPlan.bwnSingle, $0)
            })
        }
        let ends = try records(ReportFiles.exactness)
        claims.append(try claim("tws-exact", "The split binary model sits exactly on the ternary model's loss (float64)",
                                statistic: "−log10 |L(split) − L(ternary)| / L(ternary) (16 when equal to the last bit), against 9 digits",
                                unit: "digits", threshold: 9, basis: ReportFiles.exactness, guarded: false) { r in
            let l0 = ends.first { $0["replicate"] == r && $0["model"] == "ternary" && $0.number("x") == 0 }?.number("loss") ?? .nan
            let s0 = ends.first { $0["replicate"] == r && $0["model"] == "split" && $0.number("x") == 0 }?.number("loss") ?? .nan
            let relative = abs(s0 - l0) / abs(l0)
            return relative.isNaN ? .nan : relative > 0 ? min(16, -log10(relative)) : 16
        })
        return claims
    }

    /// Whether a quadratic check's λ_max is resolved: Lanczos converged and the Ritz value stands above its own
    /// residual. Convergence is relative to the largest |Ritz value|, so where a strongly negative end dominates, a
    /// converged λ_max can still be indistinguishable from 0 (and its bound from any value within ±½·residual·‖ε‖²).
    static func boundResolved(_ row: [String: String]) -> Bool {
        row["lambda_max_converged"] == "true" && row.number("lambda_max") > row.number("lambda_max_residual")
    }

    /// Which pairs of module blocks a heterogeneity mean takes: all, one kind in different layers, or different
    /// kinds in one layer.
    public enum BlockPairs: String, CaseIterable, Sendable {
        case all = "all pairs", sameKind = "same kind, other layers", sameLayer = "same layer, other kinds"
        func includes(_ row: [String: String]) -> Bool {
            switch self {
            case .all: return true
            case .sameKind: return row["module_a"] == row["module_b"]
            case .sameLayer: return row["layer_a"] == row["layer_b"]
            }
        }
    }

    /// A model's mean Jensen–Shannon distance between its blocks' spectra in one replicate (NaN without such pairs).
    public func meanDistance(_ model: String, _ replicate: String, pairs: BlockPairs = .all) throws -> Double {
        let xs = try records(ReportFiles.heterogeneity).filter { $0["replicate"] == replicate && $0["model"] == model && pairs.includes($0) }
        return xs.isEmpty ? .nan : Estimate.mean(xs.map { $0.number("distance") })
    }

    /// The replicate's mean over its (layer, batch) cells of log(λ_max a / λ_max b) for one module kind (and layer).
    func moduleLogRatio(_ a: String, _ b: String, module: String, replicate: String, layer: String? = nil,
                        table: String = ReportFiles.perModule) throws -> Double {
        var of: [String: [String: Double]] = [:]
        for c in try records(table) where c["replicate"] == replicate && c["module"] == module && (layer == nil || c["layer"] == layer) {
            of[c["model"]!, default: [:]]["\(c["layer"]!)/\(c["batch"]!)"] = c.number("lambda_max")
        }
        let keys = (of[a] ?? [:]).keys.sorted()
        return Estimate.meanLogRatio(keys.compactMap { k in of[b]?[k].map { (of[a]![k]!, $0) } })
    }

    /// Over replicates: exp of the mean per-replicate log-ratio with its t-interval (the Fig. 3 bars and tables).
    /// `each`: every replicate's own ratio (exp of its log-ratio), in replicate order.
    public func moduleRatio(_ a: String, _ b: String, module: String, layer: String? = nil, table: String = ReportFiles.perModule) throws
        -> (ratio: Double, low: Double?, high: Double?, n: Int, each: [(replicate: String, ratio: Double)]) {
        let values = try replicates.map { try moduleLogRatio(a, b, module: module, replicate: $0, layer: layer, table: table) }
        let e = ReplicateEstimate(values: values, confidence: confidence)
        return (exp(e.mean), e.low.map(exp), e.high.map(exp), e.count, zip(replicates, values.map(exp)).map { ($0, $1) })
    }

    /// A snapshot of the curvature along training: where it is, its probe loss and λ_max.
    public struct Point: Sendable { public var stage: String; public var step: String; public var loss: Double; public var lambda: Double }

    /// The view at matched training loss: the lowest probe loss both students reach (the larger of their minima),
    /// and for each student its snapshot whose loss is nearest it.
    public func matchedLoss(block: String, replicate: String) throws -> (level: Double, ternary: Point, bwn: Point)? {
        let rows = try records(ReportFiles.trainingCurvature).filter { $0["replicate"] == replicate && $0["block"] == block }
        func points(_ m: String) -> [Point] {
            rows.filter { $0["model"] == m }.map { Point(stage: $0["stage"]!, step: $0["step"]!, loss: $0.number("loss"), lambda: $0.number("lambda_max")) }
                .filter { $0.loss.isFinite }
        }
        let t = points(ReportPlan.ternary), b = points(ReportPlan.bwn)
        guard let tMin = t.map(\.loss).min(), let bMin = b.map(\.loss).min() else { return nil }
        let level = max(tMin, bMin)
        func nearest(_ ps: [Point]) -> Point { ps.min { abs($0.loss - level) < abs($1.loss - level) }! }
        return (level, nearest(t), nearest(b))
    }
}
