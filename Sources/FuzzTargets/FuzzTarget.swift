import BERT
import Curvature
import Foundation
import AdaptiveSplit
import Probe
import Storage
import Landscape
import Numerics
import Plotting
import Quantization
import Report
import Text

/// The parsers a user's files reach, each as a function of raw bytes that must end in a value or a thrown error —
/// never a trap, a hang or an unbounded allocation. The libFuzzer driver (`binarybert-fuzz`, built with
/// `-sanitize=fuzzer,address`) and the ordinary test suite (the crash corpus and seeded mutations) call them.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A safetensors file: header, offsets, dtypes, then every tensor's values converted.
    case safetensors
    /// A model directory whose `model.safetensors` is the input (a fixed tiny config): shapes, names, values.
    case model
    /// `config.json`, decoded and validated.
    case config
    /// `quantization.json` of a tiny model, applied to it.
    case quantization
    /// A packed model directory whose `model.packed.safetensors` is the input.
    case packed
    /// `vocab.txt`, then the tokenizer of its directory encoding a fixed sentence pair.
    case vocab
    /// A GLUE TSV (the first byte picks the task) or the rt-polarity sentence file.
    case tsv
    /// The tidy CSV `plot` reads.
    case csv
    /// A landscape scan's `surface.csv`, read for resume against a fixed grid.
    case surface
    /// The per-module curvature table read on resume.
    case permodule
    /// The adaptive-split sensitivity table read on resume.
    case sensitivity
    /// The JSON of the report's stage markers and sidecars.
    case json
    /// A parameter selection (`KIND@LAYERS`), a grid axis, a direction kind or a shard (the first byte picks).
    case spec
    /// An eigenvector file (`hessian --warm-start`) against a tiny model's selection.
    case eigenvectors
    /// A report spec (`report --spec`), decoded strictly and validated.
    case reportSpec = "report-spec"
    /// A report table read back for `report --render-only` (every number cell checked).
    case reportTable = "report-table"

    /// Runs the parser on `data`; errors are the expected outcome for most inputs and are swallowed.
    public func run(_ data: Data) {
        do { try check(data) } catch {}
    }

    /// Runs the parser on `data`, throwing what it throws.
    public func check(_ data: Data) throws {
        let w = FuzzWorkspace.shared
        switch self {
        case .safetensors:
            let file = try SafetensorsFile(url: URL(fileURLWithPath: "fuzz.safetensors"), data: data)
            for t in file.tensors where t.shape.reduce(1, *) <= 1 << 16 {
                let n = t.shape.reduce(1, *)
                var out = [Double](repeating: 0, count: n)
                try? out.withUnsafeMutableBufferPointer { try file.copyValues(t.name, into: $0.baseAddress!, count: n) }
                _ = try? file.integers(t.name)
            }
        case .model:
            let dir = try w.directory("model", copying: ["config.json", "vocab.txt"], from: w.plain, input: ("model.safetensors", data))
            _ = try ModelDirectory.load(dir, as: Float.self)
        case .config:
            let dir = try w.directory("config", copying: [], from: w.plain, input: ("config.json", data))
            _ = try ModelDirectory.loadConfig(dir)
        case .quantization:
            let dir = try w.directory("quantization", copying: ["config.json", "model.safetensors", "vocab.txt"], from: w.plain,
                                      input: ("quantization.json", data))
            _ = try QuantizedModelDirectory.load(dir, as: Float.self)
        case .packed:
            let dir = try w.directory("packed", copying: ["config.json", "quantization.json", "vocab.txt"], from: w.packed,
                                      input: (PackedModel.fileName, data))
            _ = try PackedModel.load(dir, as: Float.self)
        case .vocab:
            let dir = try w.directory("vocab", copying: [], from: w.plain, input: ("vocab.txt", data))
            _ = try BertTokenizer(modelDirectory: dir).encode("the Movie is über-good!", "nice", maxLength: 16)
        case .tsv:
            guard let first = data.first else { return }
            let tasks = Tasks.all
            let task = tasks[Int(first) % tasks.count]
            let body = data.dropFirst()
            let root = try w.scratch("tsv")
            if task.name.hasPrefix("rt-") {
                try Data(body).write(to: root.appendingPathComponent(DatasetLoader.rtFileName))
            } else {
                // The data directory may be the task folder itself.
                try Data(body).write(to: root.appendingPathComponent("train.tsv"))
            }
            _ = try DatasetLoader.load(task: task, dataDirectory: root, split: "train", skipBadRows: first & 0x80 != 0)
        case .csv:
            _ = try CSVTable(text: String(decoding: data, as: UTF8.self), source: "fuzz.csv")
        case .surface:
            let url = try w.scratch("surface").appendingPathComponent("surface.csv")
            try data.write(to: url)
            _ = try SurfaceCSV.read(url, grid: SurfaceGrid(x: GridAxis(min: -1, max: 1, count: 5), y: GridAxis(min: -1, max: 1, count: 3)))
        case .permodule:
            let url = try w.scratch("permodule").appendingPathComponent("per-module.csv")
            try data.write(to: url.appendingPathExtension("partial"))
            _ = try PerModuleTable(url: url)
        case .sensitivity:
            let url = try w.scratch("sensitivity").appendingPathComponent("sensitivity.csv")
            try data.write(to: url)
            _ = try SplitSensitivity.readTable(url)
        case .json:
            _ = try JSONValue.parse(data)
        case .spec:
            guard let first = data.first else { return }
            let text = String(decoding: data.dropFirst(), as: UTF8.self)
            switch first % 4 {
            case 0: _ = try ParameterSelection(text, table: w.table, layers: w.layers)
            case 1: _ = try GridAxis(parsing: text, option: "--x")
            case 2: _ = try DirectionKind(parsing: text, option: "--directions")
            default: _ = try Shard(parsing: text)
            }
        case .eigenvectors:
            let url = try w.scratch("eigenvectors").appendingPathComponent("eigenvectors.safetensors")
            try data.write(to: url)
            _ = try EigenvectorFile.read(url, selection: Array(w.table.views.prefix(3)))
        case .reportSpec:
            let spec = try ReportSpec.decode(data)
            try spec.validate()
            _ = try ReportPlan(spec: spec, work: "w", layers: 6, trainExamples: 640)
        case .reportTable:
            let url = try w.scratch("report-table").appendingPathComponent("table.csv")
            try data.write(to: url)
            _ = try TidyTable.read(url).records
        }
    }
}
