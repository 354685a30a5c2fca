import BERT
import Foundation
import Numerics
import Probe
import Storage

/// `sharpness`'s result: every model's adaptive sharpness on one objective (the same examples and draws for each),
/// with what made it.
public struct SharpnessReport: Encodable, Sendable {
    public struct Model: Encodable, Sendable {
        public var model: String
        public var modelSha256: String
        public var kind: String
        public var result: AdaptiveSharpness
        enum CodingKeys: String, CodingKey { case model, kind, result, modelSha256 = "model_sha256" }
    }

    public var command: [String]
    public var select: String
    public var seed: UInt64
    public var task: String
    public var data: String
    public var split: String
    public var examples: Int
    public var indicesSha256: String
    public var batchSize: Int
    public var batching: String
    public var maxLength: Int
    public var dtype = "float32"
    public var threads: Int
    public var blasCore: String
    public var models: [Model]

    enum CodingKeys: String, CodingKey {
        case command, select, seed, task, data, split, examples, batching, dtype, threads, models
        case indicesSha256 = "indices_sha256", batchSize = "batch_size", maxLength = "max_length", blasCore = "blas_core"
    }

    /// Measures every model in turn (Float) on the objective `options` describes.
    public static func measure(models: [URL], select: String, objective options: ProbeObjectiveOptions, request: AdaptiveSharpness.Request,
                               log: @escaping (String) -> Void) throws -> SharpnessReport {
        try request.validate()
        let probes = try models.map { try ProbeModel<Float>(directory: $0) }
        let data = try ProbeData.prepare(options, models: probes, log: log)
        var out: [Model] = []
        for probe in probes {
            let selection = try ParameterSelection(select, table: probe.model.table, layers: probe.model.config.numHiddenLayers)
            let objective = try data.objective(for: probe)
            log("\(probe.label): \(selection.dimension) weights of \(select), ρ = \(request.rho), scale \(request.scale.rawValue)")
            let r = try AdaptiveSharpness.run(probe: probe, objective: objective, views: selection.views, request: request, progress: { log("\(probe.label): \($0)") })
            out.append(Model(model: Provenance.relative(probe.directory.path), modelSha256: probe.sha256, kind: probe.kind, result: r))
        }
        return SharpnessReport(command: Provenance.command, select: select, seed: request.seed, task: data.task.name,
                               data: Provenance.relative(URL(fileURLWithPath: options.data).path), split: options.split,
                               examples: data.chosen.indices.count, indicesSha256: data.chosen.indicesHash, batchSize: options.batchSize,
                               batching: data.chosen.batching, maxLength: options.maxLength, threads: Parallel.threads,
                               blasCore: BLASInfo.coreName, models: out)
    }

    /// OUTPUT/sharpness.json, written whole or not at all.
    public func write(to directory: URL) throws {
        try AtomicFile.write(try JSONFormat.file(self) + Data("\n".utf8), to: directory.appendingPathComponent("sharpness.json"), createParent: true)
    }
}
