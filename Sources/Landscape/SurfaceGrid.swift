import Foundation

/// One axis of a scan: N evenly spaced offsets from MIN to MAX (`MIN:MAX:N`; N = 1 is MIN alone).
public struct GridAxis: Codable, Equatable, Sendable, CustomStringConvertible {
    public let min: Double, max: Double, count: Int

    public init(min: Double, max: Double, count: Int) {
        self.min = min; self.max = max; self.count = count
    }

    public init(parsing text: String, option: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let lo = Double(parts[0]), let hi = Double(parts[1]), let n = Int(parts[2]) else {
            throw LandscapeError.badOption(option: option, reason: "'\(text)' is not MIN:MAX:N (e.g. -1:1:21)")
        }
        guard lo.isFinite, hi.isFinite else { throw LandscapeError.badOption(option: option, reason: "'\(text)' has a non-finite bound") }
        guard n >= 1, n <= 100_000 else { throw LandscapeError.badOption(option: option, reason: "'\(text)' needs N in 1...100000") }
        guard n == 1 || lo < hi else { throw LandscapeError.badOption(option: option, reason: "'\(text)' needs MIN < MAX when N > 1") }
        // MAX − MIN must itself be finite (−1e308:1e308 overflows it to inf, and every interior point to nan or inf).
        guard (hi - lo).isFinite else {
            throw LandscapeError.badOption(option: option, reason: "'\(text)' has a span MAX − MIN too large for a double (its points would be inf or nan)")
        }
        self.init(min: lo, max: hi, count: n)
        guard values.allSatisfy(\.isFinite) else { throw LandscapeError.badOption(option: option, reason: "'\(text)' gives a non-finite point") }
    }

    /// The i-th offset: MIN + (MAX − MIN)·i/(N − 1), MAX exactly at the end.
    public func value(_ i: Int) -> Double {
        guard count > 1 else { return min }
        return i == count - 1 ? max : min + (max - min) * (Double(i) / Double(count - 1))
    }

    public var spacing: Double { count > 1 ? (max - min) / Double(count - 1) : 0 }
    public var values: [Double] { (0..<count).map(value) }
    public var description: String { "\(min):\(max):\(count)" }
}

/// The points of a 1-D (y absent) or 2-D scan. Point (i, j) has linear index k = j·Nx + i (x fastest); a shard
/// K/N owns the points with k mod N = K.
public struct SurfaceGrid: Codable, Equatable, Sendable {
    public let x: GridAxis
    public let y: GridAxis?

    public init(x: GridAxis, y: GridAxis?) { self.x = x; self.y = y }

    /// The most points one scan may have: every point keeps a few numbers in memory and a row of surface.csv, and
    /// 4 million points (a 2001 × 2001 grid) already take days to evaluate.
    public static let maxPoints = 4_000_000

    /// The grid of `--x`/`--y`, refused before any work when it has more points than `maxPoints`.
    public static func checked(x: GridAxis, y: GridAxis?) throws -> SurfaceGrid {
        let points = x.count.multipliedReportingOverflow(by: y?.count ?? 1)
        guard !points.overflow, points.partialValue <= maxPoints else {
            throw LandscapeError.badOption(option: y == nil ? "--x" : "--x/--y",
                                           reason: "give \(x.count) × \(y?.count ?? 1) points; a scan takes at most \(maxPoints) (e.g. 2001 × 2001)")
        }
        return SurfaceGrid(x: x, y: y)
    }

    public var pointCount: Int { x.count * (y?.count ?? 1) }
    public var isTwoDimensional: Bool { y != nil }
    public func index(i: Int, j: Int) -> Int { j * x.count + i }
    public func coordinates(_ k: Int) -> (i: Int, j: Int) { (k % x.count, k / x.count) }
    public func offsets(_ k: Int) -> (x: Double, y: Double) {
        let (i, j) = coordinates(k)
        return (x.value(i), y?.value(j) ?? 0)
    }
}
