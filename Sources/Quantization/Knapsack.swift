import Foundation
import Numerics

/// The 0/1 knapsack of adaptive splitting: choose the matrices to keep ternary (split into two binary halves later)
/// so that the total gain is largest while the extra bytes fit the budget. Solved exactly by dynamic programming on
/// costs discretised to `resolution` bytes, rounded up (every selection it returns fits in exact bytes); the same DP
/// with costs rounded down is a relaxation whose optimum bounds the exact one from above, so the discretisation's
/// worst-case loss is reported with every solution.
public enum Knapsack {
    public struct Item: Sendable, Equatable {
        public var name: String
        /// Exact cost in bytes.
        public var cost: Int
        public var gain: Double
        public init(name: String, cost: Int, gain: Double) {
            self.name = name
            self.cost = cost
            self.gain = gain
        }
    }

    public struct Solution: Sendable, Equatable {
        /// Indices of the chosen items, ascending.
        public var chosen: [Int]
        public var cost: Int
        public var gain: Double
        /// The optimum of the rounded-down relaxation: no selection that fits the budget gains more.
        public var upperBound: Double
        /// upperBound − gain: at most this much gain is lost to the discretisation.
        public var worstCaseLoss: Double { max(0, upperBound - gain) }
    }

    /// Largest total gain with Σ cost ≤ budget. Items with non-positive gain are never chosen (they cannot help).
    /// `resolution` ≥ 1 byte; `maxUnits` caps the DP's width (the budget in units of the resolution).
    public static func maximize(_ items: [Item], budget: Int, resolution: Int, maxUnits: Int = 1 << 22) throws -> Solution {
        guard resolution >= 1 else { throw QuantizationError.badSpec(file: "knapsack", reason: "the cost resolution must be at least 1 byte") }
        guard budget >= 0 else { throw QuantizationError.badSpec(file: "knapsack", reason: "the budget must not be negative") }
        if let bad = items.first(where: { $0.cost < 0 || !$0.gain.isFinite }) {
            throw QuantizationError.badSpec(file: "knapsack", reason: "\(bad.name) has a negative cost or a non-finite gain")
        }
        let capacity = budget / resolution
        guard capacity <= maxUnits else {
            throw QuantizationError.badSpec(file: "knapsack", reason: "budget \(budget) B at resolution \(resolution) B is \(capacity) units, above \(maxUnits): use a coarser resolution")
        }
        let up = items.map { ($0.cost + resolution - 1) / resolution }
        let down = items.map { $0.cost / resolution }
        let (chosen, gain) = table(items.map(\.gain), units: up, capacity: capacity)
        let (_, bound) = table(items.map(\.gain), units: down, capacity: capacity)
        let cost = chosen.reduce(0) { $0 + items[$1].cost }
        return Solution(chosen: chosen, cost: cost, gain: gain, upperBound: max(bound, gain))
    }

    /// The exact DP over integer weights: best[c] after each item, with a keep table to read the choice back.
    static func table(_ gains: [Double], units: [Int], capacity: Int) -> (chosen: [Int], gain: Double) {
        let n = gains.count
        var best = [Double](repeating: 0, count: capacity + 1)
        var keep = [[Bool]](repeating: [], count: n)
        for i in 0..<n {
            keep[i] = [Bool](repeating: false, count: capacity + 1)
            guard gains[i] > 0, units[i] <= capacity else { continue }
            // Backwards so each item is used at most once; a tie keeps the earlier choice (fewer items).
            var c = capacity
            while c >= units[i] {
                let with = best[c - units[i]] + gains[i]
                if with > best[c] { best[c] = with; keep[i][c] = true }
                c -= 1
            }
        }
        var chosen: [Int] = [], c = capacity
        for i in stride(from: n - 1, through: 0, by: -1) where keep[i][c] {
            chosen.append(i)
            c -= units[i]
        }
        return (chosen.sorted(), best[capacity])
    }

    /// Every subset (n ≤ 24): the exact optimum in bytes, for tests.
    public static func bruteForce(_ items: [Item], budget: Int) -> (chosen: [Int], gain: Double) {
        precondition(items.count <= 24, "brute force is for small instances")
        var bestMask = 0, bestGain = 0.0
        for mask in 0..<(1 << items.count) {
            var cost = 0, gain = 0.0
            for i in items.indices where mask & (1 << i) != 0 { cost += items[i].cost; gain += items[i].gain }
            if cost <= budget && gain > bestGain { bestGain = gain; bestMask = mask }
        }
        return (items.indices.filter { bestMask & (1 << $0) != 0 }, bestGain)
    }

    /// The controls: items taken in a seeded random order (`random`) or by increasing gain (`least`), each while it fits.
    public static func fill(_ items: [Item], budget: Int, order: [Int]) -> [Int] {
        var left = budget, chosen: [Int] = []
        for i in order where items[i].cost <= left {
            chosen.append(i)
            left -= items[i].cost
        }
        return chosen.sorted()
    }

    public static func randomOrder(count: Int, seed: UInt64) -> [Int] {
        var rng = SeededRNG(seed: seed, stream: 0xC0A7)
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        return order
    }

    public static func leastGainOrder(_ items: [Item]) -> [Int] {
        items.indices.sorted { (items[$0].gain, $0) < (items[$1].gain, $1) }
    }
}
