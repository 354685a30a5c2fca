import Foundation
import Numerics
import Probe
import Storage

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

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        try objective.validate()
        guard (1...1000).contains(scan.directionSeeds) else { throw OptionError("--direction-seeds must be in 1...1000, got \(scan.directionSeeds)") }
        try OptionCheck.integer(scan.cacheMB, "--cache-mb", in: 0...(1 << 30))
        guard scan.space != .fullPrecision else {
            throw OptionError("--space must be one of \(PerturbationSpace.requestable.map(\.rawValue).joined(separator: ", "))")
        }
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

extension LandscapeJob {
    /// Runs the scan into `output` (every seed of `scan`, or this process's shard of it, continuing what an
    /// interrupted run computed) and returns the one-line result. `version` is the program's, recorded in the
    /// provenance; `environment` may shard the scan (`request(environment:)`); progress goes to `log`.
    public func run(version: String, environment: [String: String], log: @escaping (String) -> Void) throws -> LandscapeResultLine {
        dtype == .float32 ? try run(Float.self, version: version, environment: environment, log: log)
            : try run(Double.self, version: version, environment: environment, log: log)
    }

    func run<T: BLASReal>(_: T.Type, version: String, environment: [String: String], log: @escaping (String) -> Void) throws -> LandscapeResultLine {
        let clock = Date()
        let out = URL(fileURLWithPath: output)
        let probe = try ProbeModel<T>(directory: URL(fileURLWithPath: model))
        let data = try ProbeData.prepare(objective, models: [probe], log: log)
        var request = try request(environment: environment)
        request.objectiveIdentity = data.identity(dtype: dtype.rawValue)
        request.provenance = ProbeProvenance(version: version, dtype: dtype.rawValue, objective: data.record)
        log("landscape: \(probe.label) (\(probe.kind), sha256 \(probe.sha256.prefix(12))…), \(data.task.name) \(data.options.split) "
            + "\(data.chosen.indices.count) examples, \(dtype.rawValue), threads \(Parallel.threads), BLAS core \(BLASInfo.coreName)")
        let units = try LandscapeRun.run(probe: probe, objective: try data.objective(for: probe), request: request, output: out, progress: log)
        return LandscapeResultLine(output: out.path, units: units, seconds: Date().timeIntervalSince(clock), shard: request.shard)
    }
}
