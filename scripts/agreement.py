#!/usr/bin/env python3
"""How far a second reader and palaute each agree with the gold labels on the same items.

data/labeled/agreement/second_reader.csv holds a second, blind labeling (themes, sentiment,
one triage class) of 300 held-out items, made from ../shared/spec/themes.md and the text
alone; `id` is `<gold file>:<0-based row>`. The script classifies the same texts with
palaute and prints themes macro F1, sentiment and triage accuracy and urgent recall and
precision of the reader and of palaute against the gold file, per source file.

usage: python3 scripts/agreement.py [path/to/palaute]   (default target/release/palaute)
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LABELED = os.path.join(ROOT, "data", "labeled")


def split(s):
    return {x.strip() for x in s.split(";") if x.strip()}


def first_class(s):
    classes = [x for x in s.split(";") if x]
    return classes[0] if classes else "normal"


def macro_f1(pred, gold, keys):
    themes = sorted(set().union(*(gold[k]["themes"] for k in keys)))
    scores = []
    for t in themes:
        tp = sum(1 for k in keys if t in pred[k]["themes"] and t in gold[k]["themes"])
        fp = sum(1 for k in keys if t in pred[k]["themes"] and t not in gold[k]["themes"])
        fn = sum(1 for k in keys if t not in pred[k]["themes"] and t in gold[k]["themes"])
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def row(name, pred, gold, keys):
    sent = sum(pred[k]["sentiment"] == gold[k]["sentiment"] for k in keys) / len(keys)
    tri = sum(pred[k]["triage"] == gold[k]["triage"] for k in keys) / len(keys)
    u_gold = sum(1 for k in keys if gold[k]["urgent"])
    u_pred = sum(1 for k in keys if pred[k]["urgent"])
    u_both = sum(1 for k in keys if gold[k]["urgent"] and pred[k]["urgent"])
    return (
        f"  {name:14} themes macro F1 {macro_f1(pred, gold, keys):.3f}  sentiment {sent:.3f}"
        f"  triage {tri:.3f}  urgent recall {u_both}/{u_gold}, precision {u_both}/{u_pred}"
    )


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "palaute")
    reader_rows = list(csv.DictReader(open(os.path.join(LABELED, "agreement", "second_reader.csv"))))
    gold, reader, texts = {}, {}, {}
    files = {}
    for r in reader_rows:
        f, i = r["id"].rsplit(":", 1)
        files.setdefault(f, list(csv.DictReader(open(os.path.join(LABELED, f + ".csv")))))
        g = files[f][int(i)]
        gold[r["id"]] = {
            "themes": split(g["themes"]),
            "sentiment": g["sentiment"],
            "triage": first_class(g["triage"]),
            "urgent": "urgent" in g["triage"].split(";"),
        }
        reader[r["id"]] = {
            "themes": split(r["themes"]),
            "sentiment": r["sentiment"].strip(),
            "triage": r["triage"].strip() or "normal",
            "urgent": r["triage"].strip() == "urgent",
        }
        texts[r["id"]] = (g["text"], g.get("nps", ""))
    ids = [r["id"] for r in reader_rows]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "items.csv")
        with open(src, "w", newline="") as fh:
            w = csv.writer(fh)
            # The NPS answer goes along, as in `palaute eval`: it decides an ironic sentiment.
            w.writerow(["id", "text", "nps"])
            for k in ids:
                w.writerow([k, *texts[k]])
        out = os.path.join(tmp, "items.jsonl")
        subprocess.run([binary, "classify", "-q", "--format", "jsonl", "--id-col", "id", "--nps-col", "nps", "-o", out, src], check=True)
        model = {}
        for line in open(out):
            d = json.loads(line)
            classes = d["triage_classes"] or ["normal"]
            model[d["id"]] = {
                "themes": {t["theme"] for t in d["themes"]},
                "sentiment": d["sentiment"],
                "triage": classes[0],
                "urgent": "urgent" in classes,
            }
    groups = {}
    for k in ids:
        groups.setdefault(k.rsplit(":", 1)[0], []).append(k)
    groups["all"] = ids
    for name, keys in groups.items():
        print(f"{name} ({len(keys)} items), against the gold labels:")
        print(row("second reader", reader, gold, keys))
        print(row("palaute", model, gold, keys))


if __name__ == "__main__":
    main()
