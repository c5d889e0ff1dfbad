//! Writing output files atomically: a crash or a full disk leaves the old file or none,
//! never half a report.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Spreadsheet programs run a cell that starts with one of these as a formula; such cells
/// get a leading apostrophe so that a comment like "=HYPERLINK(...)" stays text.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_START) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Rows as CSV bytes (UTF-8 with BOM, so that Excel shows ä and ö), every cell formula-safe.
pub fn csv_bytes(path: &Path, delimiter: u8, rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(&mut out);
        for r in rows {
            w.write_record(r.iter().map(|c| formula_safe(c).into_owned()))
                .map_err(|e| Error::Output {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
        }
        w.flush().map_err(|e| Error::io(path, e))?;
    }
    Ok(out)
}

/// The rejects file: every input row that could not be used, with its reason.
pub fn write_rejects(path: &Path, rejects: &[crate::input::Reject]) -> Result<()> {
    let mut rows = vec![vec![
        "file".to_string(),
        "row".into(),
        "column".into(),
        "reason".into(),
    ]];
    rows.extend(rejects.iter().map(|r| {
        vec![
            r.file.clone(),
            r.row.to_string(),
            r.column.clone(),
            r.reason.clone(),
        ]
    }));
    write_atomic(path, &csv_bytes(path, b',', &rows)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(formula_safe("=1+1"), "'=1+1");
        assert_eq!(formula_safe("-5 päivää"), "'-5 päivää");
        assert_eq!(formula_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(formula_safe("Hyvä"), "Hyvä");
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/x.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }
}
