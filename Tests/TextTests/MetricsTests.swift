import XCTest
@testable import Text

final class MetricsTests: XCTestCase {
    // tp=4 fp=2 fn=1 tn=3
    let predictions = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
    let gold = [1, 0, 0, 1, 0, 1, 1, 0, 1, 0]

    func testAccuracy() {
        XCTAssertEqual(Metrics.accuracy(predictions: predictions, labels: gold), 0.7, accuracy: 1e-12)
        XCTAssertEqual(Metrics.accuracy(predictions: [], labels: []), 0)
        XCTAssertEqual(Metrics.accuracy(predictions: [2, 1, 0], labels: [2, 1, 1]), 2.0 / 3.0, accuracy: 1e-12)
    }

    func testF1() {
        // 2*4 / (2*4 + 2 + 1) = 8/11
        XCTAssertEqual(Metrics.f1(predictions: predictions, labels: gold), 0.7272727272727273, accuracy: 1e-12)
        // Class 0 as positive: tp=3 fp=1 fn=2 -> 6/9
        XCTAssertEqual(Metrics.f1(predictions: predictions, labels: gold, positive: 0), 6.0 / 9.0, accuracy: 1e-12)
        XCTAssertEqual(Metrics.f1(predictions: [0, 0], labels: [0, 0]), 0)
        XCTAssertEqual(Metrics.f1(predictions: [1, 1], labels: [1, 1]), 1)
    }

    func testMatthews() {
        // (4*3 - 2*1) / sqrt(6*5*5*4) = 10 / sqrt(600)
        XCTAssertEqual(Metrics.matthews(predictions: predictions, labels: gold), 0.408248290463863, accuracy: 1e-12)
        XCTAssertEqual(Metrics.matthews(predictions: gold, labels: gold), 1, accuracy: 1e-12)
        XCTAssertEqual(Metrics.matthews(predictions: gold.map { 1 - $0 }, labels: gold), -1, accuracy: 1e-12)
        // Constant predictions: undefined -> 0.
        XCTAssertEqual(Metrics.matthews(predictions: [1, 1, 1, 1], labels: [1, 0, 1, 0]), 0)
        XCTAssertEqual(Metrics.matthews(predictions: [], labels: []), 0)
    }

    // Reference values from scipy.stats 1.17.1 (pearsonr / spearmanr).
    func testPearsonSpearmanWithTies() {
        let x = [1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 8.0]
        let y = [2.5, 1.0, 3.0, 3.0, 7.0, 4.0, 9.0, 6.5]
        XCTAssertEqual(Metrics.pearson(x, y), 0.7343115331234629, accuracy: 1e-12)
        XCTAssertEqual(Metrics.spearman(x, y), 0.8212380317755189, accuracy: 1e-12)
        XCTAssertEqual(Metrics.ranks(x), [1, 2.5, 2.5, 4, 6, 6, 6, 8])
        XCTAssertEqual(Metrics.ranks(y), [2, 1, 3.5, 3.5, 7, 5, 8, 6])
        let a = [0.1, 0.4, 0.35, 0.8], b = [0.0, 0.5, 0.3, 1.0]
        XCTAssertEqual(Metrics.pearson(a, b), 0.992150474368903, accuracy: 1e-12)
        XCTAssertEqual(Metrics.spearman(a, b), 1, accuracy: 1e-12)
        XCTAssertEqual(Metrics.pearson(a, b.map { -$0 }), -0.992150474368903, accuracy: 1e-12)
    }

    func testCorrelationUndefinedIsZero() {
        XCTAssertEqual(Metrics.pearson([1, 1, 1], [1, 2, 3]), 0)
        XCTAssertEqual(Metrics.spearman([1, 2, 3], [4, 4, 4]), 0)
        XCTAssertEqual(Metrics.pearson([], []), 0)
        XCTAssertEqual(Metrics.pearson([1], [2]), 0)
    }

    func testEvaluateClassification() throws {
        let labels = gold.map { Label.classIndex($0) }
        let mrpc = Metrics.evaluate(
            task: try Tasks.named("mrpc"), classPredictions: predictions, regressionPredictions: nil, labels: labels)
        XCTAssertEqual(mrpc["accuracy"]!, 0.7, accuracy: 1e-12)
        XCTAssertEqual(mrpc["f1"]!, 8.0 / 11.0, accuracy: 1e-12)
        XCTAssertEqual(mrpc["acc_and_f1"]!, (0.7 + 8.0 / 11.0) / 2, accuracy: 1e-12)
        XCTAssertNil(mrpc["mcc"])

        let cola = Metrics.evaluate(
            task: try Tasks.named("cola"), classPredictions: predictions, regressionPredictions: nil, labels: labels)
        XCTAssertEqual(cola["mcc"]!, 0.408248290463863, accuracy: 1e-12)
        XCTAssertEqual(cola["accuracy"]!, 0.7, accuracy: 1e-12)
        XCTAssertNil(cola["f1"])

        let sst = Metrics.evaluate(
            task: try Tasks.named("sst-2"), classPredictions: predictions, regressionPredictions: nil, labels: labels)
        XCTAssertEqual(Set(sst.keys), ["accuracy"])

        XCTAssertEqual(
            Metrics.evaluate(task: Tasks.sst2, classPredictions: nil, regressionPredictions: [1], labels: labels), [:])

        for task in Tasks.all where !task.isRegression {
            let m = Metrics.evaluate(task: task, classPredictions: predictions, regressionPredictions: nil, labels: labels)
            XCTAssertNotNil(m[task.primaryMetric], task.name)
        }
    }

    func testEvaluateRegression() throws {
        let x = [1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 8.0]
        let y = [2.5, 1.0, 3.0, 3.0, 7.0, 4.0, 9.0, 6.5]
        for name in ["sts-b", "rt-rating"] {
            let m = Metrics.evaluate(
                task: try Tasks.named(name), classPredictions: nil, regressionPredictions: x, labels: y.map { .value($0) })
            XCTAssertEqual(m["pearson"]!, 0.7343115331234629, accuracy: 1e-12)
            XCTAssertEqual(m["spearman"]!, 0.8212380317755189, accuracy: 1e-12)
            XCTAssertEqual(m["pearson_spearman_mean"]!, (0.7343115331234629 + 0.8212380317755189) / 2, accuracy: 1e-12)
            XCTAssertNotNil(m["mse"])
            XCTAssertEqual(try Tasks.named(name).primaryMetric, "pearson_spearman_mean")
        }
    }
}
