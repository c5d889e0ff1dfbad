//! `palaute review`: people correct the tags in a browser and work the registry queue; their
//! decisions become labeled comments the model is retrained on.
//!
//! This module holds what the review knows — the comments with their predictions, the order
//! they are shown in, the labels file and the queue's status file — and [`server`] puts it
//! on a loopback HTTP server with one page ([`page`]).

pub mod page;
pub mod server;
pub mod store;

use crate::domain::{Classification, Tagged, TriageClass};
use crate::error::Error;
use crate::taxonomy::Taxonomy;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use store::KeyedCsv;

/// labels.csv: the columns of `data/labeled/train.csv` (so `palaute train --train labels.csv`
/// and `palaute eval --gold labels.csv` read it as they are), then who decided, when, and
/// what the model had said.
pub static LABEL_COLUMNS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut c = crate::labeled::COLUMNS.to_vec();
    c.extend([
        "id",
        "source",
        "reviewer",
        "time",
        "model_themes",
        "model_sentiment",
        "model_triage",
    ]);
    c
});

/// queue_status.csv, beside queue.csv: keyed by the queue's `source` (file:row), which is
/// unique even when an export repeats an id.
pub const STATUS_COLUMNS: &[&str] = &[
    "source", "id", "status", "owner", "note", "updated", "reviewer",
];

pub const STATUSES: [&str; 4] = ["new", "in_progress", "answered", "closed"];

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no item {0:?}")]
    UnknownItem(String),
    #[error("{0}")]
    Invalid(String),
    #[error("no registry queue was given (start with --queue DIR)")]
    NoQueue,
    #[error(transparent)]
    Store(#[from] Error),
}

/// One comment under review: its text as written and as shown (masked), and the
/// predictions on each.
pub struct Item {
    pub id: String,
    /// file:row of the input.
    pub source: String,
    pub text: String,
    pub masked: String,
    pub unit: Option<String>,
    pub month: Option<String>,
    pub nps: Option<u8>,
    pub raw: Classification,
    pub shown: Classification,
    /// How unsure the prediction is, 0–1 (see [`doubt`]).
    pub doubt: f32,
}

/// What a reviewer decided about one comment.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Decision {
    pub id: String,
    pub themes: Vec<String>,
    #[serde(default)]
    pub sentiment: Option<String>,
    /// Every class that applies; `"urgent;formal"` or a list; empty or "normal" for none.
    #[serde(default)]
    pub triage: TriageField,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(untagged)]
pub enum TriageField {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl TriageField {
    fn codes(&self) -> Vec<String> {
        let items: Vec<&str> = match self {
            TriageField::None => Vec::new(),
            TriageField::One(s) => s.split([';', ',', ' ']).collect(),
            TriageField::Many(v) => v.iter().map(String::as_str).collect(),
        };
        items
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Which comments to show: each field, when given, must match.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub theme: Option<String>,
    pub unit: Option<String>,
    pub month: Option<String>,
    pub lang: Option<String>,
}

impl Filter {
    fn admits(&self, it: &Item) -> bool {
        fn given(f: &Option<String>) -> Option<&str> {
            f.as_deref().filter(|s| !s.is_empty())
        }
        given(&self.theme).is_none_or(|t| it.raw.has_theme(t))
            && given(&self.unit).is_none_or(|u| it.unit.as_deref() == Some(u))
            && given(&self.month).is_none_or(|m| it.month.as_deref() == Some(m))
            && given(&self.lang).is_none_or(|l| it.raw.lang.lang.code() == l)
    }
}

/// How unsure the prediction of a comment is, 0 (sure) to 1: the largest of
/// - a theme the model gave with p near ½, or a rule tag the model did not confirm;
/// - a rule tag the model overruled (the two disagree);
/// - no theme at all;
/// - a sentiment the model gave with low probability;
/// - an urgent probability near ½, or a possible_urgent flag.
///
/// Comments are shown most doubtful first: a person's answer teaches the model most there.
pub fn doubt(c: &Classification) -> f32 {
    let near_half = |p: f32| 1.0 - (2.0 * p - 1.0).abs();
    let mut d: f32 = 0.0;
    for t in &c.themes {
        d = d.max(match t.model_p {
            Some(p) => near_half(p),
            None if t.by_rules => 0.5,
            None => 0.0,
        });
    }
    if !c.overruled.is_empty() {
        d = d.max(0.8);
    }
    if c.themes.is_empty() {
        d = d.max(0.6);
    }
    if let Some(p) = c.sentiment_p {
        d = d.max(1.0 - p);
    }
    if let Some(p) = c.urgent_p {
        d = d.max(near_half(p));
    }
    if c.triage == TriageClass::PossibleUrgent {
        d = d.max(0.9);
    }
    d.clamp(0.0, 1.0)
}

pub struct Review {
    pub items: Vec<Item>,
    by_id: HashMap<String, usize>,
    /// Theme ids and their names in the page's language, in taxonomy order.
    pub themes: Vec<(String, String)>,
    pub labels: KeyedCsv,
    skipped: Vec<String>,
    pub reviewer: String,
    pub audit_path: PathBuf,
    pub queue: Option<QueueBoard>,
}

impl Review {
    /// `tagged` as classified, `masked` the same comments after redaction, in the same order.
    pub fn new(
        tagged: Vec<Tagged>,
        masked: Vec<Tagged>,
        taxonomy: &Taxonomy,
        lang: crate::lang::Lang,
        labels: KeyedCsv,
        reviewer: String,
    ) -> Self {
        let mut items = Vec::new();
        let mut by_id = HashMap::new();
        for (t, m) in tagged.into_iter().zip(masked) {
            let (Some(raw), Some(shown)) = (t.result, m.result) else {
                continue;
            };
            let f = t.feedback;
            let source = format!("{}:{}", f.file, f.row);
            // An export that repeats an id still gets one item per row.
            let id = if by_id.contains_key(&f.id) {
                source.clone()
            } else {
                f.id.clone()
            };
            by_id.insert(id.clone(), items.len());
            items.push(Item {
                id,
                source,
                doubt: doubt(&raw),
                text: f.text,
                masked: m.feedback.text,
                unit: f.unit,
                month: f.month,
                nps: f.nps,
                raw,
                shown,
            });
        }
        let audit_path = sibling(labels.path(), "audit.log");
        Review {
            items,
            by_id,
            themes: taxonomy
                .themes
                .iter()
                .map(|t| (t.id.clone(), t.label.get(lang).to_string()))
                .collect(),
            labels,
            skipped: Vec::new(),
            reviewer,
            audit_path,
            queue: None,
        }
    }

    pub fn item(&self, id: &str) -> Result<&Item, ReviewError> {
        self.by_id
            .get(id)
            .map(|&i| &self.items[i])
            .ok_or_else(|| ReviewError::UnknownItem(id.to_string()))
    }

    fn labeled_ids(&self) -> HashSet<String> {
        let c = self.labels.column("id").unwrap_or(0);
        self.labels.rows().map(|r| r[c].clone()).collect()
    }

    /// Labels so far per theme: themes with few are asked about first.
    pub fn theme_label_counts(&self) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> =
            self.themes.iter().map(|(id, _)| (id.clone(), 0)).collect();
        let c = self.labels.column("themes").unwrap_or(0);
        for r in self.labels.rows() {
            for t in r[c].split(';').filter(|s| !s.is_empty()) {
                *counts.entry(t.to_string()).or_default() += 1;
            }
        }
        counts
    }

    /// The next comment to review under `filter`, and how many are left: unlabeled ones,
    /// most doubtful first, those predicted with a theme that has few labels lifted; skipped
    /// ones last, in the order they were skipped.
    pub fn next(&self, filter: &Filter) -> (Option<&Item>, usize) {
        let labeled = self.labeled_ids();
        let counts = self.theme_label_counts();
        let fewest = counts.values().copied().min().unwrap_or(0);
        let rarity = |it: &Item| -> f32 {
            let n = it
                .raw
                .themes
                .iter()
                .map(|t| counts.get(&t.theme).copied().unwrap_or(0))
                .min()
                .unwrap_or(fewest);
            0.3 / (1.0 + n as f32)
        };
        let open: Vec<&Item> = self
            .items
            .iter()
            .filter(|it| !labeled.contains(&it.id) && filter.admits(it))
            .collect();
        let skip_rank = |it: &Item| self.skipped.iter().position(|s| *s == it.id);
        let best = open.iter().copied().min_by(|a, b| {
            skip_rank(a)
                .is_some()
                .cmp(&skip_rank(b).is_some())
                .then(skip_rank(a).cmp(&skip_rank(b)))
                .then(
                    (b.doubt + rarity(b))
                        .partial_cmp(&(a.doubt + rarity(a)))
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
        });
        (best, open.len())
    }

    pub fn skip(&mut self, id: &str) -> Result<(), ReviewError> {
        self.item(id)?;
        self.skipped.retain(|s| s != id);
        self.skipped.push(id.to_string());
        Ok(())
    }

    /// Checks a decision and writes it to the labels file (replacing an earlier one for the
    /// same comment).
    pub fn label(&mut self, d: &Decision) -> Result<(), ReviewError> {
        let it = self.item(&d.id)?;
        let known: HashSet<&str> = self.themes.iter().map(|(id, _)| id.as_str()).collect();
        let mut themes: Vec<String> = Vec::new();
        for t in &d.themes {
            if !known.contains(t.as_str()) {
                return Err(ReviewError::Invalid(format!("unknown theme {t:?}")));
            }
            if !themes.contains(t) {
                themes.push(t.clone());
            }
        }
        let sentiment = match d.sentiment.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(s) => crate::domain::Sentiment::from_code(s)
                .ok_or_else(|| ReviewError::Invalid(format!("unknown sentiment {s:?}")))?
                .code()
                .to_string(),
        };
        let mut classes = Vec::new();
        for code in d.triage.codes() {
            match TriageClass::from_code(&code) {
                Some(c) if c != TriageClass::PossibleUrgent => classes.push(c),
                _ => {
                    return Err(ReviewError::Invalid(format!(
                        "unknown triage {code:?} (urgent, formal, contact_requested, normal)"
                    )))
                }
            }
        }
        classes.sort();
        classes.dedup();
        if classes.len() > 1 {
            classes.retain(|c| *c != TriageClass::Normal);
        }
        let triage = if classes.is_empty() {
            "normal".to_string()
        } else {
            join(classes.iter().map(|c| c.code()))
        };
        let model_triage = {
            let mut v: Vec<&str> = it.raw.triage_classes().iter().map(|c| c.code()).collect();
            if it.raw.triage == TriageClass::PossibleUrgent {
                v.insert(0, "possible_urgent");
            }
            if v.is_empty() {
                "normal".to_string()
            } else {
                v.join(";")
            }
        };
        let row = vec![
            // The masked text: a labels file is passed around (to a colleague, to whoever
            // retrains), and themes do not depend on a name or a number.
            it.masked.clone(),
            join(themes.iter().map(String::as_str)),
            it.raw.lang.lang.code().to_string(),
            sentiment,
            triage,
            String::new(),
            String::new(),
            String::new(),
            it.nps.map_or(String::new(), |n| n.to_string()),
            it.id.clone(),
            it.source.clone(),
            self.reviewer.clone(),
            now(),
            join(it.raw.themes.iter().map(|t| t.theme.as_str())),
            it.raw.sentiment.code().to_string(),
            model_triage,
        ];
        self.labels.put(row)?;
        self.skipped.retain(|s| *s != d.id);
        Ok(())
    }

    /// The reviewer asked to see a comment unmasked: kept in the audit log beside labels.csv.
    pub fn log_unmask(&self, id: &str) -> Result<(), ReviewError> {
        use std::io::Write;
        let line = format!("{}\t{}\tunmasked\t{}\n", now(), self.reviewer, id);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.audit_path)
            .map_err(|e| Error::io(&self.audit_path, e))?;
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(&self.audit_path, e))?;
        Ok(())
    }
}

/// The registry queue written by `palaute triage`, and the clerk's status per item.
pub struct QueueBoard {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub status: KeyedCsv,
}

impl QueueBoard {
    /// Reads `dir/queue.csv`; statuses are kept in `dir/queue_status.csv`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let path = dir.join("queue.csv");
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let body = bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(&bytes);
        let mut r = csv::ReaderBuilder::new().from_reader(body);
        let columns: Vec<String> = r
            .headers()
            .map_err(|e| Error::input(&path, format!("header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        for need in ["triage", "classes", "source"] {
            if !columns.iter().any(|c| c == need) {
                return Err(Error::input(
                    &path,
                    format!("no {need:?} column: is this a queue.csv written by `palaute triage`?"),
                ));
            }
        }
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| Error::input(&path, format!("row {}: {e}", i + 2)))?;
            rows.push(rec.iter().map(str::to_string).collect());
        }
        let status = KeyedCsv::open(&dir.join("queue_status.csv"), STATUS_COLUMNS, "source")?;
        Ok(QueueBoard {
            columns,
            rows,
            status,
        })
    }

    fn cell<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }

    fn is_urgent(&self, row: &[String]) -> bool {
        self.cell(row, "triage") == "urgent"
            || self.cell(row, "classes").split(';').any(|c| c == "urgent")
    }

    /// Each queue row as column → value, with its status, owner and note.
    pub fn items(&self) -> Vec<BTreeMap<String, String>> {
        self.rows
            .iter()
            .map(|row| {
                let mut m: BTreeMap<String, String> = self
                    .columns
                    .iter()
                    .cloned()
                    .zip(row.iter().map(|c| store::unformula(c)))
                    .collect();
                let st = self.status.get(self.cell(row, "source"));
                for (i, name) in STATUS_COLUMNS.iter().enumerate().skip(2) {
                    let v = st.map_or(if *name == "status" { "new" } else { "" }, |s| &s[i]);
                    m.insert(name.to_string(), v.to_string());
                }
                m
            })
            .collect()
    }

    /// Sets an item's status; an urgent item is closed only with a note saying what was done.
    pub fn set(
        &mut self,
        source: &str,
        status: &str,
        owner: &str,
        note: &str,
        reviewer: &str,
    ) -> Result<(), ReviewError> {
        let row = self
            .rows
            .iter()
            .find(|r| self.cell(r, "source") == source)
            .ok_or_else(|| ReviewError::UnknownItem(source.to_string()))?;
        if !STATUSES.contains(&status) {
            return Err(ReviewError::Invalid(format!(
                "unknown status {status:?} (use {})",
                STATUSES.join(", ")
            )));
        }
        if status == "closed" && self.is_urgent(row) && note.trim().is_empty() {
            return Err(ReviewError::Invalid(
                "an urgent item cannot be closed without a note of what was done".to_string(),
            ));
        }
        let id = self.cell(row, "id").to_string();
        self.status.put(vec![
            source.to_string(),
            id,
            status.to_string(),
            owner.trim().to_string(),
            note.trim().to_string(),
            now(),
            reviewer.to_string(),
        ])?;
        Ok(())
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(";")
}

/// Local time to the second, as a person reads it in the file.
fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// `dir/labels.csv` -> `dir/labels.audit.log`
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("labels");
    path.with_file_name(format!("{stem}.{suffix}"))
}
