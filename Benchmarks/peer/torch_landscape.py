#!/usr/bin/env python3
"""PyTorch peer for `binarybert bench-landscape`: what tomgoldstein/loss-landscape does per grid point — copy
θ₀ + x·d_x + y·d_y into the model's parameters and run a full eval forward over the objective — on the same model,
examples, directions and points as the Swift benchmark, so that the two rates are comparable and the losses can be
checked against each other.

    pip install "torch==2.13.0+cpu" transformers safetensors
    binarybert bench-landscape --model runs/table/seed42/teacher --task rt-polarity --data assets/data/rt-polarity \
        --threads 1 --output runs/bench-landscape > runs/bench-landscape/swift.json
    python Benchmarks/peer/torch_landscape.py --model runs/table/seed42/teacher --swift runs/bench-landscape/swift.json \
        --directions runs/bench-landscape --threads 1

Objective: rt-polarity's --split (dev iff FNV-1a-64(id) % 10 == 0, as Benchmarks/peer/torch_finetune.py) in file
order, the first --examples rows, HF BertTokenizer (lower case, truncation at --max-length), batches of
the Swift run's batch size padded to their longest row, eval mode; loss = mean cross-entropy over the examples. The directions
are the Swift run's direction-x/-y.safetensors (float64, named after the model's parameters); the points are the
ones the Swift run timed. Prints one JSON object: points/s per selection and the largest |Δloss| against Swift.
"""

import argparse
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_batches import padded_batches  # noqa: E402
from torch_finetune import load_rt_polarity  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(REPO, "assets", "data", "rt-polarity", "movieReviewSnippets_GroundTruth.txt")


def main():
    p = argparse.ArgumentParser(description="PyTorch loss-landscape peer (set weights, full forward)")
    p.add_argument("--model", required=True)
    p.add_argument("--swift", required=True, help="the JSON line bench-landscape printed")
    p.add_argument("--directions", required=True, help="bench-landscape's --output")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()

    import torch
    from safetensors.torch import load_file
    from transformers import BertForSequenceClassification, BertTokenizer

    torch.set_num_threads(args.threads)
    with open(args.swift) as f:
        swift = json.load(f)
    model = BertForSequenceClassification.from_pretrained(args.model, attn_implementation="eager").float().eval()
    tokenizer = BertTokenizer.from_pretrained(args.model, do_lower_case=True)
    train, dev = load_rt_polarity(args.data)
    rows = (dev if swift["split"] == "dev" else train)[: swift["examples"]]
    sha = hashlib.sha256(",".join(map(str, range(len(rows)))).encode()).hexdigest()
    if sha != swift["indices_sha256"]:
        raise SystemExit("the examples differ from the Swift run's (indices sha256)")
    batches = padded_batches(torch, tokenizer, rows, swift["batch_size"], swift["max_length"])
    n_total = sum(b[2].numel() for b in batches)
    params = dict(model.named_parameters())

    results = []
    for r in swift["results"]:
        folder = os.path.join(args.directions, r["select"].replace("@", "-").replace(",", "_"))
        dx = load_file(os.path.join(folder, "direction-x.safetensors"))
        dy_path = os.path.join(folder, "direction-y.safetensors")
        dy = load_file(dy_path) if os.path.exists(dy_path) else {}
        names = sorted(dx)
        origin = {n: params[n].detach().double().clone() for n in names}
        worst, seconds = 0.0, 0.0
        with torch.no_grad():
            for x, y, swift_loss in r["evaluated"]:
                t = time.perf_counter()
                for n in names:
                    w = origin[n] + x * dx[n] + (y * dy[n] if n in dy else 0)
                    params[n].copy_(w.float())
                total = 0.0
                for ids, mask, labels in batches:
                    logits = model(input_ids=ids, attention_mask=mask).logits
                    total += float(torch.nn.functional.cross_entropy(logits, labels)) * labels.numel() / n_total
                seconds += time.perf_counter() - t
                worst = max(worst, abs(total - swift_loss))
            for n in names:
                params[n].copy_(origin[n].float())
        results.append({"select": r["select"], "points": len(r["evaluated"]), "points_per_second": len(r["evaluated"]) / seconds,
                        "max_loss_difference_vs_swift": worst})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0], "examples": n_total,
                      "results": results}, sort_keys=True))


if __name__ == "__main__":
    main()
