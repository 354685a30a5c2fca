import ArgumentParser
import Landscape

extension AdaptiveSharpness.Scale: ExpressibleByArgument {}
extension AdaptiveSharpness.Ball: ExpressibleByArgument {}

/// `binarybert sharpness`: average- and worst-case adaptive sharpness of each model at a stated ρ.
struct SharpnessCommand: ThreadedCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "sharpness",
        abstract: "Adaptive sharpness (average and worst case) of each model's loss at radius --rho, scale-invariant per weight.",
        discussion: """
        Perturbs the weights the forward reads on --select by δ = ρ·c⊙u, c = |ŵ| (--scale weights) or the quantizer's \
        step (--scale steps). Average case: the mean loss rise over --samples Gaussian draws of u; worst case: the \
        largest rise met by --steps steps of projected gradient ascent in the --ball. Definitions: Analyses/README.md.
        """)

    @Option(help: "Model directory (repeatable: each is measured on the same examples and draws).") var model: [String] = []
    @Option(help: "Parameter selection (KIND@LAYERS[+…], see hessian --help).") var select: String
    @Option(help: "Radius ρ (> 0): u of unit RMS moves each weight by ρ times its scale.") var rho: Double
    @Option(help: "Scale c of each weight.") var scale: AdaptiveSharpness.Scale = .weights
    @Option(help: "Gaussian draws of the average case (0 skips it).") var samples = 16
    @Option(help: "Projected gradient-ascent steps of the worst case (0 skips it).") var steps = 10
    @Option(help: "Worst-case ball.") var ball: AdaptiveSharpness.Ball = .l2
    @Option(help: "Seed of the draws.") var seed: UInt64 = 0
    @Option(help: "Directory for sharpness.json and sharpness.csv.") var output: String?
    @OptionGroup var objective: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    var job: SharpnessJob {
        var job = SharpnessJob(models: model, select: select, rho: rho, objective: objective.options(examples: 64), directory: output)
        job.scale = scale; job.samples = samples; job.steps = steps; job.ball = ball; job.seed = seed
        return job
    }

    func check() throws {
        try objective.requireTaskAndData()
        try job.validate()
    }

    func run() throws { try printJSONLine(try job.run(log: { standardError("sharpness: " + $0) })) }

    static func arguments(_ job: SharpnessJob) -> [String] {
        let d = SharpnessJob(models: [], select: job.select, rho: job.rho, objective: job.objective), o = job.objective
        var a = ArgumentWriter("sharpness")
        for m in job.models { a.options(["--model": m]) }
        a.task(o.task, data: o.data, maxLength: o.maxLength)
        a.options(["--select": job.select, "--rho": ArgumentWriter.number(job.rho)])
        a.nondefault(["--scale": (job.scale.rawValue, d.scale.rawValue), "--samples": (job.samples, d.samples), "--steps": (job.steps, d.steps),
                      "--ball": (job.ball.rawValue, d.ball.rawValue), "--seed": (job.seed, d.seed)])
        a.objectiveExamples(o)
        a.options(["--output": job.directory])
        return a.words
    }
}
