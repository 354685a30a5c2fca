/// Colour and dash pattern of a series: the Okabe–Ito colour-blind-safe palette (yellow last, it is faint on white);
/// after eight series the colours repeat with dashes.
public struct SeriesStyle: Sendable, Equatable {
    public let color: String
    public let dash: String?

    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static let dashes: [String?] = [nil, "6 3", "2 2"]

    /// The style of the `index`-th distinct series of a figure.
    public init(index: Int) {
        color = SeriesStyle.palette[index % SeriesStyle.palette.count]
        dash = SeriesStyle.dashes[(index / SeriesStyle.palette.count) % SeriesStyle.dashes.count]
    }
}
