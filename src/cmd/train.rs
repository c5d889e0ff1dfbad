//! `palaute train`: fine-tune the encoder and train the heads now rather than on first use.

use super::args::ModelOpts;
use anyhow::{bail, Context, Result};
use palaute::model::heads::ThemeHead;

/// Fine-tune the encoder and train the classifier heads on labeled data (done automatically when missing or stale)
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    if a.model.no_model {
        bail!("train needs the model; drop --no-model");
    }
    let (taxonomy, classifier) = a.model.rules()?;
    let rt = a
        .model
        .runtime(&taxonomy, &classifier, true)?
        .context("the model could not be loaded")?;
    let trained = rt
        .heads
        .themes
        .values()
        .filter(|h| matches!(h, ThemeHead::LogReg { .. }))
        .count();
    palaute::notice!(
        "wrote {}: {} themes with trained heads, {} with prototypes, from {} examples ({})",
        rt.heads_path.display(),
        trained,
        rt.heads.themes.len() - trained,
        rt.heads.examples,
        rt.heads.trained_on
    );
    Ok(())
}
