/// The options of a scan as the user gives them: what moves (`select`, `ySelect`), along which directions, in which
/// space, on which grid, which part of it (`shard`), and how the points are computed.
public struct LandscapeOptions: Codable, Sendable, Equatable {
    public var select: String
    public var ySelect: String?
    public var includeBiases = false
    public var oneD: OneDPolicy = .zero
    public var space: PerturbationSpace = .latent
    public var directions: DirectionKind = .filter
    public var yDirections: DirectionKind?
    public var grid: SurfaceGrid
    public var directionSeed: UInt64 = 0
    public var directionSeeds = 1
    public var shard: Shard?
    public var prefixCache = true
    public var cacheMB = 1024
    /// Accept `hessian:`/`file:` direction files whose recorded model sha256 is another model's.
    public var allowOtherModel = false
    /// The affine shortcut for the entry stage's dense layer outside the latent space (`SurfaceProbe`).
    public var affine = true

    public init(select: String, grid: SurfaceGrid) { self.select = select; self.grid = grid }

    /// A direction is drawn from the seeds (`directionSeed`, `directionSeeds`).
    public var drawsDirections: Bool { directions.isRandom || (yDirections ?? directions).isRandom && grid.isTwoDimensional }

    enum CodingKeys: String, CodingKey {
        case select, ySelect, includeBiases, oneD, space, directions, yDirections, grid, directionSeed, directionSeeds, shard, prefixCache
        case cacheMB = "cacheMb", allowOtherModel, affine
    }
}
