//! Where palaute keeps what it downloads and builds: the model, its fine-tuned layers, the
//! trained heads (data, kept) and the downloaded wheels and embeddings (cache, rebuildable).
//!
//! Found in this order, so that one installed binary works from any folder and for
//! several users:
//! 1. `PALAUTE_HOME`: everything under that directory (cache in `cache/`);
//! 2. a `models/` folder in the working directory that already holds a fetched model (the
//!    layout of older versions, which kept everything there), with a notice;
//! 3. the platform's per-user directories (`directories` crate): on Linux
//!    `$XDG_DATA_HOME/palaute` (`~/.local/share/palaute`) and `$XDG_CACHE_HOME/palaute`
//!    (`~/.cache/palaute`).

use std::path::{Path, PathBuf};
use thiserror::Error;

/// The name of the default model's directory inside the data directory.
pub const MODEL_DIR_NAME: &str = "multilingual-e5-small";
pub const ENV_VAR: &str = "PALAUTE_HOME";
const LEGACY_DIR: &str = "models";

#[derive(Debug, Error)]
#[error("cannot find a home directory for palaute's model and caches; set {ENV_VAR} to a writable directory")]
pub struct NoHome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// From `PALAUTE_HOME`.
    Env,
    /// `./models` with a model fetched by an older version.
    Legacy,
    /// The platform's per-user directories.
    Platform,
}

#[derive(Debug, Clone)]
pub struct Home {
    /// Kept: the model, tuned layers, heads.
    pub data: PathBuf,
    /// Rebuildable: downloaded wheels, embeddings of texts seen before.
    pub cache: PathBuf,
    pub origin: Origin,
}

impl Home {
    /// The home in use for this run (see the module note for the order).
    pub fn locate() -> Result<Home, NoHome> {
        if let Some(dir) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
            return Ok(Home::at(PathBuf::from(dir), Origin::Env));
        }
        let legacy = Path::new(LEGACY_DIR);
        if crate::model::fetch::is_complete(&legacy.join(MODEL_DIR_NAME)) {
            return Ok(Home::at(legacy.to_path_buf(), Origin::Legacy));
        }
        let dirs = directories::ProjectDirs::from("fi", "palaute", "palaute").ok_or(NoHome)?;
        Ok(Home {
            data: dirs.data_dir().to_path_buf(),
            cache: dirs.cache_dir().to_path_buf(),
            origin: Origin::Platform,
        })
    }

    /// Everything under one directory, the cache in its `cache/`.
    pub fn at(dir: PathBuf, origin: Origin) -> Home {
        Home {
            cache: dir.join("cache"),
            data: dir,
            origin,
        }
    }

    pub fn model_dir(&self) -> PathBuf {
        self.data.join(MODEL_DIR_NAME)
    }

    pub fn tuned_dir(&self) -> PathBuf {
        self.data.join("tuned")
    }

    pub fn heads_dir(&self) -> PathBuf {
        self.data.join("heads")
    }

    /// Downloaded wheels and embedding caches.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache.clone()
    }

    /// Said once per run on standard error when the home is not the usual one.
    pub fn notice(&self) -> Option<String> {
        match self.origin {
            Origin::Legacy => Some(format!(
                "using the model and caches in ./{LEGACY_DIR} (kept there by an older version); move them to the per-user data directory or set {ENV_VAR} to use them from any folder"
            )),
            Origin::Env | Origin::Platform => None,
        }
    }

    pub fn describe(&self) -> String {
        match self.origin {
            Origin::Env => format!("{} (from {ENV_VAR})", self.data.display()),
            Origin::Legacy => format!(
                "{} (older layout in the working directory)",
                self.data.display()
            ),
            Origin::Platform => format!("{} (per-user data directory)", self.data.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_directory_holds_everything_under_palaute_home() {
        let h = Home::at(PathBuf::from("/srv/palaute"), Origin::Env);
        assert_eq!(
            h.model_dir(),
            Path::new("/srv/palaute/multilingual-e5-small")
        );
        assert_eq!(h.tuned_dir(), Path::new("/srv/palaute/tuned"));
        assert_eq!(h.heads_dir(), Path::new("/srv/palaute/heads"));
        assert_eq!(h.cache_dir(), Path::new("/srv/palaute/cache"));
        // The legacy ./models layout is the same shape, so older clones keep their files.
        let l = Home::at(PathBuf::from("models"), Origin::Legacy);
        assert_eq!(l.model_dir(), Path::new("models/multilingual-e5-small"));
        assert_eq!(l.cache_dir(), Path::new("models/cache"));
        assert!(l.notice().is_some() && h.notice().is_none());
    }
}
