//! Representative quotes per theme for the report: the comments most typical of the theme,
//! not the longest. With the model, "typical" is the cosine to the mean embedding of the
//! theme's comments; without it, the length closest to the theme's median length. A
//! negative and a positive quote are taken first where both exist. A quote is the
//! statements about its theme, not the whole letter. Quotes are always masked for
//! personal data, in the report's language.

use crate::answers::{AnswerRef, Answers, CommentRef};
use crate::domain::Sentiment;
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

/// Quotes per theme id. Quotes are cut from the masked comments of `answers`; with the
/// model, typicality is the cosine to the theme's mean embedding.
pub fn select(answers: &Answers) -> BTreeMap<String, Vec<Quote>> {
    let mut out = BTreeMap::new();
    for (k, id) in answers.theme_ids().iter().enumerate() {
        let (answer_of, members): (Vec<AnswerRef>, Vec<CommentRef>) = answers
            .iter()
            .filter_map(|a| Some((a, a.comment().filter(|c| c.has_theme(k))?)))
            .unzip();
        if members.is_empty() {
            continue;
        }
        let scores = typicality(&members);
        // Rounded: the centroid is summed in input order, and the last bits of a float sum
        // must not decide between two comments.
        let scores = scores.into_iter().map(|x| (x * 1e9).round() / 1e9);
        let mut ranked: Vec<(usize, f64)> = (0..members.len()).zip(scores).collect();
        // Ties go by the comment, not by its place in the input, so that giving the same
        // files in another order gives the same quotes.
        let key = |i: usize| {
            let a = &answer_of[i];
            (members[i].text(), a.id(), a.file(), a.row())
        };
        let order = |a: &(usize, f64), b: &(usize, f64)| {
            b.1.total_cmp(&a.1).then_with(|| key(a.0).cmp(&key(b.0)))
        };
        ranked.sort_by(order);
        // What the comment says about this theme: the polarity of its statements about it.
        let sentiment_of = |i: usize| members[i].theme_polarity(k);
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
                    .any(|c| members[c.0].text() == members[r.0].text())
            {
                chosen.push(r);
            }
        }
        chosen.sort_by(order);
        let quotes = chosen
            .into_iter()
            .map(|(i, score)| {
                let a = &answer_of[i];
                Quote {
                    text: crate::text::excerpt(&members[i].about(k), MAX_CHARS),
                    sentiment: sentiment_of(i).code().to_string(),
                    month: a.month().map(str::to_string),
                    unit: a.unit().map(str::to_string),
                    typicality: (score * 1000.0).round() / 1000.0,
                }
            })
            .collect();
        out.insert(id.to_string(), quotes);
    }
    out
}

/// How typical each member is of the theme: the cosine to the members' mean embedding when
/// every member has one, else minus the gap of its length to the median length.
fn typicality(members: &[CommentRef]) -> Vec<f64> {
    let vecs: Option<Vec<&[f32]>> = members.iter().map(|c| c.embedding()).collect();
    match vecs {
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
            let len = |c: &CommentRef| c.text().chars().count();
            let mut lens: Vec<usize> = members.iter().map(len).collect();
            lens.sort_unstable();
            let median = lens[lens.len() / 2] as f64;
            members
                .iter()
                .map(|c| -(len(c) as f64 - median).abs())
                .collect()
        }
    }
}
