//! The classification step of the pipeline: every record with text gets a
//! [`Classification`]; records with scores only pass through untagged.

use crate::domain::{Classification, Tagged};
use crate::input::Feedback;
use crate::tag::classify::Classifier;
use rayon::prelude::*;

/// Classifies in parallel on all cores; the output keeps the input order.
pub fn classify_all(records: Vec<Feedback>, classifier: &Classifier) -> Vec<Tagged> {
    records
        .into_par_iter()
        .map(|feedback| {
            let result = feedback.has_text().then(|| {
                let mut c = classifier.classify(&feedback.text);
                c.weigh_scores(feedback.nps, &feedback.scores);
                c
            });
            Tagged { feedback, result }
        })
        .collect()
}

/// The indices of the answers with a comment, and their texts.
fn commented(tagged: &[Tagged]) -> (Vec<usize>, Vec<&str>) {
    let idx: Vec<usize> = (0..tagged.len())
        .filter(|&i| tagged[i].result.is_some())
        .collect();
    let texts = idx
        .iter()
        .map(|&i| tagged[i].feedback.text.as_str())
        .collect();
    (idx, texts)
}

/// Each answer's embedding (None for answers without a comment), from the model's cache.
pub fn embeddings(
    tagged: &[Tagged],
    runtime: &mut crate::model::runtime::ModelRuntime,
) -> Result<Vec<Option<Vec<f32>>>, crate::model::ModelError> {
    let (idx, texts) = commented(tagged);
    let mut all = vec![None; tagged.len()];
    for (&i, e) in idx.iter().zip(runtime.embed(&texts)?) {
        all[i] = Some(e);
    }
    Ok(all)
}

/// Joins the model to every tagged comment: the stacked heads decide the themes from the
/// embedding and the rule hits, and the model gives the sentiment.
pub fn apply_model(
    tagged: &mut [Tagged],
    runtime: &mut crate::model::runtime::ModelRuntime,
) -> Result<(), crate::model::ModelError> {
    let (idx, texts) = commented(tagged);
    let rules: Vec<&Classification> = idx
        .iter()
        .filter_map(|&i| tagged[i].result.as_ref())
        .collect();
    let nps: Vec<Option<u8>> = idx.iter().map(|&i| tagged[i].feedback.nps).collect();
    let scores = runtime.score_all(&texts, &rules, &nps)?;
    for (&i, s) in idx.iter().zip(&scores) {
        if let Some(r) = tagged[i].result.as_mut() {
            crate::model::combine::apply(r, s, crate::model::combine::Mode::Combined);
            let f = &tagged[i].feedback;
            r.weigh_scores(f.nps, &f.scores);
        }
    }
    Ok(())
}

/// Masks personal data in every comment's text and in the words quoted as evidence, in the
/// comment's own language (`[NIMI]`, `[NAMN]`, `[NAME]`).
pub fn redact_all(tagged: &mut [Tagged], pii: &crate::pii::PiiDetector) {
    tagged.par_iter_mut().for_each(|t| {
        let lang = t
            .result
            .as_ref()
            .map_or(crate::lang::Lang::Fi, |r| r.lang.lang);
        // Statements keep pointing at the same words of the masked text.
        let mut offsets: Vec<usize> = t.result.as_ref().map_or(Vec::new(), |r| {
            r.statements.iter().flat_map(|s| [s.start, s.end]).collect()
        });
        // `classify --redact` writes the masked words in the tagged record's own fields.
        t.feedback.text = pii
            .redact_mapped(&t.feedback.text, lang, &mut offsets)
            .into_string();
        if let Some(r) = t.result.as_mut() {
            for (s, o) in r.statements.iter_mut().zip(offsets.chunks_exact(2)) {
                s.start = o[0];
                s.end = o[1];
            }
            let evidence = r
                .themes
                .iter_mut()
                .chain(r.overruled.iter_mut())
                .flat_map(|th| th.evidence.iter_mut())
                .chain(r.triage_reasons.iter_mut().map(|x| &mut x.evidence));
            for e in evidence {
                e.matched = pii.redact(&e.matched, lang).into_string();
            }
        }
    });
}

/// Answers tagged at a time when the report streams them: big enough to keep every core
/// and the encoder busy, small enough that full classifications of one batch are little.
pub const BATCH: usize = 2048;

/// Tags `records` batch by batch (rules, then the model when `runtime` is given), masks each
/// comment and keeps only what the report needs of it in `answers`; the full
/// classification of an answer never outlives its batch.
pub fn tag_into(
    records: impl IntoIterator<Item = Feedback>,
    classifier: &Classifier,
    mut runtime: Option<&mut crate::model::runtime::ModelRuntime>,
    pii: &crate::pii::PiiDetector,
    answers: &mut crate::answers::Answers,
) -> Result<(), crate::model::ModelError> {
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        let batch: Vec<Feedback> = records.by_ref().take(BATCH).collect();
        let mut tagged = classify_all(batch, classifier);
        let embeddings = match runtime.as_deref_mut() {
            Some(rt) => {
                apply_model(&mut tagged, rt)?;
                // From the cache the model step just filled.
                Some(embeddings(&tagged, rt)?)
            }
            None => None,
        };
        for (i, t) in tagged.into_iter().enumerate() {
            let e = embeddings.as_ref().and_then(|e| e[i].as_deref());
            answers.push(t, pii, e);
        }
    }
    Ok(())
}
