//! The review's two files — `labels.csv` (the reviewer's decisions, as labeled comments) and
//! `queue_status.csv` (the registry clerk's status, owner and note per item) — are CSV
//! tables keyed by an `id` column and changed one row at a time.
//!
//! Every change takes a lock file beside the table, re-reads it (another `palaute review` on
//! the same file may have written since), replaces or appends the row and writes the whole
//! file atomically (temporary file, fsync, rename). A crash or Ctrl-C leaves the old file or
//! the new one, never half of one; the answer to the browser is sent only after the rename.

use crate::error::{Error, Result};
use crate::output::{csv_bytes, write_atomic};
use std::path::{Path, PathBuf};

pub struct KeyedCsv {
    path: PathBuf,
    columns: &'static [&'static str],
    id_col: usize,
    rows: Vec<Vec<String>>,
    /// This session's changes, newest last: the id and the row it replaced.
    undo: Vec<(String, Option<Vec<String>>)>,
}

impl KeyedCsv {
    /// Opens the table at `path` (a missing file is an empty table). Columns are matched by
    /// name, so a file whose columns were reordered in a spreadsheet still reads; a file
    /// without its key column is an error, since its rows could not be told apart.
    pub fn open(path: &Path, columns: &'static [&'static str], key: &str) -> Result<Self> {
        let id_col = columns
            .iter()
            .position(|c| *c == key)
            .ok_or_else(|| Error::input(path, format!("no key column {key:?}")))?;
        let mut t = KeyedCsv {
            path: path.to_path_buf(),
            columns,
            id_col,
            rows: Vec::new(),
            undo: Vec::new(),
        };
        t.reload()?;
        Ok(t)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn reload(&mut self) -> Result<()> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.rows.clear();
                return Ok(());
            }
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let t = crate::input::table::read_named_csv(&self.path, &bytes, self.columns)?;
        if !t.present[self.id_col] {
            return Err(Error::input(
                &self.path,
                format!(
                    "no {:?} column; headers: {} (expected {})",
                    self.columns[self.id_col],
                    t.headers.join(", "),
                    self.columns.join(", ")
                ),
            ));
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        for row in t.rows {
            let row: Vec<String> = row.iter().map(|c| unformula(c)).collect();
            // A file edited by hand may repeat an id: the later row is the decision.
            match rows.iter_mut().find(|x| x[self.id_col] == row[self.id_col]) {
                Some(x) => *x = row,
                None => rows.push(row),
            }
        }
        self.rows = rows;
        Ok(())
    }

    fn write(&self) -> Result<()> {
        let mut all = Vec::with_capacity(self.rows.len() + 1);
        all.push(self.columns.iter().map(|c| c.to_string()).collect());
        all.extend(self.rows.iter().cloned());
        write_atomic(&self.path, &csv_bytes(&self.path, b',', &all)?)
    }

    /// Holds the lock file beside the table until dropped.
    fn lock(&self) -> Result<std::fs::File> {
        let name = format!(
            "{}.lock",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("table")
        );
        let lock_path = self.path.with_file_name(name);
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        f.lock().map_err(|e| Error::io(&lock_path, e))?;
        Ok(f)
    }

    /// Writes `row` (in `columns` order), replacing the row with the same id.
    pub fn put(&mut self, row: Vec<String>) -> Result<()> {
        debug_assert_eq!(row.len(), self.columns.len());
        let _lock = self.lock()?;
        self.reload()?;
        let id = row[self.id_col].clone();
        let previous = match self.rows.iter_mut().find(|x| x[self.id_col] == id) {
            Some(x) => Some(std::mem::replace(x, row)),
            None => {
                self.rows.push(row);
                None
            }
        };
        self.write()?;
        self.undo.push((id, previous));
        Ok(())
    }

    /// Takes back this session's last change and returns its id; None when there is none.
    pub fn undo(&mut self) -> Result<Option<String>> {
        let Some((id, previous)) = self.undo.pop() else {
            return Ok(None);
        };
        let _lock = self.lock()?;
        self.reload()?;
        let at = self.rows.iter().position(|x| x[self.id_col] == id);
        match (at, previous) {
            (Some(i), Some(p)) => self.rows[i] = p,
            (Some(i), None) => {
                self.rows.remove(i);
            }
            (None, Some(p)) => self.rows.push(p),
            (None, None) => {}
        }
        self.write()?;
        Ok(Some(id))
    }

    pub fn get(&self, id: &str) -> Option<&[String]> {
        self.rows
            .iter()
            .find(|x| x[self.id_col] == id)
            .map(Vec::as_slice)
    }

    pub fn rows(&self) -> impl Iterator<Item = &[String]> {
        self.rows.iter().map(Vec::as_slice)
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == name)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Undoes [`crate::output::formula_safe`]: the apostrophe it put before a leading `=`, `+`,
/// `-` or `@` is not part of the text.
pub(crate) fn unformula(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[&str] = &["text", "id", "note"];

    fn row(id: &str, text: &str) -> Vec<String> {
        vec![text.to_string(), id.to_string(), String::new()]
    }

    #[test]
    fn put_replaces_by_id_and_undo_restores() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.csv");
        let mut t = KeyedCsv::open(&p, COLS, "id").unwrap();
        t.put(row("a", "first")).unwrap();
        t.put(row("b", "=1+1 is text")).unwrap();
        t.put(row("a", "second")).unwrap();
        let again = KeyedCsv::open(&p, COLS, "id").unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again.get("a").unwrap()[0], "second");
        assert_eq!(again.get("b").unwrap()[0], "=1+1 is text");
        assert_eq!(t.undo().unwrap().as_deref(), Some("a"));
        assert_eq!(
            KeyedCsv::open(&p, COLS, "id").unwrap().get("a").unwrap()[0],
            "first"
        );
        assert_eq!(t.undo().unwrap().as_deref(), Some("b"));
        assert_eq!(t.undo().unwrap().as_deref(), Some("a"));
        assert_eq!(t.undo().unwrap(), None);
        assert!(KeyedCsv::open(&p, COLS, "id").unwrap().is_empty());
    }

    #[test]
    fn two_writers_keep_each_others_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.csv");
        let mut one = KeyedCsv::open(&p, COLS, "id").unwrap();
        let mut two = KeyedCsv::open(&p, COLS, "id").unwrap();
        one.put(row("a", "from one")).unwrap();
        two.put(row("b", "from two")).unwrap();
        let t = KeyedCsv::open(&p, COLS, "id").unwrap();
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn columns_by_name_and_no_id_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.csv");
        std::fs::write(&p, "note,id,text\n,x,hello\n").unwrap();
        let t = KeyedCsv::open(&p, COLS, "id").unwrap();
        assert_eq!(t.get("x").unwrap()[0], "hello");
        std::fs::write(&p, "text\nhello\n").unwrap();
        let e = KeyedCsv::open(&p, COLS, "id").err().unwrap().to_string();
        assert!(e.contains("labels.csv") && e.contains("id"), "{e}");
    }
}
