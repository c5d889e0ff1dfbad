//! The local transformer: getting it ([`fetch`], [`convert`]) and running it ([`encoder`]).

pub mod bert;
pub mod cache;
pub mod calibrate;
pub mod combine;
pub mod convert;
pub mod encoder;
pub mod fetch;
pub mod finetune;
pub mod heads;
pub mod lexical;
pub mod linear;
pub mod runtime;
pub mod sentiment_stack;

use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("model fetch: {0}")]
    Fetch(String),
    /// Fine-tuning or training failed.
    #[error("{0}")]
    Train(String),
    /// Reading the labeled data or writing a built file.
    #[error(transparent)]
    Data(#[from] crate::error::Error),
    /// Writing heads (JSON).
    #[error("writing the heads: {0}")]
    Json(#[from] serde_json::Error),
    #[error("model in {dir}: {message}")]
    Load { dir: PathBuf, message: String },
}

impl ModelError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An exclusive lock on `path` (created if missing), held until the file is dropped: the
/// way concurrent runs take turns at fetching the model and training heads.
pub(crate) fn lock_file(path: &Path) -> Result<std::fs::File, ModelError> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| ModelError::io(path, e))?;
    f.lock().map_err(|e| ModelError::io(path, e))?;
    Ok(f)
}
