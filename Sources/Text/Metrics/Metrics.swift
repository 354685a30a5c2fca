import Foundation

/// Evaluation metrics for the GLUE-style tasks (same definitions as scikit-learn / SciPy).
///
/// Undefined values (empty input, zero denominators, constant inputs to a correlation) are reported as 0.
public enum Metrics {
    /// Fraction of positions where prediction == label.
    public static func accuracy(predictions: [Int], labels: [Int]) -> Double {
        precondition(predictions.count == labels.count, "accuracy: \(predictions.count) predictions vs \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        var correct = 0
        for i in labels.indices where predictions[i] == labels[i] { correct += 1 }
        return Double(correct) / Double(labels.count)
    }

    /// F1 of the class `positive`: 2·TP / (2·TP + FP + FN); 0 when there are no positives at all.
    public static func f1(predictions: [Int], labels: [Int], positive: Int = 1) -> Double {
        precondition(predictions.count == labels.count, "f1: \(predictions.count) predictions vs \(labels.count) labels")
        var tp = 0, fp = 0, fn = 0
        for i in labels.indices {
            let p = predictions[i] == positive, l = labels[i] == positive
            if p && l { tp += 1 } else if p { fp += 1 } else if l { fn += 1 }
        }
        let denominator = 2 * tp + fp + fn
        return denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
    }

    /// Binary Matthews correlation coefficient (class 1 positive, anything else negative); 0 when undefined.
    public static func matthews(predictions: [Int], labels: [Int]) -> Double {
        precondition(predictions.count == labels.count, "matthews: \(predictions.count) predictions vs \(labels.count) labels")
        var tp = 0.0, tn = 0.0, fp = 0.0, fn = 0.0
        for i in labels.indices {
            switch (predictions[i] == 1, labels[i] == 1) {
            case (true, true): tp += 1
            case (false, false): tn += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            }
        }
        let denominator = ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)).squareRoot()
        return denominator == 0 ? 0 : (tp * tn - fp * fn) / denominator
    }

    /// Pearson correlation coefficient; 0 when either input is constant or empty.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "pearson: \(x.count) vs \(y.count) values")
        let n = x.count
        guard n > 1 else { return 0 }
        let mx = x.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return 0 }
        let r = sxy / (sxx.squareRoot() * syy.squareRoot())
        return min(1, max(-1, r))
    }

    /// Spearman rank correlation: Pearson of the ranks, ties get the average of their ranks.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "spearman: \(x.count) vs \(y.count) values")
        return pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks with ties averaged (SciPy `rankdata(method="average")`).
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var result = [Double](repeating: 0, count: x.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && x[order[end + 1]] == x[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { result[order[k]] = rank }
            start = end + 1
        }
        return result
    }

    /// All metrics for a task.
    ///
    /// Classification: "accuracy"; MRPC/QQP add "f1" and "acc_and_f1" (their mean); CoLA adds "mcc".
    /// Regression: "pearson", "spearman", "pearson_spearman_mean", "mse".
    /// The task's `primaryMetric` is always among the keys when the matching predictions are given;
    /// returns an empty dictionary when they are missing. Labels of the other kind are converted
    /// (class index → value, value → rounded index).
    public static func evaluate(
        task: TaskSpec, classPredictions: [Int]?, regressionPredictions: [Double]?, labels: [Label]
    ) -> [String: Double] {
        var out: [String: Double] = [:]
        switch task.kind {
        case .classification:
            guard let predictions = classPredictions else { return out }
            let gold = labels.map { label -> Int in
                switch label {
                case .classIndex(let i): return i
                case .value(let v): return Int(v.rounded())
                }
            }
            out["accuracy"] = accuracy(predictions: predictions, labels: gold)
            switch task.name {
            case "mrpc", "qqp":
                let f = f1(predictions: predictions, labels: gold)
                out["f1"] = f
                out["acc_and_f1"] = (out["accuracy"]! + f) / 2
            case "cola":
                out["mcc"] = matthews(predictions: predictions, labels: gold)
            default:
                break
            }
        case .regression:
            guard let predictions = regressionPredictions else { return out }
            let gold = labels.map { label -> Double in
                switch label {
                case .classIndex(let i): return Double(i)
                case .value(let v): return v
                }
            }
            let p = pearson(predictions, gold), s = spearman(predictions, gold)
            out["pearson"] = p
            out["spearman"] = s
            out["pearson_spearman_mean"] = (p + s) / 2
            if !gold.isEmpty {
                var se = 0.0
                for i in gold.indices { se += (predictions[i] - gold[i]) * (predictions[i] - gold[i]) }
                out["mse"] = se / Double(gold.count)
            }
        }
        return out
    }
}
