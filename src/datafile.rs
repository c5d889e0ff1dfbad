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
    /// Several labeled files read as one (`--train a.csv --train labels.csv`, or the
    /// default training set: train.csv + dev.csv).
    Merged(Vec<FileOrigin>),
}

impl FileOrigin {
    /// How messages and reports name it: the path, or "built-in <name>".
    pub fn describe(&self) -> String {
        match self {
            FileOrigin::Flag(p) | FileOrigin::WorkingDir(p) => p.display().to_string(),
            FileOrigin::Builtin(name) => format!("built-in {name}"),
            FileOrigin::Merged(parts) => parts
                .iter()
                .map(FileOrigin::describe)
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
/// The header words that find each column of an export.
pub const COLUMNS: Builtin = Builtin {
    path: "models/columns.toml",
    bytes: include_bytes!("../models/columns.toml"),
};
/// The words that say how a writer wants an answer (registry queue).
pub const CONTACT: Builtin = Builtin {
    path: "models/contact.toml",
    bytes: include_bytes!("../models/contact.toml"),
};
pub const PII: Builtin = Builtin {
    path: "models/pii.toml",
    bytes: include_bytes!("../models/pii.toml"),
};
/// Labeled comments the model is fine-tuned and its heads trained on. The default training
/// set is this file and [`DEV`] together (see [`default_training`]).
pub const TRAIN: Builtin = Builtin {
    path: "data/labeled/train.csv",
    bytes: include_bytes!("../data/labeled/train.csv"),
};
/// The labeled comments model settings are chosen on (with a model trained on [`TRAIN`]
/// alone); the shipped model is then trained on both.
pub const DEV: Builtin = Builtin {
    path: "data/labeled/dev.csv",
    bytes: include_bytes!("../data/labeled/dev.csv"),
};
/// Labeled comments the model never trains on and nobody reads to write rules: after
/// training, the model's thresholds for adding what the rules missed are set on them
/// ([`default_calibration`]).
pub const CALIBRATION: Builtin = Builtin {
    path: "data/labeled/calib.csv",
    bytes: include_bytes!("../data/labeled/calib.csv"),
};
/// Labeled comments no model or rule was ever tuned on; the report's methods note measures
/// its own tagging on them.
pub const HELDOUT: Builtin = Builtin {
    path: "data/labeled/test_themes2.csv",
    bytes: include_bytes!("../data/labeled/test_themes2.csv"),
};

/// The training set used when no `--train` is given: train.csv and dev.csv, both from the
/// working directory or both built in. A county that keeps its own train.csv in the working
/// directory gets its own dev.csv with it, or none — never the built-in one, whose labels
/// may not fit its taxonomy.
pub fn default_training() -> std::io::Result<Vec<DataFile>> {
    let train = TRAIN.load(None)?;
    let dev = match train.origin {
        FileOrigin::Builtin(_) => Some(DEV.builtin()),
        _ => Path::new(DEV.path)
            .is_file()
            .then(|| DEV.load(None))
            .transpose()?,
    };
    Ok(std::iter::once(train).chain(dev).collect())
}

/// The calibration file that goes with the default training set: the built-in one with the
/// built-in training files, the working directory's when it has one. None for a county's
/// own train.csv without a calib.csv beside it: the built-in file's labels may not fit
/// its taxonomy.
pub fn default_calibration(training: &FileOrigin) -> std::io::Result<Option<DataFile>> {
    let builtin = |o: &FileOrigin| matches!(o, FileOrigin::Builtin(_));
    let all_builtin = match training {
        FileOrigin::Merged(parts) => parts.iter().all(builtin),
        o => builtin(o),
    };
    if Path::new(CALIBRATION.path).is_file() {
        return CALIBRATION.load(None).map(Some);
    }
    Ok(all_builtin.then(|| CALIBRATION.builtin()))
}

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

    /// The working directory's copy, else the built-in one, parsed as TOML; an unreadable or
    /// broken file is an error naming it and `what` it holds.
    pub fn load_toml<T: serde::de::DeserializeOwned>(&self, what: &str) -> crate::error::Result<T> {
        let file = self
            .load(None)
            .map_err(|e| crate::error::Error::io(self.path, e))?;
        let bad =
            |m: String| crate::error::Error::input(file.origin.describe(), format!("{what}: {m}"));
        let text = file.text().map_err(bad)?;
        toml::from_str(text).map_err(|e| bad(e.to_string()))
    }

    /// The path that failed, for an error message: the flag's, else the usual one.
    pub fn path_for_errors(&self, flag: Option<&Path>) -> PathBuf {
        flag.map_or_else(|| PathBuf::from(self.path), Path::to_path_buf)
    }
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
}
