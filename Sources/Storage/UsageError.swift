import Foundation

/// An error that may be a usage error: the options asked for something that cannot be done with the inputs they name
/// (a value out of range, options that exclude each other, a model that does not fit the task), so the command line
/// must change. The program exits with 64 (EX_USAGE) for these, as for a refusal before any work, and with 1 for
/// every other failure (an unreadable or malformed file, a computation that failed).
public protocol UsageError: Error {
    var isUsageError: Bool { get }
}

/// An option's value refused once a run has read what the option applies to, in one sentence naming the option.
public struct OptionError: UsageError, CustomStringConvertible, Equatable, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
    public var isUsageError: Bool { true }
}
