import Foundation

/// Everything that can go wrong while reading or writing a checkpoint (safetensors weights, config.json).
/// Every case names the file and, where one is involved, the tensor, so that a message alone says what to fix.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened, read, or written.
    case unreadable(file: String, reason: String)
    /// The 8-byte length prefix or the JSON header is malformed.
    case malformedHeader(file: String, reason: String)
    /// One tensor's header entry is malformed (bad shape, offsets, overlap, ...).
    case malformedTensor(file: String, tensor: String, reason: String)
    /// A tensor the caller asked for is not in the file.
    case missingTensor(file: String, tensor: String)
    /// A tensor's shape (or element count) differs from what the caller expects.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// The tensor's dtype is unknown or cannot be converted to the requested type.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A model configuration file is malformed or describes an unsupported model.
    case badConfig(file: String, reason: String)
    /// The file holds a tensor the model does not have (another architecture, or a config with fewer layers).
    case unexpectedTensor(file: String, tensor: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let file, _), .malformedHeader(let file, _), .malformedTensor(let file, _, _),
             .missingTensor(let file, _), .shapeMismatch(let file, _, _, _), .unsupportedDType(let file, _, _),
             .badConfig(let file, _), .unexpectedTensor(let file, _):
            return file
        }
    }

    /// The tensor the error is about, if any.
    public var tensor: String? {
        switch self {
        case .malformedTensor(_, let tensor, _), .missingTensor(_, let tensor), .shapeMismatch(_, let tensor, _, _),
             .unsupportedDType(_, let tensor, _), .unexpectedTensor(_, let tensor):
            return tensor
        case .unreadable, .malformedHeader, .badConfig:
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "Cannot read checkpoint file '\(file)': \(reason)."
        case let .malformedHeader(file, reason):
            return "Checkpoint file '\(file)' has a malformed safetensors header: \(reason)."
        case let .malformedTensor(file, tensor, reason):
            return "Tensor '\(tensor)' in checkpoint file '\(file)' is malformed: \(reason)."
        case let .missingTensor(file, tensor):
            return "Checkpoint file '\(file)' has no tensor named '\(tensor)'."
        case let .shapeMismatch(file, tensor, expected, found):
            return "Tensor '\(tensor)' in checkpoint file '\(file)' has shape \(found), expected \(expected)."
        case let .unsupportedDType(file, tensor, dtype):
            return "Tensor '\(tensor)' in checkpoint file '\(file)' has dtype '\(dtype)', which is not supported here."
        case let .badConfig(file, reason):
            return "Model configuration '\(file)' is invalid: \(reason)."
        case let .unexpectedTensor(file, tensor):
            return "Checkpoint file '\(file)' holds tensor '\(tensor)', which the model of its config.json does not have (another architecture, or a config with fewer layers?)."
        }
    }
}

extension CheckpointError: LocalizedError {
    public var errorDescription: String? { description }
}
