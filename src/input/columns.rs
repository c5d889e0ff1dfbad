//! Which column holds what: found by header name in Finnish, Swedish or English (case- and
//! accent-insensitive), overridable from the command line or a mapping file.

use super::table::RawTable;
use crate::error::{Error, Result};
use crate::text::fold;
use serde::Deserialize;

/// Columns named by the user; each wins over detection.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnOverrides {
    pub text: Option<String>,
    pub nps: Option<String>,
    #[serde(default)]
    pub scores: Vec<String>,
    pub date: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<String>,
    pub id: Option<String>,
}

impl ColumnOverrides {
    /// Reads a mapping file (TOML with the same keys), for exports whose headers are odd.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| Error::input(path, format!("bad column mapping: {e}")))
    }

    /// Command-line values over file values.
    pub fn merged_over(self, base: ColumnOverrides) -> ColumnOverrides {
        ColumnOverrides {
            text: self.text.or(base.text),
            nps: self.nps.or(base.nps),
            scores: if self.scores.is_empty() {
                base.scores
            } else {
                self.scores
            },
            date: self.date.or(base.date),
            unit: self.unit.or(base.unit),
            channel: self.channel.or(base.channel),
            id: self.id.or(base.id),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMap {
    pub text: usize,
    pub nps: Option<usize>,
    pub scores: Vec<usize>,
    pub date: Option<usize>,
    pub unit: Option<usize>,
    pub channel: Option<usize>,
    pub id: Option<usize>,
    /// What detection chose not to do, for the user to check.
    pub warnings: Vec<String>,
}

impl ColumnMap {
    /// "text ← \"comment\", NPS ← \"score\", …": which column took which role.
    pub fn describe(&self, headers: &[String]) -> String {
        let mut parts = vec![format!("text ← {:?}", headers[self.text])];
        for (role, col) in [
            ("NPS", self.nps),
            ("date", self.date),
            ("unit", self.unit),
            ("channel", self.channel),
            ("id", self.id),
        ] {
            if let Some(c) = col {
                parts.push(format!("{role} ← {:?}", headers[c]));
            }
        }
        for &c in &self.scores {
            parts.push(format!("1–5 ← {:?}", headers[c]));
        }
        parts.join(", ")
    }

    /// The columns given a role other than a 1–5 statement.
    pub fn roles(&self) -> Vec<usize> {
        [self.nps, self.date, self.unit, self.channel, self.id]
            .into_iter()
            .flatten()
            .chain([self.text])
            .collect()
    }
}

/// The header words of each role, from `models/columns.toml` (see there), folded like
/// headers so that a county may write "Päivämäärä".
#[derive(Debug, serde::Deserialize)]
struct ColumnWords {
    id: Vec<String>,
    nps: Vec<String>,
    date: Vec<String>,
    channel: Vec<String>,
    unit: Vec<String>,
    text: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct ColumnsFile {
    columns: ColumnWords,
}

/// The column words: the working directory's `models/columns.toml`, else the built-in
/// copy, read once per input file (it is small). A broken file is an error naming it.
fn column_words() -> Result<ColumnWords> {
    let parsed: ColumnsFile = crate::datafile::COLUMNS.load_toml("column words")?;
    let fold_all = |v: Vec<String>| v.iter().map(|w| fold(w)).collect();
    let w = parsed.columns;
    Ok(ColumnWords {
        id: fold_all(w.id),
        nps: fold_all(w.nps),
        date: fold_all(w.date),
        channel: fold_all(w.channel),
        unit: fold_all(w.unit),
        text: fold_all(w.text),
    })
}

/// Reads `models/columns.toml` (working directory, else built in) as [`resolve`] will, for
/// `palaute themes check`: the number of header words, or the error naming the file.
pub fn check_column_words() -> Result<usize> {
    let w = column_words()?;
    Ok([&w.id, &w.nps, &w.date, &w.channel, &w.unit, &w.text]
        .iter()
        .map(|v| v.len())
        .sum())
}

/// How well a folded header matches an alias: 3 exact, 2 a whole word or phrase,
/// 1 a word beginning with a long alias ("suosittelisitko" for "suosittel").
fn match_quality(header: &str, alias: &str) -> u8 {
    if header == alias {
        return 3;
    }
    if alias.contains(' ') {
        return if header.contains(alias) { 2 } else { 0 };
    }
    let words: Vec<&str> = header.split(' ').collect();
    if words.contains(&alias) {
        // Long question headers ("Palvelun laatu 1-5") are not a unit or date column.
        return if words.len() <= 3 { 2 } else { 1 };
    }
    if alias.len() >= 5 && words.iter().any(|w| w.starts_with(alias)) {
        return 1;
    }
    0
}

fn best(headers: &[String], aliases: &[String], taken: &[usize]) -> Option<usize> {
    let mut best: Option<(u8, usize, usize)> = None;
    for (i, h) in headers.iter().enumerate() {
        if taken.contains(&i) {
            continue;
        }
        let folded = fold(h);
        // Earlier aliases are more specific; prefer them on ties.
        for (rank, alias) in aliases.iter().enumerate() {
            let q = match_quality(&folded, alias);
            if q > 0
                && best.is_none_or(|(bq, br, _)| {
                    (q, std::cmp::Reverse(rank)) > (bq, std::cmp::Reverse(br))
                })
            {
                best = Some((q, rank, i));
            }
        }
    }
    best.map(|(_, _, i)| i)
}

fn headers_list(table: &RawTable) -> String {
    table
        .headers
        .iter()
        .map(|h| format!("{h:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn named(table: &RawTable, name: &str, flag: &'static str) -> Result<usize> {
    let want = fold(name);
    table
        .headers
        .iter()
        .position(|h| fold(h) == want)
        .ok_or_else(|| Error::UnknownColumn {
            path: table.path.clone(),
            column: name.to_string(),
            flag,
            headers: headers_list(table),
        })
}

/// Missing-answer markers that count as empty in score columns.
pub fn is_missing_marker(v: &str) -> bool {
    matches!(
        fold(v).as_str(),
        "" | "eos" | "en osaa sanoa" | "vet ej" | "vet inte" | "n a" | "na" | "dont know"
    ) || v.trim() == "-"
}

/// Whether a column holds 1–5 statement answers: every answer is 1–5, or the header says
/// "1–5" and nearly all are (a stray 7 or 0 is then that row's reject, not a reason to drop
/// the whole statement from the report).
fn is_score_column(table: &RawTable, col: usize) -> bool {
    let (in_range, out) = answer_counts(table, col);
    in_range > 0
        && (out == 0 || (header_says_one_to_five(&table.headers[col]) && out * 10 <= in_range))
}

/// Answers in 1–5 and answers outside it (other numbers, words) in one column.
fn answer_counts(table: &RawTable, col: usize) -> (usize, usize) {
    let mut counts = (0, 0);
    for r in table.rows.iter().filter(|r| r.error.is_none()) {
        let v = r.field(col).map_or("", |s| s.trim());
        if is_missing_marker(v) {
            continue;
        }
        match v.parse::<u8>() {
            Ok(1..=5) => counts.0 += 1,
            _ => counts.1 += 1,
        }
    }
    counts
}

fn header_says_one_to_five(header: &str) -> bool {
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    ["1-5", "1–5", "1—5", "1..5", "1/5"]
        .iter()
        .any(|p| compact.contains(p))
}

/// A column that looks like a 1–5 statement but was not taken as one, said once, so that a
/// statement never disappears from the report without a word.
pub fn near_score_warnings(table: &RawTable, map: &ColumnMap) -> Vec<String> {
    (0..table.headers.len())
        .filter(|c| !map.scores.contains(c) && !map.roles().contains(c))
        .filter_map(|c| {
            let (in_range, out) = answer_counts(table, c);
            (in_range >= 3 && out > 0 && out * 10 <= in_range).then(|| {
                format!(
                    "column {:?} looks like 1–5 answers but has {out} value(s) outside 1–5, so it is not read as a statement; name it with --score-col (the rows with other values are then rejected)",
                    table.headers[c]
                )
            })
        })
        .collect()
}

/// One column role: the column the user named for it, the header words that detect it, the
/// flag that names it and what messages call it.
struct Role<'o> {
    named: &'o Option<String>,
    aliases: &'o [String],
    flag: &'static str,
    what: &'static str,
}

fn roles<'o>(o: &'o ColumnOverrides, w: &'o ColumnWords) -> [Role<'o>; 6] {
    let role = |named, aliases, flag, what| Role {
        named,
        aliases,
        flag,
        what,
    };
    [
        // Order matters: the id and date columns are claimed before "palaute" could match
        // "Palautteen päivämäärä", and the NPS question before the free text.
        role(&o.id, &w.id, "--id-col", "id"),
        role(&o.nps, &w.nps, "--nps-col", "NPS answer"),
        role(&o.date, &w.date, "--date-col", "date"),
        role(&o.channel, &w.channel, "--channel-col", "channel"),
        role(&o.unit, &w.unit, "--unit-col", "unit"),
        role(&o.text, &w.text, "--text-col", "feedback text"),
    ]
}

/// The columns the user named, each for one role only.
struct Claims<'t> {
    table: &'t RawTable,
    claimed: Vec<(usize, &'static str)>,
}

impl Claims<'_> {
    fn claim(&mut self, name: &str, flag: &'static str) -> Result<usize> {
        let col = named(self.table, name, flag)?;
        if let Some((_, other)) = self.claimed.iter().find(|(c, _)| *c == col) {
            return Err(Error::input(
                &self.table.path,
                format!(
                    "column {:?} is named for two roles ({other} and {flag}); a column can hold one",
                    self.table.headers[col]
                ),
            ));
        }
        self.claimed.push((col, flag));
        Ok(col)
    }
}

/// Detection by header name among the columns not yet taken.
struct Detection<'t> {
    table: &'t RawTable,
    /// Lines read without error.
    lines: usize,
    /// JSONL keys in too few lines to take a role by detection.
    rare: Vec<usize>,
    taken: Vec<usize>,
    warnings: Vec<String>,
}

impl<'t> Detection<'t> {
    fn new(table: &'t RawTable, taken: Vec<usize>) -> Self {
        let lines = table.rows.iter().filter(|r| r.error.is_none()).count();
        let rare = (0..table.key_lines.len())
            .filter(|&i| lines >= 10 && table.key_lines[i] * 10 < lines)
            .collect();
        Detection {
            table,
            lines,
            rare,
            taken,
            warnings: Vec::new(),
        }
    }

    /// The best free column for `role`; a rare key is passed over, and that is said.
    fn detect(&mut self, role: &Role) -> Option<usize> {
        let headers = &self.table.headers;
        match best(headers, role.aliases, &self.taken) {
            Some(i) if self.rare.contains(&i) => {
                self.warnings.push(format!(
                    "key {:?} occurs in only {} of {} lines, so it is not taken as the {}; name it with {} to use it",
                    headers[i], self.table.key_lines[i], self.lines, role.what, role.flag
                ));
                let mut skip = self.taken.clone();
                skip.extend(&self.rare);
                best(headers, role.aliases, &skip)
            }
            other => other,
        }
    }

    fn take(&mut self, col: Option<usize>) {
        if let Some(i) = col {
            if !self.taken.contains(&i) {
                self.taken.push(i);
            }
        }
    }
}

/// Resolves the column roles of one file. Columns named by the user are claimed first, so
/// detection never gives one of them a second role; naming one column for two roles is an
/// error. In JSONL, a key found in under a tenth of the lines is not given a role by
/// detection (one stray `"nps"` must not decide the file), and that is said.
pub fn resolve(table: &RawTable, o: &ColumnOverrides) -> Result<ColumnMap> {
    let words = column_words()?;
    let roles = roles(o, &words);
    let mut claims = Claims {
        table,
        claimed: Vec::new(),
    };
    let given = roles
        .iter()
        .map(|r| {
            r.named
                .as_ref()
                .map(|n| claims.claim(n, r.flag))
                .transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    let named_scores = o
        .scores
        .iter()
        .map(|s| claims.claim(s, "--score-col"))
        .collect::<Result<Vec<_>>>()?;
    let mut detection = Detection::new(table, claims.claimed.iter().map(|(c, _)| *c).collect());
    let mut found: Vec<Option<usize>> = Vec::new();
    for (role, given) in roles.iter().zip(given) {
        let col = given.or_else(|| detection.detect(role));
        detection.take(col);
        found.push(col);
    }
    let [id, nps, date, channel, unit, text] = found[..] else {
        unreachable!("one entry per role")
    };
    let text = text.ok_or_else(|| Error::MissingColumn {
        path: table.path.clone(),
        role: "the feedback text",
        headers: headers_list(table),
        flag: "--text-col",
    })?;
    let scores = if o.scores.is_empty() {
        (0..table.headers.len())
            .filter(|i| !detection.taken.contains(i) && is_score_column(table, *i))
            .collect()
    } else {
        named_scores
    };
    Ok(ColumnMap {
        text,
        nps,
        scores,
        date,
        unit,
        channel,
        id,
        warnings: detection.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::table::RawRow;

    fn table(headers: &[&str], rows: &[&[&str]]) -> RawTable {
        RawTable {
            path: "t.csv".into(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| RawRow {
                    row: i + 2,
                    fields: r.iter().map(|s| s.to_string()).collect(),
                    error: None,
                })
                .collect(),
            format: "test".into(),
            warnings: vec![],
            key_lines: vec![],
        }
    }

    #[test]
    fn one_column_cannot_take_two_roles() {
        let t = table(&["palaute", "nps"], &[&["hyvä", "9"]]);
        let o = ColumnOverrides {
            text: Some("palaute".into()),
            nps: Some("Palaute".into()),
            ..Default::default()
        };
        let e = resolve(&t, &o).unwrap_err().to_string();
        assert!(e.contains("\"palaute\" is named for two roles"), "{e}");
        // A named text column is not also detected as something else: "nps" named as the
        // text leaves no NPS column.
        let o = ColumnOverrides {
            text: Some("nps".into()),
            ..Default::default()
        };
        let m = resolve(&t, &o).unwrap();
        assert_eq!((m.text, m.nps), (1, None));
    }

    #[test]
    fn a_key_in_few_jsonl_lines_takes_no_role_by_itself() {
        let mut rows: Vec<Vec<&str>> = (0..20).map(|_| vec!["hyvä", "", "8"]).collect();
        rows[3][1] = "9";
        let refs: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let mut t = table(&["comment", "nps", "suosittelu"], &refs);
        t.key_lines = vec![20, 1, 20];
        let m = resolve(&t, &ColumnOverrides::default()).unwrap();
        assert_eq!(m.nps, Some(2), "{}", m.describe(&t.headers));
        assert!(
            m.warnings[0].contains("\"nps\" occurs in only 1 of 20 lines"),
            "{:?}",
            m.warnings
        );
        assert_eq!(
            m.describe(&t.headers),
            "text ← \"comment\", NPS ← \"suosittelu\""
        );
    }

    #[test]
    fn finnish_headers() {
        let t = table(
            &[
                "Vastaus ID",
                "Päivämäärä",
                "Toimipiste",
                "Kanava",
                "Kuinka todennäköisesti suosittelisit palvelua?",
                "Sain apua (1-5)",
                "Avoin palaute",
            ],
            &[
                &["1", "2026-10-01", "A", "kiosk", "9", "4", "hyvä"],
                &["2", "2026-10-02", "B", "web", "3", "EOS", "huono"],
            ],
        );
        let m = resolve(&t, &ColumnOverrides::default()).unwrap();
        assert_eq!(
            (m.id, m.date, m.unit, m.channel, m.nps, m.text),
            (Some(0), Some(1), Some(2), Some(3), Some(4), 6)
        );
        assert_eq!(m.scores, vec![5]);
    }

    #[test]
    fn swedish_headers_and_override() {
        let t = table(
            &[
                "Datum",
                "Enhet",
                "Rekommendera (0-10)",
                "Kommentar",
                "Fritt",
            ],
            &[&["2026-10-01", "X", "10", "bra", "x"]],
        );
        let m = resolve(&t, &ColumnOverrides::default()).unwrap();
        assert_eq!(
            (m.date, m.unit, m.nps, m.text),
            (Some(0), Some(1), Some(2), 3)
        );
        let o = ColumnOverrides {
            text: Some("fritt".into()),
            ..Default::default()
        };
        assert_eq!(resolve(&t, &o).unwrap().text, 4);
    }

    #[test]
    fn missing_text_column_lists_headers() {
        let t = table(&["a", "b"], &[]);
        let err = resolve(&t, &ColumnOverrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"a\", \"b\"") && err.contains("--text-col"),
            "{err}"
        );
        let o = ColumnOverrides {
            text: Some("nope".into()),
            ..Default::default()
        };
        assert!(resolve(&t, &o)
            .unwrap_err()
            .to_string()
            .contains("\"nope\""));
    }

    #[test]
    fn column_words_are_data_and_folded_like_headers() {
        let w = column_words().unwrap();
        for (role, words) in [
            ("id", &w.id),
            ("nps", &w.nps),
            ("date", &w.date),
            ("channel", &w.channel),
            ("unit", &w.unit),
            ("text", &w.text),
        ] {
            assert!(!words.is_empty(), "{role} has no header words");
            assert!(
                words.iter().all(|x| *x == fold(x)),
                "{role}: {words:?} not folded"
            );
        }
        assert!(w.date.iter().any(|x| x == "paivamaara"));
    }
}
