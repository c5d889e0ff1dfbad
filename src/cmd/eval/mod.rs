//! `palaute eval`: tagging measured against a labeled file, rules alone and with the model
//! under each way of combining them.

use super::args::ModelOpts;
use anyhow::{bail, Result};
use palaute::domain::Classification;
use palaute::eval::{self, EvalReport, GoldItem, ModeScore};
use palaute::model::combine::{apply, Mode};
use palaute::model::runtime::{ModelRuntime, Rebuild};
use palaute::taxonomy::Taxonomy;
use print::{print_errors, print_policies};
use std::path::PathBuf;

mod print;

/// Measure tagging against a labeled file (columns text, themes; optional lang, sentiment, triage)
#[derive(clap::Args)]
pub struct Args {
    /// The labeled file: CSV with `text` and `themes` (ids separated by `;`), optionally
    /// `lang`, `sentiment`, `triage`, `pii`, `urgent_kind`, `theme_sentiment`, `nps`
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
    let (mut report, predicted) = match a.model.runtime(&taxonomy, &classifier, Rebuild::Stale)? {
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
                "{} labeled comments in {}; model {}",
                items.len(),
                a.gold.display(),
                rt.describe()
            );
            let training = a.model.training()?;
            let seen = palaute::labeled::read_gold_file(&training, &taxonomy)
                .map(|t| eval::seen_in(&items, &t))?;
            // A few stock answers ("Kiitos!", "Inget att tillägga.") recur in any two
            // files; a tenth or more means the file itself was trained on.
            if seen * 10 >= items.len() {
                println!(
                    "NOT UNSEEN TEXT: {seen} of these {} comments are in the model's training data ({}); for a figure on unseen text, evaluate a file the model was not trained on, or train without this one (--train)",
                    items.len(),
                    training.origin.describe()
                );
            } else if seen > 0 {
                println!(
                    "note: {seen} of these {} comments occur word for word in the model's training data ({})",
                    items.len(),
                    training.origin.describe()
                );
            }
            if let Some(c) = &rt.heads.calibration {
                let gold = std::fs::read(&a.gold).unwrap_or_default();
                if c.fingerprint == palaute::model::calibrate::fingerprint(&gold) {
                    println!(
                        "NOT UNSEEN TEXT: the model's thresholds for contact requests, formal processes and the urgent check band and doubt were set on this file ({})",
                        c.on
                    );
                }
            }
            println!();
            let (mut report, pred) =
                with_model(&items, &taxonomy, rules_report, &rules_pred, &mut rt)?;
            report.seen_in_training = Some(seen);
            (report, pred)
        }
    };
    let detector = palaute::pii::PiiDetector::load_default()?;
    report.pii = eval::score_pii(&items, &detector);
    print!("{}", eval::render(&report));
    if a.errors {
        print_errors(&items, &predicted, &detector);
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
    let nps: Vec<Option<u8>> = items.iter().map(|g| g.nps).collect();
    let scores = rt.score_all(&texts, &rule_refs, &nps)?;
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
