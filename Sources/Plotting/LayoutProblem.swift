/// What the layout check finds wrong with a figure: text on text, text outside the figure, axis text on the data.
public enum LayoutProblem: Error, CustomStringConvertible, Equatable {
    case overlap(String, String)
    case clipped(String)
    case onPlotArea(text: String, area: String)

    public var description: String {
        switch self {
        case let .overlap(a, b): return "the text '\(a)' overlaps the text '\(b)'"
        case let .clipped(text): return "the text '\(text)' runs outside the figure"
        case let .onPlotArea(text, area): return "the text '\(text)' lies on the \(area)"
        }
    }
}
