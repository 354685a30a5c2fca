import ArgumentParser

@main
struct BinaryBERTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binarybert",
        abstract: "BinaryBERT toolkit: BERT on OpenBLAS, quantization and loss-landscape analysis.",
        subcommands: [TokenizeCommand.self]
    )
}
