import BERT
import Foundation

/// One row of `train_log.csv`.
public struct TrainingLogRow: Codable, Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var loss: Double
    public var lr: Double
    /// The task metric on dev when this row is an evaluation, else nil (empty in the CSV).
    public var devMetric: Double?
    public var examplesPerSecond: Double
}

enum TrainingLog {
    static let header = "step,epoch,loss,lr,dev_metric,examples_per_s"

    static func csv(_ rows: [TrainingLogRow]) -> String {
        var out = header + "\n"
        for r in rows {
            out += "\(r.step),\(r.epoch),\(String(format: "%.6f", r.loss)),\(String(format: "%.6e", r.lr)),"
            out += (r.devMetric.map { String(format: "%.6f", $0) } ?? "") + ",\(String(format: "%.2f", r.examplesPerSecond))\n"
        }
        return out
    }

    static func write(_ rows: [TrainingLogRow], to url: URL) throws {
        try ModelDirectory.atomicWrite(Data(csv(rows).utf8), to: url)
    }
}
