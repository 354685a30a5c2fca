#!/usr/bin/env python3
"""Checks binarybert's forward pass against transformers' BertModel on the real all-MiniLM-L6-v2 weights.

    pip install "torch==2.13.0+cpu" transformers safetensors numpy
    swift build -c release --product binarybert
    python scripts/check_minilm_parity.py [--model assets/models/all-MiniLM-L6-v2]
                                          [--binary .build/release/binarybert] [--dtype float64|float32]

Steps:
  1. tokenizes a few real sentences (one of them a sentence pair) with transformers' BertTokenizer from the model
     folder (vocab.txt, lower-casing), special tokens included, no padding;
  2. writes one line of space-separated token ids per example to a temporary file;
  3. runs  <binary> forward --model DIR --input IDS --ids --output OUT.safetensors [--dtype float64]
     and reads hidden_states.0 .. hidden_states.L from OUT ([batch, seq, hidden], F32 or F64, padded to the
     longest example; 0 = embedding output after LayerNorm). If OUT also holds attention_mask ([batch, seq]) it
     must agree with the lengths; if it holds pooled ([batch, hidden]) that is compared too;
  4. runs transformers' BertModel (eager attention, float64 or float32 as --dtype says) on the same ids, padded
     the same way, with token_type_ids from the tokenizer (0 up to and including the first [SEP], 1 after it, so
     the binary has to derive segment ids from the first [SEP] of each line);
  5. prints, per layer, the max abs error and the max relative error (max |ours − ref| / max |ref| over the
     positions whose attention_mask is 1), then PASS or FAIL against the threshold (1e-9 for float64, 1e-4 for
     float32). Exit status: 0 PASS, 1 FAIL, 2 could not run.

--self-test runs steps 1, 2, 4 and 5 with transformers standing in for the binary (batch run one example at a
time, unpadded, then padded into OUT), which checks this script's own plumbing without binarybert.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A man is playing a guitar on stage.",
    "Swift is a general-purpose programming language developed by Apple.",
    "I can't believe it's already December!",
    "Transformers compute contextual embeddings with stacked self-attention layers, feed-forward blocks and layer normalization.",
    "Hi",
    "Der schnelle braune Fuchs springt über den faulen Hund.",  # accents, word pieces
]
PAIR = ("How do I reset my password?", "Click 'Forgot password' on the login page and follow the e-mail link.")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="assets/models/all-MiniLM-L6-v2",
                        help="model folder with config.json, model.safetensors, vocab.txt")
    parser.add_argument("--binary", default=".build/release/binarybert", help="path of the binarybert executable")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (ids file, output)")
    parser.add_argument("--self-test", action="store_true",
                        help="let transformers stand in for the binary (checks this script without binarybert)")
    return parser.parse_args()


def tokenize(model_dir):
    from transformers import BertTokenizer
    tokenizer = BertTokenizer.from_pretrained(model_dir)
    examples = []
    for text in SENTENCES:
        enc = tokenizer(text, add_special_tokens=True)
        examples.append((enc["input_ids"], enc["token_type_ids"]))
    enc = tokenizer(PAIR[0], PAIR[1], add_special_tokens=True)
    examples.append((enc["input_ids"], enc["token_type_ids"]))
    # The segment rule the binary must follow: 0 up to and including the first [SEP], 1 after it.
    sep = tokenizer.sep_token_id
    for ids, types in examples:
        first_sep = ids.index(sep)
        assert types == [0] * (first_sep + 1) + [1] * (len(ids) - first_sep - 1), (ids, types)
    return tokenizer, examples


def pad(examples, pad_id):
    longest = max(len(ids) for ids, _ in examples)
    batch = len(examples)
    input_ids = np.full((batch, longest), pad_id, dtype=np.int64)
    token_types = np.zeros((batch, longest), dtype=np.int64)
    mask = np.zeros((batch, longest), dtype=np.int64)
    for b, (ids, types) in enumerate(examples):
        input_ids[b, :len(ids)] = ids
        token_types[b, :len(ids)] = types
        mask[b, :len(ids)] = 1
    return input_ids, token_types, mask


def load_model(model_dir, dtype):
    import torch
    from transformers import BertModel
    torch_dtype = torch.float64 if dtype == "float64" else torch.float32
    model = BertModel.from_pretrained(model_dir, attn_implementation="eager", dtype=torch_dtype)
    return model.eval()


def reference(model, input_ids, token_types, mask):
    """hidden_states.0..L as float64 numpy arrays [batch, seq, hidden], plus pooled [batch, hidden]."""
    import torch
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(input_ids), token_type_ids=torch.from_numpy(token_types),
                    attention_mask=torch.from_numpy(mask), output_hidden_states=True, return_dict=True)
    hidden = [h.double().numpy() for h in out.hidden_states]
    return hidden, out.pooler_output.double().numpy()


def fake_binary_output(model, examples, dtype, out_path):
    """What binarybert is expected to write, produced by transformers one unpadded example at a time."""
    from safetensors.numpy import save_file
    longest = max(len(ids) for ids, _ in examples)
    per_layer, pooled = None, []
    for ids, types in examples:
        ids_ = np.array([ids], dtype=np.int64)
        hidden, pool = reference(model, ids_, np.array([types], dtype=np.int64), np.ones_like(ids_))
        if per_layer is None:
            per_layer = [[] for _ in hidden]
        for layer, h in enumerate(hidden):
            padded = np.zeros((longest, h.shape[-1]))
            padded[:len(ids)] = h[0]
            per_layer[layer].append(padded)
        pooled.append(pool[0])
    np_dtype = np.float64 if dtype == "float64" else np.float32
    tensors = {f"hidden_states.{i}": np.stack(rows).astype(np_dtype) for i, rows in enumerate(per_layer)}
    tensors["pooled"] = np.stack(pooled).astype(np_dtype)
    tensors["attention_mask"] = pad(examples, 0)[2]
    save_file(tensors, out_path)


def run_binary(args, ids_path, out_path):
    command = [args.binary, "forward", "--model", args.model, "--input", ids_path, "--ids", "--output", out_path]
    if args.dtype == "float64":
        command += ["--dtype", "float64"]
    print("running:", " ".join(command))
    result = subprocess.run(command)
    if result.returncode != 0:
        print(f"error: binarybert exited with status {result.returncode}", file=sys.stderr)
        return False
    return True


def compare(name, ours, ref, mask, threshold):
    """Errors over the positions with attention_mask 1 (mask None: everything)."""
    if ours.shape != ref.shape:
        print(f"{name:<18} shape {list(ours.shape)} != reference {list(ref.shape)}  FAIL")
        return False
    ours = ours.astype(np.float64)
    if mask is not None:
        keep = mask.astype(bool)
        ours, ref = ours[keep], ref[keep]
    if not np.all(np.isfinite(ours)):
        print(f"{name:<18} non-finite values  FAIL")
        return False
    abs_err = float(np.max(np.abs(ours - ref)))
    scale = float(np.max(np.abs(ref)))
    rel_err = abs_err / scale if scale > 0 else abs_err
    ok = rel_err <= threshold
    print(f"{name:<18} max abs {abs_err:.3e}   max rel {rel_err:.3e}   (max |ref| {scale:.3e})  {'ok' if ok else 'FAIL'}")
    return ok


def main():
    args = parse_args()
    from safetensors.numpy import load_file

    if not os.path.isdir(args.model):
        print(f"error: model folder {args.model} not found (scripts/fetch-assets puts it there)", file=sys.stderr)
        return 2
    if not args.self_test and not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        print(f"error: binarybert not found at {args.binary} (build it with "
              f"`swift build -c release --product binarybert`, or pass --binary)", file=sys.stderr)
        return 2
    tokenizer, examples = tokenize(args.model)
    input_ids, token_types, mask = pad(examples, tokenizer.pad_token_id)
    print(f"{len(examples)} examples, lengths {[len(ids) for ids, _ in examples]}, dtype {args.dtype}")

    workdir = tempfile.mkdtemp(prefix="minilm-parity-")
    ids_path = os.path.join(workdir, "ids.txt")
    out_path = os.path.join(workdir, "out.safetensors")
    with open(ids_path, "w") as f:
        for ids, _ in examples:
            f.write(" ".join(str(i) for i in ids) + "\n")

    model = load_model(args.model, args.dtype)
    if args.self_test:
        fake_binary_output(model, examples, args.dtype, out_path)
    elif not run_binary(args, ids_path, out_path):
        print(f"inputs kept in {workdir}", file=sys.stderr)
        return 2

    ours = load_file(out_path)
    hidden_ref, pooled_ref = reference(model, input_ids, token_types, mask)
    threshold = 1e-9 if args.dtype == "float64" else 1e-4
    print(f"threshold: max rel <= {threshold:g} (max |ours - ref| / max |ref| over unmasked positions)")

    ok = True
    if "attention_mask" in ours:
        if ours["attention_mask"].shape != mask.shape or not np.array_equal(ours["attention_mask"].astype(np.int64), mask):
            print("attention_mask in the output disagrees with the example lengths  FAIL")
            ok = False
    for layer, ref in enumerate(hidden_ref):
        name = f"hidden_states.{layer}"
        if name not in ours:
            print(f"{name:<18} missing from the output  FAIL")
            ok = False
            continue
        ok &= compare(name, ours[name], ref, mask, threshold)
    extra = sorted(k for k in ours if k.startswith("hidden_states.") and int(k.split(".")[1]) >= len(hidden_ref))
    if extra:
        print(f"unexpected extra layers in the output: {extra}  FAIL")
        ok = False
    if "pooled" in ours:
        ok &= compare("pooled", ours["pooled"], pooled_ref, None, threshold)

    if not ok and all(f"hidden_states.{i}" in ours for i in range(len(hidden_ref))):
        last = ours[f"hidden_states.{len(hidden_ref) - 1}"].astype(np.float64)
        if last.shape == hidden_ref[-1].shape:
            print("per example (last layer):")
            for b, (ids, _) in enumerate(examples):
                n = len(ids)
                err = np.max(np.abs(last[b, :n] - hidden_ref[-1][b, :n])) / np.max(np.abs(hidden_ref[-1][b, :n]))
                print(f"  example {b} (length {n}{', pair' if b == len(examples) - 1 else ''}): max rel {err:.3e}")

    if args.keep:
        print(f"kept {workdir}")
    else:
        for path in (ids_path, out_path):
            if os.path.exists(path):
                os.remove(path)
        os.rmdir(workdir)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
