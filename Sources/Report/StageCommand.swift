import AdaptiveSplit
import Curvature
import Landscape
import Quantization
import Training

/// The command a report stage runs, with its typed options: the paths it reads and the directory it writes follow
/// from them. The CLI writes it as arguments and reads arguments back into it (`StageCommandLine`); a finished stage
/// is recognised by this value, never by how its arguments are spelled. In JSON: `{"COMMAND": {its options}}`.
public enum StageCommand: Codable, Sendable, Equatable {
    case finetune(FineTuneJob)
    case quantize(QuantizeJob)
    case split(SplitJob)
    case export(ExportJob)
    case landscape(LandscapeJob)
    case hessian(HessianJob)
    case adaptiveSplit(AdaptiveSplitJob)
    case sharpness(SharpnessJob)

    /// What every command's options tell the report: the paths it reads (models, data, direction and sensitivity
    /// files) and the directory it writes.
    public protocol Job: Sendable {
        var reads: [String] { get }
        var output: String { get }
    }

    public var job: any Job {
        switch self {
        case let .finetune(j): return j
        case let .quantize(j): return j
        case let .split(j): return j
        case let .export(j): return j
        case let .landscape(j): return j
        case let .hessian(j): return j
        case let .adaptiveSplit(j): return j
        case let .sharpness(j): return j
        }
    }

    public var reads: [String] { job.reads }
    public var output: String { job.output }

    /// How an interrupted run of it continues.
    public var resume: ReportStage.Resume {
        switch self {
        case .finetune: return .finetune
        case .quantize: return .quantize
        default: return .rerun
        }
    }

    enum CodingKeys: String, CodingKey { case finetune, quantize, split, export, landscape, hessian, adaptiveSplit, sharpness }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "a stage command is an object with one command's options"))
        }
        switch key {
        case .finetune: self = .finetune(try c.decode(FineTuneJob.self, forKey: key))
        case .quantize: self = .quantize(try c.decode(QuantizeJob.self, forKey: key))
        case .split: self = .split(try c.decode(SplitJob.self, forKey: key))
        case .export: self = .export(try c.decode(ExportJob.self, forKey: key))
        case .landscape: self = .landscape(try c.decode(LandscapeJob.self, forKey: key))
        case .hessian: self = .hessian(try c.decode(HessianJob.self, forKey: key))
        case .adaptiveSplit: self = .adaptiveSplit(try c.decode(AdaptiveSplitJob.self, forKey: key))
        case .sharpness: self = .sharpness(try c.decode(SharpnessJob.self, forKey: key))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .finetune(j): try c.encode(j, forKey: .finetune)
        case let .quantize(j): try c.encode(j, forKey: .quantize)
        case let .split(j): try c.encode(j, forKey: .split)
        case let .export(j): try c.encode(j, forKey: .export)
        case let .landscape(j): try c.encode(j, forKey: .landscape)
        case let .hessian(j): try c.encode(j, forKey: .hessian)
        case let .adaptiveSplit(j): try c.encode(j, forKey: .adaptiveSplit)
        case let .sharpness(j): try c.encode(j, forKey: .sharpness)
        }
    }
}

extension FineTuneJob: StageCommand.Job {}
extension QuantizeJob: StageCommand.Job {}
extension SplitJob: StageCommand.Job {}
extension ExportJob: StageCommand.Job {}
extension LandscapeJob: StageCommand.Job {}
extension HessianJob: StageCommand.Job {}
extension AdaptiveSplitJob: StageCommand.Job {}
/// A sharpness stage writes its directory (the plan always sets one; the command alone may only print).
extension SharpnessJob: StageCommand.Job { public var output: String { directory ?? "" } }
