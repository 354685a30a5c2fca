"""Helpers shared by the analysis summarizers: atomic file writes and tidy CSV rows. Standard library only."""
import os
import tempfile


def atomic_write(path, text):
    """Writes `text` to `path` through a temporary file in the same folder, so a reader never sees half a file."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def csv_text(rows, fields):
    """Tidy CSV: a header, one line per row; None becomes empty, floats get 4 decimals."""
    lines = [",".join(fields)]
    for r in rows:
        lines.append(",".join("" if r[k] is None else (f"{r[k]:.4f}" if isinstance(r[k], float) else str(r[k]))
                              for k in fields))
    return "\n".join(lines) + "\n"
