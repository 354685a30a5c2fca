import Foundation

/// What can go wrong while writing an output or holding an output directory. Every case names the path.
public enum StorageError: Error, CustomStringConvertible, Equatable {
    /// A file or directory could not be created, written, synced or renamed (disk full, read-only, no permission, ...).
    case unwritable(path: String, reason: String)
    /// Another live process holds the output directory's lock.
    case locked(directory: String, holder: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .locked(directory, holder):
            return "Output directory '\(directory)' is in use by another run (\(holder)); wait for it to finish or choose another output."
        }
    }
}

extension StorageError: LocalizedError {
    public var errorDescription: String? { description }
}
