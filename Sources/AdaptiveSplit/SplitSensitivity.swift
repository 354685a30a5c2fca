import BERT
import Foundation
import Storage
import Curvature
import Probe
import Numerics
import Quantization
import Text
import Training

/// How much each matrix of a ternary model is worth keeping ternary (to be split into two binary halves) rather than
/// binarized, for adaptive splitting. Both sensitivities are taken at the trained ternary model ŵ_ter on one fixed
/// probe objective L (the mean task loss over fixed training examples, eval mode, activation quantizers frozen):
/// - measured: ΔL_c = L(ŵ_ter with matrix c alone binarized, ŵ_bin,c = BWN(w_c)) − L(ŵ_ter);
/// - curvature (HAWQ-V2's form): ½ · tr(H_c)/n_c · ‖ŵ_bin,c − ŵ_ter,c‖², H_c the exact Hessian of L with respect to
///   matrix c's forward weights at ŵ_ter, its trace by Hutch++; the quadratic model of ΔL_c with an isotropic
///   perturbation and the gradient term dropped (the ternary model is trained to a stationary point).
public struct SplitSensitivityRow: Codable, Sendable, Equatable {
    public var name: String
    public var module: String
    public var layer: Int?
    public var count: Int
    public var splitBytes: Int
    /// ‖ŵ_bin − ŵ_ter‖² of the matrix.
    public var perturbation: Double
    public var measuredGain: Double
    public var trace: Double
    public var traceStandardError: Double
    public var curvatureGain: Double
    public var matvecs: Int
    public var seconds: Double

    public static let columns = ["name", "module", "layer", "count", "split_bytes", "perturbation_sq", "measured_gain", "trace", "trace_se",
                                 "curvature_gain", "matvecs", "seconds"]
    public static let header = TidyCSV.line(columns)

    /// The row's cells (numbers as Swift prints them, seconds to the millisecond).
    public var fields: [String] {
        [name, module, layer.map(String.init) ?? "", String(count), String(splitBytes), "\(perturbation)", "\(measuredGain)",
         "\(trace)", "\(traceStandardError)", "\(curvatureGain)", String(matvecs), String(format: "%.3f", seconds)]
    }

    public var csvLine: String { TidyCSV.line(fields) }

    /// Parses a line written by `csvLine` (a resumed table), nil when it does not have the layout.
    public init?(csvLine line: String) {
        let f = TidyCSV.fields(Substring(line))
        guard f.count == 12, let count = Int(f[3]), let bytes = Int(f[4]), let p = Double(f[5]), let m = Double(f[6]),
              let t = Double(f[7]), let se = Double(f[8]), let c = Double(f[9]), let mv = Int(f[10]), let s = Double(f[11]) else { return nil }
        self.init(name: f[0], module: f[1], layer: Int(f[2]), count: count, splitBytes: bytes, perturbation: p, measuredGain: m,
                  trace: t, traceStandardError: se, curvatureGain: c, matvecs: mv, seconds: s)
    }

    public init(name: String, module: String, layer: Int?, count: Int, splitBytes: Int, perturbation: Double, measuredGain: Double,
                trace: Double, traceStandardError: Double, curvatureGain: Double, matvecs: Int, seconds: Double) {
        self.name = name; self.module = module; self.layer = layer; self.count = count; self.splitBytes = splitBytes
        self.perturbation = perturbation; self.measuredGain = measuredGain; self.trace = trace
        self.traceStandardError = traceStandardError; self.curvatureGain = curvatureGain; self.matvecs = matvecs; self.seconds = seconds
    }
}

/// Which sensitivity drives the selection.
public enum SplitGain: String, Codable, Sendable, CaseIterable {
    case measured, curvature

    public var description: String {
        switch self {
        case .measured: return "increase of the probe loss when the matrix alone is binarized in the trained ternary model"
        case .curvature: return "½·tr(H)/n·‖ŵ_bin − ŵ_ter‖², tr(H) of the matrix's Hessian block by Hutch++ at the ternary model"
        }
    }
}

public enum SplitSensitivity {
    /// Both sensitivities of every quantized matrix of `probe` (a ternary model with latent weights), appended row by
    /// row to `table` (rows already there are kept: a resumed run continues after the last finished matrix). Each
    /// matrix's Hutch++ uses `traceMatvecs` HVPs and seed `seed + index`.
    public static func run<T: BLASReal>(probe: ProbeModel<T>, objective: LossObjective<T>, traceMatvecs: Int, seed: UInt64,
                                        table: URL, progress: ProgressReporter = ProgressReporter()) throws -> [SplitSensitivityRow] {
        guard let q = probe.quantized, !q.spec.split, q.quantizers.allSatisfy(\.isTernary) else {
            throw CurvatureError.badFile(path: probe.directory.path, reason: "is not an unsplit ternary model (TWN or LAQ) with latent weights: adaptive splitting starts from one")
        }
        var rows = try readTable(table)
        let candidates = SplitCandidate.of(q)
        if let stranger = rows.first(where: { r in !candidates.contains { $0.name == r.name } }) {
            throw CurvatureError.badFile(path: table.path, reason: "lists \(stranger.name), which is not a matrix of \(probe.directory.path)")
        }
        let model = probe.model, w = model.weights.pointer
        let base = try objective.loss()
        let binary = Buffer<T>(count: candidates.map(\.count).max() ?? 0), saved = Buffer<T>(count: binary.count)
        let clock = Date()
        var done = 0
        for (k, (view, candidate)) in zip(q.quantizedViews, candidates).enumerated() where !rows.contains(where: { $0.name == view.name }) {
            let start = Date()
            let (scaleRows, cols) = q.scaleLayout(view)
            WeightQuantizer.binary.quantize(model.parameters.pointer + view.offset, into: binary.pointer, rows: scaleRows, cols: cols)
            var perturbation = 0.0
            for i in 0..<view.count { let d = Double(binary[i]) - Double(w[view.offset + i]); perturbation += d * d }
            saved.pointer.update(from: w + view.offset, count: view.count)
            (w + view.offset).update(from: binary.pointer, count: view.count)
            objective.invalidatePrefix()
            let binarized: Double
            do { binarized = try objective.loss() } catch {
                (w + view.offset).update(from: saved.pointer, count: view.count)
                throw error
            }
            (w + view.offset).update(from: saved.pointer, count: view.count)
            objective.invalidatePrefix()
            let op = ModelHessian(objective: objective, selection: [view])
            let trace = try TraceEstimator.hutchPlusPlus(op, matvecs: traceMatvecs, seed: seed &+ UInt64(k))
            let row = SplitSensitivityRow(
                name: view.name, module: view.module.rawValue, layer: view.layer, count: view.count, splitBytes: candidate.splitBytes,
                perturbation: perturbation, measuredGain: binarized - base, trace: trace.estimate, traceStandardError: trace.standardError,
                curvatureGain: 0.5 * trace.estimate / Double(view.count) * perturbation, matvecs: op.matvecs,
                seconds: Date().timeIntervalSince(start))
            rows.append(row)
            try writeTable(rows, to: table, order: q.quantizedViews.map(\.name))
            done += 1
            let left = candidates.count - rows.count
            let rate = Date().timeIntervalSince(clock) / Double(done)
            progress.note(String(format: "sensitivity %d/%d %@: measured %.4g, curvature %.4g (%.1fs, ETA %@)", rows.count, candidates.count,
                                 view.name, row.measuredGain, row.curvatureGain, row.seconds, ProgressReporter.duration(rate * Double(left))))
        }
        let order = q.quantizedViews.map(\.name)
        return order.compactMap { name in rows.first { $0.name == name } }
    }

    /// Spearman's rank correlation between the measured and the curvature gains.
    public static func rankCorrelation(_ rows: [SplitSensitivityRow]) -> Double {
        rows.count < 2 ? .nan : Metrics.spearman(rows.map(\.measuredGain), rows.map(\.curvatureGain))
    }

    public static func readTable(_ url: URL) throws -> [SplitSensitivityRow] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        guard let data = try? Data(contentsOf: url), case let .success(text) = TidyCSV.decode(data) else {
            throw CurvatureError.badFile(path: url.path, reason: "cannot be read as UTF-8 text")
        }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == SplitSensitivityRow.header else {
            throw CurvatureError.badFile(path: url.path, reason: "does not start with the sensitivity header \(SplitSensitivityRow.header)")
        }
        return try lines.dropFirst().enumerated().map { i, line in
            guard let row = SplitSensitivityRow(csvLine: line) else {
                throw CurvatureError.badFile(path: url.path, reason: "line \(i + 2) is not a sensitivity row")
            }
            return row
        }
    }

    /// Writes the table whole (temporary file, then rename), rows in the model's tensor order.
    static func writeTable(_ rows: [SplitSensitivityRow], to url: URL, order: [String]) throws {
        let sorted = order.compactMap { name in rows.first { $0.name == name } }
        try ModelDirectory.atomicWrite(Data(TidyCSV.text(header: SplitSensitivityRow.columns, rows: sorted.map(\.fields)).utf8), to: url)
    }
}
