//! The lexical view: per theme (and for the urgent class and each sentiment class) a
//! logistic regression on the comment's character n-grams (2–5 characters inside each
//! word, lower-cased), hashed into [`BUCKETS`], weighted by tf-idf (sublinear tf, smoothed
//! idf, an n-gram seen in one training comment only counts for nothing) and L2-normalised.
//!
//! Why next to the encoder: the theme errors left were the embedding's ranking (a second
//! stage, other heads, even thresholds chosen on dev itself did not move macro F1). Word
//! pieces that name a topic ("naurettiin", "kyltit", "förfallodagen") are averaged away in
//! a 384-value embedding and kept here; Finnish and Swedish inflection is covered by the
//! n-grams of the stem. On dev the fused score (0.4 stacked head + 0.6 this view) beat the
//! stacked head alone in every batch of the labeled data, also when this view was trained
//! without the batch's own writers (docs/accuracy.md). The triage heads read it too
//! ([`super::heads::LEXICAL_TRIAGE_WEIGHT`]): one alarming word in a long letter is
//! averaged away in the pooled embedding and kept here; so is "soittakaa".

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Hash buckets of the n-grams: collisions are rare enough at 2^18 for a few thousand
/// comments, and the weights stay a few MB.
pub const BUCKETS: usize = 1 << 18;
const MIN_N: usize = 2;
const MAX_N: usize = 5;
/// Inverse regularisation as in a class-weighted logistic regression (scikit-learn's `C`):
/// weak, because the n-grams are many and each is rare. 10 measured best of 1, 4 and 10 on
/// dev (docs/accuracy.md).
const C: f32 = 10.0;
const EPOCHS: usize = 200;
const LR: f32 = 0.1;

/// A comment's features: (bucket, value) pairs, sorted by bucket, unit length.
pub type Row = Vec<(u32, f32)>;

/// FNV-1a: the same bucket for the same n-gram on every machine.
fn bucket(gram: &[char]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buf = [0u8; 4];
    for c in gram {
        for b in c.encode_utf8(&mut buf).bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (h % BUCKETS as u64) as u32
}

/// How often each n-gram bucket occurs in `text`: n-grams of each word padded with a space
/// on both sides; a word shorter than n counts once, whole.
fn counts(text: &str) -> HashMap<u32, f32> {
    let mut out = HashMap::new();
    for word in text.to_lowercase().split_whitespace() {
        let w: Vec<char> = std::iter::once(' ')
            .chain(word.chars())
            .chain(std::iter::once(' '))
            .collect();
        for n in MIN_N..=MAX_N {
            if w.len() <= n {
                *out.entry(bucket(&w)).or_insert(0.0) += 1.0;
                continue;
            }
            for g in w.windows(n) {
                *out.entry(bucket(g)).or_insert(0.0) += 1.0;
            }
        }
    }
    out
}

/// The tf-idf row of a text, given the idf of each bucket.
fn row(text: &str, idf: &[f32]) -> Row {
    weigh(counts(text), idf)
}

/// The tf-idf row of a text's n-gram counts.
fn weigh(counts: HashMap<u32, f32>, idf: &[f32]) -> Row {
    let mut r: Row = counts
        .into_iter()
        .map(|(k, tf)| (k, (1.0 + tf.ln()) * idf[k as usize]))
        .filter(|(_, v)| *v > 0.0)
        .collect();
    r.sort_by_key(|(k, _)| *k);
    let norm = r.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        r.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    r
}

/// Smoothed idf of every bucket over the texts' n-gram counts; zero for buckets in fewer
/// than two texts.
fn idf(counted: &[HashMap<u32, f32>]) -> Vec<f32> {
    let mut df = vec![0u32; BUCKETS];
    for c in counted {
        for k in c.keys() {
            df[*k as usize] += 1;
        }
    }
    let n = counted.len() as f32;
    df.iter()
        .map(|&d| {
            if d < 2 {
                0.0
            } else {
                ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0
            }
        })
        .collect()
}

/// One theme's logistic regression on the rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SparseLogReg {
    #[serde(with = "f16_base64")]
    pub w: Vec<f32>,
    pub b: f32,
}

impl SparseLogReg {
    pub fn prob(&self, x: &Row) -> f32 {
        let z: f32 = x.iter().map(|(k, v)| self.w[*k as usize] * v).sum::<f32>() + self.b;
        1.0 / (1.0 + (-z).exp())
    }

    /// Class-weighted (each class half the data), L2 of 1/(C·n), Adam on the full batch.
    pub fn train(x: &[&Row], y: &[bool]) -> SparseLogReg {
        let n = x.len().max(1) as f32;
        let pos = y.iter().filter(|v| **v).count().max(1) as f32;
        let neg = (n - pos).max(1.0);
        let wt: Vec<f32> = y
            .iter()
            .map(|&v| if v { n / (2.0 * pos) } else { n / (2.0 * neg) })
            .collect();
        let l2 = 1.0 / (C * n);
        let mut w = vec![0f32; BUCKETS];
        let mut b = 0f32;
        let (mut mw, mut vw) = (vec![0f32; BUCKETS], vec![0f32; BUCKETS]);
        let (mut mb, mut vb) = (0f32, 0f32);
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let mut g = vec![0f32; BUCKETS];
        // A bucket no row touches keeps a zero gradient, moment and weight, so the update
        // runs over the touched ones only: the same weights, without sweeping all
        // BUCKETS every epoch.
        let mut active: Vec<usize> = x
            .iter()
            .flat_map(|row| row.iter().map(|(k, _)| *k as usize))
            .collect();
        active.sort_unstable();
        active.dedup();
        for step in 1..=EPOCHS {
            for &j in &active {
                g[j] = l2 * w[j];
            }
            let mut gb = 0f32;
            for ((row, &yi), &wi) in x.iter().zip(y).zip(&wt) {
                let z: f32 = row.iter().map(|(k, v)| w[*k as usize] * v).sum::<f32>() + b;
                let p = 1.0 / (1.0 + (-z).exp());
                let r = (p - if yi { 1.0 } else { 0.0 }) * wi / n;
                for (k, v) in row.iter() {
                    g[*k as usize] += r * v;
                }
                gb += r;
            }
            let c1 = 1.0 - b1.powi(step as i32);
            let c2 = 1.0 - b2.powi(step as i32);
            for &j in &active {
                mw[j] = mw[j] * b1 + g[j] * (1.0 - b1);
                vw[j] = vw[j] * b2 + g[j] * g[j] * (1.0 - b2);
                w[j] -= LR * (mw[j] / c1) / ((vw[j] / c2).sqrt() + eps);
            }
            mb = mb * b1 + gb * (1.0 - b1);
            vb = vb * b2 + gb * gb * (1.0 - b2);
            b -= LR * (mb / c1) / ((vb / c2).sqrt() + eps);
        }
        SparseLogReg { w, b }
    }
}

/// The featuriser and one head per label: the themes in the heads' order, then
/// one per triage class and one per sentiment class ([`super::heads::lexical_triage_id`],
/// [`super::heads::lexical_sentiment_id`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lexical {
    #[serde(with = "f16_base64")]
    pub idf: Vec<f32>,
    pub themes: Vec<(String, SparseLogReg)>,
}

impl Lexical {
    pub fn row(&self, text: &str) -> Row {
        row(text, &self.idf)
    }

    /// Each theme's probability for `text`, by theme id.
    pub fn probs(&self, text: &str) -> HashMap<&str, f32> {
        let r = self.row(text);
        self.themes
            .iter()
            .map(|(id, m)| (id.as_str(), m.prob(&r)))
            .collect()
    }
}

/// What training the lexical view gives the theme heads: the model, and per theme the
/// out-of-fold probabilities of every comment and of every statement (each scored by the
/// head that did not see its comment's fold), from which the fused thresholds are chosen.
pub struct Trained {
    pub model: Lexical,
    pub oof: Vec<Vec<f32>>,
    pub oof_statements: Vec<Vec<Vec<f32>>>,
}

impl Trained {
    /// The out-of-fold probabilities of every comment for label `id`.
    pub fn oof_of(&self, id: &str) -> Option<&[f32]> {
        let k = self.model.themes.iter().position(|(l, _)| l == id)?;
        self.oof.get(k).map(Vec::as_slice)
    }
}

/// Trains the view on comments `texts` with labels `gold[theme][comment]`; `statements` are
/// each comment's statement texts (empty for a comment of one); `folds[i]` is comment i's fold.
pub fn train(
    ids: &[&str],
    texts: &[&str],
    gold: &[&[bool]],
    statements: &[Vec<&str>],
    folds: &[usize],
    fold_count: usize,
) -> Trained {
    // Counted once: the idf and the rows both need every comment's n-grams.
    let counted: Vec<HashMap<u32, f32>> = texts.par_iter().map(|t| counts(t)).collect();
    let idf = idf(&counted);
    let rows: Vec<Row> = counted.into_par_iter().map(|c| weigh(c, &idf)).collect();
    let statement_rows: Vec<Vec<Row>> = statements
        .par_iter()
        .map(|s| s.iter().map(|t| row(t, &idf)).collect())
        .collect();
    let per_theme: Vec<(SparseLogReg, Vec<f32>, Vec<Vec<f32>>)> = gold
        .par_iter()
        .map(|y| {
            let models: Vec<SparseLogReg> = (0..fold_count)
                .into_par_iter()
                .map(|f| {
                    let idx: Vec<usize> = (0..rows.len()).filter(|&i| folds[i] != f).collect();
                    let x: Vec<&Row> = idx.iter().map(|&i| &rows[i]).collect();
                    let yt: Vec<bool> = idx.iter().map(|&i| y[i]).collect();
                    SparseLogReg::train(&x, &yt)
                })
                .collect();
            let oof = (0..rows.len())
                .map(|i| models[folds[i]].prob(&rows[i]))
                .collect();
            let oof_st = (0..rows.len())
                .map(|i| {
                    statement_rows[i]
                        .iter()
                        .map(|r| models[folds[i]].prob(r))
                        .collect()
                })
                .collect();
            let all: Vec<&Row> = rows.iter().collect();
            (SparseLogReg::train(&all, y), oof, oof_st)
        })
        .collect();
    let mut themes = Vec::new();
    let mut oof = Vec::new();
    let mut oof_statements = Vec::new();
    for (id, (m, o, s)) in ids.iter().zip(per_theme) {
        themes.push((id.to_string(), m));
        oof.push(o);
        oof_statements.push(s);
    }
    Trained {
        model: Lexical { idf, themes },
        oof,
        oof_statements,
    }
}

/// A long vector of f32 stored as base64 of its little-endian f16 bits: the heads file
/// stays a few MB instead of tens, and f16 keeps 3 significant digits of a weight.
mod f16_base64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v
            .iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect();
        s.serialize_str(&base64::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = base64::decode(s).map_err(serde::de::Error::custom)?;
        if bytes.len() % 2 != 0 {
            return Err(serde::de::Error::custom("odd length of f16 data"));
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ngrams_stay_inside_words_and_ignore_case() {
        assert_eq!(counts("Kyltit"), counts("kyltit"));
        // " ab " gives " a", "ab", "b ", " ab", "ab ", " ab " (n=4 is the whole padded word).
        let c = counts("ab");
        assert_eq!(c.values().sum::<f32>(), 7.0, "{c:?}");
        assert_ne!(counts("ab cd"), counts("abcd"));
    }

    #[test]
    fn a_theme_word_in_new_inflections_is_learned_from_its_stem() {
        let texts = [
            "kyltit puuttuvat aulasta",
            "kylttejä ei ollut",
            "opasteet ja kyltit huonot",
            "lääkäri oli ystävällinen",
            "hoitaja oli ystävällinen ja kuunteli",
            "ystävällinen vastaanotto",
            "kyltti oli väärin",
            "kiitos ystävällisestä palvelusta",
        ];
        let y = [true, true, true, false, false, false, true, false];
        let counted: Vec<_> = texts.iter().map(|t| counts(t)).collect();
        let idf = idf(&counted);
        let rows: Vec<Row> = texts.iter().map(|t| row(t, &idf)).collect();
        let m = SparseLogReg::train(&rows.iter().collect::<Vec<_>>(), &y);
        let yes = m.prob(&row("kylteistä ei löytänyt mitään", &idf));
        let no = m.prob(&row("ystävällisiä hoitajia", &idf));
        assert!(yes > 0.5 && no < 0.5, "yes {yes} no {no}");
    }

    #[test]
    fn weights_survive_the_heads_file() {
        let m = SparseLogReg {
            w: vec![0.0, 1.5, -2.25, 1e-3],
            b: 0.5,
        };
        let json = serde_json::to_string(&m).expect("serialises");
        let back: SparseLogReg = serde_json::from_str(&json).expect("deserialises");
        for (a, b) in m.w.iter().zip(&back.w) {
            assert!((a - b).abs() <= 1e-3 * a.abs().max(1e-3), "{a} {b}");
        }
        assert_eq!(back.b, 0.5);
    }
}
