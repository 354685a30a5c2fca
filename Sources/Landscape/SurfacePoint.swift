import Foundation

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

    /// Shortest round-trip decimal; nan, inf and -inf as pandas and numpy read them.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }

    static func parse(_ s: Substring) -> Double? {
        switch s {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(s)
        }
    }

    /// The CSV line, without the newline: i,j,x,y,loss,metric.
    public var csvLine: String {
        "\(i),\(j),\(SurfacePoint.format(x)),\(SurfacePoint.format(y)),\(SurfacePoint.format(loss)),\(metric.map(SurfacePoint.format) ?? "")"
    }

    /// Parses a line of a scan of `grid`; nil when it is not a whole, consistent row (a torn write).
    public init?(csvLine line: Substring, grid: SurfaceGrid) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 6, let i = Int(f[0]), let j = Int(f[1]), i >= 0, i < grid.x.count, j >= 0, j < (grid.y?.count ?? 1),
              let x = SurfacePoint.parse(f[2]), let y = SurfacePoint.parse(f[3]), let loss = SurfacePoint.parse(f[4]) else { return nil }
        let (gx, gy) = grid.offsets(grid.index(i: i, j: j))
        guard x == gx, y == gy else { return nil }
        var metric: Double? = nil
        if !f[5].isEmpty { guard let m = SurfacePoint.parse(f[5]) else { return nil }; metric = m }
        self.init(i: i, j: j, x: x, y: y, loss: loss, metric: metric)
    }
}
