"""Helpers shared by the analysis summarizers: atomic file writes, tidy CSV rows, seed folders and mean ± std.
Standard library only."""
import glob
import os
import statistics
import tempfile


def atomic_write(path, text):
    """Writes `text` to `path` through a temporary file in the same folder, so a reader never sees half a file."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def csv_field(value):
    """One CSV cell: None is empty, a float gets 4 decimals, text holding a comma, quote or line break is quoted."""
    text = "" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
    if any(c in text for c in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows, fields):
    """Tidy CSV (RFC 4180): a header, one line per row, cells as `csv_field`."""
    lines = [",".join(csv_field(f) for f in fields)]
    for r in rows:
        lines.append(",".join(csv_field(r[k]) for k in fields))
    return "\n".join(lines) + "\n"


def seed_dirs(root):
    """(seed, path) of every ROOT/seed<N> folder, by seed."""
    found = []
    for d in glob.glob(os.path.join(root, "seed*")):
        tail = os.path.basename(d)[4:]
        if os.path.isdir(d) and tail.isdigit():
            found.append((int(tail), d))
    return sorted(found)


def stats(values):
    """Mean, sample standard deviation and count; None where undefined (no values, or one value for the std), so
    the JSON stays strict (no NaN)."""
    mean = statistics.fmean(values) if values else None
    std = statistics.stdev(values) if len(values) > 1 else None
    return {"mean": mean, "std": std, "n": len(values)}


def mean_pm_std(s, digits=2):
    """'86.66 ± 0.60' (or just the mean for one value, '—' for none) from a `stats` dict."""
    if s["mean"] is None:
        return "—"
    return f"{s['mean']:.{digits}f}" + ("" if s["std"] is None else f" ± {s['std']:.{digits}f}")
