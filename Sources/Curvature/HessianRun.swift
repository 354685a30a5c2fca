import BERT
import Foundation
import Probe
import Numerics
import Storage
import Training

/// A whole `binarybert hessian` run on its models, in the order the command takes it: `analyze` (--select: one
/// `HessianAnalysis` per model), the per-module table (`openPerModuleTable`, then `perModule`), and `finish`, which
/// writes OUTPUT/hessian.json and returns the one-line result. The document and the line are built here; the command
/// only checks its options between the steps and prints the line.
public final class HessianRun<T: BLASReal> {
    public let probes: [ProbeModel<T>]
    public let data: ProbeData
    public let view: CurvatureView
    public let output: URL
    public private(set) var document: HessianDocument
    private var results: [HessianResultLine.Entry] = []
    private let started: Date
    private let progress: (String) -> Void

    /// `started`: when the command began (the document's seconds count from there, model loading included).
    public init(probes: [ProbeModel<T>], data: ProbeData, provenance: ProbeProvenance, seed: UInt64, space: HessianAnalysis.Space,
                view: CurvatureView, output: URL, started: Date, progress: @escaping (String) -> Void) {
        self.probes = probes
        self.data = data
        self.view = view
        self.output = output
        self.started = started
        self.progress = progress
        document = HessianDocument(provenance: provenance, seed: seed, space: space, view: view.record)
    }

    /// --select: the request on `select` for every model, in order (eigenvectors under OUTPUT/<label>/).
    public func analyze(select: String, includeBiases: Bool, request: HessianAnalysis.Request) throws {
        var reports: [HessianAnalysis.Report] = []
        for p in probes {
            let selection = try ParameterSelection(select, table: p.model.table, layers: p.model.config.numHiddenLayers, includeBiases: includeBiases)
            document.results.selection = HessianDocument.Selection(spec: select, includeBiases: includeBiases, tensors: selection.names, dimension: selection.dimension)
            progress("\(p.label): selection \(select) = \(selection.names.count) tensors, dimension \(selection.dimension)")
            let report = try HessianAnalysis.analyze(p, objective: try data.objective(for: p), selection: selection.views, request: request,
                                                     output: output, progress: progress)
            reports.append(report)
            results.append(.model(HessianResultLine.ModelSummary(report)))
        }
        document.results.models = ReadBackNumbers(reports)
    }

    /// The per-module table of this run's view (OUTPUT/per-module.csv, or per-module-<view>.csv), resumed where an
    /// interrupted run left it.
    public func openPerModuleTable() throws -> PerModuleTable {
        try PerModuleTable(url: output.appendingPathComponent(view.isDefault ? "per-module.csv" : "per-module-\(view.slug).csv"))
    }

    /// --per-module: every model's λ_max and λ_min per module kind, layer of `layers` and mini-batch of `miniBatches`
    /// (`batches` of them) into `table`, its summary and each model's loss on those examples.
    public func perModule(table: PerModuleTable, layers: [Int], batches: Int, miniBatches: ProbeExamples, options: Lanczos.Options) throws {
        let all = miniBatches.batches(data.encoded).map { [$0] }
        if !view.isDefault { try requireView(on: all[0], layers: layers) }
        for p in probes {
            let make = curvature(of: p)
            try PerModuleCurvature.run(label: p.label, model: p.model, batches: all, modules: CurvatureModule.allCases, layers: layers,
                                       options: options, table: table, progress: progress, curvature: make)
        }
        try table.finish(modelOrder: probes.map(\.label))
        let summary = PerModuleCurvature.summarize(table.rows, models: probes.map(\.label), reference: probes[0].label, seed: document.results.seed)
        var models: [HessianDocument.ModelLoss] = []
        for p in probes {
            let (loss, accuracy) = try LossObjective(model: p.model, batches: miniBatches.batches(data.encoded)).lossAndAccuracy()
            models.append(HessianDocument.ModelLoss(description: p.description, loss: .init(loss: loss, accuracy: accuracy)))
        }
        document.results.perModule = HessianDocument.PerModule(table: .init(
            csv: table.url.lastPathComponent, batches: batches, batchSize: data.options.batchSize, batching: miniBatches.batching,
            examplesIndicesSha256: miniBatches.indicesHash, layers: layers, modules: CurvatureModule.allCases.map(\.rawValue),
            reference: probes[0].label, lanczos: HessianDocument.LanczosSettings(maxHvps: options.maxMatvecs, tol: options.tolerance),
            models: models, summary: ReadBackNumbers(summary)), view: view.record)
        results.append(.perModule(.init(perModule: table.url.path, cells: table.rows.count)))
    }

    /// --heterogeneity: every model's spectral density per module kind and layer of `layers` (SLQ, `runs` × `steps`,
    /// on the objective's examples) and the Jensen–Shannon distance between every two blocks, into
    /// OUTPUT/heterogeneity.csv (one row per pair) and OUTPUT/heterogeneity-density.csv (each block's smoothed density),
    /// with each model's mean distances in hessian.json.
    public func heterogeneity(layers: [Int], runs: Int, steps: Int, seed: UInt64) throws {
        var pairs: [[String]] = [], curves: [[String]] = []
        var summaries: [HessianDocument.Heterogeneity.Model] = []
        for p in probes {
            let objective = try data.objective(for: p)
            let make = curvature(of: p)
            progress("\(p.label): module heterogeneity, \(layers.count) layers × \(CurvatureModule.allCases.count) modules, SLQ \(runs) × \(steps)")
            let blocks = try ModuleHeterogeneity.measure(objective: objective, modules: CurvatureModule.allCases, layers: layers, runs: runs,
                                                         steps: steps, seed: seed, progress: { self.progress("\(p.label) \($0)") }, curvature: make)
            let h = try ModuleHeterogeneity(blocks: blocks)
            let byName = Dictionary(uniqueKeysWithValues: h.blocks.map { ($0.name, $0) })
            for d in h.distances {
                let a = byName[d.a]!, b = byName[d.b]!
                pairs.append([p.label, d.a, d.b, a.module.rawValue, String(a.layer), b.module.rawValue, String(b.layer), TidyCSV.number(d.distance)])
            }
            for (block, density) in zip(h.blocks, h.densities) {
                for (t, y) in zip(h.grid, density) {
                    let lambda = (t < 0 ? -1 : 1) * h.linearScale * (Foundation.pow(10, abs(t)) - 1)
                    curves.append([p.label, block.name, block.module.rawValue, String(block.layer), TidyCSV.number(t), TidyCSV.number(lambda), TidyCSV.number(y)])
                }
            }
            summaries.append(.init(label: p.label, blocks: h.blocks.count, matvecs: blocks.reduce(0) { $0 + $1.density.matvecs }, sigma: h.sigma,
                                   linearScale: h.linearScale,
                                   meanDistance: h.meanDistance, meanWithinKind: h.meanWithinKind, meanWithinLayer: h.meanWithinLayer))
        }
        let pairsURL = output.appendingPathComponent("heterogeneity.csv"), curvesURL = output.appendingPathComponent("heterogeneity-density.csv")
        try AtomicFile.write(TidyCSV.text(header: ["model", "a", "b", "module_a", "layer_a", "module_b", "layer_b", "distance"], rows: pairs), to: pairsURL)
        try AtomicFile.write(TidyCSV.text(header: ["model", "block", "module", "layer", "symlog_eigenvalue", "eigenvalue", "density"], rows: curves), to: curvesURL)
        document.results.heterogeneity = HessianDocument.Heterogeneity(
            csv: pairsURL.lastPathComponent, densityCsv: curvesURL.lastPathComponent, layers: layers,
            modules: CurvatureModule.allCases.map(\.rawValue), runs: runs, steps: steps, models: summaries, view: view.record)
        results.append(.heterogeneity(.init(heterogeneity: pairsURL.path, pairs: pairs.count)))
    }

    /// The operator of this run's view on a block of `probe`'s objective; nil for the raw Hessian (the callers' default).
    private func curvature(of probe: ProbeModel<T>) -> ((LossObjective<T>, [ParameterView]) throws -> LinearOperator)? {
        let view = self.view
        return view.isDefault ? nil : { objective, selection in try view.makeOperator(probe, objective: objective, selection: selection) }
    }

    /// Refuses a view a model cannot have (a GGN without logits, steps of a full-precision model) before any cell
    /// is computed.
    private func requireView(on batch: [(tokens: TokenBatch, targets: Targets)], layers: [Int]) throws {
        for p in probes {
            let objective = try LossObjective(model: p.model, batches: batch)
            for module in CurvatureModule.allCases {
                for layer in layers {
                    let selection = try ParameterSelection(module.spec(layer: layer), table: p.model.table, layers: p.model.config.numHiddenLayers)
                    _ = try view.makeOperator(p, objective: objective, selection: selection.views)
                }
            }
        }
    }

    /// Writes OUTPUT/hessian.json (atomically) and returns the run's one-line result.
    public func finish() throws -> HessianResultLine {
        document.results.seconds = Date().timeIntervalSince(started)
        let url = output.appendingPathComponent(HessianDocument.fileName)
        try AtomicFile.write(try JSONFormat.file(document, nonFinite: .named), to: url)
        return HessianResultLine(output: url.path, results: results, seconds: document.results.seconds)
    }
}

/// OUTPUT/hessian.json: what a `hessian` run computed and how — the probe's provenance, the curvature view (when not
/// the raw Hessian), then the seed and space, the selection and one `HessianAnalysis.Report` per model (--select)
/// and the per-module table's summary (--per-module). Non-finite numbers are written as "NaN", "Infinity" and
/// "-Infinity"; the reports and the summary keep the number notation they have always had (`ReadBackNumbers`).
public struct HessianDocument: Encodable {
    public static let fileName = "hessian.json"

    public var provenance: ProbeProvenance
    /// The curvature view; nil for the raw Hessian (so that the default output is unchanged).
    public var view: CurvatureView.Record?
    public var results: Results

    public init(provenance: ProbeProvenance, seed: UInt64, space: HessianAnalysis.Space, view: CurvatureView.Record?) {
        self.provenance = provenance
        self.view = view
        results = Results(seed: seed, space: space)
    }

    public func encode(to encoder: Encoder) throws {
        try JSONObjectParts(provenance, view, results).encode(to: encoder)
    }

    /// The document's own fields.
    public struct Results: Encodable {
        public var seed: UInt64
        public var hessianOf = "mean task loss over the objective's examples w.r.t. the weights the forward reads (ŵ for quantized models); "
            + "activation quantizers frozen and straight-through (STE surrogate)"
        public var space: HessianAnalysis.Space
        public var selection: Selection?
        public var models: ReadBackNumbers<[HessianAnalysis.Report]>?
        public var perModule: PerModule?
        public var heterogeneity: Heterogeneity?
        public var seconds = 0.0

        init(seed: UInt64, space: HessianAnalysis.Space) {
            self.seed = seed
            self.space = space
        }
    }

    public struct Selection: Encodable, Sendable {
        public var spec: String
        public var includeBiases: Bool
        public var tensors: [String]
        public var dimension: Int
    }

    /// A model's description with its loss and accuracy (null for regression) on the per-module examples.
    public struct ModelLoss: Encodable {
        public var description: [String: String]
        public var loss: Loss

        public struct Loss: Encodable {
            public var loss: Double
            @NullWhenAbsent public var accuracy: Double?
        }

        public func encode(to encoder: Encoder) throws {
            try JSONObjectParts(description, loss).encode(to: encoder)
        }
    }

    /// The module heterogeneity: its files and settings and, per model, the mean Jensen–Shannon distance over all
    /// pairs of blocks, over the pairs of one module kind in different layers, and over different kinds in one layer.
    public struct Heterogeneity: Encodable {
        public var csv: String
        public var densityCsv: String
        public var layers: [Int]
        public var modules: [String]
        public var runs: Int, steps: Int
        public var distance = "Jensen–Shannon distance (base 2, in [0, 1]) between two blocks' SLQ densities on the axis t = sign(λ)·log10(1 + |λ|/s), s = 0.001 × the model's largest |node|, Gaussian-smoothed there with σ = 1% of the nodes' range in t on one grid"
        public var models: [Model]
        public var view: CurvatureView.Record?

        public struct Model: Encodable {
            public var label: String
            public var blocks: Int
            public var matvecs: Int
            /// The smoothing width on the t axis and the scale s where it turns logarithmic.
            public var sigma: Double
            public var linearScale: Double
            public var meanDistance: Double
            @NullWhenAbsent public var meanWithinKind: Double?
            @NullWhenAbsent public var meanWithinLayer: Double?
        }
    }

    public struct LanczosSettings: Encodable, Sendable {
        public var maxHvps: Int
        public var tol: Double
        public var ends = [SpectrumEnd.largestAlgebraic, .smallestAlgebraic]
    }

    /// The per-module table: its settings, models and summary, and the curvature view (when not the raw Hessian).
    public struct PerModule: Encodable {
        public var table: Table
        public var view: CurvatureView.Record?

        public func encode(to encoder: Encoder) throws {
            try JSONObjectParts(table, view).encode(to: encoder)
        }

        public struct Table: Encodable {
            public var csv: String
            public var batches: Int
            public var batchSize: Int
            public var batching: String
            public var examplesIndicesSha256: String
            public var layers: [Int]
            public var modules: [String]
            public var reference: String
            public var lanczos: LanczosSettings
            public var ratio = "mean λ_max of the model / mean λ_max of the reference over the same layer × batch cells; 95% interval from 2000 paired bootstrap resamples of cells"
            public var models: [ModelLoss]
            public var summary: ReadBackNumbers<[PerModuleSummary]>
        }
    }
}

/// The line `hessian` prints: where hessian.json is, one entry per model of --select (its loss, HVPs, seconds and
/// the eigenvalues, trace and quadratic ratio it computed) and one for the per-module table, and the seconds.
public struct HessianResultLine: Encodable {
    public var output: String
    public var results: [Entry]
    public var seconds: Double

    public enum Entry: Encodable {
        case model(ModelSummary)
        case perModule(PerModuleTable)
        case heterogeneity(HeterogeneityTable)

        public func encode(to encoder: Encoder) throws {
            switch self {
            case let .model(summary): try summary.encode(to: encoder)
            case let .perModule(table): try table.encode(to: encoder)
            case let .heterogeneity(table): try table.encode(to: encoder)
            }
        }
    }

    /// The heterogeneity table's path and its number of block pairs.
    public struct HeterogeneityTable: Encodable {
        public var heterogeneity: String
        public var pairs: Int
    }

    /// The per-module table's path and its number of cells.
    public struct PerModuleTable: Encodable {
        public var perModule: String
        public var cells: Int
    }

    public struct ModelSummary: Encodable {
        public var model: String
        public var loss: Double
        public var hvps: Int
        public var seconds: Double
        public var accuracy: Double?
        public var top: [Double]?
        public var bottom: [Double]?
        public var trace: Double?
        public var traceSe: Double?
        /// Present when the quadratic check ran: its ratio, or null when the measured change was 0.
        public var quadraticRatio: NullWhenAbsent<Double>?

        init(_ report: HessianAnalysis.Report) {
            model = report.model["label"] ?? ""
            loss = report.loss
            hvps = report.hvps
            seconds = report.seconds
            accuracy = report.accuracy
            top = report.top?.values
            bottom = report.bottom?.values
            trace = report.trace?.estimate
            traceSe = report.trace?.standardError
            quadraticRatio = report.quadraticCheck.map { NullWhenAbsent(wrappedValue: $0.ratio) }
        }
    }
}

extension CurvatureView {
    /// The view as a result records it beside its numbers: the curvature matrix, the scale and the formula.
    public struct Record: Encodable, Sendable {
        public var curvature: CurvatureProduct
        public var scale: CurvatureScale
        public var matrix: String
    }

    /// nil for the raw Hessian, which results leave unsaid.
    public var record: Record? { isDefault ? nil : Record(curvature: product, scale: scale, matrix: formula) }
}
