#!/usr/bin/env python3
"""Black-box sweep of the release CLI with broken inputs, as a careless or hostile user would give them.

    python3 Tests/Fuzz/sweep.py [--binary .build/release/binarybert] [--model DIR] [--keep]

Builds a small model directory (the tiny fixture Tests/Fixtures/tiny-bert plus a vocab.txt) and an SST-2-style
data folder in a temporary directory, then runs `evaluate`, `finetune`, `forward` and `quantize` on corrupted copies:
model.safetensors truncated at every structural boundary (inside the 8-byte length, the header, at each tensor's
start and end) and at seeded random points; header lengths that are zero, huge or past the end; every dtype, shape
and offset field of the header replaced by wrong values; missing and unknown tensors; seeded byte flips; broken
config.json values and vocabularies; malformed TSVs; absurd options. Every case must end in a non-zero exit (no
signal), with a short message (at most 3 lines on stderr, no backtrace), and leave no output behind. Prints one
JSON object: cases run, failures (each with its command and stderr), seconds. Exit status 1 when any case fails.
"""
import argparse, json, os, random, shutil, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(45)]


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return raw, json.loads(raw[8:8 + n]), n


def write_safetensors(path, header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)


def make_model(directory, rng):
    """A 2-layer BERT (hidden 16, 2 heads, 2 labels) with seeded random weights, in the HF layout."""
    h, inter, layers, vocab, positions = 16, 32, 2, len(VOCAB), 32
    shapes = {"bert.embeddings.word_embeddings.weight": [vocab, h], "bert.embeddings.position_embeddings.weight": [positions, h],
              "bert.embeddings.token_type_embeddings.weight": [2, h], "bert.embeddings.LayerNorm.weight": [h],
              "bert.embeddings.LayerNorm.bias": [h]}
    for l in range(layers):
        p = f"bert.encoder.layer.{l}."
        for part in ["query", "key", "value"]:
            shapes[p + f"attention.self.{part}.weight"] = [h, h]; shapes[p + f"attention.self.{part}.bias"] = [h]
        for name, shape in [("attention.output.dense.weight", [h, h]), ("attention.output.dense.bias", [h]),
                            ("attention.output.LayerNorm.weight", [h]), ("attention.output.LayerNorm.bias", [h]),
                            ("intermediate.dense.weight", [inter, h]), ("intermediate.dense.bias", [inter]),
                            ("output.dense.weight", [h, inter]), ("output.dense.bias", [h]),
                            ("output.LayerNorm.weight", [h]), ("output.LayerNorm.bias", [h])]:
            shapes[p + name] = shape
    shapes.update({"bert.pooler.dense.weight": [h, h], "bert.pooler.dense.bias": [h], "classifier.weight": [2, h], "classifier.bias": [2]})
    header, data = {}, b""
    for name in sorted(shapes):
        n = 1
        for d in shapes[name]: n *= d
        values = [1.0 if name.endswith("LayerNorm.weight") else rng.gauss(0, 0.02) for _ in range(n)]
        blob = struct.pack(f"<{n}f", *values)
        header[name] = {"dtype": "F32", "shape": shapes[name], "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    os.makedirs(directory)
    write_safetensors(os.path.join(directory, "model.safetensors"), header, data)
    json.dump({"vocab_size": vocab, "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 2,
               "intermediate_size": inter, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
               "max_position_embeddings": positions, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "num_labels": 2},
              open(os.path.join(directory, "config.json"), "w"))
    open(os.path.join(directory, "vocab.txt"), "w").write("\n".join(VOCAB) + "\n")


class Sweep:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.cases, self.failures = 0, []

    def run(self, label, args, output=None, expect=None, env=None):
        """One case: must fail cleanly; `expect` (a substring) must appear in the message when given; `env` adds
        environment variables."""
        self.cases += 1
        if output and os.path.exists(output):
            shutil.rmtree(output) if os.path.isdir(output) else os.remove(output)
        try:
            p = subprocess.run([self.binary] + args, capture_output=True, text=True, errors="surrogateescape", timeout=120,
                               env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **(env or {})))
        except subprocess.TimeoutExpired:
            self.failures.append({"case": label, "why": "hang (over 120 s)", "command": args})
            return
        err = p.stderr.strip()
        lines = [l for l in err.splitlines() if l.strip()]
        why = None
        if p.returncode < 0:
            why = f"killed by signal {-p.returncode}"
        elif p.returncode == 0:
            why = "accepted (exit 0)"
        elif "Fatal error" in err or "Stack dump" in err or "Backtrace" in err or "NSCocoaErrorDomain" in err:
            why = "trap or raw Foundation error text"
        elif not err:
            why = "no message"
        elif "\ufffd" in err or any("\udc80" <= c <= "\udcff" for c in err):
            why = "raw or replaced non-UTF-8 bytes in the message"
        elif len(lines) > 3 and "Usage:" not in err:
            why = f"{len(lines)} lines of message"
        elif expect and not any(e in err for e in ([expect] if isinstance(expect, str) else expect)):
            why = f"message does not name {expect!r}"
        elif output and os.path.exists(output) and (not os.path.isdir(output) or set(os.listdir(output)) - {".lock"}):
            why = f"left output {output}"
        if why:
            self.failures.append({"case": label, "why": why, "command": args, "stderr": err[-600:]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/binarybert"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"sweep: {a.binary} is not an executable (build it: swift build -c release --product binarybert)")
    work = tempfile.mkdtemp(prefix="binarybert-sweep-")
    start = time.time()
    s = Sweep(a.binary, work)
    rng = random.Random(20261202)

    model = os.path.join(work, "model")
    make_model(model, rng)
    config = json.load(open(os.path.join(model, "config.json")))
    data = os.path.join(work, "data", "SST-2")
    os.makedirs(data)
    for split, n in [("train", 24), ("dev", 8)]:
        open(os.path.join(data, f"{split}.tsv"), "w").write(
            "sentence\tlabel\n" + "".join(f"w{i % 40} w{(i * 7) % 40}\t{i % 2}\n" for i in range(n)))
    data_dir = os.path.dirname(data)
    task = "sst-2"
    raw, header, hlen = read_safetensors(os.path.join(model, "model.safetensors"))
    broken = os.path.join(work, "broken")
    out = os.path.join(work, "out")

    def fresh_copy():
        if os.path.exists(broken):
            shutil.rmtree(broken)
        shutil.copytree(model, broken)
        return os.path.join(broken, "model.safetensors")

    def evaluate(label, expect=None):
        s.run(label, ["evaluate", "--model", broken, "--task", task, "--data", data_dir, "--max-length", "8"], expect=expect)

    # The intact model works (else the sweep means nothing).
    ok = subprocess.run([a.binary, "evaluate", "--model", model, "--task", task, "--data", data_dir, "--max-length", "8"],
                        capture_output=True, text=True)
    if ok.returncode != 0:
        sys.exit(f"sweep: the intact tiny model does not evaluate: {ok.stderr}")

    # Truncations at every structural boundary and at random points.
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    cuts = {0, 1, 4, 7, 8, 9, 8 + hlen // 2, 8 + hlen - 1, 8 + hlen, len(raw) - 1}
    for v in tensors.values():
        b, e = v["data_offsets"]
        cuts.update({8 + hlen + b, 8 + hlen + b + 1, 8 + hlen + e - 1})
    cuts.update(rng.randrange(len(raw)) for _ in range(20))
    for cut in sorted(c for c in cuts if 0 <= c < len(raw)):
        path = fresh_copy()
        open(path, "wb").write(raw[:cut])
        evaluate(f"truncated at byte {cut}", expect="model.safetensors")
    # Header lengths.
    for n in [0, 1, 7, hlen + 1, len(raw), 2 ** 40, 2 ** 63 - 1, 2 ** 64 - 1]:
        path = fresh_copy()
        open(path, "wb").write(struct.pack("<Q", n) + raw[8:])
        evaluate(f"header length {n}", expect="model.safetensors")
    # Field replacements in the header.
    name = sorted(tensors)[3]
    bad_fields = [("dtype", "F128"), ("dtype", "I8"), ("dtype", 7), ("shape", [-1, 16]), ("shape", [2 ** 62, 2 ** 62]),
                  ("shape", []), ("shape", [1, 2, 3, 4]), ("shape", "16"), ("data_offsets", [0, 4]),
                  ("data_offsets", [10 ** 12, 10 ** 12 + 4]), ("data_offsets", [8, 4]), ("data_offsets", [-4, 0]),
                  ("data_offsets", [0]), ("data_offsets", None)]
    for field, value in bad_fields:
        path = fresh_copy()
        h = json.loads(json.dumps(header))
        h[name][field] = value
        write_safetensors(path, h, raw[8 + hlen:])
        evaluate(f"{name}.{field} = {value!r}", expect="model.safetensors")
    # Missing and unknown tensors, and an overlapping pair.
    path = fresh_copy()
    h = json.loads(json.dumps(header)); del h[name]
    write_safetensors(path, h, raw[8 + hlen:])
    evaluate("a missing tensor", expect=name.split(".")[-2])
    path = fresh_copy()
    h = json.loads(json.dumps(header)); h["stray.weight"] = dict(h[name])
    write_safetensors(path, h, raw[8 + hlen:])
    evaluate("an unknown tensor overlapping another", expect="model.safetensors")
    # Seeded byte flips (values may stay valid floats; NaN and header damage must be caught).
    for k in range(25):
        path = fresh_copy()
        b = bytearray(raw)
        for _ in range(1 + k % 5):
            i = rng.randrange(8, 8 + hlen) if k % 2 == 0 else rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        open(path, "wb").write(bytes(b))
        s.cases += 1
        p = subprocess.run([a.binary, "evaluate", "--model", broken, "--task", task, "--data", data_dir, "--max-length", "8"],
                           capture_output=True, text=True, timeout=120, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
        if p.returncode < 0 or "Fatal error" in p.stderr:
            s.failures.append({"case": f"byte flips {k}", "why": "trap", "stderr": p.stderr[-600:]})
        elif p.returncode == 0 and "nan" in p.stdout.lower():
            s.failures.append({"case": f"byte flips {k}", "why": "NaN metrics with exit 0", "stdout": p.stdout})
    # NaN weights.
    path = fresh_copy()
    b = bytearray(raw)
    off = 8 + hlen + tensors[name]["data_offsets"][0]
    b[off:off + 4] = struct.pack("<f", float("nan"))
    open(path, "wb").write(bytes(b))
    evaluate("a NaN weight", expect="NaN")
    # Broken configs.
    for key, value in [("vocab_size", 2 ** 63 - 1), ("vocab_size", 10 ** 12), ("vocab_size", 0), ("hidden_size", -16),
                       ("num_hidden_layers", 10 ** 9), ("num_hidden_layers", 1), ("num_hidden_layers", 3),
                       ("num_attention_heads", 3), ("layer_norm_eps", -1), ("layer_norm_eps", "small"),
                       ("hidden_act", "swish-9"), ("max_position_embeddings", 0), ("type_vocab_size", 10 ** 9),
                       ("hidden_dropout_prob", 1.5), ("position_embedding_type", "relative_key")]:
        fresh_copy()
        c = dict(config); c[key] = value
        json.dump(c, open(os.path.join(broken, "config.json"), "w"))
        # A layer count that disagrees with the weights is named by the file side that shows it.
        evaluate(f"config {key} = {value!r}", expect=("config.json", "model.safetensors"))
    for text in ["", "{", "[]", "null", '{"vocab_size": "many"}', "\x00\xff"]:
        fresh_copy()
        open(os.path.join(broken, "config.json"), "w", errors="surrogateescape").write(text)
        evaluate(f"config.json {text!r}", expect="config.json")
    # Vocabularies.
    for label, text in [("empty", ""), ("longer than vocab_size", "\n".join(VOCAB + ["x"] * 10) + "\n"),
                        ("without [CLS]", "\n".join(v for v in VOCAB if v != "[CLS]") + "\n")]:
        fresh_copy()
        open(os.path.join(broken, "vocab.txt"), "w").write(text)
        evaluate(f"vocab.txt {label}", expect="vocab")
    fresh_copy(); open(os.path.join(broken, "vocab.txt"), "wb").write(b"[PAD]\n\xff\xfe\n")
    evaluate("vocab.txt not UTF-8", expect="vocab.txt")
    # Malformed TSVs.
    bad_data = os.path.join(work, "bad-data")
    for label, text in [("empty", ""), ("header only", "sentence\tlabel\n"), ("a bad label", "sentence\tlabel\nw1 w2\tmaybe\n"),
                        ("a missing column", "sentence\tlabel\nw1 w2\n"), ("binary junk", "\x00\x01\x02\tlabel\n\x00\t\x00\n")]:
        shutil.rmtree(bad_data, ignore_errors=True)
        os.makedirs(os.path.join(bad_data, "SST-2"))
        for split in ["train", "dev"]:
            open(os.path.join(bad_data, "SST-2", f"{split}.tsv"), "w").write(text)
        s.run(f"dev.tsv {label}", ["evaluate", "--model", model, "--task", task, "--data", bad_data, "--max-length", "8"])
        s.run(f"train.tsv {label}", ["finetune", "--model", model, "--task", task, "--data", bad_data, "--output", out,
                                     "--max-length", "8"], output=out)
    # Absurd options.
    base = ["finetune", "--model", model, "--task", task, "--data", data_dir, "--output", out, "--max-length", "8"]
    for extra in [["--limit=-1"], ["--epochs", "9223372036854775807"], ["--epochs", "0"], ["--batch-size", "0"],
                  ["--eval-every", "0"], ["--lr=-1"], ["--lr", "nan"], ["--lr", "1e30"], ["--warmup", "nan"],
                  ["--warmup=-5"], ["--max-length", "1"], ["--max-length", "100000"], ["--threads", "0"],
                  ["--threads", "-3"], ["--subset", "0"], ["--seed=-1"], ["--task", "sst-3"], ["--resume"]]:
        args = base[:-2] + extra if extra[0] == "--max-length" else base + extra
        if extra[0] == "--task":
            args = [x for i, x in enumerate(base) if not (base[i - 1] == "--task" or x == "--task")] + extra
        s.run("finetune " + " ".join(extra), args, output=out)
    ev = ["evaluate", "--model", model, "--task", task, "--data", data_dir]
    for extra in [["--batch-size", "0"], ["--dtype", "bogus"], ["--max-length", "0"], ["--max-length=-5"], ["--split", "test"]]:
        s.run("evaluate " + " ".join(extra), ev + extra)
    q = ["quantize", "--teacher", model, "--task", task, "--data", data_dir, "--output", out, "--max-length", "8"]
    for extra in [["--weight-bits", "3"], ["--weight-bits", "2", "--batch-size", "0"], ["--weight-bits", "2", "--eval-every", "0"],
                  ["--weight-bits", "2", "--lr=-1"], ["--weight-bits", "2", "--width", "2"], ["--weight-bits", "1", "--weight-method", "laq"],
                  ["--weight-bits", "2", "--resume"], ["--weight-bits", "1", "--teacher-cache", ids_file := os.path.join(work, "ids.txt")],
                  ["--weight-bits", "1", "--teacher-cache", ""]]:
        if "--teacher-cache" in extra and extra[-1]:
            open(ids_file, "w").write("a file, not a folder\n")
        s.run("quantize " + " ".join(extra), q + extra, output=out, expect="--teacher-cache" if "--teacher-cache" in extra else None)
    ids = os.path.join(work, "ids.txt")
    for line in ["4294974888", "2147483648", "-1", "99999999999999999999999", "1 x 2", ""]:
        open(ids, "w").write(f"2 {line} 3\n" if line else "\n")
        target = os.path.join(work, "f.safetensors")
        s.run(f"forward --ids {line!r}", ["forward", "--model", model, "--input", ids, "--ids", "--output", target], output=target)
    s.run("forward over its input", ["forward", "--model", model, "--input", ids, "--output", ids])
    s.run("forward into the model", ["forward", "--model", model, "--input", ids, "--output", os.path.join(model, "model.safetensors")])
    s.run("plot a missing CSV", ["plot", "--csv", os.path.join(work, "nope.csv"), "--x", "x", "--y", "y", "--output", os.path.join(work, "p.svg")])
    # Report specs: every class the strict decoder refuses, before any stage runs.
    printed = subprocess.run([a.binary, "report", "--print-spec"], capture_output=True, text=True).stdout
    spec = json.loads(printed)
    spec_path = os.path.join(work, "spec.json")
    report_out, report_work = os.path.join(work, "report-out"), os.path.join(work, "report-work")
    for label, text in [("a repeated key", printed.replace('"batch_size" : 32,', '"batch_size" : 32,\n  "batch_size" : 16,')),
                        ("a misspelled key", printed.replace('"probe_examples"', '"probe_exampels"')),
                        ("16.5 for an integer", printed.replace('"batch_size" : 32', '"batch_size" : 16.5')),
                        ("2**70 for an integer", printed.replace('"batch_size" : 32', '"batch_size" : 1180591620717411303424')),
                        ("ones_points 2**32", printed.replace('"ones_points" : 7', '"ones_points" : 4294967296')),
                        ("a repeated bit width", json.dumps({**spec, "uniform_bits": [8, 8]})),
                        ("repeated replicate seeds", json.dumps({**spec, "replicate_seeds": [1, 1]})),
                        ("trace_probes 5", json.dumps({**spec, "trace_probes": 5})),
                        ("per_module_layers bogus", json.dumps({**spec, "per_module_layers": "bogus"})),
                        ("train_subset one batch", json.dumps({**spec, "train_subset": 32})),
                        ("not an object", "[1, 2]"), ("empty", "")]:
        open(spec_path, "w").write(text)
        s.run(f"report --spec with {label}", ["report", "--spec", spec_path, "--model", model, "--task", task, "--data", data_dir,
                                              "--work", report_work, "--output", report_out], output=report_out)
    # A render from tables with a corrupt number.
    os.makedirs(report_out, exist_ok=True)
    open(os.path.join(report_out, "report.json"), "w").write("{}")
    open(os.path.join(report_out, "fig1-accuracy-bits.csv"), "w").write("replicate,model,accuracy\n1,bwn,0.7x\n1,ternary,0.8\n")
    s.run("report --render-only with a corrupt number", ["report", "--render-only", "--output", report_out])
    open(os.path.join(report_out, "fig1-accuracy-bits.csv"), "wb").write(b"replicate,model,acc\xff\xfeuracy\n1,bwn,0.7\n")
    s.run("report --render-only with a header that is not UTF-8", ["report", "--render-only", "--output", report_out],
          expect="not UTF-8")
    shutil.rmtree(report_out, ignore_errors=True)
    # Curvature requests: a Lanczos basis beyond the memory there is, a warm start computed on another model.
    hessian = ["hessian", "--model", model, "--task", task, "--data", data_dir, "--max-length", "8", "--examples", "8",
               "--batch-size", "8", "--output", out]
    s.run("hessian basis beyond memory", hessian + ["--select", "all@*", "--top-k", "1", "--max-hvps", "100000"],
          output=out, expect="of memory are available", env={"BINARYBERT_MEMORY_LIMIT_MB": "1"})
    names = sorted(k for k in header if k != "__metadata__" and ".attention.self.value.weight" in k)
    foreign = os.path.join(work, "foreign.safetensors")
    blob, entries = b"", {"__metadata__": {"model_sha256": "0" * 64}}
    for name in names:
        n = header[name]["shape"][0] * header[name]["shape"][1]
        entries[name] = {"dtype": "F64", "shape": header[name]["shape"], "data_offsets": [len(blob), len(blob) + 8 * n]}
        blob += struct.pack(f"<{n}d", *([0.1] * n))
    write_safetensors(foreign, entries, blob)
    s.run("hessian --scale steps on a full-precision model", hessian + ["--select", "value@0,1", "--top-k", "1", "--scale", "steps"],
          output=out, expect="steps")
    s.run("hessian --curvature ggn with --quadratic-check", hessian + ["--select", "value@0,1", "--curvature", "ggn", "--quadratic-check"],
          output=out, expect="--quadratic-check")
    s.run("hessian --quadratic-bound without --quadratic-check", hessian + ["--select", "value@0,1", "--quadratic-bound"],
          output=out, expect="--quadratic-check")
    s.run("hessian --heterogeneity --layers 9", hessian + ["--heterogeneity", "--layers", "9"], output=out, expect="--layers")
    s.run("hessian --heterogeneity --steps 0", hessian + ["--heterogeneity", "--steps", "0"], output=out, expect="--steps")
    s.run("hessian --curvature bogus", hessian + ["--select", "value@0,1", "--curvature", "fisher"], output=out, expect="--curvature")
    s.run("hessian --warm-start from another model", hessian + ["--select", "value@0,1", "--top-k", "1", "--warm-start", foreign],
          output=out, expect="another model")
    # Adaptive sharpness: a radius that is not a positive finite number, nothing to measure, steps on full precision.
    sharpness = ["sharpness", "--model", model, "--task", task, "--data", data_dir, "--max-length", "8", "--examples", "8",
                 "--select", "value@0"]
    for rho in ["0", "-0.5", "nan", "inf", "1e400", "abc"]:
        s.run(f"sharpness --rho {rho}", sharpness + [f"--rho={rho}"], expect="--rho")
    s.run("sharpness with nothing to measure", sharpness + ["--rho", "0.1", "--samples", "0", "--steps", "0"], expect="nothing to measure")
    s.run("sharpness --samples -3", sharpness + ["--rho", "0.1", "--samples=-3"], expect="--samples")
    s.run("sharpness --scale steps on a full-precision model", sharpness + ["--rho", "0.1", "--scale", "steps"], expect="--scale steps")
    s.run("sharpness --ball l3", sharpness + ["--rho", "0.1", "--ball", "l3"], expect="--ball")
    shutil.rmtree(report_out, ignore_errors=True)

    print(json.dumps({"binary": a.binary, "cases": s.cases, "failures": s.failures, "seconds": round(time.time() - start, 1)},
                     indent=1))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if s.failures else 0)


if __name__ == "__main__":
    main()
