#!/usr/bin/env python3
"""Collects the loss-surface scans of Analyses/landscape/run.sh into Plots/: each scan's surface.csv and surface.json
under Plots/landscape/<scan>/ (per seed for the random scans), the statistics of every scan in one tidy CSV
(Plots/landscape-statistics.csv), a Markdown table of them with mean ± std over direction seeds
(Plots/landscape-statistics.md), and the centre row and column of the all-ones probes as tidy 1-D slices
(Plots/landscape-slices.csv, drawn by `binarybert plot` into Plots/landscape-slices.svg), and the all-ones surfaces
themselves as one tidy CSV (Plots/landscape-surfaces.csv) drawn as 3-D surfaces and contour maps on one colour scale
per space (Plots/landscape-surfaces.<space>.svg, Plots/landscape-surfaces.<space>-contour.svg). Standard library only."""
import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tidy import atomic_write, csv_text  # noqa: E402

MODELS = ["teacher", "ternary-w2a8", "bwn-w1a8"]
SHOWN = ["loss_center", "sharpness_r1", "sharpness_r3", "curvature_x", "curvature_y", "nonconvex_fraction",
         "mean_abs_eigen_ratio", "roughness", "local_minima"]


def load(path):
    with open(path) as f:
        return json.load(f)


def units(scan_dir):
    """(seed or None, directory) of every finished scan in a run folder."""
    if os.path.exists(os.path.join(scan_dir, "statistics-summary.csv")):
        seeds = sorted((d for d in os.listdir(scan_dir) if d.startswith("seed-")), key=lambda d: int(d[5:]))
        return [(int(d[5:]), os.path.join(scan_dir, d)) for d in seeds]
    doc = os.path.join(scan_dir, "surface.json")
    if os.path.exists(doc) and load(doc).get("status") == "complete":
        return [(None, scan_dir)]
    return []


def number(text):
    return float(text) if text not in ("", "nan") else math.nan


def full(v):
    """A float cell at full precision (tidy.csv_field would round it to 4 decimals)."""
    return "nan" if math.isnan(v) else repr(v)


def fmt(v, digits=4):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}g}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--plots", required=True)
    ap.add_argument("--bin", default=os.environ.get("BIN", ".build/release/binarybert"))
    a = ap.parse_args()
    rows, slices, table, surfaces = [], [], {}, []
    for scan in sorted(os.listdir(a.runs)):
        path = os.path.join(a.runs, scan)
        if not os.path.isdir(path) or scan.endswith(".lock"):
            continue
        found = units(path)
        if not found:
            continue
        probe, space, model = scan.split("-", 2)
        per_seed = []
        for seed, d in found:
            doc = load(os.path.join(d, "surface.json"))
            target = os.path.join(a.plots, "landscape", scan, f"seed-{seed}" if seed is not None else "")
            os.makedirs(target, exist_ok=True)
            for name in ("surface.csv", "surface.json", "statistics.csv"):
                shutil.copyfile(os.path.join(d, name), os.path.join(target, name))
            stats = {k: (math.nan if v is None else v) for k, v in doc["statistics"].items()}
            per_seed.append(stats)
            for k, v in stats.items():
                rows.append({"scan": scan, "model": model, "probe": probe, "space": doc["space"],
                             "direction_seed": "" if seed is None else seed, "statistic": k, "value": full(v)})
            if probe == "ones":
                with open(os.path.join(d, "surface.csv")) as f:
                    points = [r for r in csv.DictReader(f)]
                for r in points:
                    surfaces.append({"model": model, "space": doc["space"], "i": r["i"], "j": r["j"], "x": r["x"], "y": r["y"],
                                     "loss": r["loss"], "accuracy": r["metric"]})
                    x, y = float(r["x"]), float(r["y"])
                    if y == 0:
                        slices.append({"model": model, "space": doc["space"], "panel": f"{space} space, x (layer 0 value)",
                                       "offset": full(x), "loss": full(number(r["loss"])), "accuracy": full(number(r["metric"]))})
                    if x == 0:
                        slices.append({"model": model, "space": doc["space"], "panel": f"{space} space, y (layer 1 value)",
                                       "offset": full(y), "loss": full(number(r["loss"])), "accuracy": full(number(r["metric"]))})
        table[(probe, space, model)] = (doc["space"], per_seed)
    columns = ["scan", "model", "probe", "space", "direction_seed", "statistic", "value"]
    atomic_write(os.path.join(a.plots, "landscape-statistics.csv"), csv_text(rows, columns))
    if slices:
        path = os.path.join(a.plots, "landscape-slices.csv")
        atomic_write(path, csv_text(slices, ["model", "space", "panel", "offset", "loss", "accuracy"]))
        if os.path.exists(a.bin):
            subprocess.run([a.bin, "plot", "--csv", path, "--x", "offset", "--y", "loss", "--group", "model", "--panel", "panel",
                            "--panel-format", "{}", "--title", "All-ones probe (Fig. 2), centre slices",
                            "--x-label", "offset (units of mean|W|)", "--y-label", "training loss (128 examples)",
                            "--output", os.path.join(a.plots, "landscape-slices.svg")], check=True, stdout=subprocess.DEVNULL)
    if surfaces:
        path = os.path.join(a.plots, "landscape-surfaces.csv")
        atomic_write(path, csv_text(surfaces, ["model", "space", "i", "j", "x", "y", "loss", "accuracy"]))
        if os.path.exists(a.bin):
            for space in sorted({r["space"] for r in surfaces if r["space"] != "full-precision"}):
                # The teacher has one space (full precision): it sits beside the students in each.
                keep = sorted((r for r in surfaces if r["space"] in (space, "full-precision")),
                              key=lambda r: MODELS.index(r["model"]) if r["model"] in MODELS else 9)
                part = os.path.join(a.plots, f".landscape-surfaces-{space}.csv")
                atomic_write(part, csv_text(keep, ["model", "space", "i", "j", "x", "y", "loss", "accuracy"]))
                for kind, extra in (("surface", []), ("contour", ["--levels", "8"])):
                    name = space if kind == "surface" else f"{space}-contour"
                    short = kind == "surface"
                    subprocess.run([a.bin, "plot", "--kind", kind, "--csv", part, "--x", "x", "--y", "y", "--z", "loss",
                                    "--panel", "model", "--panel-format", "{}", "--columns", "3",
                                    "--title", f"All-ones probe (Fig. 2), {space} space: training loss, one colour scale",
                                    "--x-label", "x (layer 0 value)" if short else "x · mean|W| on layer 0's value",
                                    "--y-label", "y (layer 1 value)" if short else "y · mean|W| on layer 1's value",
                                    "--color-label", "loss", "--output", os.path.join(a.plots, f"landscape-surfaces.{name}.svg")] + extra,
                                   check=True, stdout=subprocess.DEVNULL)
                os.remove(part)
    # Markdown: one row per (probe, space, model), mean ± std over seeds where there are several.
    lines = ["| probe | space | model | " + " | ".join(SHOWN) + " |", "|" + "---|" * (3 + len(SHOWN))]
    for (probe, space, model) in sorted(table, key=lambda k: (k[0] != "ones", k[1], MODELS.index(k[2]) if k[2] in MODELS else 9)):
        recorded, runs = table[(probe, space, model)]
        cells = []
        for s in SHOWN:
            xs = [r.get(s, math.nan) for r in runs]
            xs = [x for x in xs if not math.isnan(x)]
            if not xs:
                cells.append("—")
            elif len(runs) == 1:
                cells.append(fmt(xs[0]))
            else:
                m = sum(xs) / len(xs)
                sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 and max(xs) > min(xs) else 0.0
                m = xs[0] if max(xs) == min(xs) else m
                cells.append(f"{fmt(m)} ± {fmt(sd, 2)}")
        label = f"{probe} ({len(runs)} seeds)" if len(runs) > 1 else probe
        lines.append(f"| {label} | {recorded} | {model} | " + " | ".join(cells) + " |")
    atomic_write(os.path.join(a.plots, "landscape-statistics.md"), "\n".join(lines) + "\n")
    print(json.dumps({"scans": len(table), "rows": len(rows), "slices": len(slices), "surface_points": len(surfaces)}))


if __name__ == "__main__":
    main()
