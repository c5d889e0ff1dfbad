#!/usr/bin/env python3
"""Batch 6 on: `lang|sentiment|triage|nps|themes|text`, where themes carry the polarity of
what the comment says about each (`staff_conduct+;access-;costs0`) and nps is the 0-10
answer given with the comment (or empty). Batch 7 adds the kind of urgency (or
`like_<kind>` for a look-alike) as a fourth field: `lang|sentiment|triage|kind|nps|themes|text`. Held-out files written with their
personal data add it before the text: `lang|sentiment|triage|kind|nps|themes|pii|text`, pii as
`KIND:span; KIND:span` (kinds HETU, PUHELIN, EMAIL, OSOITE, NIMI). Writes the gold CSV columns that `palaute eval`
reads, `theme_sentiment` and `nps` included. Usage: pipe6_to_csv.py IN... > OUT.csv"""
import csv
import sys

THEMES = {"communication", "e_services", "process_guidance", "access", "staff_conduct",
          "care_quality", "language", "facilities", "costs", "patient_safety", "privacy"}
CLASSES = {"u": "urgent", "f": "formal", "c": "contact_requested", "n": "normal"}
KINDS = {"self_harm", "threat", "neglect", "wrong_treatment", "harm_after_care",
         "data_breach", "abuse"}
SENT = {"p": "positive", "n": "negative", "m": "mixed", "0": "neutral"}
HEADER = ["text", "themes", "lang", "sentiment", "triage", "pii", "urgent_kind",
          "theme_sentiment", "nps"]


def rows(paths):
    for path in paths:
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("|")
            if len(parts) == 6:
                parts.insert(3, "")
            pii = ""
            if len(parts) == 8:
                pii = parts.pop(6).strip()
                for item in filter(None, (x.strip() for x in pii.split(";"))):
                    kind_, _, span = item.partition(":")
                    if kind_ not in ("HETU", "PUHELIN", "EMAIL", "OSOITE", "NIMI") or span not in parts[6]:
                        sys.exit(f"{path}:{n}: bad pii {item!r}")
            if len(parts) != 7:
                sys.exit(f"{path}:{n}: expected 6, 7 or 8 fields")
            lang, sent, triage, kind, nps, themes, text = (p.strip() for p in parts)
            base = kind.removeprefix("like_")
            if kind and base not in KINDS:
                sys.exit(f"{path}:{n}: bad kind {kind!r}")
            if kind and (kind == base) != ("u" in triage):
                sys.exit(f"{path}:{n}: kind {kind!r} does not fit triage {triage!r}")
            assert lang in ("fi", "sv", "en"), (path, n, lang)
            ids, pol = [], []
            for t in filter(None, (x.strip() for x in themes.split(";"))):
                tid, p = t[:-1], t[-1]
                if p not in "+-0~" or tid not in THEMES:
                    sys.exit(f"{path}:{n}: bad theme {t!r}")
                if tid not in ids:
                    ids.append(tid)
                    pol.append(f"{tid}:{p}")
            if nps and not (nps.isdigit() and 0 <= int(nps) <= 10):
                sys.exit(f"{path}:{n}: bad nps {nps!r}")
            classes = [CLASSES[c] for c in triage]
            if len(classes) > 1 and "normal" in classes:
                classes.remove("normal")
            yield [text, ";".join(ids), lang, SENT[sent], ";".join(classes), pii, kind,
                   " ".join(pol), nps]


if __name__ == "__main__":
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(HEADER)
    for r in rows(sys.argv[1:]):
        out.writerow(r)
