#!/usr/bin/env python3
"""Turn the compact hand-written label format (lang|sentiment|triage|themes|text, or
lang|sentiment|triage|themes|pii|text) into the CSV that `palaute eval` reads. The pii field
lists `KIND:span` items separated by `;`. Used once when writing labeled data by hand; the CSV is the
source of truth afterwards."""
import csv
import sys

out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["text", "themes", "lang", "sentiment", "triage", "pii"])
for n, line in enumerate(sys.stdin, 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    parts = line.split("|")
    if len(parts) == 5:
        parts.insert(4, "")
    if len(parts) != 6:
        sys.exit(f"line {n}: expected 5 or 6 fields: {line}")
    lang, sent, triage, themes, pii, text = parts
    sent = {"p": "positive", "n": "negative", "m": "mixed", "0": "neutral"}[sent]
    triage = {"n": "normal", "c": "contact_requested", "f": "formal", "u": "urgent"}[triage]
    pii = "; ".join(x.strip() for x in pii.split(";") if x.strip())
    out.writerow([text.strip(), themes.strip().replace(",", ";"), lang, sent, triage, pii])
