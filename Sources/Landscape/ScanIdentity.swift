import Foundation
import Storage

/// A scan's identity: every option that changes a number of it, as named fields (`batch_size`, `model_sha256`,
/// `space`, …), stored in the sidecar before the first point; a rerun whose identity differs is refused, naming
/// the option the user gives for the field that differs. Sidecars written before the fields had these names keyed
/// them by the options' spellings (`--batch-size`, `--model (sha256)`); they are read under the new names.
public enum ScanIdentity {
    /// The command-line option (or switch) behind each field, for messages only.
    static let options: [String: String] = [
        "task": "--task", "split": "--split", "examples_indices_sha256": "--examples (the chosen examples' sha256)",
        "max_length": "--max-length", "batch_size": "--batch-size", "dtype": "--dtype", "batching": "--batching",
        "model_sha256": "--model (its sha256)", "space": "--space", "select": "--select", "y_select": "--y-select",
        "include_biases": "--include-biases", "one_d": "--one-d", "directions": "--directions", "y_directions": "--y-directions",
        "direction_seed": "--direction-seed", "x": "--x", "y": "--y", "affine": "the affine shortcut (--no-affine)",
    ]

    /// Old sidecars' keys → field names.
    static let renamed: [String: String] = [
        "--task": "task", "--split": "split", "--examples (indices sha256)": "examples_indices_sha256", "--max-length": "max_length",
        "--batch-size": "batch_size", "--dtype": "dtype", "--batching": "batching", "--model (sha256)": "model_sha256",
        "--space": "space", "--select": "select", "--y-select": "y_select", "--include-biases": "include_biases",
        "--one-d": "one_d", "--directions": "directions", "--y-directions": "y_directions", "--direction-seed": "direction_seed",
        "--x": "x", "--y": "y", "affine shortcut (--no-affine)": "affine",
    ]

    /// Values of fields that sidecars written before the field existed lack: what those scans did.
    static let absentMeans = ["batching": "padded", "affine": "off"]

    /// `stored` under the current field names.
    static func normalized(_ stored: [String: String]) -> [String: String] {
        Dictionary(stored.map { (renamed[$0.key] ?? $0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// The identity a sidecar stores (empty when it has none, or one whose values are not all strings).
    static func fields(_ sidecar: JSONValue) -> [String: String] {
        guard let object = sidecar["identity"]?.object else { return [:] }
        let strings = object.compactMapValues(\.string)
        return strings.count == object.count ? strings : [:]
    }

    /// Refuses a sidecar at `url` whose identity differs from `identity`, naming the first field that differs.
    static func check(_ url: URL, _ identity: [String: String]) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        var stored = normalized(fields(try SurfaceScan.readJSON(url)))
        for (key, value) in absentMeans where stored[key] == nil && identity[key] != nil { stored[key] = value }
        // Fields that follow from others (the affine shortcut exists only in some spaces) are compared last, so the
        // message names the option the user changed.
        let derived: Set<String> = ["affine"]
        let keys = Set(stored.keys).union(identity.keys).sorted { (derived.contains($0) ? 1 : 0, $0) < (derived.contains($1) ? 1 : 0, $1) }
        for key in keys where stored[key] != identity[key] {
            throw LandscapeError.mismatch(path: url.path, key: options[key] ?? key, stored: stored[key] ?? "(absent)",
                                          requested: identity[key] ?? "(absent)")
        }
    }
}
