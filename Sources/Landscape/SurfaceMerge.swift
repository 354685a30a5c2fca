import Foundation

/// Assembles the parts of a sharded scan (`part-K-of-N.{csv,json}` in one or more directories) into `surface.csv`,
/// `surface.json` and `statistics.csv`: the same CSV bytes as an unsharded scan. Every part must be complete and
/// share one identity; every shard 0..<N must be there once, and every grid point exactly once.
public enum SurfaceMerge {
    public struct Outcome: Sendable {
        public let csv: URL
        public let parts: Int
        public let statistics: SurfaceStatistics
    }

    static func partName(_ name: String) -> (k: Int, n: Int)? {
        guard name.hasPrefix("part-"), name.hasSuffix(".json") else { return nil }
        let core = name.dropFirst("part-".count).dropLast(".json".count).components(separatedBy: "-of-")
        guard core.count == 2, let k = Int(core[0]), let n = Int(core[1]) else { return nil }
        return (k, n)
    }

    /// Whether a directory holds parts.
    public static func hasParts(_ dir: URL) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).contains { partName($0) != nil }
    }

    /// Merges a whole scan: for several direction seeds every `seed-S` folder of `directories` into `output/seed-S`,
    /// with `statistics.csv` and `statistics-summary.csv` over the seeds at `output`; else `directories` into `output`.
    public static func mergeScan(_ directories: [URL], into output: URL) throws -> [Outcome] {
        let units = Set(directories.flatMap { d in
            ((try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []).filter { $0.hasPrefix("seed-") }
        }).sorted()
        guard !units.isEmpty else { return [try merge(directories, into: output)] }
        let merged = try units.map { u in try merge(directories.map { $0.appendingPathComponent(u) }, into: output.appendingPathComponent(u)) }
        try LandscapeRun.writeSummary(zip(units, merged).map { (UInt64($0.dropFirst("seed-".count)), $1.statistics) }, to: output)
        return merged
    }

    public static func merge(_ directories: [URL], into output: URL) throws -> Outcome {
        var found: [(k: Int, n: Int, json: URL)] = []
        for dir in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
                throw LandscapeError.badFile(path: dir.path, reason: "is not a readable directory")
            }
            for name in names.sorted() { if let p = partName(name) { found.append((p.k, p.n, dir.appendingPathComponent(name))) } }
        }
        guard let first = found.first else {
            throw LandscapeError.incomplete(path: directories.map(\.path).joined(separator: ", "), reason: "no part-K-of-N.json files to merge")
        }
        let n = first.n
        if let other = found.first(where: { $0.n != n }) {
            throw LandscapeError.badFile(path: other.json.path, reason: "is a part of \(other.n) shards, \(first.json.path) of \(n)")
        }
        var byShard: [Int: URL] = [:]
        for f in found {
            if let seen = byShard[f.k] { throw LandscapeError.badFile(path: f.json.path, reason: "is shard \(f.k) again (also \(seen.path))") }
            byShard[f.k] = f.json
        }
        if let missing = (0..<n).first(where: { byShard[$0] == nil }) {
            throw LandscapeError.incomplete(path: directories.map(\.path).joined(separator: ", "), reason: "shard \(missing)/\(n) is missing (part-\(missing)-of-\(n).json)")
        }
        let reference = try SurfaceScan.readJSON(byShard[0]!)
        let identity = ScanIdentity.normalized(reference["identity"] as? [String: String] ?? [:])
        guard let gridInfo = reference["grid"] as? [String: Any], let xs = gridInfo["x"] as? String else {
            throw LandscapeError.badFile(path: byShard[0]!.path, reason: "has no grid")
        }
        let grid = SurfaceGrid(x: try GridAxis(parsing: xs, option: "grid.x"),
                               y: try (gridInfo["y"] as? String).map { try GridAxis(parsing: $0, option: "grid.y") })
        var points: [Int: SurfacePoint] = [:]
        var seconds = 0.0
        var partsInfo: [[String: Any]] = []
        for k in 0..<n {
            let url = byShard[k]!
            try ScanIdentity.check(url, identity)
            let doc = try SurfaceScan.readJSON(url)
            guard doc["status"] as? String == "complete" else { throw LandscapeError.incomplete(path: url.path, reason: "this shard has not finished (rerun it)") }
            let csv = url.deletingLastPathComponent().appendingPathComponent("part-\(k)-of-\(n).csv")
            for (key, p) in try SurfaceCSV.read(csv, grid: grid) {
                guard key % n == k else { throw LandscapeError.badFile(path: csv.path, reason: "holds point (\(p.i), \(p.j)), which belongs to shard \(key % n)") }
                guard points[key] == nil else { throw LandscapeError.badFile(path: csv.path, reason: "repeats point (\(p.i), \(p.j))") }
                points[key] = p
            }
            seconds += doc["seconds_last_run"] as? Double ?? 0
            partsInfo.append(["shard": k, "json": url.path, "threads": doc["threads"] ?? NSNull()])
        }
        if let missing = (0..<grid.pointCount).first(where: { points[$0] == nil }) {
            let (i, j) = grid.coordinates(missing)
            throw LandscapeError.incomplete(path: byShard[missing % n]!.path, reason: "point (\(i), \(j)) is missing from shard \(missing % n)")
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let csv = output.appendingPathComponent("surface.csv")
        try SurfaceCSV.writeFinal(points, to: csv)
        let stats = SurfaceStatistics(grid: grid, loss: (0..<grid.pointCount).map { points[$0]!.loss })
        let seed = (reference["direction_seed"] as? NSNumber)?.uint64Value
        try SurfaceScan.writeStatistics(stats, seed: seed, to: output.appendingPathComponent("statistics.csv"))
        var doc = reference
        doc["shard"] = NSNull()
        doc["merged_from"] = partsInfo
        doc["csv"] = csv.lastPathComponent
        doc["status"] = "complete"
        doc["seconds_last_run"] = seconds
        doc["points_computed_last_run"] = points.count
        doc["non_finite_points"] = points.values.filter { !$0.loss.isFinite }.count
        doc["statistics"] = SurfaceScan.statisticsJSON(stats)
        doc["statistics_definitions"] = SurfaceStatistics.definitions
        doc["statistics_csv"] = "statistics.csv"
        try SurfaceScan.writeJSON(doc, to: output.appendingPathComponent("surface.json"))
        return Outcome(csv: csv, parts: n, statistics: stats)
    }
}
