//! `palaute train`: fine-tune the encoder and train the heads now rather than on first use.

use super::args::ModelOpts;
use anyhow::{bail, Context, Result};
use palaute::model::heads::ThemeHead;
use palaute::model::runtime::Rebuild;

/// Fine-tune the encoder and train the classifier heads on labeled data now (done automatically when missing or stale)
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelOpts,
    /// Re-tune and retrain even when the tuned layers and heads are up to date (by default
    /// only what is missing or stale is rebuilt: re-tuning takes about 11 minutes, and every
    /// cached embedding is computed again after it)
    #[arg(long, conflicts_with = "force_heads")]
    force: bool,
    /// Retrain the heads even when up to date, keeping the tuned layers if they are (a few
    /// minutes with the embeddings cached)
    #[arg(long)]
    force_heads: bool,
}

pub fn run(a: Args) -> Result<()> {
    if a.model.no_model {
        bail!("train needs the model; drop --no-model");
    }
    let (taxonomy, classifier) = a.model.rules()?;
    let rebuild = match (a.force, a.force_heads) {
        (true, _) => Rebuild::All,
        (false, true) => Rebuild::Heads,
        (false, false) => Rebuild::Stale,
    };
    let rt = a
        .model
        .runtime(&taxonomy, &classifier, rebuild)?
        .context("the model could not be loaded")?;
    let trained = rt
        .heads
        .themes
        .values()
        .filter(|h| matches!(h, ThemeHead::LogReg { .. }))
        .count();
    let long = rt
        .heads
        .themes
        .values()
        .filter(|h| matches!(h, ThemeHead::LogReg { long: Some(_), .. }))
        .count();
    palaute::notice!(
        "heads in {}: {} themes with trained heads ({} with thresholds of their own for comments of {}+ statements), {} with prototypes, from {} examples ({})",
        rt.heads_path.display(),
        trained,
        long,
        palaute::model::heads::LONG_STATEMENTS,
        rt.heads.themes.len() - trained,
        rt.heads.examples,
        rt.heads.trained_on
    );
    match &rt.heads.sentiment_stack {
        Some(s) => palaute::notice!(
            "sentiment: a second stage chooses the class from the heads' and the statements' probabilities (out-of-fold accuracy on the training comments {:.3} → {:.3})",
            s.accuracy.0,
            s.accuracy.1
        ),
        None => palaute::notice!(
            "sentiment: the heads' likeliest class (a second stage did not read the training comments better)"
        ),
    }
    Ok(())
}
