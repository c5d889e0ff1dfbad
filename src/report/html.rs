//! `report.html`: one self-contained page (inline CSS, SVG charts and a few lines of script
//! for sorting tables), no network, an A4 print stylesheet, in the report's language.

use super::i18n::{nps_parts, num, pct, signed, words, Words};
use super::svg::{bars, esc, lines};
use crate::aggregate::{GroupStats, Summary, ThemeStats, NONE_LABEL, SIGNIFICANCE};
use crate::lang::Lang;
use crate::stats::{two_proportion_p, NpsStat, ScoreStat, SMALL_GROUP};
use std::fmt::Write;

const CSS: &str = r#"
:root{--ink:#1d2430;--muted:#5b6575;--line:#d9dee7;--bg:#f6f8fb;--accent:#1f5fa8;--cost:#c0392b;--gain:#2e8b57}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);margin:0;background:#fff;line-height:1.45}
main{max-width:1000px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.7rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.8em 0 .5em;border-bottom:2px solid var(--accent);padding-bottom:.2em}
h3{font-size:1.05rem;margin:1.2em 0 .4em}
p.note,.note{color:var(--muted);font-size:.88rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:12px 0}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .big{font-size:1.6rem;font-weight:700}
.card .sub{color:var(--muted);font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:8px 0 4px}
th,td{border-bottom:1px solid var(--line);padding:5px 7px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
th{background:var(--bg);font-weight:600;cursor:pointer;user-select:none;font-size:.82rem}
td{white-space:nowrap}td:first-child{white-space:normal;min-width:11em}
.tw{overflow-x:auto}
#theme-table td .note{display:block;font-size:.78rem}#theme-table th,#theme-table td{padding:5px 5px}
#theme-table td:first-child{min-width:8em}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.up{color:var(--cost);font-weight:600}td.down{color:var(--gain);font-weight:600}
.chart{width:100%;max-width:680px;height:auto;display:block;margin:10px 0}
.chart .ct{font-weight:600;font-size:14px;fill:var(--ink)}
.chart .cl{font-size:12px;fill:var(--ink)}.chart .cv{font-size:11px;fill:var(--muted)}
.chart .bar{fill:var(--accent)}.chart .bar.cost{fill:var(--cost)}.chart .bar.gain{fill:var(--gain)}
.chart .axis{stroke:var(--ink);stroke-width:1}.chart .grid{stroke:var(--line);stroke-width:1}
.chart .line{fill:none;stroke-width:2.5}.chart .s0{stroke:var(--accent);fill:var(--accent)}.chart .s1{stroke:var(--cost);fill:var(--cost)}
.chart polyline.s0,.chart polyline.s1{fill:none}
blockquote{margin:6px 0;padding:6px 12px;border-left:4px solid var(--line);background:var(--bg);font-size:.9rem}
blockquote.negative{border-left-color:var(--cost)}blockquote.positive{border-left-color:var(--gain)}
blockquote .meta{color:var(--muted);font-size:.78rem;display:block}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:800px){.two{grid-template-columns:1fr}}
@page{size:A4;margin:14mm 12mm}
@media print{main{max-width:none;padding:0}th{cursor:auto}h2{break-after:avoid}table,.chart,blockquote,.card{break-inside:avoid}tr{break-inside:avoid}.two{grid-template-columns:1fr 1fr}html{font-size:10pt}.tw{overflow:visible}#theme-table{font-size:.8rem}}
"#;

/// Clicking a header sorts the table by that column (numbers by value, text by locale).
const JS: &str = r#"
document.querySelectorAll("table.sortable th").forEach(function(th){th.addEventListener("click",function(){
var table=th.closest("table"),idx=Array.prototype.indexOf.call(th.parentNode.children,th),body=table.tBodies[0];
var asc=th.getAttribute("aria-sort")!=="ascending";
table.querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort")});
th.setAttribute("aria-sort",asc?"ascending":"descending");
function key(tr){var c=tr.children[idx];var v=c.getAttribute("data-v");return v===null?c.textContent.trim():parseFloat(v)}
var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a),y=key(b);var r=(typeof x==="number"&&typeof y==="number")?x-y:String(x).localeCompare(String(y));return asc?r:-r});
rows.forEach(function(r){body.appendChild(r)});});});
"#;

/// The CSP source for the one inline script: only that exact script may run, so nothing a
/// comment could smuggle into the page would execute even if escaping ever failed.
fn script_hash() -> String {
    use sha2::Digest;
    format!(
        "sha256-{}",
        base64::encode(sha2::Sha256::digest(JS.as_bytes()))
    )
}

struct Ctx<'a> {
    l: Lang,
    w: &'a Words,
}

impl Ctx<'_> {
    fn nps(&self, s: &NpsStat) -> String {
        nps_parts(s, self.l).map_or("–".into(), |(v, ci)| {
            format!(
                "{v}{} <span class=\"note\">({ci})</span>",
                if s.small { " *" } else { "" }
            )
        })
    }

    fn score(&self, s: &ScoreStat) -> String {
        match s.mean {
            Some(m) => format!("{}{}", num(m, 2, self.l), if s.small { " *" } else { "" }),
            None => "–".into(),
        }
    }

    /// A numeric cell with its raw value for sorting.
    fn td(&self, shown: String, v: Option<f64>) -> String {
        match v {
            Some(v) => format!("<td data-v=\"{v}\">{shown}</td>"),
            None => format!("<td data-v=\"-1e9\">{shown}</td>"),
        }
    }
}

fn group_table(o: &mut String, c: &Ctx, first: &str, groups: &[(String, &GroupStats)]) {
    let _ = write!(
        o,
        "<div class=\"tw\"><table class=\"sortable\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>NPS (95 %)</th>",
        esc(first),
        c.w.answers,
        c.w.comments
    );
    if let Some((_, g)) = groups.first() {
        for s in &g.scores {
            let _ = write!(o, "<th>{}</th>", esc(&s.name));
        }
    }
    o.push_str("</tr></thead><tbody>");
    for (name, g) in groups {
        let _ = write!(
            o,
            "<tr><td>{}{}</td>{}{}{}",
            esc(name),
            if g.small { " *" } else { "" },
            c.td(g.answers.to_string(), Some(g.answers as f64)),
            c.td(g.comments.to_string(), Some(g.comments as f64)),
            c.td(c.nps(&g.nps), g.nps.nps)
        );
        for s in &g.scores {
            o.push_str(&c.td(c.score(s), s.mean));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");
}

fn display(name: &str, w: &Words) -> String {
    if name == NONE_LABEL {
        w.none.to_string()
    } else {
        name.to_string()
    }
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

pub fn render(s: &Summary) -> String {
    let l = Lang::from_code(&s.lang).unwrap_or(Lang::Fi);
    let w = words(l);
    let c = Ctx { l, w };
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
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src '{}'; img-src data:\"><title>{} {}</title><style>{CSS}</style></head><body><main>",
        l.code(),
        script_hash(),
        esc(w.title),
        esc(&period)
    );
    let _ = write!(o, "<h1>{} {}</h1>", esc(w.title), esc(&period));

    // Headline
    let ov = &s.overall;
    let _ = write!(
        o,
        "<h2 id=\"headline\">{}</h2><div class=\"cards\">",
        w.headline
    );
    let _ = write!(
        o,
        "<div class=\"card\"><div class=\"big\">{}</div><div class=\"sub\">{} · {} {} · {} {}, {} {}</div></div>",
        num(ov.stats.comments as f64, 0, l),
        w.comments_analysed,
        num(ov.stats.answers as f64, 0, l),
        w.from_answers,
        num(s.input.rows_read as f64, 0, l),
        w.rows_read,
        num(s.input.rejected as f64, 0, l),
        w.rejected
    );
    let _ = write!(
        o,
        "<div class=\"card\"><div class=\"big\">NPS {}</div><div class=\"sub\">95 %: {} · n = {} {}</div></div>",
        ov.stats.nps.nps.map_or("–".into(), |v| signed(v, 0, l)),
        match (ov.stats.nps.ci_low, ov.stats.nps.ci_high) {
            (Some(a), Some(b)) => format!("{}…{}", signed(a, 0, l), signed(b, 0, l)),
            _ => "–".into(),
        },
        num(ov.stats.nps.n as f64, 0, l),
        w.nps_from
    );
    for sc in &ov.stats.scores {
        if let (Some(m), Some(lo), Some(hi), Some(t)) =
            (sc.mean, sc.mean_ci_low, sc.mean_ci_high, sc.top2_share)
        {
            let _ = write!(
                o,
                "<div class=\"card\"><div class=\"big\">{}</div><div class=\"sub\">{} · {} {} ({}…{}) · {} {}</div></div>",
                num(m, 2, l),
                esc(&sc.name),
                w.mean,
                num(m, 2, l),
                num(lo, 2, l),
                num(hi, 2, l),
                pct(t, l),
                w.answered_45
            );
        }
    }
    o.push_str("</div><ul>");
    let share_list = |m: &std::collections::BTreeMap<String, usize>,
                      total: usize,
                      name: &dyn Fn(&str) -> String| {
        w.in_order(m)
            .into_iter()
            .map(|(k, v)| {
                format!(
                    "{} {}",
                    esc(&name(k)),
                    pct(*v as f64 / total.max(1) as f64, l)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        o,
        "<li>{}: {}</li><li>{}: {}</li>",
        w.languages,
        share_list(&ov.languages, ov.stats.comments, &|k| w
            .language(k)
            .to_string()),
        w.channels,
        share_list(&ov.channels, ov.stats.answers, &|k| display(k, w))
    );
    if months.len() >= 2 {
        let get = |m: &str| s.months.iter().find(|x| x.name == m).map(|x| &x.value);
        let (a, b) = (months[months.len() - 2], months[months.len() - 1]);
        if let (Some(x), Some(y)) = (get(a), get(b)) {
            if let (Some(p), Some(q)) = (x.nps.nps, y.nps.nps) {
                let _ = write!(
                    o,
                    "<li>{} ({a} → {b}): NPS {} → {} ({} {})",
                    w.change_from_previous,
                    signed(p, 0, l),
                    signed(q, 0, l),
                    signed(q - p, 0, l),
                    w.points
                );
                for (sx, sy) in x.scores.iter().zip(&y.scores) {
                    if let (Some(mx), Some(my)) = (sx.mean, sy.mean) {
                        let _ = write!(
                            o,
                            "; {} {} → {}",
                            esc(&sx.name),
                            num(mx, 2, l),
                            num(my, 2, l)
                        );
                    }
                }
                o.push_str("</li>");
            }
        }
    }
    let sent: Vec<String> = ["negative", "positive", "mixed", "neutral"]
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                w.sentiment(k),
                ov.sentiment.get(*k).copied().unwrap_or(0)
            )
        })
        .collect();
    let _ = write!(
        o,
        "<li>{}: {}</li>",
        w.sentiment_of_comments,
        sent.join(", ")
    );
    let tri: Vec<String> = w
        .in_order(&ov.triage)
        .into_iter()
        .filter(|(k, _)| k.as_str() != "normal")
        .map(|(k, v)| format!("{} {v}", esc(w.triage(k))))
        .collect();
    if !tri.is_empty() {
        let _ = write!(o, "<li>{}: {}</li>", w.registry_action, tri.join(", "));
    }
    o.push_str("</ul>");

    // Themes, key-driver order
    let themes = by_lift(s);
    let _ = write!(
        o,
        "<h2 id=\"themes\">{}</h2><p class=\"note\">{} {}</p>",
        w.themes, w.themes_sorted, w.lift_explained
    );
    let lift_rows: Vec<(String, f64, String)> = themes
        .iter()
        .filter_map(|t| t.nps_lift.map(|v| (t.label.clone(), v, signed(v, 1, l))))
        .collect();
    let count_rows: Vec<(String, f64, String)> = s
        .themes
        .iter()
        .map(|t| {
            (
                t.label.clone(),
                t.count as f64,
                format!("{} ({})", t.count, pct(t.share, l)),
            )
        })
        .collect();
    let _ = write!(
        o,
        "<div class=\"two\">{}{}</div>",
        bars(w.chart_lift, &lift_rows, true),
        bars(w.chart_themes, &count_rows, false)
    );
    let first_score = s.overall.stats.scores.first().map(|x| x.name.clone());
    let _ = write!(
        o,
        "<div class=\"tw\"><table class=\"sortable\" id=\"theme-table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>{}</tr></thead><tbody>",
        w.theme,
        w.comments,
        w.share,
        w.negative_positive,
        w.nps_with,
        w.nps_without,
        w.impact,
        w.lift,
        first_score
            .as_ref()
            .map_or(String::new(), |n| format!("<th>{} ({})</th>", w.mean_1_5, esc(n)))
    );
    for t in &themes {
        let neg = t.statements.get("negative").copied().unwrap_or(0);
        let posv = t.statements.get("positive").copied().unwrap_or(0);
        let _ = write!(
            o,
            "<tr><td>{}</td>{}{}{}{}{}{}{}",
            esc(&t.label),
            c.td(t.count.to_string(), Some(t.count as f64)),
            c.td(pct(t.share, l), Some(t.share)),
            c.td(format!("{neg} / {posv}"), Some(neg as f64)),
            c.td(c.nps(&t.nps_with), t.nps_with.nps),
            c.td(c.nps(&t.nps_without), t.nps_without.nps),
            c.td(
                t.nps_impact.map_or("–".into(), |v| signed(v, 0, l)),
                t.nps_impact
            ),
            c.td(
                t.nps_lift.map_or("–".into(), |v| signed(v, 1, l)),
                t.nps_lift
            )
        );
        if first_score.is_some() {
            match t.scores_with.first() {
                Some(sc) => o.push_str(&c.td(c.score(sc), sc.mean)),
                None => o.push_str("<td>–</td>"),
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");

    // Trends
    if months.len() >= 2 {
        let _ = write!(
            o,
            "<h2 id=\"trends\">{}</h2><p class=\"note\">{}</p>",
            w.trends, w.trends_explained
        );
        let nps_series: Vec<Option<f64>> = months
            .iter()
            .map(|m| {
                s.months
                    .iter()
                    .find(|x| x.name == *m)
                    .and_then(|x| x.value.nps.nps)
            })
            .collect();
        let xs: Vec<String> = months.iter().map(|m| m.to_string()).collect();
        o.push_str(&lines(
            w.chart_nps_month,
            &xs,
            &[("NPS".into(), nps_series)],
        ));
        let _ = write!(
            o,
            "<div class=\"tw\"><table class=\"sortable\"><thead><tr><th>{}</th>",
            w.theme
        );
        for m in &months {
            let _ = write!(o, "<th>{}</th>", esc(m));
        }
        o.push_str("</tr></thead><tbody>");
        for t in &s.themes {
            let _ = write!(o, "<tr><td>{}</td>", esc(&t.label));
            let mut prev: Option<(usize, usize)> = None;
            for m in &months {
                let slice = t.by_month.iter().find(|x| x.name == *m).map(|x| &x.value);
                let (k, n) = slice.map_or((0, 0), |x| (x.count, x.comments));
                let share = if n == 0 { 0.0 } else { k as f64 / n as f64 };
                let mut class = "";
                let mut mark = "";
                if let Some((k0, n0)) = prev {
                    if let Some(p) = two_proportion_p(k0, n0, k, n) {
                        if p < SIGNIFICANCE {
                            let share0 = if n0 == 0 { 0.0 } else { k0 as f64 / n0 as f64 };
                            (class, mark) = if share > share0 {
                                ("up", " ▲")
                            } else {
                                ("down", " ▼")
                            };
                        }
                    }
                }
                let theme_nps = slice
                    .and_then(|x| x.nps.nps.map(|v| (v, x.nps.small)))
                    .map_or(String::new(), |(v, small)| {
                        format!(
                            "<br><span class=\"note\">NPS {}{}</span>",
                            signed(v, 0, l),
                            if small { " *" } else { "" }
                        )
                    });
                let _ = write!(
                    o,
                    "<td data-v=\"{share}\" class=\"{class}\">{} ({k}){mark}{theme_nps}</td>",
                    pct(share, l)
                );
                prev = Some((k, n));
            }
            o.push_str("</tr>");
        }
        o.push_str("</tbody></table></div>");
        let month_groups: Vec<(String, &GroupStats)> = s
            .months
            .iter()
            .map(|m| (display(&m.name, w), &m.value))
            .collect();
        group_table(&mut o, &c, w.month, &month_groups);
    }

    // Units
    let _ = write!(o, "<h2 id=\"units\">{}</h2>", w.units);
    let unit_groups: Vec<(String, &GroupStats)> = s
        .units
        .iter()
        .map(|u| (display(&u.name, w), &u.value))
        .collect();
    group_table(&mut o, &c, w.unit, &unit_groups);
    if let Some(first) = s.themes.first() {
        let _ = write!(
            o,
            "<div class=\"tw\"><table class=\"sortable\"><thead><tr><th>{}</th>",
            w.theme
        );
        for u in &first.by_unit {
            let _ = write!(o, "<th>{}</th>", esc(&display(&u.name, w)));
        }
        o.push_str("</tr></thead><tbody>");
        for t in &s.themes {
            let _ = write!(o, "<tr><td>{}</td>", esc(&t.label));
            for u in &t.by_unit {
                let small = u.value.comments < SMALL_GROUP;
                let _ = write!(
                    o,
                    "<td data-v=\"{}\">{} ({}){}</td>",
                    u.value.count,
                    u.value.count,
                    pct(u.value.share, l),
                    if small { " *" } else { "" }
                );
            }
            o.push_str("</tr>");
        }
        o.push_str("</tbody></table></div>");
    }
    let _ = write!(o, "<p class=\"note\">{}</p>", w.small_group);

    // Quotes
    let _ = write!(
        o,
        "<h2 id=\"quotes\">{}</h2><p class=\"note\">{}</p>",
        w.quotes, w.quotes_explained
    );
    for t in &themes {
        if t.quotes.is_empty() {
            continue;
        }
        let _ = write!(o, "<h3>{}</h3>", esc(&t.label));
        for q in &t.quotes {
            let meta = [
                Some(w.sentiment(&q.sentiment).to_string()),
                q.month.clone(),
                q.unit.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            let _ = write!(
                o,
                "<blockquote class=\"{}\">{}<span class=\"meta\">{}</span></blockquote>",
                esc(&q.sentiment),
                esc(&q.text),
                esc(&meta)
            );
        }
    }

    // Method
    let m = &s.method;
    let total_tags = m.tags_from_rules + m.tags_from_model;
    let _ = write!(o, "<h2 id=\"method\">{}</h2><ul class=\"note\">", w.method);
    let _ = write!(
        o,
        "<li>{} {} <code>{}</code> ({} {}). {}: {}.</li>",
        w.taxonomy,
        esc(&m.taxonomy_version),
        esc(&m.taxonomy_fingerprint),
        m.rule_patterns,
        w.patterns,
        w.model_word,
        esc(m.model.as_deref().unwrap_or(w.no_model))
    );
    let _ = write!(
        o,
        "<li>{}: {} {} ({}), {} {} ({}); {} {}.</li>",
        w.method_rules,
        m.tags_from_rules,
        w.tags_rule,
        pct(m.tags_from_rules as f64 / total_tags.max(1) as f64, l),
        m.tags_from_model,
        w.tags_model,
        pct(m.tags_from_model as f64 / total_tags.max(1) as f64, l),
        m.rule_hits_overruled,
        w.overruled
    );
    if let Some(f) = m.dev_macro_f1 {
        let _ = write!(o, "<li>{}: {}.</li>", w.dev_f1, num(f, 3, l));
    }
    let _ = write!(
        o,
        "<li>{}</li><li>{}</li><li>{}</li><li>{}</li></ul>",
        esc(w.nps_method),
        esc(w.score_method),
        esc(w.change_method),
        esc(w.small_group)
    );
    let _ = write!(o, "<p class=\"note\">{}</p>", esc(&s.generated_by));
    let _ = write!(o, "</main><script>{JS}</script></body></html>");
    o
}
