#!/usr/bin/env python3
"""Turn the compact hand-written label format into the CSV that `palaute eval` reads.

Formats (one item per line, `#` lines are comments):
  lang|sentiment|triage|themes|text                  (batches 1-2)
  lang|sentiment|triage|themes|pii|text              (batch 3)
  lang|sentiment|triage|kind|themes|pii|text         (batch 4 on)
`triage` is one letter per class that applies (u f c n, e.g. `ufc`); `kind` is the kind of
urgency of an urgent item, or `like_<kind>` for a look-alike. The pii field lists `KIND:span`
items separated by `;`. Used once when writing labeled data by hand; the CSV is the source of
truth afterwards."""
import csv
import sys

CLASSES = {"u": "urgent", "f": "formal", "c": "contact_requested", "n": "normal"}
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["text", "themes", "lang", "sentiment", "triage", "pii", "urgent_kind"])
for n, line in enumerate(sys.stdin, 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    parts = line.split("|")
    if len(parts) == 5:
        parts.insert(4, "")
    if len(parts) == 6:
        parts.insert(3, "")
    if len(parts) != 7:
        sys.exit(f"line {n}: expected 5, 6 or 7 fields: {line}")
    lang, sent, triage, kind, themes, pii, text = parts
    sent = {"p": "positive", "n": "negative", "m": "mixed", "0": "neutral"}[sent]
    triage = ";".join(CLASSES[c] for c in triage.strip())
    pii = "; ".join(x.strip() for x in pii.split(";") if x.strip())
    out.writerow([text.strip(), themes.strip().replace(",", ";"), lang, sent, triage, pii,
                  kind.strip()])
