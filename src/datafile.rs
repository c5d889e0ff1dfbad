//! The editable data files (taxonomy, units, personal-data lists, labeled comments): a file
//! named by a flag, else the same file in the working directory, else the copy built into
//! the binary — so an installed binary works from any folder and a county can still
//! override each file. Every loader says which one it used.

use std::path::{Path, PathBuf};

/// One data file's contents and where they came from.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub bytes: Vec<u8>,
    pub origin: FileOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOrigin {
    /// Given with a flag.
    Flag(PathBuf),
    /// Found at the usual path under the working directory.
    WorkingDir(PathBuf),
    /// The copy inside the binary; the name of the file it was built from.
    Builtin(&'static str),
    /// Several labeled files read as one (`--train a.csv --train labels.csv`).
    Merged(Vec<PathBuf>),
}

impl FileOrigin {
    /// How messages and reports name it: the path, or "built-in <name>".
    pub fn describe(&self) -> String {
        match self {
            FileOrigin::Flag(p) | FileOrigin::WorkingDir(p) => p.display().to_string(),
            FileOrigin::Builtin(name) => format!("built-in {name}"),
            FileOrigin::Merged(paths) => paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            FileOrigin::Flag(p) | FileOrigin::WorkingDir(p) => Some(p),
            FileOrigin::Builtin(_) | FileOrigin::Merged(_) => None,
        }
    }
}

/// A data file the binary carries a default copy of.
pub struct Builtin {
    /// Where it lives in a clone, and where a working-directory override is looked for.
    pub path: &'static str,
    pub bytes: &'static [u8],
}

pub const TAXONOMY: Builtin = Builtin {
    path: "models/taxonomy.toml",
    bytes: include_bytes!("../models/taxonomy.toml"),
};
pub const UNITS: Builtin = Builtin {
    path: "models/units.toml",
    bytes: include_bytes!("../models/units.toml"),
};
pub const PII: Builtin = Builtin {
    path: "models/pii.toml",
    bytes: include_bytes!("../models/pii.toml"),
};
/// The labeled comments the model is fine-tuned and its heads trained on.
pub const TRAIN: Builtin = Builtin {
    path: "data/labeled/train.csv",
    bytes: include_bytes!("../data/labeled/train.csv"),
};
/// The labeled comments the report's methods note measures itself on.
pub const DEV: Builtin = Builtin {
    path: "data/labeled/dev.csv",
    bytes: include_bytes!("../data/labeled/dev.csv"),
};

impl Builtin {
    /// The flag's file, else the working directory's, else the built-in copy.
    pub fn load(&self, flag: Option<&Path>) -> std::io::Result<DataFile> {
        if let Some(p) = flag {
            return Ok(DataFile {
                bytes: std::fs::read(p)?,
                origin: FileOrigin::Flag(p.to_path_buf()),
            });
        }
        let local = Path::new(self.path);
        if local.is_file() {
            return Ok(DataFile {
                bytes: std::fs::read(local)?,
                origin: FileOrigin::WorkingDir(local.to_path_buf()),
            });
        }
        Ok(self.builtin())
    }

    pub fn builtin(&self) -> DataFile {
        DataFile {
            bytes: self.bytes.to_vec(),
            origin: FileOrigin::Builtin(
                Path::new(self.path)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or(self.path),
            ),
        }
    }

    /// The path that failed, for an error message: the flag's, else the usual one.
    pub fn path_for_errors(&self, flag: Option<&Path>) -> PathBuf {
        flag.map_or_else(|| PathBuf::from(self.path), Path::to_path_buf)
    }
}

/// The columns a labeled file is read by; others (labels.csv's reviewer, time and what the
/// model said) are left out when files are merged.
pub const LABELED_COLUMNS: [&str; 9] = [
    "text",
    "themes",
    "lang",
    "sentiment",
    "triage",
    "pii",
    "urgent_kind",
    "theme_sentiment",
    "nps",
];

/// Labeled CSV files as one: their rows one after another under [`LABELED_COLUMNS`], each
/// file's columns matched by name (a missing column is empty). A file without a `text`
/// column is an error naming it.
pub fn merge_labeled(paths: &[PathBuf]) -> Result<DataFile, String> {
    let mut out = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let fail = |p: &Path, e: &dyn std::fmt::Display| format!("{}: {e}", p.display());
        w.write_record(LABELED_COLUMNS).map_err(|e| e.to_string())?;
        for p in paths {
            let bytes = std::fs::read(p).map_err(|e| fail(p, &e))?;
            let body = bytes
                .strip_prefix(b"\xEF\xBB\xBF".as_slice())
                .unwrap_or(&bytes);
            let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(body);
            let headers: Vec<String> = r
                .headers()
                .map_err(|e| fail(p, &e))?
                .iter()
                .map(|h| h.trim().to_lowercase())
                .collect();
            let map: Vec<Option<usize>> = LABELED_COLUMNS
                .iter()
                .map(|c| headers.iter().position(|h| h == c))
                .collect();
            if map[0].is_none() {
                return Err(fail(
                    p,
                    &format!("no \"text\" column; headers: {}", headers.join(", ")),
                ));
            }
            for (i, rec) in r.records().enumerate() {
                let rec = rec.map_err(|e| fail(p, &format!("row {}: {e}", i + 2)))?;
                w.write_record(map.iter().map(|m| m.and_then(|c| rec.get(c)).unwrap_or("")))
                    .map_err(|e| fail(p, &e))?;
            }
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(DataFile {
        bytes: out,
        origin: FileOrigin::Merged(paths.to_vec()),
    })
}

impl DataFile {
    /// The contents as text; a file that is not UTF-8 is an error naming it.
    pub fn text(&self) -> Result<&str, String> {
        std::str::from_utf8(&self.bytes)
            .map_err(|e| format!("{}: not UTF-8 text ({e})", self.origin.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_then_builtin() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.toml");
        std::fs::write(&p, "x").unwrap();
        let f = TAXONOMY.load(Some(&p)).unwrap();
        assert_eq!(f.bytes, b"x");
        assert_eq!(f.origin, FileOrigin::Flag(p.clone()));
        assert!(TAXONOMY.load(Some(&dir.path().join("missing"))).is_err());
        let b = TRAIN.builtin();
        assert_eq!(b.origin.describe(), "built-in train.csv");
        assert!(b.text().unwrap().starts_with("text"));
    }

    #[test]
    fn merged_files_keep_every_row_under_the_labeled_columns() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("labels.csv");
        std::fs::write(&a, "text,themes\nJono oli pitkä,access\n").unwrap();
        std::fs::write(
            &b,
            "\u{feff}text,themes,sentiment,reviewer,id\nHyvä hoito,care_quality,positive,ml,x1\n",
        )
        .unwrap();
        let m = merge_labeled(&[a.clone(), b.clone()]).unwrap();
        let t = m.text().unwrap();
        assert!(t.starts_with("text,themes,lang,sentiment"), "{t}");
        assert!(t.contains("Jono oli pitkä,access,,,"), "{t}");
        assert!(t.contains("Hyvä hoito,care_quality,,positive,"), "{t}");
        assert!(!t.contains("ml"), "{t}");
        assert!(m.origin.describe().contains(" + "));
        std::fs::write(&b, "comment\nx\n").unwrap();
        let e = merge_labeled(&[a, b]).unwrap_err();
        assert!(e.contains("labels.csv") && e.contains("text"), "{e}");
    }
}
