import Foundation
import Quantization

/// How adaptive splitting picks the matrices to keep ternary within the budget: the exact 0/1 knapsack on the
/// gains (`max`; the budget it leaves then goes to the matrices of gain ≤ 0 by decreasing gain), or the controls — a seeded random order (`random`) or increasing gain (`min`), each taking a
/// matrix while it still fits.
public enum SplitSelection: String, Codable, Sendable, CaseIterable {
    case max, random, min
}

/// A selection with what it cost and gained, as `selection.json` records it.
public struct SplitChoice: Codable, Sendable, Equatable {
    public var selection: SplitSelection
    public var gainMethod: String
    public var budgetBytes: Int
    public var range: SplitSizeRange
    /// Bytes the knapsack could spend: the budget minus the all-binary size.
    public var extraBudgetBytes: Int
    public var resolutionBytes: Int
    /// The matrices kept ternary and split, in the model's tensor order.
    public var split: [String]
    public var plannedBytes: Int
    public var gain: Double
    /// max: the rounded-down relaxation's optimum (no selection within the budget gains more) and the most gain the
    /// discretisation can have lost; nil for the controls.
    public var upperBound: Double?
    public var worstCaseLoss: Double?
    /// max: the matrices of gain ≤ 0 (none of which the optimum takes) split with the budget the optimum left.
    public var filledAfterOptimum: [String]?

    enum CodingKeys: String, CodingKey {
        case selection, gainMethod = "gain_method", budgetBytes = "budget_bytes", range, extraBudgetBytes = "extra_budget_bytes"
        case resolutionBytes = "resolution_bytes", split, plannedBytes = "planned_bytes", gain, upperBound = "upper_bound"
        case worstCaseLoss = "worst_case_loss", filledAfterOptimum = "filled_after_optimum"
    }

    /// Chooses among `candidates` with `gains` (parallel) for a budget in bytes inside `range`.
    public static func choose(_ selection: SplitSelection, gainMethod: String, candidates: [SplitCandidate], gains: [Double],
                              budgetBytes: Int, range: SplitSizeRange, resolution: Int, seed: UInt64) throws -> SplitChoice {
        precondition(candidates.count == gains.count, "one gain per candidate")
        let items = zip(candidates, gains).map { Knapsack.Item(name: $0.name, cost: $0.splitBytes, gain: $1) }
        let extra = budgetBytes - range.allBinaryBytes
        var chosen: [Int], upper: Double?, loss: Double?, afterOptimum: [String]?
        switch selection {
        case .max:
            let s = try Knapsack.maximize(items, budget: extra, resolution: resolution)
            upper = s.upperBound; loss = s.worstCaseLoss
            // The optimum never takes a matrix of gain ≤ 0 (it cannot raise the total); splitting still adds capacity
            // and such gains are within the probes' noise, so what is left of the budget goes to the remaining
            // matrices by decreasing gain.
            let rest = items.indices.filter { !s.chosen.contains($0) }.sorted { (-items[$0].gain, $0) < (-items[$1].gain, $1) }
            let filled = Knapsack.fill(items, budget: extra - s.cost, order: rest)
            chosen = (s.chosen + filled).sorted()
            afterOptimum = filled.map { candidates[$0].name }
        case .random: chosen = Knapsack.fill(items, budget: extra, order: Knapsack.randomOrder(count: items.count, seed: seed))
        case .min: chosen = Knapsack.fill(items, budget: extra, order: Knapsack.leastGainOrder(items))
        }
        let cost = chosen.reduce(0) { $0 + items[$1].cost }
        return SplitChoice(selection: selection, gainMethod: gainMethod, budgetBytes: budgetBytes, range: range, extraBudgetBytes: extra,
                           resolutionBytes: resolution, split: chosen.map { candidates[$0].name },
                           plannedBytes: range.allBinaryBytes + cost, gain: chosen.reduce(0) { $0 + gains[$1] },
                           upperBound: upper, worstCaseLoss: loss, filledAfterOptimum: afterOptimum)
    }
}
