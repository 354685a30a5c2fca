import BERT
import Foundation
import Storage

/// The tidy surface file `i,j,x,y,loss,metric` (the project's CSV codec, `TidyCSV`). While a scan runs, points are appended to `<file>.partial` and
/// flushed to disk one by one; a rerun reads it back, drops a torn last line (a kill mid-write) and truncates the
/// file there before appending. When every point is in, the rows are written sorted by linear index to `<file>`
/// atomically and the partial file is removed.
public enum SurfaceCSV {
    public static let header = "i,j,x,y,loss,metric"

    /// The points of a partial file (empty when there is none), keyed by linear index; the file is truncated after
    /// its last whole row. A malformed row before the last, or a point given twice, is an error naming the line.
    public static func resume(_ url: URL, grid: SurfaceGrid) throws -> [Int: SurfacePoint] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let data = try Data(contentsOf: url)
        let text = String(decoding: data, as: UTF8.self)
        var points: [Int: SurfacePoint] = [:]
        var keptBytes = 0
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The segment after the last newline is torn (or empty).
        let tail = lines.removeLast()
        if !tail.isEmpty { FileHandle.standardError.write(Data("\(url.path): dropping a torn last line (an interrupted write)\n".utf8)) }
        for (n, line) in lines.enumerated() {
            if n == 0 {
                guard line == header else { throw LandscapeError.badFile(path: url.path, reason: "line 1 is not the header \(header)") }
            } else {
                guard let p = SurfacePoint(csvLine: line, grid: grid) else {
                    if n == lines.count - 1 {
                        FileHandle.standardError.write(Data("\(url.path): dropping a malformed last line \(n + 1)\n".utf8))
                        break
                    }
                    throw LandscapeError.badFile(path: url.path, reason: "line \(n + 1) is not a row of this scan: '\(line.prefix(80))'")
                }
                let k = grid.index(i: p.i, j: p.j)
                guard points[k] == nil else { throw LandscapeError.badFile(path: url.path, reason: "line \(n + 1) repeats point (\(p.i), \(p.j))") }
                points[k] = p
            }
            keptBytes += line.utf8.count + 1
        }
        if keptBytes < data.count {
            let h = try FileHandle(forWritingTo: url)
            try h.truncate(atOffset: UInt64(keptBytes))
            try h.synchronize()
            try h.close()
        }
        return points
    }

    /// Opens `url` for appending (writing the header to a new file).
    public static func openForAppend(_ url: URL) throws -> AppendFile {
        try AppendFile(url, header: header)
    }

    /// Appends one row and flushes it to disk.
    public static func append(_ p: SurfacePoint, to file: AppendFile) throws {
        try file.append(p.csvLine)
    }

    /// The file's bytes for `points`, sorted by linear index.
    public static func render(_ points: [Int: SurfacePoint]) -> Data {
        var s = header + "\n"
        for k in points.keys.sorted() { s += points[k]!.csvLine + "\n" }
        return Data(s.utf8)
    }

    /// Reads a finished file: every row whole and of `grid`, each point at most once.
    public static func read(_ url: URL, grid: SurfaceGrid) throws -> [Int: SurfacePoint] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LandscapeError.badFile(path: url.path, reason: "cannot be read")
        }
        guard case let .success(text) = TidyCSV.decode(data) else {
            throw LandscapeError.badFile(path: url.path, reason: "is not UTF-8 text")
        }
        var points: [Int: SurfacePoint] = [:]
        for (n, line) in text.split(separator: "\n").enumerated() {
            if n == 0 { guard line == header else { throw LandscapeError.badFile(path: url.path, reason: "line 1 is not the header \(header)") }; continue }
            guard let p = SurfacePoint(csvLine: line, grid: grid) else {
                throw LandscapeError.badFile(path: url.path, reason: "line \(n + 1) is not a row of this scan: '\(line.prefix(80))'")
            }
            let k = grid.index(i: p.i, j: p.j)
            guard points[k] == nil else { throw LandscapeError.badFile(path: url.path, reason: "line \(n + 1) repeats point (\(p.i), \(p.j))") }
            points[k] = p
        }
        return points
    }

    public static func writeFinal(_ points: [Int: SurfacePoint], to url: URL) throws {
        try ModelDirectory.atomicWrite(render(points), to: url)
    }
}
