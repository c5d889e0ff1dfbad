//! The registry office's triage queue (`palaute triage`): one row per item, sorted urgent →
//! formal → contact requested → normal, then oldest first, with the reasons, the statutory
//! process named, how the writer wants to be contacted, a redacted excerpt and the unit the
//! item should go to. Written as queue.csv, queue.xlsx and queue.md.

use crate::domain::{Classification, Tagged, TriageClass, TriageReason};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::output::{csv_bytes, FileSet};
use crate::pii::{PiiDetector, PiiKind};
use crate::text::tokenize;
use crate::units::Units;
use chrono::NaiveDate;
use std::fmt::Write as _;
use std::path::Path;

/// Longest excerpt shown, in characters.
pub const EXCERPT_CHARS: usize = 280;

#[derive(Debug, Clone)]
pub struct QueueItem {
    pub id: String,
    pub file: String,
    pub row: usize,
    pub date: Option<NaiveDate>,
    pub unit: Option<String>,
    pub lang: String,
    /// Where it sorts: the most serious class (possible_urgent right after urgent).
    pub triage: TriageClass,
    /// Every definite class that applies: urgent, formal, contact_requested.
    pub classes: Vec<TriageClass>,
    /// Kinds of urgency found (self_harm, threat, neglect, …), for urgent and possible_urgent.
    pub urgent_kinds: Vec<String>,
    /// "rule id: matched words" or "model p=0.41", strongest class first.
    pub reasons: Vec<String>,
    /// Statutory processes named (muistutus, kantelu, …), for formal items.
    pub processes: Vec<String>,
    /// How the writer asked to be contacted: phone, email, letter.
    pub contact_via: Vec<&'static str>,
    pub themes: Vec<String>,
    pub excerpt: crate::pii::Masked,
    pub route_to: Option<String>,
    pub route_because: Option<String>,
}

/// The word beginnings that name each way of answering, from `models/contact.toml`.
#[derive(Debug, serde::Deserialize)]
pub struct ContactWords {
    phone: Vec<String>,
    email: Vec<String>,
    letter: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ContactFile {
    contact: ContactWords,
}

impl ContactWords {
    /// The working directory's `models/contact.toml`, else the built-in copy; a broken
    /// file is an error naming it.
    pub fn load_default() -> Result<ContactWords> {
        let parsed: ContactFile = crate::datafile::CONTACT.load_toml("contact words")?;
        Ok(parsed.contact)
    }
}

/// How the writer wants an answer, from the contact details and words in the text.
fn contact_via(text: &str, pii: &[crate::pii::PiiSpan], words: &ContactWords) -> Vec<&'static str> {
    let tokens = tokenize(text);
    let has = |stems: &[String]| {
        tokens
            .iter()
            .any(|t| stems.iter().any(|s| t.norm.starts_with(s.as_str())))
    };
    let mut via = Vec::new();
    if pii.iter().any(|s| s.kind == PiiKind::Phone) || has(&words.phone) {
        via.push("phone");
    }
    if pii.iter().any(|s| s.kind == PiiKind::Email) || has(&words.email) {
        via.push("email");
    }
    if has(&words.letter) {
        via.push("letter");
    }
    via
}

pub fn build(
    tagged: &[Tagged],
    units: &Units,
    pii: &PiiDetector,
    contact: &ContactWords,
) -> Vec<QueueItem> {
    let mut items: Vec<QueueItem> = tagged
        .iter()
        .map(|t| queue_item(t, units, pii, contact))
        .collect();
    items.sort_by(queue_order);
    items
}

/// Most serious class first; oldest first within a class: it has waited longest. Undated
/// items go last.
fn queue_order(a: &QueueItem, b: &QueueItem) -> std::cmp::Ordering {
    a.triage
        .cmp(&b.triage)
        .then_with(|| match (a.date, b.date) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.file.cmp(&b.file))
        .then_with(|| a.row.cmp(&b.row))
}

fn queue_item(t: &Tagged, units: &Units, pii: &PiiDetector, contact: &ContactWords) -> QueueItem {
    let f = &t.feedback;
    let r = t.result.as_ref();
    let lang = r.map(|r| r.lang.lang).unwrap_or(crate::lang::Lang::Fi);
    let spans = pii.find(&f.text);
    let wants_contact = r.is_some_and(|r| {
        r.triage_reasons
            .iter()
            .any(|x| x.class == TriageClass::ContactRequested)
    });
    let route = units.route(f.unit.as_deref(), &f.text);
    QueueItem {
        classes: r.map_or(Vec::new(), |r| r.triage_classes()),
        urgent_kinds: r.map_or(Vec::new(), |r| {
            r.urgent_kinds().into_iter().map(str::to_string).collect()
        }),
        id: f.id.clone(),
        file: f.file.clone(),
        row: f.row,
        date: f.date,
        unit: f.unit.clone(),
        lang: r.map_or(String::new(), |r| r.lang.lang.code().to_string()),
        triage: r.map_or(TriageClass::Normal, |r| r.triage),
        reasons: r.map_or(Vec::new(), |r| {
            r.triage_reasons
                .iter()
                .map(|x| reason_text(x, pii, lang))
                .collect()
        }),
        processes: r.map_or(Vec::new(), processes),
        contact_via: if wants_contact {
            contact_via(&f.text, &spans, contact)
        } else {
            Vec::new()
        },
        themes: r.map_or(Vec::new(), |r| r.theme_ids().map(str::to_string).collect()),
        excerpt: pii.redact(&f.text, lang).excerpt(EXCERPT_CHARS),
        route_to: route.as_ref().map(|r| r.unit.clone()),
        route_because: route.map(|r| r.because),
    }
}

/// "class: rule id \"matched words\"", or the model's reading when it has no words.
fn reason_text(x: &TriageReason, pii: &PiiDetector, lang: Lang) -> String {
    if x.evidence.matched.is_empty() && x.id == "model" {
        format!("{}: {}", x.class.code(), x.evidence.rule)
    } else if x.evidence.matched.is_empty() {
        // The model's guess at the kind: "urgent: neglect model p=0.71".
        format!("{}: {} {}", x.class.code(), x.id, x.evidence.rule)
    } else {
        // Evidence words can hold a name; mask them like the excerpt.
        format!(
            "{}: {} \"{}\"",
            x.class.code(),
            x.id,
            pii.redact(&x.evidence.matched, lang)
        )
    }
}

/// The statutory processes the rules found named, for formal items.
fn processes(r: &Classification) -> Vec<String> {
    let mut p: Vec<String> = r
        .triage_reasons
        .iter()
        .filter(|x| x.class == TriageClass::Formal && x.id != "model")
        .map(|x| x.id.clone())
        .collect();
    p.dedup();
    p
}

const HEADERS: [&str; 15] = [
    "triage",
    "classes",
    "urgent_kind",
    "id",
    "date",
    "unit",
    "route_to",
    "route_because",
    "lang",
    "reasons",
    "process",
    "contact_via",
    "themes",
    "excerpt",
    "source",
];

fn fields(it: &QueueItem) -> [String; 15] {
    [
        it.triage.code().to_string(),
        it.classes
            .iter()
            .map(|c| c.code())
            .collect::<Vec<_>>()
            .join(";"),
        it.urgent_kinds.join(";"),
        it.id.clone(),
        it.date.map_or(String::new(), |d| d.to_string()),
        it.unit.clone().unwrap_or_default(),
        it.route_to.clone().unwrap_or_default(),
        it.route_because.clone().unwrap_or_default(),
        it.lang.clone(),
        it.reasons.join(" | "),
        it.processes.join(", "),
        it.contact_via.join(", "),
        it.themes.join(";"),
        it.excerpt.to_string(),
        format!("{}:{}", it.file, it.row),
    ]
}

fn csv_file(path: &Path, items: &[QueueItem]) -> Result<Vec<u8>> {
    let mut rows = vec![HEADERS.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    rows.extend(items.iter().map(|it| fields(it).to_vec()));
    csv_bytes(path, b',', &rows)
}

fn xlsx_file(path: &Path, items: &[QueueItem]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Color, Format};
    let err = |source: rust_xlsxwriter::XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        source,
    };
    let mut wb = crate::output::new_workbook();
    let ws = wb.add_worksheet();
    ws.set_name("Jono").map_err(err)?;
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9E1F2));
    let urgent = Format::new()
        .set_background_color(Color::RGB(0xF8CBAD))
        .set_text_wrap();
    let possible = Format::new()
        .set_background_color(Color::RGB(0xFFE699))
        .set_text_wrap();
    let plain = Format::new().set_text_wrap();
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head)
            .map_err(err)?;
    }
    for (i, it) in items.iter().enumerate() {
        let row = i as u32 + 1;
        let fmt = match it.triage {
            TriageClass::Urgent => &urgent,
            TriageClass::PossibleUrgent => &possible,
            _ => &plain,
        };
        for (c, v) in fields(it).iter().enumerate() {
            // String cells, never formulas: a comment starting with "=" stays text.
            ws.write_string_with_format(row, c as u16, crate::output::excel_text(v), fmt)
                .map_err(err)?;
        }
    }
    for (c, w) in [10, 18, 14, 14, 11, 22, 26, 18, 5, 40, 16, 12, 24, 80, 22]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w as f64).map_err(err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    ws.autofilter(0, 0, items.len() as u32, HEADERS.len() as u16 - 1)
        .map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

fn md_cell(s: &str) -> String {
    crate::output::markdown_text(s)
}

pub fn render_md(items: &[QueueItem], source: &str) -> String {
    let mut o = String::new();
    let count = |c: TriageClass| items.iter().filter(|i| i.triage == c).count();
    let _ = writeln!(o, "# Triage queue\n");
    let _ = writeln!(
        o,
        "{} items from {}: **{} urgent**, **{} possibly urgent (read today)**, {} formal, {} asking for contact, {} normal. Each item sorts by its most serious class; `classes` lists every class that applies. Personal data in excerpts is masked.\n",
        items.len(),
        md_cell(source),
        count(TriageClass::Urgent),
        count(TriageClass::PossibleUrgent),
        count(TriageClass::Formal),
        count(TriageClass::ContactRequested),
        count(TriageClass::Normal)
    );
    for class in TriageClass::ALL {
        let group: Vec<&QueueItem> = items.iter().filter(|i| i.triage == class).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(o, "## {} ({})\n", class.code(), group.len());
        let _ = writeln!(
            o,
            "| id | date | route to | classes | urgent kind | reasons | process / contact | themes | excerpt |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
        for it in group {
            let extra = [it.processes.join(", "), it.contact_via.join(", ")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md_cell(&it.id),
                it.date.map_or(String::new(), |d| d.to_string()),
                md_cell(it.route_to.as_deref().unwrap_or("–")),
                it.classes
                    .iter()
                    .map(|c| c.code())
                    .collect::<Vec<_>>()
                    .join(", "),
                md_cell(&it.urgent_kinds.join(", ")),
                md_cell(&it.reasons.join("; ")),
                md_cell(&extra),
                md_cell(&it.themes.join(", ")),
                md_cell(it.excerpt.as_str())
            );
        }
        o.push('\n');
    }
    o
}

/// queue.csv, queue.xlsx and queue.md for `dir`, to be written together.
pub fn files(dir: &Path, items: &[QueueItem], source: &str) -> Result<FileSet> {
    let mut set = FileSet::new(dir);
    set.add("queue.csv", csv_file(&dir.join("queue.csv"), items)?);
    set.add("queue.xlsx", xlsx_file(&dir.join("queue.xlsx"), items)?);
    set.add("queue.md", render_md(items, source).into_bytes());
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_channels_come_from_the_words_file_and_the_details() {
        let words = ContactWords::load_default().unwrap();
        let none: &[crate::pii::PiiSpan] = &[];
        assert_eq!(contact_via("Soittakaa minulle", none, &words), ["phone"]);
        assert_eq!(
            contact_via("Svara skriftligt, tack", none, &words),
            ["letter"]
        );
        assert!(contact_via("Kiitos hyvästä hoidosta", none, &words).is_empty());
        // Words are data: another county's word works once it is in the file.
        let custom: ContactFile =
            toml::from_str("[contact]\nphone = [\"teksta\"]\nemail = []\nletter = []").unwrap();
        assert_eq!(
            contact_via("Tekstatkaa minulle", none, &custom.contact),
            ["phone"]
        );
        assert!(contact_via("Soittakaa", none, &custom.contact).is_empty());
    }
}
