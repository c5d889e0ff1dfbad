//! Labeled comments: the files the model is trained on (`data/labeled/train.csv` and
//! `dev.csv`, a reviewer's `labels.csv`) and the ones `eval` measures against. One reader for both, so
//! training and measuring never disagree about what a label means.

use crate::datafile::{DataFile, FileOrigin};
use crate::domain::{Sentiment, TriageClass};
use crate::error::{Error, Result};
use crate::input::table::{read_table, RawTable};
use crate::lang::Lang;
use crate::pii::PiiKind;
use crate::taxonomy::Taxonomy;
use crate::text::fold;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct GoldItem {
    pub row: usize,
    pub text: String,
    pub themes: BTreeSet<String>,
    pub lang: Option<Lang>,
    pub sentiment: Option<Sentiment>,
    /// The most serious triage class that applies.
    pub triage: Option<TriageClass>,
    /// Every triage class that applies (`urgent;formal` in the file), most serious first.
    pub triage_all: Option<Vec<TriageClass>>,
    /// Kind of urgency (self_harm, threat, neglect, wrong_treatment, harm_after_care,
    /// data_breach, abuse) of an urgent item; `like_<kind>` marks a look-alike.
    pub urgent_kind: Option<String>,
    /// Personal-data spans (kind, exact text), when the file has a `pii` column.
    pub pii: Option<Vec<(PiiKind, String)>>,
    /// Polarity of what the comment says about each theme (`+`, `-`, `0`, `~` for both),
    /// when the file has a `theme_sentiment` column (`staff_conduct:+ access:-`).
    pub theme_sentiment: BTreeMap<String, char>,
    /// The 0–10 recommendation answer given with the comment, when the file has `nps`.
    pub nps: Option<u8>,
}

/// The columns a labeled file is read by; others (labels.csv's reviewer, time and what the
/// model said) are ignored, and left out when files are merged.
pub const COLUMNS: [&str; 9] = [
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

/// Reads a gold file: columns `text` and `themes` (ids separated by `;`), optionally `lang`,
/// `sentiment`, `triage` and `pii` (`KIND:span` items separated by `;`, kinds HETU, PUHELIN,
/// EMAIL, OSOITE, NIMI; each span must occur in the text). Unknown theme ids or labels are errors naming the row.
pub fn read_gold(path: &Path, taxonomy: &Taxonomy) -> Result<Vec<GoldItem>> {
    gold_from_table(path, &read_table(path, None)?, taxonomy)
}

/// [`read_gold`] on a data file that may be the built-in copy.
pub fn read_gold_file(file: &DataFile, taxonomy: &Taxonomy) -> Result<Vec<GoldItem>> {
    let name = PathBuf::from(file.origin.describe());
    let table = crate::input::table::read_table_from(
        &name,
        file.bytes.clone(),
        Some(crate::input::table::InputFormat::Csv),
        None,
    )?;
    gold_from_table(&name, &table, taxonomy)
}

/// Where each labeled column is in one file's table.
struct Cols {
    text: usize,
    themes: usize,
    lang: Option<usize>,
    sentiment: Option<usize>,
    triage: Option<usize>,
    pii: Option<usize>,
    kind: Option<usize>,
    polarity: Option<usize>,
    nps: Option<usize>,
}

fn columns(path: &Path, table: &RawTable) -> Result<Cols> {
    let col = |name: &str| table.headers.iter().position(|h| fold(h) == name);
    let need = |what: &str| {
        col(what).ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "gold file needs a {what:?} column; headers: {}",
                    table.headers.join(", ")
                ),
            )
        })
    };
    Ok(Cols {
        text: need("text")?,
        themes: need("themes")?,
        lang: col("lang"),
        sentiment: col("sentiment"),
        triage: col("triage"),
        pii: col("pii"),
        kind: col("urgent kind"),
        polarity: col("theme sentiment"),
        nps: col("nps"),
    })
}

fn gold_from_table(path: &Path, table: &RawTable, taxonomy: &Taxonomy) -> Result<Vec<GoldItem>> {
    let c = columns(path, table)?;
    let known: BTreeSet<&str> = taxonomy.theme_ids().into_iter().collect();
    let mut items = Vec::new();
    for r in table.rows.iter() {
        let bad = |m: String| Error::input(path, format!("row {}: {m}", r.row));
        if let Some(e) = r.error {
            return Err(bad(e.to_string()));
        }
        let get = |c: Option<usize>| c.and_then(|c| r.field(c)).map_or("", |s| s.trim());
        let text = get(Some(c.text));
        let themes = parse_themes(get(Some(c.themes)), &known, taxonomy).map_err(bad)?;
        let lang = parse_code(get(c.lang), "lang", Lang::from_code).map_err(bad)?;
        let sentiment =
            parse_code(get(c.sentiment), "sentiment", Sentiment::from_code).map_err(bad)?;
        let triage_all = parse_triage(get(c.triage)).map_err(bad)?;
        let pii = match c.pii {
            None => None,
            Some(_) => Some(parse_pii(get(c.pii), text).map_err(bad)?),
        };
        items.push(GoldItem {
            row: r.row,
            text: text.to_string(),
            theme_sentiment: parse_polarity(get(c.polarity), &themes).map_err(bad)?,
            themes,
            lang,
            sentiment,
            triage: triage_all.as_ref().and_then(|v| v.first().copied()),
            triage_all,
            urgent_kind: Some(get(c.kind).to_string()).filter(|k| !k.is_empty()),
            pii,
            nps: parse_nps(get(c.nps)).map_err(bad)?,
        });
    }
    Ok(items)
}

fn parse_themes(
    cell: &str,
    known: &BTreeSet<&str>,
    taxonomy: &Taxonomy,
) -> std::result::Result<BTreeSet<String>, String> {
    let themes: BTreeSet<String> = cell
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    match themes.iter().find(|t| !known.contains(t.as_str())) {
        Some(u) => Err(format!(
            "unknown theme id {u:?} (taxonomy has: {})",
            taxonomy.theme_ids().join(", ")
        )),
        None => Ok(themes),
    }
}

/// An empty cell is no label; anything else must be a known code.
fn parse_code<T>(
    cell: &str,
    what: &str,
    from: impl Fn(&str) -> Option<T>,
) -> std::result::Result<Option<T>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    from(cell)
        .map(Some)
        .ok_or_else(|| format!("unknown {what} {cell:?}"))
}

/// Every class that applies, most serious first; `normal` only when nothing else does.
fn parse_triage(cell: &str) -> std::result::Result<Option<Vec<TriageClass>>, String> {
    let mut all = Vec::new();
    for code in cell.split([';', ',', ' ']).filter(|s| !s.trim().is_empty()) {
        match TriageClass::from_code(code) {
            Some(c) if c != TriageClass::PossibleUrgent => all.push(c),
            _ => {
                return Err(format!(
                    "unknown triage {code:?} (use urgent, formal, contact_requested, normal; several separated by ;)"
                ))
            }
        }
    }
    all.sort();
    all.dedup();
    if all.len() > 1 {
        all.retain(|c| *c != TriageClass::Normal);
    }
    Ok((!all.is_empty()).then_some(all))
}

fn parse_polarity(
    cell: &str,
    themes: &BTreeSet<String>,
) -> std::result::Result<BTreeMap<String, char>, String> {
    let mut out = BTreeMap::new();
    for item in cell.split_whitespace() {
        match item.rsplit_once(':') {
            Some((id, p)) if themes.contains(id) && matches!(p, "+" | "-" | "0" | "~") => {
                out.insert(id.to_string(), p.chars().next().unwrap_or('0'));
            }
            _ => {
                return Err(format!(
                    "theme_sentiment item {item:?} is not theme:polarity for one of the row's themes (polarity + - 0 ~)"
                ))
            }
        }
    }
    Ok(out)
}

fn parse_nps(cell: &str) -> std::result::Result<Option<u8>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    cell.parse::<u8>()
        .ok()
        .filter(|n| *n <= 10)
        .map(Some)
        .ok_or_else(|| format!("nps {cell:?} is not a whole number 0–10"))
}

fn parse_pii(cell: &str, text: &str) -> std::result::Result<Vec<(PiiKind, String)>, String> {
    let mut spans = Vec::new();
    for item in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (kind, span) = item
            .split_once(':')
            .and_then(|(k, v)| Some((PiiKind::from_label(k)?, v.trim())))
            .ok_or_else(|| {
                format!(
                    "pii item {item:?} is not KIND:span with KIND one of HETU, PUHELIN, EMAIL, OSOITE, NIMI"
                )
            })?;
        if !text.contains(span) {
            return Err(format!("pii span {span:?} does not occur in the text"));
        }
        spans.push((kind, span.to_string()));
    }
    Ok(spans)
}

/// Labeled CSV files as one: their rows one after another under [`COLUMNS`], each
/// file's columns matched by name (a missing column is empty). A file without a `text`
/// column is an error naming it.
pub fn merge(paths: &[PathBuf]) -> Result<DataFile> {
    let files = paths
        .iter()
        .map(|p| {
            Ok(DataFile {
                bytes: std::fs::read(p).map_err(|e| Error::io(p, e))?,
                origin: FileOrigin::Flag(p.clone()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    merge_files(files)
}

/// Several labeled files as one, under [`COLUMNS`]; one file stays as it is.
pub fn merge_files(mut files: Vec<DataFile>) -> Result<DataFile> {
    if files.len() == 1 {
        return Ok(files.remove(0));
    }
    let mut out = vec![COLUMNS.map(str::to_string).to_vec()];
    for f in &files {
        let name = PathBuf::from(f.origin.describe());
        let t = crate::input::table::read_named_csv(&name, &f.bytes, &COLUMNS)?;
        if !t.present[0] {
            return Err(Error::input(
                &name,
                format!("no \"text\" column; headers: {}", t.headers.join(", ")),
            ));
        }
        out.extend(t.rows);
    }
    let mut bytes = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut bytes);
        for row in &out {
            w.write_record(row)
                .map_err(|e| Error::input("<merged labels>", e.to_string()))?;
        }
        w.flush().map_err(|e| Error::io("<merged labels>", e))?;
    }
    Ok(DataFile {
        bytes,
        origin: FileOrigin::Merged(files.into_iter().map(|f| f.origin).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let m = merge(&[a.clone(), b.clone()]).unwrap();
        let t = m.text().unwrap();
        assert!(t.starts_with("text,themes,lang,sentiment"), "{t}");
        assert!(t.contains("Jono oli pitkä,access,,,"), "{t}");
        assert!(t.contains("Hyvä hoito,care_quality,,positive,"), "{t}");
        assert!(!t.contains("ml"), "{t}");
        assert!(m.origin.describe().contains(" + "));
        std::fs::write(&b, "comment\nx\n").unwrap();
        let e = merge(&[a, b]).unwrap_err().to_string();
        assert!(e.contains("labels.csv") && e.contains("text"), "{e}");
    }

    #[test]
    fn the_default_training_set_is_train_and_dev_together() {
        use crate::datafile::{default_training, DEV, TRAIN};
        let rows = |f: &DataFile| f.text().unwrap().lines().count() - 1;
        // Tests run in the clone: both files come from the working directory.
        let files = default_training().unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.origin.path().is_some()));
        let (train, dev) = (rows(&TRAIN.builtin()), rows(&DEV.builtin()));
        let merged = merge_files(vec![TRAIN.builtin(), DEV.builtin()]).unwrap();
        assert_eq!(
            merged.origin.describe(),
            "built-in train.csv + built-in dev.csv"
        );
        let taxonomy = crate::taxonomy::Taxonomy::load(None).unwrap();
        let items = read_gold_file(&merged, &taxonomy).unwrap();
        let alone = |f: DataFile| read_gold_file(&f, &taxonomy).unwrap().len();
        assert_eq!(items.len(), alone(TRAIN.builtin()) + alone(DEV.builtin()));
        assert!(train > 1000 && dev > 500, "{train} {dev}");
        // One file stays as it is (same bytes, so the same fingerprints as before).
        let one = merge_files(vec![TRAIN.builtin()]).unwrap();
        assert_eq!(one.bytes, TRAIN.builtin().bytes);
    }
}
