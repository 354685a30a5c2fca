import Foundation

/// Errors raised while loading tokenizer resources (vocabulary and configuration files).
///
/// Every case names the file involved so a message printed to a user points at the culprit.
public enum TextError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The file does not exist (or is not a regular file).
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid UTF-8 text.
    case invalidUTF8(path: String)
    /// The vocabulary file contains no tokens.
    case emptyVocabulary(path: String)
    /// A JSON configuration file could not be parsed or has a value of the wrong type.
    case malformedConfiguration(path: String, reason: String)
    /// A special token ([CLS], [SEP], [PAD], [UNK]) is absent from the vocabulary.
    case missingSpecialToken(token: String, path: String?)
    /// A line of an input file at fault (1-based), with why.
    case badLine(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "file not found: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read file \(path): \(reason)"
        case .invalidUTF8(let path):
            return "file is not valid UTF-8 text: \(path)"
        case .emptyVocabulary(let path):
            return "vocabulary file has no tokens: \(path)"
        case .malformedConfiguration(let path, let reason):
            return "malformed configuration file \(path): \(reason)"
        case .missingSpecialToken(let token, let path):
            if let path {
                return "special token \(token) is missing from vocabulary file \(path)"
            }
            return "special token \(token) is missing from the vocabulary"
        case let .badLine(path, line, reason):
            return "\(path):\(line): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
