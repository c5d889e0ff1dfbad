//! The rules + model policy: how the model's scores join a rule classification. One
//! function, [`apply`], used by `classify`, `triage`, `report` and `eval` alike; `eval`
//! measures the other [`Mode`]s beside the shipped one (`Combined`).

use super::heads::{survey_bar, ModelScores, ThemeScore};
use crate::domain::{Classification, Evidence, Sentiment, ThemeTag, TriageClass, TriageReason};

/// How rules and model are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Rules,
    Model,
    /// A theme when a rule fires or the model passes the threshold chosen together with
    /// the rules (the default).
    Combined,
    /// Measured alternative: a rule fires or the model passes its stand-alone threshold.
    Union,
}

/// Each statement's themes and sentiment from its own scores, and the comment gets the
/// themes of all its statements: a long letter embedded whole scores every theme below its
/// threshold, statement by statement it does not. A statement passes at its own threshold,
/// chosen out of fold in training (see `heads::statement_threshold`): the heads learned
/// whole comments and say yes too easily to a single sentence.
fn apply_statements(c: &mut Classification, scores: &ModelScores, mode: Mode) {
    if mode == Mode::Rules {
        return;
    }
    // A comment of one statement was scored whole: its statement reads as the comment's
    // one-sided reading.
    if let ([st], []) = (c.statements.as_mut_slice(), scores.statements.as_slice()) {
        if let Some(s) = scores
            .sentiment_one_sided
            .as_deref()
            .and_then(Sentiment::from_code)
        {
            st.sentiment = s;
        }
        return;
    }
    if scores.statements.len() != c.statements.len() {
        return;
    }
    for (i, (st, sc)) in c.statements.iter_mut().zip(&scores.statements).enumerate() {
        let rule_themes = std::mem::take(&mut st.themes);
        for (id, s) in &sc.themes {
            let by_rule = rule_themes.contains(id);
            let keep = match mode {
                Mode::Rules => by_rule,
                Mode::Model => s.alone,
                Mode::Union => by_rule || s.alone,
                Mode::Combined => s.statement,
            };
            if !keep {
                continue;
            }
            st.themes.push(id.clone());
            // Only the shipped policy has statement thresholds chosen for the union; the
            // measured alternatives keep their whole-comment decisions.
            if mode != Mode::Combined {
                continue;
            }
            c.overruled.retain(|t| &t.theme != id);
            if !c.themes.iter().any(|t| &t.theme == id) {
                let p = if mode == Mode::Combined {
                    s.p_combined
                } else {
                    s.p
                };
                c.themes.push(ThemeTag {
                    theme: id.clone(),
                    evidence: vec![Evidence {
                        rule: format!("model p={p:.2} (statement {})", i + 1),
                        matched: String::new(),
                    }],
                    by_rules: false,
                    model_p: Some(p),
                });
            }
        }
        if let Some(s) = sc
            .sentiment_one_sided
            .as_deref()
            .and_then(Sentiment::from_code)
        {
            st.sentiment = s;
        }
    }
    // The comment's sentiment stays the whole-text head's: calling a comment mixed when
    // its statements disagree was measured worse on dev (0.690 against 0.772).
}

/// Joins the model's scores to a rule classification.
pub fn apply(c: &mut Classification, scores: &ModelScores, mode: Mode) {
    if mode == Mode::Rules {
        return;
    }
    if mode == Mode::Model {
        c.themes.clear();
    }
    for (id, s) in &scores.themes {
        if let Some((passes, p)) = theme_decision(s, mode) {
            join_theme(c, id, passes, p, mode);
        }
    }
    if let Some(s) = scores.sentiment.as_deref().and_then(Sentiment::from_code) {
        c.sentiment = s;
        c.sentiment_p = Some(scores.sentiment_p);
        // A note the rules' reading earned no longer applies.
        c.sentiment_note = None;
        // The heads read the text with its NPS; say so where the score changed the reading.
        let text = scores
            .sentiment_text
            .as_deref()
            .and_then(Sentiment::from_code);
        if let (Some(text), Some(nps)) = (text, scores.nps) {
            if text != s {
                c.sentiment_note = Some(format!(
                    "text alone reads {}; with NPS {nps}: {}",
                    text.code(),
                    s.code()
                ));
            }
        }
    }
    apply_statements(c, scores, mode);
    if mode == Mode::Combined {
        apply_triage(c, scores);
    }
}

/// Whether the model gives the theme in this mode, and with which probability.
fn theme_decision(s: &ThemeScore, mode: Mode) -> Option<(bool, f32)> {
    match mode {
        Mode::Rules => None,
        Mode::Model | Mode::Union => Some((s.alone, s.p)),
        Mode::Combined => Some((s.combined, s.p_combined)),
    }
}

/// The model's decision on theme `id` next to the rules' tag, if any: it confirms the tag,
/// adds the theme, or (combined mode) overrules the rules.
fn join_theme(c: &mut Classification, id: &str, passes: bool, p: f32, mode: Mode) {
    let evidence = Evidence {
        rule: format!("model p={p:.2}"),
        matched: String::new(),
    };
    let existing = c.themes.iter().position(|t| t.theme == id);
    match (existing, passes) {
        (Some(i), true) => {
            c.themes[i].model_p = Some(p);
            c.themes[i].evidence.push(evidence);
        }
        (Some(i), false) => {
            let mut tag = c.themes[i].clone();
            tag.model_p = Some(p);
            if mode == Mode::Combined {
                // The stacked head has seen the rule hit and still says no.
                c.themes.remove(i);
                c.overruled.push(tag);
            } else {
                c.themes[i] = tag;
            }
        }
        (None, true) => c.themes.push(ThemeTag {
            theme: id.to_string(),
            evidence: vec![evidence],
            by_rules: false,
            model_p: Some(p),
        }),
        (None, false) => {}
    }
}

/// The model can raise a triage class the rules missed. It lowers only a rule's urgent
/// flag it clearly doubts, and only to possible_urgent (read the same day): an illness word
/// in a story of good care, software that "crashes".
fn apply_triage(c: &mut Classification, scores: &ModelScores) {
    c.urgent_p = scores.urgent_p;
    // An illness named in a comment the model reads as positive is a story of care, not a
    // sign to check (the model's own band can still flag it below).
    if c.sentiment == Sentiment::Positive {
        c.triage_reasons.retain(|r| !r.unless_positive);
        if c.triage_reasons.is_empty() {
            c.triage = TriageClass::Normal;
        }
    }
    let model_urgent = scores.triage.iter().any(|t| t.class == "urgent");
    if scores.urgent_doubt && !model_urgent {
        demote_rule_urgent(c, scores.urgent_p.unwrap_or(0.0));
    }
    for t in &scores.triage {
        let Some(mut class) = TriageClass::from_code(&t.class) else {
            continue;
        };
        let mut rule = format!("model p={:.2}", t.p);
        // A comment that came with an NPS answer is a survey answer, where perhaps one in
        // fifty is urgent, not the one in five the model's urgent threshold is set at: the
        // model alone makes it urgent only at the score that survey odds need, and below
        // that puts it in the same-day band; the rules' urgent flags stand.
        if class == TriageClass::Urgent && scores.nps.is_some() {
            let bar = survey_bar(t.threshold);
            if t.p < bar {
                class = TriageClass::PossibleUrgent;
                rule.push_str(&format!(
                    " (a survey answer: the model alone makes it urgent from p={bar:.2})"
                ));
            }
        }
        // A comment read as positive tells of care that went well: the model's urgent
        // reading alone is a sign to check at most, and its check band adds nothing. Not
        // for self-harm or threats: a farewell is worded as thanks, a threat as politeness.
        if c.sentiment == Sentiment::Positive
            && !READ_WHATEVER_THE_TONE.contains(&t.kind.as_deref().unwrap_or(""))
        {
            match class {
                TriageClass::Urgent => {
                    class = TriageClass::PossibleUrgent;
                    rule.push_str(" (a positive comment: the model alone does not make it urgent)");
                }
                TriageClass::PossibleUrgent => continue,
                _ => {}
            }
        }
        if c.triage_reasons.iter().any(|r| r.class == class) {
            continue;
        }
        c.triage_reasons.push(TriageReason {
            id: t.kind.clone().unwrap_or_else(|| "model".to_string()),
            class,
            evidence: Evidence {
                rule,
                matched: String::new(),
            },
            unless_positive: false,
        });
    }
    // The model's urgent reading of a letter that says all is handled is lowered as the
    // rules' is.
    c.lower_handled();
    // Urgent from either side makes a possible_urgent flag moot.
    c.settle_triage();
}

/// Kinds of urgency the model raises whatever the comment's tone (see [`apply_triage`]).
const READ_WHATEVER_THE_TONE: [&str; 2] = ["self_harm", "threat"];

/// The rules' urgent flags become possible_urgent, their evidence naming the model's doubt.
fn demote_rule_urgent(c: &mut Classification, urgent_p: f32) {
    for r in &mut c.triage_reasons {
        if r.class == TriageClass::Urgent {
            r.class = TriageClass::PossibleUrgent;
            r.evidence.rule = format!("{} (model p={urgent_p:.2} doubts it)", r.evidence.rule);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::heads::TriageScore;
    use crate::tag::classify::Classifier;
    use crate::taxonomy::Taxonomy;

    fn scores(urgent_doubt: bool) -> ModelScores {
        ModelScores {
            themes: Default::default(),
            sentiment: None,
            sentiment_text: None,
            nps: None,
            sentiment_p: 0.0,
            sentiment_one_sided: None,
            triage: Vec::new(),
            urgent_p: Some(0.03),
            urgent_doubt,
            ..Default::default()
        }
    }

    #[test]
    fn a_doubted_rule_flag_is_read_the_same_day_not_first() {
        let t = Taxonomy::parse(crate::taxonomy::DEFAULT_TAXONOMY, "built-in").unwrap();
        let rules = Classifier::new(&t).classify("Äiti on ollut lääkkeittä kaksi päivää.");
        assert_eq!(rules.triage, TriageClass::Urgent);
        let mut trusted = rules.clone();
        apply(&mut trusted, &scores(false), Mode::Combined);
        assert_eq!(trusted.triage, TriageClass::Urgent);
        assert_eq!(trusted.urgent_p, Some(0.03));
        let mut doubted = rules;
        apply(&mut doubted, &scores(true), Mode::Combined);
        assert_eq!(doubted.triage, TriageClass::PossibleUrgent);
        let reason = &doubted.triage_reasons[0];
        assert_eq!(reason.id, "neglect", "the kind stays named");
        assert!(
            reason.evidence.rule.contains("model p=0.03 doubts it"),
            "{}",
            reason.evidence.rule
        );
    }

    #[test]
    fn an_illness_in_a_thank_you_letter_is_not_a_sign_to_check() {
        let thanks = rules("Kiitos koko osastolle, infektio hoidettiin hienosti ja kotiuduin.");
        assert_eq!(thanks.triage, TriageClass::PossibleUrgent);
        assert_eq!(thanks.triage_reasons[0].id, "illness_only");
        let read = |sentiment: &str, c: &Classification| {
            let mut s = scores(false);
            s.sentiment = Some(sentiment.into());
            let mut c = c.clone();
            apply(&mut c, &s, Mode::Combined);
            c
        };
        let positive = read("positive", &thanks);
        assert_eq!(positive.triage, TriageClass::Normal);
        assert!(positive.triage_reasons.is_empty());
        // Read as a complaint, the same event stays in the same-day pile.
        assert_eq!(
            read("negative", &thanks).triage,
            TriageClass::PossibleUrgent
        );
        // A kind of harm is never withdrawn by a positive reading: a farewell can read
        // as a thank-you.
        let farewell =
            rules("Kiitos kaikesta, olen hyvästellyt läheiseni eikä minua tarvitse enää odottaa.");
        let harm: Vec<_> = farewell
            .triage_reasons
            .iter()
            .filter(|r| matches!(r.class, TriageClass::Urgent | TriageClass::PossibleUrgent))
            .map(|r| r.id.clone())
            .collect();
        assert!(
            !harm.is_empty() && !harm.contains(&"illness_only".to_string()),
            "{harm:?}"
        );
        assert_eq!(read("positive", &farewell).triage, farewell.triage);
    }

    #[test]
    fn on_a_positive_comment_the_model_alone_flags_for_the_same_day_at_most() {
        let c = rules("Etävastaanotto toimi hienosti, lääkäri soitti ajallaan. Kiitos!");
        assert_eq!(c.triage, TriageClass::Normal);
        let read = |sentiment: &str, class: &str, kind: &str| {
            let mut s = scores(false);
            s.sentiment = Some(sentiment.into());
            s.urgent_p = Some(0.7);
            s.triage = vec![TriageScore {
                class: class.into(),
                p: 0.7,
                kind: Some(kind.into()),
                threshold: 0.5,
            }];
            let mut c = c.clone();
            apply(&mut c, &s, Mode::Combined);
            c
        };
        let positive = read("positive", "urgent", "wrong_treatment");
        assert_eq!(positive.triage, TriageClass::PossibleUrgent);
        assert_eq!(positive.triage_reasons[0].id, "wrong_treatment");
        assert!(
            positive.triage_reasons[0]
                .evidence
                .rule
                .contains("positive comment"),
            "{:?}",
            positive.triage_reasons
        );
        assert_eq!(
            read("positive", "possible_urgent", "neglect").triage,
            TriageClass::Normal
        );
        // Read as a complaint, the model's flag stands.
        assert_eq!(
            read("negative", "urgent", "wrong_treatment").triage,
            TriageClass::Urgent
        );
        // A farewell worded as thanks, or a threat worded politely, stays urgent.
        assert_eq!(
            read("positive", "urgent", "self_harm").triage,
            TriageClass::Urgent
        );
        assert_eq!(
            read("positive", "urgent", "threat").triage,
            TriageClass::Urgent
        );
        assert_eq!(
            read("positive", "possible_urgent", "self_harm").triage,
            TriageClass::PossibleUrgent
        );
    }

    #[test]
    fn on_a_survey_answer_the_model_alone_flags_urgent_only_when_nearly_sure() {
        let c = rules("Jonotin puhelimessa tunnin ennen kuin pääsin läpi.");
        assert_eq!(c.triage, TriageClass::Normal);
        let read = |nps: Option<u8>, p: f32| {
            let mut s = scores(false);
            s.urgent_p = Some(p);
            s.nps = nps;
            s.triage = vec![TriageScore {
                class: "urgent".into(),
                p,
                kind: Some("self_harm".into()),
                threshold: 0.52,
            }];
            let mut c = c.clone();
            apply(&mut c, &s, Mode::Combined);
            c
        };
        // A letter (no score) the model finds urgent is urgent.
        assert_eq!(read(None, 0.83).triage, TriageClass::Urgent);
        // A survey answer at the same score is read the same day, not first.
        let survey = read(Some(3), 0.83);
        assert_eq!(survey.triage, TriageClass::PossibleUrgent);
        let reason = &survey.triage_reasons[0];
        assert_eq!(reason.id, "self_harm", "the kind stays named");
        assert!(
            reason.evidence.rule.contains("survey answer") && reason.evidence.rule.contains("0.93"),
            "{reason:?}"
        );
        // One the model is nearly sure of is urgent: at a fiftieth's share its odds still
        // favour urgent.
        assert_eq!(read(Some(3), 0.96).triage, TriageClass::Urgent);
        // The rules' urgent flag on a survey answer stands.
        let rule_urgent = rules("Äiti on ollut lääkkeittä kaksi päivää.");
        let mut s = scores(false);
        s.nps = Some(2);
        let mut r = rule_urgent.clone();
        apply(&mut r, &s, Mode::Combined);
        assert_eq!(r.triage, TriageClass::Urgent);
    }

    #[test]
    fn the_models_urgent_reading_of_a_handled_letter_is_lowered_but_not_a_threats() {
        let read = |text: &str, kind: &str| {
            let mut s = scores(false);
            s.urgent_p = Some(0.8);
            s.triage = vec![TriageScore {
                class: "urgent".into(),
                p: 0.8,
                kind: Some(kind.into()),
                threshold: 0.5,
            }];
            let mut c = rules(text);
            apply(&mut c, &s, Mode::Combined);
            c
        };
        let text = "Haava tulehtui leikkauksen jälkeen. Nyt olen toipunut hyvin.";
        let handled = read(text, "harm_after_care");
        assert_eq!(handled.triage, TriageClass::PossibleUrgent);
        assert!(
            handled
                .triage_reasons
                .iter()
                .any(|r| r.id == crate::domain::HANDLED),
            "{:?}",
            handled.triage_reasons
        );
        assert_eq!(read(text, "threat").triage, TriageClass::Urgent);
        let unhandled = "Haava tulehtui leikkauksen jälkeen, eikä kukaan soittanut.";
        assert_eq!(
            read(unhandled, "harm_after_care").triage,
            TriageClass::Urgent
        );
    }

    fn rules(text: &str) -> Classification {
        let t = Taxonomy::parse(crate::taxonomy::DEFAULT_TAXONOMY, "built-in").unwrap();
        Classifier::new(&t).classify(text)
    }

    fn theme(p: f32, alone: bool, combined: bool) -> ThemeScore {
        ThemeScore {
            p,
            alone,
            p_combined: p,
            combined,
            statement: combined,
        }
    }

    #[test]
    fn the_stacked_head_confirms_adds_and_overrules_rule_tags() {
        let c = rules("Jonotin puhelimessa tunnin ennen kuin pääsin läpi.");
        assert!(
            c.has_theme("access"),
            "{:?}",
            c.theme_ids().collect::<Vec<_>>()
        );
        let mut s = scores(false);
        s.themes.insert("access".into(), theme(0.91, true, true));
        s.themes
            .insert("staff_conduct".into(), theme(0.72, true, true));
        s.themes.insert("costs".into(), theme(0.02, false, false));
        let mut both = c.clone();
        apply(&mut both, &s, Mode::Combined);
        let access = both.themes.iter().find(|t| t.theme == "access").unwrap();
        assert!(access.by_rules && access.model_p == Some(0.91));
        let added = both
            .themes
            .iter()
            .find(|t| t.theme == "staff_conduct")
            .unwrap();
        assert!(!added.by_rules);
        assert_eq!(added.evidence[0].rule, "model p=0.72");
        assert!(!both.has_theme("costs"));

        // The same rule hit, and the stacked head says no: dropped, but kept as overruled.
        s.themes.insert("access".into(), theme(0.08, false, false));
        let mut overruled = c.clone();
        apply(&mut overruled, &s, Mode::Combined);
        assert!(!overruled.has_theme("access"));
        assert_eq!(overruled.overruled[0].theme, "access");
        assert_eq!(overruled.overruled[0].model_p, Some(0.08));
        // In the union the rules' tag stands whatever the model says.
        let mut union = c.clone();
        apply(&mut union, &s, Mode::Union);
        assert!(union.has_theme("access") && union.overruled.is_empty());
        // Rules mode leaves the classification as it was.
        let mut unchanged = c.clone();
        apply(&mut unchanged, &s, Mode::Rules);
        assert_eq!(unchanged, c);
    }

    #[test]
    fn the_model_raises_urgent_and_urgent_outranks_the_rest() {
        let mut c = rules("Haluan tehdä muistutuksen. Soittakaa minulle.");
        assert_eq!(c.triage, TriageClass::Formal, "{:?}", c.triage_reasons);
        let mut s = scores(false);
        s.urgent_p = Some(0.83);
        s.triage.push(TriageScore {
            class: "urgent".into(),
            p: 0.83,
            kind: Some("neglect".into()),
            threshold: 0.5,
        });
        apply(&mut c, &s, Mode::Combined);
        assert_eq!(c.triage, TriageClass::Urgent);
        let classes: Vec<TriageClass> = c.triage_reasons.iter().map(|r| r.class).collect();
        assert_eq!(classes[0], TriageClass::Urgent);
        assert!(
            classes.contains(&TriageClass::Formal),
            "every class that applies stays"
        );
        assert_eq!(c.triage_reasons[0].id, "neglect");
        assert_eq!(c.triage_reasons[0].evidence.rule, "model p=0.83");
    }

    #[test]
    fn a_statement_that_passes_gives_the_comment_its_theme() {
        let mut c = rules("Hoitaja oli ihana. Mutta lasku tuli kahdesti.");
        assert_eq!(c.statements.len(), 2, "{:?}", c.statements);
        let mut s = scores(false);
        let mut second = scores(false);
        second
            .themes
            .insert("privacy".into(), theme(0.66, true, true));
        s.statements = vec![scores(false), second];
        apply(&mut c, &s, Mode::Combined);
        let tag = c
            .themes
            .iter()
            .find(|t| t.theme == "privacy")
            .expect("from statement 2");
        assert_eq!(tag.evidence[0].rule, "model p=0.66 (statement 2)");
        assert!(c.statements[1].themes.iter().any(|t| t == "privacy"));
    }

    #[test]
    fn a_comment_of_one_statement_gives_its_statement_the_models_reading() {
        // The rules read "Otroligt vänlig personal" one way; the model the comment as a
        // whole. Its one statement (what theme polarity and the report count) must say the
        // same as the comment, not keep the rules' reading.
        let mut c = rules("Otroligt vänlig personal.");
        assert_eq!(c.statements.len(), 1, "{:?}", c.statements);
        let rules_reading = c.statements[0].sentiment;
        let other = if rules_reading == Sentiment::Negative {
            Sentiment::Positive
        } else {
            Sentiment::Negative
        };
        let mut s = scores(false);
        s.sentiment = Some(other.code().into());
        s.sentiment_p = 0.9;
        s.sentiment_one_sided = Some(other.code().into());
        apply(&mut c, &s, Mode::Combined);
        assert_eq!((c.sentiment, c.statements[0].sentiment), (other, other));
    }
}
