import Foundation

/// Loads GLUE tasks (standard folder layout) and the offline Rotten Tomatoes tasks.
///
/// GLUE: `dataDirectory/<Folder>/{train,dev}.tsv` (MNLI: `dev_matched.tsv` / `dev_mismatched.tsv`), with
/// `<Folder>` one of CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI. If that file does not exist,
/// `dataDirectory/<file>` is tried (the directory may be the task folder itself). Columns are taken exactly as
/// the original GLUE processors (BERT `run_classifier.py` / HF `glue.py`) take them. Rows are split on every
/// tab; a row with fewer columns than the layout needs, or with a different column count than the header
/// (CoLA: exactly 4), is malformed rather than silently re-aligned.
///
/// rt-polarity / rt-rating: `dataDirectory/movieReviewSnippets_GroundTruth.txt` (or
/// `dataDirectory/rt-polarity/movieReviewSnippets_GroundTruth.txt`), rows `id \t rating \t text`.
/// dev = rows whose FNV-1a-64 hash of the id string (UTF-8) is divisible by 10, train = the rest.
/// rt-polarity drops ratings of exactly 0 (these are not counted as skipped) and labels by sign
/// (negative = 0, positive = 1); rt-rating keeps every row with the rating as the target.
///
/// Files are only read, never written.
public enum DatasetLoader {
    public static let rtFileName = "movieReviewSnippets_GroundTruth.txt"

    public static func load(
        task: TaskSpec, dataDirectory: URL, split: String, skipBadRows: Bool = false
    ) throws -> Dataset {
        let canonicalSplit = try normalizeSplit(split, task: task)
        switch task.name {
        case "rt-polarity", "rt-rating":
            return try loadRottenTomatoes(
                task: task, dataDirectory: dataDirectory, split: canonicalSplit, skipBadRows: skipBadRows)
        default:
            guard let layout = GLUELayout.forTask(task.name) else {
                throw DatasetError.unknownTask(name: task.name, known: Tasks.all.map(\.name))
            }
            return try loadGLUE(
                task: task, layout: layout, dataDirectory: dataDirectory, split: canonicalSplit,
                skipBadRows: skipBadRows)
        }
    }

    /// "train" → "train"; "dev", "validation" or the task's `devSplitName` → "dev".
    static func normalizeSplit(_ split: String, task: TaskSpec) throws -> String {
        let s = split.lowercased()
        if s == "train" { return "train" }
        if s == "dev" || s == "validation" || s == task.devSplitName.lowercased() { return "dev" }
        throw DatasetError.unknownSplit(
            task: task.name, split: split, allowed: task.devSplitName == "dev" ? ["train", "dev"] : ["train", "dev", task.devSplitName])
    }

    static func findFile(_ candidates: [URL], task: TaskSpec, split: String) throws -> URL {
        let fm = FileManager.default
        for url in candidates {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue { return url }
        }
        throw DatasetError.fileNotFound(task: task.name, split: split, tried: candidates.map(\.path))
    }

    // MARK: GLUE

    static func loadGLUE(
        task: TaskSpec, layout: GLUELayout, dataDirectory: URL, split: String, skipBadRows: Bool
    ) throws -> Dataset {
        let fileName = (split == "train" ? "train" : task.devSplitName) + ".tsv"
        let url = try findFile(
            [
                dataDirectory.appendingPathComponent(layout.folder).appendingPathComponent(fileName),
                dataDirectory.appendingPathComponent(fileName),
            ], task: task, split: split)
        let reader = try TSVReader(url: url)
        let labelIndex = labelIndexMap(task)
        var examples: [Example] = []
        var skipped = 0
        var expectedColumns: Int? = layout.hasHeader ? nil : layout.fixedColumnCount

        try reader.forEachRow { row in
            if layout.hasHeader && row.line == 1 {
                expectedColumns = row.count
                return
            }
            do {
                examples.append(
                    try parseGLUERow(
                        row, layout: layout, task: task, split: split, expectedColumns: expectedColumns,
                        labelIndex: labelIndex, file: reader.path))
            } catch let error as DatasetError where skipBadRows && error.line != nil {
                skipped += 1
            }
        }
        var dataset = Dataset(task: task, split: split, examples: examples, skippedRows: skipped, source: url)
        dataset.windows1252Lines = reader.windows1252Lines
        return dataset
    }

    static func parseGLUERow(
        _ row: TSVReader.Row, layout: GLUELayout, task: TaskSpec, split: String, expectedColumns: Int?,
        labelIndex: [String: Int], file: String
    ) throws -> Example {
        let f = row
        if f.count < layout.minColumns {
            throw DatasetError.tooFewColumns(file: file, line: row.line, expected: layout.minColumns, found: f.count)
        }
        if let expected = expectedColumns, f.count != expected {
            if f.count < expected {
                throw DatasetError.tooFewColumns(file: file, line: row.line, expected: expected, found: f.count)
            }
            throw DatasetError.tooManyColumns(file: file, line: row.line, expected: expected, found: f.count)
        }
        let labelField: String
        switch layout.label {
        case .column(let i): labelField = f[i]
        case .last: labelField = f.last
        }
        let label = try parseLabel(labelField, task: task, labelIndex: labelIndex, file: file, line: row.line)
        let id: String
        if let idColumn = layout.idColumn {
            id = "\(split)-\(f[idColumn])"
        } else {
            id = "\(split)-\(row.line)"
        }
        return Example(id: id, textA: f[layout.textA], textB: layout.textB.map { f[$0] }, label: label)
    }

    /// Drops leading/trailing spaces and tabs (cheaper than Foundation's trimming for the common no-op case).
    static func trimSpaces(_ s: String) -> String {
        let u = s.utf8
        guard let first = u.first, let last = u.last else { return s }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 { return s }
        var start = u.startIndex, end = u.endIndex
        while start < end && (u[start] == 0x20 || u[start] == 0x09) { start = u.index(after: start) }
        while end > start && (u[u.index(before: end)] == 0x20 || u[u.index(before: end)] == 0x09) { end = u.index(before: end) }
        return String(s[start..<end])
    }

    static func labelIndexMap(_ task: TaskSpec) -> [String: Int] {
        var map: [String: Int] = [:]
        for (i, name) in task.labelNames.enumerated() { map[name] = i }
        return map
    }

    static func parseLabel(
        _ raw: String, task: TaskSpec, labelIndex: [String: Int], file: String, line: Int
    ) throws -> Label {
        let s = trimSpaces(raw)
        switch task.kind {
        case .classification(let labels):
            guard let i = labelIndex[s] else {
                throw DatasetError.unknownLabel(file: file, line: line, label: raw, allowed: labels)
            }
            return .classIndex(i)
        case .regression:
            guard let v = Double(s), v.isFinite else {
                throw DatasetError.badValue(file: file, line: line, value: raw)
            }
            return .value(v)
        }
    }

    // MARK: Rotten Tomatoes

    /// FNV-1a 64-bit hash of the UTF-8 bytes of `s`.
    public static func fnv1a64(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The deterministic rt-polarity / rt-rating split of a snippet id: "dev" for about 10 %, else "train".
    public static func rtSplit(id: String) -> String {
        fnv1a64(id) % 10 == 0 ? "dev" : "train"
    }

    static func loadRottenTomatoes(
        task: TaskSpec, dataDirectory: URL, split: String, skipBadRows: Bool
    ) throws -> Dataset {
        let url = try findFile(
            [
                dataDirectory.appendingPathComponent(rtFileName),
                dataDirectory.appendingPathComponent("rt-polarity").appendingPathComponent(rtFileName),
            ], task: task, split: split)
        let reader = try TSVReader(url: url)
        let polarity = task.name == "rt-polarity"
        var examples: [Example] = []
        var skipped = 0
        try reader.forEachRow { row in
            let f = row
            guard rtSplit(id: f[0]) == split else { return }
            do {
                if f.count < 3 {
                    throw DatasetError.tooFewColumns(file: reader.path, line: row.line, expected: 3, found: f.count)
                }
                if f.count > 3 {
                    throw DatasetError.tooManyColumns(file: reader.path, line: row.line, expected: 3, found: f.count)
                }
                let rawRating = trimSpaces(f[1])
                guard let rating = Double(rawRating), rating.isFinite else {
                    throw DatasetError.badValue(file: reader.path, line: row.line, value: f[1])
                }
                let label: Label
                if polarity {
                    if rating == 0 { return }  // neutral: not part of the polarity task
                    label = .classIndex(rating > 0 ? 1 : 0)
                } else {
                    label = .value(rating)
                }
                examples.append(Example(id: f[0], textA: f[2], textB: nil, label: label))
            } catch let error as DatasetError where skipBadRows && error.line != nil {
                skipped += 1
            }
        }
        var dataset = Dataset(task: task, split: split, examples: examples, skippedRows: skipped, source: url)
        dataset.windows1252Lines = reader.windows1252Lines
        return dataset
    }
}

/// Column layout of a GLUE task's train/dev TSV files.
struct GLUELayout {
    enum LabelColumn { case column(Int), last }

    let folder: String
    let hasHeader: Bool
    let textA: Int
    let textB: Int?
    let label: LabelColumn
    /// Column whose value forms the example id (`<split>-<value>`); nil: `<split>-<line number>`.
    let idColumn: Int?
    /// Exact column count for files without a header.
    let fixedColumnCount: Int?

    /// Fewest columns a row needs; a "last column" label must come after the text columns.
    var minColumns: Int {
        var m = max(textA, textB ?? 0, idColumn ?? 0) + 1
        switch label {
        case .column(let i): m = max(m, i + 1)
        case .last: m += 1
        }
        return m
    }

    static func forTask(_ name: String) -> GLUELayout? {
        switch name {
        case "cola":
            // source \t label \t original mark \t sentence (no header)
            return GLUELayout(folder: "CoLA", hasHeader: false, textA: 3, textB: nil, label: .column(1), idColumn: nil, fixedColumnCount: 4)
        case "sst-2":
            // sentence \t label
            return GLUELayout(folder: "SST-2", hasHeader: true, textA: 0, textB: nil, label: .column(1), idColumn: nil, fixedColumnCount: nil)
        case "mrpc":
            // Quality \t #1 ID \t #2 ID \t #1 String \t #2 String
            return GLUELayout(folder: "MRPC", hasHeader: true, textA: 3, textB: 4, label: .column(0), idColumn: nil, fixedColumnCount: nil)
        case "sts-b":
            // index genre filename year old_index source1 source2 sentence1 sentence2 score
            return GLUELayout(folder: "STS-B", hasHeader: true, textA: 7, textB: 8, label: .last, idColumn: 0, fixedColumnCount: nil)
        case "qqp":
            // id qid1 qid2 question1 question2 is_duplicate
            return GLUELayout(folder: "QQP", hasHeader: true, textA: 3, textB: 4, label: .column(5), idColumn: 0, fixedColumnCount: nil)
        case "mnli", "mnli-mm":
            // index promptID pairID genre s1_bp s2_bp s1_p s2_p sentence1 sentence2 label1 [... label5] gold_label
            return GLUELayout(folder: "MNLI", hasHeader: true, textA: 8, textB: 9, label: .last, idColumn: 0, fixedColumnCount: nil)
        case "qnli":
            // index question sentence label
            return GLUELayout(folder: "QNLI", hasHeader: true, textA: 1, textB: 2, label: .last, idColumn: 0, fixedColumnCount: nil)
        case "rte":
            // index sentence1 sentence2 label
            return GLUELayout(folder: "RTE", hasHeader: true, textA: 1, textB: 2, label: .last, idColumn: 0, fixedColumnCount: nil)
        case "wnli":
            // index sentence1 sentence2 label
            return GLUELayout(folder: "WNLI", hasHeader: true, textA: 1, textB: 2, label: .last, idColumn: 0, fixedColumnCount: nil)
        default:
            return nil
        }
    }
}
