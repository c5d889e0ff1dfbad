//! Writing output files atomically: a crash or a full disk leaves the old file or none,
//! never half a report.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Temporary files and directories being written, removed by [`clean_up_on_signal`]'s
/// handler when the run is interrupted (Ctrl-C, SIGTERM) before they are renamed into place.
static IN_PROGRESS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn track(path: &Path) {
    if let Ok(mut v) = IN_PROGRESS.lock() {
        v.push(path.to_path_buf());
    }
}

fn untrack(path: &Path) {
    if let Ok(mut v) = IN_PROGRESS.lock() {
        v.retain(|p| p != path);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove half-written temporary files, then exit 130 as the
/// default handler would. Called once by the binary at start.
pub fn clean_up_on_signal() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(v) = IN_PROGRESS.lock() {
            for p in v.iter() {
                let _ = std::fs::remove_dir_all(p).or_else(|_| std::fs::remove_file(p));
            }
        }
        eprintln!("interrupted; no output was half written");
        std::process::exit(130);
    });
}

/// The permissions an output at `path` is written with: a regular file's own (it is being
/// replaced), 0644 for a new path. A symlink, FIFO, device or directory is refused rather
/// than replaced.
fn target_permissions(path: &Path) -> Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(m.permissions()),
        Ok(m) => {
            let what = if m.file_type().is_symlink() {
                "a symbolic link"
            } else if m.is_dir() {
                "a directory"
            } else {
                "a device, FIFO or socket"
            };
            Err(Error::Output {
                path: path.to_path_buf(),
                message: format!("is {what}, not a regular file; give a new file name"),
            })
        }
        // The temporary file's 0600 would hide a report from colleagues.
        Err(_) => Ok(std::fs::Permissions::from_mode(0o644)),
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place. Only a regular
/// file or a new path is written: a symlink, FIFO, device or directory at `path` is
/// refused rather than replaced. A replaced file keeps its permissions; a new one gets
/// 0644.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let perms = target_permissions(path)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    track(tmp.path());
    let written = (|| {
        tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| Error::io(path, e))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(path, e))
    })();
    let tmp_path = tmp.path().to_path_buf();
    let result = written.and_then(|()| {
        tmp.persist(path)
            .map(|_| ())
            .map_err(|e| Error::io(path, e.error))
    });
    untrack(&tmp_path);
    result
}

/// Files that belong together (a report, a queue) and appear together or not at all. They
/// are rendered in memory first — so an Excel limit or any other error leaves the old set
/// as it was — then written into a hidden staging directory beside them, synced, and
/// renamed into place one by one. A lock file in the output directory keeps two runs from
/// interleaving their files; the second waits for the first.
pub struct FileSet {
    dir: PathBuf,
    files: Vec<(PathBuf, Vec<u8>)>,
}

/// The lock file a [`FileSet`] holds while it writes; left in place (empty) afterwards.
pub const LOCK_FILE: &str = ".palaute.lock";

impl FileSet {
    pub fn new(dir: &Path) -> FileSet {
        FileSet {
            dir: dir.to_path_buf(),
            files: Vec::new(),
        }
    }

    /// Adds a file by name; returns where it will be.
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) -> PathBuf {
        let path = self.dir.join(name);
        self.files.push((path.clone(), bytes));
        path
    }

    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let dir = &self.dir;
        let perms = self
            .files
            .iter()
            .map(|(p, _)| target_permissions(p))
            .collect::<Result<Vec<_>>>()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                crate::notice!(
                    "another palaute run is writing to {}; waiting for it to finish",
                    dir.display()
                );
                lock.lock().map_err(|e| Error::io(&lock_path, e))?;
            }
            // Some network file systems cannot lock; the set is still staged and renamed.
            Err(std::fs::TryLockError::Error(e)) => {
                crate::notice!(
                    "warning: {}: cannot lock ({e}); two runs into this directory at once could mix their files",
                    lock_path.display()
                );
            }
        }
        let staging = tempfile::Builder::new()
            .prefix(".palaute-")
            .tempdir_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        track(staging.path());
        let staged = self.stage(staging.path(), &perms);
        let result = staged.and_then(|names| {
            for ((to, _), from) in self.files.iter().zip(&names) {
                std::fs::rename(from, to).map_err(|e| Error::io(to, e))?;
            }
            Ok(self.files.iter().map(|(p, _)| p.clone()).collect())
        });
        untrack(staging.path());
        drop(staging);
        drop(lock);
        result
    }

    fn stage(&self, staging: &Path, perms: &[std::fs::Permissions]) -> Result<Vec<PathBuf>> {
        let mut staged = Vec::new();
        for ((path, bytes), perm) in self.files.iter().zip(perms) {
            let name = path.file_name().unwrap_or_default();
            let tmp = staging.join(name);
            let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(path, e))?;
            f.write_all(bytes).map_err(|e| Error::io(path, e))?;
            f.set_permissions(perm.clone())
                .map_err(|e| Error::io(path, e))?;
            f.sync_all().map_err(|e| Error::io(path, e))?;
            staged.push(tmp);
        }
        Ok(staged)
    }
}

/// Text as Markdown shows it literally: no links, images, raw HTML, emphasis, headings or
/// table breaks can come from a comment, and line breaks become spaces (a memo pastes
/// report.md and queue.md as they are, so a comment must not fetch a remote image or
/// carry a `javascript:` link into it).
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
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
                .map_err(|source| Error::Csv {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        w.flush().map_err(|e| Error::io(path, e))?;
    }
    Ok(out)
}

/// The longest excerpt of a rejected row's text in the rejects file, in characters.
pub const EXCERPT_CHARS: usize = 120;

/// A rejected row's text as the rejects file shows it: personal data masked (in the
/// text's own language, Finnish when unsure), whitespace runs made single spaces, and cut
/// to [`EXCERPT_CHARS`] characters ending in "…" when longer. Masking comes before the
/// cut, so a cut can never leave part of an e-mail or identity code unmasked.
pub fn reject_excerpt(
    text: &str,
    pii: &crate::pii::PiiDetector,
    detector: &crate::lang::LanguageDetector,
) -> crate::pii::Masked {
    if text.trim().is_empty() {
        return crate::pii::Masked::default();
    }
    let lang = match detector.detect(text).lang {
        crate::lang::Lang::Other => crate::lang::Lang::Fi,
        l => l,
    };
    pii.redact(text, lang).one_line(EXCERPT_CHARS)
}

/// The rejects file as CSV bytes: every input row that could not be used, with its reason,
/// the row's id, date and unit, and a masked excerpt of its text. `path_for_errors` names
/// the output in errors.
pub fn rejects_csv_bytes(
    path_for_errors: &Path,
    rejects: &[crate::input::Reject],
    pii: &crate::pii::PiiDetector,
) -> Result<Vec<u8>> {
    let detector = crate::lang::LanguageDetector::new();
    let mut rows = vec![[
        "file", "row", "column", "reason", "id", "date", "unit", "excerpt",
    ]
    .map(String::from)
    .to_vec()];
    let mask = |s: &str| pii.redact(s, crate::lang::Lang::Fi);
    rows.extend(rejects.iter().map(|r| {
        let echoed: [crate::pii::Masked; 5] = [
            // Reasons quote the cell at fault, and an identity code typed into a date cell
            // is still personal data.
            mask(&r.reason),
            // Every echoed cell is masked: an identity code used as the id, a name typed into
            // the unit. A runaway unit cell is cut like the excerpt.
            mask(&r.id),
            mask(&r.date),
            mask(&r.unit).cut(EXCERPT_CHARS),
            reject_excerpt(&r.text, pii, &detector),
        ];
        let place = [r.file.clone(), r.row.to_string(), r.column.clone()];
        place
            .into_iter()
            .chain(echoed.map(crate::pii::Masked::into_string))
            .collect()
    }));
    csv_bytes(path_for_errors, b',', &rows)
}

/// At most `max` characters, ending in "…" when cut.
/// Writes the rejects file (see [`rejects_csv_bytes`]).
pub fn write_rejects(
    path: &Path,
    rejects: &[crate::input::Reject],
    pii: &crate::pii::PiiDetector,
) -> Result<()> {
    write_atomic(path, &rejects_csv_bytes(path, rejects, pii)?)
}

/// Adds rejects.csv to a set of outputs (the rows that could not be used belong with the
/// report made from the rest).
pub fn add_rejects(
    set: &mut FileSet,
    rejects: &[crate::input::Reject],
    pii: &crate::pii::PiiDetector,
) -> Result<PathBuf> {
    let path = set.dir.join("rejects.csv");
    let bytes = rejects_csv_bytes(&path, rejects, pii)?;
    Ok(set.add("rejects.csv", bytes))
}

/// Excel's limit for one cell's text, in characters.
pub const EXCEL_CELL_CHARS: usize = 32_767;
/// Excel's last row.
pub const EXCEL_ROWS: u32 = 1_048_576;

/// Text as one Excel cell can hold it: past 32 767 characters it is cut, ending in "…"
/// (a 40 000-character comment or unit name otherwise stops the whole workbook).
pub fn excel_text(s: &str) -> std::borrow::Cow<'_, str> {
    crate::text::cut_chars(s, EXCEL_CELL_CHARS)
}

/// A workbook whose bytes depend only on what is written to it: rust_xlsxwriter stamps the
/// run time into the document properties otherwise, so two runs on the same data would
/// give different report.xlsx files. The date is fixed, not the data's (there may be none).
pub fn new_workbook() -> rust_xlsxwriter::Workbook {
    let mut wb = rust_xlsxwriter::Workbook::new();
    if let Ok(created) = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1) {
        wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    }
    wb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_file_set_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut set = FileSet::new(d);
        set.add("a.md", b"old a".to_vec());
        set.add("b.json", b"old b".to_vec());
        set.commit().unwrap();
        // One target of the next set is a directory: nothing of that set is written.
        std::fs::create_dir(d.join("c.html")).unwrap();
        let mut set = FileSet::new(d);
        set.add("a.md", b"new a".to_vec());
        set.add("b.json", b"new b".to_vec());
        set.add("c.html", b"new c".to_vec());
        let e = set.commit().unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        assert_eq!(std::fs::read(d.join("a.md")).unwrap(), b"old a");
        assert_eq!(std::fs::read(d.join("b.json")).unwrap(), b"old b");
        // No staging directory or temporary file is left behind.
        assert_eq!(names(d), [LOCK_FILE, "a.md", "b.json", "c.html"]);
    }

    #[test]
    fn two_runs_into_one_directory_do_not_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let runs: Vec<_> = (0..4)
            .map(|run| {
                let d = d.clone();
                std::thread::spawn(move || {
                    for round in 0..20 {
                        let mut set = FileSet::new(&d);
                        let tag = format!("{run}-{round}");
                        for name in ["report.html", "report.md", "report.json"] {
                            // Big enough that writing takes a while.
                            set.add(name, tag.repeat(20_000).into_bytes());
                        }
                        set.commit().unwrap();
                    }
                })
            })
            .collect();
        for r in runs {
            r.join().unwrap();
        }
        // The last set written is whole: no other run's file came in between.
        let a = std::fs::read(d.join("report.html")).unwrap();
        assert_eq!(a, std::fs::read(d.join("report.md")).unwrap());
        assert_eq!(a, std::fs::read(d.join("report.json")).unwrap());
        assert_eq!(
            names(&d),
            [LOCK_FILE, "report.html", "report.json", "report.md"]
        );
    }

    #[test]
    fn excel_cells_are_cut_at_excels_limit() {
        let long = "ä".repeat(40_000);
        let cut = excel_text(&long);
        assert_eq!(cut.chars().count(), EXCEL_CELL_CHARS);
        assert!(cut.ends_with('…'));
        assert!(matches!(excel_text("lyhyt"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(formula_safe("=1+1"), "'=1+1");
        assert_eq!(formula_safe("-5 päivää"), "'-5 päivää");
        assert_eq!(formula_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(formula_safe("Hyvä"), "Hyvä");
    }

    fn reject(text: &str) -> crate::input::Reject {
        crate::input::Reject {
            file: "<stdin>".into(),
            row: 4,
            column: "nps".into(),
            reason: "recommendation score \"11\" is outside 0–10".into(),
            id: "A-17".into(),
            date: "1.10.2026".into(),
            unit: "Terveysasema A".into(),
            text: text.into(),
        }
    }

    #[test]
    fn excerpts_are_masked_collapsed_and_cut() {
        let pii = crate::pii::PiiDetector::builtin().unwrap();
        let det = crate::lang::LanguageDetector::new();
        let text = "Soittakaa   minulle,\n\tsähköposti matti.meikalainen@example.fi, hetu 131052-308T. Jonot olivat liian pitkät.";
        let e = reject_excerpt(text, &pii, &det);
        assert!(
            !e.contains("matti.meikalainen") && !e.contains("131052-308T"),
            "{e}"
        );
        assert!(e.starts_with("Soittakaa minulle, sähköposti "), "{e}");
        assert!(
            !e.contains("  ") && !e.contains('\n') && !e.contains('\t'),
            "{e}"
        );
        assert_eq!(reject_excerpt(" \n ", &pii, &det), "");

        let long = format!("{} loppu", "pitkä jono ".repeat(30));
        let e = reject_excerpt(&long, &pii, &det);
        assert_eq!(e.chars().count(), EXCERPT_CHARS, "{e}");
        assert!(e.ends_with("pitkä jon…"), "{e}");
        // Exactly the limit is kept whole; one over is cut on a character boundary.
        let exact = "ä".repeat(EXCERPT_CHARS);
        assert_eq!(*reject_excerpt(&exact, &pii, &det), exact);
        let cut = reject_excerpt(&"ä".repeat(EXCERPT_CHARS + 1), &pii, &det);
        assert_eq!(*cut, format!("{}…", "ä".repeat(EXCERPT_CHARS - 1)));
    }

    #[test]
    fn rejects_csv_has_the_row_details_and_no_personal_data() {
        let pii = crate::pii::PiiDetector::builtin().unwrap();
        let rejects = [
            reject("=Kirjoittakaa osoitteeseen matti.meikalainen@example.fi"),
            reject(""),
        ];
        let bytes = rejects_csv_bytes(Path::new("r.csv"), &rejects, &pii).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        assert_eq!(
            lines.next(),
            Some("file,row,column,reason,id,date,unit,excerpt")
        );
        let first = lines.next().unwrap();
        assert!(
            first.starts_with("<stdin>,4,nps,\"recommendation score \"\"11\"\" is outside 0–10\",A-17,1.10.2026,Terveysasema A,'=Kirjoittakaa"),
            "{first}"
        );
        assert!(!text.contains("meikalainen"), "{text}");
        assert!(lines.next().unwrap().ends_with("Terveysasema A,"));
    }

    #[test]
    fn markdown_from_comments_is_inert() {
        let m =
            markdown_text("![x](http://evil/p.png) [a](javascript:alert(1)) <img src=x> a|b\n# h");
        assert!(
            m.contains(r"\!\[x\]") && m.contains(r"\[a\]") && !m.contains("<img"),
            "{m}"
        );
        assert_eq!(markdown_text("a|b"), "a\\|b");
        assert!(!m.contains('\n'));
    }

    #[test]
    fn only_regular_files_are_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("keep.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(write_atomic(dir.path(), b"x").is_err(), "a directory");
        assert!(
            write_atomic(Path::new("/dev/null"), b"x").is_err(),
            "a device"
        );
        let new = dir.path().join("new.csv");
        write_atomic(&new, b"x").unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&new, b"y").unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "a replaced file keeps its mode");
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
