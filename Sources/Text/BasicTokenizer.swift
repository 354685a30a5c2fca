import Foundation

/// The "basic" (pre-WordPiece) step of BERT tokenization, a code-point-exact port of
/// HuggingFace's slow `BasicTokenizer`:
///
/// 1. clean text: drop U+0000, U+FFFD and control characters (category C*, except tab, LF, CR),
///    turn whitespace (space, tab, LF, CR, category Zs) into a space;
/// 2. put spaces around CJK ideographs (`_is_chinese_char` ranges);
/// 3. NFC-normalize, then split on whitespace as Python's `str.split()` does;
/// 4. per word (unless it is a never-split token): Python `str.lower()` (with the final-sigma rule),
///    then strip accents (NFD, drop category Mn);
/// 5. split punctuation (category P* plus ASCII 33-47, 58-64, 91-96, 123-126) into single-character words.
///
/// Character categories follow Unicode 14.0 (the database of Python 3.11, the reference): a scalar
/// assigned in a later Unicode version counts as unassigned (Cn), i.e. as a control character.
public struct BasicTokenizer: Sendable {
    public let doLowerCase: Bool
    /// nil: strip accents exactly when lower-casing (HF's default).
    public let stripAccents: Bool?
    public let tokenizeChineseChars: Bool
    /// Words that are neither lower-cased nor split (HF passes the special tokens here).
    public let neverSplit: [String]
    private let neverSplitScalars: Set<[UInt32]>
    private let neverSplitFirstScalars: Set<UInt32>

    public init(
        doLowerCase: Bool = true,
        neverSplit: [String] = [],
        tokenizeChineseChars: Bool = true,
        stripAccents: Bool? = nil
    ) {
        self.doLowerCase = doLowerCase
        self.stripAccents = stripAccents
        self.tokenizeChineseChars = tokenizeChineseChars
        self.neverSplit = neverSplit
        self.neverSplitScalars = Set(neverSplit.map { $0.unicodeScalars.map(\.value) })
        self.neverSplitFirstScalars = Set(neverSplit.compactMap { $0.unicodeScalars.first?.value })
    }

    /// Splits `text` into basic words (no WordPiece).
    public func tokenize(_ text: String) -> [String] {
        words(Array(text.unicodeScalars)[...]).map { word in
            var s = String()
            s.unicodeScalars.append(contentsOf: word)
            return s
        }
    }

    /// The basic words of `text` as scalar arrays.
    func words(_ text: ArraySlice<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        // 1-2. Clean text and isolate CJK ideographs.
        var buffer: [Unicode.Scalar] = []
        buffer.reserveCapacity(text.count + 8)
        var needsNFC = false
        for scalar in text {
            let v = scalar.value
            if v < 0x80 {
                if v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D {
                    buffer.append(" ")
                } else if v < 0x20 || v == 0x7F {
                    continue  // Cc (including U+0000)
                } else {
                    buffer.append(scalar)
                }
                continue
            }
            if v == 0xFFFD { continue }
            let flags = UnicodeClass.flags(scalar)
            if flags & UnicodeClass.control != 0 { continue }
            if flags & UnicodeClass.spaceSeparator != 0 {
                buffer.append(" ")
                continue
            }
            if v >= 0x300 { needsNFC = true }
            if tokenizeChineseChars && UnicodeClass.isChineseChar(v) {
                buffer.append(" ")
                buffer.append(scalar)
                buffer.append(" ")
            } else {
                buffer.append(scalar)
            }
        }
        // 3. NFC (only text with a scalar >= U+0300 can change: nothing below composes or decomposes).
        if needsNFC {
            var s = String()
            s.unicodeScalars.append(contentsOf: buffer)
            buffer = Array(s.precomposedStringWithCanonicalMapping.unicodeScalars)
        }
        // 3-5. Whitespace split, then per word lower-case, strip accents and split punctuation.
        var output: [[Unicode.Scalar]] = []
        let shouldStrip = stripAccents ?? doLowerCase
        var i = 0
        let n = buffer.count
        while i < n {
            if UnicodeClass.isPythonSpace(buffer[i].value) {
                i += 1
                continue
            }
            var j = i + 1
            while j < n && !UnicodeClass.isPythonSpace(buffer[j].value) { j += 1 }
            var word = Array(buffer[i..<j])
            i = j
            if !neverSplitScalars.isEmpty && !neverSplitFirstScalars.isEmpty
                && neverSplitFirstScalars.contains(word[0].value)
                && neverSplitScalars.contains(word.map(\.value)) {
                output.append(word)
                continue
            }
            if doLowerCase {
                word = BasicTokenizer.lowercased(word)
                if stripAccents != false { word = BasicTokenizer.strippingAccents(word) }
            } else if shouldStrip {
                word = BasicTokenizer.strippingAccents(word)
            }
            BasicTokenizer.splitPunctuation(word, into: &output)
        }
        return output
    }

    /// Python's `str.lower()`: full lowercase mappings, with U+03A3 mapped to final sigma (U+03C2)
    /// in the Final_Sigma context and to U+03C3 otherwise.
    static func lowercased(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(word.count)
        for (index, scalar) in word.enumerated() {
            let v = scalar.value
            if v < 0x80 {
                if v >= 0x41 && v <= 0x5A {
                    result.append(Unicode.Scalar(UInt8(v + 0x20)))
                } else {
                    result.append(scalar)
                }
            } else if v == 0x3A3 {
                result.append(isFinalSigma(word, at: index) ? "\u{3C2}" : "\u{3C3}")
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return result
    }

    /// CPython's `handle_capital_sigma`: \p{cased}\p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased}).
    static func isFinalSigma(_ word: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index - 1
        while j >= 0 && word[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && word[j].properties.isCased else { return false }
        j = index + 1
        while j < word.count && word[j].properties.isCaseIgnorable { j += 1 }
        return j == word.count || !word[j].properties.isCased
    }

    /// NFD, then drop nonspacing marks (category Mn).
    static func strippingAccents(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Nothing below U+00C0 has a canonical decomposition or is a nonspacing mark.
        if word.allSatisfy({ $0.value < 0xC0 }) { return word }
        var s = String()
        s.unicodeScalars.append(contentsOf: word)
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(word.count)
        for scalar in s.decomposedStringWithCanonicalMapping.unicodeScalars
        where UnicodeClass.flags(scalar) & UnicodeClass.nonspacingMark == 0 {
            result.append(scalar)
        }
        return result
    }

    /// HF `_run_split_on_punc`: every punctuation character is its own word.
    static func splitPunctuation(_ word: [Unicode.Scalar], into output: inout [[Unicode.Scalar]]) {
        var current: [Unicode.Scalar] = []
        for scalar in word {
            if UnicodeClass.isPunctuation(scalar) {
                if !current.isEmpty {
                    output.append(current)
                    current = []
                }
                output.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { output.append(current) }
    }
}

/// Character classes as HuggingFace defines them, on Unicode 14.0 categories.
enum UnicodeClass {
    /// The reference's Unicode version (Python 3.11's `unicodedata.unidata_version`).
    static let referenceVersion = (major: 14, minor: 0)

    /// General category as Python 3.11 sees it: scalars newer than Unicode 14.0 are unassigned.
    @inline(__always)
    static func category(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        let properties = scalar.properties
        guard let age = properties.age,
              age.major < referenceVersion.major
                || (age.major == referenceVersion.major && age.minor <= referenceVersion.minor)
        else { return .unassigned }
        return properties.generalCategory
    }

    /// HF `_is_punctuation`.
    @inline(__always)
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        flags(scalar) & punctuation != 0
    }

    // Class flags, precomputed for the BMP (category lookups dominate on non-Latin text).
    static let control: UInt8 = 1  // HF _is_control (category C*; tab, LF, CR excluded)
    static let spaceSeparator: UInt8 = 2  // category Zs
    static let punctuation: UInt8 = 4  // HF _is_punctuation
    static let nonspacingMark: UInt8 = 8  // category Mn

    private static let bmpFlags: [UInt8] = (0..<0x10000).map { v -> UInt8 in
        guard let scalar = Unicode.Scalar(UInt32(v)) else { return control }  // surrogates: Cs
        return computeFlags(scalar)
    }

    @inline(__always)
    static func flags(_ scalar: Unicode.Scalar) -> UInt8 {
        let v = scalar.value
        return v < 0x10000 ? bmpFlags[Int(v)] : computeFlags(scalar)
    }

    static func computeFlags(_ scalar: Unicode.Scalar) -> UInt8 {
        let v = scalar.value
        if v == 0x09 || v == 0x0A || v == 0x0D { return 0 }
        if (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126) {
            return punctuation
        }
        switch category(scalar) {
        case .control, .format, .surrogate, .privateUse, .unassigned:
            return control
        case .spaceSeparator:
            return spaceSeparator
        case .nonspacingMark:
            return nonspacingMark
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return punctuation
        default:
            return 0
        }
    }

    /// HF `_is_chinese_char` (CJK Unified Ideographs blocks and compatibility ideographs).
    @inline(__always)
    static func isChineseChar(_ v: UInt32) -> Bool {
        (v >= 0x4E00 && v <= 0x9FFF)
            || (v >= 0x3400 && v <= 0x4DBF)
            || (v >= 0x20000 && v <= 0x2A6DF)
            || (v >= 0x2A700 && v <= 0x2B73F)
            || (v >= 0x2B740 && v <= 0x2B81F)
            || (v >= 0x2B820 && v <= 0x2CEAF)
            || (v >= 0xF900 && v <= 0xFAFF)
            || (v >= 0x2F800 && v <= 0x2FA1F)
    }

    /// Python's `str.isspace()` (Unicode 14.0), which `whitespace_tokenize` splits on.
    @inline(__always)
    static func isPythonSpace(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return v == 0x20 || (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x1F)
        }
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}
