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
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let error as ValidationError {
            // Raised once the command runs (a bad file, a mismatch found while loading): the sentence alone, without
            // the usage text that belongs to parse errors.
            FileHandle.standardError.write("Error: \(error.message)\n".data(using: .utf8)!)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
