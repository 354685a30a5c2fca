import BERT
import Foundation
import Numerics
import Storage

/// Runs one scan (one pair of directions) into a directory, resumably: `surface.csv` and its sidecar `surface.json`,
/// or, for a shard K/N, `part-K-of-N.csv` and `part-K-of-N.json` that `SurfaceMerge` assembles.
///
/// The sidecar is written before the first point with the scan's identity — every option that changes a number —
/// and a rerun whose identity differs is refused, naming the first option that differs. A rerun of the same scan
/// computes only the points missing from the partial file.
public enum SurfaceScan {
    public struct Outcome: Sendable {
        public let csv: URL
        public let sidecar: URL
        public let computed: Int
        public let owned: Int
        public let statistics: SurfaceStatistics?
        public let seconds: Double
    }

    /// A sidecar as written: a JSON object, read back whole (a rerun's identity and status, a merge's parts).
    static func readJSON(_ url: URL) throws -> JSONValue {
        let data = try Data(contentsOf: url)
        guard let o = try? JSONDecoder().decode(JSONValue.self, from: data), o.object != nil else {
            throw LandscapeError.badFile(path: url.path, reason: "is not a JSON object")
        }
        return o
    }

    /// Writes a sidecar (the project's JSON, a newline at the end) atomically.
    static func writeJSON<Document: Encodable>(_ document: Document, to url: URL) throws {
        try AtomicFile.write(try JSONFormat.file(document) + Data("\n".utf8), to: url)
    }

    /// Computes the points of `grid` that `shard` owns (all without one) and are not yet in the partial file.
    /// `evaluate` gives the loss and metric at (x, y); `sidecar` is the provenance written beside the identity.
    public static func run<Sidecar: Encodable>(grid: SurfaceGrid, shard: Shard?, directory: URL, identity: [String: String], sidecar: Sidecar,
                           directionSeed: UInt64?, progress: (String) -> Void,
                           evaluate: (Double, Double) throws -> (loss: Double, metric: Double?)) throws -> Outcome {
        let clock = Date()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stem = shard?.stem ?? "surface"
        let csv = directory.appendingPathComponent("\(stem).csv")
        let partial = directory.appendingPathComponent("\(stem).csv.partial")
        let jsonURL = directory.appendingPathComponent("\(stem).json")
        try ScanIdentity.check(jsonURL, identity)
        let owned = (0..<grid.pointCount).filter { shard?.owns($0) ?? true }
        var document = SurfaceDocument(sidecar: sidecar, scan: .init(
            identity: identity, grid: .init(grid), shard: shard.map { .init(index: $0.index, count: $0.count, source: $0.source, points: owned.count) },
            csv: csv.lastPathComponent, directionSeed: directionSeed, status: "running"))

        var points: [Int: SurfacePoint]
        var computed = 0
        if FileManager.default.fileExists(atPath: csv.path) {
            points = try SurfaceCSV.read(csv, grid: grid)
            guard Set(points.keys) == Set(owned) else {
                throw LandscapeError.badFile(path: csv.path, reason: "holds \(points.count) points, not the \(owned.count) this scan owns: remove it to recompute")
            }
            try? FileManager.default.removeItem(at: partial)
            if let old = try? readJSON(jsonURL), old["status"]?.string == "complete" {
                let stats = shard == nil ? SurfaceStatistics(grid: grid, loss: (0..<grid.pointCount).map { points[$0]!.loss }) : nil
                return Outcome(csv: csv, sidecar: jsonURL, computed: 0, owned: owned.count, statistics: stats, seconds: 0)
            }
        } else {
            try writeJSON(document, to: jsonURL)
            points = try SurfaceCSV.resume(partial, grid: grid)
            let todo = owned.filter { points[$0] == nil }
            if points.count > 0 { progress("resuming: \(owned.count - todo.count)/\(owned.count) points already in \(partial.lastPathComponent)") }
            let handle = try SurfaceCSV.openForAppend(partial)
            defer { handle.close() }
            var lastReport = Date.distantPast
            let start = Date()
            for (n, k) in todo.enumerated() {
                let (i, j) = grid.coordinates(k)
                let (x, y) = grid.offsets(k)
                let r = try evaluate(x, y)
                let p = SurfacePoint(i: i, j: j, x: x, y: y, loss: r.loss, metric: r.metric)
                try SurfaceCSV.append(p, to: handle)
                points[k] = p
                computed += 1
                let now = Date()
                if now.timeIntervalSince(lastReport) >= 2 || n == todo.count - 1 {
                    lastReport = now
                    let rate = Double(n + 1) / max(now.timeIntervalSince(start), 1e-9)
                    let left = Double(todo.count - n - 1) / rate
                    progress(String(format: "point %d/%d (x %.4g, y %.4g: loss %.6g) %.2f points/s, ETA %@", owned.count - todo.count + n + 1, owned.count,
                                    x, y, r.loss, rate, formatDuration(left)))
                }
            }
            try SurfaceCSV.writeFinal(points, to: csv)
        }
        var stats: SurfaceStatistics? = nil
        if shard == nil {
            let s = SurfaceStatistics(grid: grid, loss: (0..<grid.pointCount).map { points[$0]!.loss })
            stats = s
            try SurfaceStatistics.write([(directionSeed, s)], to: directory.appendingPathComponent(SurfaceStatistics.fileName))
        }
        let seconds = Date().timeIntervalSince(clock)
        document.scan.status = "complete"
        document.completion = SurfaceCompletion(statistics: stats, seconds: seconds, computed: computed, points: points)
        try writeJSON(document, to: jsonURL)
        try? FileManager.default.removeItem(at: partial)
        return Outcome(csv: csv, sidecar: jsonURL, computed: computed, owned: owned.count, statistics: stats, seconds: seconds)
    }

    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}
