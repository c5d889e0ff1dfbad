#!/usr/bin/env python3
"""Split a hand-written labeled batch (pipe format) into train and dev so that a comment and
its translation never land on different sides: the texts are embedded with `palaute model embed`,
comments that are mutual nearest neighbours across languages (cosine >= 0.85) form one group, and whole groups are assigned to
dev with probability 0.45 (fixed seed). Writes <out>_train.txt and <out>_dev.txt."""
import json
import os
import random
import subprocess
import sys

paths, out = sys.argv[1:-1], sys.argv[-1]
lines = []
for p in paths:
    for line in open(p, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            lines.append(line.rstrip("\n"))
texts = [l.split("|")[-1].strip() for l in lines]
proc = subprocess.run(
    ["target/release/palaute", "model", "embed", "--file", "/dev/stdin"],
    input="\n".join(texts) + "\n", capture_output=True, text=True, check=True)
vecs = [json.loads(l)["embedding"] if l.startswith("{") else json.loads(l)
        for l in proc.stdout.splitlines() if l.strip()]
assert len(vecs) == len(texts), (len(vecs), len(texts))
parent = list(range(len(texts)))

def find(i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i

langs = [l.split("|", 1)[0] for l in lines]
cos = [[sum(a * b for a, b in zip(u, v)) for v in vecs] for u in vecs]


def nearest(i, lang):
    cands = [j for j in range(len(vecs)) if j != i and langs[j] == lang]
    return max(cands, key=lambda j: cos[i][j]) if cands else None


# A translation is the mutual nearest neighbour across languages; e5's cosines are high for
# any two texts, so a fixed threshold alone would join unrelated comments.
for i in range(len(vecs)):
    for lang in set(langs) - {langs[i]}:
        j = nearest(i, lang)
        if j is not None and nearest(j, langs[i]) == i and cos[i][j] >= 0.85:
            parent[find(i)] = find(j)
groups = {}
for i in range(len(texts)):
    groups.setdefault(find(i), []).append(i)
rng = random.Random(int(os.environ.get("SPLIT_SEED", "20261122")))
DEV_SHARE = float(os.environ.get("DEV_SHARE", "0.45"))
train, dev = [], []
for key in sorted(groups, key=lambda k: min(groups[k])):
    (dev if rng.random() < DEV_SHARE else train).extend(groups[key])
for name, idx in (("train", train), ("dev", dev)):
    with open(f"{out}_{name}.txt", "w", encoding="utf-8") as f:
        for i in sorted(idx):
            f.write(lines[i] + "\n")
sizes = sorted((len(g) for g in groups.values()), reverse=True)
print(f"{len(texts)} texts, {len(groups)} groups (largest {sizes[:5]}), train {len(train)}, dev {len(dev)}")
