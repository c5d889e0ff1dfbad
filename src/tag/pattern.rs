//! Keyword rule patterns and how they match a tokenized comment.
//!
//! Syntax (one pattern per string in the taxonomy file):
//! - `ajanvaraus`: a base form; matches its inflections and compounds (see [`crate::tag::morph`]).
//! - `puhel*`: an explicit prefix.
//! - `=ei`: this exact word only.
//! - `"ei vastattu"` or `ei vastattu`: words in this order, at most one other word between
//!   neighbours ("ei kukaan vastannut").
//! - `soittaa takaisin ~3`: all words at most 3 words apart, in any order.
//! - `väärä osasto* ~0`: these words side by side, in this order, nothing between: "väärälle
//!   osastolle" but not "väärä lääke osastolla".
//! - `äiti|isä|=mummo`: any one of these words at this position (each with its own `=`/`*`).
//!   The taxonomy's `@concept` names expand to such alternatives before parsing, so that a
//!   triage rule can say "a dependent ... without ... food or medicine" as one pattern.

use crate::lang::Lang;
use crate::tag::morph::{lemma_stems, StemMode, Stems, MIN_INFIX_CHARS};
use crate::text::{tokenize, Token};
use thiserror::Error;

/// Words allowed between two neighbouring words of a sequence pattern (`~0`: none).
const SEQUENCE_GAP: usize = 1;
/// A lemma this short matches only itself plus a short ending ("kö" -> "kön", "köer"), not
/// every word that begins with it.
const SHORT_LEMMA_CHARS: usize = 4;
const SHORT_LEMMA_MAX_ENDING: usize = 3;

#[derive(Debug, Error, PartialEq)]
pub enum PatternError {
    #[error("empty pattern")]
    Empty,
    #[error(
        "pattern {0:?}: proximity window must be a number of words, e.g. `soittaa takaisin ~3`"
    )]
    BadWindow(String),
    #[error("pattern {0:?}: a proximity pattern needs at least two words")]
    NearNeedsTwo(String),
    #[error("pattern {0:?}: term {1:?} has no letters or digits")]
    NoWord(String, String),
    #[error("pattern {0:?}: alternative {1:?} must be one word (no spaces or hyphens)")]
    AltNotOneWord(String, String),
}

/// One word position of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    Exact(String),
    /// An explicit prefix; the bool says whether it may also match inside a compound.
    Prefix(String, bool),
    Lemma {
        lemma: String,
        stems: Stems,
    },
    /// Any one of these single-word terms.
    Any(Vec<Term>),
}

/// How a term matches, in a form an index can use.
pub enum TermKeys<'a> {
    Exact(&'a str),
    /// Prefixes (with the most characters allowed after a short one), and infixes.
    Stems {
        prefixes: Vec<(&'a str, Option<usize>)>,
        infixes: Vec<&'a str>,
    },
}

impl Term {
    /// Every way the term can match; one entry except for alternatives.
    pub fn keys(&self) -> Vec<TermKeys<'_>> {
        match self {
            Term::Any(alts) => alts.iter().flat_map(Term::keys).collect(),
            one => vec![one.key()],
        }
    }

    fn key(&self) -> TermKeys<'_> {
        match self {
            Term::Any(_) => unreachable!("alternatives are flattened by keys()"),
            Term::Exact(w) => TermKeys::Exact(w),
            Term::Prefix(p, infix) => TermKeys::Stems {
                prefixes: vec![(p, None)],
                infixes: if *infix { vec![p] } else { vec![] },
            },
            Term::Lemma { lemma, stems } if lemma.chars().count() < SHORT_LEMMA_CHARS => {
                let _ = stems;
                TermKeys::Stems {
                    prefixes: vec![(lemma, Some(SHORT_LEMMA_MAX_ENDING))],
                    infixes: vec![],
                }
            }
            Term::Lemma { stems, .. } => TermKeys::Stems {
                prefixes: stems.prefixes.iter().map(|p| (p.as_str(), None)).collect(),
                infixes: stems.infixes.iter().map(String::as_str).collect(),
            },
        }
    }

    pub fn matches(&self, token: &str) -> bool {
        match self {
            Term::Any(alts) => alts.iter().any(|a| a.matches(token)),
            Term::Exact(w) => token == w,
            Term::Prefix(p, infix) => {
                token.starts_with(p.as_str()) || (*infix && token.contains(p.as_str()))
            }
            Term::Lemma { lemma, stems } => {
                if lemma.chars().count() < SHORT_LEMMA_CHARS {
                    token
                        .strip_prefix(lemma.as_str())
                        .is_some_and(|rest| rest.chars().count() <= SHORT_LEMMA_MAX_ENDING)
                } else {
                    stems.matches(token)
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    Sequence { terms: Vec<Term>, gap: usize },
    Near { terms: Vec<Term>, window: usize },
}

/// A compiled rule pattern. `source` is the text the user wrote, shown as evidence.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub lang: Lang,
    shape: Shape,
}

/// Where a pattern matched: token indices, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub first: usize,
    pub last: usize,
}

impl Match {
    pub fn overlaps(&self, other: &Match) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    /// The matched words as they were written in the original text.
    pub fn span<'a>(&self, text: &'a str, tokens: &[Token]) -> &'a str {
        &text[tokens[self.first].start..tokens[self.last].end]
    }
}

impl Pattern {
    pub fn parse(source: &str, lang: Lang) -> Result<Pattern, PatternError> {
        let src = source.trim();
        if src.is_empty() {
            return Err(PatternError::Empty);
        }
        let (body, window) = match src.rsplit_once('~') {
            Some((body, n)) => {
                let w: usize = n
                    .trim()
                    .parse()
                    .map_err(|_| PatternError::BadWindow(src.to_string()))?;
                (body.trim(), Some(w))
            }
            None => (src, None),
        };
        let body = body.trim_matches('"');
        let mut terms = Vec::new();
        for raw in body.split_whitespace() {
            if raw.contains('|') {
                let mut alts = Vec::new();
                for alt in raw.split('|').filter(|a| !a.is_empty()) {
                    let mut t =
                        parse_term(alt, lang).map_err(|t| PatternError::NoWord(src.into(), t))?;
                    if t.len() != 1 {
                        return Err(PatternError::AltNotOneWord(src.into(), alt.into()));
                    }
                    alts.append(&mut t);
                }
                if alts.is_empty() {
                    return Err(PatternError::NoWord(src.into(), raw.into()));
                }
                terms.push(Term::Any(alts));
                continue;
            }
            terms.extend(parse_term(raw, lang).map_err(|t| PatternError::NoWord(src.into(), t))?);
        }
        if terms.is_empty() {
            return Err(PatternError::Empty);
        }
        let shape = match window {
            Some(0) => {
                if terms.len() < 2 {
                    return Err(PatternError::NearNeedsTwo(src.to_string()));
                }
                Shape::Sequence { terms, gap: 0 }
            }
            Some(window) => {
                if terms.len() < 2 {
                    return Err(PatternError::NearNeedsTwo(src.to_string()));
                }
                Shape::Near {
                    window: window.max(terms.len()),
                    terms,
                }
            }
            None => Shape::Sequence {
                terms,
                gap: SEQUENCE_GAP,
            },
        };
        Ok(Pattern {
            source: src.to_string(),
            lang,
            shape,
        })
    }

    /// The first place in `tokens` where the pattern matches.
    pub fn find(&self, tokens: &[Token]) -> Option<Match> {
        let terms = self.terms();
        self.find_from(tokens.len(), 0, &|ti: usize, tok: usize| {
            terms[ti].matches(&tokens[tok].norm)
        })
    }

    /// Every non-overlapping match, left to right.
    pub fn find_all(&self, tokens: &[Token]) -> Vec<Match> {
        let terms = self.terms();
        self.find_all_with(tokens.len(), |ti, tok| terms[ti].matches(&tokens[tok].norm))
    }

    /// Like [`find_all`](Self::find_all), with the test "term at this position of the pattern
    /// matches this token" given by the caller (an index that matched every term already).
    pub fn find_all_with(&self, n_tokens: usize, is: impl Fn(usize, usize) -> bool) -> Vec<Match> {
        self.scan(n_tokens, &is, |m| m.last + 1)
    }

    /// The first match starting at each token, overlapping ones included: a match that
    /// reaches back across a sentence ("…till mej. Kontakta mig") must not hide the one
    /// that starts after it.
    pub fn find_each_start_with(
        &self,
        n_tokens: usize,
        is: impl Fn(usize, usize) -> bool,
    ) -> Vec<Match> {
        self.scan(n_tokens, &is, |m| m.first + 1)
    }

    /// Matches left to right, each search resuming at `next(previous match)`.
    fn scan(
        &self,
        n: usize,
        is: &impl Fn(usize, usize) -> bool,
        next: impl Fn(&Match) -> usize,
    ) -> Vec<Match> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(m) = self.find_from(n, from, is) {
            from = next(&m);
            out.push(m);
        }
        out
    }

    /// The pattern's terms, in order.
    pub fn terms(&self) -> &[Term] {
        match &self.shape {
            Shape::Sequence { terms, .. } => terms,
            Shape::Near { terms, .. } => terms,
        }
    }

    fn find_from(
        &self,
        n: usize,
        from: usize,
        is: &impl Fn(usize, usize) -> bool,
    ) -> Option<Match> {
        match &self.shape {
            Shape::Sequence { terms, gap } => find_sequence(terms, *gap, n, from, is),
            Shape::Near { terms, window } => find_near(terms, *window, n, from, is),
        }
    }
}

/// One whitespace-separated term; a hyphenated one ("e-tjänst") becomes several words, as the
/// tokenizer splits the comment there too.
fn parse_term(raw: &str, lang: Lang) -> Result<Vec<Term>, String> {
    let (exact, rest) = match raw.strip_prefix('=') {
        Some(r) => (true, r),
        None => (false, raw),
    };
    let (prefix, rest) = match rest.strip_suffix('*') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let words = tokenize(rest);
    if words.is_empty() {
        return Err(raw.to_string());
    }
    let n = words.len();
    Ok(words
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let w = w.norm;
            if prefix && i + 1 == n {
                // "=vakt*": a word that starts so ("vakten", "vakterna"), never the inside
                // of a compound; without "=", compounds count too ("telefonkö*").
                let infix = !exact
                    && matches!(lang, Lang::Fi | Lang::Sv)
                    && w.chars().count() >= MIN_INFIX_CHARS;
                Term::Prefix(w, infix)
            } else if exact || (i + 1 < n && w.chars().count() < SHORT_LEMMA_CHARS) {
                Term::Exact(w)
            } else {
                let stems = lemma_stems(&w, lang, StemMode::Combined);
                Term::Lemma { lemma: w, stems }
            }
        })
        .collect())
}

fn find_sequence(
    terms: &[Term],
    gap: usize,
    n: usize,
    from: usize,
    is: &impl Fn(usize, usize) -> bool,
) -> Option<Match> {
    'start: for start in from..n {
        if !is(0, start) {
            continue;
        }
        let mut pos = start;
        for ti in 1..terms.len() {
            let limit = (pos + 2 + gap).min(n);
            match (pos + 1..limit).find(|&j| is(ti, j)) {
                Some(j) => pos = j,
                None => continue 'start,
            }
        }
        return Some(Match {
            first: start,
            last: pos,
        });
    }
    None
}

fn find_near(
    terms: &[Term],
    window: usize,
    n: usize,
    from: usize,
    is: &impl Fn(usize, usize) -> bool,
) -> Option<Match> {
    for start in from..n {
        if !(0..terms.len()).any(|ti| is(ti, start)) {
            continue;
        }
        let end = (start + window + 1).min(n);
        let mut last = start;
        let all = (0..terms.len()).all(|ti| {
            (start..end)
                .find(|&j| is(ti, j))
                .map(|j| last = last.max(j))
                .is_some()
        });
        if all {
            return Some(Match { first: start, last });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(pattern: &str, lang: Lang, text: &str) -> Option<String> {
        let p = Pattern::parse(pattern, lang).expect("pattern parses");
        let tokens = tokenize(text);
        p.find(&tokens).map(|m| m.span(text, &tokens).to_string())
    }

    #[test]
    fn lemma_matches_inflection_in_text() {
        assert_eq!(
            hit("ajanvaraus", Lang::Fi, "Nettiajanvaraus ei toiminut"),
            Some("Nettiajanvaraus".into())
        );
    }

    #[test]
    fn sequence_allows_one_word_between() {
        assert_eq!(
            hit("\"ei vastattu\"", Lang::Fi, "Puhelimeen ei vastattu."),
            Some("ei vastattu".into())
        );
        assert_eq!(
            hit("inte fått", Lang::Sv, "Jag har inte ännu fått svar"),
            Some("inte ännu fått".into())
        );
        assert_eq!(hit("inte fått", Lang::Sv, "inte har jag ännu fått"), None);
    }

    #[test]
    fn a_zero_window_means_side_by_side_in_order() {
        let p = "väärä osasto* ~0";
        assert_eq!(
            hit(p, Lang::Fi, "Minut lähetettiin väärälle osastolle."),
            Some("väärälle osastolle".into())
        );
        assert_eq!(hit(p, Lang::Fi, "Sain väärän lääkkeen osastolla."), None);
        assert_eq!(hit(p, Lang::Fi, "Osasto oli väärä."), None);
        assert!(matches!(
            Pattern::parse("väärä ~0", Lang::Fi),
            Err(PatternError::NearNeedsTwo(_))
        ));
    }

    #[test]
    fn proximity_in_any_order() {
        assert_eq!(
            hit(
                "soittaa takaisin ~3",
                Lang::Fi,
                "takaisin ei kukaan soittanut"
            ),
            Some("takaisin ei kukaan soittanut".into())
        );
        assert_eq!(
            hit(
                "soittaa takaisin ~3",
                Lang::Fi,
                "takaisin tultiin ja sitten soitettiin"
            ),
            None
        );
    }

    #[test]
    fn every_start_is_tried_so_an_overlapping_match_is_not_hidden() {
        let p = Pattern::parse("=kontakta =mig|=mej ~2", Lang::Sv).unwrap();
        let tokens = tokenize("hem till mej. Kontakta mig snarast");
        let spans: Vec<(usize, usize)> = p
            .find_each_start_with(tokens.len(), |ti, tok| {
                p.terms()[ti].matches(&tokens[tok].norm)
            })
            .iter()
            .map(|m| (m.first, m.last))
            .collect();
        assert_eq!(spans, vec![(2, 3), (3, 4)]);
        assert_eq!(p.find_all(&tokens).len(), 1);
    }

    #[test]
    fn exact_and_prefix_terms() {
        assert_eq!(hit("=ei", Lang::Fi, "eikä"), None);
        assert!(hit("puhel*", Lang::Fi, "puhelinjono").is_some());
        assert!(hit("kö", Lang::Sv, "köerna är långa").is_none());
        assert!(hit("kö", Lang::Sv, "köer överallt").is_some());
        // "=vakt*" is a prefix of whole words (its star was once dropped for the "=").
        assert!(hit("=vakt*", Lang::Sv, "hotade att ringa vakten").is_some());
        assert!(hit("=vakt*", Lang::Sv, "ringa vakt").is_some());
        assert!(hit("=vakt*", Lang::Sv, "ringa nattvakten").is_none());
        assert!(hit("=hoitaja*", Lang::Fi, "lähihoitajat kiireisiä").is_none());
        assert!(hit("hoitaja*", Lang::Fi, "lähihoitajat kiireisiä").is_some());
    }

    #[test]
    fn alternatives_match_any_one_word() {
        let p = "äiti|isä|=mummo ilman ~3";
        assert_eq!(
            hit(p, Lang::Fi, "Äitini jäi ilman lääkkeitä"),
            Some("Äitini jäi ilman".into())
        );
        assert!(hit(p, Lang::Fi, "isä on ollut ilman ruokaa").is_some());
        assert!(
            hit(p, Lang::Fi, "mummolle ilman").is_none(),
            "=mummo is exact"
        );
        assert!(hit(p, Lang::Fi, "veli oli ilman ruokaa").is_none());
        assert!(matches!(
            Pattern::parse("a|e-tjänst b", Lang::Sv),
            Err(PatternError::AltNotOneWord(..))
        ));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert_eq!(
            Pattern::parse("  ", Lang::Fi).unwrap_err(),
            PatternError::Empty
        );
        assert!(matches!(
            Pattern::parse("a b ~x", Lang::Fi),
            Err(PatternError::BadWindow(_))
        ));
        assert!(matches!(
            Pattern::parse("yksi ~3", Lang::Fi),
            Err(PatternError::NearNeedsTwo(_))
        ));
    }
}
