//! Tags merged with scores: the numbers of the report, per theme, month and unit. This is
//! also the `report.json` schema (see docs/report-schema.md).

use crate::input::{Dataset, FileSummary};
use crate::lang::Lang;
use crate::pipeline::Tagged;
use crate::sentiment::Sentiment;
use crate::stats::{nps, score, two_proportion_p, NpsStat, ScoreStat, SMALL_GROUP};
use crate::taxonomy::Taxonomy;
use serde::Serialize;
use std::collections::BTreeMap;

/// See [`ThemeStats::nps_lift`].
pub fn nps_lift(with: &NpsStat, without: &NpsStat) -> Option<f64> {
    let (a, b) = (with.nps?, without.nps?);
    let n = (with.n + without.n) as f64;
    Some(((with.n as f64 / n) * (b - a) * 10.0).round() / 10.0)
}

pub const SCHEMA: &str = "palaute.report/1";
/// Month-over-month changes with a p-value under this are marked as larger than chance.
pub const SIGNIFICANCE: f64 = 0.05;
/// The label used for rows without a date or unit.
pub const NONE_LABEL: &str = "(none)";

#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    pub files: Vec<FileSummary>,
    pub rows_read: usize,
    pub used: usize,
    pub rejected: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Method {
    pub taxonomy_version: String,
    pub taxonomy_fingerprint: String,
    pub taxonomy_source: String,
    pub model: Option<String>,
    pub rule_patterns: usize,
    /// Theme tags where a rule fired (the model may have agreed).
    pub tags_from_rules: usize,
    /// Theme tags the model added where no rule fired.
    pub tags_from_model: usize,
    /// Rule hits the model judged wrong, so not counted as tags.
    pub rule_hits_overruled: usize,
    /// Macro F1 of the same tagging on the labeled dev set, when it is at hand.
    pub dev_macro_f1: Option<f64>,
}

/// Scores of one group of answers.
#[derive(Debug, Clone, Serialize)]
pub struct GroupStats {
    /// Answers (rows used), with or without text.
    pub answers: usize,
    /// Answers with a comment.
    pub comments: usize,
    pub nps: NpsStat,
    pub scores: Vec<ScoreStat>,
    pub small: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overall {
    #[serde(flatten)]
    pub stats: GroupStats,
    pub languages: BTreeMap<String, usize>,
    pub channels: BTreeMap<String, usize>,
    pub sentiment: BTreeMap<String, usize>,
    pub triage: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Named<T> {
    pub name: String,
    #[serde(flatten)]
    pub value: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeSlice {
    /// Comments with the theme in this slice.
    pub count: usize,
    /// Comments in this slice.
    pub comments: usize,
    pub share: f64,
    /// NPS among the slice's comments with the theme.
    pub nps: NpsStat,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthChange {
    pub from: String,
    pub to: String,
    pub count_from: usize,
    pub count_to: usize,
    pub share_from: f64,
    pub share_to: f64,
    /// Change of share in percentage points.
    pub share_change_pts: f64,
    /// Two-proportion z-test of the shares.
    pub p_value: Option<f64>,
    pub significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeStats {
    pub id: String,
    pub label: String,
    /// Comments tagged with the theme.
    pub count: usize,
    /// count / comments, 0…1.
    pub share: f64,
    pub sentiment: BTreeMap<String, usize>,
    /// Statements about the theme by polarity ("positive", "negative"): "kind nurse but a
    /// long queue" counts once for staff conduct (+) and once for access (−). A mixed
    /// statement counts on both sides; a theme found in no single statement counts with
    /// the comment's sentiment.
    pub statements: BTreeMap<String, usize>,
    pub nps_with: NpsStat,
    pub nps_without: NpsStat,
    /// nps_with − nps_without, in NPS points; None if either side has no answers.
    pub nps_impact: Option<f64>,
    /// Key driver: how many points the NPS of all commented answers would rise if the
    /// answers with the theme had the promoter and detractor shares of those without it.
    /// Equals (n_with / n_all) × (NPS_without − NPS_with); negative when the theme lifts NPS.
    pub nps_lift: Option<f64>,
    pub scores_with: Vec<ScoreStat>,
    pub scores_without: Vec<ScoreStat>,
    pub by_month: Vec<Named<ThemeSlice>>,
    pub by_unit: Vec<Named<ThemeSlice>>,
    pub month_change: Option<MonthChange>,
    /// Representative comments, masked (filled by the report step; see `quotes.rs`).
    pub quotes: Vec<crate::quotes::Quote>,
}

/// Comments and theme counts of one month × unit cell.
#[derive(Debug, Clone, Serialize)]
pub struct CrossCell {
    pub month: String,
    pub unit: String,
    pub comments: usize,
    pub themes: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema: &'static str,
    pub generated_by: String,
    pub lang: String,
    pub input: InputInfo,
    pub method: Method,
    pub overall: Overall,
    pub months: Vec<Named<GroupStats>>,
    pub units: Vec<Named<GroupStats>>,
    pub themes: Vec<ThemeStats>,
    /// theme counts per month × unit (the source of theme_counts.csv).
    pub cross: Vec<CrossCell>,
}

fn label_or_none(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| NONE_LABEL.to_string())
}

fn group_stats(items: &[&Tagged], score_names: &[String]) -> GroupStats {
    let answers = items.len();
    let comments = items.iter().filter(|t| t.result.is_some()).count();
    GroupStats {
        answers,
        comments,
        nps: nps(items.iter().filter_map(|t| t.feedback.nps)),
        scores: score_stats(items, score_names),
        small: answers < SMALL_GROUP,
    }
}

fn score_stats(items: &[&Tagged], score_names: &[String]) -> Vec<ScoreStat> {
    score_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            score(
                name,
                items
                    .iter()
                    .filter_map(|t| t.feedback.scores.get(i).copied().flatten()),
            )
        })
        .collect()
}

fn counts<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for k in keys {
        *m.entry(k.to_string()).or_insert(0) += 1;
    }
    m
}

fn share(k: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        ((k as f64 / n as f64) * 10_000.0).round() / 10_000.0
    }
}

/// Groups items by a key, keys sorted.
fn group_by<'a>(
    items: &[&'a Tagged],
    key: impl Fn(&Tagged) -> String,
) -> BTreeMap<String, Vec<&'a Tagged>> {
    let mut m: BTreeMap<String, Vec<&Tagged>> = BTreeMap::new();
    for t in items {
        m.entry(key(t)).or_default().push(t);
    }
    m
}

pub fn summarize(
    tagged: &[Tagged],
    dataset: &Dataset,
    taxonomy: &Taxonomy,
    lang: Lang,
    model: Option<String>,
) -> Summary {
    let all: Vec<&Tagged> = tagged.iter().collect();
    let commented: Vec<&Tagged> = all.iter().copied().filter(|t| t.result.is_some()).collect();
    let names = &dataset.score_names;
    let results = || commented.iter().filter_map(|t| t.result.as_ref());

    let overall = Overall {
        stats: group_stats(&all, names),
        languages: counts(results().map(|r| r.lang.lang.code())),
        channels: counts(
            all.iter()
                .map(|t| t.feedback.channel.as_deref().unwrap_or(NONE_LABEL)),
        ),
        sentiment: counts(results().map(|r| r.sentiment.code())),
        triage: counts(results().map(|r| r.triage.code())),
    };
    let by_month = group_by(&all, |t| label_or_none(&t.feedback.month));
    let by_unit = group_by(&all, |t| label_or_none(&t.feedback.unit));
    let months: Vec<Named<GroupStats>> = by_month
        .iter()
        .map(|(k, v)| Named {
            name: k.clone(),
            value: group_stats(v, names),
        })
        .collect();
    let units: Vec<Named<GroupStats>> = by_unit
        .iter()
        .map(|(k, v)| Named {
            name: k.clone(),
            value: group_stats(v, names),
        })
        .collect();
    // The last two dated months, for month-over-month change.
    let dated: Vec<&String> = by_month
        .keys()
        .filter(|k| k.as_str() != NONE_LABEL)
        .collect();
    let last_two = (dated.len() >= 2).then(|| {
        (
            dated[dated.len() - 2].clone(),
            dated[dated.len() - 1].clone(),
        )
    });

    let mut themes: Vec<ThemeStats> = taxonomy
        .themes
        .iter()
        .map(|th| {
            let (with, without): (Vec<&Tagged>, Vec<&Tagged>) =
                commented.iter().partition(|t| t.has_theme(&th.id));
            let nps_with = nps(with.iter().filter_map(|t| t.feedback.nps));
            let nps_without = nps(without.iter().filter_map(|t| t.feedback.nps));
            let slice = |group: &[&Tagged]| {
                let comments = group.iter().filter(|t| t.result.is_some()).count();
                let hits: Vec<&Tagged> = group
                    .iter()
                    .copied()
                    .filter(|t| t.has_theme(&th.id))
                    .collect();
                ThemeSlice {
                    count: hits.len(),
                    comments,
                    share: share(hits.len(), comments),
                    nps: nps(hits.iter().filter_map(|t| t.feedback.nps)),
                }
            };
            let month_slices: Vec<Named<ThemeSlice>> = by_month
                .iter()
                .map(|(k, v)| Named {
                    name: k.clone(),
                    value: slice(v),
                })
                .collect();
            let month_change = last_two.as_ref().map(|(a, b)| {
                let get = |m: &str| month_slices.iter().find(|s| s.name == m).map(|s| &s.value);
                let (fa, fb) = (get(a), get(b));
                let (ka, na) = fa.map_or((0, 0), |s| (s.count, s.comments));
                let (kb, nb) = fb.map_or((0, 0), |s| (s.count, s.comments));
                let p = two_proportion_p(ka, na, kb, nb);
                MonthChange {
                    from: a.clone(),
                    to: b.clone(),
                    count_from: ka,
                    count_to: kb,
                    share_from: share(ka, na),
                    share_to: share(kb, nb),
                    share_change_pts: ((share(kb, nb) - share(ka, na)) * 1000.0).round() / 10.0,
                    p_value: p,
                    significant: p.is_some_and(|p| p < SIGNIFICANCE),
                }
            });
            ThemeStats {
                id: th.id.clone(),
                label: th.label.get(lang).to_string(),
                count: with.len(),
                share: share(with.len(), commented.len()),
                sentiment: counts(
                    with.iter()
                        .filter_map(|t| t.result.as_ref())
                        .map(|r| r.sentiment.code()),
                ),
                statements: statement_counts(&with, &th.id),
                nps_impact: match (nps_with.nps, nps_without.nps) {
                    (Some(a), Some(b)) => Some(((a - b) * 10.0).round() / 10.0),
                    _ => None,
                },
                nps_lift: nps_lift(&nps_with, &nps_without),
                nps_with,
                nps_without,
                scores_with: score_stats(&with, names),
                scores_without: score_stats(&without, names),
                by_month: month_slices,
                by_unit: by_unit
                    .iter()
                    .map(|(k, v)| Named {
                        name: k.clone(),
                        value: slice(v),
                    })
                    .collect(),
                month_change,
                quotes: Vec::new(),
            }
        })
        .collect();
    themes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));

    let tags_from_rules = results()
        .flat_map(|r| &r.themes)
        .filter(|t| t.by_rules)
        .count();
    let tags_from_model = results()
        .flat_map(|r| &r.themes)
        .filter(|t| !t.by_rules)
        .count();
    let rule_hits_overruled = results().map(|r| r.overruled.len()).sum();
    let cross = group_by(&commented, |t| {
        format!(
            "{}\u{0}{}",
            label_or_none(&t.feedback.month),
            label_or_none(&t.feedback.unit)
        )
    })
    .into_iter()
    .map(|(key, items)| {
        let (month, unit) = key.split_once('\u{0}').unwrap_or((&key, ""));
        CrossCell {
            month: month.to_string(),
            unit: unit.to_string(),
            comments: items.len(),
            themes: counts(
                items
                    .iter()
                    .filter_map(|t| t.result.as_ref())
                    .flat_map(|r| r.theme_ids()),
            ),
        }
    })
    .collect();
    Summary {
        schema: SCHEMA,
        generated_by: format!("palaute {}", env!("CARGO_PKG_VERSION")),
        lang: lang.code().to_string(),
        input: InputInfo {
            files: dataset.files.clone(),
            rows_read: dataset.rows_read(),
            used: tagged.len(),
            rejected: dataset.rejects.len(),
        },
        method: Method {
            taxonomy_version: taxonomy.version.clone(),
            taxonomy_fingerprint: taxonomy.fingerprint(),
            taxonomy_source: taxonomy.source.clone(),
            model,
            rule_patterns: taxonomy
                .themes
                .iter()
                .map(|t| t.rules.values().map(Vec::len).sum::<usize>())
                .sum(),
            tags_from_rules,
            tags_from_model,
            rule_hits_overruled,
            dev_macro_f1: None,
        },
        overall,
        months,
        units,
        themes,
        cross,
    }
}

/// Positive and negative statements about `theme` in `tagged` (see [`ThemeStats::statements`]).
fn statement_counts(tagged: &[&Tagged], theme: &str) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = ["positive", "negative"]
        .iter()
        .map(|k| (k.to_string(), 0))
        .collect();
    let mut add = |s: Sentiment| {
        for k in match s {
            Sentiment::Positive => &["positive"][..],
            Sentiment::Negative => &["negative"][..],
            Sentiment::Mixed => &["positive", "negative"][..],
            Sentiment::Neutral => &[][..],
        } {
            *out.entry(k.to_string()).or_default() += 1;
        }
    };
    for r in tagged.iter().filter_map(|t| t.result.as_ref()) {
        let about = r.statement_sentiments(theme);
        if about.is_empty() {
            add(r.sentiment);
        } else {
            about.into_iter().for_each(&mut add);
        }
    }
    out
}

/// Every sentiment label, so tables show zeros rather than missing columns.
pub fn sentiment_codes() -> impl Iterator<Item = &'static str> {
    Sentiment::ALL.into_iter().map(Sentiment::code)
}
