import Foundation
import Text

extension DatasetLoader {
    /// `load`, with the dataset's encoding warning (lines read as Windows-1252) on standard error.
    static func loadReporting(task: TaskSpec, dataDirectory: URL, split: String, skipBadRows: Bool = false) throws -> Dataset {
        let set = try load(task: task, dataDirectory: dataDirectory, split: split, skipBadRows: skipBadRows)
        if let warning = set.encodingWarning { FileHandle.standardError.write((warning + "\n").data(using: .utf8)!) }
        return set
    }
}
