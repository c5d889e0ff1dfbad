//! `palaute classify` output: one row per answer with language, themes, evidence,
//! sentiment, triage and the original scores.

use crate::domain::Tagged;
use crate::error::{Error, Result};
use crate::output::{csv_bytes, write_atomic};
use serde_json::json;
use std::path::Path;

fn evidence_text(t: &Tagged) -> String {
    t.result.as_ref().map_or(String::new(), |r| {
        let tagged = r.themes.iter().flat_map(|th| {
            th.evidence.iter().map(move |e| {
                if e.matched.is_empty() {
                    format!("{}: {}", th.theme, e.rule)
                } else {
                    format!("{}: {} → \"{}\"", th.theme, e.rule, e.matched)
                }
            })
        });
        // Rule hits the model overruled stay visible, so a reader can disagree with it.
        let overruled = r.overruled.iter().map(|th| {
            let e = th.evidence.first();
            format!(
                "not {}: rule {} → \"{}\" overruled by model p={:.2}",
                th.theme,
                e.map_or("", |e| e.rule.as_str()),
                e.map_or("", |e| e.matched.as_str()),
                th.model_p.unwrap_or(0.0)
            )
        });
        let note = r.sentiment_note.iter().map(|n| format!("sentiment: {n}"));
        tagged
            .chain(overruled)
            .chain(note)
            .collect::<Vec<_>>()
            .join(" | ")
    })
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

pub fn write_csv(path: &Path, tagged: &[Tagged], score_names: &[String]) -> Result<()> {
    write_atomic(path, &csv(path, tagged, score_names)?)
}

pub fn write_jsonl(path: &Path, tagged: &[Tagged], score_names: &[String]) -> Result<()> {
    write_atomic(path, &jsonl(path, tagged, score_names)?)
}

/// The CSV as bytes (UTF-8 with BOM for Excel); `path` names the output in errors.
pub fn csv(path: &Path, tagged: &[Tagged], score_names: &[String]) -> Result<Vec<u8>> {
    let mut header: Vec<String> = [
        "id",
        "file",
        "row",
        "date",
        "month",
        "unit",
        "channel",
        "lang",
        "lang_confidence",
        "themes",
        "evidence",
        "sentiment",
        "theme_sentiment",
        "triage",
        "triage_classes",
        "triage_reasons",
        "nps",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(score_names.iter().cloned());
    header.push("text".into());
    let mut rows = vec![header];
    for t in tagged {
        let f = &t.feedback;
        let r = t.result.as_ref();
        let mut row = vec![
            f.id.clone(),
            f.file.clone(),
            f.row.to_string(),
            opt(f.date),
            f.month.clone().unwrap_or_default(),
            f.unit.clone().unwrap_or_default(),
            f.channel.clone().unwrap_or_default(),
            opt(r.map(|r| r.lang.lang.code())),
            opt(r.map(|r| format!("{:.2}", r.lang.confidence))),
            r.map_or(String::new(), |r| {
                r.theme_ids().collect::<Vec<_>>().join(";")
            }),
            evidence_text(t),
            opt(r.map(|r| r.sentiment.code())),
            opt(r.map(|r| r.theme_sentiment_text())),
            opt(r.map(|r| r.triage.code())),
            r.map_or(String::new(), |r| {
                r.triage_classes()
                    .iter()
                    .map(|c| c.code())
                    .collect::<Vec<_>>()
                    .join(";")
            }),
            r.map_or(String::new(), |r| {
                r.triage_reasons
                    .iter()
                    .map(|x| {
                        if x.evidence.matched.is_empty() {
                            format!("{}: {} {}", x.class.code(), x.id, x.evidence.rule)
                        } else {
                            format!("{}: {} \"{}\"", x.class.code(), x.id, x.evidence.matched)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            }),
            opt(f.nps),
        ];
        row.extend(f.scores.iter().map(|s| opt(*s)));
        row.push(f.text.clone());
        rows.push(row);
    }
    csv_bytes(path, b',', &rows)
}

/// One JSON object per line; `path` names the output in errors.
pub fn jsonl(path: &Path, tagged: &[Tagged], score_names: &[String]) -> Result<Vec<u8>> {
    let mut out = String::new();
    for t in tagged {
        let f = &t.feedback;
        let scores: serde_json::Map<String, serde_json::Value> = score_names
            .iter()
            .zip(&f.scores)
            .map(|(n, s)| (n.clone(), json!(s)))
            .collect();
        let v = json!({
            "id": f.id, "file": f.file, "row": f.row, "date": f.date, "month": f.month,
            "unit": f.unit, "channel": f.channel, "nps": f.nps, "scores": scores, "text": f.text,
            "lang": t.result.as_ref().map(|r| r.lang.lang),
            "lang_confidence": t.result.as_ref().map(|r| r.lang.confidence),
            "themes": t.result.as_ref().map(|r| &r.themes),
            "sentiment": t.result.as_ref().map(|r| r.sentiment),
            "sentiment_note": t.result.as_ref().and_then(|r| r.sentiment_note.as_deref()),
            "theme_sentiment": t.result.as_ref().map(|r| r.theme_sentiment_text()),
            "statements": t.result.as_ref().map(|r| r.statements.iter().map(|s| json!({
                "text": f.text.get(s.start..s.end).unwrap_or_default(),
                "start": s.start, "end": s.end, "themes": s.themes, "sentiment": s.sentiment,
            })).collect::<Vec<_>>()),
            "triage": t.result.as_ref().map(|r| r.triage),
            "triage_classes": t.result.as_ref().map(|r| r.triage_classes()),
            "triage_reasons": t.result.as_ref().map(|r| &r.triage_reasons),
            "urgent_p": t.result.as_ref().and_then(|r| r.urgent_p),
        });
        out.push_str(&serde_json::to_string(&v).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })?);
        out.push('\n');
    }
    Ok(out.into_bytes())
}
