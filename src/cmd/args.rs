//! Option groups several subcommands share: the input files and their columns, and the
//! taxonomy and model.

use anyhow::{Context, Result};
use clap::Args;
use palaute::datafile::{self, DataFile};
use palaute::home::Home;
use palaute::model::runtime::{ModelOptions, ModelRuntime, Rebuild};
use palaute::tag::classify::Classifier;
use palaute::taxonomy::Taxonomy;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct ModelOpts {
    /// Taxonomy file (themes, rules, sentiment cues, triage rules) [default: models/taxonomy.toml in the working directory, else built in]
    #[arg(long, global = true)]
    pub taxonomy: Option<PathBuf>,
    /// Rules only: do not load (or fetch) the transformer model
    #[arg(long, global = true)]
    pub no_model: bool,
    /// A Hugging Face BERT-family encoder directory (config.json, model.safetensors, tokenizer.json) [default: the default model in the data directory, fetched on first use]
    #[arg(long, global = true)]
    pub model_dir: Option<PathBuf>,
    /// Trained classifier heads; retrained automatically when stale [default: heads/heads-<model fingerprint>.json in the data directory]
    #[arg(long, global = true)]
    pub heads: Option<PathBuf>,
    /// Labeled comments to fine-tune and train on; repeat to train on several files as one (`--train data/labeled/train.csv --train labels.csv`) [default: data/labeled/train.csv and dev.csv in the working directory, else the built-in copies of both]
    #[arg(long, global = true)]
    pub train: Vec<PathBuf>,
    /// Labeled comments outside the training data on which the thresholds for what the model adds beyond the rules (contact requests, formal processes) and the urgent check band are set [default: data/labeled/calib.csv with the default training set, else none]
    #[arg(long, global = true)]
    pub calibration: Option<PathBuf>,
    /// Set those thresholds out of fold on the training data alone
    #[arg(long, global = true, conflicts_with = "calibration")]
    pub no_calibration: bool,
    /// Use the base encoder as it is, without fine-tuning its top layers on the labeled data
    #[arg(long, global = true)]
    pub no_finetune: bool,
    /// Where the fine-tuned layers are kept [default: tuned/ in the data directory]
    #[arg(long, global = true)]
    pub tuned_dir: Option<PathBuf>,
}

impl ModelOpts {
    pub fn rules(&self) -> Result<(Taxonomy, Classifier)> {
        let taxonomy = Taxonomy::load(self.taxonomy.as_deref())?;
        let classifier = Classifier::new(&taxonomy);
        Ok((taxonomy, classifier))
    }

    /// The labeled comments to train on: the `--train` files, else train.csv + dev.csv.
    pub fn training(&self) -> Result<DataFile> {
        if self.train.len() > 1 {
            return Ok(palaute::labeled::merge(&self.train)?);
        }
        if let Some(one) = self.train.first() {
            return datafile::TRAIN
                .load(Some(one))
                .with_context(|| format!("reading {}", one.display()));
        }
        let files = datafile::default_training().with_context(|| {
            format!("reading {} or {}", datafile::TRAIN.path, datafile::DEV.path)
        })?;
        Ok(palaute::labeled::merge_files(files)?)
    }

    /// Where the model and everything built from it are, flags over the home's defaults.
    pub fn options(&self, home: &Home) -> Result<ModelOptions> {
        let mut opts = ModelOptions::in_home(home, self.training()?);
        opts.calibration = match &self.calibration {
            _ if self.no_calibration => None,
            Some(p) => Some(
                datafile::CALIBRATION
                    .load(Some(p))
                    .with_context(|| format!("reading {}", p.display()))?,
            ),
            // Another training set gets no calibration file unless it names one.
            None if !self.train.is_empty() => None,
            None => datafile::default_calibration(&opts.training.origin)
                .with_context(|| format!("reading {}", datafile::CALIBRATION.path))?,
        };
        if let Some(dir) = &self.model_dir {
            opts.model_dir = dir.clone();
            opts.fetch_if_missing = false;
        }
        opts.heads_path = self.heads.clone();
        if let Some(dir) = &self.tuned_dir {
            opts.tuned_dir = Some(dir.clone());
        }
        if self.no_finetune {
            opts.tuned_dir = None;
        }
        Ok(opts)
    }

    /// The model ready to score, or None with `--no-model`.
    pub fn runtime(
        &self,
        taxonomy: &Taxonomy,
        classifier: &Classifier,
        rebuild: Rebuild,
    ) -> Result<Option<ModelRuntime>> {
        if self.no_model {
            return Ok(None);
        }
        let opts = self.options(&home()?)?;
        Ok(Some(ModelRuntime::prepare(
            &opts, taxonomy, classifier, rebuild,
        )?))
    }
}

/// The data home for this run, with a notice when it is an older layout.
pub fn home() -> Result<Home> {
    let home = Home::locate()?;
    if let Some(n) = home.notice() {
        palaute::notice!("note: {n}");
    }
    Ok(home)
}
