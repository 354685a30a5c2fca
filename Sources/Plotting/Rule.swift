/// A vertical line across a chart at one x, dashed, with an optional short label at the top of the plot area: a
/// stage boundary, a marked eigenvalue. Its colour is a series' (by name) or grey.
public struct Rule: Sendable, Equatable {
    public var x: Double
    public var label: String
    /// The series whose colour the rule takes; nil: grey.
    public var series: String?

    public init(x: Double, label: String = "", series: String? = nil) {
        self.x = x
        self.label = label
        self.series = series
    }
}
