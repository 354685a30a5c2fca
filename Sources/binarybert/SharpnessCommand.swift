import ArgumentParser
import BERT
import Foundation
import Landscape
import Numerics
import Probe
import Storage

extension AdaptiveSharpness.Scale: ExpressibleByArgument {}
extension AdaptiveSharpness.Ball: ExpressibleByArgument {}

/// `binarybert sharpness`: average- and worst-case adaptive sharpness of each model at a stated ρ.
struct SharpnessCommand: ParsableCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "sharpness",
        abstract: "Adaptive sharpness (average and worst case) of each model's loss at radius --rho, scale-invariant per weight.",
        discussion: """
        Perturbs the weights the forward reads (ŵ for a quantized model) on --select by δ = ρ·c⊙u, c = |ŵ| \
        (--scale weights: the adaptive convention; a ternary tensor's zeros do not move) or the quantizer's step \
        (--scale steps). Average case: the mean loss rise over --samples Gaussian draws of u (with its standard error \
        over the draws); worst case: the largest rise met by --steps steps of projected gradient ascent within \
        ‖u‖₂ ≤ √d (--ball l2) or |u_i| ≤ 1 (--ball linf). Definitions and references: Analyses/README.md. Prints one \
        JSON object; --output DIR also writes sharpness.json (with what made it) and the tidy sharpness.csv.
        """)

    @Option(help: "Model directory (repeatable: each is measured on the same examples and draws).") var model: [String] = []
    @Option(help: "Parameter selection (KIND@LAYERS[+…], see hessian --help).") var select: String
    @Option(help: "Radius ρ (> 0): u of unit RMS moves each weight by ρ times its scale.") var rho: Double
    @Option(help: "Scale c of each weight: \(AdaptiveSharpness.Scale.allCases.map(\.rawValue).joined(separator: ", ")).") var scale: AdaptiveSharpness.Scale = .weights
    @Option(help: "Gaussian draws of the average case (0 skips it).") var samples = 16
    @Option(help: "Projected gradient-ascent steps of the worst case (0 skips it).") var steps = 10
    @Option(help: "Worst-case ball: \(AdaptiveSharpness.Ball.allCases.map(\.rawValue).joined(separator: ", ")).") var ball: AdaptiveSharpness.Ball = .l2
    @Option(help: "Seed of the draws.") var seed: UInt64 = 0
    @Option(help: "Directory for sharpness.json and sharpness.csv.") var output: String?
    @OptionGroup var objective: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    /// The command's typed options.
    var job: SharpnessJob {
        var job = SharpnessJob(models: model, select: select, rho: rho, objective: objective.options(examples: 64), directory: output)
        job.scale = scale; job.samples = samples; job.steps = steps; job.ball = ball; job.seed = seed
        return job
    }

    func check() throws {
        try objective.requireTaskAndData()
        try job.validate()
    }

    func run() throws {
        try threading.apply()
        try printJSONLine(try job.run(log: { standardError("sharpness: " + $0) }))
    }

    /// `job` as this command's arguments: every option that differs from its default.
    static func arguments(_ job: SharpnessJob) -> [String] {
        let d = SharpnessJob(models: [], select: job.select, rho: job.rho, objective: job.objective)
        var a = ArgumentWriter("sharpness")
        for m in job.models { a.options(["--model": m]) }
        a.task(job.objective.task, data: job.objective.data, maxLength: job.objective.maxLength)
        a.options(["--select": job.select, "--rho": ArgumentWriter.number(job.rho)])
        a.nondefault(["--scale": (job.scale.rawValue, d.scale.rawValue), "--samples": (job.samples, d.samples), "--steps": (job.steps, d.steps),
                      "--ball": (job.ball.rawValue, d.ball.rawValue), "--seed": (job.seed, d.seed)])
        a.objectiveExamples(job.objective)
        a.options(["--output": job.directory])
        return a.words
    }
}
