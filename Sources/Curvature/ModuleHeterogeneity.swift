import BERT
import Foundation
import Numerics

/// How different the curvature of a model's blocks is (Zhang et al. 2024, "Why Transformers need Adam: a Hessian
/// perspective"): each block's spectral density by SLQ (its diagonal block of the Hessian or GGN, one module kind in one
/// layer), and the Jensen–Shannon distance between every two blocks' densities. A model whose blocks have similar
/// spectra has distances near 0; blocks whose spectra do not overlap have distance 1.
///
/// Curvature spectra span orders of magnitude: most of a block's mass sits near 0 and a few outliers reach far out,
/// so on a linear axis one model's largest outlier would squeeze every block's bulk into one smoothing width and make
/// all blocks look alike. The densities are therefore compared on the symmetric log axis
/// t = sign(λ)·log₁₀(1 + |λ|/s), s = `linearScale` × the largest |node| of the model (linear below s, logarithmic above),
/// and Gaussian-smoothed there on one grid covering every block's nodes with 3σ to spare, σ = `relativeSigma` × the
/// width of the nodes' range in t. Multiplying every block's curvature by the same c leaves t, and so every distance,
/// unchanged: models whose weights (and curvatures) differ in scale compare on their shapes. The smoothed densities
/// are normalized to sum 1 over the grid before the distance JS(p, q) = √(½ KL(p‖m) + ½ KL(q‖m)), m = (p + q)/2,
/// logarithms to base 2 (so 0 ≤ JS ≤ 1).
public struct ModuleHeterogeneity: Sendable {
    /// One block's density: the module, its layer and the SLQ result.
    public struct Block: Sendable {
        public var module: CurvatureModule
        public var layer: Int
        public var density: SpectralDensity
        public var name: String { "\(module.rawValue)@\(layer)" }
    }

    public struct Distance: Sendable, Equatable {
        public var a: String, b: String
        public var distance: Double
    }

    public var blocks: [Block]
    /// The grid on the symmetric log axis t, its smoothing width there, and the scale s where it turns logarithmic.
    public var grid: [Double]
    public var sigma: Double
    public var linearScale: Double
    /// Each block's smoothed density on `grid` (integrating to 1 over it).
    public var densities: [[Double]]
    /// Every unordered pair of blocks, in block order.
    public var distances: [Distance]

    /// The mean over all pairs, and over the pairs of one module kind in different layers and of different kinds in
    /// one layer (nil where there is no such pair).
    public var meanDistance: Double { distances.isEmpty ? 0 : distances.map(\.distance).reduce(0, +) / Double(distances.count) }
    public var meanWithinKind: Double? { mean(where: { $0.module == $1.module }) }
    public var meanWithinLayer: Double? { mean(where: { $0.layer == $1.layer }) }

    func mean(where same: (Block, Block) -> Bool) -> Double? {
        let byName = Dictionary(uniqueKeysWithValues: blocks.map { ($0.name, $0) })
        let kept = distances.filter { same(byName[$0.a]!, byName[$0.b]!) }.map(\.distance)
        return kept.isEmpty ? nil : kept.reduce(0, +) / Double(kept.count)
    }

    /// The distances and smoothed densities of `blocks` (at least two, each with at least one run).
    public init(blocks: [Block], relativeSigma: Double = 0.01, linearScale: Double = 1e-3, points: Int = 512) throws {
        guard blocks.count >= 2 else { throw CurvatureError.badRequest("block heterogeneity needs at least two blocks, not \(blocks.count)") }
        guard relativeSigma.isFinite, relativeSigma > 0 else {
            throw CurvatureError.badRequest("the smoothing width must be a finite fraction above 0, not \(relativeSigma)")
        }
        guard linearScale.isFinite, linearScale > 0 else {
            throw CurvatureError.badRequest("the linear part of the log axis must be a finite fraction above 0, not \(linearScale)")
        }
        guard points >= 16 else { throw CurvatureError.badRequest("the density grid needs at least 16 points, not \(points)") }
        let nodes = blocks.flatMap { $0.density.runs.flatMap(\.nodes) }
        guard let radius = nodes.map(abs).max(), nodes.allSatisfy(\.isFinite) else {
            throw CurvatureError.badRequest("a block's spectral density has no finite quadrature nodes")
        }
        let s = radius > 0 ? linearScale * radius : 1
        self.linearScale = s
        func axis(_ x: Double) -> Double { (x < 0 ? -1 : 1) * Foundation.log10(1 + abs(x) / s) }
        let ts = nodes.map(axis)
        let lo = ts.min()!, hi = ts.max()!
        let width = hi - lo > 0 ? hi - lo : 1
        sigma = relativeSigma * width
        let a = lo - 3 * sigma, b = hi + 3 * sigma
        grid = (0..<points).map { a + (b - a) * Double($0) / Double(points - 1) }
        let step = (b - a) / Double(points - 1), grid = self.grid, sigma = self.sigma
        densities = blocks.map { block in
            var onAxis = block.density
            for k in onAxis.runs.indices { onAxis.runs[k].nodes = onAxis.runs[k].nodes.map(axis) }
            return onAxis.smoothed(grid: grid, sigma: sigma)
        }
        let mass = densities.map { d in d.map { $0 * step } }.map { m -> [Double] in
            let s = m.reduce(0, +)
            return m.map { $0 / s }
        }
        self.blocks = blocks
        var out: [Distance] = []
        for i in blocks.indices {
            for j in blocks.indices where j > i {
                out.append(Distance(a: blocks[i].name, b: blocks[j].name, distance: Self.jensenShannonDistance(mass[i], mass[j])))
            }
        }
        distances = out
    }

    /// √JSD with base-2 logarithms of two distributions on the same support (each summing to 1).
    public static func jensenShannonDistance(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "jensenShannonDistance: supports of \(p.count) and \(q.count) points")
        var d = 0.0
        for (x, y) in zip(p, q) {
            let m = 0.5 * (x + y)
            if x > 0 { d += 0.5 * x * Foundation.log2(x / m) }
            if y > 0 { d += 0.5 * y * Foundation.log2(y / m) }
        }
        return max(0, min(1, d)).squareRoot()
    }

    /// Every block's density of one model on one objective: SLQ with `runs` runs of `steps` Lanczos steps on each
    /// module kind's block in each layer (the raw Hessian unless `curvature` makes another operator from the objective
    /// and the block's selection). The seeds differ by block and are fixed by `seed`.
    public static func measure<T: BLASReal>(objective: LossObjective<T>, modules: [CurvatureModule], layers: [Int], runs: Int, steps: Int,
                                            seed: UInt64, progress: (String) -> Void = { _ in },
                                            curvature: ((LossObjective<T>, [ParameterView]) throws -> LinearOperator)? = nil) throws -> [Block] {
        let model = objective.model
        var out: [Block] = []
        for layer in layers {
            for (k, module) in modules.enumerated() {
                let selection = try ParameterSelection(module.spec(layer: layer), table: model.table, layers: model.config.numHiddenLayers)
                let op = try curvature?(objective, selection.views) ?? ModelHessian(objective: objective, selection: selection.views)
                try SpectralDensity.requireMemory(dimension: op.dimension, steps: steps)
                let density = try SpectralDensity.estimate(op, runs: runs, steps: steps, seed: seed &+ UInt64(layer * 1000 + k))
                out.append(Block(module: module, layer: layer, density: density))
                progress("\(module.rawValue)@\(layer): \(density.matvecs) products, \(String(format: "%.1f", density.seconds)) s")
            }
        }
        return out
    }
}
