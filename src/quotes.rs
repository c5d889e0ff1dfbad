//! Representative quotes per theme for the report: the comments most typical of the theme,
//! not the longest. With the model, "typical" is the cosine to the mean embedding of the
//! theme's comments; without it, the length closest to the theme's median length. A
//! negative and a positive quote are taken first where both exist. A quote is the
//! statements about its theme, not the whole letter. Quotes are always masked for
//! personal data, in the report's language.

use crate::lang::Lang;
use crate::pii::PiiDetector;
use crate::pipeline::Tagged;
use crate::sentiment::Sentiment;
use serde::Serialize;
use std::collections::BTreeMap;

pub const PER_THEME: usize = 3;
/// Longest quote, in characters; longer comments are cut at a word.
pub const MAX_CHARS: usize = 300;

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub text: String,
    pub sentiment: String,
    pub month: Option<String>,
    pub unit: Option<String>,
    /// How typical the comment is of the theme (cosine to the centroid, or −length gap).
    pub typicality: f64,
}

/// The words of a comment about `theme`: its statements that carry the theme (joined by
/// "…" where others stand between them), or the whole comment when none does alone.
fn about(t: &Tagged, theme: &str) -> String {
    let text = &t.feedback.text;
    let Some(r) = t.result.as_ref() else {
        return text.clone();
    };
    if r.statements.len() < 2 {
        return text.clone();
    }
    let mut out = String::new();
    let mut last_end: Option<usize> = None;
    for (k, s) in r.statements.iter().enumerate() {
        if !s.themes.iter().any(|x| x == theme) {
            continue;
        }
        let Some(part) = text.get(s.start..s.end) else {
            return text.clone();
        };
        match last_end {
            Some(e) if e + 1 == k => out.push(' '),
            Some(_) => out.push_str(" … "),
            None => {}
        }
        out.push_str(part);
        last_end = Some(k);
    }
    if out.is_empty() {
        text.clone()
    } else {
        out
    }
}

/// Quotes per theme id. `embeddings[i]` belongs to `tagged[i]` when the model ran.
pub fn select(
    tagged: &[Tagged],
    embeddings: Option<&[Option<Vec<f32>>]>,
    theme_ids: &[&str],
    pii: &PiiDetector,
    lang: Lang,
) -> BTreeMap<String, Vec<Quote>> {
    let mut out = BTreeMap::new();
    for id in theme_ids {
        let members: Vec<usize> = (0..tagged.len())
            .filter(|&i| tagged[i].has_theme(id))
            .collect();
        if members.is_empty() {
            continue;
        }
        let vecs: Option<Vec<&Vec<f32>>> =
            embeddings.and_then(|e| members.iter().map(|&i| e[i].as_ref()).collect());
        let scores: Vec<f64> = match vecs {
            Some(v) => {
                let d = v[0].len();
                let mut c = vec![0f64; d];
                for e in &v {
                    c.iter_mut()
                        .zip(e.iter())
                        .for_each(|(a, b)| *a += f64::from(*b));
                }
                let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
                v.iter()
                    .map(|e| {
                        e.iter()
                            .zip(&c)
                            .map(|(a, b)| f64::from(*a) * b)
                            .sum::<f64>()
                            / norm
                    })
                    .collect()
            }
            None => {
                let mut lens: Vec<usize> = members
                    .iter()
                    .map(|&i| tagged[i].feedback.text.chars().count())
                    .collect();
                lens.sort_unstable();
                let median = lens[lens.len() / 2] as f64;
                members
                    .iter()
                    .map(|&i| -(tagged[i].feedback.text.chars().count() as f64 - median).abs())
                    .collect()
            }
        };
        // Rounded: the centroid is summed in input order, and the last bits of a float sum
        // must not decide between two comments.
        let scores = scores.into_iter().map(|x| (x * 1e9).round() / 1e9);
        let mut ranked: Vec<(usize, f64)> = members.iter().copied().zip(scores).collect();
        // Ties go by the comment, not by its place in the input, so that giving the same
        // files in another order gives the same quotes.
        let key = |i: usize| {
            let f = &tagged[i].feedback;
            (f.text.as_str(), f.id.as_str(), f.file.as_str(), f.row)
        };
        let order = |a: &(usize, f64), b: &(usize, f64)| {
            b.1.total_cmp(&a.1).then_with(|| key(a.0).cmp(&key(b.0)))
        };
        ranked.sort_by(order);
        // What the comment says about this theme: the polarity of its statements about it.
        let sentiment_of = |i: usize| {
            tagged[i]
                .result
                .as_ref()
                .map_or(Sentiment::Neutral, |r| match r.theme_polarity(id) {
                    '+' => Sentiment::Positive,
                    '-' => Sentiment::Negative,
                    '~' => Sentiment::Mixed,
                    _ => Sentiment::Neutral,
                })
        };
        let mut chosen: Vec<(usize, f64)> = Vec::new();
        for want in [Sentiment::Negative, Sentiment::Positive] {
            if let Some(&best) = ranked.iter().find(|(i, _)| sentiment_of(*i) == want) {
                chosen.push(best);
            }
        }
        for &r in &ranked {
            if chosen.len() >= PER_THEME {
                break;
            }
            if !chosen.iter().any(|c| c.0 == r.0)
                && !chosen
                    .iter()
                    .any(|c| tagged[c.0].feedback.text == tagged[r.0].feedback.text)
            {
                chosen.push(r);
            }
        }
        chosen.sort_by(order);
        let quotes = chosen
            .into_iter()
            .map(|(i, score)| {
                let f = &tagged[i].feedback;
                Quote {
                    text: crate::text::excerpt(
                        &pii.redact(&about(&tagged[i], id), lang),
                        MAX_CHARS,
                    ),
                    sentiment: sentiment_of(i).code().to_string(),
                    month: f.month.clone(),
                    unit: f.unit.clone(),
                    typicality: (score * 1000.0).round() / 1000.0,
                }
            })
            .collect();
        out.insert(id.to_string(), quotes);
    }
    out
}
