import Foundation
import Storage

/// One evaluated grid point: its indices, offsets, the objective's mean loss and the task metric (accuracy for a
/// classifier; nil for regression), NaN/Inf kept as they are.
public struct SurfacePoint: Equatable, Sendable {
    public let i: Int, j: Int
    public let x: Double, y: Double
    public let loss: Double
    public let metric: Double?

    public init(i: Int, j: Int, x: Double, y: Double, loss: Double, metric: Double?) {
        self.i = i; self.j = j; self.x = x; self.y = y; self.loss = loss; self.metric = metric
    }

    /// The CSV line, without the newline: i,j,x,y,loss,metric (numbers by `TidyCSV.number`).
    public var csvLine: String {
        TidyCSV.line([String(i), String(j), TidyCSV.number(x), TidyCSV.number(y), TidyCSV.number(loss), TidyCSV.number(metric)])
    }

    /// Parses a line of a scan of `grid`; nil when it is not a whole, consistent row (a torn write).
    public init?(csvLine line: Substring, grid: SurfaceGrid) {
        let f = TidyCSV.fields(line)
        guard f.count == 6, let i = Int(f[0]), let j = Int(f[1]), i >= 0, i < grid.x.count, j >= 0, j < (grid.y?.count ?? 1),
              let x = TidyCSV.parseNumber(f[2]), let y = TidyCSV.parseNumber(f[3]), let loss = TidyCSV.parseNumber(f[4]) else { return nil }
        let (gx, gy) = grid.offsets(grid.index(i: i, j: j))
        guard x == gx, y == gy else { return nil }
        var metric: Double? = nil
        if !f[5].isEmpty { guard let m = TidyCSV.parseNumber(f[5]) else { return nil }; metric = m }
        self.init(i: i, j: j, x: x, y: y, loss: loss, metric: metric)
    }
}
