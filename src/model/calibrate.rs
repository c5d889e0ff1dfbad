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
//! how far the model's doubt demotes a rule's urgent flag ([`urgent_parts`]).

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
use std::collections::BTreeMap;

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
        // LONG_CHUNKS up it is long.
        let chunks: Vec<usize> = texts
            .iter()
            .map(|t| statements::chunks(t, STATEMENT_CHARS).len())
            .collect();
        let long: Vec<bool> = chunks.iter().map(|&n| n >= heads::LONG_CHUNKS).collect();
        let mut classes = Vec::new();
        for c in CALIBRATED {
            let Some(head) = heads.triage.get_mut(c) else {
                continue;
            };
            let p: Vec<f32> = scores
                .iter()
                .map(|s| s.triage.iter().find(|t| t.class == c).map_or(0.0, |t| t.p))
                .collect();
            let labeled = labeled_with(&gold, c);
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
            classes.extend(urgent_parts(
                head,
                &p,
                &labeled_with(&gold, "urgent"),
                &hits,
                &chunks,
                file,
            ));
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
    b"calibration 6: shorter and long texts apart, thresholds from 0.50 up; urgent check band (only widened, by what the widening adds or to its recall target) and doubt";

/// Which calibration items are labeled with triage class `code`.
fn labeled_with(gold: &[crate::labeled::GoldItem], code: &str) -> Vec<bool> {
    gold.iter()
        .map(|g| {
            g.triage_all
                .as_ref()
                .is_some_and(|v| v.iter().any(|x| x.code() == code))
        })
        .collect()
}

/// The urgent head's parts calibrated on `file`, for texts of one chunk and of several
/// apart (its own split: a text of more than one chunk is scored by its likeliest chunk
/// and has thresholds of its own): `p` its probabilities, `urgent` the gold labels,
/// `chunks` each text's chunk count.
fn urgent_parts(
    head: &mut heads::TriageHead,
    p: &[f32],
    urgent: &[bool],
    hits: &BTreeMap<String, Vec<bool>>,
    chunks: &[usize],
    file: &DataFile,
) -> Vec<CalibratedClass> {
    let none = vec![false; urgent.len()];
    let rule_urgent = hits.get("urgent").unwrap_or(&none);
    let rule_possible = hits.get("possible_urgent").unwrap_or(&none);
    let several: Vec<bool> = chunks.iter().map(|&n| n > 1).collect();
    let mut out = Vec::new();
    for part in [false, true] {
        let pick = |v: &[bool]| select(v, &several, part);
        let p = select(p, &several, part);
        let (urgent, rule_urgent) = (pick(urgent), pick(rule_urgent));
        let texts = if part {
            heads::SEVERAL_CHUNKS
        } else {
            "texts of one chunk"
        };
        let flagged: Vec<bool> = rule_urgent
            .iter()
            .zip(pick(rule_possible))
            .map(|(u, q)| *u || q)
            .collect();
        let parts = [
            calibrate_floor(head, part, texts, (&p, &urgent, &flagged)),
            calibrate_doubt(head, part, texts, (&p, &urgent, &rule_urgent)),
        ];
        for c in parts.into_iter().flatten() {
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
            out.push(c);
        }
    }
    out
}

/// The urgent head's possible_urgent floor for texts of one chunk (`several` false) or of
/// several: the lowest at which the items it adds to the band under the out-of-fold floor,
/// those no rule flagged (`flagged`: an urgent or possible_urgent rule hit), are urgent
/// one time in four ([`heads::calibrated_possible_floor`]), or, when lower, the one at
/// which urgent ∪ possible_urgent reaches the part's recall target while what it adds is
/// urgent one time in eight ([`heads::recall_possible_floor`]); the band is read the same
/// day, not first. The urgent threshold itself stays as trained: on the calibration file
/// the model's additions just above it were right about as often as out of fold. None
/// (and the out-of-fold floor kept) when the part has no floor or no value qualifies.
fn calibrate_floor(
    head: &mut heads::TriageHead,
    several: bool,
    texts: &str,
    (p, urgent, flagged): (&[f32], &[bool], &[bool]),
) -> Option<CalibratedClass> {
    let (threshold, floor) = match (&mut head.long, several) {
        (Some(l), true) => (l.0, &mut l.1),
        (None, true) => return None,
        (_, false) => (head.threshold, head.possible_threshold.as_mut()?),
    };
    let out_of_fold = *floor;
    let target = if several {
        heads::POSSIBLE_RECALL_TARGET_LONG
    } else {
        heads::POSSIBLE_RECALL_TARGET
    };
    // Widened by what it adds, or to its recall target: the lower floor of the two.
    let (chosen, added, right) = [
        heads::calibrated_possible_floor(p, urgent, flagged, threshold, out_of_fold),
        heads::recall_possible_floor(p, urgent, flagged, (threshold, out_of_fold), target),
    ]
    .into_iter()
    .flatten()
    .min_by(|a, b| a.0.total_cmp(&b.0))?;
    *floor = chosen;
    Some(CalibratedClass {
        class: heads::POSSIBLE_URGENT.to_string(),
        texts: texts.to_string(),
        out_of_fold,
        threshold: chosen,
        added,
        right,
        missed_by_rules: urgent
            .iter()
            .zip(flagged)
            .filter(|(g, r)| **g && !**r)
            .count(),
    })
}

/// The urgent head's doubt of the rules' urgent flags (`rule`), set as out of fold
/// ([`heads::demote_threshold`]) but on the calibration file: the highest value under
/// which at most 1 % (one chunk) or 5 % (several) of the urgent items the rules flag
/// score. A text of one chunk keeps the cap [`heads::DEMOTE_MAX`]; for several, the cap
/// is the urgent threshold (out of fold it was the check band's floor, 0.46, from
/// training letters the encoder was tuned on; on the calibration file the doubt rose to
/// 0.66, and 38 of the 39 rule flags it demotes there are not urgent). None when the
/// part has no doubt or too few urgent rule hits to set one.
fn calibrate_doubt(
    head: &mut heads::TriageHead,
    several: bool,
    texts: &str,
    (p, urgent, rule): (&[f32], &[bool], &[bool]),
) -> Option<CalibratedClass> {
    let (doubt, keep, cap) = match (several, head.long) {
        (true, Some(l)) => (&mut head.demote_below_long, heads::DEMOTE_KEEP_LONG, l.0),
        (true, None) => (
            &mut head.demote_below_long,
            heads::DEMOTE_KEEP_LONG,
            head.threshold,
        ),
        (false, _) => (
            &mut head.demote_below,
            heads::DEMOTE_KEEP,
            heads::DEMOTE_MAX,
        ),
    };
    let out_of_fold = (*doubt)?;
    let chosen = heads::demote_threshold(p, urgent, rule, keep)?.min(cap);
    *doubt = Some(chosen);
    let (demoted, rightly) = p
        .iter()
        .zip(urgent)
        .zip(rule)
        .filter(|((&v, _), &r)| r && v < chosen)
        .fold((0, 0), |(a, k), ((_, &g), _)| (a + 1, k + usize::from(!g)));
    Some(CalibratedClass {
        class: heads::URGENT_DOUBT.to_string(),
        texts: texts.to_string(),
        out_of_fold,
        threshold: chosen,
        added: demoted,
        right: rightly,
        missed_by_rules: 0,
    })
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
