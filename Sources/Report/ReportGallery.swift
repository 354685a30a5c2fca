import Foundation

/// The gallery of a report folder (`README.md`): every figure the renderer drew, in order, with its one-line caption,
/// the table it is drawn from and the command that redraws it. Written by the renderer, so it lists what is there.
struct ReportGallery {
    struct Entry {
        var figure: String, table: String, caption: String
    }

    var entries: [Entry] = []

    mutating func add(_ figure: String, from table: String, caption: String) {
        entries.append(Entry(figure: figure, table: table, caption: caption))
    }

    var markdown: String {
        var md = ["# Figures", "",
                  "Every figure of this folder, drawn from the tidy CSV named under it. `binarybert report --render-only --output DIR`, with DIR",
                  "this folder (e.g. `Plots/quick`), redraws all of them, `verdicts.csv` and `REPORT.md` from the CSVs alone; the same CSVs give",
                  "the same bytes. What each claim's numbers mean is in [REPORT.md](REPORT.md).", ""]
        for e in entries {
            md += ["## \(e.figure)", "", "![\(e.figure)](\(e.figure))", "", e.caption, "",
                   "Drawn from [`\(e.table)`](\(e.table)); redrawn by `binarybert report --render-only --output DIR`.", ""]
        }
        return md.joined(separator: "\n")
    }
}
