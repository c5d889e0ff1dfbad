//! Personal data in free text: Finnish identity codes (with a valid date and check
//! character), phone numbers, e-mail addresses, street addresses and person names. Found
//! spans are masked by kind (`[HETU]`, `[PUHELIN]`, …) in the output's language.
//!
//! Formats are recognised by code; the street words, titles and name lists are data in
//! `models/pii.toml`, so a county can add its own.

use crate::lang::Lang;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Hetu,
    Phone,
    Address,
    Name,
}

impl PiiKind {
    pub const ALL: [PiiKind; 5] = [
        PiiKind::Hetu,
        PiiKind::Phone,
        PiiKind::Email,
        PiiKind::Address,
        PiiKind::Name,
    ];

    /// The Finnish mask word, also used as the kind's name in labeled data.
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Hetu => "HETU",
            PiiKind::Phone => "PUHELIN",
            PiiKind::Email => "EMAIL",
            PiiKind::Address => "OSOITE",
            PiiKind::Name => "NIMI",
        }
    }

    pub fn from_label(s: &str) -> Option<PiiKind> {
        PiiKind::ALL
            .into_iter()
            .find(|k| k.label().eq_ignore_ascii_case(s.trim()))
    }

    fn key(self) -> &'static str {
        match self {
            PiiKind::Hetu => "hetu",
            PiiKind::Phone => "phone",
            PiiKind::Email => "email",
            PiiKind::Address => "address",
            PiiKind::Name => "name",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PiiSpan {
    pub kind: PiiKind,
    /// Byte offsets into the text.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PiiConfigError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Deserialize)]
struct Config {
    masks: BTreeMap<String, BTreeMap<String, String>>,
    address: AddressConfig,
    names: NamesConfig,
}

#[derive(Debug, Deserialize)]
struct AddressConfig {
    street_endings: Vec<String>,
    #[serde(default)]
    street_words: Vec<String>,
    #[serde(default)]
    street_types: Vec<String>,
    #[serde(default)]
    po_boxes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct NamesConfig {
    titles: Vec<String>,
    first_names: Vec<String>,
    surnames: Vec<String>,
    ambiguous: Vec<String>,
    surname_endings: Vec<String>,
    not_names: Vec<String>,
    // Older county copies of pii.toml lack these; they still load.
    #[serde(default)]
    title_abbreviations: Vec<String>,
    #[serde(default)]
    greetings: Vec<String>,
    #[serde(default)]
    signoffs: Vec<String>,
}

/// Phone numbers and e-mail addresses. Built in rather than read from pii.toml: they mask
/// personal data and they tell triage that a writer left a way to be reached.
struct ContactPatterns {
    email: Regex,
    /// "liisa.m at example.fi": checked by [`plausible_email`]; a separate pattern so that a
    /// rejected "me at j.smith" does not hide the "j.smith@example.com" after it.
    email_words: Regex,
    phone: Regex,
}

static CONTACT_PATTERNS: LazyLock<ContactPatterns> = LazyLock::new(ContactPatterns::new);

impl ContactPatterns {
    fn new() -> ContactPatterns {
        // Constant patterns: a failure here is a bug in this file, caught by every test.
        let re = |s: &str| Regex::new(s).expect("built-in contact pattern");
        // A separator in a phone number: a space or two, or a hyphen or slash with spaces
        // around it ("040/123 4567", "040 - 123  45 67").
        let sep = r"(?:[ ]{0,2}[-/][ ]{0,2}|[ ]{1,2})?";
        let phone = format!(
            r"(?:\+|\b00)[1-9]\d{{0,2}}{sep}(?:\(0\){sep})?\d(?:{sep}\d){{5,13}}|\(?\b0[1-9]\d{{0,2}}\)?{sep}\d(?:{sep}\d){{3,10}}"
        );
        // "@" with or without spaces, "(at)", "[at]", "ät"; " at " and " dot " only when the
        // address is clearly one (checked in `find`).
        let dot = r"(?:\.|[ ]?[(\[](?i:dot|piste|punkt)[)\]][ ]?|[ ](?i:dot|piste|punkt)[ ])";
        let email = |at: &str| {
            format!(
                r"\b[A-Za-z0-9._%+-]+{at}[A-Za-z0-9-]+(?:{dot}[A-Za-z0-9-]+)*{dot}[A-Za-z]{{2,}}\b"
            )
        };
        ContactPatterns {
            email: re(&email(
                r"(?:[ ]?@[ ]?|[ ]?[(\[{<][ ]?(?i:at|ät|a)[ ]?[)\]}>][ ]?)",
            )),
            email_words: re(&email(r"[ ](?i:at|ät)[ ]")),
            phone: re(&phone),
        }
    }
}

/// The phone numbers and e-mail addresses in a text, in the order found (they may overlap;
/// [`PiiDetector::find`] resolves that).
pub fn contact_details(text: &str) -> Vec<PiiSpan> {
    let p = &*CONTACT_PATTERNS;
    let mut spans = Vec::new();
    for m in p.email.find_iter(text) {
        spans.push(PiiSpan {
            kind: PiiKind::Email,
            start: m.start(),
            end: m.end(),
        });
    }
    for m in p.email_words.find_iter(text) {
        if plausible_email(m.as_str()) {
            spans.push(PiiSpan {
                kind: PiiKind::Email,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    for m in p.phone.find_iter(text) {
        if plausible_phone(text, m.start(), m.end()) {
            spans.push(PiiSpan {
                kind: PiiKind::Phone,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    spans
}

fn plausible_phone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    // Part of a longer token: an order number "2026-10-0042", a code "0x80070005", a
    // date "01.02.2026" or an amount "1 050,00". A dot after a word is an abbreviation
    // ("puh.040 123 4567").
    let abbreviation_dot = before == Some('.')
        && text[..start - 1]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic);
    if before.is_some_and(|c| c.is_alphanumeric() || "-./,_".contains(c)) && !abbreviation_dot
        || after.is_some_and(|c| c.is_alphanumeric())
    {
        return false;
    }
    // A date written with slashes or hyphens ("02/03/2026", "05-10-2026").
    let parts: Vec<&str> = text[start..end].split(['/', '-']).map(str::trim).collect();
    if parts.len() == 3
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && matches!(parts[2].len(), 2 | 4)
    {
        return false;
    }
    let rest = &text[end..];
    if rest.starts_with(['.', ',', ':']) && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let digits = text[start..end]
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    if text[start..end].starts_with(['+']) || text[start..end].starts_with("00") {
        (8..=15).contains(&digits)
    } else {
        (7..=12).contains(&digits)
    }
}

pub struct PiiDetector {
    hetu: Regex,
    /// Street name + number, number-first, separate street word, post office box.
    addresses: Vec<Regex>,
    word: Regex,
    abbreviations: HashSet<String>,
    greetings: HashSet<String>,
    signoffs: HashSet<String>,
    masks: BTreeMap<String, BTreeMap<String, String>>,
    titles: Vec<String>,
    first: HashSet<String>,
    surnames: HashSet<String>,
    ambiguous: HashSet<String>,
    surname_endings: Vec<String>,
    not_names: HashSet<String>,
}

const CHECK_CHARS: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
/// Finnish case endings, so that "Virtaselle" and "Annalle" are found from the lists.
const CASE_ENDINGS: &[&str] = &[
    "lle", "lla", "llä", "lta", "ltä", "ssa", "ssä", "sta", "stä", "ksi", "na", "nä", "n", "a",
    "ä", "s",
];

/// Whether `code` is a Finnish personal identity code with a real date, an individual
/// number in use and the right check character. Century signs: `+` 1800s; `-`, Y, X, W, V,
/// U 1900s; A–F 2000s (the extra signs came into use in 2023).
pub fn valid_hetu(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() != 11 || !code.is_ascii() {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        code.get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
    };
    let (Some(dd), Some(mm), Some(yy), Some(nnn)) =
        (digits(0..2), digits(2..4), digits(4..6), digits(7..10))
    else {
        return false;
    };
    let century = match b[6].to_ascii_uppercase() {
        b'+' => 1800,
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => 1900,
        b'A'..=b'F' => 2000,
        _ => return false,
    };
    if chrono::NaiveDate::from_ymd_opt((century + yy) as i32, mm, dd).is_none() || nnn < 2 {
        return false;
    }
    let n = (dd * 10000 + mm * 100 + yy) as u64 * 1000 + u64::from(nnn);
    CHECK_CHARS[(n % 31) as usize] == b[10].to_ascii_uppercase()
}

/// The identity code in a match written with a space or no sign ("131052 308T",
/// "131052308T"), when some century sign makes it valid.
fn hetu_in(found: &str) -> bool {
    let compact: String = found.chars().filter(|c| *c != ' ').collect();
    match compact.len() {
        11 => valid_hetu(&compact),
        10 if compact.is_ascii() => ['-', 'A', '+'].iter().any(|sign| {
            let code = format!("{}{sign}{}", &compact[..6], &compact[6..]);
            valid_hetu(&code)
        }),
        _ => false,
    }
}

const LOWER_CASE_STREETS: &[&str] = &[
    "katu", "kadu", "kuja", "gatan", "gata", "vägen", "gränd", "straße", "strasse",
];

/// The address regexes built from `[address]` in pii.toml.
fn address_patterns(cfg: &AddressConfig) -> Vec<String> {
    let alt = |words: &[String]| {
        words
            .iter()
            .map(|w| regex::escape(&w.to_lowercase()))
            .collect::<Vec<_>>()
            .join("|")
    };
    // Staircase and flat ("5 B 12", "5b", "14 as. 3", "12 lgh 1102", "7-9"), then a postal
    // code and town ("90100 Oulu", "123 45 Stockholm").
    let house = r"\d{1,4}(?:\s?[-–]\s?\d{1,4})?(?:\s?[A-Za-z]\b(?:\s?\d{1,3}\b)?)?(?:,?\s*(?i:as|asunto|lgh|bst|flat|apt)\.?\s*\d{1,4})?";
    let postal = r"(?:,?\s+(?:\d{5}|\d{3}\s\d{2})\s+\p{Lu}\p{Ll}+)?";
    // Street word in any inflection ("Rantatiellä 14"); a lower-case compound too
    // ("koulukatu 5") for the unmistakable street words only: "linja", "ranta" or "piha"
    // in lower case are as often a bus line, a shore or a yard.
    let lower: Vec<String> = cfg
        .street_endings
        .iter()
        .filter(|e| LOWER_CASE_STREETS.contains(&e.to_lowercase().as_str()))
        .cloned()
        .collect();
    let mut out = vec![format!(
        r"\b\p{{Lu}}[\p{{Ll}}-]*(?:{})\p{{Ll}}{{0,5}}\s+{house}{postal}",
        alt(&cfg.street_endings)
    )];
    if !lower.is_empty() {
        out.push(format!(
            r"\b\p{{Ll}}{{3,}}[\p{{Ll}}-]*(?:{})\p{{Ll}}{{0,5}}\s+{house}{postal}",
            alt(&lower)
        ));
    }
    if !cfg.street_words.is_empty() {
        out.push(format!(
            r"\b\p{{Lu}}\p{{Ll}}+\s+(?i:{})\b\.?\s+{house}{postal}",
            alt(&cfg.street_words)
        ));
    }
    if !cfg.street_types.is_empty() {
        let types = cfg
            .street_types
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join("|");
        out.push(format!(
            r"\b\d{{1,4}}[A-Za-z]?,?\s+(?:\p{{Lu}}[\p{{L}}'’-]*\s+){{1,3}}(?:{types})\b\.?(?:,\s+\p{{Lu}}\p{{Ll}}+)?"
        ));
    }
    if !cfg.po_boxes.is_empty() {
        let boxes = cfg
            .po_boxes
            .iter()
            .map(|w| {
                let w = regex::escape(w);
                if w.len() > 3 {
                    format!("(?i:{w})")
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join("|");
        out.push(format!(r"\b(?:{boxes})\.?\s*\d{{1,6}}\b{postal}"));
    }
    out
}

/// An e-mail written " at " / " dot " in words only counts when it is clearly an address:
/// a dot, underscore or digit before the "at", or the dots spelled out too.
fn plausible_email(found: &str) -> bool {
    let local = found.split(' ').next().unwrap_or("");
    let lower = found.to_lowercase();
    local.contains(['.', '_'])
        || local.chars().any(|c| c.is_ascii_digit())
        || [" dot ", " piste ", " punkt "]
            .iter()
            .any(|w| lower.contains(w))
}

fn is_sentence_start(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\t', '"', '\'', '(', '«', '”', '“']);
    before.is_empty() || before.ends_with(['.', '!', '?', ':', '\n', '\r', '-', '–'])
}

fn capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.any(char::is_lowercase)
}

/// The words of a text with their byte spans, for reading names.
struct Words<'t> {
    text: &'t str,
    list: Vec<(usize, usize, &'t str)>,
}

impl<'t> Words<'t> {
    fn new(word: &Regex, text: &'t str) -> Self {
        let list = word
            .find_iter(text)
            .map(|m| (m.start(), m.end(), m.as_str()))
            .collect();
        Words { text, list }
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn start(&self, j: usize) -> usize {
        self.list[j].0
    }

    fn end(&self, j: usize) -> usize {
        self.list[j].1
    }

    fn word(&self, j: usize) -> &'t str {
        self.list[j].2
    }

    /// What separates word `j` from word `j - 1`.
    fn gap(&self, j: usize) -> &'t str {
        &self.text[self.list[j - 1].1..self.list[j].0]
    }

    /// Word `j` follows word `j - 1` after spaces only.
    fn adjacent(&self, j: usize) -> bool {
        j < self.len() && only_spaces(self.gap(j))
    }

    /// Word `j` follows an abbreviation with or without its dot ("Dr. Smith", "tri Aho").
    fn after_abbreviation(&self, j: usize) -> bool {
        j < self.len() && {
            let g = self.gap(j);
            only_spaces(g.strip_prefix('.').unwrap_or(g))
        }
    }

    /// Word `j` follows a greeting or sign-off: spaces, a comma or dot, up to two line ends.
    fn after_salutation(&self, j: usize) -> bool {
        j < self.len() && {
            let g = self.gap(j);
            !g.is_empty()
                && g.chars()
                    .all(|c| matches!(c, ' ' | ',' | '.' | '\n' | '\r' | '\t'))
                && g.matches('\n').count() <= 2
        }
    }
}

fn only_spaces(gap: &str) -> bool {
    !gap.is_empty() && gap.chars().all(|c| c == ' ')
}

/// A name found in [`Words`]: its byte span, and the word to go on from.
struct Found {
    span: (usize, usize),
    next: usize,
}

/// What the name lists and its place in the sentence say about a capitalised word.
struct Listed {
    first: bool,
    surname: bool,
    starts_sentence: bool,
}

impl PiiDetector {
    /// `models/pii.toml` when it exists, else the built-in lists.
    /// `models/pii.toml` in the working directory when it exists, else the built-in copy.
    pub fn load_default() -> Result<Self, PiiConfigError> {
        let spec = &crate::datafile::PII;
        let file = spec.load(None).map_err(|e| PiiConfigError::Invalid {
            path: spec.path.to_string(),
            message: e.to_string(),
        })?;
        let source = file.origin.describe();
        let text = file.text().map_err(|message| PiiConfigError::Invalid {
            path: source.clone(),
            message,
        })?;
        Self::from_toml(text, &source)
    }

    pub fn builtin() -> Result<Self, PiiConfigError> {
        let file = crate::datafile::PII.builtin();
        let text = file.text().map_err(|message| PiiConfigError::Invalid {
            path: file.origin.describe(),
            message,
        })?;
        Self::from_toml(text, &file.origin.describe())
    }

    pub fn from_toml(text: &str, source: &str) -> Result<Self, PiiConfigError> {
        let bad = |message: String| PiiConfigError::Invalid {
            path: source.to_string(),
            message,
        };
        let cfg: Config = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for lang in ["fi", "sv", "en"] {
            let m = cfg
                .masks
                .get(lang)
                .ok_or_else(|| bad(format!("[masks.{lang}] is missing")))?;
            for k in PiiKind::ALL {
                if !m.contains_key(k.key()) {
                    return Err(bad(format!("[masks.{lang}] needs {}", k.key())));
                }
            }
        }
        if cfg.address.street_endings.is_empty() {
            return Err(bad("address.street_endings is empty".into()));
        }
        let re = |s: &str| Regex::new(s).map_err(|e| bad(e.to_string()));
        let addresses = address_patterns(&cfg.address)
            .iter()
            .map(|p| re(p))
            .collect::<Result<Vec<_>, _>>()?;
        let set = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<HashSet<_>>();
        let mut titles: Vec<String> = cfg.names.titles.iter().map(|t| t.to_lowercase()).collect();
        titles.sort_by_key(|t| std::cmp::Reverse(t.len()));
        Ok(PiiDetector {
            // The sign may be missing or written with spaces ("131052 308T", "131052308T");
            // `find` checks the date and check character of what it matched.
            hetu: re(r"\b\d{6}(?:[ ]?[-+A-FYXWVUa-fyxwvu][ ]?|[ ])?\d{3}[0-9A-Ya-y]\b")?,
            addresses,
            // Hyphenated names are one word: "Ulla-Maija", "Korhonen-Virtanen".
            word: re(r"\p{L}[\p{L}'’]*(?:-\p{Lu}[\p{L}'’]*)*")?,
            abbreviations: set(&cfg.names.title_abbreviations),
            greetings: set(&cfg.names.greetings),
            signoffs: set(&cfg.names.signoffs),
            masks: cfg.masks,
            titles,
            first: set(&cfg.names.first_names),
            surnames: set(&cfg.names.surnames),
            ambiguous: set(&cfg.names.ambiguous),
            surname_endings: cfg
                .names
                .surname_endings
                .iter()
                .map(|s| s.to_lowercase())
                .collect(),
            not_names: set(&cfg.names.not_names),
        })
    }

    /// The mask for a kind in an output language (Finnish for `other`).
    pub fn mask(&self, kind: PiiKind, lang: Lang) -> &str {
        let code = match lang {
            Lang::Sv => "sv",
            Lang::En => "en",
            _ => "fi",
        };
        self.masks
            .get(code)
            .and_then(|m| m.get(kind.key()))
            .map_or(kind.label(), String::as_str)
    }

    /// Every personal-data span, sorted and non-overlapping (on overlap the earlier kind in
    /// [`PiiKind`] order wins, then the longer span).
    pub fn find(&self, text: &str) -> Vec<PiiSpan> {
        let mut spans: Vec<PiiSpan> = Vec::new();
        let mut push = |kind, start, end| spans.push(PiiSpan { kind, start, end });
        for s in contact_details(text) {
            push(s.kind, s.start, s.end);
        }
        for m in self.hetu.find_iter(text) {
            if hetu_in(m.as_str()) {
                push(PiiKind::Hetu, m.start(), m.end());
            }
        }
        for re in &self.addresses {
            for m in re.find_iter(text) {
                push(PiiKind::Address, m.start(), m.end());
            }
        }
        for (s, e) in self.names(text) {
            push(PiiKind::Name, s, e);
        }
        spans.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
        });
        let mut kept: Vec<PiiSpan> = Vec::new();
        for s in spans {
            if !kept.iter().any(|k| k.start < s.end && s.start < k.end) {
                kept.push(s);
            }
        }
        kept.sort_by_key(|s| s.start);
        kept
    }

    /// A title word, or its inflection ("lääkärille", "läkarens"); short titles ("dr",
    /// "mr") only as they are.
    fn is_title(&self, lower: &str) -> bool {
        self.titles.iter().any(|t| {
            if t.chars().count() <= 3 {
                lower == t
            } else {
                lower.starts_with(t.as_str()) && lower.len() - t.len() <= 4
            }
        })
    }

    fn in_list(&self, word: &str, list: &HashSet<String>) -> bool {
        // "Anna-Liisa", "Korhonen-Virtanen": any listed part.
        if word.contains('-') {
            return word.split('-').any(|part| self.in_list(part, list));
        }
        let w = word.to_lowercase();
        if list.contains(&w) {
            return true;
        }
        // Inflected: "Virtaselle" (virtanen), "Annalle" (anna), "Lindqvists".
        CASE_ENDINGS.iter().any(|e| {
            w.strip_suffix(e).is_some_and(|base| {
                list.contains(base)
                    || base
                        .strip_suffix("se")
                        .is_some_and(|b| list.contains(&format!("{b}nen")))
                    || base
                        .strip_suffix("s")
                        .is_some_and(|b| list.contains(&format!("{b}nen")))
            })
        })
    }

    fn surname_like(&self, word: &str) -> bool {
        let lower = word.to_lowercase();
        self.in_list(word, &self.surnames)
            || self
                .surname_endings
                .iter()
                .any(|end| lower.ends_with(end.as_str()))
    }

    fn is_candidate(&self, word: &str) -> bool {
        capitalised(word) && !self.not_names.contains(&word.to_lowercase())
    }

    fn names(&self, text: &str) -> Vec<(usize, usize)> {
        let words = Words::new(&self.word, text);
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let lower = words.word(i).to_lowercase();
            let found = self
                .introduced_name(&words, i, &lower)
                .or_else(|| self.listed_name(&words, i, &lower));
            match found {
                Some(found) => {
                    out.push(found.span);
                    i = found.next;
                }
                None => i += 1,
            }
        }
        if let Some(span) = self.signature_line(text) {
            if !out.iter().any(|&(s, e)| s < span.1 && span.0 < e) {
                out.push(span);
            }
        }
        out
    }

    /// A name that word `i` introduces: a title ("lääkäri Virtanen"), a greeting ("Hei
    /// Raili,") or a sign-off ("Terveisin\nMaikki Heikura"). `lower` is word `i` in lower case.
    fn introduced_name(&self, words: &Words, i: usize, lower: &str) -> Option<Found> {
        // After a title: the next one or two capitalised words.
        let titled = (self.is_title(lower) && words.adjacent(i + 1))
            || (self.abbreviations.contains(lower) && words.after_abbreviation(i + 1));
        if titled {
            if let Some(found) = self.run(words, i + 1, 2) {
                return Some(found);
            }
        }
        // "Hei Raili,", "Hej Stig!", "Dear Aleksandra" — a name only when the
        // salutation ends there.
        if self.greetings.contains(lower) && words.after_salutation(i + 1) {
            if let Some(found) = self.run(words, i + 1, 2) {
                let rest = words.text[found.span.1..].trim_start_matches([' ', '\t']);
                if rest.is_empty() || rest.starts_with([',', '!', '\n', '\r', '.', ':']) {
                    return Some(found);
                }
            }
        }
        // "Terveisin\nMaikki Heikura", "Med vänlig hälsning, Gun-Britt", "t. Reijo": a
        // sign-off opens a sentence or follows its adjective ("Ystävällisin terveisin").
        let opens = is_sentence_start(words.text, words.start(i))
            || (i > 0 && words.adjacent(i) && capitalised(words.word(i - 1)));
        if self.signoffs.contains(lower) && opens && words.after_salutation(i + 1) {
            return self.run(words, i + 1, 3);
        }
        None
    }

    /// The candidate words from word `j` on as one name: one word, or up to `max` in a row.
    fn run(&self, words: &Words, j: usize, max: usize) -> Option<Found> {
        if j >= words.len() || !self.is_candidate(words.word(j)) {
            return None;
        }
        let mut last = j;
        while last + 1 < words.len()
            && last + 1 - j < max
            && words.adjacent(last + 1)
            && self.is_candidate(words.word(last + 1))
        {
            last += 1;
        }
        Some(Found {
            span: (words.start(j), words.end(last)),
            next: last + 1,
        })
    }

    /// A name the name lists recognise at word `i`, alone or with the word after it.
    fn listed_name(&self, words: &Words, i: usize, lower: &str) -> Option<Found> {
        let w = words.word(i);
        if !self.is_candidate(w) {
            return None;
        }
        let listed = Listed {
            first: self.in_list(w, &self.first),
            surname: self.in_list(w, &self.surnames),
            starts_sentence: is_sentence_start(words.text, words.start(i)),
        };
        if words.adjacent(i + 1) && self.is_candidate(words.word(i + 1)) {
            if let Some(start) = self.two_word_name_start(words, i, lower, &listed) {
                return Some(Found {
                    span: (start, words.end(i + 1)),
                    next: i + 2,
                });
            }
        }
        // A lone listed name mid-sentence ("kiitos Annalle"); at a sentence start it is as
        // often a word ("Anna palautetta").
        let alone = (listed.first || listed.surname)
            && !listed.starts_sentence
            && !self.ambiguous.contains(lower);
        alone.then_some(Found {
            span: (words.start(i), words.end(i)),
            next: i + 1,
        })
    }

    /// Where the name starts when capitalised words `i` and `i + 1` make one.
    fn two_word_name_start(
        &self,
        words: &Words,
        i: usize,
        lower: &str,
        listed: &Listed,
    ) -> Option<usize> {
        let w2 = words.word(i + 1);
        // "Liisa Mäkinen", "Pekka Laine", "Anna Niemistä".
        if listed.first && self.surname_like(w2) {
            return Some(words.start(i));
        }
        // "Äitini Korhonen": at a sentence start the first word is just capitalised, so
        // only the listed surname is masked.
        if self.in_list(w2, &self.surnames) {
            let first_is_a_word = listed.starts_sentence && !listed.surname;
            return Some(words.start(if first_is_a_word { i + 1 } else { i }));
        }
        // An unlisted first name mid-sentence before a surname-like word ("hoiti Maikki
        // Heikura"); a genitive in -n is more often a place ("Oulun Yliopistollinen") unless
        // the surname is Swedish-looking.
        let swedish = ["sson", "qvist", "kvist", "ström", "berg", "holm", "lund"]
            .iter()
            .any(|end| w2.to_lowercase().ends_with(end));
        let unlisted_first =
            !listed.starts_sentence && self.surname_like(w2) && (!lower.ends_with('n') || swedish);
        unlisted_first.then_some(words.start(i))
    }

    /// A last line that is only two or three capitalised words ("…\nMaikki Heikura") is a
    /// signature.
    fn signature_line(&self, text: &str) -> Option<(usize, usize)> {
        let body = text.trim_end();
        let start = body.rfind('\n')? + 1;
        let line = &body[start..];
        let lead = line.len() - line.trim_start_matches([' ', '\t', '-', '–']).len();
        let words: Vec<regex::Match> = self.word.find_iter(&line[lead..]).collect();
        let only_words = words.len() >= 2
            && words.len() <= 3
            && words.iter().all(|m| self.is_candidate(m.as_str()))
            && self
                .word
                .replace_all(&line[lead..], "")
                .chars()
                .all(|c| c == ' ' || c == '.');
        let first = words.first()?;
        let last = words.last()?;
        only_words.then_some((start + lead + first.start(), start + lead + last.end()))
    }

    /// `text` with every span masked in `lang`.
    /// Like [`redact`](Self::redact), and moves each byte offset in `offsets` to where the
    /// same place is in the masked text (an offset inside a masked span moves past the mask).
    pub fn redact_mapped(&self, text: &str, lang: Lang, offsets: &mut [usize]) -> Masked {
        let spans = self.find(text);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut moved: Vec<usize> = offsets.to_vec();
        for s in &spans {
            out.push_str(&text[at..s.start]);
            out.push_str(self.mask(s.kind, lang));
            for (new, old) in moved.iter_mut().zip(offsets.iter()) {
                if *old > s.start && *old < s.end {
                    *new = out.len();
                }
            }
            at = s.end;
            // Offsets at or after the span's end shift by how much the mask changed the length.
            let grown = out.len() as isize - s.end as isize;
            for (new, old) in moved.iter_mut().zip(offsets.iter()) {
                if *old >= s.end {
                    *new = (*old as isize + grown) as usize;
                }
            }
        }
        out.push_str(&text[at..]);
        offsets.copy_from_slice(&moved);
        Masked(out)
    }

    pub fn redact(&self, text: &str, lang: Lang) -> Masked {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for s in self.find(text) {
            out.push_str(&text[at..s.start]);
            out.push_str(self.mask(s.kind, lang));
            at = s.end;
        }
        out.push_str(&text[at..]);
        Masked(out)
    }
}

/// Text that has been through [`PiiDetector::redact`]: only the detector makes one, and the
/// outputs that show people's words (queue excerpts and reasons, rejects, report quotes and
/// comments) take this type, so a new output cannot forget to mask.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Masked(String);

impl Masked {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Whitespace runs to single spaces, then at most `max` characters ("…" when cut):
    /// shortening masked text keeps it masked, since masks are whole words.
    pub fn excerpt(&self, max: usize) -> Masked {
        Masked(crate::text::excerpt(&self.0, max))
    }

    /// Whitespace runs to single spaces, then at most `max` characters.
    pub fn one_line(&self, max: usize) -> Masked {
        let collapsed = self.0.split_whitespace().collect::<Vec<_>>().join(" ");
        Masked(crate::text::cut_chars(&collapsed, max).into_owned())
    }

    /// At most `max` characters, as they are.
    pub fn cut(&self, max: usize) -> Masked {
        Masked(crate::text::cut_chars(&self.0, max).into_owned())
    }
}

/// Reading masked text is always safe; only making it is restricted.
impl std::ops::Deref for Masked {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for Masked {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Masked> for &str {
    fn eq(&self, other: &Masked) -> bool {
        *self == other.0
    }
}

impl std::fmt::Display for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det() -> PiiDetector {
        PiiDetector::builtin().expect("built-in pii.toml")
    }

    #[test]
    fn mapped_offsets_follow_their_words_past_masks() {
        let text = "Soittakaa numeroon 040 123 4567. Hoitaja oli ystävällinen.";
        let second = text.find("Hoitaja").unwrap();
        let phone = text.find("040").unwrap();
        let mut offsets = [0, second - 1, second, text.len(), phone + 2];
        let out = det().redact_mapped(text, Lang::Fi, &mut offsets);
        assert!(!out.contains("4567"), "{out}");
        assert_eq!(&out[offsets[2]..offsets[3]], "Hoitaja oli ystävällinen.");
        assert!(out[offsets[0]..offsets[1]].starts_with("Soittakaa numeroon ["));
        // An offset inside the number moves past its mask.
        assert_eq!(&out[offsets[4]..offsets[1]], ".");
        assert_eq!(out, det().redact(text, Lang::Fi));
    }

    fn kinds(text: &str) -> Vec<(PiiKind, String)> {
        det()
            .find(text)
            .into_iter()
            .map(|s| (s.kind, text[s.start..s.end].to_string()))
            .collect()
    }

    #[test]
    fn identity_codes_every_century_sign() {
        for code in [
            "131052-308T",
            "010594Y9032",
            "311299X145W",
            "170671W880H",
            "090930V019D",
            "121245U7773",
            "051188+112D",
            "150707A234N",
            "020312B5673",
            "030201C456H",
            "221003D6201",
            "240815F302J",
            "240815f302j",
        ] {
            assert!(valid_hetu(code), "{code}");
            assert_eq!(
                kinds(&format!("hetu {code}.")),
                [(PiiKind::Hetu, code.to_string())]
            );
        }
    }

    #[test]
    fn invalid_identity_codes_are_not_masked() {
        for code in [
            "131052-308X", // wrong check character
            "311352-308T", // no 31st of the 13th month
            "290223A1234", // 29 February 2023 does not exist
            "131052G308T", // not a century sign
            "131052-001T", // individual numbers start at 002
        ] {
            assert!(!valid_hetu(code), "{code}");
            assert!(
                !kinds(&format!("koodi {code}"))
                    .iter()
                    .any(|(k, _)| *k == PiiKind::Hetu),
                "{code}"
            );
        }
        // 29 February in a leap year is a real date.
        let n = 290224u64 * 1000 + 123;
        let code = format!("290224A123{}", CHECK_CHARS[(n % 31) as usize] as char);
        assert!(valid_hetu(&code), "{code}");
    }

    #[test]
    fn phones_in_finnish_and_international_formats() {
        for p in [
            "040 123 4567",
            "040-1234567",
            "0401234567",
            "+358 40 123 4567",
            "+358401234567",
            "09 8765 4321",
            "050 444 5566",
            "+46 70 123 45 67",
            "+44 20 7946 0958",
            "0400 555 123",
        ] {
            assert_eq!(
                kinds(&format!("Soita {p} kiitos")),
                [(PiiKind::Phone, p.to_string())],
                "{p}"
            );
        }
    }

    #[test]
    fn numbers_that_are_not_personal_data() {
        for t in [
            "Laskun numero 12345678 ja viitenumero 11223 34455 66778.",
            "Eräpäivä 14.11.2026, summa 1 048,90 euroa.",
            "Asiakasnumero 000123456, tilaus 2026-10-0042.",
            "Virhekoodi 0x80070005.",
            "Aika oli klo 14.30 huoneessa 212.",
            "Postinumero 00100 Helsinki.",
            "Fakturanummer 87654321, referensnummer 55667 78899.",
            "Tunnus 131052-308X oli esimerkki.",
        ] {
            assert_eq!(kinds(t), [], "{t}");
        }
    }

    #[test]
    fn emails_addresses_and_names() {
        assert_eq!(
            kinds("Vastaus osoitteeseen matti.virtanen@example.fi kiitos"),
            [(PiiKind::Email, "matti.virtanen@example.fi".into())]
        );
        assert_eq!(
            kinds("Osoite Koulukatu 5 B 12, 90100 Oulu."),
            [(PiiKind::Address, "Koulukatu 5 B 12, 90100 Oulu".into())]
        );
        assert_eq!(
            kinds("Adress Storgatan 12 A 3."),
            [(PiiKind::Address, "Storgatan 12 A 3".into())]
        );
        assert_eq!(
            kinds("Kiitos lääkäri Virtaselle ja sjukskötare Lindqvist."),
            [
                (PiiKind::Name, "Virtaselle".into()),
                (PiiKind::Name, "Lindqvist".into())
            ]
        );
        assert_eq!(
            kinds("Äitini Aino Korhonen sai väärän lääkkeen."),
            [(PiiKind::Name, "Aino Korhonen".into())]
        );
        // Capitalised words that are not names.
        assert_eq!(
            kinds("Omakanta ja Mina Kanta-sidor fungerar inte i Salo."),
            []
        );
    }

    #[test]
    fn a_complaint_with_every_kind_is_fully_masked() {
        let t = "Teen muistutuksen lääkäri Virtasen käytöksestä. Olen Liisa Mäkinen, 131052-308T, \
                 Koulukatu 5 B 12, puh. 040 123 4567, liisa.m@example.fi.";
        let r = det().redact(t, Lang::Fi);
        assert_eq!(
            r,
            "Teen muistutuksen lääkäri [NIMI] käytöksestä. Olen [NIMI], [HETU], \
             [OSOITE], puh. [PUHELIN], [EMAIL]."
        );
        let sv = det().redact("Ring 040 123 4567 eller skriv till a@b.fi", Lang::Sv);
        assert_eq!(sv, "Ring [TELEFON] eller skriv till [E-POST]");
    }

    /// Forms a hostile-input probe found surviving `--redact` (issue 12), each kind widened.
    #[test]
    fn identity_codes_with_a_space_or_no_sign() {
        for (text, code) in [
            ("hetu 131052 308T.", "131052 308T"),
            ("hetu 131052- 308T.", "131052- 308T"),
            ("hetu 131052308T.", "131052308T"),
            ("syntynyt 150707A 234N", "150707A 234N"),
            ("hetu 150707234N", "150707234N"),
        ] {
            assert_eq!(kinds(text), [(PiiKind::Hetu, code.to_string())], "{text}");
        }
        // Ten characters with no valid reading stay: wrong check character.
        assert_eq!(kinds("tilaus 131052308X"), []);
    }

    #[test]
    fn phones_with_slashes_and_odd_spacing() {
        for p in [
            "040/123 4567",
            "040 / 123 4567",
            "040  123  4567",
            "04 01 23 45 67",
            "040 12 34 567",
            "(09) 123 4567",
            "+358 (0)40 123 4567",
        ] {
            assert_eq!(
                kinds(&format!("Soita {p} kiitos")),
                [(PiiKind::Phone, p.to_string())],
                "{p}"
            );
        }
        assert_eq!(
            kinds("puh.040 123 4567"),
            [(PiiKind::Phone, "040 123 4567".into())]
        );
        for t in ["Käynti 02/03/2026 klo 9.", "Besök 05-10-2026."] {
            assert_eq!(kinds(t), [], "{t}");
        }
    }

    #[test]
    fn emails_written_around_spam_filters() {
        for e in [
            "liisa.makinen(at)example.fi",
            "liisa.makinen (at) example.fi",
            "liisa.makinen[at]example.fi",
            "liisa.makinen @ example.fi",
            "stig_l at example.se",
            "aino ät posti piste fi",
        ] {
            assert_eq!(
                kinds(&format!("Vastaus: {e} kiitos")),
                [(PiiKind::Email, e.to_string())],
                "{e}"
            );
        }
        // " at " in an ordinary sentence is not an address.
        assert_eq!(kinds("I booked at omaolo.fi yesterday"), []);
    }

    #[test]
    fn addresses_number_first_foreign_and_boxes() {
        for a in [
            "12 High Street",
            "5B Mill Rd",
            "Hauptstraße 5",
            "Pikk tn 12",
            "Drottninggatan 5 lgh 1102",
            "Koulukatu 14 as. 3",
            "Storgatan 3, 123 45 Stockholm",
            "PL 123",
            "koulukatu 5",
        ] {
            assert_eq!(
                kinds(&format!("Osoite on {a} ja")),
                [(PiiKind::Address, a.to_string())],
                "{a}"
            );
        }
        assert_eq!(kinds("bussilla 5 minuuttia, 12 potilasta"), []);
    }

    #[test]
    fn names_after_abbreviations_greetings_and_in_signatures() {
        let names = |t: &str| -> Vec<String> {
            kinds(t)
                .into_iter()
                .filter(|(k, _)| *k == PiiKind::Name)
                .map(|(_, s)| s)
                .collect()
        };
        assert_eq!(names("Kävin Dr. Heikuran vastaanotolla."), ["Heikuran"]);
        assert_eq!(names("Saw Dr Okonkwo today."), ["Okonkwo"]);
        assert_eq!(names("Lähete tri Aholta tuli."), ["Aholta"]);
        assert_eq!(names("Hei Raili, kiitos viestistä."), ["Raili"]);
        assert_eq!(names("Hej Stig! Tack."), ["Stig"]);
        assert_eq!(names("Dear Aleksandra,\nthank you."), ["Aleksandra"]);
        assert_eq!(names("Hei Kaikki, kiitos."), Vec::<String>::new());
        assert_eq!(
            names("Huono kokemus.\nTerveisin\nMaikki Heikura"),
            ["Maikki Heikura"]
        );
        assert_eq!(
            names("Tack.\nMed vänlig hälsning, Gun-Britt Sjöholm"),
            ["Gun-Britt Sjöholm"]
        );
        assert_eq!(names("Kiitos hyvästä hoidosta!\nt. Reijo"), ["Reijo"]);
        assert_eq!(
            names("Hoitaja oli hyvä.\nUlla-Maija Kettunen"),
            ["Ulla-Maija Kettunen"]
        );
        assert_eq!(
            names("Tapasin eilen Korhonen-Virtasen kanssa."),
            ["Korhonen-Virtasen"]
        );
        assert_eq!(
            names("hoiti minua Maikki Heikkilä hienosti"),
            ["Maikki Heikkilä"]
        );
        // Places and units in the genitive are not names.
        assert_eq!(
            names("Hoito Oulun Yliopistollinen sairaala oli hyvä."),
            Vec::<String>::new()
        );
    }
}
