//! `report.md`: the plain board memo.

use crate::aggregate::{
    sentiment_codes, GroupStats, Named, Summary, ThemeSlice, ThemeStats, NONE_LABEL, SIGNIFICANCE,
};
use crate::stats::{NpsStat, ScoreStat, SMALL_GROUP};
use std::fmt::Write;

fn nps_cell(s: &NpsStat) -> String {
    match (s.nps, s.ci_low, s.ci_high) {
        (Some(v), Some(lo), Some(hi)) => {
            format!(
                "{v:+.0} ({lo:+.0}…{hi:+.0}){}",
                if s.small { " *" } else { "" }
            )
        }
        _ => "–".to_string(),
    }
}

fn score_cell(s: &ScoreStat) -> String {
    match (s.mean, s.top2_share) {
        (Some(m), Some(t)) => format!(
            "{m:.2} / {:.0} %{}",
            t * 100.0,
            if s.small { " *" } else { "" }
        ),
        _ => "–".to_string(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn group_row(out: &mut String, name: &str, g: &GroupStats) {
    let _ = write!(
        out,
        "| {} | {} | {} | {} |",
        esc(name),
        g.answers,
        g.comments,
        nps_cell(&g.nps)
    );
    for s in &g.scores {
        let _ = write!(out, " {} |", score_cell(s));
    }
    out.push('\n');
}

fn group_header(out: &mut String, first: &str, s: &Summary) {
    let _ = write!(out, "| {first} | Answers | Comments | NPS (95 % CI) |");
    for sc in &s.overall.stats.scores {
        let _ = write!(out, " {} (mean / 4–5) |", esc(&sc.name));
    }
    out.push('\n');
    out.push_str("|---|---:|---:|---:|");
    for _ in &s.overall.stats.scores {
        out.push_str("---:|");
    }
    out.push('\n');
}

/// A theme × column table (months or units) from each theme's slices.
fn theme_table(
    out: &mut String,
    s: &Summary,
    slices: impl Fn(&ThemeStats) -> &Vec<Named<ThemeSlice>>,
    cell: impl Fn(&ThemeSlice) -> String,
) {
    let Some(first) = s.themes.first() else {
        return;
    };
    out.push_str("| Theme |");
    for c in slices(first) {
        let _ = write!(out, " {} |", esc(&c.name));
    }
    out.push_str("\n|---|");
    for _ in slices(first) {
        out.push_str("---:|");
    }
    out.push('\n');
    for t in &s.themes {
        let _ = write!(out, "| {} |", esc(&t.label));
        for c in slices(t) {
            let _ = write!(out, " {} |", cell(&c.value));
        }
        out.push('\n');
    }
}

pub fn render(s: &Summary) -> String {
    let mut o = String::new();
    let months: Vec<&str> = s
        .months
        .iter()
        .map(|m| m.name.as_str())
        .filter(|m| *m != NONE_LABEL)
        .collect();
    let period = match (months.first(), months.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
        (Some(a), _) => a.to_string(),
        _ => "undated".to_string(),
    };
    let _ = writeln!(o, "# Customer feedback report, {period}\n");

    let ov = &s.overall;
    let _ = writeln!(o, "## Headline\n");
    let _ = writeln!(
        o,
        "- **{} comments** analysed from {} answers ({} rows read, {} rejected{}).",
        ov.stats.comments,
        ov.stats.answers,
        s.input.rows_read,
        s.input.rejected,
        if s.input.rejected > 0 {
            ", listed in rejects.csv"
        } else {
            ""
        }
    );
    let langs: Vec<String> = ov
        .languages
        .iter()
        .map(|(k, v)| format!("{k} {}", pct(*v as f64 / ov.stats.comments.max(1) as f64)))
        .collect();
    let _ = writeln!(o, "- Languages: {}.", langs.join(", "));
    let _ = writeln!(
        o,
        "- **NPS {}**, from {} answers to the recommendation question.",
        nps_cell(&ov.stats.nps),
        ov.stats.nps.n
    );
    for sc in &ov.stats.scores {
        if let (Some(m), Some(lo), Some(hi), Some(t)) =
            (sc.mean, sc.mean_ci_low, sc.mean_ci_high, sc.top2_share)
        {
            let _ = writeln!(
                o,
                "- {}: mean **{m:.2}** ({lo:.2}…{hi:.2}), {} answered 4–5 (n = {}).",
                esc(&sc.name),
                pct(t),
                sc.n
            );
        }
    }
    if months.len() >= 2 {
        let get = |m: &str| s.months.iter().find(|x| x.name == m).map(|x| &x.value);
        if let (Some(a), Some(b)) = (get(months[months.len() - 2]), get(months[months.len() - 1])) {
            if let (Some(x), Some(y)) = (a.nps.nps, b.nps.nps) {
                let _ = writeln!(
                    o,
                    "- NPS {} → {}: {x:+.0} → {y:+.0} ({:+.0} points).",
                    months[months.len() - 2],
                    months[months.len() - 1],
                    y - x
                );
            }
        }
    }
    let sent: Vec<String> = sentiment_codes()
        .map(|k| format!("{k} {}", ov.sentiment.get(k).copied().unwrap_or(0)))
        .collect();
    let _ = writeln!(o, "- Sentiment of comments: {}.", sent.join(", "));
    let tri: Vec<String> = ov
        .triage
        .iter()
        .filter(|(k, _)| k.as_str() != "normal")
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !tri.is_empty() {
        let _ = writeln!(
            o,
            "- Needing action by the registry office: {}.",
            tri.join(", ")
        );
    }

    let _ = writeln!(o, "\n## Themes\n");
    let _ = writeln!(o, "Sorted by number of comments. *Impact* is the NPS of comments with the theme minus the NPS of comments without it. *NPS lift* is how many points the NPS of commented answers would rise if the answers with the theme had the promoter and detractor shares of the rest: (answers with the theme / all) × (NPS without − NPS with); negative when the theme lifts NPS.\n");
    let change_head = s
        .themes
        .first()
        .and_then(|t| t.month_change.as_ref())
        .map(|c| format!(" Share {} → {} |", c.from, c.to))
        .unwrap_or_default();
    let _ = writeln!(o, "| Theme | Comments | Share | Negative / positive | NPS with | NPS without | Impact | NPS lift |{change_head}");
    let _ = writeln!(
        o,
        "|---|---:|---:|---:|---:|---:|---:|---:|{}",
        if change_head.is_empty() { "" } else { "---:|" }
    );
    for t in &s.themes {
        let neg = t.sentiment.get("negative").copied().unwrap_or(0);
        let posv = t.sentiment.get("positive").copied().unwrap_or(0);
        let impact = t.nps_impact.map_or("–".to_string(), |v| format!("{v:+.0}"));
        let lift = t.nps_lift.map_or("–".to_string(), |v| format!("{v:+.1}"));
        let _ = write!(
            o,
            "| {} | {} | {} | {neg} / {posv} | {} | {} | {impact} | {lift} |",
            esc(&t.label),
            t.count,
            pct(t.share),
            nps_cell(&t.nps_with),
            nps_cell(&t.nps_without)
        );
        if let Some(c) = &t.month_change {
            let _ = write!(
                o,
                " {} → {} ({:+.1} pts{}) |",
                pct(c.share_from),
                pct(c.share_to),
                c.share_change_pts,
                if c.significant { ", significant" } else { "" }
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "\n## Months\n");
    group_header(&mut o, "Month", s);
    for m in &s.months {
        group_row(&mut o, &m.name, &m.value);
    }
    if s.months.len() > 1 {
        let _ = writeln!(o, "\nTheme share of comments per month:\n");
        theme_table(
            &mut o,
            s,
            |t| &t.by_month,
            |c| format!("{} ({})", pct(c.share), c.count),
        );
    }

    let _ = writeln!(o, "\n## Units\n");
    group_header(&mut o, "Unit", s);
    for u in &s.units {
        group_row(&mut o, &u.name, &u.value);
    }
    let _ = writeln!(o, "\nComments per theme and unit:\n");
    theme_table(&mut o, s, |t| &t.by_unit, |c| c.count.to_string());

    if s.themes.iter().any(|t| !t.quotes.is_empty()) {
        let _ = writeln!(o, "\n## Quotes\n");
        let _ = writeln!(
            o,
            "The most typical comments of each theme, personal data masked.\n"
        );
        for t in &s.themes {
            if t.quotes.is_empty() {
                continue;
            }
            let _ = writeln!(o, "**{}**\n", esc(&t.label));
            for q in &t.quotes {
                let _ = writeln!(o, "> {} ({})\n", q.text.replace('\n', " "), q.sentiment);
            }
        }
    }

    let _ = writeln!(o, "\n## Method\n");
    let _ = writeln!(
        o,
        "- Themes from keyword rules ({} patterns, taxonomy {} `{}`){}: {} theme tags where a rule fired, {} added by the model where no rule did{}.",
        s.method.rule_patterns,
        s.method.taxonomy_version,
        s.method.taxonomy_fingerprint,
        s.method.model.as_ref().map_or(", rules only".to_string(), |m| format!(" and the model {m}")),
        s.method.tags_from_rules,
        s.method.tags_from_model,
        if s.method.model.is_some() {
            format!(
                ", {} rule hits overruled by the model. The model decides each theme from the comment's embedding together with which rules fired (a head trained on the labeled data), so it can add a theme no rule found and drop a rule hit it is sure is wrong",
                s.method.rule_hits_overruled
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(o, "- NPS = % promoters (9–10) − % detractors (0–6); the 95 % interval is the normal approximation for the difference of two proportions of one sample.");
    let _ = writeln!(o, "- 1–5 statements: mean with a t interval, and the share answering 4–5 with a Wilson interval.");
    let _ = writeln!(
        o,
        "- `*` marks groups of fewer than {SMALL_GROUP} answers: shown, but too small to compare."
    );
    let _ = writeln!(o, "- Month-over-month change of a theme's share: two-proportion z-test; *significant* means p < {SIGNIFICANCE}.");
    if let Some(f) = s.method.dev_macro_f1 {
        let _ = writeln!(
            o,
            "- The same tagging scores macro F1 {f:.3} on the labeled dev set (data/labeled/dev.csv)."
        );
    }
    o
}
