//! Language detection accuracy on a `lang<TAB>length_bucket<TAB>text` file (e.g.
//! ../shared/data/langid_ud.tsv), ours against lingua and whatlang restricted to fi/sv/en, per
//! language and length bucket.
//!
//! cargo run --release --example lang_eval -- ../shared/data/langid_ud.tsv

use palaute::lang::{Lang, LanguageDetector};
use std::collections::BTreeMap;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: lang_eval FILE"))?;
    let text = std::fs::read_to_string(&path)?;
    let det = LanguageDetector::new();
    // (lang, bucket) -> (n, ours right, whatlang right, lingua right)
    let mut cells: BTreeMap<(String, String), (usize, usize, usize, usize)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let mut f = line.splitn(3, '\t');
        let (Some(lang), Some(bucket), Some(t)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Some(gold) = Lang::from_code(lang) else {
            continue;
        };
        let c = cells
            .entry((lang.to_string(), bucket.to_string()))
            .or_default();
        c.0 += 1;
        let got = det.detect(t);
        c.1 += usize::from(got.lang == gold);
        if got.lang != gold && std::env::var_os("SHOW_MISSES").is_some() {
            println!("MISS {lang} -> {} ({:.2}): {t}", got.lang, got.confidence);
        }
        c.2 += usize::from(det.detect_whatlang_only(t).lang == gold);
        c.3 += usize::from(det.detect_lingua_only(t) == gold);
    }
    println!(
        "{path}\n| lang | length | n | palaute | lingua fi/sv/en | whatlang fi/sv/en |\n|---|---|---:|---:|---:|---:|"
    );
    let (mut n, mut a, mut b, mut c) = (0, 0, 0, 0);
    for ((lang, bucket), (cn, ca, cb, cc)) in &cells {
        println!(
            "| {lang} | {bucket} | {cn} | {:.3} | {:.3} | {:.3} |",
            *ca as f64 / *cn as f64,
            *cc as f64 / *cn as f64,
            *cb as f64 / *cn as f64
        );
        n += cn;
        a += ca;
        b += cb;
        c += cc;
    }
    println!(
        "| all | all | {n} | {:.3} | {:.3} | {:.3} |",
        a as f64 / n as f64,
        c as f64 / n as f64,
        b as f64 / n as f64
    );
    Ok(())
}
