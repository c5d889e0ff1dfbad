//! `report.md`: the plain board memo, in the report's language.

use super::i18n::{nps_parts, num, pct, signed, words, Words};
use crate::aggregate::{GroupStats, Named, Summary, ThemeSlice, ThemeStats, NONE_LABEL};
use crate::lang::Lang;
use crate::stats::{NpsStat, ScoreStat};
use std::fmt::Write;

struct Ctx {
    l: Lang,
    w: &'static Words,
}

impl Ctx {
    fn nps(&self, s: &NpsStat) -> String {
        nps_parts(s, self.l).map_or("–".into(), |(v, ci)| {
            format!("{v} ({ci}){}", if s.small { " *" } else { "" })
        })
    }

    fn score(&self, s: &ScoreStat) -> String {
        match (s.mean, s.top2_share) {
            (Some(m), Some(t)) => format!(
                "{} / {}{}",
                num(m, 2, self.l),
                pct(t, self.l),
                if s.small { " *" } else { "" }
            ),
            _ => "–".to_string(),
        }
    }

    fn pct(&self, x: f64) -> String {
        pct(x, self.l)
    }

    fn name(&self, n: &str) -> String {
        if n == NONE_LABEL {
            self.w.none.to_string()
        } else {
            n.to_string()
        }
    }
}

fn esc(s: &str) -> String {
    crate::output::markdown_text(s)
}

fn group_row(out: &mut String, c: &Ctx, name: &str, g: &GroupStats) {
    let _ = write!(
        out,
        "| {} | {} | {} | {} |",
        esc(&c.name(name)),
        g.answers,
        g.comments,
        c.nps(&g.nps)
    );
    for s in &g.scores {
        let _ = write!(out, " {} |", c.score(s));
    }
    out.push('\n');
}

fn group_header(out: &mut String, c: &Ctx, first: &str, s: &Summary) {
    let _ = write!(
        out,
        "| {first} | {} | {} | NPS (95 %) |",
        c.w.answers, c.w.comments
    );
    for sc in &s.overall.stats.scores {
        let _ = write!(out, " {} ({} / 4–5) |", esc(&sc.name), c.w.mean);
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
    c: &Ctx,
    s: &Summary,
    slices: impl Fn(&ThemeStats) -> &Vec<Named<ThemeSlice>>,
    cell: impl Fn(&ThemeSlice) -> String,
) {
    let Some(first) = s.themes.first() else {
        return;
    };
    let _ = write!(out, "| {} |", c.w.theme);
    for col in slices(first) {
        let _ = write!(out, " {} |", esc(&c.name(&col.name)));
    }
    out.push_str("\n|---|");
    for _ in slices(first) {
        out.push_str("---:|");
    }
    out.push('\n');
    for t in &s.themes {
        let _ = write!(out, "| {} |", esc(&t.label));
        for col in slices(t) {
            let _ = write!(out, " {} |", cell(&col.value));
        }
        out.push('\n');
    }
}

pub fn render(s: &Summary) -> String {
    let l = Lang::from_code(&s.lang).unwrap_or(Lang::Fi);
    let c = Ctx { l, w: words(l) };
    let w = c.w;
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
        _ => w.undated.to_string(),
    };
    let _ = writeln!(o, "# {}, {period}\n", w.title);

    let ov = &s.overall;
    let _ = writeln!(o, "## {}\n", w.headline);
    let _ = writeln!(
        o,
        "- **{} {}**, {} {} ({} {}, {} {}{}).",
        ov.stats.comments,
        w.comments_analysed,
        ov.stats.answers,
        w.from_answers,
        s.input.rows_read,
        w.rows_read,
        s.input.rejected,
        w.rejected,
        if s.input.rejected > 0 {
            ": rejects.csv"
        } else {
            ""
        }
    );
    let shares = |m: &std::collections::BTreeMap<String, usize>,
                  total: usize,
                  name: &dyn Fn(&str) -> String| {
        w.in_order(m)
            .into_iter()
            .map(|(k, v)| format!("{} {}", name(k), c.pct(*v as f64 / total.max(1) as f64)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        o,
        "- {}: {}.",
        w.languages,
        shares(&ov.languages, ov.stats.comments, &|k| w
            .language(k)
            .to_string())
    );
    let _ = writeln!(
        o,
        "- {}: {}.",
        w.channels,
        shares(&ov.channels, ov.stats.answers, &|k| c.name(k))
    );
    let _ = writeln!(
        o,
        "- **NPS {}**, {} {}.",
        c.nps(&ov.stats.nps),
        ov.stats.nps.n,
        w.nps_from
    );
    for sc in &ov.stats.scores {
        if let (Some(m), Some(lo), Some(hi), Some(t)) =
            (sc.mean, sc.mean_ci_low, sc.mean_ci_high, sc.top2_share)
        {
            let _ = writeln!(
                o,
                "- {}: {} **{}** ({}…{}), {} {} (n = {}).",
                esc(&sc.name),
                w.mean,
                num(m, 2, l),
                num(lo, 2, l),
                num(hi, 2, l),
                c.pct(t),
                w.answered_45,
                sc.n
            );
        }
    }
    if months.len() >= 2 {
        let get = |m: &str| s.months.iter().find(|x| x.name == m).map(|x| &x.value);
        let (a, b) = (months[months.len() - 2], months[months.len() - 1]);
        if let (Some(x), Some(y)) = (get(a), get(b)) {
            if let (Some(p), Some(q)) = (x.nps.nps, y.nps.nps) {
                let _ = writeln!(
                    o,
                    "- {} ({a} → {b}): NPS {} → {} ({} {}).",
                    w.change_from_previous,
                    signed(p, 0, l),
                    signed(q, 0, l),
                    signed(q - p, 0, l),
                    w.points
                );
            }
        }
    }
    let sent: Vec<String> = ["positive", "negative", "mixed", "neutral"]
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                w.sentiment(k),
                ov.sentiment.get(*k).copied().unwrap_or(0)
            )
        })
        .collect();
    let _ = writeln!(o, "- {}: {}.", w.sentiment_of_comments, sent.join(", "));
    let tri: Vec<String> = w
        .in_order(&ov.triage)
        .into_iter()
        .filter(|(k, _)| k.as_str() != "normal")
        .map(|(k, v)| format!("{} {v}", w.triage(k)))
        .collect();
    if !tri.is_empty() {
        let _ = writeln!(o, "- {}: {}.", w.registry_action, tri.join(", "));
    }

    let _ = writeln!(o, "\n## {}\n", w.themes);
    let _ = writeln!(o, "{} {}\n", w.sorted_by_count, w.lift_explained);
    let change_head = s
        .themes
        .first()
        .and_then(|t| t.month_change.as_ref())
        .map(|ch| format!(" {} {} → {} |", w.share, ch.from, ch.to))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} | {} | {} |{change_head}",
        w.theme,
        w.comments,
        w.share,
        w.negative_positive,
        w.nps_with,
        w.nps_without,
        w.impact,
        w.lift
    );
    let _ = writeln!(
        o,
        "|---|---:|---:|---:|---:|---:|---:|---:|{}",
        if change_head.is_empty() { "" } else { "---:|" }
    );
    for t in &s.themes {
        let neg = t.statements.get("negative").copied().unwrap_or(0);
        let posv = t.statements.get("positive").copied().unwrap_or(0);
        let _ = write!(
            o,
            "| {} | {} | {} | {neg} / {posv} | {} | {} | {} | {} |",
            esc(&t.label),
            t.count,
            c.pct(t.share),
            c.nps(&t.nps_with),
            c.nps(&t.nps_without),
            t.nps_impact.map_or("–".to_string(), |v| signed(v, 0, l)),
            t.nps_lift.map_or("–".to_string(), |v| signed(v, 1, l))
        );
        if let Some(ch) = &t.month_change {
            let _ = write!(
                o,
                " {} → {} ({}{}) |",
                c.pct(ch.share_from),
                c.pct(ch.share_to),
                signed(ch.share_change_pts, 1, l),
                if ch.significant {
                    format!(", {}", w.significant)
                } else {
                    String::new()
                }
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "\n## {}\n", w.trends);
    group_header(&mut o, &c, w.month, s);
    for m in &s.months {
        group_row(&mut o, &c, &m.name, &m.value);
    }
    if s.months.len() > 1 {
        let _ = writeln!(o, "\n{}:\n", w.shares_by_month);
        theme_table(
            &mut o,
            &c,
            s,
            |t| &t.by_month,
            |x| format!("{} ({})", c.pct(x.share), x.count),
        );
    }

    let _ = writeln!(o, "\n## {}\n", w.units);
    group_header(&mut o, &c, w.unit, s);
    for u in &s.units {
        group_row(&mut o, &c, &u.name, &u.value);
    }
    let _ = writeln!(o, "\n{}:\n", w.theme_unit);
    theme_table(&mut o, &c, s, |t| &t.by_unit, |x| x.count.to_string());

    if s.themes.iter().any(|t| !t.quotes.is_empty()) {
        let _ = writeln!(o, "\n## {}\n", w.quotes);
        let _ = writeln!(o, "{}\n", w.quotes_explained);
        for t in &s.themes {
            if t.quotes.is_empty() {
                continue;
            }
            let _ = writeln!(o, "**{}**\n", esc(&t.label));
            for q in &t.quotes {
                let _ = writeln!(o, "> {} ({})\n", esc(&q.text), w.sentiment(&q.sentiment));
            }
        }
    }

    let m = &s.method;
    let _ = writeln!(o, "\n## {}\n", w.method);
    let _ = writeln!(
        o,
        "- {} ({} {}, {} {} `{}`){}: {} {}, {} {}{}.",
        w.method_rules,
        m.rule_patterns,
        w.patterns,
        w.taxonomy,
        m.taxonomy_version,
        m.taxonomy_fingerprint,
        m.model
            .as_ref()
            .map_or(format!(", {}", w.rules_only), |x| format!(
                " {} {x}",
                w.method_model
            )),
        m.tags_from_rules,
        w.tags_rule,
        m.tags_from_model,
        w.tags_model,
        if m.model.is_some() {
            format!(", {} {}", m.rule_hits_overruled, w.overruled)
        } else {
            String::new()
        }
    );
    let _ = writeln!(o, "- {}", w.nps_method);
    let _ = writeln!(o, "- {}", w.score_method);
    let _ = writeln!(o, "- {}", w.small_group.trim_start_matches("* "));
    let _ = writeln!(o, "- {}", w.change_method);
    if let Some(f) = m.dev_macro_f1 {
        let _ = writeln!(o, "- {}: {}.", w.dev_f1, num(f, 3, l));
    }
    o
}
