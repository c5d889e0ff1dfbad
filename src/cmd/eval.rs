//! `palaute eval`: tagging measured against a labeled file, rules alone and with the model
//! under each way of combining them.

use super::args::ModelOpts;
use anyhow::{bail, Result};
use palaute::classify::Classification;
use palaute::eval::{self, EvalReport, GoldItem, ModeScore};
use palaute::model::runtime::{apply, Mode, ModelRuntime};
use palaute::taxonomy::Taxonomy;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Measure tagging against a labeled file (columns text, themes; optional lang, sentiment, triage)
#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    gold: PathBuf,
    /// Also write the figures as JSON
    #[arg(long)]
    json: Option<PathBuf>,
    /// Print the comments whose themes or sentiment differ from the gold
    #[arg(long)]
    errors: bool,
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    let (taxonomy, classifier) = a.model.rules()?;
    let items = eval::read_gold(&a.gold, &taxonomy)?;
    if items.is_empty() {
        bail!("{}: no labeled rows", a.gold.display());
    }
    let (rules_report, rules_pred) = eval::evaluate(&items, &classifier, &taxonomy);
    let (mut report, predicted) = match a.model.runtime(&taxonomy, &classifier, false)? {
        None => {
            println!(
                "{} labeled comments in {} (rules only)\n",
                items.len(),
                a.gold.display()
            );
            (rules_report, rules_pred)
        }
        Some(mut rt) => {
            println!(
                "{} labeled comments in {}; model {}\n",
                items.len(),
                a.gold.display(),
                rt.describe()
            );
            with_model(&items, &taxonomy, rules_report, &rules_pred, &mut rt)?
        }
    };
    report.pii = eval::score_pii(&items, &palaute::pii::PiiDetector::load_default()?);
    print!("{}", eval::render(&report));
    if a.errors {
        print_errors(&items, &predicted);
    }
    if let Some(path) = a.json {
        let text = serde_json::to_string_pretty(&report)?;
        palaute::output::write_atomic(&path, text.as_bytes())?;
    }
    Ok(())
}

/// Scores every policy of combining rules and model, prints the comparison table and
/// returns the shipped (stacked) one.
fn with_model(
    items: &[GoldItem],
    taxonomy: &Taxonomy,
    rules_report: EvalReport,
    rules_pred: &[Classification],
    rt: &mut ModelRuntime,
) -> Result<(EvalReport, Vec<Classification>)> {
    let texts: Vec<&str> = items.iter().map(|g| g.text.as_str()).collect();
    let rule_refs: Vec<&_> = rules_pred.iter().collect();
    let scores = rt.score_all(&texts, &rule_refs)?;
    let ids = taxonomy.theme_ids();
    let run = |mode: Mode| {
        let pred: Vec<_> = rules_pred
            .iter()
            .zip(&scores)
            .zip(items)
            .map(|((r, s), g)| {
                let mut c = r.clone();
                apply(&mut c, s, mode);
                c.weigh_scores(g.nps, &[]);
                c
            })
            .collect();
        (eval::score(items, &pred, &ids), pred)
    };
    let (model_only, _) = run(Mode::Model);
    let (union, _) = run(Mode::Union);
    let (mut combined, combined_pred) = run(Mode::Combined);
    let rows = [
        ("rules", "rules only", &rules_report),
        ("model", "model only", &model_only),
        ("union", "rule OR model (stand-alone thresholds)", &union),
        (
            "combined",
            "stacked: model given the rule hits *",
            &combined,
        ),
    ];
    print_policies(&rows);
    let modes = rows
        .iter()
        .map(|(k, _, r)| (*k, ModeScore::from(*r)))
        .collect();
    combined.modes = Some(modes);
    Ok((combined, combined_pred))
}

fn print_policies(rows: &[(&str, &str, &EvalReport)]) {
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

fn print_errors(items: &[GoldItem], predicted: &[Classification]) {
    for (g, p) in items.iter().zip(predicted) {
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
