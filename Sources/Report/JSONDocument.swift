import Foundation
import Storage

/// Reading the JSON documents a report collects (commands' results, sidecars), with errors naming the file.
extension JSONValue {
    public static func parse(_ data: Data) throws -> JSONValue {
        let v = try JSONDecoder().decode(JSONValue.self, from: data)
        guard case .object = v else { throw ReportError.badResult(path: "output", reason: "not a JSON object") }
        return v
    }

    public static func read(_ url: URL) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReportError.badResult(path: url.path, reason: "is missing")
        }
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ReportError.badResult(path: url.path, reason: "is not valid JSON")
        }
    }
}
