import Numerics
import Probe

/// `binarybert landscape` (a scan; `--merge` only assembles shards): the loss of `model` on `objective` over the
/// grid of `scan`, computed in `dtype`, into `output`.
public struct LandscapeJob: Codable, Sendable, Equatable {
    public var model: String
    public var scan: LandscapeOptions
    public var objective: ProbeObjectiveOptions
    public var dtype = DType.float32
    public var output: String

    public init(model: String, scan: LandscapeOptions, objective: ProbeObjectiveOptions, output: String) {
        self.model = model
        self.scan = scan
        self.objective = objective
        self.output = output
    }

    /// The paths it reads.
    public var reads: [String] { [model, objective.data] + [scan.directions.path, scan.yDirections?.path].compactMap { $0 } }

    /// The scan's request, sharded by `scan.shard` or else by a launcher's variables in `environment`.
    public func request(environment: [String: String]) throws -> LandscapeRequest {
        var request = LandscapeRequest(options: scan)
        if request.shard == nil { request.shard = try Shard.fromEnvironment(environment) }
        return request
    }
}
