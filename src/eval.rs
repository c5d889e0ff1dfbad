//! `palaute eval`: how good the tagging is against a hand-labeled file.

use crate::classify::{Classification, Classifier};
use crate::error::{Error, Result};
use crate::input::table::read_table;
use crate::lang::Lang;
use crate::pii::{PiiDetector, PiiKind};
use crate::sentiment::Sentiment;
use crate::taxonomy::{Taxonomy, TriageClass};
use crate::text::fold;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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

/// Reads a gold file: columns `text` and `themes` (ids separated by `;`), optionally `lang`,
/// `sentiment`, `triage` and `pii` (`KIND:span` items separated by `;`, kinds HETU, PUHELIN,
/// EMAIL, OSOITE, NIMI; each span must occur in the text). Unknown theme ids or labels are errors naming the row.
pub fn read_gold(path: &Path, taxonomy: &Taxonomy) -> Result<Vec<GoldItem>> {
    gold_from_table(path, &read_table(path, None)?, taxonomy)
}

/// [`read_gold`] on a data file that may be the built-in copy.
pub fn read_gold_file(
    file: &crate::datafile::DataFile,
    taxonomy: &Taxonomy,
) -> Result<Vec<GoldItem>> {
    let name = std::path::PathBuf::from(file.origin.describe());
    let table = crate::input::table::read_table_from(
        &name,
        file.bytes.clone(),
        Some(crate::input::table::InputFormat::Csv),
        None,
    )?;
    gold_from_table(&name, &table, taxonomy)
}

fn gold_from_table(
    path: &Path,
    table: &crate::input::table::RawTable,
    taxonomy: &Taxonomy,
) -> Result<Vec<GoldItem>> {
    let col = |name: &str| table.headers.iter().position(|h| fold(h) == name);
    let missing = |what: &str| {
        Error::input(
            path,
            format!(
                "gold file needs a {what:?} column; headers: {}",
                table.headers.join(", ")
            ),
        )
    };
    let text_c = col("text").ok_or_else(|| missing("text"))?;
    let themes_c = col("themes").ok_or_else(|| missing("themes"))?;
    let (lang_c, sent_c, tri_c) = (col("lang"), col("sentiment"), col("triage"));
    let pii_c = col("pii");
    let kind_c = col("urgent kind");
    let (pol_c, nps_c) = (col("theme sentiment"), col("nps"));
    let known: BTreeSet<&str> = taxonomy.theme_ids().into_iter().collect();
    let mut items = Vec::new();
    for r in &table.rows {
        let bad = |m: String| Error::input(path, format!("row {}: {m}", r.row));
        if let Some(e) = &r.error {
            return Err(bad(e.clone()));
        }
        let get = |c: Option<usize>| c.and_then(|c| r.fields.get(c)).map_or("", |s| s.trim());
        let themes: BTreeSet<String> = get(Some(themes_c))
            .split([';', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(u) = themes.iter().find(|t| !known.contains(t.as_str())) {
            return Err(bad(format!(
                "unknown theme id {u:?} (taxonomy has: {})",
                taxonomy.theme_ids().join(", ")
            )));
        }
        let parse = |v: &str, what: &str, ok: Option<()>| -> Result<()> {
            if v.is_empty() || ok.is_some() {
                Ok(())
            } else {
                Err(bad(format!("unknown {what} {v:?}")))
            }
        };
        let lang = Lang::from_code(get(lang_c));
        parse(get(lang_c), "lang", lang.map(|_| ()))?;
        let sentiment = Sentiment::from_code(get(sent_c));
        parse(get(sent_c), "sentiment", sentiment.map(|_| ()))?;
        let mut triage_all = Vec::new();
        for code in get(tri_c)
            .split([';', ',', ' '])
            .filter(|s| !s.trim().is_empty())
        {
            match TriageClass::from_code(code) {
                Some(c) if c != TriageClass::PossibleUrgent => triage_all.push(c),
                _ => {
                    return Err(bad(format!(
                        "unknown triage {code:?} (use urgent, formal, contact_requested, normal; several separated by ;)"
                    )))
                }
            }
        }
        triage_all.sort();
        triage_all.dedup();
        if triage_all.len() > 1 {
            triage_all.retain(|c| *c != TriageClass::Normal);
        }
        let triage = triage_all.first().copied();
        let triage_all = triage.is_some().then_some(triage_all);
        let urgent_kind = Some(get(kind_c).to_string()).filter(|k| !k.is_empty());
        let text = get(Some(text_c));
        let mut theme_sentiment = BTreeMap::new();
        for item in get(pol_c).split_whitespace() {
            match item.rsplit_once(':') {
                Some((id, p)) if themes.contains(id) && matches!(p, "+" | "-" | "0" | "~") => {
                    theme_sentiment.insert(id.to_string(), p.chars().next().unwrap_or('0'));
                }
                _ => {
                    return Err(bad(format!(
                        "theme_sentiment item {item:?} is not theme:polarity for one of the row's themes (polarity + - 0 ~)"
                    )))
                }
            }
        }
        let nps = match get(nps_c) {
            "" => None,
            v => Some(
                v.parse::<u8>()
                    .ok()
                    .filter(|n| *n <= 10)
                    .ok_or_else(|| bad(format!("nps {v:?} is not a whole number 0–10")))?,
            ),
        };
        let pii = match pii_c {
            None => None,
            Some(_) => {
                let mut spans = Vec::new();
                for item in get(pii_c)
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    let (kind, span) = item
                        .split_once(':')
                        .and_then(|(k, v)| Some((PiiKind::from_label(k)?, v.trim())))
                        .ok_or_else(|| {
                            bad(format!(
                                "pii item {item:?} is not KIND:span with KIND one of HETU, PUHELIN, EMAIL, OSOITE, NIMI"
                            ))
                        })?;
                    if !text.contains(span) {
                        return Err(bad(format!("pii span {span:?} does not occur in the text")));
                    }
                    spans.push((kind, span.to_string()));
                }
                Some(spans)
            }
        };
        items.push(GoldItem {
            row: r.row,
            pii,
            text: text.to_string(),
            themes,
            lang,
            sentiment,
            triage,
            triage_all,
            urgent_kind,
            theme_sentiment,
            nps,
        });
    }
    Ok(items)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThemeScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeMetrics {
    pub micro_f1: f64,
    pub macro_f1: f64,
    pub per_theme: BTreeMap<String, ThemeScore>,
    /// Macro F1 per text length (characters): short answers, comments, long letters.
    pub by_length: BTreeMap<String, LengthF1>,
    /// Macro F1 per gold language, when the file has a `lang` column.
    pub by_language: BTreeMap<String, LengthF1>,
    /// Comments with two or more gold themes whose themes were all found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_theme_all_found: Option<Accuracy>,
    /// For gold themes that were found and carry a polarity: the polarity matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme_sentiment: Option<Accuracy>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LengthF1 {
    pub items: usize,
    pub macro_f1: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    pub accuracy: f64,
    pub n: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriageMetrics {
    /// The most serious definite class predicted (a possible_urgent flag aside) against the
    /// most serious labeled.
    pub accuracy: f64,
    pub n: usize,
    /// Share of gold-urgent items flagged urgent: the figure the registry office cares about.
    pub urgent_recall: f64,
    /// 95 % Wilson interval of the urgent recall.
    pub urgent_recall_ci: (f64, f64),
    pub urgent_precision: f64,
    pub urgent_precision_ci: (f64, f64),
    pub urgent_support: usize,
    /// Share of gold-urgent items flagged urgent or possible_urgent (read the same day).
    pub urgent_or_possible_recall: f64,
    /// Items flagged possible_urgent, and how many of those are urgent.
    pub possible_flagged: usize,
    pub possible_urgent_true: usize,
    /// Recall and precision of every class, each judged as "applies" (an item can be
    /// urgent and formal and ask for contact).
    pub per_class: BTreeMap<String, ClassScore>,
    /// Per kind of urgency (gold `urgent_kind`): found urgent, found urgent or possible.
    pub per_kind: BTreeMap<String, KindRecall>,
    /// Look-alikes (gold `like_<kind>`): how many were flagged urgent or possible_urgent.
    pub lookalikes: BTreeMap<String, LookalikeFlags>,
    /// gold primary class → predicted queue class → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Urgent by text length (characters): a long letter is not a survey answer.
    pub by_length: BTreeMap<String, LengthBucket>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct LengthBucket {
    pub n: usize,
    pub urgent: usize,
    pub found: usize,
    pub flagged: usize,
    pub possible: usize,
}

/// The length buckets of the eval report, by characters.
pub fn length_bucket(text: &str) -> &'static str {
    match text.chars().count() {
        0..=200 => "1: up to 200",
        201..=600 => "2: 201-600",
        _ => "3: over 600",
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct KindRecall {
    pub support: usize,
    pub urgent: usize,
    pub urgent_or_possible: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct LookalikeFlags {
    pub n: usize,
    pub urgent: usize,
    pub possible: usize,
}

fn score_triage(gold: &[GoldItem], predicted: &[Classification]) -> Option<TriageMetrics> {
    let pairs: Vec<(&GoldItem, &Classification)> = gold
        .iter()
        .zip(predicted)
        .filter(|(g, _)| g.triage_all.is_some())
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let gold_has = |g: &GoldItem, c: TriageClass| {
        g.triage_all.as_ref().is_some_and(|v| v.contains(&c))
            || (c == TriageClass::Normal && g.triage == Some(c))
    };
    let pred_has = |p: &Classification, c: TriageClass| match c {
        TriageClass::Normal => p.triage_definite() == TriageClass::Normal,
        c => p.triage_classes().contains(&c),
    };
    let count = |f: &dyn Fn(&GoldItem, &Classification) -> bool| {
        pairs.iter().filter(|(g, p)| f(g, p)).count()
    };
    let per_class = TriageClass::DEFINITE
        .iter()
        .map(|&c| {
            let tp = count(&|g, p| gold_has(g, c) && pred_has(p, c));
            let fp = count(&|g, p| !gold_has(g, c) && pred_has(p, c));
            let fn_ = count(&|g, p| gold_has(g, c) && !pred_has(p, c));
            let (pr, re, _) = prf(tp, fp, fn_);
            (
                c.code().to_string(),
                ClassScore {
                    precision: round4(pr),
                    recall: round4(re),
                    support: tp + fn_,
                },
            )
        })
        .collect();
    let u = TriageClass::Urgent;
    let possible = |p: &Classification| p.triage == TriageClass::PossibleUrgent;
    let tp = count(&|g, p| gold_has(g, u) && pred_has(p, u));
    let fp = count(&|g, p| !gold_has(g, u) && pred_has(p, u));
    let support = count(&|g, _| gold_has(g, u));
    let either = count(&|g, p| gold_has(g, u) && (pred_has(p, u) || possible(p)));
    let mut per_kind: BTreeMap<String, KindRecall> = BTreeMap::new();
    let mut lookalikes: BTreeMap<String, LookalikeFlags> = BTreeMap::new();
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut by_length: BTreeMap<String, LengthBucket> = BTreeMap::new();
    for (g, p) in &pairs {
        let b = by_length
            .entry(length_bucket(&g.text).to_string())
            .or_default();
        b.n += 1;
        b.urgent += usize::from(gold_has(g, u));
        b.found += usize::from(gold_has(g, u) && pred_has(p, u));
        b.flagged += usize::from(pred_has(p, u));
        b.possible += usize::from(possible(p));
        let primary = g.triage.unwrap_or(TriageClass::Normal);
        *confusion
            .entry(primary.code().to_string())
            .or_default()
            .entry(p.triage.code().to_string())
            .or_default() += 1;
        match g.urgent_kind.as_deref() {
            Some(k) if k.starts_with("like_") => {
                let e = lookalikes.entry(k.to_string()).or_default();
                e.n += 1;
                e.urgent += usize::from(pred_has(p, u));
                e.possible += usize::from(possible(p));
            }
            Some(k) if gold_has(g, u) => {
                let e = per_kind.entry(k.to_string()).or_default();
                e.support += 1;
                e.urgent += usize::from(pred_has(p, u));
                e.urgent_or_possible += usize::from(pred_has(p, u) || possible(p));
            }
            _ => {}
        }
    }
    let ratio = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let ci = |k: usize, n: usize| {
        let (lo, hi) = crate::stats::wilson(k, n);
        (round4(lo), round4(hi))
    };
    Some(TriageMetrics {
        accuracy: round4(ratio(
            count(&|g, p| g.triage == Some(p.triage_definite())),
            pairs.len(),
        )),
        n: pairs.len(),
        urgent_recall: round4(ratio(tp, support)),
        urgent_recall_ci: ci(tp, support),
        urgent_precision: round4(ratio(tp, tp + fp)),
        urgent_precision_ci: ci(tp, tp + fp),
        urgent_support: support,
        urgent_or_possible_recall: round4(ratio(either, support)),
        possible_flagged: count(&|_, p| possible(p)),
        possible_urgent_true: count(&|g, p| possible(p) && gold_has(g, u)),
        per_class,
        per_kind,
        lookalikes,
        confusion,
        by_length,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassScore {
    pub precision: f64,
    pub recall: f64,
    pub support: usize,
}

/// Personal-data detection against labeled spans, per kind. A labeled span counts as found
/// when a detected span of the same kind overlaps it; a detected span counts as right when
/// it overlaps a labeled span of its kind.
#[derive(Debug, Clone, Serialize)]
pub struct PiiMetrics {
    pub n: usize,
    pub per_kind: BTreeMap<String, ClassScore>,
    /// Gold spans per kind that masking leaves partly readable: no found span of any kind
    /// covers every character. Recall counts a span as found when a mask touches it.
    pub not_fully_masked: BTreeMap<String, usize>,
}

/// Whether the found spans together cover `start..end`.
fn covered(found: &[crate::pii::PiiSpan], start: usize, end: usize) -> bool {
    let mut at = start;
    for f in found {
        if f.start <= at && f.end > at {
            at = f.end;
        }
        if at >= end {
            return true;
        }
    }
    at >= end
}

pub fn score_pii(gold: &[GoldItem], detector: &PiiDetector) -> Option<PiiMetrics> {
    let labeled: Vec<(&GoldItem, &Vec<(PiiKind, String)>)> = gold
        .iter()
        .filter_map(|g| g.pii.as_ref().map(|p| (g, p)))
        .collect();
    if labeled.is_empty() {
        return None;
    }
    let mut counts: BTreeMap<PiiKind, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut leaky: BTreeMap<String, usize> = BTreeMap::new();
    for (g, spans) in &labeled {
        let found = detector.find(&g.text);
        let gold_ranges: Vec<(PiiKind, usize, usize)> = spans
            .iter()
            .filter_map(|(k, s)| g.text.find(s.as_str()).map(|at| (*k, at, at + s.len())))
            .collect();
        let overlaps = |a: (usize, usize), b: (usize, usize)| a.0 < b.1 && b.0 < a.1;
        for &(k, s, e) in &gold_ranges {
            if !covered(&found, s, e) {
                *leaky.entry(k.label().to_string()).or_default() += 1;
            }
            let c = counts.entry(k).or_default();
            c.0 += 1;
            if found
                .iter()
                .any(|f| f.kind == k && overlaps((f.start, f.end), (s, e)))
            {
                c.1 += 1;
            }
        }
        for f in &found {
            let c = counts.entry(f.kind).or_default();
            c.2 += 1;
            if gold_ranges
                .iter()
                .any(|&(k, s, e)| k == f.kind && overlaps((f.start, f.end), (s, e)))
            {
                c.3 += 1;
            }
        }
    }
    let ratio = |a: usize, b: usize| round4(if b == 0 { 0.0 } else { a as f64 / b as f64 });
    Some(PiiMetrics {
        n: labeled.len(),
        per_kind: PiiKind::ALL
            .iter()
            .map(|k| {
                let (support, found, detected, right) = counts.get(k).copied().unwrap_or_default();
                (
                    k.label().to_string(),
                    ClassScore {
                        precision: ratio(right, detected),
                        recall: ratio(found, support),
                        support,
                    },
                )
            })
            .collect(),
        not_fully_masked: PiiKind::ALL
            .iter()
            .map(|k| {
                (
                    k.label().to_string(),
                    leaky.get(k.label()).copied().unwrap_or(0),
                )
            })
            .collect(),
    })
}

/// Macro and micro F1 of each combination policy, when the model ran.
pub type ModeSummary = BTreeMap<&'static str, ModeScore>;

#[derive(Debug, Clone, Serialize)]
pub struct ModeScore {
    pub macro_f1: f64,
    pub micro_f1: f64,
    pub by_length: BTreeMap<String, LengthF1>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment_accuracy: Option<f64>,
}

impl From<&EvalReport> for ModeScore {
    fn from(r: &EvalReport) -> Self {
        ModeScore {
            macro_f1: r.themes.macro_f1,
            micro_f1: r.themes.micro_f1,
            by_length: r.themes.by_length.clone(),
            sentiment_accuracy: r.sentiment.as_ref().map(|a| a.accuracy),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub themes: ThemeMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<Accuracy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Accuracy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triage: Option<TriageMetrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pii: Option<PiiMetrics>,
    /// rules / model / union / combined, when the model ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes: Option<ModeSummary>,
}

fn prf(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let p = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// True positives, false positives and false negatives of theme `id`.
fn counts<'a>(
    pairs: impl Iterator<Item = (&'a GoldItem, &'a Classification)>,
    id: &str,
) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (g, p) in pairs {
        match (g.themes.contains(id), p.has_theme(id)) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            _ => {}
        }
    }
    (tp, fp, fn_)
}

/// Macro F1 over the themes present in `gold` (a subset of items).
fn macro_f1(gold: &[&GoldItem], predicted: &[&Classification], theme_ids: &[&str]) -> f64 {
    let mut f_sum = 0.0;
    let mut n = 0;
    for id in theme_ids {
        let (tp, fp, fn_) = counts(gold.iter().copied().zip(predicted.iter().copied()), id);
        if tp + fn_ > 0 {
            f_sum += prf(tp, fp, fn_).2;
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        f_sum / n as f64
    }
}

/// Scores predictions against gold. Macro F1 averages over themes that occur in the gold.
pub fn score(gold: &[GoldItem], predicted: &[Classification], theme_ids: &[&str]) -> EvalReport {
    let mut per_theme = BTreeMap::new();
    let (mut tp_all, mut fp_all, mut fn_all) = (0, 0, 0);
    let mut macro_sum = 0.0;
    let mut macro_n = 0;
    for id in theme_ids {
        let (tp, fp, fn_) = counts(gold.iter().zip(predicted), id);
        let (pr, re, f) = prf(tp, fp, fn_);
        tp_all += tp;
        fp_all += fp;
        fn_all += fn_;
        if tp + fn_ > 0 {
            macro_sum += f;
            macro_n += 1;
        }
        per_theme.insert(
            id.to_string(),
            ThemeScore {
                precision: round4(pr),
                recall: round4(re),
                f1: round4(f),
                support: tp + fn_,
            },
        );
    }
    let (_, _, micro) = prf(tp_all, fp_all, fn_all);
    let acc = |pairs: Vec<bool>| {
        (!pairs.is_empty()).then(|| Accuracy {
            accuracy: round4(pairs.iter().filter(|x| **x).count() as f64 / pairs.len() as f64),
            n: pairs.len(),
        })
    };
    let lang = acc(gold
        .iter()
        .zip(predicted)
        .filter_map(|(g, p)| g.lang.map(|l| l == p.lang.lang))
        .collect());
    let sentiment = acc(gold
        .iter()
        .zip(predicted)
        .filter_map(|(g, p)| g.sentiment.map(|s| s == p.sentiment))
        .collect());
    let triage = score_triage(gold, predicted);
    let mut by_length = BTreeMap::new();
    for bucket in ["1: up to 200", "2: 201-600", "3: over 600"] {
        let (g, p): (Vec<&GoldItem>, Vec<&Classification>) = gold
            .iter()
            .zip(predicted)
            .filter(|(g, _)| length_bucket(&g.text) == bucket)
            .unzip();
        if !g.is_empty() {
            by_length.insert(
                bucket.to_string(),
                LengthF1 {
                    items: g.len(),
                    macro_f1: round4(macro_f1(&g, &p, theme_ids)),
                },
            );
        }
    }
    let mut by_language = BTreeMap::new();
    for lang in [Lang::Fi, Lang::Sv, Lang::En] {
        let (g, p): (Vec<&GoldItem>, Vec<&Classification>) = gold
            .iter()
            .zip(predicted)
            .filter(|(g, _)| g.lang == Some(lang))
            .unzip();
        if !g.is_empty() {
            by_language.insert(
                lang.code().to_string(),
                LengthF1 {
                    items: g.len(),
                    macro_f1: round4(macro_f1(&g, &p, theme_ids)),
                },
            );
        }
    }
    let multi_theme_all_found = acc(gold
        .iter()
        .zip(predicted)
        .filter(|(g, _)| g.themes.len() >= 2)
        .map(|(g, p)| g.themes.iter().all(|t| p.has_theme(t)))
        .collect());
    let theme_sentiment = acc(gold
        .iter()
        .zip(predicted)
        .flat_map(|(g, p)| {
            g.theme_sentiment
                .iter()
                .filter(|(t, _)| p.has_theme(t))
                .map(move |(t, pol)| p.theme_polarity(t) == *pol)
        })
        .collect());
    EvalReport {
        themes: ThemeMetrics {
            by_length,
            by_language,
            multi_theme_all_found,
            theme_sentiment,
            micro_f1: round4(micro),
            macro_f1: round4(if macro_n == 0 {
                0.0
            } else {
                macro_sum / macro_n as f64
            }),
            per_theme,
        },
        lang,
        sentiment,
        triage,
        pii: None,
        modes: None,
    }
}

/// Classifies every gold text and scores the result.
pub fn evaluate(
    gold: &[GoldItem],
    classifier: &Classifier,
    taxonomy: &Taxonomy,
) -> (EvalReport, Vec<Classification>) {
    let predicted: Vec<Classification> = gold
        .par_iter()
        .map(|g| {
            let mut c = classifier.classify(&g.text);
            c.weigh_scores(g.nps, &[]);
            c
        })
        .collect();
    (score(gold, &predicted, &taxonomy.theme_ids()), predicted)
}

fn render_triage(s: &mut String, t: &TriageMetrics) {
    s.push_str(&format!(
        "triage accuracy {:.3} (n={})\nurgent recall {:.3} ({:.3}…{:.3}), precision {:.3} ({:.3}…{:.3}), support {}\nurgent ∪ possible_urgent recall {:.3}; possible_urgent flagged {} ({} of them urgent)\n",
        t.accuracy,
        t.n,
        t.urgent_recall,
        t.urgent_recall_ci.0,
        t.urgent_recall_ci.1,
        t.urgent_precision,
        t.urgent_precision_ci.0,
        t.urgent_precision_ci.1,
        t.urgent_support,
        t.urgent_or_possible_recall,
        t.possible_flagged,
        t.possible_urgent_true,
    ));
    s.push_str("  class (applies)     precision recall support\n");
    for (c, m) in &t.per_class {
        s.push_str(&format!(
            "  {:<18} {:>9.3} {:>6.3} {:>7}\n",
            c, m.precision, m.recall, m.support
        ));
    }
    if !t.per_kind.is_empty() {
        s.push_str("  urgent kind        found urgent  urgent or possible\n");
        for (k, m) in &t.per_kind {
            s.push_str(&format!(
                "  {:<18} {:>4} of {:<4} {:>6} of {}\n",
                k, m.urgent, m.support, m.urgent_or_possible, m.support
            ));
        }
    }
    if !t.lookalikes.is_empty() {
        s.push_str("  look-alike         flagged urgent  possible  of\n");
        for (k, m) in &t.lookalikes {
            s.push_str(&format!(
                "  {:<18} {:>14} {:>9} {:>4}\n",
                k, m.urgent, m.possible, m.n
            ));
        }
    }
    s.push_str("  length (chars)     items urgent found flagged possible\n");
    for (k, b) in &t.by_length {
        s.push_str(&format!(
            "  {:<18} {:>5} {:>6} {:>5} {:>7} {:>8}\n",
            k, b.n, b.urgent, b.found, b.flagged, b.possible
        ));
    }
    s.push_str("  confusion (gold → predicted queue class):\n");
    for (g, row) in &t.confusion {
        let cells: Vec<String> = row.iter().map(|(p, n)| format!("{p} {n}")).collect();
        s.push_str(&format!("    {:<18} {}\n", g, cells.join(", ")));
    }
}

/// The report as a plain-text table.
pub fn render(r: &EvalReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<18} {:>9} {:>7} {:>7} {:>8}\n",
        "theme", "precision", "recall", "f1", "support"
    ));
    for (id, t) in &r.themes.per_theme {
        s.push_str(&format!(
            "{:<18} {:>9.3} {:>7.3} {:>7.3} {:>8}\n",
            id, t.precision, t.recall, t.f1, t.support
        ));
    }
    s.push_str(&format!(
        "\nmicro F1 {:.3}   macro F1 {:.3}\n",
        r.themes.micro_f1, r.themes.macro_f1
    ));
    for (k, b) in &r.themes.by_length {
        s.push_str(&format!(
            "  macro F1 {:<14} {:.3} ({} comments)\n",
            k, b.macro_f1, b.items
        ));
    }
    for (k, b) in &r.themes.by_language {
        s.push_str(&format!(
            "  macro F1 {:<14} {:.3} ({} comments)\n",
            k, b.macro_f1, b.items
        ));
    }
    if let Some(a) = &r.themes.multi_theme_all_found {
        s.push_str(&format!(
            "comments with 2+ themes, all found {:.3} (n={})\n",
            a.accuracy, a.n
        ));
    }
    if let Some(a) = &r.themes.theme_sentiment {
        s.push_str(&format!(
            "theme sentiment accuracy {:.3} (found themes with a gold polarity, n={})\n",
            a.accuracy, a.n
        ));
    }
    if let Some(a) = &r.lang {
        s.push_str(&format!(
            "language accuracy {:.3} (n={})\n",
            a.accuracy, a.n
        ));
    }
    if let Some(a) = &r.sentiment {
        s.push_str(&format!(
            "sentiment accuracy {:.3} (n={})\n",
            a.accuracy, a.n
        ));
    }
    if let Some(t) = &r.triage {
        render_triage(&mut s, t);
    }
    if let Some(p) = &r.pii {
        s.push_str(&format!("personal data, {} labeled comments:\n", p.n));
        for (k, m) in &p.per_kind {
            let leaked = p.not_fully_masked.get(k).copied().unwrap_or(0);
            s.push_str(&format!(
                "  {:<18} precision {:.3} recall {:.3} (support {}, {} not fully masked)\n",
                k, m.precision, m.recall, m.support, leaked
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_edge_cases() {
        assert_eq!(prf(0, 0, 0), (0.0, 0.0, 0.0));
        let (p, r, f) = prf(2, 2, 0);
        assert_eq!((p, r), (0.5, 1.0));
        assert!((f - 2.0 / 3.0).abs() < 1e-12);
    }
}
