/// The layout check of a rendered figure: every text element's estimated box (`TextBox`) against every other, against
/// the figure's edges, and — unless it is placed on the data on purpose — against every plot area the renderer recorded.
public enum LayoutCheck {
    /// Every problem of `svg`, in the order of its text elements (empty: nothing overlaps and nothing is clipped).
    public static func problems(in svg: SVGDocument, tolerance: Double = 0.5) -> [LayoutProblem] {
        var found: [LayoutProblem] = []
        let boxes = svg.textBoxes
        for (k, b) in boxes.enumerated() {
            if b.minX < -tolerance || b.minY < -tolerance || b.maxX > svg.width + tolerance || b.maxY > svg.height + tolerance {
                found.append(.clipped(b.text))
            }
            for other in boxes[(k + 1)...] where b.overlaps(other, tolerance: tolerance) { found.append(.overlap(b.text, other.text)) }
            if !b.inPlot, let area = svg.plotAreas.first(where: { $0.meets(b) }) { found.append(.onPlotArea(text: b.text, area: area.name)) }
        }
        return found
    }
}
