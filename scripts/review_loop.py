#!/usr/bin/env python3
"""Measures the review loop: a script stands in for a person and labels N comments of a
labeled file through `palaute review`'s HTTP API, in the order the page would show them
(most doubtful first), answering with the file's own gold labels. Then the model is
retrained on train.csv + labels.csv, and both models are evaluated on the comments that
were not labeled.

Usage: scripts/review_loop.py [--n 100] [--gold data/labeled/dev.csv] [--out out/loop]
       [--palaute target/release/palaute]
Writes OUT/labels.csv, OUT/rest.csv (the unlabeled part of the gold file), OUT/before.json
and OUT/after.json (`palaute eval --json`), and prints the macro F1 before and after.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import urllib.request


def gold_rows(path):
    """The gold file's rows keyed by the line each starts on (what palaute calls its row)."""
    rows = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.DictReader(f)
        start = r.line_num + 1
        for row in r:
            rows[start] = row
            start = r.line_num + 1
    return rows


def call(url, token, path, body=None):
    req = urllib.request.Request(url + path, method="GET" if body is None else "POST")
    req.add_header("Authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as resp:
        return json.loads(resp.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--gold", default="data/labeled/dev.csv")
    ap.add_argument("--train", default="data/labeled/train.csv")
    ap.add_argument("--out", default="out/loop")
    ap.add_argument("--palaute", default="target/release/palaute")
    ap.add_argument("--order", choices=["review", "random"], default="review",
                    help="the page's order (most doubtful first), or random comments for comparison")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    labels = os.path.join(a.out, "labels.csv")
    if os.path.exists(labels):
        os.remove(labels)
    gold = gold_rows(a.gold)

    srv = subprocess.Popen(
        [a.palaute, "review", a.gold, "--no-browser", "--labels", labels, "--reviewer", "script"],
        stdout=subprocess.PIPE, text=True)
    try:
        address = srv.stdout.readline().strip()
        base, token = address.split("/?token=")
        same_text = 0
        chosen = random.Random(a.seed).sample(sorted(gold), a.n) if a.order == "random" else None
        for i in range(a.n):
            if chosen is None:
                item = call(base, token, "/api/next")["item"]
            else:
                item = call(base, token, f"/api/item/{os.path.basename(a.gold)}:{chosen[i]}")
            if item is None:
                break
            row = int(item["source"].rsplit(":", 1)[1])
            g = gold[row]
            same_text += item["text"] == g["text"]
            call(base, token, "/api/label", {
                "id": item["id"],
                "themes": [t for t in g["themes"].replace(",", ";").split(";") if t.strip()],
                "sentiment": g.get("sentiment") or None,
                "triage": g.get("triage") or "",
            })
        labeled = call(base, token, "/api/meta")["labeled"]
    finally:
        srv.terminate()
        srv.wait()
    # Masked names and numbers are the only differences allowed between item and gold text.
    if same_text < 0.8 * labeled:
        sys.exit(f"only {same_text} of {labeled} items matched their gold text: rows misaligned")

    done = set()
    with open(labels, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            done.add(int(row["source"].rsplit(":", 1)[1]))
    rest = os.path.join(a.out, "rest.csv")
    with open(a.gold, newline="", encoding="utf-8-sig") as f:
        fields = csv.DictReader(f).fieldnames
    with open(rest, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for line, row in sorted(gold.items()):
            if line not in done:
                w.writerow(row)
    print(f"labeled {labeled} comments through the API; {len(gold) - len(done)} left in {rest}")

    before = os.path.join(a.out, "before.json")
    after = os.path.join(a.out, "after.json")
    # Both models train on --train (train.csv alone by default: the default training set
    # also holds dev.csv, whose comments are measured here).
    subprocess.run([a.palaute, "eval", "--gold", rest, "--json", before, "-q",
                    "--train", a.train], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([a.palaute, "eval", "--gold", rest, "--json", after,
                    "--train", a.train, "--train", labels,
                    "--heads", os.path.join(a.out, "heads.json"),
                    "--tuned-dir", os.path.join(a.out, "tuned")], check=True,
                   stdout=subprocess.DEVNULL)
    for name, path in (("before", before), ("after", after)):
        with open(path) as f:
            r = json.load(f)
        print(name, json.dumps(summary(r)))


def summary(report):
    """The headline figures of an eval report."""
    t, tr = report["themes"], report.get("triage") or {}
    return {
        "macro_f1": round(t["macro_f1"], 3),
        "micro_f1": round(t["micro_f1"], 3),
        "multi_theme_all_found": t.get("multi_theme_all_found"),
        "sentiment": round(report["sentiment"]["accuracy"], 3),
        "triage_accuracy": tr.get("accuracy"),
        "urgent_recall": tr.get("urgent_recall"),
        "urgent_precision": tr.get("urgent_precision"),
        "per_theme_f1": {k: round(v["f1"], 3) for k, v in t["per_theme"].items()},
    }


if __name__ == "__main__":
    main()
