//! Reading feedback exports: files to tables ([`table`]), column roles ([`columns`]), rows to
//! records or rejects ([`records`]). Several files (e.g. months) make one [`Dataset`].

pub mod columns;
pub mod decode;
pub mod records;
pub mod table;

use crate::error::{Error, Result};
use columns::{resolve, ColumnOverrides};
pub use records::{Feedback, Reject};
use std::io::Read;
use std::path::{Path, PathBuf};
pub use table::InputFormat;
use table::RawTable;

/// How one file was read; also part of report.json.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileSummary {
    pub path: PathBuf,
    pub format: String,
    pub rows: usize,
    pub used: usize,
    pub rejected: usize,
    pub warnings: Vec<String>,
    /// Which column took which role ([`columns::ColumnMap::describe`]).
    pub columns: String,
}

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Names of the 1–5 statements, across all files (matched by header).
    pub score_names: Vec<String>,
    pub records: Vec<Feedback>,
    pub rejects: Vec<Reject>,
    pub files: Vec<FileSummary>,
    /// About the set as a whole: a file given twice, ids that repeat.
    pub warnings: Vec<String>,
}

impl Dataset {
    pub fn rows_read(&self) -> usize {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// The path that stands for standard input on the command line.
pub const STDIN_ARG: &str = "-";
/// What standard input is called in messages, rejects and [`FileSummary::path`].
pub const STDIN_NAME: &str = "<stdin>";

/// Reads every file; a file that cannot be read at all (missing column, broken XLSX) is an
/// error, a row that cannot be used is a reject. A path of `-` reads all of standard input
/// (at most once), called `<stdin>` from then on. `format` overrides the extension and
/// content sniffing for every file.
pub fn read_dataset(
    paths: &[PathBuf],
    overrides: &ColumnOverrides,
    sheet: Option<&str>,
    format: Option<InputFormat>,
) -> Result<Dataset> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err(Error::input(
            STDIN_NAME,
            "standard input (\"-\") is given more than once; it can be read only once",
        ));
    }
    let mut ds = Dataset::default();
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for path in paths {
        // The same file twice (a shell glob and a name, a link) would count every answer
        // twice; it is read once.
        if let Ok(canonical) = std::fs::canonicalize(path) {
            if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
                ds.warnings.push(format!(
                    "{} is the same file as {}, given earlier; it is read once",
                    path.display(),
                    first.display()
                ));
                continue;
            }
            seen.push((canonical, path));
        }
        let table = if is_stdin(path) {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(STDIN_NAME, e))?;
            table::read_table_from(Path::new(STDIN_NAME), bytes, format, sheet)?
        } else {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            table::read_table_from(path, bytes, format, sheet)?
        };
        add_table(&mut ds, &table, overrides)?;
    }
    ds.warnings.extend(duplicate_ids(&ds.records));
    Ok(ds)
}

/// Ids that occur in more than one row: an export appended to itself, or two exports that
/// overlap. Said with where, not with the ids (an id can be personal data).
fn duplicate_ids(records: &[Feedback]) -> Option<String> {
    let mut first: std::collections::HashMap<&str, &Feedback> = Default::default();
    let mut repeated: Vec<(&Feedback, &Feedback)> = Vec::new();
    for r in records {
        match first.get(r.id.as_str()) {
            Some(f) => repeated.push((f, r)),
            None => {
                first.insert(&r.id, r);
            }
        }
    }
    let (a, b) = repeated.first()?;
    Some(format!(
        "{} row(s) repeat an id of an earlier row (first: {} row {} and {} row {}); the same answers may be counted twice",
        repeated.len(),
        a.file,
        a.row,
        b.file,
        b.row
    ))
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_ARG
}

fn add_table(ds: &mut Dataset, table: &RawTable, overrides: &ColumnOverrides) -> Result<()> {
    let map = resolve(table, overrides)?;
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
    let (records, rejects) = records::to_records(table, &map, &slots, n);
    ds.files.push(FileSummary {
        path: table.path.clone(),
        format: table.format.clone(),
        rows: table.rows.len(),
        used: records.len(),
        rejected: rejects.len(),
        warnings: table
            .warnings
            .iter()
            .cloned()
            .chain(map.warnings.iter().cloned())
            .chain(columns::near_score_warnings(table, &map))
            .collect(),
        columns: map.describe(&table.headers),
    });
    ds.records.extend(records);
    ds.rejects.extend(rejects);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_input_twice_is_an_error_before_reading() {
        let paths = [PathBuf::from("-"), PathBuf::from("-")];
        let e = read_dataset(&paths, &ColumnOverrides::default(), None, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("<stdin>: standard input (\"-\") is given more than once"),
            "{e}"
        );
    }
}
