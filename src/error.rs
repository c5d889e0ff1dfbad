//! The library's error type: every variant names the file (and row/column where it applies)
//! so that a user can find and fix the problem.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("{path}: no column for {role} found; headers seen: {headers}. Name it with {flag}.")]
    MissingColumn {
        path: PathBuf,
        role: &'static str,
        headers: String,
        flag: &'static str,
    },
    #[error("{path}: column {column:?} given with {flag} is not among the headers: {headers}")]
    UnknownColumn {
        path: PathBuf,
        column: String,
        flag: &'static str,
        headers: String,
    },
    #[error("taxonomy {path}: {message}")]
    Taxonomy { path: String, message: String },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    /// Writing a CSV file's records (an I/O error on flush is `Io`).
    #[error("{path}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{path}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}")]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// A report template failed: a bug in palaute, not in the user's data.
    #[error("report template {name}")]
    Template {
        name: &'static str,
        #[source]
        source: minijinja::Error,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
