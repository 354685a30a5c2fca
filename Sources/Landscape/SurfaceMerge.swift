import Foundation
import Storage

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
    /// `landscape --merge`: the parts of one scan in `directories` assembled into `output`, as its result line.
    public static func mergeLine(_ directories: [URL], into output: URL) throws -> LandscapeMergeLine {
        LandscapeMergeLine(try mergeScan(directories, into: output), output: output.path)
    }

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
        let identity = ScanIdentity.normalized(ScanIdentity.fields(reference))
        guard let xs = reference["grid"]?["x"]?.string else {
            throw LandscapeError.badFile(path: byShard[0]!.path, reason: "has no grid")
        }
        let grid = SurfaceGrid(x: try GridAxis(parsing: xs, option: "grid.x"),
                               y: try reference["grid"]?["y"]?.string.map { try GridAxis(parsing: $0, option: "grid.y") })
        var points: [Int: SurfacePoint] = [:]
        var seconds = 0.0
        var parts: [MergedFields.Part] = []
        for k in 0..<n {
            let url = byShard[k]!
            try ScanIdentity.check(url, identity)
            let doc = try SurfaceScan.readJSON(url)
            guard doc["status"]?.string == "complete" else { throw LandscapeError.incomplete(path: url.path, reason: "this shard has not finished (rerun it)") }
            let csv = url.deletingLastPathComponent().appendingPathComponent("part-\(k)-of-\(n).csv")
            for (key, p) in try SurfaceCSV.read(csv, grid: grid) {
                guard key % n == k else { throw LandscapeError.badFile(path: csv.path, reason: "holds point (\(p.i), \(p.j)), which belongs to shard \(key % n)") }
                guard points[key] == nil else { throw LandscapeError.badFile(path: csv.path, reason: "repeats point (\(p.i), \(p.j))") }
                points[key] = p
            }
            seconds += doc["seconds_last_run"]?.double ?? 0
            parts.append(MergedFields.Part(shard: k, json: url.path, threads: doc["threads"] ?? .null))
        }
        if let missing = (0..<grid.pointCount).first(where: { points[$0] == nil }) {
            let (i, j) = grid.coordinates(missing)
            throw LandscapeError.incomplete(path: byShard[missing % n]!.path, reason: "point (\(i), \(j)) is missing from shard \(missing % n)")
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let csv = output.appendingPathComponent("surface.csv")
        try SurfaceCSV.writeFinal(points, to: csv)
        let stats = SurfaceStatistics(grid: grid, loss: (0..<grid.pointCount).map { points[$0]!.loss })
        let seed = try? JSONFormat.decoder().decode(DirectionSeed.self, from: Data(contentsOf: byShard[0]!)).directionSeed
        try SurfaceStatistics.write([(seed, stats)], to: output.appendingPathComponent(SurfaceStatistics.fileName))
        let merged = MergedFields(fields: .init(directionSeed: seed, mergedFrom: parts, csv: csv.lastPathComponent),
                                  completion: SurfaceCompletion(statistics: stats, seconds: seconds, computed: points.count, points: points))
        // The first part's sidecar (as read back) with its fields of a shard replaced by the whole surface's.
        let replaced = try JSONValue(encoding: merged).object?.keys ?? [:].keys
        guard let kept = reference.removing(replaced) else {
            throw LandscapeError.badFile(path: byShard[0]!.path, reason: "is not a JSON object")
        }
        try SurfaceScan.writeJSON(JSONObjectParts(kept.readBack, merged), to: output.appendingPathComponent("surface.json"))
        return Outcome(csv: csv, parts: n, statistics: stats)
    }
}

/// The fields a merge sets in the first part's sidecar: no shard, the parts it came from, the whole CSV, complete
/// with the whole surface's statistics and the parts' seconds, and the direction seed as the part records it (an
/// unsigned integer written back exactly).
struct MergedFields: Encodable {
    struct Part: Encodable {
        var shard: Int
        var json: String
        var threads: JSONValue
    }

    struct Fields: Encodable {
        @NullWhenAbsent var shard: String? = nil
        var directionSeed: UInt64?
        var mergedFrom: [Part]
        var csv: String
        var status = "complete"
    }

    var fields: Fields
    var completion: SurfaceCompletion

    func encode(to encoder: Encoder) throws {
        try JSONObjectParts(fields, completion).encode(to: encoder)
    }
}

/// A sidecar's direction seed, read as the unsigned integer it is.
struct DirectionSeed: Decodable {
    var directionSeed: UInt64?
}
