import ArgumentParser
import Foundation

@main
struct BinaryBERTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binarybert",
        abstract: "BinaryBERT toolkit: BERT on OpenBLAS, quantization and loss-landscape analysis.",
        version: BinaryBERTVersion.string,
        subcommands: [InfoCommand.self, TokenizeCommand.self, ForwardCommand.self, FinetuneCommand.self, EvaluateCommand.self,
                      QuantizeCommand.self, SplitCommand.self, SliceCommand.self, ExportCommand.self, BenchCommand.self,
                      PlotCommand.self, HessianCommand.self, BenchHessianCommand.self, LandscapeCommand.self, BenchLandscapeCommand.self,
                      ReportCommand.self, AdaptiveSplitCommand.self]
    )

    static func main() {
        BLASCoreSelection.reexecIfNeeded()
        ParentWatch.start()
        AllocatorTuning.keepFreedMemory()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
