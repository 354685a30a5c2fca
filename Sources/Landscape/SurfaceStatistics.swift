import Foundation
import Storage

/// Summary numbers of one finished scan. Definitions (also written into the sidecar as `definitions`):
/// the centre is the grid point nearest (0, 0); h_x, h_y the grid spacings; "interior" the points with both
/// neighbours along each axis. NaN losses propagate into every statistic that reads them.
public struct SurfaceStatistics: Equatable, Sendable {
    /// (name, value) in a fixed order.
    public let values: [(name: String, value: Double)]

    public static func == (a: SurfaceStatistics, b: SurfaceStatistics) -> Bool {
        a.values.count == b.values.count && zip(a.values, b.values).allSatisfy { $0.name == $1.name && ($0.value == $1.value || ($0.value.isNaN && $1.value.isNaN)) }
    }

    public subscript(name: String) -> Double? { values.first { $0.name == name }?.value }

    /// The radii of ε-sharpness: R/4, R/2 and R, R the largest radius around the centre inside the grid
    /// (min over axes of the distance from the centre to either end).
    public static func radii(_ grid: SurfaceGrid) -> [Double] {
        let c = center(grid)
        let (cx, cy) = grid.offsets(grid.index(i: c.i, j: c.j))
        var r = Swift.min(cx - grid.x.min, grid.x.max - cx)
        if let y = grid.y { r = Swift.min(r, cy - y.min, y.max - cy) }
        return [r / 4, r / 2, r]
    }

    public static func center(_ grid: SurfaceGrid) -> (i: Int, j: Int) {
        func nearest(_ a: GridAxis) -> Int { (0..<a.count).min { abs(a.value($0)) < abs(a.value($1)) }! }
        return (nearest(grid.x), grid.y.map(nearest) ?? 0)
    }

    /// The table of a scan's statistics beside its sidecar.
    public static let fileName = "statistics.csv"

    public static let definitions: [String: String] = [
        "loss_center": "L0, the loss at the grid point nearest (0, 0)",
        "center_x": "x of that point", "center_y": "y of that point",
        "sharpness_r1": "ε-sharpness at radius r1 = R/4: max over grid points with ‖(x, y)‖₂ ≤ r of L − L0 (R: the largest radius around the centre inside the grid)",
        "sharpness_r2": "the same at r2 = R/2", "sharpness_r3": "the same at r3 = R",
        "radius_r1": "r1", "radius_r2": "r2", "radius_r3": "r3",
        "curvature_x": "(L(x+h_x) − 2·L0 + L(x−h_x)) / h_x² at the centre", "curvature_y": "the same along y (2-D scans)",
        "nonconvex_fraction": "fraction of interior points whose discrete Hessian (central differences; 2×2 with the mixed difference in 2-D, L_xx in 1-D) has a negative eigenvalue",
        "mean_abs_eigen_ratio": "mean over interior points of |λ_min| / |λ_max| of that 2×2 Hessian (Li et al. 2018's convexity map; λ_max the larger eigenvalue; points with λ_max = 0 skipped; 2-D only)",
        "roughness": "mean over neighbouring pairs along each axis of |ΔL| / grid spacing",
        "local_minima": "number of interior points strictly below all their neighbours (8 in 2-D, 2 in 1-D)",
        "loss_min": "smallest loss on the grid", "loss_max": "largest loss on the grid",
    ]

    /// Statistics of `loss` (indexed by linear index) on `grid`.
    public init(grid: SurfaceGrid, loss: [Double]) {
        precondition(loss.count == grid.pointCount, "SurfaceStatistics: one loss per grid point")
        let nx = grid.x.count, ny = grid.y?.count ?? 1
        let hx = grid.x.spacing, hy = grid.y?.spacing ?? 0
        func L(_ i: Int, _ j: Int) -> Double { loss[j * nx + i] }
        let c = Self.center(grid)
        let l0 = L(c.i, c.j)
        var out: [(String, Double)] = []
        out.append(("loss_center", l0))
        let (cx, cy) = grid.offsets(grid.index(i: c.i, j: c.j))
        out.append(("center_x", cx)); out.append(("center_y", cy))
        let radii = Self.radii(grid)
        for (n, r) in radii.enumerated() {
            var m = -Double.infinity, sawNaN = false
            for k in 0..<grid.pointCount {
                let (x, y) = grid.offsets(k)
                guard ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() <= r * (1 + 1e-12) else { continue }
                if loss[k].isNaN { sawNaN = true } else { m = Swift.max(m, loss[k] - l0) }
            }
            out.append(("sharpness_r\(n + 1)", sawNaN || l0.isNaN ? .nan : m))
        }
        for (n, r) in radii.enumerated() { out.append(("radius_r\(n + 1)", r)) }
        let cxx = (c.i > 0 && c.i < nx - 1) ? (L(c.i + 1, c.j) - 2 * l0 + L(c.i - 1, c.j)) / (hx * hx) : .nan
        out.append(("curvature_x", cxx))
        if grid.y != nil {
            out.append(("curvature_y", (c.j > 0 && c.j < ny - 1) ? (L(c.i, c.j + 1) - 2 * l0 + L(c.i, c.j - 1)) / (hy * hy) : .nan))
        }
        // Discrete Hessians at interior points.
        var interior = 0, negative = 0, ratioSum = 0.0, ratioCount = 0, minima = 0, nanSeen = false
        let jRange = grid.y == nil ? 0..<1 : 1..<Swift.max(1, ny - 1)
        for j in jRange {
            for i in 1..<Swift.max(1, nx - 1) {
                let lxx = (L(i + 1, j) - 2 * L(i, j) + L(i - 1, j)) / (hx * hx)
                var lambdaMin = lxx, lambdaMax = lxx
                var neighbours = [L(i - 1, j), L(i + 1, j)]
                if grid.y != nil {
                    let lyy = (L(i, j + 1) - 2 * L(i, j) + L(i, j - 1)) / (hy * hy)
                    let lxy = (L(i + 1, j + 1) - L(i + 1, j - 1) - L(i - 1, j + 1) + L(i - 1, j - 1)) / (4 * hx * hy)
                    let mean = (lxx + lyy) / 2, rad = (((lxx - lyy) / 2) * ((lxx - lyy) / 2) + lxy * lxy).squareRoot()
                    lambdaMin = mean - rad; lambdaMax = mean + rad
                    neighbours += [L(i, j - 1), L(i, j + 1), L(i - 1, j - 1), L(i + 1, j - 1), L(i - 1, j + 1), L(i + 1, j + 1)]
                }
                interior += 1
                if lambdaMin.isNaN { nanSeen = true; continue }
                if lambdaMin < 0 { negative += 1 }
                if grid.y != nil, lambdaMax != 0 { ratioSum += abs(lambdaMin) / abs(lambdaMax); ratioCount += 1 }
                if neighbours.allSatisfy({ L(i, j) < $0 }) { minima += 1 }
            }
        }
        out.append(("nonconvex_fraction", interior > 0 && !nanSeen ? Double(negative) / Double(interior) : .nan))
        if grid.y != nil { out.append(("mean_abs_eigen_ratio", ratioCount > 0 && !nanSeen ? ratioSum / Double(ratioCount) : .nan)) }
        var rough = 0.0, pairs = 0
        for j in 0..<ny {
            for i in 0..<nx {
                if i + 1 < nx { rough += abs(L(i + 1, j) - L(i, j)) / hx; pairs += 1 }
                if j + 1 < ny { rough += abs(L(i, j + 1) - L(i, j)) / hy; pairs += 1 }
            }
        }
        out.append(("roughness", pairs > 0 ? rough / Double(pairs) : .nan))
        out.append(("local_minima", nanSeen ? .nan : Double(minima)))
        let finite = loss.filter { !$0.isNaN }
        out.append(("loss_min", finite.count == loss.count ? finite.min() ?? .nan : .nan))
        out.append(("loss_max", finite.count == loss.count ? finite.max() ?? .nan : .nan))
        values = out.map { (name: $0.0, value: $0.1) }
    }

    /// Writes `statistics.csv`: direction_seed,statistic,value for each scan (its seed empty for fixed directions).
    static func write(_ runs: [(seed: UInt64?, statistics: SurfaceStatistics)], to url: URL) throws {
        let rows = runs.flatMap { run in run.statistics.values.map { [run.seed.map(String.init) ?? "", $0.name, TidyCSV.number($0.value)] } }
        try AtomicFile.write(TidyCSV.text(header: ["direction_seed", "statistic", "value"], rows: rows), to: url)
    }

    /// Mean and sample standard deviation (n − 1; 0 for one value) of each statistic over several scans.
    public static func aggregate(_ runs: [SurfaceStatistics]) -> [(name: String, mean: Double, std: Double, count: Int)] {
        guard let first = runs.first else { return [] }
        return first.values.map { entry in
            let xs = runs.compactMap { $0[entry.name] }
            let mean = xs.reduce(0, +) / Double(xs.count)
            let v = xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1) : 0
            return (entry.name, mean, v.squareRoot(), xs.count)
        }
    }
}
