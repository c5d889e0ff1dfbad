#!/usr/bin/env python3
"""Runs `palaute eval` on held-out files and prints each file's figures and the pooled ones,
the way the README's "pooled over thirteen files" figures are counted.

Usage:
  scripts/heldout.py [--bin target/release/palaute] [--out DIR] [--no-run] [FILE ...]

FILE is a name under data/labeled/ without `.csv` (default: the thirteen older held-out
files the README pools). Each file's JSON goes to DIR/FILE.json (default
target/heldout/); --no-run pools JSON files already there. Extra options for palaute
(`--no-model`, `--train ...`) go after `--`.

Pooling: urgent items found and flagged are summed over the files (recall = found / urgent
items, precision = found / flagged, with Wilson 95 % intervals); urgent ∪ possible_urgent
and triage accuracy likewise; sentiment and "2+ themes all found" are summed over their
items; themes macro F1 is the mean over the files (each file's macro F1 is over the themes
it has).
"""
import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

THIRTEEN = ["test_contact", "test_registry4", "test_registry3", "test_triage",
            "test_registry", "test_registry2", "test_long", "test_long2", "test_long3",
            "test_public", "test_public2", "test_themes2", "test_themes3"]


def wilson(k, n, z=1.96):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def figures(d):
    t = d["triage"]
    n_urgent = t["urgent_support"]
    recall = t["urgent_recall"] or 0.0
    precision = t["urgent_precision"] or 0.0
    # The JSON gives ratios to four places; at these sizes they round back to the counts.
    found = round(recall * n_urgent)
    flagged = round(found / precision) if precision else 0
    multi = d["themes"]["multi_theme_all_found"]
    return {
        "urgent": n_urgent,
        "found": found,
        "flagged": flagged,
        "either": round(t["urgent_or_possible_recall"] * n_urgent),
        "triage_right": round(t["accuracy"] * t["n"]),
        "triage_n": t["n"],
        "macro": d["themes"]["macro_f1"],
        "multi_right": round(multi["accuracy"] * multi["n"]),
        "multi_n": multi["n"],
        "sent_right": round(d["sentiment"]["accuracy"] * d["sentiment"]["n"]),
        "sent_n": d["sentiment"]["n"],
    }


def row(name, f):
    ratio = lambda a, b: a / b if b else float("nan")
    lo, hi = wilson(f["found"], f["urgent"])
    return (f"{name:16} urgent {f['found']:3d}/{f['urgent']:<3d} {ratio(f['found'], f['urgent']):.3f} "
            f"({lo:.2f}-{hi:.2f})  precision {ratio(f['found'], f['flagged']):.3f} "
            f"false {f['flagged'] - f['found']:3d}  u+p {ratio(f['either'], f['urgent']):.3f}  "
            f"triage {ratio(f['triage_right'], f['triage_n']):.3f}  themes {f['macro']:.3f}  "
            f"2+all {ratio(f['multi_right'], f['multi_n']):.3f}  "
            f"sentiment {ratio(f['sent_right'], f['sent_n']):.3f}")


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="target/release/palaute")
    ap.add_argument("--out", default="target/heldout")
    ap.add_argument("--no-run", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(argv)
    files = a.files or THIRTEEN
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    pooled = None
    for name in files:
        js = out / f"{name}.json"
        if not a.no_run:
            gold = Path("data/labeled") / f"{name}.csv"
            cmd = [a.bin, "eval", "--gold", str(gold), "--json", str(js), "-q", *extra]
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
        f = figures(json.loads(js.read_text()))
        print(row(name, f))
        pooled = f if pooled is None else {k: pooled[k] + f[k] for k in f}
    if len(files) > 1:
        # Counts add up; macro F1 does not, so the pooled one is the mean over files.
        pooled["macro"] /= len(files)
        print(row(f"POOLED ({len(files)})", pooled))


if __name__ == "__main__":
    main()
