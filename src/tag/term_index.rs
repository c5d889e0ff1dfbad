//! Matching every term of every rule against a comment in one pass. Rules share many terms
//! and most terms match nothing, so instead of testing each pattern word by word, the index
//! looks each token up once: exact words and stems in hash maps keyed by length, compound
//! stems in one Aho-Corasick automaton. Patterns then only test bits, and a pattern with a
//! term that matched nowhere is skipped without looking at the text.

use crate::tag::pattern::{Match, Pattern, TermKeys};
use crate::text::Token;
use aho_corasick::AhoCorasick;
use std::collections::HashMap;

/// A pattern with the index ids of its terms.
#[derive(Debug, Clone)]
pub struct IndexedPattern {
    pub pattern: Pattern,
    ids: Vec<u32>,
}

/// byte length -> prefix -> (term, most characters allowed after the prefix)
type PrefixMap = HashMap<usize, HashMap<String, Vec<(u32, Option<usize>)>>>;

#[derive(Default)]
struct Builder {
    ids: HashMap<crate::tag::pattern::Term, u32>,
    exact: HashMap<String, Vec<u32>>,
    prefixes: PrefixMap,
    infixes: HashMap<String, Vec<u32>>,
}

/// Built once per classifier; shared read-only across threads.
pub struct TermIndex {
    n_terms: usize,
    plain: Lookup,
    /// The same keys with ä, ö and å folded, for comments typed without them.
    folded: Lookup,
}

struct Lookup {
    exact: HashMap<String, Vec<u32>>,
    prefix_lens: Vec<usize>,
    prefixes: PrefixMap,
    infix_ac: Option<AhoCorasick>,
    infix_ids: Vec<Vec<u32>>,
}

impl Lookup {
    fn new(
        exact: HashMap<String, Vec<u32>>,
        prefixes: PrefixMap,
        infixes: HashMap<String, Vec<u32>>,
    ) -> Self {
        let (patterns, infix_ids): (Vec<String>, Vec<Vec<u32>>) = infixes.into_iter().unzip();
        let infix_ac = (!patterns.is_empty())
            .then(|| AhoCorasick::new(&patterns).expect("infix stems are plain strings"));
        let mut prefix_lens: Vec<usize> = prefixes.keys().copied().collect();
        prefix_lens.sort_unstable();
        Lookup {
            exact,
            prefix_lens,
            prefixes,
            infix_ac,
            infix_ids,
        }
    }

    fn folded(b: &Builder) -> Self {
        let fold = crate::text::fold_diacritics;
        // Two keys that fold to one ("kö", "ko") share the entry.
        let fold_keys = |map: &HashMap<String, Vec<u32>>| {
            let mut out: HashMap<String, Vec<u32>> = HashMap::new();
            for (w, ids) in map {
                let e = out.entry(fold(w)).or_default();
                ids.iter().for_each(|i| {
                    if !e.contains(i) {
                        e.push(*i)
                    }
                });
            }
            out
        };
        let mut prefixes = PrefixMap::new();
        for by_prefix in b.prefixes.values() {
            for (p, entries) in by_prefix {
                let f = fold(p);
                prefixes
                    .entry(f.len())
                    .or_default()
                    .entry(f)
                    .or_default()
                    .extend(entries.iter().copied());
            }
        }
        Lookup::new(fold_keys(&b.exact), prefixes, fold_keys(&b.infixes))
    }

    fn scan_word(&self, w: &str, mut set: impl FnMut(u32)) {
        if let Some(ids) = self.exact.get(w) {
            ids.iter().for_each(|id| set(*id));
        }
        for &len in &self.prefix_lens {
            if len > w.len() {
                break;
            }
            if !w.is_char_boundary(len) {
                continue;
            }
            if let Some(entries) = self.prefixes[&len].get(&w[..len]) {
                for &(id, rest) in entries {
                    if rest.is_none_or(|max| w[len..].chars().count() <= max) {
                        set(id);
                    }
                }
            }
        }
        if let Some(ac) = &self.infix_ac {
            for m in ac.find_overlapping_iter(w) {
                self.infix_ids[m.pattern().as_usize()]
                    .iter()
                    .for_each(|id| set(*id));
            }
        }
    }
}

/// Which terms matched which tokens of one comment.
pub struct Hits {
    words: usize,
    bits: Vec<u64>,
    any: Vec<u64>,
}

impl Hits {
    fn has(&self, term: u32, token: usize) -> bool {
        let t = term as usize;
        self.bits[token * self.words + t / 64] & (1 << (t % 64)) != 0
    }

    fn anywhere(&self, term: u32) -> bool {
        let t = term as usize;
        self.any[t / 64] & (1 << (t % 64)) != 0
    }
}

#[derive(Default)]
pub struct IndexBuilder(Builder);

impl IndexBuilder {
    /// Registers a pattern's terms and returns it with their ids.
    pub fn add(&mut self, pattern: Pattern) -> IndexedPattern {
        let b = &mut self.0;
        let ids = pattern
            .terms()
            .iter()
            .map(|term| {
                if let Some(id) = b.ids.get(term) {
                    return *id;
                }
                let id = b.ids.len() as u32;
                b.ids.insert(term.clone(), id);
                // An alternative's words all set the same term id.
                for key in term.keys() {
                    match key {
                        TermKeys::Exact(w) => {
                            let ids = b.exact.entry(w.to_string()).or_default();
                            if !ids.contains(&id) {
                                ids.push(id);
                            }
                        }
                        TermKeys::Stems { prefixes, infixes } => {
                            for (p, rest) in prefixes {
                                b.prefixes
                                    .entry(p.len())
                                    .or_default()
                                    .entry(p.to_string())
                                    .or_default()
                                    .push((id, rest));
                            }
                            for i in infixes {
                                let ids = b.infixes.entry(i.to_string()).or_default();
                                if !ids.contains(&id) {
                                    ids.push(id);
                                }
                            }
                        }
                    }
                }
                id
            })
            .collect();
        IndexedPattern { pattern, ids }
    }

    pub fn build(self) -> TermIndex {
        let b = self.0;
        let folded = Lookup::folded(&b);
        TermIndex {
            n_terms: b.ids.len(),
            plain: Lookup::new(b.exact, b.prefixes, b.infixes),
            folded,
        }
    }
}

impl TermIndex {
    pub fn scan(&self, tokens: &[Token]) -> Hits {
        self.scan_with(tokens, crate::text::written_without_diacritics(tokens))
    }

    /// `folded`: match the rules' keys with å, ä and ö folded (for a comment typed without).
    pub fn scan_with(&self, tokens: &[Token], folded: bool) -> Hits {
        let words = self.n_terms.div_ceil(64).max(1);
        let mut hits = Hits {
            words,
            bits: vec![0; words * tokens.len()],
            any: vec![0; words],
        };
        let mut set = |tok: usize, id: u32| {
            let t = id as usize;
            hits.bits[tok * words + t / 64] |= 1 << (t % 64);
            hits.any[t / 64] |= 1 << (t % 64);
        };
        // Folded keys only for a comment with no å, ä or ö at all: in one that has them,
        // "paa" is not "pää".
        let lookup = if folded { &self.folded } else { &self.plain };
        for (i, token) in tokens.iter().enumerate() {
            lookup.scan_word(&token.norm, |id| set(i, id));
        }
        hits
    }
}

impl IndexedPattern {
    /// Every non-overlapping match in the scanned comment.
    pub fn find_all(&self, hits: &Hits, n_tokens: usize) -> Vec<Match> {
        // A sequence needs all its words, a proximity pattern too: skip at once if one is
        // absent from the comment.
        if !self.ids.iter().all(|id| hits.anywhere(*id)) {
            return Vec::new();
        }
        self.pattern
            .find_all_with(n_tokens, |ti, tok| hits.has(self.ids[ti], tok))
    }

    /// The first match starting at each token, overlapping ones included.
    pub fn find_each_start(&self, hits: &Hits, n_tokens: usize) -> Vec<Match> {
        if !self.ids.iter().all(|id| hits.anywhere(*id)) {
            return Vec::new();
        }
        self.pattern
            .find_each_start_with(n_tokens, |ti, tok| hits.has(self.ids[ti], tok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::text::tokenize;

    /// The index must agree with the direct matcher on every pattern of the default
    /// taxonomy over the labeled comments.
    #[test]
    fn index_agrees_with_direct_matching() {
        let tax =
            crate::taxonomy::Taxonomy::parse(crate::taxonomy::DEFAULT_TAXONOMY, "default").unwrap();
        let mut b = IndexBuilder::default();
        let mut pats = Vec::new();
        for t in &tax.themes {
            for p in crate::taxonomy::compile(&t.rules)
                .into_iter()
                .chain(crate::taxonomy::compile(&t.exclude))
            {
                pats.push(b.add(p));
            }
        }
        pats.push(b.add(Pattern::parse("kö", Lang::Sv).unwrap()));
        let index = b.build();
        let texts = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/labeled/train.csv"
        ))
        .unwrap();
        let mut checked = 0;
        for line in texts
            .lines()
            .chain(["köer och kök, nettiajanvarausjärjestelmä"])
        {
            let tokens = tokenize(line);
            let hits = index.scan_with(&tokens, false);
            for p in &pats {
                assert_eq!(
                    p.find_all(&hits, tokens.len()),
                    p.pattern.find_all(&tokens),
                    "{} on {line}",
                    p.pattern.source
                );
                checked += 1;
            }
        }
        assert!(checked > 10_000);
    }

    #[test]
    fn a_comment_typed_without_diacritics_matches_folded_rules() {
        let mut b = IndexBuilder::default();
        let p = b.add(Pattern::parse("lääkäri", Lang::Fi).unwrap());
        let index = b.build();
        let plain = tokenize("laakari ei kuunnellut yhtaan");
        assert_eq!(p.find_all(&index.scan(&plain), plain.len()).len(), 1);
        // With diacritics elsewhere in the comment, "laakari" is taken as written.
        let mixed = tokenize("laakari ei kuunnellut yhtään");
        assert!(p.find_all(&index.scan(&mixed), mixed.len()).is_empty());
    }
}
