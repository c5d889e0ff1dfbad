//! `palaute report`: the themed report for quality staff and managers.

use super::args::ModelOpts;
use super::input::{InputOpts, ReportLang};
use super::session::{close_inputs, finish, open_inputs};
use anyhow::Result;
use palaute::aggregate::summarize;
use palaute::answers::Answers;
use palaute::eval;
use palaute::lang::Lang;
use palaute::model::combine::{apply, Mode};
use palaute::model::runtime::{ModelRuntime, Rebuild};
use palaute::output::add_rejects;
use palaute::pii::PiiDetector;
use palaute::pipeline::tag_into;
use palaute::tag::classify::Classifier;
use palaute::taxonomy::Taxonomy;
use std::path::PathBuf;

/// Themed report: report.html, report.xlsx, report.md, report.json, theme_counts.csv
/// (and rejects.csv)
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputOpts,
    /// Output directory
    #[arg(short, long)]
    output: PathBuf,
    /// Language of the report's words, theme labels and number formats
    #[arg(long, value_enum, default_value = "fi")]
    lang: ReportLang,
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    let lang: Lang = a.lang.into();
    let (taxonomy, classifier) = a.model.rules()?;
    let pii = PiiDetector::load_default()?;
    // Rows stream from the files through tagging into the report's compact answers.
    let mut records = open_inputs(&a.input)?;
    let mut rt = a.model.runtime(&taxonomy, &classifier, Rebuild::Stale)?;
    let runtime = rt.as_ref().map(|rt| rt.describe());
    let mut answers = Answers::new(&taxonomy, records.dataset().score_names.len(), lang);
    let (rows, bytes) = records.size();
    answers.reserve(rows, bytes);
    tag_into(&mut records, &classifier, rt.as_mut(), &pii, &mut answers)?;
    let dataset = close_inputs(records)?;
    let mut summary = summarize(&answers, &dataset, &taxonomy, lang, runtime.clone());
    let mut quotes = palaute::quotes::select(&answers);
    for t in &mut summary.themes {
        t.quotes = quotes.remove(&t.id).unwrap_or_default();
    }
    summary.method.heldout_macro_f1 = heldout_macro_f1(&taxonomy, &classifier, rt.as_mut());
    let mut set = palaute::report::files(&a.output, &summary, &answers)?;
    let rejects = add_rejects(&mut set, &dataset.rejects, &pii)?;
    let mut written = set.commit()?;
    written.retain(|p| *p != rejects);
    finish(
        &dataset,
        Some(&rejects),
        &written,
        &taxonomy,
        runtime.as_deref(),
    );
    Ok(())
}

/// Macro F1 of the report's own tagging (rules, or rules + model) on the held-out labeled
/// file (never trained or tuned on; dev.csv is now part of the training set), for the
/// methods note; None when that file does not fit the taxonomy.
fn heldout_macro_f1(
    taxonomy: &Taxonomy,
    classifier: &Classifier,
    runtime: Option<&mut ModelRuntime>,
) -> Option<f64> {
    let heldout = palaute::datafile::HELDOUT.load(None).ok()?;
    let items = eval::read_gold_file(&heldout, taxonomy).ok()?;
    let (report, pred) = eval::evaluate(&items, classifier, taxonomy);
    let Some(rt) = runtime else {
        return Some(report.themes.macro_f1);
    };
    let texts: Vec<&str> = items.iter().map(|g| g.text.as_str()).collect();
    let refs: Vec<&_> = pred.iter().collect();
    let nps: Vec<Option<u8>> = items.iter().map(|g| g.nps).collect();
    let scores = rt.score_all(&texts, &refs, &nps).ok()?;
    let combined: Vec<_> = pred
        .iter()
        .zip(&scores)
        .map(|(r, s)| {
            let mut c = r.clone();
            apply(&mut c, s, Mode::Combined);
            c
        })
        .collect();
    Some(
        eval::score(&items, &combined, &taxonomy.theme_ids())
            .themes
            .macro_f1,
    )
}
