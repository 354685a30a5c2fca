#!/usr/bin/env python3
"""Writes Plots/curvature-per-module.{csv,json,md} and Plots/curvature-torch-check.json from a curvature run folder
(Analyses/curvature/run.sh). Standard library only."""
import argparse
import csv
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tidy import atomic_write, csv_text  # noqa: E402

PLOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Plots")
MODULE_NAMES = {"mha-qk": "MHA-QK", "mha-v": "MHA-V", "mha-o": "MHA-O", "ffn-mid": "FFN-Mid", "ffn-out": "FFN-Out"}


def load(path):
    with open(path) as f:
        return json.load(f)


def torch_check(root):
    out = {}
    ref_path = os.path.join(root, "torch-value01.json")
    if not os.path.exists(ref_path):
        return None
    ref = load(ref_path)
    out["reference"] = {k: ref[k] for k in ("top", "torch", "blas", "dtype", "threads", "indices_sha256", "examples", "seconds", "hvps")}
    for dt in ("float64", "float32"):
        p = os.path.join(root, f"value01-{dt}", "hessian.json")
        if not os.path.exists(p):
            continue
        doc = load(p)
        top = doc["models"][0]["top"]
        rel = [abs(a - b) / abs(b) for a, b in zip(top["values"], ref["top"])]
        out[dt] = {"top": top["values"], "residuals": top["residuals"], "hvps": top["matvecs"], "seconds": doc["seconds"],
                   "relative_error": rel, "max_relative_error": max(rel),
                   "same_examples": doc["objective"]["indices_sha256"] == ref["indices_sha256"]}
    out["tolerance"] = {"float64": 1e-4, "float32": 1e-2}
    out["passes"] = all(out[dt]["max_relative_error"] <= out["tolerance"][dt] for dt in ("float64", "float32") if dt in out)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    check = torch_check(args.root)
    if check:
        atomic_write(os.path.join(PLOTS, "curvature-torch-check.json"), json.dumps(check, indent=2, sort_keys=True) + "\n")
    bench = {}
    for name in ("swift", "swift-packed", "torch-power", "torch-cost"):
        p = os.path.join(args.root, "bench", name + ".json")
        if os.path.exists(p):
            bench[name.replace("-", "_")] = load(p)
    if bench:
        atomic_write(os.path.join(PLOTS, "curvature-bench.json"), json.dumps(bench, indent=2, sort_keys=True) + "\n")
    spectra(args.root)
    quadratic(args.root)
    pm = os.path.join(args.root, "per-module")
    if not os.path.exists(os.path.join(pm, "hessian.json")):
        print("summarize: no finished per-module table yet", file=sys.stderr)
        return
    doc = load(os.path.join(pm, "hessian.json"))
    per = doc["per_module"]
    with open(os.path.join(pm, "per-module.csv")) as f:
        lines = f.read().strip().split("\n")
    header = lines[0].split(",")
    rows = [dict(zip(header, l.split(","))) for l in lines[1:]]
    for r in rows:
        for k in ("lambda_max", "lambda_min", "residual_max", "seconds"):
            r[k] = float(r[k])
        for k in ("layer", "batch", "hvps"):
            r[k] = int(r[k])
    atomic_write(os.path.join(PLOTS, "curvature-per-module.csv"), csv_text(rows, header))
    meta = {k: per[k] for k in ("batches", "batch_size", "examples_indices_sha256", "layers", "modules", "reference", "lanczos", "ratio", "models")}
    meta.update({"summary": per["summary"], "dtype": doc["dtype"], "threads": doc["threads"], "version": doc["version"],
                 "blas_core": doc["blas_core"], "objective": doc["objective"], "hessian_of": doc["hessian_of"],
                 "command": doc["command"], "cells": len(rows), "unconverged_cells": sum(r["converged"] != "true" for r in rows)})
    atomic_write(os.path.join(PLOTS, "curvature-per-module.json"), json.dumps(meta, indent=2, sort_keys=True) + "\n")
    md = ["| model | module | λ_max mean ± std | λ_min mean ± std | λ_max ratio to " + per["reference"] + " [95% CI] |", "|---|---|---|---|---|"]
    for s in per["summary"]:
        ratio = "—" if s.get("lambda_max_ratio") is None else f"{s['lambda_max_ratio']:.2f} [{s['lambda_max_ratio_low']:.2f}, {s['lambda_max_ratio_high']:.2f}]"
        md.append(f"| {s['model']} | {MODULE_NAMES[s['module']]} | {s['lambda_max_mean']:.4g} ± {s['lambda_max_std']:.2g} | "
                  f"{s['lambda_min_mean']:.4g} ± {s['lambda_min_std']:.2g} | {ratio} |")
    models = " · ".join(f"{m['label']}: loss {m['loss']:.3f}, accuracy {m['accuracy']:.3f}" for m in per["models"])
    md.append("")
    md.append(f"Objective: {per['batches']} mini-batches of {per['batch_size']} training examples ({models}); {len(rows)} cells, "
              f"{meta['unconverged_cells']} not converged to tol {per['lanczos']['tol']}.")
    atomic_write(os.path.join(PLOTS, "curvature-per-module.md"), "\n".join(md) + "\n")
    # The paper's Fig. 3: λ_max ratio to the reference per module kind, with the bootstrap intervals.
    ratios = [{"model": s["model"], "module": MODULE_NAMES[s["module"]], "ratio": s["lambda_max_ratio"],
               "low": s["lambda_max_ratio_low"], "high": s["lambda_max_ratio_high"]}
              for s in per["summary"] if s.get("lambda_max_ratio") is not None]
    if ratios:
        path = os.path.join(PLOTS, "curvature-ratios.csv")
        atomic_write(path, csv_text(ratios, ["model", "module", "ratio", "low", "high"]))
        binary = os.environ.get("BIN", ".build/release/binarybert")
        if os.path.exists(binary):
            subprocess.run([binary, "plot", "--kind", "bar", "--csv", path, "--x", "module", "--y", "ratio", "--group", "model",
                            "--error-columns", "low,high", "--reference", "1",
                            "--title", f"Top Hessian eigenvalue per module kind, relative to the {per['reference']} (Fig. 3)",
                            "--x-label", "module", "--y-label", f"λ_max / λ_max of the {per['reference']} (95% CI)",
                            "--output", os.path.join(PLOTS, "curvature-ratios.svg")], check=True, stdout=subprocess.DEVNULL)


def provenance(doc, scans=None):
    """What made a hessian.json (command, objective, dtype, threads, version, each model with its sha256), without
    the per-model numbers, for the JSON beside the CSVs drawn from it."""
    keep = {k: doc[k] for k in ("blas_core", "command", "dtype", "hessian_of", "objective", "seed", "selection", "space", "threads", "version") if k in doc}
    keep["models"] = [r["model"] for r in doc["models"]]
    if scans:
        keep["eigenvector_scans"] = scans
    return keep


def quadratic(root):
    """How much of each student's quantization loss L(ŵ) − L(w) the second-order model gᵀε + ½εᵀHε explains
    (ε = ŵ − w over every quantized tensor): Plots/curvature-quadratic-check.csv."""
    path = os.path.join(root, "quadratic-check", "hessian.json")
    if not os.path.exists(path):
        return
    rows = []
    for rep in load(path)["models"]:
        q = rep.get("quadratic_check")
        if not q:
            continue
        rows.append({"model": rep["model"]["label"], "loss_latent": f"{q['loss_latent']:.6g}", "loss_quantized": f"{q['loss_quantized']:.6g}",
                     "measured": f"{q['measured']:.6g}", "gradient_term": f"{q['gradient_term']:.6g}",
                     "curvature_term": f"{q['curvature_term']:.6g}", "predicted": f"{q['predicted']:.6g}",
                     "ratio": "" if q.get("ratio") is None else f"{q['ratio']:.4g}", "epsilon_norm": f"{q['epsilon_norm']:.6g}"})
    if rows:
        atomic_write(os.path.join(PLOTS, "curvature-quadratic-check.csv"), csv_text(rows, list(rows[0].keys())))
        atomic_write(os.path.join(PLOTS, "curvature-quadratic-check.json"), json.dumps(provenance(load(path)), indent=2, sort_keys=True) + "\n")


def spectra(root):
    """The three models' spectral densities and traces of value@0,1 (Plots/curvature-density.{csv,svg},
    Plots/curvature-traces.csv) and the loss along each one's top eigenvector beside ½λx² (Plots/curvature-eigen-1d.*)."""
    path = os.path.join(root, "density-value01", "hessian.json")
    if not os.path.exists(path):
        return
    doc = load(path)
    binary = os.environ.get("BIN", ".build/release/binarybert")
    rows, traces, curves = [], [], []
    for rep in doc["models"]:
        label = rep["model"]["label"]
        d = rep.get("density")
        if d:
            peak = max(d["density"])
            for x, y in zip(d["grid"], d["density"]):
                # Gaussian tails underflow towards 0: below 1e-6 of the peak the estimate is smoothing, not spectrum.
                rows.append({"model": label, "eigenvalue": f"{x:.6g}", "density": f"{y:.6g}" if y > 1e-6 * peak else ""})
        t = rep.get("trace")
        lam = rep["top"]["values"][0] if rep.get("top") else None
        traces.append({"model": label, "dimension": rep["dimension"], "lambda_max": f"{lam:.6g}" if lam is not None else "",
                       "trace": f"{t['estimate']:.6g}" if t else "", "trace_se": f"{t['standard_error']:.3g}" if t else "",
                       "trace_estimator": t["estimator"] if t else "", "slq_trace": f"{d['trace']:.6g}" if d else "",
                       "slq_trace_se": f"{d['trace_standard_error']:.3g}" if d else "", "loss": f"{rep['loss']:.6g}"})
        scan = os.path.join(root, "eigen-1d", label, "surface.csv")
        if os.path.exists(scan) and lam is not None:
            with open(scan) as f:
                pts = list(csv.DictReader(f))
            centre = next(float(r["loss"]) for r in pts if float(r["x"]) == 0)
            for r in pts:
                x = float(r["x"])
                curves.append({"model": label, "curve": "measured", "offset": r["x"], "loss_change": f"{float(r['loss']) - centre:.6g}"})
                curves.append({"model": label, "curve": "½λ_max·x²", "offset": r["x"], "loss_change": f"{0.5 * lam * x * x:.6g}"})
    scans = {}
    for rep in doc["models"]:
        side = os.path.join(root, "eigen-1d", rep["model"]["label"], "surface.json")
        if os.path.exists(side):
            sc = load(side)
            scans[rep["model"]["label"]] = {k: sc.get(k) for k in ("command", "identity", "space", "version", "threads", "dtype")}
    atomic_write(os.path.join(PLOTS, "curvature-spectra.json"), json.dumps(provenance(doc, scans), indent=2, sort_keys=True) + "\n")
    atomic_write(os.path.join(PLOTS, "curvature-traces.csv"),
                 csv_text(traces, ["model", "dimension", "lambda_max", "trace", "trace_se", "trace_estimator", "slq_trace", "slq_trace_se", "loss"]))
    if rows:
        out = os.path.join(PLOTS, "curvature-density.csv")
        atomic_write(out, csv_text(rows, ["model", "eigenvalue", "density"]))
        if os.path.exists(binary):
            subprocess.run([binary, "plot", "--csv", out, "--x", "eigenvalue", "--y", "density", "--group", "model", "--y-spacing", "log10",
                            "--title", "Spectral density of value@0,1 (SLQ)",
                            "--x-label", "eigenvalue", "--y-label", "density (smoothed)",
                            "--output", os.path.join(PLOTS, "curvature-density.svg")], check=True, stdout=subprocess.DEVNULL)
    if curves:
        out = os.path.join(PLOTS, "curvature-eigen-1d.csv")
        atomic_write(out, csv_text(curves, ["model", "curve", "offset", "loss_change"]))
        if os.path.exists(binary):
            subprocess.run([binary, "plot", "--csv", out, "--x", "offset", "--y", "loss_change", "--group", "curve", "--panel", "model",
                            "--panel-format", "{}", "--columns", "3", "--title", "Loss along the top Hessian eigenvector of value@0,1",
                            "--x-label", "offset along the unit eigenvector", "--y-label", "L − L₀",
                            "--output", os.path.join(PLOTS, "curvature-eigen-1d.svg")], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
