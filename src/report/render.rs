//! `report.html` and `report.md` from the [`ReportView`] through the templates in
//! `src/report/templates/` (minijinja; compiled into the binary). Output escapes by default:
//! HTML for `.html`, Markdown for `.md`; only the report's own words, CSS, script and
//! charts are marked safe.

use super::svg::{bars, esc, lines};
use super::view::ReportView;
use crate::error::{Error, Result};
use minijinja::{AutoEscape, Environment, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const HTML: &str = include_str!("templates/report.html");
const MARKDOWN: &str = include_str!("templates/report.md");
const CSS: &str = include_str!("templates/report.css");
/// Clicking a header sorts the table by that column (numbers by value, text by locale).
const JS: &str = include_str!("templates/report.js");

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|name| match name.rsplit('.').next() {
            Some("html") => AutoEscape::Html,
            Some("md") => AutoEscape::Custom("markdown"),
            _ => AutoEscape::None,
        });
        // The same escaping as the rest of palaute's outputs (and the Markdown one that
        // minijinja does not have).
        env.set_formatter(|out, state, value| {
            let raw = value.is_safe() || value.as_str().is_none();
            let text = value.to_string();
            let text = match state.auto_escape() {
                _ if raw || value.is_undefined() => text,
                AutoEscape::Html => esc(&text),
                AutoEscape::Custom("markdown") => crate::output::markdown_text(&text),
                _ => text,
            };
            out.write_str(&text).map_err(minijinja::Error::from)
        });
        env
    })
}

/// The report's words. HTML escapes them like any text ("p < 0.05"); the Markdown memo
/// takes them as written, since they are ours and use its syntax on purpose.
fn words(view: &ReportView, trusted: bool) -> BTreeMap<String, Value> {
    let json = serde_json::to_value(view.words).unwrap_or_default();
    let serde_json::Value::Object(map) = json else {
        return BTreeMap::new();
    };
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) if trusted => Value::from_safe_string(s),
                other => Value::from_serialize(other),
            };
            (k, v)
        })
        .collect()
}

/// The templates are part of the binary, so an error in one is palaute's bug (the report
/// tests render both); it is still an error, never a panic.
fn render(
    name: &'static str,
    source: &'static str,
    view: &ReportView,
    extra: BTreeMap<&str, Value>,
) -> Result<String> {
    let mut ctx: BTreeMap<&str, Value> = extra;
    ctx.insert("v", Value::from_serialize(view));
    ctx.insert("w", Value::from(words(view, name.ends_with(".md"))));
    environment()
        .template_from_named_str(name, source)
        .and_then(|t| t.render(ctx))
        .map_err(|source| Error::Template { name, source })
}

/// The CSP source for the one inline script: only that exact script may run, so nothing a
/// comment could smuggle into the page would execute even if escaping ever failed.
fn script_hash() -> String {
    use sha2::Digest;
    format!(
        "sha256-{}",
        base64::encode(sha2::Sha256::digest(JS.as_bytes()))
    )
}

/// `report.html`: one self-contained page (inline CSS, SVG charts and a few lines of script
/// for sorting tables), no network, an A4 print stylesheet.
pub fn html(view: &ReportView) -> Result<String> {
    let w = view.words;
    let lift: Vec<(String, f64, String)> = view
        .drivers
        .iter()
        .filter_map(|t| Some((t.label.clone(), t.lift.value?, t.lift.text.clone())))
        .collect();
    let counts: Vec<(String, f64, String)> = view
        .themes
        .iter()
        .map(|t| {
            let count = t.count.value.unwrap_or(0.0);
            (
                t.label.clone(),
                count,
                format!("{} ({})", t.count.text, t.share.text),
            )
        })
        .collect();
    let nps: Vec<Option<f64>> = view
        .months
        .iter()
        .map(|m| {
            view.month_rows
                .iter()
                .find(|g| g.name == *m)
                .and_then(|g| g.nps.raw)
        })
        .collect();
    let safe = Value::from_safe_string;
    let extra = BTreeMap::from([
        ("css", safe(CSS.to_string())),
        ("js", safe(JS.to_string())),
        ("script_hash", safe(script_hash())),
        ("lift_chart", safe(bars(w.chart_lift, &lift, true))),
        ("count_chart", safe(bars(w.chart_themes, &counts, false))),
        (
            "nps_chart",
            safe(lines(
                w.chart_nps_month,
                &view.months,
                &[("NPS".into(), nps)],
            )),
        ),
    ]);
    render("report.html", HTML, view, extra)
}

/// `report.md`: the plain board memo.
pub fn markdown(view: &ReportView) -> Result<String> {
    let plain = view.words.small_group.trim_start_matches("* ").to_string();
    let extra = BTreeMap::from([("small_group_plain", Value::from_safe_string(plain))]);
    render("report.md", MARKDOWN, view, extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{summarize, Summary};
    use crate::answers::Answers;
    use crate::input::columns::ColumnOverrides;
    use crate::input::open;
    use crate::lang::Lang;
    use crate::pii::PiiDetector;
    use crate::tag::classify::Classifier;
    use crate::taxonomy::Taxonomy;

    /// A report's summary of a small CSV, through the same stages as `palaute report`
    /// (rules only).
    fn summary(csv: &str, lang: Lang) -> Summary {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, csv).unwrap();
        let taxonomy = Taxonomy::load(None).unwrap();
        let classifier = Classifier::new(&taxonomy);
        let pii = PiiDetector::builtin().unwrap();
        let mut records = open(&[path], &ColumnOverrides::default(), None, None).unwrap();
        let mut answers = Answers::new(&taxonomy, records.dataset().score_names.len(), lang);
        crate::pipeline::tag_into(&mut records, &classifier, None, &pii, &mut answers).unwrap();
        let dataset = records.finish();
        let mut s = summarize(&answers, &dataset, &taxonomy, lang, None);
        let mut quotes = crate::quotes::select(&answers);
        for t in &mut s.themes {
            t.quotes = quotes.remove(&t.id).unwrap_or_default();
        }
        s
    }

    const HOSTILE: &str = "date,unit,nps,comment\n\
        2026-09-03,\"Ward <b>7</b> | east\",2,\"Jonotin <script>alert(1)</script> kolme tuntia, huono palvelu **ja** _töykeä_ lääkäri\"\n\
        2026-10-04,\"Ward <b>7</b> | east\",9,Ystävällinen hoitaja ja nopea palvelu\n";

    #[test]
    fn text_from_the_data_is_escaped_in_html_and_markdown() {
        let view = ReportView::new(&summary(HOSTILE, Lang::Fi));
        let html = html(&view).unwrap();
        assert!(
            !html.contains("<script>alert"),
            "a comment's script reaches the page"
        );
        assert!(
            !html.contains("<b>7</b>"),
            "a unit's markup reaches the page"
        );
        assert!(html.contains("Ward &lt;b&gt;7&lt;/b&gt; | east"));
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        let md = markdown(&view).unwrap();
        // A pipe in a unit name would split the Markdown table's row.
        assert!(
            md.contains("| Ward &lt;b&gt;7&lt;/b&gt; \\| east |"),
            "{md}"
        );
        assert!(!md.contains("<script>"));
    }

    #[test]
    fn both_outputs_follow_the_reports_language() {
        for (lang, title) in [
            (Lang::Fi, "Asiakaspalauteraportti"),
            (Lang::Sv, "Rapport om kundrespons"),
            (Lang::En, "Customer feedback report"),
        ] {
            let view = ReportView::new(&summary(HOSTILE, lang));
            assert_eq!(view.period, "2026-09 – 2026-10");
            let html = html(&view).unwrap();
            assert!(
                html.contains(&format!("<title>{title} 2026-09 – 2026-10</title>")),
                "{lang:?}"
            );
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.code())));
            let md = markdown(&view).unwrap();
            assert!(
                md.starts_with(&format!("# {title}, 2026-09 – 2026-10\n\n")),
                "{md}"
            );
        }
    }

    #[test]
    fn the_view_computes_the_month_step_and_key_driver_order_once() {
        let view = ReportView::new(&summary(HOSTILE, Lang::En));
        let step = view.headline.month_step.as_ref().expect("two dated months");
        assert_eq!(
            (step.from.as_str(), step.to.as_str()),
            ("2026-09", "2026-10")
        );
        assert_eq!(
            (step.nps_from.as_str(), step.nps_to.as_str()),
            ("−100", "+100")
        );
        let lifts: Vec<f64> = view.drivers.iter().filter_map(|t| t.lift.value).collect();
        assert!(lifts.windows(2).all(|w| w[0] >= w[1]), "{lifts:?}");
        assert_eq!(view.themes.len(), view.drivers.len());
    }
}
