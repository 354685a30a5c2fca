import BERT
import Foundation
import Numerics
import Storage

/// Throughput of curvature products in blocks against one vector at a time, on one objective in one process: for
/// each product (Hessian, GGN) and block size k, the median seconds of a block pass over the whole model, interleaved
/// with gradients so that the ratios are measured back to back under the same machine load. Each block size is timed
/// twice in a row after a gradient: the first pass redoes what a product keeps between calls at fixed weights on one
/// batch (the forward, and whatever else the model keeps), the second is the steady state of an algorithm that applies
/// the operator again and again (Lanczos, Hutchinson). Ratios and rates are of CPU seconds (the process's, which at one
/// thread is the work itself); wall seconds are reported beside them.
public enum BlockBenchmark {
    public struct Row: Codable, Sendable {
        public var curvature: CurvatureProduct
        public var columns: Int
        /// Median CPU seconds of one pass of `columns` products right after another pass of the same (the steady
        /// state), and of a gradient measured between them; the wall seconds of the same.
        public var passSeconds: Double, gradientSeconds: Double
        public var passWallSeconds: Double, gradientWallSeconds: Double
        /// Median CPU seconds of the same pass right after a gradient (nothing kept from an earlier product).
        public var firstPassSeconds: Double
        public var productsPerSecond: Double
        /// productsPerSecond over that of k = 1 (same product).
        public var speedup: Double
        /// Seconds per product over seconds per gradient, in the steady state and in the first pass.
        public var productOverGradient: Double, firstProductOverGradient: Double
        /// The block's per-column buffers by the model's own count (`ModelCurvature.columnBytes` × k).
        public var columnBuffersMb: Double
        /// Peak RSS over the RSS after a gradient, once the passes up to this k (and their input and output blocks in
        /// Double, k × 2 × dimension × 8 bytes, which the algorithms hold anyway) have run (nil where /proc cannot say).
        public var peakGrowthMb: Double?

        enum CodingKeys: String, CodingKey {
            case curvature, columns, passSeconds = "pass_cpu_seconds", gradientSeconds = "gradient_cpu_seconds"
            case passWallSeconds = "pass_wall_seconds", gradientWallSeconds = "gradient_wall_seconds"
            case firstPassSeconds = "first_pass_cpu_seconds", firstProductOverGradient = "first_product_over_gradient"
            case productsPerSecond = "products_per_second", speedup, productOverGradient = "product_over_gradient"
            case columnBuffersMb = "column_buffers_mb", peakGrowthMb = "peak_growth_mb"
        }
    }

    public struct Report: Codable, Sendable {
        /// The budget asked for (0: none) and the block size it gives; the block sizes measured.
        public var blockMemoryMb: Double
        public var budgetColumns: Int
        public var columnMb: Double
        /// What products keep between passes beside the forward (the plain adjoints; whatever the block size).
        public var keptAdjointsMb: Double
        public var rows: [Row]
        enum CodingKeys: String, CodingKey {
            case blockMemoryMb = "block_memory_mb", budgetColumns = "budget_columns", columnMb = "column_mb"
            case keptAdjointsMb = "kept_adjoints_mb", rows
        }
    }

    /// The block sizes to measure: 1, 4, 8 (those the budget allows when one is given) and the budget's own.
    public static func columns(budgetColumns: Int, budgeted: Bool) -> [Int] {
        guard budgeted else { return [1, 4, 8] }
        return Array(Set([1, 4, 8].filter { $0 <= budgetColumns } + [budgetColumns])).sorted()
    }

    /// Products of the whole model (`selection`) in blocks, Hessian and GGN (the GGN where the objective has one).
    public static func measure<T: BLASReal>(objective: LossObjective<T>, selection: [ParameterView], blockMemoryMB: Double,
                                            iterations: Int, progress: (String) -> Void) throws -> Report {
        var products: [CurvatureProduct] = [.hessian]
        if (try? ModelCurvature.requireGaussNewtonSupport(objective)) != nil { products.append(.ggn) }
        let probe = ModelCurvature(objective: objective, selection: selection)
        let budgetColumns = blockMemoryMB > 0 ? probe.chooseBlockColumns(memoryBytes: Int(blockMemoryMB * 1_048_576)) : 1
        let columnMb = Double(probe.columnBytes) / 1_048_576
        var rows: [Row] = []
        let sizes = columns(budgetColumns: budgetColumns, budgeted: blockMemoryMB > 0)
        for product in products {
            // One operator per block size, warmed up (and the peak growth taken) largest last; then every iteration
            // times, for each block size in turn, a gradient and two passes, so that a change of machine load hits all alike.
            var ops: [(op: ModelCurvature<T>, x: Buffer<Double>, y: Buffer<Double>)] = []
            var growth: [Double?] = []
            _ = try objective.lossAndGradient()
            let before = ProcessMemory.residentMB
            let reset = ProcessMemory.resetPeak()
            for k in sizes {
                let op = ModelCurvature(objective: objective, selection: selection, product: product)
                op.blockColumns = k
                var rng = SeededRNG(seed: 1)
                let x = Buffer<Double>(count: k * op.dimension), y = Buffer<Double>(count: k * op.dimension)
                rng.fillNormal(x.pointer, count: x.count)
                try op.apply(block: x.pointer, columns: k, into: y.pointer)
                if reset, let peak = ProcessMemory.peakMB, let before { growth.append(peak - before) } else { growth.append(nil) }
                ops.append((op, x, y))
            }
            var g: [Double] = [], p = [[Double]](repeating: [], count: sizes.count), first = p
            var gWall: [Double] = [], pWall = [[Double]](repeating: [], count: sizes.count)
            for _ in 0..<iterations {
                for (i, (op, x, y)) in ops.enumerated() {
                    var cpu = 0.0
                    gWall.append(try Stopwatch.seconds { cpu = try Stopwatch.cpuSeconds { _ = try objective.lossAndGradient() } })
                    g.append(cpu)
                    first[i].append(try Stopwatch.cpuSeconds { try op.apply(block: x.pointer, columns: sizes[i], into: y.pointer) })
                    pWall[i].append(try Stopwatch.seconds { cpu = try Stopwatch.cpuSeconds { try op.apply(block: x.pointer, columns: sizes[i], into: y.pointer) } })
                    p[i].append(cpu)
                }
            }
            let gradient = Stopwatch.median(g), single = 1 / Stopwatch.median(p[0])
            for (i, k) in sizes.enumerated() {
                let pass = Stopwatch.median(p[i]), rate = Double(k) / pass, firstPass = Stopwatch.median(first[i])
                let row = Row(curvature: product, columns: k, passSeconds: pass, gradientSeconds: gradient,
                              passWallSeconds: Stopwatch.median(pWall[i]), gradientWallSeconds: Stopwatch.median(gWall),
                              firstPassSeconds: firstPass, productsPerSecond: rate, speedup: rate / single,
                              productOverGradient: pass / Double(k) / gradient, firstProductOverGradient: firstPass / Double(k) / gradient,
                              columnBuffersMb: columnMb * Double(k), peakGrowthMb: growth[i])
                progress(String(format: "%@ k=%d: %.3f CPU s per pass (%.3f first), %.2f products/s (%.2f× k=1), %.2f× a gradient (%.2f× first; gradient %.3f CPU s), peak +%@ MB",
                                product.rawValue, k, pass, firstPass, rate, row.speedup, row.productOverGradient, row.firstProductOverGradient, gradient,
                                growth[i].map { String(format: "%.0f", $0) } ?? "?"))
                rows.append(row)
            }
        }
        return Report(blockMemoryMb: blockMemoryMB, budgetColumns: budgetColumns, columnMb: columnMb,
                      keptAdjointsMb: Double(objective.keptAdjointBytes) / 1_048_576, rows: rows)
    }
}
