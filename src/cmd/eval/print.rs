//! The tables `palaute eval` prints.

use palaute::domain::Classification;
use palaute::eval::{EvalReport, GoldItem};
use palaute::pii::{PiiDetector, PiiKind};
use std::collections::BTreeSet;

pub fn print_policies(rows: &[(&str, &str, &EvalReport)]) {
    println!(
        "{:<44} {:>8} {:>8} {:>10} {:>6} {:>8} {:>6}",
        "policy", "macro F1", "micro F1", "sentiment", "≤200", "201-600", ">600"
    );
    for (_, name, r) in rows {
        let sent = r
            .sentiment
            .as_ref()
            .map_or("–".to_string(), |a| format!("{:.3}", a.accuracy));
        let len = |k: &str| {
            r.themes
                .by_length
                .get(k)
                .map_or("–".to_string(), |b| format!("{:.3}", b.macro_f1))
        };
        println!(
            "{:<44} {:>8.3} {:>8.3} {:>10} {:>6} {:>8} {:>6}",
            name,
            r.themes.macro_f1,
            r.themes.micro_f1,
            sent,
            len("1: up to 200"),
            len("2: 201-600"),
            len("3: over 600")
        );
    }
    println!("* used by classify and report; per theme below\n");
}

pub fn print_errors(items: &[GoldItem], predicted: &[Classification], detector: &PiiDetector) {
    for (g, p) in items.iter().zip(predicted) {
        if let Some(gold) = &g.pii {
            let found = detector.find(&g.text);
            let span = |f: &palaute::pii::PiiSpan| (f.kind, g.text[f.start..f.end].to_string());
            let found: Vec<(PiiKind, String)> = found.iter().map(span).collect();
            for (k, s) in gold.iter().filter(|x| !found.contains(x)) {
                println!("pii row {}: missed {} {s:?}", g.row, k.label());
            }
            for (k, s) in found.iter().filter(|x| !gold.contains(x)) {
                println!("pii row {}: masked {} {s:?}", g.row, k.label());
            }
        }
        let got: BTreeSet<String> = p.theme_ids().map(str::to_string).collect();
        if g.sentiment.is_some_and(|s| s != p.sentiment) {
            println!(
                "sentiment row {}: gold {:?} got {:?}: {}",
                g.row,
                g.sentiment.map(|s| s.code()),
                p.sentiment.code(),
                g.text
            );
        }
        if got != g.themes {
            let ev: Vec<String> = p
                .themes
                .iter()
                .map(|t| {
                    let rule = t.evidence.first().map_or("", |e| e.rule.as_str());
                    format!("{}<-{rule:?}", t.theme)
                })
                .collect();
            println!(
                "row {}: gold {:?} got {:?} {:?}\n    {}",
                g.row, g.themes, got, ev, g.text
            );
        }
    }
}
