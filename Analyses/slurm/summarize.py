#!/usr/bin/env python3
"""The summary of a single-node Slurm run of the tiny report workflow (written by single-node.sh), as Markdown.

    python3 Analyses/slurm/summarize.py SCRATCH WALL_SECONDS > Analyses/slurm/single-node.md

Reads SCRATCH/export.json (the workflow's plan), sacct's record of every job of the run, and the two output folders
(SCRATCH/plots-slurm from Snakemake on Slurm, SCRATCH/plots-runner from the built-in runner), and prints the jobs with
their states, the wall time and every output file's sha256 beside the built-in runner's.
"""
import collections
import hashlib
import json
import os
import subprocess
import sys


def run(*words):
    return subprocess.run(words, check=True, capture_output=True, text=True).stdout.strip()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    scratch, wall = sys.argv[1], int(sys.argv[2])
    export = json.load(open(os.path.join(scratch, "export.json")))
    fields = ["JobID", "Comment", "State", "ExitCode", "Elapsed", "AllocCPUS", "ReqMem", "Timelimit"]
    rows = [dict(zip(fields, line.split("|")))
            for line in run("sacct", "-X", "-P", "-n", "-o", ",".join(fields)).splitlines() if line]
    states = collections.Counter(r["State"] for r in rows)
    versions = {
        "Slurm": run("sinfo", "-V"),
        "Snakemake": run(os.path.join(os.environ["VENV"], "bin", "snakemake"), "--version"),
        "executor plugin": run(os.path.join(os.environ["VENV"], "bin", "pip"), "show", "snakemake-executor-plugin-slurm").split("\n")[1],
    }
    node = run("scontrol", "show", "node", "-o").split()
    node = " ".join(w for w in node if w.split("=")[0] in ("NodeName", "CPUTot", "RealMemory", "State"))

    print("# The tiny report workflow on a single-node Slurm cluster")
    print()
    print("Written by `bash Analyses/slurm/single-node.sh` (then `summarize.py`): Debian's slurm-wlm with munge, slurmdbd")
    print("and MariaDB for accounting, every daemon started directly; the workflow of `Analyses/slurm/tiny-spec.json`")
    print("(`binarybert report --workflow snakemake`) run by `snakemake --executor slurm --jobs 8`, and the same spec run")
    print("by the built-in runner for the comparison below.")
    print()
    print("| | |")
    print("| --- | --- |")
    for k, v in versions.items():
        print(f"| {k} | {v.replace('Version: ', '')} |")
    print(f"| node | {node} |")
    print(f"| plan | {export['plan_hash'][:12]}…, {export['stages']} stages + the collection, "
          f"{export['estimated_core_hours']} core-hours estimated |")
    print(f"| jobs | {len(rows)}: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())) + " (states from sacct) |")
    print(f"| wall time | {wall} s (Snakemake's start to its end; each job's own Snakemake start and the status "
          "polls dominate at this size) |")
    print()
    print("## Jobs (sacct -X)")
    print()
    print("| job | rule | state | exit | elapsed | CPUs | memory | time limit |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        rule = r["Comment"].removeprefix("rule_")
        print(f"| {r['JobID']} | {rule} | {r['State']} | {r['ExitCode']} | {r['Elapsed']} | {r['AllocCPUS']} "
              f"| {r['ReqMem']} | {r['Timelimit']} |")
    print()
    print("## Outputs (sha256)")
    print()
    slurm, runner = os.path.join(scratch, "plots-slurm"), os.path.join(scratch, "plots-runner")
    names = sorted(n for n in os.listdir(slurm) if not n.startswith("."))
    same = [n for n in names if n.endswith((".csv", ".svg"))
            and os.path.exists(os.path.join(runner, n)) and sha256(os.path.join(slurm, n)) == sha256(os.path.join(runner, n))]
    tables = [n for n in names if n.endswith((".csv", ".svg"))]
    print(f"{len(same)} of {len(tables)} CSV and SVG files are byte-identical to the built-in runner's; REPORT.md and")
    print("report.json differ only in their provenance (the command line, the work folder, threads, jobs, seconds).")
    print()
    print("| file | sha256 | built-in runner |")
    print("| --- | --- | --- |")
    for n in names:
        mine = sha256(os.path.join(slurm, n))
        other = os.path.join(runner, n)
        verdict = "same" if os.path.exists(other) and sha256(other) == mine else "differs"
        print(f"| {n} | `{mine}` | {verdict} |")


if __name__ == "__main__":
    main()
