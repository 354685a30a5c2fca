import Foundation

/// What a result file records about the command that made it, with paths relative to the project (the working
/// directory the command ran in), so that a result committed from one machine names no directory of that machine.
public enum Provenance {
    /// The command line as `binarybert ARGS…`: the executable by its name (not where it was built), every argument
    /// that is an absolute path under the working directory made relative to it.
    public static var command: [String] {
        ["binarybert"] + CommandLine.arguments.dropFirst().map { relative($0) }
    }

    /// `path` relative to the working directory when it lies below it; otherwise unchanged. An argument of the form
    /// `--option=PATH` or `KIND:PATH` (a direction file) keeps its prefix.
    public static func relative(_ path: String, to base: String = FileManager.default.currentDirectoryPath) -> String {
        let root = base.hasSuffix("/") ? base : base + "/"
        if path.hasPrefix(root) { return String(path.dropFirst(root.count)) }
        for separator in ["=", ":"] {
            if let range = path.range(of: separator + root) {
                return String(path[..<range.lowerBound]) + separator + String(path[range.upperBound...])
            }
        }
        return path
    }
}
