//! Comment sentiment from cue words, with negation. A negator up to three words before a
//! positive cue (or right after it, as in Swedish "fungerade inte") turns it negative; a
//! negated negative cue counts for nothing, since "ei tarvinnut odottaa" is praise but
//! "ei jaksa odottaa" is not. Phrases that carry their own negator ("ei valittamista") are
//! cues as written. A comment without cues that negates something ("tulkkia ei
//! järjestetty") is negative: in feedback, a negated verb is almost always a complaint.

use crate::domain::Sentiment;
use crate::lang::Lang;
use crate::tag::pattern::{Match, Pattern};
use crate::tag::term_index::{Hits, IndexBuilder, IndexedPattern};
use crate::taxonomy::Taxonomy;
use crate::text::Token;
use std::collections::HashSet;

/// Words before a cue that a negator may stand at.
pub const NEGATION_WINDOW: usize = 3;

pub struct SentimentModel {
    positive: Vec<IndexedPattern>,
    negative: Vec<IndexedPattern>,
    negators: Vec<(Lang, HashSet<String>)>,
}

/// Words after a cue where a negator still applies ("fungerade inte").
const NEGATION_AFTER: usize = 1;

impl SentimentModel {
    pub fn new(taxonomy: &Taxonomy, index: &mut IndexBuilder) -> Self {
        let mut m = SentimentModel {
            positive: Vec::new(),
            negative: Vec::new(),
            negators: Vec::new(),
        };
        for (code, cues) in &taxonomy.sentiment {
            let Some(lang) = Lang::from_code(code) else {
                continue;
            };
            let parse = |p: &String| Pattern::parse(p, lang).ok();
            let pos: Vec<Pattern> = cues.positive.iter().filter_map(parse).collect();
            let neg: Vec<Pattern> = cues.negative.iter().filter_map(parse).collect();
            m.positive.extend(pos.into_iter().map(|p| index.add(p)));
            m.negative.extend(neg.into_iter().map(|p| index.add(p)));
            m.negators.push((
                lang,
                cues.negators
                    .iter()
                    .map(|w| w.trim().to_lowercase())
                    .collect(),
            ));
        }
        m
    }

    fn is_negator(&self, word: &str, lang: Option<Lang>) -> bool {
        self.negators
            .iter()
            .any(|(l, set)| lang.is_none_or(|x| x == *l) && set.contains(word))
    }

    /// True when a negator of `lang` (None: any language) stands in the `before` words
    /// preceding token `at` or the `after` words following it.
    pub fn negated(
        &self,
        tokens: &[Token],
        at: usize,
        before: usize,
        after: usize,
        lang: Option<Lang>,
    ) -> bool {
        let from = at.saturating_sub(before);
        let to = (at + after + 1).min(tokens.len());
        (from..to).any(|i| i != at && self.is_negator(&tokens[i].norm, lang))
    }

    /// Sentiment of a tokenized comment; `lang` limits cues and negators to that language
    /// (None when the language is uncertain).
    pub fn classify(
        &self,
        text: &str,
        tokens: &[Token],
        hits: &Hits,
        lang: Option<Lang>,
    ) -> Sentiment {
        // Collect every cue match; where cues overlap the longest one wins, so that
        // "epäkohtelias" counts as negative and not also as "kohtelias".
        let mut found: Vec<(Match, Option<bool>, usize)> = Vec::new();
        for (patterns, positive) in [(&self.positive, true), (&self.negative, false)] {
            for ip in patterns
                .iter()
                .filter(|p| lang.is_none_or(|l| p.pattern.lang == l))
            {
                let p = &ip.pattern;
                let self_negating = p
                    .source
                    .split_whitespace()
                    .any(|w| self.is_negator(w.trim_matches(['"', '=', '*']), Some(p.lang)));
                for m in ip.find_all(hits, tokens.len()) {
                    let negated = !self_negating
                        && self.negated(tokens, m.first, NEGATION_WINDOW, 0, Some(p.lang))
                        || !self_negating
                            && self.negated(tokens, m.last, 0, NEGATION_AFTER, Some(p.lang))
                            && p.lang != Lang::Fi;
                    let polarity = match (positive, negated) {
                        (true, false) => Some(true),
                        (true, true) => Some(false),
                        (false, false) => Some(false),
                        (false, true) => None,
                    };
                    found.push((m, polarity, p.source.chars().count()));
                }
            }
        }
        found.sort_by_key(|f| std::cmp::Reverse(f.2));
        let mut kept: Vec<(Match, Option<bool>)> = Vec::new();
        for (m, polarity, _) in found {
            if !kept.iter().any(|(k, _)| k.overlaps(&m)) {
                kept.push((m, polarity));
            }
        }
        // Emoji are cues in every language; a row of the same one counts once.
        let mut emoji: Vec<char> = text
            .chars()
            .filter(|c| crate::text::emoji_polarity(*c) != 0)
            .collect();
        emoji.dedup();
        let emoji_pos = emoji
            .iter()
            .filter(|c| crate::text::emoji_polarity(**c) > 0)
            .count();
        let emoji_neg = emoji.len() - emoji_pos;
        let pos = kept.iter().filter(|(_, p)| *p == Some(true)).count() + emoji_pos;
        let neg = kept.iter().filter(|(_, p)| *p == Some(false)).count() + emoji_neg;
        if pos == 0 && neg == 0 {
            let negates = tokens.iter().any(|t| self.is_negator(&t.norm, lang));
            return if negates {
                Sentiment::Negative
            } else {
                Sentiment::Neutral
            };
        }
        match (pos, neg) {
            (0, 0) => Sentiment::Neutral,
            (_, 0) => Sentiment::Positive,
            (0, _) => Sentiment::Negative,
            (p, n) if p > 2 * n => Sentiment::Positive,
            (p, n) if n > 2 * p => Sentiment::Negative,
            _ => Sentiment::Mixed,
        }
    }
}
