import BERT
import Foundation
import Probe
import Numerics

/// What a request's directions are made from, resolved once for a model: the space, the x and y selections and
/// their union, the reference weights, loaded directions (files, another model) and step units. `directions(seed:)`
/// then makes the normalized, orthogonalized pair for one seed.
public struct DirectionPlan<T: BLASReal> {
    public let space: PerturbationSpace
    public let xSelection: ParameterSelection
    public let ySelection: ParameterSelection?
    /// The perturbed tensors, model order.
    public let union: [ParameterView]
    public let xKind: DirectionKind, yKind: DirectionKind
    public let twoDimensional: Bool
    let yViews: [ParameterView]
    let xRef: [[Double]], yRef: [[Double]]
    let xLoaded: [[Double]]?, yLoaded: [[Double]]?
    let units: [[Double]?]?
    let oneD: OneDPolicy
    let selectText: String, ySelectText: String?

    public init(probe: ProbeModel<T>, request r: LandscapeRequest) throws {
        let model = probe.model
        let layers = model.config.numHiddenLayers
        let space = try SurfaceProbe<T>.resolve(r.space, for: probe)
        self.space = space
        let xSel = try ParameterSelection(r.select, table: model.table, layers: layers, includeBiases: r.includeBiases)
        let ySel = try r.ySelect.map { try ParameterSelection($0, table: model.table, layers: layers, includeBiases: r.includeBiases) }
        xSelection = xSel; ySelection = ySel
        if !r.grid.isTwoDimensional && (r.ySelect != nil || r.yDirections != nil) {
            throw LandscapeError.badOption(option: "--y-select/--y-directions", reason: "need a 2-D scan (--y MIN:MAX:N)")
        }
        let names = Set(xSel.names + (ySel?.names ?? []))
        union = model.table.views.filter { names.contains($0.name) }
        let yViews = ySel?.views ?? xSel.views
        self.yViews = yViews
        // Loaded directions (files, other models) once; drawn ones per seed.
        func loaded(_ kind: DirectionKind, views: [ParameterView]) throws -> [[Double]]? {
            switch kind {
            case let .hessian(path), let .file(path):
                let flat = try EigenvectorFile.read(URL(fileURLWithPath: path), selection: views, model: probe.sha256, allowOtherModel: r.allowOtherModel)
                var k = 0
                return views.map { v in defer { k += v.count }; return Array(flat[k..<(k + v.count)]) }
            case let .model(path):
                let other = try ProbeModel<T>(directory: URL(fileURLWithPath: path))
                guard other.model.table.views.map(\.shape) == model.table.views.map(\.shape) else {
                    throw LandscapeError.badFile(path: path, reason: "is not the same architecture as \(probe.directory.path)")
                }
                let otherSpace: PerturbationSpace = other.kind == "fp" ? .fullPrecision : (r.space == .latent && other.quantized == nil ? .quantized : r.space)
                let b = SurfaceProbe<T>.reference(other, views: views, space: otherSpace == .steps ? .quantized : otherSpace)
                let a = SurfaceProbe<T>.reference(probe, views: views, space: space == .steps ? .quantized : space)
                return zip(a, b).map { pair in zip(pair.0, pair.1).map { $1 - $0 } }
            default:
                return nil
            }
        }
        xRef = SurfaceProbe<T>.reference(probe, views: xSel.views, space: space == .steps ? .quantized : space)
        yRef = SurfaceProbe<T>.reference(probe, views: yViews, space: space == .steps ? .quantized : space)
        xKind = r.directions
        yKind = r.yDirections ?? r.directions
        twoDimensional = r.grid.isTwoDimensional
        xLoaded = try loaded(xKind, views: xSel.views)
        yLoaded = twoDimensional ? try loaded(yKind, views: yViews) : nil
        units = space == .steps ? try SurfaceProbe<T>.stepUnits(probe, views: union) : nil
        oneD = r.oneD
        selectText = r.select; ySelectText = r.ySelect
    }

    /// The x direction and (2-D) the y direction orthogonalized against it, both over `union`, and their cosine
    /// before orthogonalization.
    public func directions(seed s: UInt64) throws -> (x: Direction, y: Direction?, cosine: Double?) {
        var dx = DirectionFactory.make(xKind, views: xSelection.views, reference: xRef, seed: s, axis: "x", oneD: oneD, loaded: xLoaded)
            .extended(to: union)
        var dy = twoDimensional
            ? DirectionFactory.make(yKind, views: yViews, reference: yRef, seed: s, axis: "y", oneD: oneD, loaded: yLoaded).extended(to: union)
            : nil
        if let u = units {
            dx = DirectionFactory.inSteps(dx, units: u)
            dy = dy.map { DirectionFactory.inSteps($0, units: u) }
        }
        guard dx.norm > 0 else { throw LandscapeError.badOption(option: "--directions", reason: "\(xKind) is zero on \(selectText)") }
        guard let d = dy else { return (dx, nil, nil) }
        guard d.norm > 0 else { throw LandscapeError.badOption(option: "--y-directions", reason: "\(yKind) is zero on \(ySelectText ?? selectText)") }
        let c = d.cosine(dx)
        guard abs(c) < 1 - 1e-9 else {
            throw LandscapeError.badOption(option: "--y-directions", reason: "gives a direction parallel to x (cosine \(c)): use another kind or seed, or --y-select for the paper's one-tensor-per-axis probe")
        }
        return (dx, d.orthogonalized(against: dx), c)
    }
}
