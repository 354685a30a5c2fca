import BERT
import Foundation
import Storage

/// One row of `train_log.csv`.
public struct TrainingLogRow: Codable, Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    /// The mean training loss since the previous row; nil (`nan` in the CSV) on the learning curve's row before the
    /// first step.
    public var loss: Double?
    public var lr: Double
    /// The task metric on dev when this row is an evaluation, else nil (empty in the CSV).
    public var devMetric: Double?
    public var examplesPerSecond: Double
}

enum TrainingLog {
    static let fileName = "train_log.csv"
    static let columns = ["step", "epoch", "loss", "lr", "dev_metric", "examples_per_s"]

    /// The log as `TidyCSV` text: losses and the dev metric to 6 decimals, the learning rate to 7 digits, the
    /// throughput to 2 decimals (an empty dev_metric on a row without evaluation).
    static func csv(_ rows: [TrainingLogRow]) -> String {
        TidyCSV.text(header: columns, rows: rows.map { r in
            [String(r.step), String(r.epoch), r.loss.map { String(format: "%.6f", $0) } ?? "nan", String(format: "%.6e", r.lr),
             r.devMetric.map { String(format: "%.6f", $0) } ?? "", String(format: "%.2f", r.examplesPerSecond)]
        })
    }

    static func write(_ rows: [TrainingLogRow], to url: URL) throws {
        try ModelDirectory.atomicWrite(Data(csv(rows).utf8), to: url)
    }
}
