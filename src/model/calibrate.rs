//! Thresholds for what the model adds beyond the rules, set on labeled text outside the
//! training data.
//!
//! The rules were written while reading the training files, so there they find almost
//! every request for contact and every formal process (contact: 93 % of train.csv, 98 %
//! of dev.csv, but 66–80 % of the held-out files). Out of fold on those files, the few
//! items the rules miss are odd ones, and the model's additions look mostly wrong: the
//! threshold chosen there (contact 0.95) let the model add almost nothing on text written
//! elsewhere. A calibration file — labeled like the training files, never trained on, never
//! read to write rules — shows the rules missing as often as on new text; the threshold
//! for each class is the lowest at which the model's additions there are right at least
//! half the time ([`heads::calibrated_threshold`]), for texts of fewer than
//! [`heads::LONG_CHUNKS`] chunks and for longer ones apart: one request-like sentence in
//! a long story is weaker evidence. Urgent keeps its own out-of-fold threshold, set for
//! recall; the calibration file sets the floor of its check band (possible_urgent) and
//! how far the model's doubt demotes a rule's urgent flag ([`calibrate_urgent`]).

use super::cache::EmbeddingCache;
use super::encoder::Encoder;
use super::heads::{self, CalibratedClass, Calibration, Heads};
use super::runtime::{score_texts, triage_rule_hits, STATEMENT_CHARS};
use super::ModelError;
use crate::datafile::DataFile;
use crate::domain::Classification;
use crate::tag::classify::Classifier;
use crate::tag::statements;
use crate::taxonomy::Taxonomy;

/// The classes whose model-alone threshold the calibration file sets.
pub const CALIBRATED: [&str; 2] = ["contact_requested", "formal"];

/// What scores the calibration file: the encoder the heads were trained on and the rules.
pub struct Fit<'a> {
    pub encoder: &'a Encoder,
    pub taxonomy: &'a Taxonomy,
    pub classifier: &'a Classifier,
}

impl Fit<'_> {
    /// Sets `heads`' thresholds for [`CALIBRATED`] on `file` and records how in
    /// `heads.calibration`. A class whose additions are never right half the time on
    /// enough items keeps its out-of-fold threshold.
    pub fn calibrate(
        &self,
        heads: &mut Heads,
        cache: &mut EmbeddingCache,
        file: &DataFile,
    ) -> Result<(), ModelError> {
        let gold: Vec<_> = crate::labeled::read_gold_file(file, self.taxonomy)?
            .into_iter()
            .filter(|g| g.triage_all.is_some())
            .collect();
        let texts: Vec<&str> = gold.iter().map(|g| g.text.as_str()).collect();
        let rules: Vec<Classification> =
            texts.iter().map(|t| self.classifier.classify(t)).collect();
        let rule_refs: Vec<&Classification> = rules.iter().collect();
        let nps: Vec<Option<u8>> = gold.iter().map(|g| g.nps).collect();
        // Every item gets each class's probability when its threshold is 0.
        let mut open = heads.clone();
        for c in CALIBRATED {
            if let Some(h) = open.triage.get_mut(c) {
                h.threshold = 0.0;
            }
        }
        let scores = score_texts(self.encoder, cache, &open, &texts, &rule_refs, &nps)?;
        let hits = triage_rule_hits(&rules);
        // The triage heads read a text in chunks of about two sentences; from
        // LONG_CHUNKS up it is long, as for the urgent head.
        let long: Vec<bool> = texts
            .iter()
            .map(|t| statements::chunks(t, STATEMENT_CHARS).len() >= heads::LONG_CHUNKS)
            .collect();
        let mut classes = Vec::new();
        for c in CALIBRATED {
            let Some(head) = heads.triage.get_mut(c) else {
                continue;
            };
            let p: Vec<f32> = scores
                .iter()
                .map(|s| s.triage.iter().find(|t| t.class == c).map_or(0.0, |t| t.p))
                .collect();
            let labeled: Vec<bool> = gold
                .iter()
                .map(|g| {
                    g.triage_all
                        .as_ref()
                        .is_some_and(|v| v.iter().any(|x| x.code() == c))
                })
                .collect();
            let rule = hits
                .get(c)
                .cloned()
                .unwrap_or_else(|| vec![false; labeled.len()]);
            let out_of_fold = head.threshold;
            let mut fit = |name: &str, long_texts: bool| {
                let part = |v: &[bool]| select(v, &long, long_texts);
                let fitted = fit_part(
                    c,
                    name,
                    out_of_fold,
                    (
                        &select(&p, &long, long_texts),
                        &part(&labeled),
                        &part(&rule),
                    ),
                );
                crate::notice!(
                    "{c}, {name}: threshold {out_of_fold:.2} out of fold → {:.2} on {} (the model adds {} the rules missed, {} of them right; the rules missed {})",
                    fitted.threshold,
                    file.origin.describe(),
                    fitted.added,
                    fitted.right,
                    fitted.missed_by_rules
                );
                let t = fitted.threshold;
                classes.push(fitted);
                t
            };
            let short = fit("shorter texts", false);
            let long_text = fit(heads::LONG_TEXTS, true);
            head.threshold = short;
            head.threshold_long_text = Some(long_text);
        }
        if let Some(head) = heads.triage.get_mut("urgent") {
            let p: Vec<f32> = scores.iter().map(|s| s.urgent_p.unwrap_or(0.0)).collect();
            let urgent: Vec<bool> = gold
                .iter()
                .map(|g| {
                    g.triage_all
                        .as_ref()
                        .is_some_and(|v| v.iter().any(|x| x.code() == "urgent"))
                })
                .collect();
            let none = vec![false; urgent.len()];
            let rule_urgent = hits.get("urgent").unwrap_or(&none);
            let rule_possible = hits.get("possible_urgent").unwrap_or(&none);
            // The urgent head's own split: texts of more than one chunk are scored by
            // their likeliest chunk and have thresholds of their own.
            let several: Vec<bool> = texts
                .iter()
                .map(|t| statements::chunks(t, STATEMENT_CHARS).len() > 1)
                .collect();
            for part in [false, true] {
                let pick = |v: &[bool]| select(v, &several, part);
                let parts = calibrate_urgent(
                    head,
                    part,
                    (
                        &select(&p, &several, part),
                        &pick(&urgent),
                        &pick(rule_urgent),
                        &pick(rule_possible),
                    ),
                );
                for c in &parts {
                    crate::notice!(
                        "{}, {}: {:.2} out of fold → {:.2} on {} ({} items affected, {} of them rightly)",
                        c.class,
                        c.texts,
                        c.out_of_fold,
                        c.threshold,
                        file.origin.describe(),
                        c.added,
                        c.right
                    );
                }
                classes.extend(parts);
            }
        }
        heads.calibration = Some(Calibration {
            fingerprint: fingerprint(&file.bytes),
            on: file.origin.describe(),
            items: gold.len(),
            classes,
        });
        Ok(())
    }
}

/// Version of the way thresholds are set here: a change calibrates shipped heads again.
const METHOD: &[u8] =
    b"calibration 3: shorter and long texts apart, thresholds from 0.50 up; urgent check band and doubt";

/// The urgent head's possible_urgent floor and its doubt of the rules' urgent flags, for
/// texts of one chunk (`several` false) or of several, on the calibration file's `p`
/// (urgent probability), `urgent` (gold) and the rules' urgent and possible_urgent flags.
/// The urgent threshold itself stays as trained: on the calibration file the model's
/// additions just above it were right about as often as out of fold.
///
/// - The floor is the lowest at which the band's items no rule flagged are urgent one
///   time in four ([`heads::calibrated_possible_floor`]): the band is read the same day.
/// - The doubt is set as out of fold ([`heads::demote_threshold`]): the highest value
///   under which at most 1 % (one chunk) or 5 % (several) of the urgent items the rules
///   flag score. A text of one chunk keeps the cap [`heads::DEMOTE_MAX`]; for several, the
///   cap is the urgent threshold (out of fold it was the check band's floor, 0.46, from
///   training letters the encoder was tuned on; on the calibration file the doubt rose to
///   0.66, and 38 of the 39 rule flags it demotes there are not urgent).
///
/// A part that has no out-of-fold value, or too few items to set one, keeps what it has.
fn calibrate_urgent(
    head: &mut heads::TriageHead,
    several: bool,
    (p, urgent, rule_urgent, rule_possible): (&[f32], &[bool], &[bool], &[bool]),
) -> Vec<CalibratedClass> {
    let texts = if several {
        heads::SEVERAL_CHUNKS
    } else {
        "texts of one chunk"
    };
    let mut out = Vec::new();
    let threshold = match (head.long, several) {
        (Some(l), true) => l.0,
        _ => head.threshold,
    };
    let floor_now = match (head.long, several) {
        (Some(l), true) => Some(l.1),
        (_, false) => head.possible_threshold,
        (None, true) => None,
    };
    let flagged: Vec<bool> = rule_urgent
        .iter()
        .zip(rule_possible)
        .map(|(u, q)| *u || *q)
        .collect();
    let missed_by_rules = urgent
        .iter()
        .zip(&flagged)
        .filter(|(g, r)| **g && !**r)
        .count();
    if let Some(out_of_fold) = floor_now {
        if let Some((floor, added, right)) =
            heads::calibrated_possible_floor(p, urgent, &flagged, threshold)
        {
            match (&mut head.long, several) {
                (Some(l), true) => l.1 = floor,
                _ => head.possible_threshold = Some(floor),
            }
            out.push(CalibratedClass {
                class: heads::POSSIBLE_URGENT.to_string(),
                texts: texts.to_string(),
                out_of_fold,
                threshold: floor,
                added,
                right,
                missed_by_rules,
            });
        }
    }
    let (doubt_now, keep, cap) = if several {
        (head.demote_below_long, heads::DEMOTE_KEEP_LONG, threshold)
    } else {
        (head.demote_below, heads::DEMOTE_KEEP, heads::DEMOTE_MAX)
    };
    if let Some(out_of_fold) = doubt_now {
        if let Some(doubt) = heads::demote_threshold(p, urgent, rule_urgent, keep) {
            let doubt = doubt.min(cap);
            let (demoted, rightly) = p
                .iter()
                .zip(urgent)
                .zip(rule_urgent)
                .filter(|((&v, _), &r)| r && v < doubt)
                .fold((0, 0), |(a, k), ((_, &g), _)| (a + 1, k + usize::from(!g)));
            match several {
                true => head.demote_below_long = Some(doubt),
                false => head.demote_below = Some(doubt),
            }
            out.push(CalibratedClass {
                class: heads::URGENT_DOUBT.to_string(),
                texts: texts.to_string(),
                out_of_fold,
                threshold: doubt,
                added: demoted,
                right: rightly,
                missed_by_rules: 0,
            });
        }
    }
    out
}

/// How heads name a calibration file (and the method): `evaluate` warns when it is the
/// file being measured.
pub fn fingerprint(bytes: &[u8]) -> String {
    super::runtime::training_fingerprint(&[METHOD, bytes].concat())
}

/// The entries of `v` whose text is long (`long_texts`) or shorter.
fn select<T: Copy>(v: &[T], long: &[bool], long_texts: bool) -> Vec<T> {
    v.iter()
        .zip(long)
        .filter(|(_, l)| **l == long_texts)
        .map(|(x, _)| *x)
        .collect()
}

/// One class's threshold on one part of the calibration file; the out-of-fold one stays
/// when no threshold's additions are right half the time.
fn fit_part(
    class: &str,
    texts: &str,
    out_of_fold: f32,
    (p, labeled, rule): (&[f32], &[bool], &[bool]),
) -> CalibratedClass {
    let missed_by_rules = labeled
        .iter()
        .zip(rule)
        .filter(|(g, r)| **g && !**r)
        .count();
    let (threshold, added, right) =
        heads::calibrated_threshold(p, labeled, rule).unwrap_or_else(|| {
            let (added, right) = heads::model_additions(p, labeled, rule, out_of_fold);
            (out_of_fold, added, right)
        });
    CalibratedClass {
        class: class.to_string(),
        texts: texts.to_string(),
        out_of_fold,
        threshold,
        added,
        right,
        missed_by_rules,
    }
}
