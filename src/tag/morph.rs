//! Finnish and Swedish morphology for keyword rules: from the base form a rule author writes
//! ("ajanvaraus", "tidsbokning") to the stems that its inflected and compound forms start with
//! or contain ("ajanvarauksen", "nettiajanvaraus", "webbtidsbokningen").
//!
//! Two sources of stems are combined: the Snowball stemmer (via `rust-stemmers`) and
//! hand-written stem alternations for the inflection types Snowball leaves alone (consonant
//! gradation, -nen/-us/-in nouns, Swedish vowel drop). `examples/morph_eval.rs` measures each
//! alone and together on treebank lemma lists; see the README for the figures.

use crate::lang::Lang;
use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;

/// Which stems a lemma term expands to. `Combined` is what the rules use; the others exist
/// so that the choice can be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StemMode {
    /// Only the Snowball stem of the lemma, as a prefix.
    Snowball,
    /// Only the hand-written alternations, as prefixes.
    Alternations,
    /// Both.
    Combined,
}

/// Stems shorter than this are too unspecific to use as prefixes; the full lemma still is.
const MIN_STEM_CHARS: usize = 4;
/// A stem must be at least this long to match inside a compound ("nettiajanvaraus"); shorter
/// ones would match inside unrelated words.
pub const MIN_INFIX_CHARS: usize = 6;

fn stemmer(lang: Lang) -> Option<&'static Stemmer> {
    static FI: OnceLock<Stemmer> = OnceLock::new();
    static SV: OnceLock<Stemmer> = OnceLock::new();
    static EN: OnceLock<Stemmer> = OnceLock::new();
    match lang {
        Lang::Fi => Some(FI.get_or_init(|| Stemmer::create(Algorithm::Finnish))),
        Lang::Sv => Some(SV.get_or_init(|| Stemmer::create(Algorithm::Swedish))),
        Lang::En => Some(EN.get_or_init(|| Stemmer::create(Algorithm::English))),
        Lang::Other => None,
    }
}

/// The Snowball stem of one word (lowercase), or the word itself for languages without one.
pub fn snowball(word: &str, lang: Lang) -> String {
    match stemmer(lang) {
        Some(s) => s.stem(word).into_owned(),
        None => word.to_string(),
    }
}

/// Stems snowball gives that are shorter than this are too aggressive ("kesk" for
/// "keskenään", "kuul" for "kuullen") and are not used.
const MIN_SNOWBALL_CHARS: usize = 5;

/// What a lemma term matches: tokens that start with one of `prefixes`, or, for compounds,
/// contain one of `infixes` ("nettiajanvaraus" contains "ajanvarau").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stems {
    pub prefixes: Vec<String>,
    pub infixes: Vec<String>,
}

impl Stems {
    pub fn matches(&self, token: &str) -> bool {
        self.prefixes.iter().any(|s| token.starts_with(s.as_str()))
            || self.infixes.iter().any(|s| token.contains(s.as_str()))
    }
}

/// The stems of a lemma. The lemma itself is always a prefix.
pub fn lemma_stems(lemma: &str, lang: Lang, mode: StemMode) -> Stems {
    let lemma = lemma.to_lowercase();
    let lemma_chars = lemma.chars().count();
    let mut candidates = vec![lemma.clone()];
    if matches!(mode, StemMode::Snowball | StemMode::Combined) {
        let s = snowball(&lemma, lang);
        if s.chars().count() >= MIN_SNOWBALL_CHARS {
            candidates.push(s);
        }
    }
    if matches!(mode, StemMode::Alternations | StemMode::Combined) {
        match lang {
            Lang::Fi => candidates.extend(finnish_alternations(&lemma)),
            Lang::Sv => candidates.extend(swedish_alternations(&lemma)),
            Lang::En | Lang::Other => {}
        }
    }
    let mut prefixes: Vec<String> = Vec::new();
    for s in &candidates {
        let ok = *s == lemma || s.chars().count() >= MIN_STEM_CHARS;
        if ok && !prefixes.contains(s) {
            prefixes.push(s.clone());
        }
    }
    // Compound heads: only long stems close to the whole lemma, and only in languages that
    // write compounds as one word. A verb stem ("ilmoit" of "ilmoittaa") inside a compound
    // is usually another word ("ilmoittautuminen").
    let mut infixes: Vec<String> = Vec::new();
    if matches!(lang, Lang::Fi | Lang::Sv) {
        for s in &prefixes {
            let n = s.chars().count();
            if n >= MIN_INFIX_CHARS && n + 2 >= lemma_chars && !infixes.contains(s) {
                infixes.push(s.clone());
            }
        }
    }
    Stems {
        prefixes: minimal(prefixes, |s, o| s.starts_with(o)),
        infixes: minimal(infixes, |s, o| s.contains(o)),
    }
}

/// Drops entries that another entry already covers.
fn minimal(v: Vec<String>, covers: impl Fn(&str, &str) -> bool) -> Vec<String> {
    v.iter()
        .filter(|s| !v.iter().any(|o| o != *s && covers(s, o)))
        .cloned()
        .collect()
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ä' | 'ö' | 'å')
}

fn drop_last(s: &str, n: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars[..chars.len().saturating_sub(n)].iter().collect()
}

/// Finnish: strip the ending that changes under inflection and apply consonant gradation both
/// ways, so "soitto" also gives "soito" (soiton), "hammas" gives "hampa" (hampaan), "puhelin"
/// gives "puhelim" (puhelimen), "ihminen" gives "ihmis" (ihmisen).
fn finnish_alternations(w: &str) -> Vec<String> {
    let mut cores: Vec<String> = Vec::new();
    // Cores whose final consonant cluster still grades (hammas -> hampaa, lähete -> lähette).
    let mut vowel_cores: Vec<String> = Vec::new();
    let chars: Vec<char> = w.chars().collect();
    let n = chars.len();
    if n < 3 {
        return cores;
    }
    let last = chars[n - 1];
    let prev = chars[n - 2];
    if w.ends_with("nen") {
        cores.push(format!("{}s", drop_last(w, 3)));
    } else if (w.ends_with("us") || w.ends_with("ys") || w.ends_with("os") || w.ends_with("ös"))
        && n > 4
    {
        // -us nouns: ajanvaraus -> ajanvarauksen / ajanvarausta / rakkauden
        cores.push(drop_last(w, 1));
    } else if w.ends_with("as") || w.ends_with("äs") || w.ends_with("es") || w.ends_with("is") {
        // hammas -> hampaan, kirves -> kirveen, kallis -> kalliin
        vowel_cores.push(drop_last(w, 1));
    } else if w.ends_with("in") && n > 4 {
        // puhelin -> puhelimen, avain -> avaimen
        cores.push(format!("{}m", drop_last(w, 1)));
    } else if (last == 'a' || last == 'ä') && is_vowel(prev) {
        // verbs odottaa, puhua, kysyä: stem without the infinitive -a
        vowel_cores.push(drop_last(w, 1));
        cores.push(drop_last(w, 2));
    } else if (last == 'a' || last == 'ä')
        && n > 4
        && matches!(prev, 't' | 'l' | 'n' | 'r' | 's')
        && is_vowel(chars[n - 3])
    {
        // varata -> varaan/varasi, kuunnella -> kuuntelen, mennä -> menen
        cores.push(drop_last(w, 2));
    } else if (last == 'a' || last == 'ä') && n > 4 && matches!(prev, 't' | 'l' | 'n' | 'r' | 's')
    {
        // nousta, purra: consonant-stem verbs
        cores.push(drop_last(w, 2));
    } else if last == 'i' {
        // lääkäri -> lääkärin/lääkäreitä, kieli -> kielen
        vowel_cores.push(drop_last(w, 1));
    }
    if (last == 'a' || last == 'ä') && !is_vowel(prev) && n >= 6 {
        // a-stems change the vowel in plurals: kohta -> kohtia, kirja -> kirjoissa
        vowel_cores.push(drop_last(w, 1));
    }
    // Gradation applies to the consonant cluster before the final vowel(s) of the word or of
    // its cores.
    let mut graded = Vec::new();
    for base in std::iter::once(w.to_string()).chain(vowel_cores.iter().cloned()) {
        graded.extend(gradations(&base));
    }
    cores.extend(vowel_cores);
    cores.extend(graded);
    cores
}

/// Strong <-> weak grade pairs of Finnish consonant gradation.
const GRADES: &[(&str, &str)] = &[
    ("kk", "k"),
    ("pp", "p"),
    ("tt", "t"),
    ("nk", "ng"),
    ("mp", "mm"),
    ("lt", "ll"),
    ("nt", "nn"),
    ("rt", "rr"),
    ("ht", "hd"),
    ("lk", "lj"),
    ("rk", "rj"),
    ("t", "d"),
    ("p", "v"),
];

/// Both grades of the last consonant cluster of `w`, cut just after the cluster (the vowels
/// that follow vary with the case ending anyway).
fn gradations(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    // Find the last consonant cluster: skip trailing vowels, then take consonants.
    let mut end = chars.len();
    while end > 0 && is_vowel(chars[end - 1]) {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && !is_vowel(chars[start - 1]) {
        start -= 1;
    }
    if start == end || start == 0 {
        return Vec::new();
    }
    let head: String = chars[..start].iter().collect();
    let cluster: String = chars[start..end].iter().collect();
    let mut out = Vec::new();
    for (strong, weak) in GRADES {
        for (from, to) in [(strong, weak), (weak, strong)] {
            if let Some(pre) = cluster.strip_suffix(from) {
                let candidate = format!("{head}{pre}{to}");
                if candidate != head && !out.contains(&candidate) {
                    out.push(candidate);
                }
            }
        }
    }
    // Only the longest suffix rule should apply ("tt" before "t"): keep the first two found.
    out.truncate(2);
    out
}

/// Swedish: drop the final vowel that definite and plural forms replace (läkare -> läkaren,
/// läkarna; vänta -> väntade), and the e of -el/-er/-en before endings (fönster -> fönstret).
fn swedish_alternations(w: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = w.chars().collect();
    let n = chars.len();
    if n < 4 {
        return out;
    }
    let last = chars[n - 1];
    if matches!(last, 'a' | 'e' | 'o') {
        out.push(drop_last(w, 1));
    }
    if (w.ends_with("el") || w.ends_with("er") || w.ends_with("en")) && n >= 5 {
        out.push(format!("{}{}", drop_last(w, 2), last));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(lemma: &str, lang: Lang, form: &str) -> bool {
        lemma_stems(lemma, lang, StemMode::Combined).matches(form)
    }

    #[test]
    fn ajanvaraus_matches_its_inflections_and_compounds() {
        for form in [
            "ajanvaraus",
            "ajanvarauksen",
            "ajanvaraukseen",
            "ajanvarausta",
            "nettiajanvaraus",
            "ajanvarausjärjestelmässä",
        ] {
            assert!(matches("ajanvaraus", Lang::Fi, form), "{form}");
        }
        assert!(!matches("ajanvaraus", Lang::Fi, "varaosa"));
        assert!(!matches("ilmoittaa", Lang::Fi, "potilasvahinkoilmoitus"));
        assert!(!matches("kirje", Lang::Fi, "kirjautuminen"));
        assert!(matches("tulkkaus", Lang::Fi, "puhelintulkkaus"));
    }

    #[test]
    fn tidsbokning_matches_its_inflections_and_compounds() {
        for form in ["tidsbokningen", "webbtidsbokning", "tidsbokningarna"] {
            assert!(matches("tidsbokning", Lang::Sv, form), "{form}");
        }
    }

    #[test]
    fn gradation_and_stem_types() {
        assert!(matches("soitto", Lang::Fi, "soiton"));
        assert!(matches("hammas", Lang::Fi, "hampaan"));
        assert!(matches("puhelin", Lang::Fi, "puhelimeen"));
        assert!(matches("ihminen", Lang::Fi, "ihmisiä"));
        assert!(matches("lääkäri", Lang::Fi, "lääkäreitä"));
        assert!(matches("odottaa", Lang::Fi, "odotin"));
        assert!(matches("läkare", Lang::Sv, "läkarna"));
        assert!(matches("vänta", Lang::Sv, "väntade"));
        assert!(matches("fönster", Lang::Sv, "fönstret"));
        assert!(matches("regel", Lang::Sv, "reglerna"));
    }

    #[test]
    fn short_stems_do_not_match_inside_words() {
        assert!(!matches("jono", Lang::Fi, "ajonopeus"));
        assert!(!matches("tid", Lang::Sv, "optidning"));
    }
}
