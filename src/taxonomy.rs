//! The theme taxonomy file (`models/taxonomy.toml`): themes with labels, definitions,
//! example phrasings and keyword rules per language, plus sentiment cue words and triage
//! rules. Users edit it; [`Taxonomy::load`] validates it with messages that name the theme
//! and pattern at fault.

use crate::domain::{Sentiment, TriageClass};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::tag::pattern::Pattern;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// The taxonomy that ships with palaute, used when no file is given and none is found in
/// `models/` under the working directory.
pub const DEFAULT_TAXONOMY: &str = match std::str::from_utf8(crate::datafile::TAXONOMY.bytes) {
    Ok(s) => s,
    Err(_) => panic!("models/taxonomy.toml is not UTF-8"),
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub fi: String,
    pub sv: String,
    pub en: String,
}

impl Labels {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fi => &self.fi,
            Lang::Sv => &self.sv,
            Lang::En | Lang::Other => &self.en,
        }
    }
}

/// Patterns per language code (`fi`, `sv`, `en`).
pub type RulesByLang = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeDef {
    pub id: String,
    pub label: Labels,
    pub definition: String,
    #[serde(default)]
    pub not_covered: String,
    /// Example phrasings per language; the model uses them for themes with few labels.
    #[serde(default)]
    pub examples: RulesByLang,
    #[serde(default)]
    pub rules: RulesByLang,
    /// A rule match that overlaps an exclude match does not count ("odotustila" is about the
    /// waiting room, not about waiting).
    #[serde(default)]
    pub exclude: RulesByLang,
    /// Sentiment of a comment with this theme and no cue words: an incident ("sain toisen
    /// potilaan lääkkeet") is negative without saying so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leans: Option<Sentiment>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentCues {
    #[serde(default)]
    pub positive: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
    /// Words that flip the polarity of a cue up to three words after them.
    #[serde(default)]
    pub negators: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageDef {
    /// What the reason says, e.g. `muistutus` or `self_harm`.
    pub id: String,
    pub class: TriageClass,
    #[serde(default)]
    pub rules: RulesByLang,
    #[serde(default)]
    pub exclude: RulesByLang,
    /// The reason is withdrawn when the model reads the comment as positive: a medical
    /// event named with nothing gone wrong, as in a thank-you letter after an infection.
    /// Only for possible_urgent signs that name an event, never for a kind of harm (a
    /// farewell can read as a thank-you).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unless_positive: bool,
    /// A possible_urgent sign becomes urgent, of kind `urgent_as`, when one of these other
    /// triage reasons stands in the same comment: an illness word alone is a sign to check,
    /// but next to a patient injury notification the writer says care went wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urgent_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent_as: Option<String>,
}

/// Words saying that a matter has been handled and nobody is at risk now ("nyt hän on
/// kunnossa", "ingen kom till skada", "nothing bad happened"): they lower a letter's urgent
/// flags to possible_urgent, except those of the kinds in `keeps`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandledDef {
    /// Triage ids (kinds of urgency) whose flags stand whatever the letter says.
    #[serde(default)]
    pub keeps: Vec<String>,
    #[serde(default)]
    pub rules: RulesByLang,
    #[serde(default)]
    pub exclude: RulesByLang,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub version: String,
    #[serde(rename = "theme")]
    pub themes: Vec<ThemeDef>,
    /// Cue words per language code.
    #[serde(default)]
    pub sentiment: BTreeMap<String, SentimentCues>,
    #[serde(default, rename = "triage")]
    pub triage: Vec<TriageDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled: Option<HandledDef>,
    /// Named word lists per language (`[concept.fi] dependent = ["äiti", "isä", …]`); a rule
    /// term `@dependent` stands for any one of them. Lets a rule describe a kind of event
    /// ("a dependent … without … medicine") instead of listing every sentence.
    #[serde(default)]
    pub concept: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Where it was loaded from; not part of the file.
    #[serde(skip)]
    pub source: String,
}

impl Taxonomy {
    /// Loads a taxonomy file, or the default one (`models/taxonomy.toml` in the working
    /// directory if present, else the copy built into the binary).
    pub fn load(path: Option<&Path>) -> Result<Taxonomy> {
        let file = crate::datafile::TAXONOMY
            .load(path)
            .map_err(|e| Error::io(crate::datafile::TAXONOMY.path_for_errors(path), e))?;
        let source = file.origin.describe();
        let text = file.text().map_err(|message| Error::Taxonomy {
            path: source.clone(),
            message,
        })?;
        Taxonomy::parse(text, &source)
    }

    pub fn parse(text: &str, source: &str) -> Result<Taxonomy> {
        let mut t: Taxonomy = toml::from_str(text).map_err(|e| Error::Taxonomy {
            path: source.to_string(),
            message: e.to_string(),
        })?;
        t.source = source.to_string();
        let mut problems = t.expand_concepts();
        problems.extend(t.problems());
        if !problems.is_empty() {
            return Err(Error::Taxonomy {
                path: source.to_string(),
                message: problems.join("; "),
            });
        }
        Ok(t)
    }

    /// A short fingerprint of the content, so that reports and trained heads can say which
    /// taxonomy they were made with.
    pub fn fingerprint(&self) -> String {
        let text = toml::to_string(self).unwrap_or_default();
        crate::fingerprint::short(&[text.as_bytes()])
    }

    pub fn theme_ids(&self) -> Vec<&str> {
        self.themes.iter().map(|t| t.id.as_str()).collect()
    }

    /// Replaces `@name` terms in every rule with the concept's words as alternatives
    /// (`a|b|c`), per language; unknown names are problems.
    fn expand_concepts(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        let concept = self.concept.clone();
        let mut expand = |what: &str, map: &mut RulesByLang| {
            for (code, pats) in map.iter_mut() {
                for p in pats.iter_mut() {
                    if !p.contains('@') {
                        continue;
                    }
                    let words: Vec<String> = p
                        .split(' ')
                        .map(|w| {
                            let (lead, rest) = w.split_at(w.len() - w.trim_start_matches('"').len());
                            let Some(name) = rest.strip_prefix('@') else {
                                return w.to_string();
                            };
                            let (name, tail) = name.split_at(
                                name.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                                    .unwrap_or(name.len()),
                            );
                            match concept.get(code).and_then(|c| c.get(name)) {
                                Some(list) if !list.is_empty() => {
                                    format!("{lead}{}{tail}", list.join("|"))
                                }
                                _ => {
                                    problems.push(format!(
                                        "{what}.{code}: pattern {p:?} names @{name}, but [concept.{code}] has no {name:?}"
                                    ));
                                    w.to_string()
                                }
                            }
                        })
                        .collect();
                    *p = words.join(" ");
                }
            }
        };
        for th in &mut self.themes {
            expand(&format!("theme {:?} rules", th.id), &mut th.rules);
            expand(&format!("theme {:?} exclude", th.id), &mut th.exclude);
        }
        for tr in &mut self.triage {
            expand(&format!("triage {:?} rules", tr.id), &mut tr.rules);
            expand(&format!("triage {:?} exclude", tr.id), &mut tr.exclude);
        }
        if let Some(h) = &mut self.handled {
            expand("handled rules", &mut h.rules);
            expand("handled exclude", &mut h.exclude);
        }
        problems
    }

    /// Structural problems that make the file unusable.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.themes.is_empty() {
            out.push("no [[theme]] entries".to_string());
        }
        let mut seen = HashSet::new();
        for th in &self.themes {
            let id = &th.id;
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                out.push(format!(
                    "theme id {id:?} must be lowercase letters, digits and _"
                ));
            }
            if !seen.insert(id.clone()) {
                out.push(format!("theme id {id:?} appears twice"));
            }
            let n_rules: usize = th.rules.values().map(Vec::len).sum();
            let n_examples: usize = th.examples.values().map(Vec::len).sum();
            if n_rules == 0 && n_examples == 0 {
                out.push(format!("theme {id:?} is empty: give it rules or examples"));
            }
            for (what, map) in [("rules", &th.rules), ("exclude", &th.exclude)] {
                check_patterns(&mut out, &format!("theme {id:?} {what}"), map);
            }
            check_langs(&mut out, &format!("theme {id:?} examples"), &th.examples);
        }
        for (code, cues) in &self.sentiment {
            match Lang::from_code(code) {
                Some(lang) => {
                    for p in cues.positive.iter().chain(&cues.negative) {
                        if let Err(e) = Pattern::parse(p, lang) {
                            out.push(format!("sentiment.{code}: {e}"));
                        }
                    }
                }
                None => out.push(format!("sentiment: unknown language {code:?}")),
            }
        }
        for tr in &self.triage {
            if tr.class == TriageClass::Normal {
                out.push(format!(
                    "triage {:?}: class normal needs no rules (it is what remains)",
                    tr.id
                ));
            }
            check_patterns(&mut out, &format!("triage {:?} rules", tr.id), &tr.rules);
            check_patterns(
                &mut out,
                &format!("triage {:?} exclude", tr.id),
                &tr.exclude,
            );
            for id in &tr.urgent_with {
                if !self.triage.iter().any(|t| &t.id == id) {
                    out.push(format!(
                        "triage {:?} urgent_with {id:?}, but no [[triage]] has that id",
                        tr.id
                    ));
                }
            }
            if tr.urgent_with.is_empty() != tr.urgent_as.is_none() {
                out.push(format!(
                    "triage {:?}: urgent_with and urgent_as go together",
                    tr.id
                ));
            } else if !tr.urgent_with.is_empty() && tr.class != TriageClass::PossibleUrgent {
                out.push(format!(
                    "triage {:?}: urgent_with raises a possible_urgent sign; this one is {}",
                    tr.id,
                    tr.class.code()
                ));
            }
        }
        if let Some(h) = &self.handled {
            check_patterns(&mut out, "handled rules", &h.rules);
            check_patterns(&mut out, "handled exclude", &h.exclude);
            for id in &h.keeps {
                if !self
                    .triage
                    .iter()
                    .any(|t| &t.id == id && t.class == TriageClass::Urgent)
                {
                    out.push(format!(
                        "handled keeps {id:?}, but no urgent [[triage]] has that id"
                    ));
                }
            }
        }
        out
    }
}

fn check_langs(out: &mut Vec<String>, what: &str, map: &RulesByLang) {
    for code in map.keys() {
        if !matches!(Lang::from_code(code), Some(Lang::Fi | Lang::Sv | Lang::En)) {
            out.push(format!(
                "{what}: unknown language {code:?} (use fi, sv, en)"
            ));
        }
    }
}

fn check_patterns(out: &mut Vec<String>, what: &str, map: &RulesByLang) {
    check_langs(out, what, map);
    for (code, pats) in map {
        let Some(lang) = Lang::from_code(code) else {
            continue;
        };
        for p in pats {
            if let Err(e) = Pattern::parse(p, lang) {
                out.push(format!("{what}.{code}: {e}"));
            }
        }
    }
}

/// Compiles the patterns of a per-language map.
pub fn compile(map: &RulesByLang) -> Vec<Pattern> {
    map.iter()
        .filter_map(|(code, pats)| Lang::from_code(code).map(|l| (l, pats)))
        .flat_map(|(lang, pats)| {
            pats.iter()
                .filter_map(move |p| Pattern::parse(p, lang).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_taxonomy_loads_with_the_spec_themes() {
        let t = Taxonomy::parse(DEFAULT_TAXONOMY, "default").expect("default taxonomy is valid");
        let ids = t.theme_ids();
        for id in [
            "communication",
            "e_services",
            "process_guidance",
            "access",
            "staff_conduct",
            "care_quality",
            "language",
            "facilities",
            "costs",
            "patient_safety",
            "privacy",
        ] {
            assert!(ids.contains(&id), "{id} missing");
        }
    }

    #[test]
    fn problems_name_the_theme_and_pattern() {
        let text = r#"
version = "x"
[[theme]]
id = "Bad Id"
label = { fi = "a", sv = "b", en = "c" }
definition = "d"
rules.fi = ["a b ~x"]
[[theme]]
id = "empty"
label = { fi = "a", sv = "b", en = "c" }
definition = "d"
"#;
        let err = Taxonomy::parse(text, "t.toml").unwrap_err().to_string();
        assert!(err.contains("\"Bad Id\" must be lowercase"), "{err}");
        assert!(err.contains("proximity window"), "{err}");
        assert!(err.contains("theme \"empty\" is empty"), "{err}");
    }

    #[test]
    fn urgent_with_must_name_a_reason_and_a_kind() {
        let text = r#"
version = "x"
[[theme]]
id = "access"
label = { fi = "a", sv = "b", en = "c" }
definition = "d"
rules.fi = ["jono"]
[[triage]]
id = "illness_only"
class = "possible_urgent"
rules.fi = ["infektio*"]
urgent_with = ["potilasvahinko"]
urgent_as = "harm_after_care"
[[triage]]
id = "muistutus"
class = "formal"
rules.fi = ["muistutus"]
urgent_with = ["illness_only"]
"#;
        let err = Taxonomy::parse(text, "t.toml").unwrap_err().to_string();
        assert!(
            err.contains("urgent_with \"potilasvahinko\", but no [[triage]]"),
            "{err}"
        );
        assert!(
            err.contains("\"muistutus\": urgent_with and urgent_as go together"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_reported_with_position() {
        let err = Taxonomy::parse("version = \"x\"\nthemes = []\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.toml") && err.contains("themes"), "{err}");
    }
}
