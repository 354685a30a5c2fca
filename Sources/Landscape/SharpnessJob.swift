import Foundation
import Probe

/// `binarybert sharpness`: every model's average- and worst-case adaptive sharpness at radius `rho` on one
/// objective (the same examples and draws for each), into DIRECTORY/sharpness.json and sharpness.csv when
/// `directory` (`--output`) is given.
public struct SharpnessJob: Codable, Sendable, Equatable {
    public var models: [String]
    /// The parameter selection (`KIND@LAYERS[+…]`) the perturbation moves.
    public var select: String
    public var rho: Double
    public var scale: AdaptiveSharpness.Scale = .weights
    /// Gaussian draws of the average case and projected gradient-ascent steps of the worst case (0 skips either).
    public var samples = 16
    public var steps = 10
    public var ball: AdaptiveSharpness.Ball = .l2
    public var seed: UInt64 = 0
    public var objective: ProbeObjectiveOptions
    public var directory: String?

    public init(models: [String], select: String, rho: Double, objective: ProbeObjectiveOptions, directory: String? = nil) {
        self.models = models
        self.select = select
        self.rho = rho
        self.objective = objective
        self.directory = directory
    }

    /// The paths it reads.
    public var reads: [String] { models + [objective.data] }

    public var request: AdaptiveSharpness.Request {
        AdaptiveSharpness.Request(rho: rho, scale: scale, samples: samples, steps: steps, ball: ball, seed: seed)
    }

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        try objective.validate()
        guard !models.isEmpty else { throw LandscapeError.badOption(option: "--model", reason: "is required") }
        try request.validate()
    }

    /// Measures every model and writes the result when `directory` is set.
    public func run(log: @escaping (String) -> Void) throws -> SharpnessReport {
        try validate()
        let result = try SharpnessReport.measure(models: models.map { URL(fileURLWithPath: $0) }, select: select, objective: objective,
                                                 request: request, log: log)
        if let directory { try result.write(to: URL(fileURLWithPath: directory)) }
        return result
    }
}
