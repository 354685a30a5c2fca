"""Prints a report's verdicts as the README lists them, from its verdicts.csv (so no number in the README is typed by
hand): `- TEXT: **VERDICT** (mean [low, high], k of n replicates agree)`. Usage: verdict_lines.py Plots/quick"""
import csv
import os
import sys


def g(x):
    return "—" if x in ("", "nan") else f"{float(x):.3g}"


def main(directory):
    with open(os.path.join(directory, "verdicts.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            interval = f"{g(r['estimate'])} [{g(r['low'])}, {g(r['high'])}]" if r["low"] not in ("", "nan") else g(r["estimate"])
            print(f"- {r['text']}: **{r['verdict']}** ({interval}; {r['agree']} of {r['replicates']} replicates agree)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Plots/quick")
