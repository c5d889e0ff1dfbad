//! The report as its outputs show it: what comes first, which month is compared with
//! which, every number formatted in the report's language — computed once from the
//! [`Summary`] and then only laid out by the templates (`templates/report.html`,
//! `templates/report.md`) and by the workbook writer.
//!
//! Text from the data (theme labels, unit names, quotes) stays raw here: the templates
//! escape it for HTML or Markdown by default.

use super::i18n::{nps_parts, num, pct, signed, words, Words};
use crate::aggregate::{
    GroupStats, Named, Summary, ThemeSlice, ThemeStats, NONE_LABEL, SIGNIFICANCE,
};
use crate::lang::Lang;
use crate::stats::{two_proportion_p, NpsStat, ScoreStat, SMALL_GROUP};
use serde::Serialize;
use std::collections::BTreeMap;

/// A value as shown, with the raw number the HTML tables sort by (`data-v`).
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub text: String,
    pub sort: String,
    pub value: Option<f64>,
}

impl Cell {
    fn new(text: String, v: Option<f64>) -> Cell {
        Cell {
            text,
            // Missing values sort below every real one.
            sort: v.map_or("-1e9".to_string(), |v| format!("{v}")),
            value: v,
        }
    }

    fn count(n: usize) -> Cell {
        Cell::new(n.to_string(), Some(n as f64))
    }
}

/// An NPS with its 95 % interval; `value` is "–" without answers.
#[derive(Debug, Clone, Serialize)]
pub struct NpsView {
    pub value: String,
    pub ci: Option<String>,
    pub small: bool,
    pub sort: String,
    pub raw: Option<f64>,
}

/// A 1–5 statement's mean and share of 4–5 answers.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreView {
    pub name: String,
    pub mean: Option<String>,
    pub top2: Option<String>,
    pub small: bool,
    pub sort: String,
}

/// One row of a month or unit table.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub small: bool,
    pub answers: Cell,
    pub comments: Cell,
    pub nps: NpsView,
    pub scores: Vec<ScoreView>,
}

/// A statement's card in the headline: mean with interval and share of 4–5.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreCard {
    pub name: String,
    pub mean: String,
    pub low: String,
    pub high: String,
    pub top2: String,
    pub n: usize,
}

/// The last two months side by side.
#[derive(Debug, Clone, Serialize)]
pub struct MonthStep {
    pub from: String,
    pub to: String,
    pub nps_from: String,
    pub nps_to: String,
    pub nps_change: String,
    /// (statement, mean before, mean after) where both months have answers.
    pub scores: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub comments: String,
    pub answers: String,
    pub rows_read: String,
    pub rejected: String,
    pub has_rejects: bool,
    pub languages: String,
    pub channels: String,
    pub nps: NpsView,
    pub nps_signed: String,
    pub nps_n: String,
    pub scores: Vec<ScoreCard>,
    pub month_step: Option<MonthStep>,
    /// Comment counts by sentiment code, with the sentiment's name.
    pub sentiment: BTreeMap<&'static str, (String, usize)>,
    /// "urgent 3, formal 2, …" without normal; empty when nothing needs action.
    pub triage: Vec<(String, usize)>,
    /// The same figures as numbers, for the workbook.
    pub figures: Figures,
}

/// The headline's numbers unformatted, for the workbook's Summary sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub comments: usize,
    pub answers: usize,
    pub nps: Option<f64>,
    pub nps_low: Option<f64>,
    pub nps_high: Option<f64>,
    /// (statement, mean, share of 4–5) for every statement.
    pub scores: Vec<(String, Option<f64>, Option<f64>)>,
    /// (language's name, share of comments), by language code.
    pub languages: Vec<(String, f64)>,
}

/// A theme's share in one month, marked when it moved significantly from the month before.
#[derive(Debug, Clone, Serialize)]
pub struct TrendCell {
    pub share: String,
    pub sort: String,
    pub count: usize,
    pub class: &'static str,
    pub mark: &'static str,
    pub nps: Option<(String, bool)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SliceCell {
    pub name: String,
    pub count: usize,
    pub share: String,
    pub small: bool,
    /// The raw figures, for the workbook.
    pub comments: usize,
    pub share_value: f64,
    pub nps: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub share_from: String,
    pub share_to: String,
    pub points: String,
    pub significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuoteView {
    pub text: String,
    pub sentiment: String,
    pub sentiment_name: &'static str,
    /// Sentiment, month and unit, as the HTML page shows under the quote.
    pub meta: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeRow {
    pub id: String,
    pub label: String,
    pub count: Cell,
    pub share: Cell,
    pub negative: usize,
    pub positive: usize,
    pub nps_with: NpsView,
    pub nps_without: NpsView,
    pub impact: Cell,
    pub lift: Cell,
    /// The first statement's mean among comments with this theme (HTML's last column).
    pub first_score: Option<ScoreView>,
    /// Every statement's mean among comments with this theme (the workbook).
    pub scores_with: Vec<Option<f64>>,
    pub change: Option<ChangeView>,
    /// Every month of the data, the undated too (Markdown).
    pub by_month: Vec<SliceCell>,
    /// Dated months only, with significance marks (HTML).
    pub trend: Vec<TrendCell>,
    pub by_unit: Vec<SliceCell>,
    pub quotes: Vec<QuoteView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MethodView {
    pub taxonomy_version: String,
    pub taxonomy_fingerprint: String,
    pub model: Option<String>,
    pub rule_patterns: usize,
    pub tags_from_rules: usize,
    pub tags_from_model: usize,
    pub rules_share: String,
    pub model_share: String,
    pub overruled: usize,
    pub heldout_f1: Option<String>,
    pub generated_by: String,
}

/// Everything a report page shows, in order and formatted.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub lang: &'static str,
    pub period: String,
    /// Dated months in order (the trend table's columns).
    pub months: Vec<String>,
    pub headline: Headline,
    /// Themes by number of comments (the summary's order).
    pub themes: Vec<ThemeRow>,
    /// Themes in key-driver order: the theme that costs the most NPS first.
    pub drivers: Vec<ThemeRow>,
    pub has_quotes: bool,
    /// Statement names, for the group tables' headers.
    pub score_names: Vec<String>,
    pub month_rows: Vec<GroupRow>,
    pub unit_rows: Vec<GroupRow>,
    /// Unit names as the theme × unit table's columns.
    pub unit_names: Vec<String>,
    /// (from, to) of the themes' month-over-month change column, when there is one.
    pub change_months: Option<(String, String)>,
    pub method: MethodView,
    #[serde(skip)]
    pub words: &'static Words,
    #[serde(skip)]
    pub language: Lang,
}

/// Themes in key-driver order: the theme that costs the most NPS first.
pub fn by_lift(s: &Summary) -> Vec<&ThemeStats> {
    let mut t: Vec<&ThemeStats> = s.themes.iter().collect();
    t.sort_by(|a, b| {
        b.nps_lift
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.nps_lift.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.id.cmp(&b.id))
    });
    t
}

/// Formats in one language; the builders below share it.
struct Fmt {
    l: Lang,
    w: &'static Words,
}

impl Fmt {
    fn name(&self, n: &str) -> String {
        if n == NONE_LABEL {
            self.w.none.to_string()
        } else {
            n.to_string()
        }
    }

    fn nps(&self, s: &NpsStat) -> NpsView {
        let parts = nps_parts(s, self.l);
        NpsView {
            value: parts.as_ref().map_or("–".into(), |(v, _)| v.clone()),
            ci: parts.map(|(_, ci)| ci),
            small: s.small,
            sort: Cell::new(String::new(), s.nps).sort,
            raw: s.nps,
        }
    }

    fn score(&self, s: &ScoreStat) -> ScoreView {
        ScoreView {
            name: s.name.clone(),
            mean: s.mean.map(|m| num(m, 2, self.l)),
            top2: s.top2_share.map(|t| pct(t, self.l)),
            small: s.small,
            sort: Cell::new(String::new(), s.mean).sort,
        }
    }

    fn signed_cell(&self, v: Option<f64>, decimals: usize) -> Cell {
        Cell::new(v.map_or("–".into(), |v| signed(v, decimals, self.l)), v)
    }

    fn group(&self, g: &Named<GroupStats>) -> GroupRow {
        GroupRow {
            name: self.name(&g.name),
            small: g.value.small,
            answers: Cell::count(g.value.answers),
            comments: Cell::count(g.value.comments),
            nps: self.nps(&g.value.nps),
            scores: g.value.scores.iter().map(|s| self.score(s)).collect(),
        }
    }

    /// "suomi 64 %, ruotsi 29 %" in the tables' order.
    fn shares(
        &self,
        m: &BTreeMap<String, usize>,
        total: usize,
        name: impl Fn(&str) -> String,
    ) -> String {
        self.w
            .in_order(m)
            .into_iter()
            .map(|(k, v)| {
                format!(
                    "{} {}",
                    name(k),
                    pct(*v as f64 / total.max(1) as f64, self.l)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ReportView {
    pub fn new(s: &Summary) -> ReportView {
        let l = Lang::from_code(&s.lang).unwrap_or(Lang::Fi);
        let f = Fmt { l, w: words(l) };
        let months: Vec<String> = s
            .months
            .iter()
            .map(|m| m.name.clone())
            .filter(|m| m != NONE_LABEL)
            .collect();
        let period = match (months.first(), months.last()) {
            (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
            (Some(a), _) => a.clone(),
            _ => f.w.undated.to_string(),
        };
        let themes: Vec<ThemeRow> = s.themes.iter().map(|t| theme_row(&f, t, &months)).collect();
        let drivers = by_lift(s)
            .into_iter()
            .map(|t| theme_row(&f, t, &months))
            .collect();
        ReportView {
            lang: l.code(),
            period,
            headline: headline(&f, s, &months),
            has_quotes: themes.iter().any(|t| !t.quotes.is_empty()),
            themes,
            drivers,
            score_names: s
                .overall
                .stats
                .scores
                .iter()
                .map(|x| x.name.clone())
                .collect(),
            month_rows: s.months.iter().map(|m| f.group(m)).collect(),
            unit_rows: s.units.iter().map(|u| f.group(u)).collect(),
            unit_names: s
                .themes
                .first()
                .map(|t| t.by_unit.iter().map(|u| f.name(&u.name)).collect())
                .unwrap_or_default(),
            change_months: s
                .themes
                .first()
                .and_then(|t| t.month_change.as_ref())
                .map(|ch| (ch.from.clone(), ch.to.clone())),
            method: method(&f, s),
            months,
            words: f.w,
            language: l,
        }
    }
}

fn headline(f: &Fmt, s: &Summary, months: &[String]) -> Headline {
    let (l, w) = (f.l, f.w);
    let ov = &s.overall;
    let nps = &ov.stats.nps;
    let sentiment = ["negative", "positive", "mixed", "neutral"]
        .into_iter()
        .map(|k| {
            (
                k,
                (
                    w.sentiment(k).to_string(),
                    ov.sentiment.get(k).copied().unwrap_or(0),
                ),
            )
        })
        .collect();
    Headline {
        comments: num(ov.stats.comments as f64, 0, l),
        answers: num(ov.stats.answers as f64, 0, l),
        rows_read: num(s.input.rows_read as f64, 0, l),
        rejected: num(s.input.rejected as f64, 0, l),
        has_rejects: s.input.rejected > 0,
        languages: f.shares(&ov.languages, ov.stats.comments, |k| {
            w.language(k).to_string()
        }),
        channels: f.shares(&ov.channels, ov.stats.answers, |k| f.name(k)),
        nps: f.nps(nps),
        nps_signed: nps.nps.map_or("–".into(), |v| signed(v, 0, l)),
        nps_n: num(nps.n as f64, 0, l),
        scores: ov
            .stats
            .scores
            .iter()
            .filter_map(|sc| {
                Some(ScoreCard {
                    name: sc.name.clone(),
                    mean: num(sc.mean?, 2, l),
                    low: num(sc.mean_ci_low?, 2, l),
                    high: num(sc.mean_ci_high?, 2, l),
                    top2: pct(sc.top2_share?, l),
                    n: sc.n,
                })
            })
            .collect(),
        month_step: month_step(f, s, months),
        figures: Figures {
            comments: ov.stats.comments,
            answers: ov.stats.answers,
            nps: nps.nps,
            nps_low: nps.ci_low,
            nps_high: nps.ci_high,
            scores: ov
                .stats
                .scores
                .iter()
                .map(|sc| (sc.name.clone(), sc.mean, sc.top2_share))
                .collect(),
            languages: ov
                .languages
                .iter()
                .map(|(k, v)| {
                    let share = *v as f64 / ov.stats.comments.max(1) as f64;
                    (w.language(k).to_string(), share)
                })
                .collect(),
        },
        sentiment,
        triage: w
            .in_order(&ov.triage)
            .into_iter()
            .filter(|(k, _)| k.as_str() != "normal")
            .map(|(k, v)| (w.triage(k).to_string(), *v))
            .collect(),
    }
}

/// NPS and statement means of the last two dated months, when both have NPS answers.
fn month_step(f: &Fmt, s: &Summary, months: &[String]) -> Option<MonthStep> {
    let [.., a, b] = months else { return None };
    let get = |m: &str| s.months.iter().find(|x| x.name == m).map(|x| &x.value);
    let (x, y) = (get(a)?, get(b)?);
    let (p, q) = (x.nps.nps?, y.nps.nps?);
    Some(MonthStep {
        from: a.clone(),
        to: b.clone(),
        nps_from: signed(p, 0, f.l),
        nps_to: signed(q, 0, f.l),
        nps_change: signed(q - p, 0, f.l),
        scores: x
            .scores
            .iter()
            .zip(&y.scores)
            .filter_map(|(sx, sy)| {
                Some((
                    sx.name.clone(),
                    num(sx.mean?, 2, f.l),
                    num(sy.mean?, 2, f.l),
                ))
            })
            .collect(),
    })
}

fn theme_row(f: &Fmt, t: &ThemeStats, months: &[String]) -> ThemeRow {
    let l = f.l;
    let slice = |x: &Named<ThemeSlice>| SliceCell {
        name: f.name(&x.name),
        count: x.value.count,
        share: pct(x.value.share, l),
        small: x.value.comments < SMALL_GROUP,
        comments: x.value.comments,
        share_value: x.value.share,
        nps: x.value.nps.nps,
    };
    ThemeRow {
        id: t.id.clone(),
        label: t.label.clone(),
        count: Cell::count(t.count),
        share: Cell::new(pct(t.share, l), Some(t.share)),
        negative: t.statements.get("negative").copied().unwrap_or(0),
        positive: t.statements.get("positive").copied().unwrap_or(0),
        nps_with: f.nps(&t.nps_with),
        nps_without: f.nps(&t.nps_without),
        impact: f.signed_cell(t.nps_impact, 0),
        lift: f.signed_cell(t.nps_lift, 1),
        first_score: t.scores_with.first().map(|s| f.score(s)),
        scores_with: t.scores_with.iter().map(|s| s.mean).collect(),
        change: t.month_change.as_ref().map(|ch| ChangeView {
            share_from: pct(ch.share_from, l),
            share_to: pct(ch.share_to, l),
            points: signed(ch.share_change_pts, 1, l),
            significant: ch.significant,
        }),
        by_month: t.by_month.iter().map(slice).collect(),
        trend: trend(f, t, months),
        by_unit: t.by_unit.iter().map(slice).collect(),
        quotes: t
            .quotes
            .iter()
            .map(|q| QuoteView {
                text: q.text.clone(),
                sentiment: q.sentiment.clone(),
                sentiment_name: f.w.sentiment(&q.sentiment),
                meta: [
                    Some(f.w.sentiment(&q.sentiment).to_string()),
                    q.month.clone(),
                    q.unit.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            })
            .collect(),
    }
}

/// The theme's share month by month; a change from the month before with p < 0.05 is
/// marked ▲ (more comments on it: a cost) or ▼.
fn trend(f: &Fmt, t: &ThemeStats, months: &[String]) -> Vec<TrendCell> {
    let mut prev: Option<(usize, usize)> = None;
    let share_of = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    months
        .iter()
        .map(|m| {
            let slice = t.by_month.iter().find(|x| x.name == *m).map(|x| &x.value);
            let (k, n) = slice.map_or((0, 0), |x| (x.count, x.comments));
            let share = share_of(k, n);
            let (class, mark) =
                match prev.and_then(|(k0, n0)| Some((two_proportion_p(k0, n0, k, n)?, k0, n0))) {
                    Some((p, k0, n0)) if p < SIGNIFICANCE => {
                        if share > share_of(k0, n0) {
                            ("up", " ▲")
                        } else {
                            ("down", " ▼")
                        }
                    }
                    _ => ("", ""),
                };
            prev = Some((k, n));
            TrendCell {
                share: pct(share, f.l),
                sort: format!("{share}"),
                count: k,
                class,
                mark,
                nps: slice.and_then(|x| x.nps.nps.map(|v| (signed(v, 0, f.l), x.nps.small))),
            }
        })
        .collect()
}

fn method(f: &Fmt, s: &Summary) -> MethodView {
    let m = &s.method;
    let total = (m.tags_from_rules + m.tags_from_model).max(1) as f64;
    MethodView {
        taxonomy_version: m.taxonomy_version.clone(),
        taxonomy_fingerprint: m.taxonomy_fingerprint.clone(),
        model: m.model.clone(),
        rule_patterns: m.rule_patterns,
        tags_from_rules: m.tags_from_rules,
        tags_from_model: m.tags_from_model,
        rules_share: pct(m.tags_from_rules as f64 / total, f.l),
        model_share: pct(m.tags_from_model as f64 / total, f.l),
        overruled: m.rule_hits_overruled,
        heldout_f1: m.heldout_macro_f1.map(|x| num(x, 3, f.l)),
        generated_by: s.generated_by.clone(),
    }
}
