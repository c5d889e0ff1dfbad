#!/usr/bin/env python3
"""Writes data/sample/registry_2026-10.csv, a registry office inbox export (; separated,
UTF-8 with BOM, as the case system exports it) from data/sample/source/registry.txt."""
import csv
import datetime
import random

rng = random.Random(202610)
rows = []
src = "data/sample/source/registry.txt"
for n, line in enumerate(open(src, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    unit, channel, text = line.split("|", 2)
    day = datetime.date(2026, 10, 1) + datetime.timedelta(days=rng.randrange(31))
    rows.append([day, unit, channel, text])
rows.sort(key=lambda r: r[0])
with open("data/sample/registry_2026-10.csv", "w", encoding="utf-8-sig", newline="") as f:
    w = csv.writer(f, delimiter=";", lineterminator="\r\n")
    w.writerow(["Asianumero", "Saapunut", "Yksikkö", "Kanava", "Palaute"])
    for i, (day, unit, channel, text) in enumerate(rows, 1):
        w.writerow([f"KIR-2026-{i:04d}", day.strftime("%d.%m.%Y"), unit, channel, text])
print(f"{len(rows)} items")
