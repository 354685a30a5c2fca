"""Compares the claims of two reports of the same spec that differ only in floating-point rounding (another BLAS
kernel or machine): per claim both estimates and intervals, how far the estimate moved in units of the first run's
interval half-width, and whether the verdict flipped between supported and not supported (which the interval rule
must never do). Writes OUT.csv (tidy, one row per claim) and OUT.md. Usage: compare.py A_DIR B_DIR OUT_STEM"""
import csv
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tidy import atomic_write, csv_text  # noqa: E402


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {r["claim"]: r for r in csv.DictReader(f)}


def num(s):
    return float(s) if s not in ("", None) else float("nan")


def main(a_dir, b_dir, out):
    a, b = read(os.path.join(a_dir, "verdicts.csv")), read(os.path.join(b_dir, "verdicts.csv"))
    meta = {}
    for name, d in (("a", a_dir), ("b", b_dir)):
        with open(os.path.join(d, "report.json"), encoding="utf-8") as f:
            j = json.load(f)
        meta[name] = {"dir": d, "blas_core": j.get("blas_core", "?"), "threads": j.get("threads"), "seconds": j.get("stage_seconds")}
    rows, flips, moved_less = [], 0, 0
    for claim in a:
        if claim not in b:
            continue
        x, y = a[claim], b[claim]
        ea, eb = num(x["estimate"]), num(y["estimate"])
        half = (num(x["high"]) - num(x["low"])) / 2
        shift = abs(eb - ea)
        flip = {x["verdict"], y["verdict"]} == {"supported", "not supported"}
        flips += flip
        in_units = shift / half if half > 0 else float("nan")
        moved_less += in_units < 1
        rows.append({"claim": claim, "estimate_a": ea, "low_a": num(x["low"]), "high_a": num(x["high"]), "verdict_a": x["verdict"],
                     "estimate_b": eb, "low_b": num(y["low"]), "high_b": num(y["high"]), "verdict_b": y["verdict"],
                     "shift": shift, "shift_in_half_widths": in_units, "flip": "true" if flip else "false"})
    fields = list(rows[0].keys())
    atomic_write(out + ".csv", csv_text(rows, fields))
    lines = [f"# Rounding check: `{a_dir}` ({meta['a']['blas_core']}) against `{b_dir}` ({meta['b']['blas_core']})", "",
             "Same spec and seeds; only the BLAS kernels (so the floating-point rounding) differ. `shift` is |estimate B − estimate A|, "
             "in units of A's interval half-width in the last column; a flip is a change between supported and not supported.", "",
             "| claim | A: estimate [interval] verdict | B: estimate [interval] verdict | shift / half-width |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['claim']} | {r['estimate_a']:.4g} [{r['low_a']:.4g}, {r['high_a']:.4g}] {r['verdict_a']} | "
                     f"{r['estimate_b']:.4g} [{r['low_b']:.4g}, {r['high_b']:.4g}] {r['verdict_b']} | {r['shift_in_half_widths']:.3g} |")
    lines += ["", f"{moved_less} of {len(rows)} estimates moved by less than their interval's half-width; "
              f"{flips} verdict{'s' if flips != 1 else ''} flipped between supported and not supported.", ""]
    atomic_write(out + ".md", "\n".join(lines))
    print(json.dumps({"claims": len(rows), "moved_less_than_half_width": moved_less, "flips": flips, "csv": out + ".csv"}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: compare.py A_DIR B_DIR OUT_STEM")
    main(*sys.argv[1:])
