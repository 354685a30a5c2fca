import XCTest
import Foundation
import Storage
@testable import Training

/// `metrics.json` names its fields in snake_case; a run directory written before that (camelCase) still loads.
final class TrainingSummaryFormatTests: XCTestCase {
    func summary() -> TrainingSummary {
        TrainingSummary(task: "sst-2", primaryMetric: "accuracy", best: ["accuracy": 0.75], bestStep: 16, final: ["accuracy": 0.7],
                        steps: 32, trainExamples: 64, devExamples: 16, wallSeconds: 3, trainSeconds: 2, options: FineTuneOptions(),
                        trainDataSha256: "ab", devDataSha256: "cd")
    }

    func testMetricsAreWrittenInSnakeCase() throws {
        let text = String(decoding: try JSONFormat.file(summary()), as: UTF8.self)
        for key in ["\"primary_metric\"", "\"best_step\"", "\"train_examples\"", "\"dev_data_sha256\"", "\"batch_size\"", "\"learning_rate\""] {
            XCTAssertTrue(text.contains(key), "\(key) missing from \(text)")
        }
        XCTAssertFalse(text.contains("bestStep"))
        let back = try JSONFormat.decoder().decode(TrainingSummary.self, from: Data(text.utf8))
        XCTAssertEqual(back.bestStep, 16)
        XCTAssertEqual(back.best, ["accuracy": 0.75], "map keys (metric names) are kept as they are")
    }

    func testACamelCaseMetricsFileOfAnOlderRunStillLoads() throws {
        // The same document as an older version wrote it: camelCase fields, including the nested options.
        let snake = try JSONSerialization.jsonObject(with: try JSONFormat.file(summary())) as! [String: Any]
        func camel(_ s: String) -> String {
            let parts = s.split(separator: "_")
            return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        }
        func convert(_ v: Any, keys: Bool) -> Any {
            guard let o = v as? [String: Any] else { return v }
            return Dictionary(uniqueKeysWithValues: o.map { (keys ? camel($0.key) : $0.key, convert($0.value, keys: keys && $0.key != "best" && $0.key != "final")) })
        }
        let legacy = try JSONSerialization.data(withJSONObject: convert(snake, keys: true))
        XCTAssertTrue(String(decoding: legacy, as: UTF8.self).contains("bestStep"))
        let back = try JSONFormat.decoder().decode(TrainingSummary.self, from: legacy)
        XCTAssertEqual(back.bestStep, 16)
        XCTAssertEqual(back.trainDataSha256, "ab")
        XCTAssertEqual(back.options, FineTuneOptions())
    }
}
