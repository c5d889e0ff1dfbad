//! Reading feedback exports: files to tables ([`table`]), column roles ([`columns`]), rows to
//! records or rejects ([`records`]). Several files (e.g. months) make one [`Dataset`].

pub mod columns;
pub mod decode;
pub mod records;
pub mod table;

use crate::error::{Error, Result};
use columns::{resolve, ColumnMap, ColumnOverrides};
pub use records::{Feedback, Reject};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
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
    let mut records = open(paths, overrides, sheet, format)?;
    let all: Vec<Feedback> = records.by_ref().collect();
    let mut ds = records.finish();
    ds.records = all;
    Ok(ds)
}

/// Reads every file into a table and resolves its columns (errors as in [`read_dataset`]);
/// the rows become records only as the returned [`Records`] is iterated, a batch at a
/// time, so that a large export is never held as records all at once.
pub fn open(
    paths: &[PathBuf],
    overrides: &ColumnOverrides,
    sheet: Option<&str>,
    format: Option<InputFormat>,
) -> Result<Records> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err(Error::input(
            STDIN_NAME,
            "standard input (\"-\") is given more than once; it can be read only once",
        ));
    }
    let mut ds = Dataset::default();
    let mut tables = VecDeque::new();
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
        tables.push_back(add_table(&mut ds, table, overrides)?);
    }
    let rows = tables.iter().map(|t: &OpenTable| t.table.rows.len()).sum();
    Ok(Records {
        ids: DuplicateIds::with_capacity(rows),
        n_scores: ds.score_names.len(),
        dataset: ds,
        tables,
        next_row: 0,
        pending: Vec::new().into_iter(),
    })
}

/// Rows turned into records this many at a time.
const ROWS_AT_A_TIME: usize = 4096;

/// A table whose columns are resolved, waiting to become records.
struct OpenTable {
    table: RawTable,
    map: ColumnMap,
    /// Where each score column goes among the dataset's score names.
    slots: Vec<usize>,
    /// Its place in [`Dataset::files`].
    file: usize,
}

/// The records of opened inputs, in input order; rejects and per-file counts are kept
/// as rows are taken, and [`Records::finish`] gives the dataset with them.
pub struct Records {
    dataset: Dataset,
    tables: VecDeque<OpenTable>,
    n_scores: usize,
    next_row: usize,
    pending: std::vec::IntoIter<Feedback>,
    ids: DuplicateIds,
}

impl Records {
    /// The inputs as far as known before the rows are taken: files (with their warnings
    /// and columns), score names, set-wide warnings.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// Rows of every table, and the bytes of their cells: what the records to come will
    /// need at most, so that their holder can reserve it once rather than grow by doubling.
    pub fn size(&self) -> (usize, usize) {
        self.tables.iter().fold((0, 0), |(n, b), t| {
            (n + t.table.rows.len(), b + t.table.rows.cell_bytes())
        })
    }

    /// The dataset with every reject and count; call after taking every record.
    pub fn finish(mut self) -> Dataset {
        let w = self.ids.warning(&self.dataset.files);
        self.dataset.warnings.extend(w);
        self.dataset
    }

    /// Turns the next batch of rows into records; false when every table is done.
    fn refill(&mut self) -> bool {
        loop {
            let Some(t) = self.tables.front() else {
                return false;
            };
            let end = (self.next_row + ROWS_AT_A_TIME).min(t.table.rows.len());
            if self.next_row >= end {
                // Done with this table: its memory goes now, not at the end of the run.
                self.tables.pop_front();
                self.next_row = 0;
                continue;
            }
            let (records, rejects) = records::to_records(
                &t.table,
                &t.map,
                &t.slots,
                self.n_scores,
                self.next_row..end,
            );
            self.next_row = end;
            let f = &mut self.dataset.files[t.file];
            f.used += records.len();
            f.rejected += rejects.len();
            for r in &records {
                self.ids.see(r, t.file);
            }
            self.dataset.rejects.extend(rejects);
            self.pending = records.into_iter();
            return true;
        }
    }
}

impl Iterator for Records {
    type Item = Feedback;

    fn next(&mut self) -> Option<Feedback> {
        loop {
            if let Some(r) = self.pending.next() {
                return Some(r);
            }
            if !self.refill() {
                return None;
            }
        }
    }
}

/// Ids that occur in more than one row: an export appended to itself, or two exports that
/// overlap. Said with where, not with the ids (an id can be personal data). Ids are kept
/// as 64-bit hashes, so a million rows cost a few megabytes; two different ids would share
/// a hash about once in 10^7 runs of a billion rows.
struct DuplicateIds {
    /// Where each id was first seen: file and row.
    first: HashMap<u64, (u32, u32)>,
    repeated: usize,
    example: Option<((u32, u32), (u32, u32))>,
}

impl DuplicateIds {
    fn with_capacity(rows: usize) -> Self {
        DuplicateIds {
            first: HashMap::with_capacity(rows),
            repeated: 0,
            example: None,
        }
    }

    fn see(&mut self, r: &Feedback, file: usize) {
        let (file, row) = (file as u32, r.row as u32);
        let mut h = std::hash::DefaultHasher::new();
        r.id.hash(&mut h);
        match self.first.entry(h.finish()) {
            Entry::Occupied(e) => {
                self.repeated += 1;
                self.example.get_or_insert((*e.get(), (file, row)));
            }
            Entry::Vacant(v) => {
                v.insert((file, row));
            }
        }
    }

    fn warning(&self, files: &[FileSummary]) -> Option<String> {
        let ((fa, ra), (fb, rb)) = self.example?;
        let name = |f: u32| files[f as usize].path.display().to_string();
        Some(format!(
            "{} row(s) repeat an id of an earlier row (first: {} row {ra} and {} row {rb}); the same answers may be counted twice",
            self.repeated,
            name(fa),
            name(fb),
        ))
    }
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_ARG
}

/// Resolves a table's columns and adds its file and score names to the dataset.
fn add_table(ds: &mut Dataset, table: RawTable, overrides: &ColumnOverrides) -> Result<OpenTable> {
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
    ds.files.push(FileSummary {
        path: table.path.clone(),
        format: table.format.clone(),
        rows: table.rows.len(),
        used: 0,
        rejected: 0,
        warnings: table
            .warnings
            .iter()
            .cloned()
            .chain(map.warnings.iter().cloned())
            .chain(columns::near_score_warnings(&table, &map))
            .collect(),
        columns: map.describe(&table.headers),
    });
    Ok(OpenTable {
        table,
        map,
        slots,
        file: ds.files.len() - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_in_batches_with_every_row_accounted_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let mut csv = String::from("id;nps;palaute\n");
        let rows = 3 * ROWS_AT_A_TIME + 17;
        for i in 0..rows {
            // Every 1000th row has a bad score; two rows repeat an id.
            let nps = if i % 1000 == 999 { "11" } else { "7" };
            let id = if i == 5000 || i == 9000 { 7 } else { i };
            csv.push_str(&format!("{id};{nps};kommentti {i}\n"));
        }
        std::fs::write(&path, csv).unwrap();
        let mut records = open(
            std::slice::from_ref(&path),
            &ColumnOverrides::default(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(records.size().0, rows);
        let got: Vec<Feedback> = records.by_ref().collect();
        let ds = records.finish();
        let bad = rows / 1000;
        assert_eq!(got.len(), rows - bad);
        assert_eq!(ds.rejects.len(), bad);
        assert_eq!(
            (ds.files[0].rows, ds.files[0].used, ds.files[0].rejected),
            (rows, rows - bad, bad)
        );
        // Input order, across batches.
        assert!(got.windows(2).all(|w| w[0].row < w[1].row));
        let expected: Vec<String> = (0..rows)
            .filter(|i| i % 1000 != 999)
            .map(|i| format!("kommentti {i}"))
            .collect();
        assert!(got.iter().map(|r| &r.text).eq(expected.iter()));
        let w = ds.warnings.join("\n");
        assert!(w.contains("2 row(s) repeat an id of an earlier row"), "{w}");
        assert!(w.contains("row 9 and"), "{w}");
    }

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
