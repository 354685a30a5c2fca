import Foundation

/// Contour lines of a field on a regular grid by marching squares. Each cell's corners are classified against the
/// level (value ≥ level: above); the crossings on its edges are placed by linear interpolation; the two saddle cases
/// (diagonal corners above) are resolved by the cell's centre value, the mean of its corners, the same way everywhere;
/// cells with a NaN or infinite corner get no segment. Segments are joined through their shared edge crossings into
/// polylines: a line is closed, or both its ends lie on the grid's boundary or next to a missing cell.
public enum MarchingSquares {
    /// A crossing on the edge between grid points a and b (linear indices, a < b): its identity across cells.
    private struct Edge: Hashable { let a: Int, b: Int }

    /// The lines at `level` of `values` (row-major, `ny` rows of `nx`: values[j·nx + i] at grid point (i, j)).
    public static func lines(_ values: [Double], nx: Int, ny: Int, level: Double) -> [ContourLine] {
        precondition(values.count == nx * ny, "MarchingSquares: \(values.count) values for \(nx)×\(ny)")
        guard nx >= 2, ny >= 2, level.isFinite else { return [] }
        func v(_ i: Int, _ j: Int) -> Double { values[j * nx + i] }
        func point(_ e: Edge) -> (i: Double, j: Double) {
            let (ia, ja) = (e.a % nx, e.a / nx), (ib, jb) = (e.b % nx, e.b / nx)
            let va = values[e.a], vb = values[e.b]
            let t = va == vb ? 0.5 : min(max((level - va) / (vb - va), 0), 1)
            return (Double(ia) + t * Double(ib - ia), Double(ja) + t * Double(jb - ja))
        }
        func edge(_ p: Int, _ q: Int) -> Edge { Edge(a: min(p, q), b: max(p, q)) }
        var segments: [(Edge, Edge)] = []
        for j in 0..<(ny - 1) {
            for i in 0..<(nx - 1) {
                let c = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)]  // corners counter-clockwise from (i, j)
                guard c.allSatisfy(\.isFinite) else { continue }
                let k = [j * nx + i, j * nx + i + 1, (j + 1) * nx + i + 1, (j + 1) * nx + i]
                let above = c.map { $0 >= level }
                // Edges 0: bottom (0–1), 1: right (1–2), 2: top (2–3), 3: left (3–0); an edge is crossed when its ends differ.
                let edges = (0..<4).map { edge(k[$0], k[($0 + 1) % 4]) }
                let crossed = (0..<4).filter { above[$0] != above[($0 + 1) % 4] }
                switch crossed.count {
                case 2:
                    segments.append((edges[crossed[0]], edges[crossed[1]]))
                case 4:
                    // Saddle: corners 0 and 2 on one side, 1 and 3 on the other. If the centre is on corner 0's side,
                    // 0 and 2 connect through the middle and the lines cut off corners 1 and 3; else they cut off 0 and 2.
                    let centreAbove = c.reduce(0, +) / 4 >= level
                    if centreAbove == above[0] {
                        segments.append((edges[0], edges[1]))  // around corner 1
                        segments.append((edges[2], edges[3]))  // around corner 3
                    } else {
                        segments.append((edges[3], edges[0]))  // around corner 0
                        segments.append((edges[1], edges[2]))  // around corner 2
                    }
                default:
                    break
                }
            }
        }
        // Join: every crossing belongs to at most two segments (the two cells sharing its edge).
        var neighbours: [Edge: [Int]] = [:]
        for (s, (a, b)) in segments.enumerated() {
            neighbours[a, default: []].append(s)
            neighbours[b, default: []].append(s)
        }
        var used = [Bool](repeating: false, count: segments.count)
        var out: [ContourLine] = []
        func walk(from start: Edge, segment first: Int) -> [Edge] {
            var chain = [start], at = start, s = first
            while true {
                used[s] = true
                let (a, b) = segments[s]
                let next = a == at ? b : a
                chain.append(next)
                at = next
                guard let n = neighbours[at]?.first(where: { !used[$0] }) else { return chain }
                s = n
            }
        }
        // Open lines first, from crossings with a single segment (boundary or missing cell), in a fixed order.
        let ends = neighbours.filter { $0.value.count == 1 }.keys.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
        for e in ends {
            guard let s = neighbours[e]?.first, !used[s] else { continue }
            out.append(ContourLine(level: level, points: walk(from: e, segment: s).map(point), closed: false))
        }
        for s in segments.indices where !used[s] {
            let chain = walk(from: segments[s].0, segment: s)
            out.append(ContourLine(level: level, points: chain.map(point), closed: chain.first == chain.last))
        }
        return out
    }

    /// `count` levels evenly inside (lo, hi), excluding the ends: "nice" round values when the range allows.
    public static func levels(lo: Double, hi: Double, count: Int) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo, count >= 1 else { return [] }
        let step = LinearScale.niceStep((hi - lo) / Double(count + 1))
        let first = Int((lo / step).rounded(.down)) + 1, last = Int((hi / step).rounded(.up)) - 1
        guard first <= last else { return [] }
        // Multiples of the step, rounded to its decimals (0.6, not 0.6000000000000001).
        let scale = pow(10, max(0, (-log10(step)).rounded(.up)))
        return (first...last).map { (Double($0) * step * scale).rounded() / scale }.filter { $0 > lo && $0 < hi }
    }
}
