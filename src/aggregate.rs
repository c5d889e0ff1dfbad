//! Tags merged with scores: the numbers of the report, per theme, month and unit. This is
//! also the `report.json` schema (see docs/report-schema.md).

use crate::answers::{AnswerRef, Answers};
use crate::domain::Sentiment;
use crate::input::{Dataset, FileSummary};
use crate::lang::Lang;
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
    /// Macro F1 of the same tagging on the held-out labeled file, when it is at hand.
    pub heldout_macro_f1: Option<f64>,
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

fn label_or_none(v: Option<&str>) -> String {
    v.unwrap_or(NONE_LABEL).to_string()
}

/// Answers by their place in [`Answers`]: four bytes each, where a million answers are
/// grouped several ways at once.
type Ids = [u32];

fn refs<'a>(set: &'a Answers, ids: &'a Ids) -> impl Iterator<Item = AnswerRef<'a>> + 'a {
    ids.iter().map(move |&i| set.get(i as usize))
}

fn group_stats(set: &Answers, items: &Ids, score_names: &[String]) -> GroupStats {
    let answers = items.len();
    let comments = refs(set, items).filter(|t| t.comment().is_some()).count();
    GroupStats {
        answers,
        comments,
        nps: nps(refs(set, items).filter_map(|t| t.nps())),
        scores: score_stats(set, items, score_names),
        small: answers < SMALL_GROUP,
    }
}

fn score_stats(set: &Answers, items: &Ids, score_names: &[String]) -> Vec<ScoreStat> {
    score_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            score(
                name,
                refs(set, items).filter_map(|t| t.scores().get(i).copied().flatten()),
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
fn group_by(
    set: &Answers,
    items: &Ids,
    key: impl Fn(&AnswerRef) -> String,
) -> BTreeMap<String, Vec<u32>> {
    let mut m: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for t in refs(set, items) {
        m.entry(key(&t)).or_default().push(t.index() as u32);
    }
    m
}

/// The last two dated months, for month-over-month change.
fn last_two_months<T>(by_month: &BTreeMap<String, T>) -> Option<(String, String)> {
    let dated: Vec<&String> = by_month
        .keys()
        .filter(|k| k.as_str() != NONE_LABEL)
        .collect();
    (dated.len() >= 2).then(|| {
        (
            dated[dated.len() - 2].clone(),
            dated[dated.len() - 1].clone(),
        )
    })
}

fn named_groups(
    set: &Answers,
    groups: &BTreeMap<String, Vec<u32>>,
    names: &[String],
) -> Vec<Named<GroupStats>> {
    groups
        .iter()
        .map(|(k, v)| Named {
            name: k.clone(),
            value: group_stats(set, v, names),
        })
        .collect()
}

pub fn summarize(
    answers: &Answers,
    dataset: &Dataset,
    taxonomy: &Taxonomy,
    lang: Lang,
    model: Option<String>,
) -> Summary {
    let all: Vec<u32> = (0..answers.len() as u32).collect();
    let commented: Vec<u32> = answers
        .iter()
        .filter(|t| t.comment().is_some())
        .map(|t| t.index() as u32)
        .collect();
    let names = &dataset.score_names;
    let overall = overall(answers, &all, names);
    let by_month = group_by(answers, &all, |t| label_or_none(t.month()));
    let by_unit = group_by(answers, &all, |t| label_or_none(t.unit()));
    drop(all);
    let groups = Groups {
        set: answers,
        commented: &commented,
        by_month: &by_month,
        by_unit: &by_unit,
        last_two: last_two_months(&by_month),
        names,
    };
    Summary {
        schema: SCHEMA,
        generated_by: format!("palaute {}", env!("CARGO_PKG_VERSION")),
        lang: lang.code().to_string(),
        input: InputInfo {
            files: dataset.files.clone(),
            rows_read: dataset.rows_read(),
            used: answers.len(),
            rejected: dataset.rejects.len(),
        },
        method: method(answers, taxonomy, model),
        overall,
        months: named_groups(answers, &by_month, names),
        units: named_groups(answers, &by_unit, names),
        themes: themes(&groups, taxonomy, lang),
        cross: cross(answers, &commented),
    }
}

fn overall(answers: &Answers, all: &Ids, names: &[String]) -> Overall {
    let results = || answers.iter().filter_map(|t| t.comment());
    Overall {
        stats: group_stats(answers, all, names),
        languages: counts(results().map(|r| r.lang().code())),
        channels: counts(answers.iter().map(|t| t.channel().unwrap_or(NONE_LABEL))),
        sentiment: counts(results().map(|r| r.sentiment().code())),
        triage: counts(results().map(|r| r.triage().code())),
    }
}

fn method(answers: &Answers, taxonomy: &Taxonomy, model: Option<String>) -> Method {
    Method {
        taxonomy_version: taxonomy.version.clone(),
        taxonomy_fingerprint: taxonomy.fingerprint(),
        taxonomy_source: taxonomy.source.clone(),
        model,
        rule_patterns: taxonomy
            .themes
            .iter()
            .map(|t| t.rules.values().map(Vec::len).sum::<usize>())
            .sum(),
        tags_from_rules: answers.tags_from_rules,
        tags_from_model: answers.tags_from_model,
        rule_hits_overruled: answers.rule_hits_overruled,
        heldout_macro_f1: None,
    }
}

/// Every theme found in the answers, most frequent first.
fn themes(groups: &Groups, taxonomy: &Taxonomy, lang: Lang) -> Vec<ThemeStats> {
    let mut themes: Vec<ThemeStats> = taxonomy
        .themes
        .iter()
        .filter_map(|th| {
            let k = groups.set.theme_index(&th.id)?;
            Some(theme_stats(
                groups,
                k,
                th.id.clone(),
                th.label.get(lang).to_string(),
            ))
        })
        .collect();
    themes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    themes
}

/// Comments and theme counts per month × unit.
fn cross(answers: &Answers, commented: &Ids) -> Vec<CrossCell> {
    group_by(answers, commented, |t| {
        format!(
            "{}\u{0}{}",
            label_or_none(t.month()),
            label_or_none(t.unit())
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
                refs(answers, &items)
                    .filter_map(|t| t.comment())
                    .flat_map(|r| r.theme_ids()),
            ),
        }
    })
    .collect()
}

/// The groupings every theme is counted over.
struct Groups<'g> {
    set: &'g Answers,
    commented: &'g Ids,
    by_month: &'g BTreeMap<String, Vec<u32>>,
    by_unit: &'g BTreeMap<String, Vec<u32>>,
    last_two: Option<(String, String)>,
    names: &'g [String],
}

/// Comments with theme `k` in `group`, and what share of the group's comments they are.
fn slice(set: &Answers, group: &Ids, k: usize) -> ThemeSlice {
    let comments = refs(set, group).filter(|t| t.comment().is_some()).count();
    let hits: Vec<AnswerRef> = refs(set, group).filter(|t| t.has_theme(k)).collect();
    ThemeSlice {
        count: hits.len(),
        comments,
        share: share(hits.len(), comments),
        nps: nps(hits.iter().filter_map(|t| t.nps())),
    }
}

fn month_change(slices: &[Named<ThemeSlice>], (a, b): &(String, String)) -> MonthChange {
    let get = |m: &str| slices.iter().find(|s| s.name == m).map(|s| &s.value);
    let (ka, na) = get(a).map_or((0, 0), |s| (s.count, s.comments));
    let (kb, nb) = get(b).map_or((0, 0), |s| (s.count, s.comments));
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
}

fn theme_stats(g: &Groups, k: usize, id: String, label: String) -> ThemeStats {
    let set = g.set;
    let (with, without): (Vec<u32>, Vec<u32>) = g
        .commented
        .iter()
        .partition(|&&i| set.get(i as usize).has_theme(k));
    let nps_with = nps(refs(set, &with).filter_map(|t| t.nps()));
    let nps_without = nps(refs(set, &without).filter_map(|t| t.nps()));
    let slices = |groups: &BTreeMap<String, Vec<u32>>| -> Vec<Named<ThemeSlice>> {
        groups
            .iter()
            .map(|(name, v)| Named {
                name: name.clone(),
                value: slice(set, v, k),
            })
            .collect()
    };
    let by_month = slices(g.by_month);
    ThemeStats {
        id,
        label,
        count: with.len(),
        share: share(with.len(), g.commented.len()),
        sentiment: counts(
            refs(set, &with)
                .filter_map(|t| t.comment())
                .map(|r| r.sentiment().code()),
        ),
        statements: statement_counts(set, &with, k),
        nps_impact: match (nps_with.nps, nps_without.nps) {
            (Some(a), Some(b)) => Some(((a - b) * 10.0).round() / 10.0),
            _ => None,
        },
        nps_lift: nps_lift(&nps_with, &nps_without),
        nps_with,
        nps_without,
        scores_with: score_stats(set, &with, g.names),
        scores_without: score_stats(set, &without, g.names),
        month_change: g.last_two.as_ref().map(|m| month_change(&by_month, m)),
        by_month,
        by_unit: slices(g.by_unit),
        quotes: Vec::new(),
    }
}

/// Positive and negative statements about theme `k` (see [`ThemeStats::statements`]).
fn statement_counts(set: &Answers, answers: &Ids, k: usize) -> BTreeMap<String, usize> {
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
    for r in refs(set, answers).filter_map(|t| t.comment()) {
        let about = r.statement_sentiments(k);
        if about.is_empty() {
            add(r.sentiment());
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
