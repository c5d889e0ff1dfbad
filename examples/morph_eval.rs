//! Measures how well a rule written as a base form finds the inflected forms of that word,
//! and how often it wrongly matches forms of other words, on a treebank lemma list
//! (`form<TAB>lemma<TAB>upos`, e.g. ../shared/data/lemmas_fi.tsv).
//!
//! cargo run --release --example morph_eval -- ../shared/data/lemmas_fi.tsv fi

use palaute::lang::Lang;
use palaute::tag::morph::{lemma_stems, snowball, StemMode, Stems};
use std::collections::BTreeSet;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: morph_eval FILE fi|sv"))?;
    let lang = Lang::from_code(args.get(2).map(String::as_str).unwrap_or("fi"))
        .ok_or_else(|| anyhow::anyhow!("language must be fi or sv"))?;
    let text = std::fs::read_to_string(path)?;
    let pairs: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            let form = f.next()?;
            // TDT writes compound boundaries into lemmas ("ajan#varaus"); rule authors do not.
            let lemma = f.next()?.replace('#', "");
            (!form.starts_with('-')).then(|| (form.to_string(), lemma))
        })
        .collect();
    let lemmas: BTreeSet<&str> = pairs.iter().map(|(_, l)| l.as_str()).collect();
    println!(
        "{path}: {} (form, lemma) pairs, {} lemmas",
        pairs.len(),
        lemmas.len()
    );
    println!("method | recall (form found by its lemma's rule) | false matches per 1000 (form, other lemma) pairs");

    // Baseline: the classic use of a stemmer, stem(form) == stem(lemma).
    let stem_of: Vec<(String, String)> = pairs
        .iter()
        .map(|(f, l)| (snowball(f, lang), snowball(l, lang)))
        .collect();
    let recall = stem_of.iter().filter(|(a, b)| a == b).count() as f64 / pairs.len() as f64;
    let lemma_stem: Vec<String> = lemmas.iter().map(|l| snowball(l, lang)).collect();
    let mut false_hits = 0usize;
    let mut checks = 0usize;
    for ((form_stem, own), (_, own_lemma)) in stem_of.iter().zip(&pairs) {
        for (l, s) in lemmas.iter().zip(&lemma_stem) {
            if *l == own_lemma.as_str() || s == own {
                continue;
            }
            checks += 1;
            false_hits += usize::from(s == form_stem);
        }
    }
    println!(
        "snowball stem equality | {:.3} | {:.3}",
        recall,
        1000.0 * false_hits as f64 / checks as f64
    );

    for (name, mode) in [
        ("snowball stem as prefix + compounds", StemMode::Snowball),
        ("alternations as prefix + compounds", StemMode::Alternations),
        ("both (what rules use)", StemMode::Combined),
    ] {
        let stems: Vec<Stems> = lemmas.iter().map(|l| lemma_stems(l, lang, mode)).collect();
        let index: std::collections::HashMap<&str, usize> =
            lemmas.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let found = pairs
            .iter()
            .filter(|(f, l)| stems[index[l.as_str()]].matches(f))
            .count();
        let mut false_hits = 0usize;
        let mut checks = 0usize;
        for (form, own) in &pairs {
            for (l, s) in lemmas.iter().zip(&stems) {
                // A form that is itself the other lemma, or shares its base, is no false match.
                if *l == own.as_str() || own.starts_with(l) || l.starts_with(own.as_str()) {
                    continue;
                }
                checks += 1;
                false_hits += usize::from(s.matches(form));
            }
        }
        println!(
            "{name} | {:.3} | {:.3}",
            found as f64 / pairs.len() as f64,
            1000.0 * false_hits as f64 / checks as f64
        );
    }
    if std::env::var_os("SHOW_MISSES").is_some() {
        print_misses(&pairs, lang);
    }
    Ok(())
}

#[allow(dead_code)]
fn print_misses(pairs: &[(String, String)], lang: Lang) {
    for (f, l) in pairs {
        let s = lemma_stems(l, lang, StemMode::Combined);
        if !s.matches(f) {
            println!("MISS {f} <- {l} {s:?}");
        }
    }
}
