import Foundation
import Plotting

/// Mean ± sample standard deviation of the finite values among some replicates' values, with their count: what
/// one cell of REPORT.md's tables shows.
struct Spread: Equatable {
    var mean: Double
    var standardDeviation: Double?
    var count: Int

    init(_ xs: [Double]) {
        let v = xs.filter(\.isFinite)
        mean = Estimate.mean(v)
        standardDeviation = Estimate.standardDeviation(v)
        count = v.count
    }
}

/// The numbers REPORT.md shows besides the claims, each computed from the table its section cites: the markdown
/// only formats them.
extension ReportRenderer {
    /// Fig. 1: one row per model (in the table's order) with its weight bits, the accuracy over replicates and how
    /// many of them learned.
    struct AccuracyRow {
        var model: String, weightBits: String
        var accuracy: Spread
        var learned: Int, replicates: Int
    }

    /// Fig. 1's rows and the dev set's majority-class accuracy.
    func accuracySummary() throws -> (rows: [AccuracyRow], majorityBaseline: Double) {
        let acc = try records(ReportFiles.accuracy)
        var order: [String] = []
        for r in acc where !order.contains(r["model"]!) { order.append(r["model"]!) }
        let rows = order.map { m -> AccuracyRow in
            let rows = acc.filter { $0["model"] == m }
            return AccuracyRow(model: m, weightBits: rows[0]["weight_bits"]!, accuracy: Spread(rows.map { $0.number("accuracy") }),
                               learned: rows.filter { $0["learned"] == "true" }.count, replicates: rows.count)
        }
        return (rows, acc.first?.number("majority_baseline") ?? .nan)
    }

    /// The surface statistics REPORT.md tabulates, in its column order.
    static let shownSurfaceStatistics = ["loss_center", "mean_rise", "sharpness_r3", "roughness", "curvature_x", "nonconvex_fraction"]

    /// Fig. 2: per probe, space and model (in the table's order), each shown statistic over replicates, each
    /// replicate's value the mean over its direction seeds; nil where no replicate has a finite value.
    struct SurfaceStatisticsRow {
        var probe: String, space: String, model: String
        var cells: [Spread?]
    }

    func surfaceStatisticsRows(replicates: [String]) throws -> [SurfaceStatisticsRow] {
        let stats = try records(ReportFiles.statistics)
        var keys: [String] = []
        for r in stats {
            let k = "\(r["probe"]!)|\(r["space"]!)|\(r["model"]!)"
            if !keys.contains(k) { keys.append(k) }
        }
        return keys.map { k in
            let parts = k.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let rows = stats.filter { $0["probe"] == parts[0] && $0["space"] == parts[1] && $0["model"] == parts[2] }
            let cells = Self.shownSurfaceStatistics.map { name -> Spread? in
                let perReplicate = replicates.map { r in
                    Estimate.mean(rows.filter { $0["replicate"] == r && $0["statistic"] == name }.map { $0.number("value") }.filter(\.isFinite))
                }
                return perReplicate.allSatisfy { !$0.isFinite } ? nil : Spread(perReplicate)
            }
            return SurfaceStatisticsRow(probe: parts[0], space: parts[1], model: parts[2], cells: cells)
        }
    }

    /// The spectra of value@0,1: per probed model λ_max, the Hutch++ and SLQ traces and the loss over replicates.
    struct SpectrumRow {
        var model: String
        var lambdaMax: Spread, lambdaMin: Spread, trace: Spread, slqTrace: Spread, loss: Spread
    }

    func spectrumRows() throws -> [SpectrumRow] {
        let traces = try records(ReportFiles.traces)
        return ReportPlan.probed.map { m in
            let rows = traces.filter { $0["model"] == m }
            func column(_ c: String) -> Spread { Spread(rows.map { $0.number(c) }) }
            return SpectrumRow(model: m, lambdaMax: column("lambda_max"), lambdaMin: column("lambda_min"), trace: column("trace"),
                               slqTrace: column("slq_trace"), loss: column("loss"))
        }
    }

    /// At the far end of the first replicate's eigenvector scan: the loss change measured and the one ½λx² predicts.
    struct EigenScanEnd {
        var model: String
        var measured: Double, quadratic: Double
    }

    func eigenScanEnds() throws -> [EigenScanEnd] {
        let eigen = try records(ReportFiles.eigen1D)
        return ReportPlan.probed.map { m in
            let measured = eigen.filter { $0["model"] == m && $0["curve"] == "measured" }
            let model = eigen.filter { $0["model"] == m && $0["curve"] != "measured" }
            let edge = measured.max { abs($0.number("offset")) < abs($1.number("offset")) }
            let q = model.first { $0["offset"] == edge?["offset"] }
            return EigenScanEnd(model: m, measured: edge?.number("loss_change") ?? .nan, quadratic: q?.number("loss_change") ?? .nan)
        }
    }

    /// The quadratic check's columns REPORT.md tabulates, in order.
    static let quadraticColumns = ["loss_latent", "loss_quantized", "measured", "gradient_term", "curvature_term", "ratio", "epsilon_norm",
                                   "lambda_max", "curvature_bound", "rayleigh_quotient"]

    /// How far the paper's bound sits above the curvature term it bounds: the mean over the replicates whose λ_max is
    /// resolved (`ReportClaims.boundResolved`) of log10(½λ_max‖ε‖² / |½εᵀHε|), per student, with how many are.
    func boundLooseness() throws -> [(model: String, orders: Double, converged: Int, of: Int)] {
        let quad = try records(ReportFiles.quadratic)
        return [ReportPlan.ternary, ReportPlan.bwn].map { m in
            let rows = quad.filter { $0["model"] == m }, kept = rows.filter(ReportClaims.boundResolved)
            let xs = kept.map { log10($0.number("curvature_bound") / abs($0.number("curvature_term"))) }.filter(\.isFinite)
            return (m, xs.isEmpty ? .nan : Estimate.mean(xs), kept.count, rows.count)
        }
    }

    /// The quadratic check of the ternary and BWN students: each column over replicates.
    func quadraticRows() throws -> [(model: String, columns: [Spread])] {
        let quad = try records(ReportFiles.quadratic)
        return [ReportPlan.ternary, ReportPlan.bwn].map { m in
            let rows = quad.filter { $0["model"] == m }
            return (m, Self.quadraticColumns.map { c in Spread(rows.map { $0.number(c) }) })
        }
    }

    /// TWS against BWN: per model its weight bits, accuracy over replicates and the first replicate's packed size.
    struct SizeRow {
        var model: String, weightBits: String
        var accuracy: Spread
        var megabytes: Double
    }

    func sizeRows() throws -> [SizeRow] {
        let sizes = try records(ReportFiles.sizes)
        return BarChart.ordered(sizes.map { $0["model"]! }).map { m in
            let rows = sizes.filter { $0["model"] == m }
            return SizeRow(model: m, weightBits: rows[0]["weight_bits"]!, accuracy: Spread(rows.map { $0.number("accuracy") }),
                           megabytes: rows[0].number("megabytes"))
        }
    }

    /// Whether the training was long enough: per model, of the runs with a stage-2 evaluation, those whose best
    /// dev accuracy (over the evaluations after the first step) came before their last evaluation (the accuracy had stopped improving; the kept model is the
    /// best on dev either way).
    func plateaus(replicates: [String]) throws -> [(model: String, stopped: Int, runs: Int)] {
        let curves = try records(ReportFiles.curves)
        return BarChart.ordered(curves.map { $0["model"]! }).map { m in
            var stopped = 0, runs = 0
            for r in replicates {
                let evals = curves.filter { $0["model"] == m && $0["replicate"] == r && $0["stage"] == "2" && $0["step"] != "0" && !($0["dev_accuracy"] ?? "").isEmpty }
                guard evals.count >= 1 else { continue }
                runs += 1
                let accs = evals.map { $0.number("dev_accuracy") }
                if let best = accs.indices.max(by: { accs[$0] < accs[$1] || (accs[$0] == accs[$1] && $0 > $1) }), best < accs.count - 1 { stopped += 1 }
            }
            return (m, stopped, runs)
        }
    }

    /// The first replicate's interpolation lines in float32: where the split and the ternary line start, and the
    /// split line at x = 1 (the fine-tuned TWS weights with the start's activation clips).
    func interpolationEnds() throws -> (splitStart: Double, ternaryStart: Double, splitEnd: Double) {
        let line = try records(ReportFiles.interpolation)
        func at(_ l: String, _ x: Double) -> Double { line.first { $0["line"] == l && $0.number("x") == x }?.number("loss") ?? .nan }
        return (at("split → TWS", 0), at("ternary → TWS", 0), at("split → TWS", 1))
    }

    /// Curvature along training: per student and block, the snapshots per replicate, λ_max at the first and the last
    /// snapshot over replicates, and how many cells converged.
    struct AlongTrainingRow {
        var model: String, block: String
        var snapshotsPerReplicate: Int
        var start: Spread, end: Spread
        var converged: Int, cells: Int
    }

    func alongTrainingRows(replicates: [String]) throws -> [AlongTrainingRow] {
        let along = try records(ReportFiles.trainingCurvature)
        var out: [AlongTrainingRow] = []
        for model in [ReportPlan.ternary, ReportPlan.bwn] {
            for block in TrainingCurvature.blocks {
                let rows = along.filter { $0["model"] == model && $0["block"] == block.name }
                guard !rows.isEmpty else { continue }
                let starts = replicates.map { r in rows.first { $0["replicate"] == r }?.number("lambda_max") ?? .nan }
                let ends = replicates.map { r in rows.last { $0["replicate"] == r }?.number("lambda_max") ?? .nan }
                out.append(AlongTrainingRow(model: model, block: block.name, snapshotsPerReplicate: rows.count / max(replicates.count, 1),
                                            start: Spread(starts), end: Spread(ends),
                                            converged: rows.filter { $0["converged"] == "true" }.count, cells: rows.count))
            }
        }
        return out
    }

    /// Adaptive splitting over the interior budgets (the ends are shared by every rule): per rule its runs and their
    /// mean, smallest and largest dev accuracy; one run's binomial standard error on the dev examples; and per gain,
    /// max-gain's mean minus the best control's (min-gain or random).
    struct AdaptiveSplitSummary {
        var rules: [(rule: String, runs: Int, mean: Double, min: Double, max: Double)]
        var standardError: Double
        var devExamples: Double
        var margins: [(gain: String, margin: Double)]
    }

    static let adaptiveSplitRules = ["max · measured", "max · curvature", "random", "min · measured", "min · curvature"]

    func adaptiveSplitSummary() throws -> AdaptiveSplitSummary {
        let rows = try records(ReportFiles.adaptiveSplit)
        let interior = rows.filter { !["all-binary", "fully-split"].contains($0["run"] ?? "") }
        var rules: [(rule: String, runs: Int, mean: Double, min: Double, max: Double)] = []
        var means: [String: Double] = [:]
        for rule in Self.adaptiveSplitRules {
            let acc = interior.filter { $0["rule"] == rule }.map { $0.number("accuracy") }
            guard !acc.isEmpty else { continue }
            means[rule] = acc.reduce(0, +) / Double(acc.count)
            rules.append((rule, acc.count, means[rule]!, acc.min()!, acc.max()!))
        }
        let n = interior.first.map { $0.number("dev_examples") } ?? .nan
        let p = interior.isEmpty ? Double.nan : interior.map { $0.number("accuracy") }.reduce(0, +) / Double(interior.count)
        var margins: [(gain: String, margin: Double)] = []
        for gain in ["measured", "curvature"] {
            if let mx = means["max · \(gain)"], let best = [means["min · \(gain)"], means["random"]].compactMap({ $0 }).max() {
                margins.append((gain, mx - best))
            }
        }
        return AdaptiveSplitSummary(rules: rules, standardError: ((p * (1 - p)) / n).squareRoot(), devExamples: n, margins: margins)
    }
}
