import Foundation

/// One named line of a chart: points in x order, and optionally a shaded band (lower…upper at each x, e.g. mean ± std
/// over seeds). A non-finite value breaks the line (and the band) there.
public struct Series: Sendable, Equatable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var lower: [Double]?
    public var upper: [Double]?

    public init(name: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil) {
        precondition(x.count == y.count, "a series needs as many x as y values")
        precondition(lower.map { $0.count == x.count } ?? true && upper.map { $0.count == x.count } ?? true,
                     "a band needs one bound per point")
        self.name = name
        self.x = x
        self.y = y
        self.lower = lower
        self.upper = upper
    }

    /// The index runs of consecutive points whose x and y (and band, if any) are finite.
    public var segments: [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int?
        for i in 0...x.count {
            let ok = i < x.count && x[i].isFinite && y[i].isFinite
            if ok, start == nil { start = i }
            if !ok, let s = start { runs.append(s..<i); start = nil }
        }
        return runs
    }

    /// Aggregates repeated x values (several seeds of one curve) into their mean, with a band of ± one sample
    /// standard deviation (or the min…max range); single values get no band width. The result is sorted by x.
    public static func aggregating(name: String, x: [Double], y: [Double], band: Band) -> Series {
        var groups: [Double: [Double]] = [:]
        var order: [Double] = []
        for (xi, yi) in zip(x, y) where xi.isFinite {
            if groups[xi] == nil { order.append(xi) }
            groups[xi, default: []].append(yi)
        }
        order.sort()
        let repeated = groups.values.contains { $0.count > 1 }
        var means: [Double] = [], lows: [Double] = [], highs: [Double] = []
        for xi in order {
            let values = groups[xi]!.filter(\.isFinite)
            guard !values.isEmpty else { means.append(.nan); lows.append(.nan); highs.append(.nan); continue }
            let mean = values.reduce(0, +) / Double(values.count)
            means.append(mean)
            switch band {
            case .none:
                lows.append(mean); highs.append(mean)
            case .standardDeviation:
                let sd = values.count > 1
                    ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
                lows.append(mean - sd); highs.append(mean + sd)
            case .range:
                lows.append(values.min()!); highs.append(values.max()!)
            }
        }
        let withBand = repeated && band != .none
        return Series(name: name, x: order, y: means, lower: withBand ? lows : nil, upper: withBand ? highs : nil)
    }

    public enum Band: String, Sendable, CaseIterable {
        case none
        case standardDeviation = "std"
        case range
    }
}
