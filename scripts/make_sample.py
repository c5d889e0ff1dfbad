#!/usr/bin/env python3
"""Builds the sample export in data/sample/ from the hand-written comments in
data/sample/source/comments.txt: three monthly files (semicolon-separated, UTF-8 with BOM)
as a county's survey tool exports them, with the NPS question, two 1-5 statements, unit,
channel and date. Scores follow each comment's tone. Deterministic (fixed seed).
Run once when the comments change; `cargo run --example sample_xlsx` then writes the XLSX."""
import csv
import random
from pathlib import Path

random.seed(20261122)
root = Path(__file__).resolve().parent.parent
src = root / "data" / "sample" / "source" / "comments.txt"
out_dir = root / "data" / "sample"

UNITS = {
    "keskusta": "Terveysasema Keskusta",
    "pohjoinen": "Terveysasema Pohjoinen / Hälsostation Norr",
    "dent": "Suun terveydenhuolto",
    "er": "Yhteispäivystys",
    "soc": "Sosiaalipalvelut",
}
MONTHS = ["2026-08", "2026-09", "2026-10"]
DAYS = {"2026-08": 31, "2026-09": 30, "2026-10": 31}

NPS = {"+": [10, 10, 9, 9, 9, 8, 10, 7], "-": [0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 3, 8],
       "~": [5, 6, 7, 7, 8, 6], "0": [7, 8, 8, 9, 10, 6]}
STATEMENT = {"+": [5, 5, 4, 4, 5, 3], "-": [1, 2, 2, 3, 1, 4], "~": [3, 3, 4, 2, 4], "0": [4, 3, 5, 4]}


def lang_of(text):
    t = text.lower()
    if any(w in t.split() for w in ["the", "was", "no", "good", "great", "very", "could", "i", "nobody", "excellent", "blood"]):
        return "en"
    if "å" in t or any(w in t.replace(",", " ").split() for w in ["och", "inte", "var", "tack", "bra", "ingen", "fick", "på", "för", "är", "mycket", "jag", "men", "hur", "inga", "det", "allt", "nya", "dålig", "trevlig", "lång", "långa", "vaccination", "lämnade", "hämtade", "smutsigt", "otrevlig", "kunnig", "vänlig", "snabb", "ringde", "blev", "läkaren", "hissen", "tandläkaren", "tandvården", "kön", "sex", "min", "någon", "appen", "kunde", "chatten", "webbtidsbokningen", "hemvården", "brevet", "såret", "socialarbetaren", "nedlåtande", "skickades", "remissen", "sköterskan", "dörren", "klientavgifterna", "handikappservice", "fysioterapeuten", "rådgivningens", "tandhygienisten", "ambulanspersonalen", "hemvårdarna", "beslutet", "samtalet", "hälsostationen", "fel", "fick", "kallelsen", "alla"]):
        return "sv"
    return "fi"


def unit_for(hint, lang):
    if hint in ("hc", "any", "esv"):
        if hint == "any" and random.random() < 0.35:
            return UNITS[random.choice(["dent", "er", "soc"])]
        north = 0.75 if lang == "sv" else 0.3
        return UNITS["pohjoinen"] if random.random() < north else UNITS["keskusta"]
    return UNITS[hint]


def month_for(hint):
    weights = [0.15, 0.25, 0.60] if hint == "esv" else [0.32, 0.32, 0.36]
    return random.choices(MONTHS, weights)[0]


def scores(tone):
    nps = random.choice(NPS[tone])
    s1, s2 = random.choice(STATEMENT[tone]), random.choice(STATEMENT[tone])
    if random.random() < 0.05:
        nps = ""
    if random.random() < 0.05:
        s2 = "EOS"
    return nps, s1, s2


comments = []
for line in src.read_text(encoding="utf-8").splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    tone, hint, text = line.split("|", 2)
    comments.append((tone, "any" if hint == "any" else hint, text))

picks = list(comments)
short = [c for c in comments if len(c[2].split()) <= 3]
longer = [c for c in comments if len(c[2].split()) > 3]
extra_long = random.sample(longer, 150)
while len(picks) < 363 + 150 + 135:
    picks.append(random.choice(short))
picks.extend(extra_long)
random.shuffle(picks)

rows = []
for tone, hint, text in picks:
    lang = lang_of(text)
    month = month_for(hint)
    nps, s1, s2 = scores(tone)
    words = len(text.split())
    channel = random.choices(["kioski", "verkkolomake", "tekstiviesti"], [0.55, 0.25, 0.2] if words <= 4 else [0.15, 0.6, 0.25])[0]
    rows.append([month, unit_for(hint, lang), channel, lang, nps, s1, s2, text])
# Answers with scores but no comment, as most survey answers are.
for _ in range(40):
    tone = random.choice("++++0-~")
    nps, s1, s2 = scores(tone)
    rows.append([random.choice(MONTHS), random.choice(list(UNITS.values())), random.choice(["kioski", "tekstiviesti"]), "fi", nps, s1, s2, ""])
# Two broken rows as survey tools sometimes export them; palaute must reject them with a reason.
rows.append(["2026-09", UNITS["keskusta"], "tekstiviesti", "fi", "11", 4, 4, "Kiitos"])
rows.append(["2026-10", UNITS["er"], "verkkolomake", "fi", "kymmenen", 5, 5, "Hyvin hoidettiin"])

header = ["Vastaus ID", "Vastausaika", "Toimipiste", "Kanava", "Vastauskieli",
          "Kuinka todennäköisesti suosittelisit palvelua läheisellesi? (0-10)",
          "Sain asiani hoidettua (1-5)", "Minua kohdeltiin ystävällisesti ja arvostavasti (1-5)",
          "Avoin palaute"]
n = 1000
by_month = {m: [] for m in MONTHS}
for month, unit, channel, lang, nps, s1, s2, text in rows:
    day = random.randint(1, DAYS[month])
    hh, mm = random.randint(7, 20), random.randint(0, 59)
    y, m = month.split("-")
    stamp = (int(y), int(m), day, hh, mm)
    by_month[month].append((stamp, unit, channel, lang, nps, s1, s2, text))
total = 0
for month in MONTHS:
    items = sorted(by_month[month])
    path = out_dir / f"palaute_{month}.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\r\n")
        w.writerow(header)
        for (y, m, d, hh, mm), unit, channel, lang, nps, s1, s2, text in items:
            n += 1
            w.writerow([f"R{n}", f"{d}.{m}.{y} {hh:02d}:{mm:02d}", unit, channel, lang, nps, s1, s2, text])
    total += len(items)
    print(path, len(items))
print("rows", total, "with text", sum(1 for r in rows if r[7]))
