import BERT
import Foundation
import Numerics
import Storage

/// The module kinds of the paper's Fig. 3, each a block of one Transformer layer's weight matrices.
public enum CurvatureModule: String, CaseIterable, Codable, Sendable {
    case mhaQK = "mha-qk", mhaV = "mha-v", mhaO = "mha-o", ffnMid = "ffn-mid", ffnOut = "ffn-out"

    /// The selection spec of this module in layer l.
    public func spec(layer l: Int) -> String {
        switch self {
        case .mhaQK: return "qk@\(l)"
        case .mhaV: return "value@\(l)"
        case .mhaO: return "attention-output@\(l)"
        case .ffnMid: return "ffn-intermediate@\(l)"
        case .ffnOut: return "ffn-output@\(l)"
        }
    }
}

/// One cell of the per-module table: λ_max and λ_min (largest and smallest algebraic) of one module's block Hessian
/// in one layer on one mini-batch.
public struct PerModuleRow: Codable, Sendable, Equatable {
    public var model: String, module: CurvatureModule, layer: Int, batch: Int
    public var lambdaMax: Double, lambdaMin: Double, residualMax: Double
    public var hvps: Int, seconds: Double, converged: Bool

    public static let columns = ["model", "module", "layer", "batch", "lambda_max", "lambda_min", "residual_max", "hvps", "seconds", "converged"]
    public static let header = TidyCSV.line(columns)

    var key: String { "\(model)|\(module.rawValue)|\(layer)|\(batch)" }

    /// The row's cells (numbers as Swift prints them, so that a table resumed from its partial file keeps its bytes).
    var fields: [String] {
        [model, module.rawValue, "\(layer)", "\(batch)", "\(lambdaMax)", "\(lambdaMin)", "\(residualMax)", "\(hvps)", "\(seconds)", "\(converged)"]
    }

    public var csvLine: String { TidyCSV.line(fields) }

    /// Parses a line written by `csvLine` (nil for anything else).
    init?(csvLine line: Substring) {
        let f = TidyCSV.fields(line)
        guard f.count == 10, let module = CurvatureModule(rawValue: f[1]), let layer = Int(f[2]), let batch = Int(f[3]),
              let lmax = Double(f[4]), let lmin = Double(f[5]), let res = Double(f[6]), let hvps = Int(f[7]),
              let seconds = Double(f[8]), let converged = Bool(f[9]) else { return nil }
        self.init(model: f[0], module: module, layer: layer, batch: batch, lambdaMax: lmax, lambdaMin: lmin, residualMax: res,
                  hvps: hvps, seconds: seconds, converged: converged)
    }

    public init(model: String, module: CurvatureModule, layer: Int, batch: Int, lambdaMax: Double, lambdaMin: Double,
                residualMax: Double, hvps: Int, seconds: Double, converged: Bool) {
        self.model = model; self.module = module; self.layer = layer; self.batch = batch
        self.lambdaMax = lambdaMax; self.lambdaMin = lambdaMin; self.residualMax = residualMax
        self.hvps = hvps; self.seconds = seconds; self.converged = converged
    }
}

/// The per-module table on disk: finished cells are appended (and flushed) to `<csv>.partial` as they complete, so an
/// interrupted run resumes without recomputing them (a torn last line is dropped); `finish()` writes the CSV
/// atomically in a fixed order and removes the partial file. A finished CSV is read back the same way, so a later
/// run with another model adds only that model's cells.
public final class PerModuleTable {
    public let url: URL
    public private(set) var rows: [PerModuleRow] = []
    private var done = Set<String>()
    private let handle: AppendFile
    public var partialURL: URL { url.appendingPathExtension("partial") }

    public init(url: URL) throws {
        self.url = url
        let partial = url.appendingPathExtension("partial")
        let fm = FileManager.default
        var keep = PerModuleRow.header + "\n"
        // Resume from the partial table, or extend a finished one (e.g. with another model).
        let source = fm.fileExists(atPath: partial.path) ? partial : url
        if fm.fileExists(atPath: source.path) {
            let text = String(decoding: try Data(contentsOf: source), as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last.map({ !$0.isEmpty }) ?? false { lines.removeLast() }  // a torn last line (no newline yet)
            guard lines.first.map(String.init) == PerModuleRow.header else {
                throw CurvatureError.badFile(path: source.path, reason: "is not a per-module table (header differs); remove it to start over")
            }
            for line in lines.dropFirst() where !line.isEmpty {
                guard let row = PerModuleRow(csvLine: line) else {
                    throw CurvatureError.badFile(path: source.path, reason: "has a malformed row '\(line.prefix(80))'; remove it to start over")
                }
                if done.insert(row.key).inserted { rows.append(row); keep += row.csvLine + "\n" }
            }
        }
        // Rewrite the partial file without a torn tail, atomically, then append to it.
        try ModelDirectory.atomicWrite(Data(keep.utf8), to: partial)
        handle = try AppendFile(partial)
    }

    public func contains(model: String, module: CurvatureModule, layer: Int, batch: Int) -> Bool {
        done.contains(PerModuleRow(model: model, module: module, layer: layer, batch: batch, lambdaMax: 0, lambdaMin: 0,
                                   residualMax: 0, hvps: 0, seconds: 0, converged: false).key)
    }

    public func append(_ row: PerModuleRow) throws {
        guard done.insert(row.key).inserted else { return }
        rows.append(row)
        try handle.append(row.csvLine)
    }

    /// Writes the CSV (rows sorted by model order given, module, layer, batch) atomically and drops the partial file.
    public func finish(modelOrder: [String]) throws {
        let rank = Dictionary(uniqueKeysWithValues: modelOrder.enumerated().map { ($1, $0) })
        let moduleRank = Dictionary(uniqueKeysWithValues: CurvatureModule.allCases.enumerated().map { ($1, $0) })
        let sorted = rows.sorted {
            (rank[$0.model] ?? .max, moduleRank[$0.module]!, $0.layer, $0.batch) < (rank[$1.model] ?? .max, moduleRank[$1.module]!, $1.layer, $1.batch)
        }
        try ModelDirectory.atomicWrite(Data(TidyCSV.text(header: PerModuleRow.columns, rows: sorted.map(\.fields)).utf8), to: url)
        try? FileManager.default.removeItem(at: partialURL)
    }
}

/// Summary of one model × module over layers × batches, and its ratio to the reference model.
public struct PerModuleSummary: Codable, Sendable {
    public var model: String, module: CurvatureModule
    public var cells: Int
    public var lambdaMaxMean: Double, lambdaMaxStd: Double, lambdaMinMean: Double, lambdaMinStd: Double
    /// mean λ_max / the reference model's mean λ_max over the same cells, with a seeded paired bootstrap 95% interval
    /// (cells resampled with replacement); nil for the reference itself.
    public var ratioToReference: Double?, ratioLow: Double?, ratioHigh: Double?

    enum CodingKeys: String, CodingKey {
        case model, module, cells, lambdaMaxMean = "lambda_max_mean", lambdaMaxStd = "lambda_max_std"
        case lambdaMinMean = "lambda_min_mean", lambdaMinStd = "lambda_min_std"
        case ratioToReference = "lambda_max_ratio", ratioLow = "lambda_max_ratio_low", ratioHigh = "lambda_max_ratio_high"
    }
}

public enum PerModuleCurvature {
    /// Fills `table` with every (module, layer, batch) cell of `label`'s model not already there: one Lanczos run per
    /// cell (both ends from one Krylov space), on the objective of that mini-batch alone. `curvature` makes each
    /// cell's operator from that objective and the module's selection (default: the raw Hessian).
    public static func run<T: BLASReal>(label: String, model: BertModel<T>, batches: [[(tokens: TokenBatch, targets: Targets)]],
                                        modules: [CurvatureModule], layers: [Int], options: Lanczos.Options,
                                        table: PerModuleTable, progress: (String) -> Void,
                                        curvature: ((LossObjective<T>, [ParameterView]) throws -> LinearOperator)? = nil) throws {
        let cells = modules.flatMap { m in layers.flatMap { l in batches.indices.map { (m, l, $0) } } }
        var computed = 0
        var secondsSpent = 0.0
        let todo = cells.filter { !table.contains(model: label, module: $0.0, layer: $0.1, batch: $0.2) }.count
        for (batchIndex, batch) in batches.enumerated() {
            let objective = try LossObjective(model: model, batches: batch)
            // Layer-major, so that the objective's prefix cache (hidden_states.l) serves all modules of a layer.
            for layer in layers {
                for module in modules where !table.contains(model: label, module: module, layer: layer, batch: batchIndex) {
                    let selection = try ParameterSelection(module.spec(layer: layer), table: model.table, layers: model.config.numHiddenLayers)
                    let op = try curvature?(objective, selection.views) ?? ModelHessian(objective: objective, selection: selection.views)
                    var o = options
                    o.seed = options.seed &+ UInt64(layer * 1000 + batchIndex)
                    let clock = Date()
                    let ends = try Lanczos.extremes(op, options: o, ends: [.largestAlgebraic, .smallestAlgebraic])
                    let seconds = Date().timeIntervalSince(clock)
                    let row = PerModuleRow(model: label, module: module, layer: layer, batch: batchIndex,
                                           lambdaMax: ends[0].values[0], lambdaMin: ends[1].values[0],
                                           residualMax: max(ends[0].residuals[0], ends[1].residuals[0]), hvps: ends[0].matvecs,
                                           seconds: seconds, converged: ends[0].converged[0] && ends[1].converged[0])
                    try table.append(row)
                    computed += 1
                    secondsSpent += seconds
                    let eta = secondsSpent / Double(computed) * Double(todo - computed)
                    progress(String(format: "%@ %@ layer %d batch %d: λmax %.5g λmin %.5g (%d HVPs, %.1f s); cell %d/%d, ETA %@",
                                    label, module.rawValue, layer, batchIndex, row.lambdaMax, row.lambdaMin, row.hvps, seconds,
                                    computed, todo, formatDuration(eta)))
                }
            }
        }
    }

    /// Means and spreads per model × module, and λ_max ratios to `reference` with bootstrap intervals.
    public static func summarize(_ rows: [PerModuleRow], models: [String], reference: String, resamples: Int = 2000,
                                 seed: UInt64) -> [PerModuleSummary] {
        var out: [PerModuleSummary] = []
        for model in models {
            for module in CurvatureModule.allCases {
                let mine = rows.filter { $0.model == model && $0.module == module }
                guard !mine.isEmpty else { continue }
                func meanStd(_ x: [Double]) -> (Double, Double) {
                    let m = x.reduce(0, +) / Double(x.count)
                    let v = x.count > 1 ? x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1) : 0
                    return (m, v.squareRoot())
                }
                let (maxMean, maxStd) = meanStd(mine.map(\.lambdaMax)), (minMean, minStd) = meanStd(mine.map(\.lambdaMin))
                var s = PerModuleSummary(model: model, module: module, cells: mine.count, lambdaMaxMean: maxMean, lambdaMaxStd: maxStd,
                                         lambdaMinMean: minMean, lambdaMinStd: minStd)
                if model != reference {
                    let ref = Dictionary(rows.filter { $0.model == reference && $0.module == module }.map { ("\($0.layer)|\($0.batch)", $0.lambdaMax) },
                                         uniquingKeysWith: { a, _ in a })
                    let pairs = mine.compactMap { r in ref["\(r.layer)|\(r.batch)"].map { (r.lambdaMax, $0) } }
                    if !pairs.isEmpty {
                        func ratio(_ p: [(Double, Double)]) -> Double { p.map(\.0).reduce(0, +) / p.map(\.1).reduce(0, +) }
                        s.ratioToReference = ratio(pairs)
                        var rng = SeededRNG(seed: seed, stream: 0xB0075)
                        var samples: [Double] = []
                        for _ in 0..<resamples {
                            let draw = (0..<pairs.count).map { _ in pairs[Int(rng.next() % UInt64(pairs.count))] }
                            samples.append(ratio(draw))
                        }
                        samples.sort()
                        s.ratioLow = samples[Int(0.025 * Double(resamples - 1))]
                        s.ratioHigh = samples[Int(0.975 * Double(resamples - 1))]
                    }
                }
                out.append(s)
            }
        }
        return out
    }
}

/// "1h02m", "3m05s", "12s".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}
