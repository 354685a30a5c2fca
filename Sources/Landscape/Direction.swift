import BERT
import Foundation
import Probe
import Numerics

/// A direction in weight space over a list of tensors (values per tensor, Double, the tensor's layout), as made by
/// `DirectionKind` and then normalized against reference weights. Saved as safetensors named after its tensors.
public struct Direction: Sendable {
    public let kind: DirectionKind
    /// The seed of a drawn direction (random, filter, layer); nil for the others.
    public let seed: UInt64?
    public let views: [ParameterView]
    public internal(set) var values: [[Double]]
    /// What was done to the raw values, in words (recorded in the sidecar).
    public internal(set) var normalization: String

    public init(kind: DirectionKind, seed: UInt64?, views: [ParameterView], values: [[Double]], normalization: String) {
        precondition(values.count == views.count && zip(views, values).allSatisfy { $0.count == $1.count }, "Direction: values do not match the tensors")
        self.kind = kind; self.seed = seed; self.views = views; self.values = values; self.normalization = normalization
    }

    public var norm: Double { dot(self).squareRoot() }

    public func dot(_ other: Direction) -> Double {
        precondition(other.views.map(\.name) == views.map(\.name), "Direction.dot: different tensors")
        var s = 0.0
        for (a, b) in zip(values, other.values) { for i in a.indices { s += a[i] * b[i] } }
        return s
    }

    public func cosine(_ other: Direction) -> Double {
        let n = norm * other.norm
        return n > 0 ? dot(other) / n : 0
    }

    /// This direction minus its component along `other` (Gram–Schmidt, two passes for Double-level orthogonality).
    public func orthogonalized(against other: Direction) -> Direction {
        var out = self
        let nn = other.dot(other)
        guard nn > 0 else { return out }
        for _ in 0..<2 {
            let c = out.dot(other) / nn
            for k in out.values.indices { for i in out.values[k].indices { out.values[k][i] -= c * other.values[k][i] } }
        }
        out.normalization += "; orthogonalized against the x direction"
        return out
    }

    /// The same direction on a wider list of tensors, zero on the added ones (for x and y directions of different
    /// selections scanned together).
    public func extended(to all: [ParameterView]) -> Direction {
        let byName = Dictionary(uniqueKeysWithValues: zip(views.map(\.name), values))
        return Direction(kind: kind, seed: seed, views: all, values: all.map { byName[$0.name] ?? [Double](repeating: 0, count: $0.count) },
                         normalization: normalization)
    }

    /// Writes the direction atomically as float64 tensors named after the model's, with `metadata`.
    public func write(to url: URL, metadata: [String: String]) throws {
        var m = metadata
        m["kind"] = kind.description
        m["normalization"] = normalization
        if let seed { m["seed"] = String(seed) }
        try EigenvectorFile.write(values.flatMap { $0 }, selection: views, to: url, metadata: m)
    }
}

/// Makes directions: draws, loads and differences, then normalizes them against the reference weights of the space
/// being perturbed.
public enum DirectionFactory {
    /// A stable 64-bit hash of a tensor name (FNV-1a), so that each tensor draws from its own stream and adding a
    /// tensor to a selection leaves the others' directions unchanged.
    public static func stream(for name: String, axis: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (name + "#" + axis).utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// Raw values of a drawn or constant kind (random, filter, layer: standard Gaussian per tensor name; ones: 1).
    public static func raw(_ kind: DirectionKind, views: [ParameterView], seed: UInt64, axis: String) -> [[Double]] {
        views.map { v in
            switch kind {
            case .ones: return [Double](repeating: 1, count: v.count)
            default:
                var rng = SeededRNG(seed: seed, stream: stream(for: v.name, axis: axis))
                return (0..<v.count).map { _ in rng.normal() }
            }
        }
    }

    /// A direction of `kind` for `views`, normalized against `reference` (the unperturbed weights of the space, per
    /// view). `loaded` gives the values of file kinds (hessian, file) and of `model:` (θ_B − θ_A, already in the space).
    public static func make(_ kind: DirectionKind, views: [ParameterView], reference: [[Double]], seed: UInt64, axis: String,
                            oneD: OneDPolicy, loaded: [[Double]]? = nil) -> Direction {
        precondition(reference.count == views.count, "DirectionFactory.make: one reference per tensor")
        var values: [[Double]]
        var words: String
        switch kind {
        case .random, .filter, .layer, .ones:
            values = raw(kind, views: views, seed: seed, axis: axis)
            words = kind == .random ? "standard Gaussian entries, not normalized"
                : kind == .filter ? "Gaussian; each row rescaled to the norm of the weight row (filter normalization)"
                : kind == .layer ? "Gaussian; each tensor rescaled to the norm of the weight tensor"
                : "all ones; each tensor scaled by its mean |W| (the paper's Fig. 2 probe)"
        case .hessian, .file, .model:
            values = loaded ?? views.map { [Double](repeating: 0, count: $0.count) }
            words = kind.name == "model" ? "θ_B − θ_A in the scan's space, not normalized" : "as loaded, not normalized"
        }
        for (k, v) in views.enumerated() {
            let oneDimensional = v.shape.count == 1
            if oneDimensional && oneD == .zero { values[k] = [Double](repeating: 0, count: v.count); continue }
            let w = reference[k]
            switch kind {
            case .filter:
                if oneDimensional && oneD == .filter { perEntry(&values[k], w) } else { rescaleRows(&values[k], w, rows: oneDimensional ? 1 : v.shape[0]) }
            case .layer:
                if oneDimensional && oneD == .filter { perEntry(&values[k], w) } else { rescaleRows(&values[k], w, rows: 1) }
            case .ones:
                if oneDimensional && oneD == .filter { for i in w.indices { values[k][i] = abs(w[i]) } }
                else { let m = w.reduce(0) { $0 + abs($1) } / Double(max(w.count, 1)); for i in values[k].indices { values[k][i] = m } }
            case .random:
                if oneDimensional && oneD == .filter { perEntry(&values[k], w) }
            case .hessian, .file, .model:
                break
            }
        }
        if views.contains(where: { $0.shape.count == 1 }) { words += "; 1-D tensors: \(oneD.rawValue)" }
        return Direction(kind: kind, seed: kind.isRandom ? seed : nil, views: views, values: values, normalization: words)
    }

    /// In place: each of `rows` equal rows of d rescaled to the norm of the same row of w (a zero row stays zero).
    static func rescaleRows(_ d: inout [Double], _ w: [Double], rows: Int) {
        let cols = d.count / max(rows, 1)
        for r in 0..<rows {
            var nd = 0.0, nw = 0.0
            for i in (r * cols)..<((r + 1) * cols) { nd += d[i] * d[i]; nw += w[i] * w[i] }
            let s = nd > 0 ? (nw / nd).squareRoot() : 0
            for i in (r * cols)..<((r + 1) * cols) { d[i] *= s }
        }
    }

    /// d_i ← sign(d_i)·|w_i|.
    static func perEntry(_ d: inout [Double], _ w: [Double]) {
        for i in d.indices { d[i] = d[i] < 0 ? -abs(w[i]) : (d[i] > 0 ? abs(w[i]) : 0) }
    }

    /// The `steps` space: each tensor with a quantization step (per row where `units[k]` has one per row) rescaled to
    /// RMS 1 and multiplied by its step; tensors without one (nil) keep their values.
    public static func inSteps(_ d: Direction, units: [[Double]?]) -> Direction {
        var out = d
        for (k, unit) in units.enumerated() {
            guard let unit, !unit.isEmpty else { continue }
            let rows = unit.count, cols = out.values[k].count / rows
            for r in 0..<rows {
                var ss = 0.0
                for i in (r * cols)..<((r + 1) * cols) { ss += out.values[k][i] * out.values[k][i] }
                let rms = (ss / Double(max(cols, 1))).squareRoot()
                let s = rms > 0 ? unit[r] / rms : 0
                for i in (r * cols)..<((r + 1) * cols) { out.values[k][i] *= s }
            }
        }
        out.normalization += "; then each quantized tensor (row of an embedding) rescaled to RMS = its quantization step"
        return out
    }
}
