//! `palaute eval`: how good the tagging is against a hand-labeled file.

use crate::domain::{Classification, TriageClass};
use crate::lang::Lang;
use crate::pii::{PiiDetector, PiiKind};
use crate::tag::classify::Classifier;
use crate::taxonomy::Taxonomy;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::labeled::{read_gold, read_gold_file, GoldItem};

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

/// A gold item and its prediction.
type Pair<'a> = (&'a GoldItem, &'a Classification);

/// Whether the gold labels give class `c` (normal: labeled normal).
fn gold_has(g: &GoldItem, c: TriageClass) -> bool {
    g.triage_all.as_ref().is_some_and(|v| v.contains(&c))
        || (c == TriageClass::Normal && g.triage == Some(c))
}

/// Whether class `c` was predicted (normal: no definite class was).
fn pred_has(p: &Classification, c: TriageClass) -> bool {
    match c {
        TriageClass::Normal => p.triage_definite() == TriageClass::Normal,
        c => p.triage_classes().contains(&c),
    }
}

fn possible(p: &Classification) -> bool {
    p.triage == TriageClass::PossibleUrgent
}

fn count(pairs: &[Pair], f: impl Fn(&GoldItem, &Classification) -> bool) -> usize {
    pairs.iter().filter(|(g, p)| f(g, p)).count()
}

fn score_triage(gold: &[GoldItem], predicted: &[Classification]) -> Option<TriageMetrics> {
    let pairs: Vec<Pair> = gold
        .iter()
        .zip(predicted)
        .filter(|(g, _)| g.triage_all.is_some())
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let u = TriageClass::Urgent;
    let tp = count(&pairs, |g, p| gold_has(g, u) && pred_has(p, u));
    let fp = count(&pairs, |g, p| !gold_has(g, u) && pred_has(p, u));
    let support = count(&pairs, |g, _| gold_has(g, u));
    let either = count(&pairs, |g, p| {
        gold_has(g, u) && (pred_has(p, u) || possible(p))
    });
    let ratio = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let ci = |k: usize, n: usize| {
        let (lo, hi) = crate::stats::wilson(k, n);
        (round4(lo), round4(hi))
    };
    let breakdown = TriageBreakdown::of(&pairs);
    Some(TriageMetrics {
        accuracy: round4(ratio(
            count(&pairs, |g, p| g.triage == Some(p.triage_definite())),
            pairs.len(),
        )),
        n: pairs.len(),
        urgent_recall: round4(ratio(tp, support)),
        urgent_recall_ci: ci(tp, support),
        urgent_precision: round4(ratio(tp, tp + fp)),
        urgent_precision_ci: ci(tp, tp + fp),
        urgent_support: support,
        urgent_or_possible_recall: round4(ratio(either, support)),
        possible_flagged: count(&pairs, |_, p| possible(p)),
        possible_urgent_true: count(&pairs, |g, p| possible(p) && gold_has(g, u)),
        per_class: per_class_scores(&pairs),
        per_kind: breakdown.per_kind,
        lookalikes: breakdown.lookalikes,
        confusion: breakdown.confusion,
        by_length: breakdown.by_length,
    })
}

/// Precision and recall of every definite class, each judged as "applies".
fn per_class_scores(pairs: &[Pair]) -> BTreeMap<String, ClassScore> {
    TriageClass::DEFINITE
        .iter()
        .map(|&c| {
            let tp = count(pairs, |g, p| gold_has(g, c) && pred_has(p, c));
            let fp = count(pairs, |g, p| !gold_has(g, c) && pred_has(p, c));
            let fn_ = count(pairs, |g, p| gold_has(g, c) && !pred_has(p, c));
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
        .collect()
}

/// The triage tables counted item by item (see [`TriageMetrics`]).
#[derive(Default)]
struct TriageBreakdown {
    per_kind: BTreeMap<String, KindRecall>,
    lookalikes: BTreeMap<String, LookalikeFlags>,
    confusion: BTreeMap<String, BTreeMap<String, usize>>,
    by_length: BTreeMap<String, LengthBucket>,
}

impl TriageBreakdown {
    fn of(pairs: &[Pair]) -> Self {
        let mut b = TriageBreakdown::default();
        for (g, p) in pairs {
            b.add(g, p);
        }
        b
    }

    fn add(&mut self, g: &GoldItem, p: &Classification) {
        let urgent = gold_has(g, TriageClass::Urgent);
        let flagged = pred_has(p, TriageClass::Urgent);
        let b = self
            .by_length
            .entry(length_bucket(&g.text).to_string())
            .or_default();
        b.n += 1;
        b.urgent += usize::from(urgent);
        b.found += usize::from(urgent && flagged);
        b.flagged += usize::from(flagged);
        b.possible += usize::from(possible(p));
        let primary = g.triage.unwrap_or(TriageClass::Normal);
        *self
            .confusion
            .entry(primary.code().to_string())
            .or_default()
            .entry(p.triage.code().to_string())
            .or_default() += 1;
        match g.urgent_kind.as_deref() {
            Some(k) if k.starts_with("like_") => {
                let e = self.lookalikes.entry(k.to_string()).or_default();
                e.n += 1;
                e.urgent += usize::from(flagged);
                e.possible += usize::from(possible(p));
            }
            Some(k) if urgent => {
                let e = self.per_kind.entry(k.to_string()).or_default();
                e.support += 1;
                e.urgent += usize::from(flagged);
                e.urgent_or_possible += usize::from(flagged || possible(p));
            }
            _ => {}
        }
    }
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
    /// Gold sentiment → predicted → count: an accuracy alone hides which class is read
    /// wrong (neutral requests read as complaints, say).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sentiment_confusion: BTreeMap<String, BTreeMap<String, usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triage: Option<TriageMetrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pii: Option<PiiMetrics>,
    /// rules / model / union / combined, when the model ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes: Option<ModeSummary>,
    /// How many of the labeled comments the model was trained on, when it ran: figures on
    /// such comments are not figures on unseen text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_in_training: Option<usize>,
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
    (p, r, crate::stats::f1(tp, fp, fn_))
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
    let pairs = || gold.iter().zip(predicted);
    EvalReport {
        themes: theme_metrics(gold, predicted, theme_ids),
        lang: accuracy_of(
            pairs()
                .filter_map(|(g, p)| g.lang.map(|l| l == p.lang.lang))
                .collect(),
        ),
        sentiment: accuracy_of(
            pairs()
                .filter_map(|(g, p)| g.sentiment.map(|s| s == p.sentiment))
                .collect(),
        ),
        sentiment_confusion: sentiment_confusion(gold, predicted),
        triage: score_triage(gold, predicted),
        pii: None,
        modes: None,
        seen_in_training: None,
    }
}

fn sentiment_confusion(
    gold: &[GoldItem],
    predicted: &[Classification],
) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut m: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (g, p) in gold.iter().zip(predicted) {
        if let Some(s) = g.sentiment {
            *m.entry(s.code().to_string())
                .or_default()
                .entry(p.sentiment.code().to_string())
                .or_default() += 1;
        }
    }
    m
}

/// How many of `gold`'s comments occur (same text, trimmed) in `training`.
pub fn seen_in(gold: &[GoldItem], training: &[GoldItem]) -> usize {
    let seen: std::collections::HashSet<&str> = training.iter().map(|t| t.text.trim()).collect();
    gold.iter().filter(|g| seen.contains(g.text.trim())).count()
}

/// The share of right answers, or None when there are none to judge.
fn accuracy_of(right: Vec<bool>) -> Option<Accuracy> {
    (!right.is_empty()).then(|| Accuracy {
        accuracy: round4(right.iter().filter(|x| **x).count() as f64 / right.len() as f64),
        n: right.len(),
    })
}

fn theme_metrics(
    gold: &[GoldItem],
    predicted: &[Classification],
    theme_ids: &[&str],
) -> ThemeMetrics {
    let totals = ThemeTotals::of(gold, predicted, theme_ids);
    let pairs = || gold.iter().zip(predicted);
    let by_length = ["1: up to 200", "2: 201-600", "3: over 600"]
        .into_iter()
        .filter_map(|bucket| {
            let f1 = group_f1(gold, predicted, theme_ids, |g| {
                length_bucket(&g.text) == bucket
            });
            Some((bucket.to_string(), f1?))
        })
        .collect();
    let by_language = [Lang::Fi, Lang::Sv, Lang::En]
        .into_iter()
        .filter_map(|lang| {
            let f1 = group_f1(gold, predicted, theme_ids, |g| g.lang == Some(lang));
            Some((lang.code().to_string(), f1?))
        })
        .collect();
    ThemeMetrics {
        by_length,
        by_language,
        multi_theme_all_found: accuracy_of(
            pairs()
                .filter(|(g, _)| g.themes.len() >= 2)
                .map(|(g, p)| g.themes.iter().all(|t| p.has_theme(t)))
                .collect(),
        ),
        theme_sentiment: accuracy_of(
            pairs()
                .flat_map(|(g, p)| {
                    g.theme_sentiment
                        .iter()
                        .filter(|(t, _)| p.has_theme(t))
                        .map(move |(t, pol)| p.theme_polarity(t) == *pol)
                })
                .collect(),
        ),
        micro_f1: totals.micro_f1,
        macro_f1: totals.macro_f1,
        per_theme: totals.per_theme,
    }
}

/// Macro F1 of the gold items `in_group` picks, or None when it picks none.
fn group_f1(
    gold: &[GoldItem],
    predicted: &[Classification],
    theme_ids: &[&str],
    in_group: impl Fn(&GoldItem) -> bool,
) -> Option<LengthF1> {
    let (g, p): (Vec<&GoldItem>, Vec<&Classification>) = gold
        .iter()
        .zip(predicted)
        .filter(|(g, _)| in_group(g))
        .unzip();
    (!g.is_empty()).then(|| LengthF1 {
        items: g.len(),
        macro_f1: round4(macro_f1(&g, &p, theme_ids)),
    })
}

/// Every theme's scores, and the micro and macro F1 over them.
struct ThemeTotals {
    per_theme: BTreeMap<String, ThemeScore>,
    micro_f1: f64,
    macro_f1: f64,
}

impl ThemeTotals {
    fn of(gold: &[GoldItem], predicted: &[Classification], theme_ids: &[&str]) -> Self {
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
        ThemeTotals {
            per_theme,
            micro_f1: round4(micro),
            macro_f1: round4(if macro_n == 0 {
                0.0
            } else {
                macro_sum / macro_n as f64
            }),
        }
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
        for (g, row) in &r.sentiment_confusion {
            let n: usize = row.values().sum();
            let right = row.get(g).copied().unwrap_or(0);
            let cells: Vec<String> = row.iter().map(|(p, k)| format!("{p} {k}")).collect();
            s.push_str(&format!(
                "  {:<9} read right {:.3} ({right} of {n}): {}\n",
                g,
                right as f64 / n as f64,
                cells.join(", ")
            ));
        }
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
