//! Time and peak memory of fine-tuning the encoder's top layers on the default training
//! set (what the first run with the model does once), on the machine's cores.
//!
//! cargo bench --bench finetune

use palaute::domain::Sentiment;
use palaute::home::Home;
use palaute::model::encoder::Encoder;
use palaute::model::runtime::tuning_examples;
use palaute::model::{fetch, finetune};
use palaute::taxonomy::Taxonomy;
use std::path::Path;
use std::time::Instant;

mod common;
use common::peak_rss_mib;

fn main() -> anyhow::Result<()> {
    let home = Home::locate()?;
    let dir = &home.model_dir();
    fetch::fetch(dir, &home.cache_dir(), false)?;
    let taxonomy = Taxonomy::load(Some(Path::new("models/taxonomy.toml")))?;
    // The default training set, as `palaute train` reads it: train.csv + dev.csv.
    let training = palaute::labeled::merge_files(palaute::datafile::default_training()?)?;
    let gold = palaute::eval::read_gold_file(&training, &taxonomy)?;
    let examples = tuning_examples(&gold, &taxonomy);
    let encoder = Encoder::load_with(dir, None, palaute::model::linear::Kernel::F32)?;
    let before = peak_rss_mib();
    let started = Instant::now();
    let tuned = finetune::finetune(&encoder, &examples, Sentiment::ALL.len())?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fine-tune: {} examples, top {} layers, {:.0} s on {} threads, loss per epoch {:?}, peak RSS {:.0} MiB (model loaded: {:.0} MiB)",
        examples.len(),
        finetune::TUNED_LAYERS,
        secs,
        rayon::current_num_threads(),
        tuned.losses,
        peak_rss_mib(),
        before
    );
    Ok(())
}
