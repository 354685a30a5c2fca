import Foundation

/// How a direction is made (`--directions`, `--y-directions`).
public enum DirectionKind: Equatable, Sendable, CustomStringConvertible {
    /// Standard Gaussian entries, not normalized.
    case random
    /// Gaussian, each output row of a matrix (each row of an embedding table) rescaled to that row's weight norm:
    /// d_i ← d_i·‖w_i‖/‖d_i‖ (Li et al. 2018).
    case filter
    /// Gaussian, each tensor rescaled to that tensor's weight norm.
    case layer
    /// The paper's probe: every entry of a tensor equal to that tensor's mean|W| (Fig. 2: W + x·mean|W|·1).
    case ones
    /// A Hessian eigenvector file written by `binarybert hessian` (tensors named as the model's).
    case hessian(String)
    /// θ_B − θ_A: the model in this directory minus the scanned one, in the scan's space (x = 1 reaches B).
    case model(String)
    /// Any safetensors file holding every selected tensor with its shape.
    case file(String)

    public static let syntax = "random, filter, layer, ones, hessian:FILE, model:DIR or file:FILE"

    public init(parsing text: String, option: String) throws {
        switch text {
        case "random", "gaussian": self = .random
        case "filter": self = .filter
        case "layer": self = .layer
        case "ones": self = .ones
        default:
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw LandscapeError.badOption(option: option, reason: "'\(text)' is not a direction: use \(DirectionKind.syntax)")
            }
            switch parts[0] {
            case "hessian": self = .hessian(parts[1])
            case "model": self = .model(parts[1])
            case "file": self = .file(parts[1])
            default: throw LandscapeError.badOption(option: option, reason: "'\(text)' is not a direction: use \(DirectionKind.syntax)")
            }
        }
    }

    /// Drawn from a seed (random, filter, layer): the kinds `--direction-seeds` repeats.
    public var isRandom: Bool { self == .random || self == .filter || self == .layer }

    public var name: String {
        switch self {
        case .random: return "random"
        case .filter: return "filter"
        case .layer: return "layer"
        case .ones: return "ones"
        case .hessian: return "hessian"
        case .model: return "model"
        case .file: return "file"
        }
    }

    /// The file or directory a kind reads, if any.
    public var path: String? {
        switch self {
        case let .hessian(p), let .model(p), let .file(p): return p
        default: return nil
        }
    }

    public var description: String { path.map { "\(name):\($0)" } ?? name }
}

/// A direction kind in JSON: its text, as `--directions` takes it.
extension DirectionKind: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        do { try self.init(parsing: text, option: "direction") } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
