/// One contour line of a gridded field: points in grid coordinates (i along x, j along y, fractional between grid
/// points), closed when it returns to its start, else ending on the grid's boundary (or at a cell with a missing value).
public struct ContourLine: Sendable, Equatable {
    public let level: Double
    public var points: [(i: Double, j: Double)]
    public let closed: Bool

    public static func == (a: ContourLine, b: ContourLine) -> Bool {
        a.level == b.level && a.closed == b.closed && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.i == $1.i && $0.j == $1.j }
    }

    /// Length in grid units.
    public var length: Double {
        zip(points, points.dropFirst()).reduce(0) { s, p in
            let di = p.1.i - p.0.i, dj = p.1.j - p.0.j
            return s + (di * di + dj * dj).squareRoot()
        }
    }
}
