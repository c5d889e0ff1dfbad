//! Reading feedback exports: files to tables ([`table`]), column roles ([`columns`]), rows to
//! records or rejects ([`records`]). Several files (e.g. months) make one [`Dataset`].

pub mod columns;
pub mod decode;
pub mod records;
pub mod table;

use crate::error::Result;
use columns::{resolve, ColumnOverrides};
pub use records::{Feedback, Reject};
use std::path::{Path, PathBuf};

/// How one file was read; also part of report.json.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileSummary {
    pub path: PathBuf,
    pub format: String,
    pub rows: usize,
    pub used: usize,
    pub rejected: usize,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Names of the 1–5 statements, across all files (matched by header).
    pub score_names: Vec<String>,
    pub records: Vec<Feedback>,
    pub rejects: Vec<Reject>,
    pub files: Vec<FileSummary>,
}

impl Dataset {
    pub fn rows_read(&self) -> usize {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// Reads every file; a file that cannot be read at all (missing column, broken XLSX) is an
/// error, a row that cannot be used is a reject.
pub fn read_dataset(
    paths: &[PathBuf],
    overrides: &ColumnOverrides,
    sheet: Option<&str>,
) -> Result<Dataset> {
    let mut ds = Dataset::default();
    for path in paths {
        read_one(&mut ds, path, overrides, sheet)?;
    }
    Ok(ds)
}

fn read_one(
    ds: &mut Dataset,
    path: &Path,
    overrides: &ColumnOverrides,
    sheet: Option<&str>,
) -> Result<()> {
    let table = table::read_table(path, sheet)?;
    let map = resolve(&table, overrides)?;
    let slots: Vec<usize> = map
        .scores
        .iter()
        .map(|&c| {
            let name = table.headers[c].trim().to_string();
            match ds
                .score_names
                .iter()
                .position(|n| crate::text::fold(n) == crate::text::fold(&name))
            {
                Some(i) => i,
                None => {
                    ds.score_names.push(name);
                    ds.score_names.len() - 1
                }
            }
        })
        .collect();
    // Earlier records get the new score slots too.
    let n = ds.score_names.len();
    for r in &mut ds.records {
        r.scores.resize(n, None);
    }
    let (records, rejects) = records::to_records(&table, &map, &slots, n);
    ds.files.push(FileSummary {
        path: path.to_path_buf(),
        format: table.format.clone(),
        rows: table.rows.len(),
        used: records.len(),
        rejected: rejects.len(),
        warnings: table.warnings.clone(),
    });
    ds.records.extend(records);
    ds.rejects.extend(rejects);
    Ok(())
}
