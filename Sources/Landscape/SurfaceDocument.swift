import Foundation
import Probe
import Storage

/// A scan's sidecar (`surface.json`, or `part-K-of-N.json` for a shard): what the caller records about the scan
/// (`Sidecar`: for `landscape`, the probe's provenance and a `ScanProvenance`), the scan's own fields, and once
/// complete the statistics and the last run's counts.
struct SurfaceDocument<Sidecar: Encodable>: Encodable {
    var sidecar: Sidecar
    var scan: Fields
    var completion: SurfaceCompletion?

    func encode(to encoder: Encoder) throws {
        try JSONObjectParts(sidecar, scan, completion).encode(to: encoder)
    }

    /// The scan's identity, grid, shard (null without one), CSV, direction seed (null for fixed directions) and status.
    struct Fields: Encodable {
        var identity: [String: String]
        var grid: Grid
        @NullWhenAbsent var shard: Part?
        var csv: String
        @NullWhenAbsent var directionSeed: UInt64?
        var status: String
    }

    struct Grid: Encodable {
        var x: String
        @NullWhenAbsent var y: String?
        var points: Int
        var index = "k = j·Nx + i (x fastest)"

        init(_ grid: SurfaceGrid) {
            x = grid.x.description
            y = grid.y?.description
            points = grid.pointCount
        }
    }

    /// The shard a part holds: K of N, where the split came from, and how many points it owns.
    struct Part: Encodable {
        var index: Int, count: Int, source: String, points: Int
    }
}

/// What a finished scan adds to its sidecar: the statistics of the whole surface (not of a shard's part) with their
/// definitions, and the last run's seconds, points computed and non-finite points.
struct SurfaceCompletion: Encodable {
    var statistics: Statistics?
    var counts: Counts

    init(statistics: SurfaceStatistics?, seconds: Double, computed: Int, points: [Int: SurfacePoint]) {
        self.statistics = statistics.map { Statistics(statistics: $0) }
        counts = Counts(secondsLastRun: seconds, pointsComputedLastRun: computed, nonFinitePoints: points.values.filter { !$0.loss.isFinite }.count)
    }

    func encode(to encoder: Encoder) throws {
        try JSONObjectParts(statistics, counts).encode(to: encoder)
    }

    struct Statistics: Encodable {
        var statistics: SurfaceStatistics
        var statisticsDefinitions = SurfaceStatistics.definitions
        var statisticsCsv = SurfaceStatistics.fileName
    }

    struct Counts: Encodable {
        var secondsLastRun: Double
        var pointsComputedLastRun: Int
        var nonFinitePoints: Int
    }
}

extension SurfaceStatistics: Encodable {
    /// The statistics by name; a non-finite value is null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        for v in values {
            if v.value.isFinite { try c.encode(v.value, forKey: JSONKey(v.name)) } else { try c.encodeNil(forKey: JSONKey(v.name)) }
        }
    }
}

/// What `landscape` records in each scan's sidecar besides the scan and the probe's provenance: the model, the
/// space and its definition, the selections, both directions, the point's formula and the prefix cache.
public struct ScanProvenance: Encodable {
    public var model: [String: String]
    public var space: PerturbationSpace
    public var spaceDefinition: String
    public var selection: Selection
    public var directions: Directions
    public var point = "θ₀ + x·d_x + y·d_y from the unperturbed weights of the space"
    public var prefixCache: PrefixCache

    public struct Selection: Encodable {
        public var x: [String]
        public var y: [String]
        public var includeBiases: Bool
        public var oneD: OneDPolicy
        public var dimension: Int
    }

    /// One direction: its kind, file (for hessian:/file: directions) and seed (for drawn ones), norm and
    /// normalization, the file it is saved in, its selection and the tensors it moves.
    public struct DirectionRecord: Encodable {
        public var kind: String
        @NullWhenAbsent public var path: String?
        @NullWhenAbsent public var seed: UInt64?
        public var norm: Double
        public var normalization: String
        public var file: String
        public var selection: String
        public var tensors: [String]

        init(_ d: Direction, file: String, selection: String) {
            kind = d.kind.name
            path = d.kind.path
            seed = d.seed
            norm = d.norm
            normalization = d.normalization
            self.file = file
            self.selection = selection
            tensors = zip(d.views, d.values).filter { $0.1.contains { $0 != 0 } }.map { $0.0.name }
        }
    }

    /// Both directions of a 2-D scan with their cosine before and after y is orthogonalized against x.
    public struct Directions: Encodable {
        public var x: DirectionRecord
        public var y: DirectionRecord?
        public var cosineBeforeOrthogonalization: Double?
        public var cosineAfterOrthogonalization: Double?
    }

    public struct PrefixCache: Encodable {
        public var enabled: Bool
        public var boundary: String
        public var layerEntry: String
        public var bytes: Int
        public var budgetMb: Int
        @NullWhenAbsent public var affineStage: String?
    }
}

/// The line `landscape` prints: the output, one entry per scan (seed), the seconds and the shard (null without one).
public struct LandscapeResultLine: Encodable {
    public var output: String
    public var results: [Scan]
    public var seconds: Double
    @NullWhenAbsent public var shard: String?

    /// One scan: its CSV and sidecar, the points it owns and computed, its seconds, its direction seed (drawn
    /// directions only) and, for a whole surface, the loss at the centre and the sharpness at the largest radius
    /// (null when not finite).
    public struct Scan: Encodable {
        public var csv: String
        public var json: String
        public var points: Int
        public var computed: Int
        public var seconds: Double
        public var directionSeed: UInt64?
        public var lossCenter: NullWhenAbsent<Double>?
        public var sharpnessR3: NullWhenAbsent<Double>?

        public init(_ unit: LandscapeRun.Unit) {
            csv = unit.outcome.csv.path
            json = unit.outcome.sidecar.path
            points = unit.outcome.owned
            computed = unit.outcome.computed
            seconds = unit.outcome.seconds
            directionSeed = unit.seed
            if let statistics = unit.outcome.statistics {
                lossCenter = NullWhenAbsent(wrappedValue: JSONFormat.finite(statistics["loss_center"]))
                sharpnessR3 = NullWhenAbsent(wrappedValue: JSONFormat.finite(statistics["sharpness_r3"]))
            }
        }
    }

    public init(output: String, units: [LandscapeRun.Unit], seconds: Double, shard: Shard?) {
        self.output = output
        results = units.map(Scan.init)
        self.seconds = seconds
        self.shard = shard?.description
    }
}

/// The line `landscape --merge` prints: each merged surface (its CSV and number of parts) and the output.
public struct LandscapeMergeLine: Encodable {
    public struct Merged: Encodable {
        public var csv: String
        public var parts: Int
    }
    public var merged: [Merged]
    public var output: String

    public init(_ outcomes: [SurfaceMerge.Outcome], output: String) {
        merged = outcomes.map { Merged(csv: $0.csv.path, parts: $0.parts) }
        self.output = output
    }
}
