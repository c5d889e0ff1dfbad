//! Raw rows to feedback records: scores parsed and range-checked, dates to months. A row
//! that cannot be used becomes a [`Reject`] with file, row, column and reason, so that
//! rows in = records + rejects always holds.

use super::columns::{is_missing_marker, ColumnMap};
use super::table::{RawTable, RowRef};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

/// Longer texts are rejected rather than processed: a comment this long is almost always
/// several rows merged by a broken quote, or pasted documents.
pub const MAX_TEXT_CHARS: usize = 20_000;

#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    /// The export's id column, or file:row when it has none.
    pub id: String,
    pub file: String,
    pub row: usize,
    pub text: String,
    pub nps: Option<u8>,
    /// 1–5 statement answers, aligned with [`super::Dataset::score_names`].
    pub scores: Vec<Option<u8>>,
    pub date: Option<NaiveDate>,
    /// "YYYY-MM", or None when the row has no date.
    pub month: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<String>,
}

impl Feedback {
    pub fn has_text(&self) -> bool {
        !self.text.trim().is_empty()
    }
}

/// A row that could not be used, with what a person needs to find and fix it. The cells
/// are as read (trimmed), empty when the row could not be split into cells.
#[derive(Debug, Clone, Serialize)]
pub struct Reject {
    pub file: String,
    pub row: usize,
    pub column: String,
    pub reason: String,
    /// The export's id cell; empty when the export has no id column.
    pub id: String,
    /// The raw date cell.
    pub date: String,
    /// The raw unit cell.
    pub unit: String,
    /// The raw text cell: may hold personal data, so it is never written out as it is
    /// (rejects.csv shows a masked excerpt) and never serialized.
    #[serde(skip)]
    pub text: String,
}

fn cell<'a>(row: &RowRef<'a>, col: Option<usize>) -> &'a str {
    col.and_then(|c| row.field(c)).map_or("", |s| s.trim())
}

/// Parses an integer answer in `lo..=hi`; "9.0" and "9,0" from spreadsheets are fine.
pub fn parse_answer(v: &str, lo: u8, hi: u8) -> Result<Option<u8>, String> {
    if is_missing_marker(v) {
        return Ok(None);
    }
    let norm = v.trim().replace(',', ".");
    let num: f64 = norm
        .parse()
        .map_err(|_| format!("{v:?} is not a number {lo}–{hi}"))?;
    if num.fract() != 0.0 || num < f64::from(lo) || num > f64::from(hi) {
        return Err(format!("{v:?} is outside {lo}–{hi}"));
    }
    Ok(Some(num as u8))
}

/// Dates as exports write them: ISO, Finnish d.m.yyyy, with or without a time, or just a
/// month ("2026-10", "10/2026").
pub fn parse_date(v: &str) -> Result<Option<NaiveDate>, String> {
    match parse_date_any_year(v)? {
        // "6.10.26": chrono reads the year as 26 AD; a feedback export means 2026.
        // A negative year ("1/-11", found by fuzzing) is no two-digit year.
        Some(d) if (0..100).contains(&d.year()) => Ok(d.with_year(2000 + d.year())),
        Some(d) if !(1990..=2100).contains(&d.year()) => Err(format!(
            "{:?} has the year {}, which cannot be a feedback date",
            v.trim(),
            d.year()
        )),
        d => Ok(d),
    }
}

fn parse_date_any_year(v: &str) -> Result<Option<NaiveDate>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    for f in [
        "%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%Y/%m/%d", "%d/%m/%Y", "%Y.%m.%d",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(v, f) {
            return Ok(Some(d));
        }
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d.%m.%Y klo %H.%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(v, f) {
            return Ok(Some(d.date()));
        }
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(Some(d.date_naive()));
    }
    // Month only.
    for (f, s) in [
        ("%Y-%m-%d", format!("{v}-01")),
        ("%m/%Y/%d", format!("{v}/01")),
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(&s, f) {
            return Ok(Some(d));
        }
    }
    Err(format!(
        "{v:?} is not a date (use e.g. 2026-10-31 or 31.10.2026)"
    ))
}

pub fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Turns the rows of one table into records and rejects.
pub fn to_records(
    table: &RawTable,
    map: &ColumnMap,
    score_slots: &[usize],
    n_scores: usize,
    rows: std::ops::Range<usize>,
) -> (Vec<Feedback>, Vec<Reject>) {
    let reader = RowReader {
        table,
        map,
        score_slots,
        n_scores,
        file: table.path.display().to_string(),
    };
    let mut records = Vec::new();
    let mut rejects = Vec::new();
    for i in rows {
        let row = table.rows.get(i);
        match reader.read(&row) {
            Ok(record) => records.push(record),
            Err(problem) => rejects.push(reader.reject(&row, problem)),
        }
    }
    (records, rejects)
}

/// Why a row cannot be used: the header of the column at fault (empty when the row could
/// not be read at all) and the reason.
struct Problem {
    column: String,
    reason: String,
}

/// Reads the rows of one table: what [`to_records`] was given, with the file's name.
struct RowReader<'a> {
    table: &'a RawTable,
    map: &'a ColumnMap,
    score_slots: &'a [usize],
    n_scores: usize,
    file: String,
}

impl RowReader<'_> {
    /// One row as a record, or the first reason it cannot be one.
    fn read(&self, row: &RowRef) -> Result<Feedback, Problem> {
        let map = self.map;
        if let Some(e) = row.error {
            return Err(Problem {
                column: String::new(),
                reason: e.to_string(),
            });
        }
        let text = cell(row, Some(map.text)).to_string();
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(self.problem(
                map.text,
                format!("text is {chars} characters, over the limit of {MAX_TEXT_CHARS} (merged rows from a broken quote?)"),
            ));
        }
        let nps = parse_answer(cell(row, map.nps), 0, 10)
            .map_err(|e| self.problem(map.nps.unwrap_or(0), format!("recommendation score {e}")))?;
        let scores = self.scores(row)?;
        let date =
            parse_date(cell(row, map.date)).map_err(|e| self.problem(map.date.unwrap_or(0), e))?;
        if text.is_empty() && nps.is_none() && scores.iter().all(Option::is_none) {
            return Err(self.problem(map.text, "no text and no score".to_string()));
        }
        let opt = |c: Option<usize>| Some(cell(row, c).to_string()).filter(|s| !s.is_empty());
        Ok(Feedback {
            id: opt(map.id).unwrap_or_else(|| format!("{}:{}", short_name(&self.file), row.row)),
            file: self.file.clone(),
            row: row.row,
            text,
            nps,
            scores,
            month: date.map(month_of),
            date,
            unit: opt(map.unit),
            channel: opt(map.channel),
        })
    }

    /// The 1–5 answers in their slots of [`super::Dataset::score_names`].
    fn scores(&self, row: &RowRef) -> Result<Vec<Option<u8>>, Problem> {
        let mut scores = vec![None; self.n_scores];
        for (&col, &slot) in self.map.scores.iter().zip(self.score_slots) {
            scores[slot] = parse_answer(cell(row, Some(col)), 1, 5)
                .map_err(|e| self.problem(col, format!("1–5 score {e}")))?;
        }
        Ok(scores)
    }

    fn problem(&self, col: usize, reason: String) -> Problem {
        Problem {
            column: self.table.headers.get(col).cloned().unwrap_or_default(),
            reason,
        }
    }

    /// The reject for a row, with the cells a person needs to find it.
    fn reject(&self, row: &RowRef, problem: Problem) -> Reject {
        let map = self.map;
        Reject {
            file: self.file.clone(),
            row: row.row,
            column: problem.column,
            reason: problem.reason,
            id: cell(row, map.id).to_string(),
            date: cell(row, map.date).to_string(),
            unit: cell(row, map.unit).to_string(),
            text: cell(row, Some(map.text)).to_string(),
        }
    }
}

fn short_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer("9", 0, 10), Ok(Some(9)));
        assert_eq!(parse_answer("9,0", 0, 10), Ok(Some(9)));
        assert_eq!(parse_answer(" EOS ", 1, 5), Ok(None));
        assert!(parse_answer("11", 0, 10).unwrap_err().contains("outside"));
        assert!(parse_answer("kymmenen", 0, 10)
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_answer("3.5", 1, 5).is_err());
    }

    #[test]
    fn rejects_carry_the_rows_cells() {
        let row = |n: usize, f: &[&str], error: Option<&str>| crate::input::table::RawRow {
            row: n,
            fields: f.iter().map(|s| s.to_string()).collect(),
            error: error.map(str::to_string),
        };
        let table = RawTable {
            path: "<stdin>".into(),
            headers: ["id", "pvm", "yksikkö", "palaute", "nps"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                row(2, &["a1", " 1.10.2026 ", "A", " Liian iso ", "11"], None),
                row(3, &["a2", "eilen", "B", "", "5"], None),
                row(4, &[], Some("unreadable CSV row")),
            ]
            .into_iter()
            .collect(),
            format: "CSV".into(),
            warnings: Vec::new(),
            key_lines: Vec::new(),
        };
        let map = ColumnMap {
            text: 3,
            nps: Some(4),
            scores: Vec::new(),
            date: Some(1),
            unit: Some(2),
            channel: None,
            id: Some(0),
            warnings: Vec::new(),
        };
        let (records, rejects) = to_records(&table, &map, &[], 0, 0..table.rows.len());
        assert!(records.is_empty());
        let cells = |r: &Reject| {
            (
                r.file.clone(),
                r.row,
                r.column.clone(),
                r.id.clone(),
                r.date.clone(),
                r.unit.clone(),
                r.text.clone(),
            )
        };
        let s = String::from;
        assert_eq!(
            rejects.iter().map(cells).collect::<Vec<_>>(),
            [
                (
                    s("<stdin>"),
                    2,
                    s("nps"),
                    s("a1"),
                    s("1.10.2026"),
                    s("A"),
                    s("Liian iso")
                ),
                (
                    s("<stdin>"),
                    3,
                    s("pvm"),
                    s("a2"),
                    s("eilen"),
                    s("B"),
                    s("")
                ),
                (s("<stdin>"), 4, s(""), s(""), s(""), s(""), s("")),
            ]
        );
        // The text is not part of what is serialized.
        let json = serde_json::to_value(&rejects[0]).unwrap();
        assert!(json.get("text").is_none() && json["id"] == "a1", "{json}");
    }

    #[test]
    fn two_digit_years_are_this_century() {
        let d = |s: &str| parse_date(s).unwrap().unwrap().to_string();
        assert_eq!(d("6.10.26"), "2026-10-06");
        assert_eq!(d("06.10.2026"), "2026-10-06");
        assert!(parse_date("6.10.0926").is_err());
        // Found by fuzzing: a negative year became 1989.
        assert!(parse_date("1/-11").is_err());
    }

    #[test]
    fn dates() {
        let d = |s| parse_date(s).unwrap().map(month_of);
        assert_eq!(d("2026-10-31"), Some("2026-10".into()));
        assert_eq!(d("31.10.2026"), Some("2026-10".into()));
        assert_eq!(d("1.9.2026 14:03"), Some("2026-09".into()));
        assert_eq!(d("2026-08"), Some("2026-08".into()));
        assert_eq!(d(""), None);
        assert!(parse_date("eilen").is_err());
        assert!(parse_date("2026-13-01").is_err());
    }
}
