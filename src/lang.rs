//! Language of a comment: Finnish, Swedish, English or other, with a confidence.
//!
//! lingua, restricted to the three languages, reads even kiosk comments of one to four
//! words: on the UD treebank sentences of `../shared/data/langid_ud.tsv` it got fi 0.98,
//! sv 0.99, en 0.85 on short ones, where the earlier blend of whatlang with a lexicon and
//! spelling cues got 0.94, 0.96, 0.75 (examples/lang_eval.rs). The lexicon of feedback
//! words still votes on a short comment lingua is unsure of (fi 0.98, sv 0.99, en 0.86
//! together). whatlang tells a text in another script or Latin-script language apart.

use crate::text::{tokenize, Token};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fi,
    Sv,
    En,
    Other,
}

impl Lang {
    pub const DETECTED: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
            Lang::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_lowercase().as_str() {
            "fi" | "fin" | "finnish" | "suomi" => Some(Lang::Fi),
            "sv" | "swe" | "swedish" | "svenska" | "ruotsi" => Some(Lang::Sv),
            "en" | "eng" | "english" | "englanti" => Some(Lang::En),
            "other" | "muu" | "annat" => Some(Lang::Other),
            _ => None,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LangGuess {
    pub lang: Lang,
    pub confidence: f64,
}

const FI_WORDS: &str = "ja on ei oli ole olla olen olin olisi ollut olivat ovat oon oot että mutta kun jos niin kuin myös vain vaan vielä jo nyt sitten sit koska tai eikä eli vaikka sen jotta ilman kanssa kautta jälkeen ennen aikana asti sekä heti kerran kertaa mitään mikään kaikki kaikkea aina koskaan hyvin hyvä hyvää hyvät hyviä huono huonoa huonosti huonot kiitos kiitokset kiitti paljon todella tosi liian erittäin aivan ihan vähän yhtään ollenkaan minä mä mua minua minun minulle mulle mun mut sinä hän me te he se sen sitä tämä tämän tätä tuo joka jonka mitä miksi miten missä mikä kuka kukaan joku jotain pitää pitäisi voi voisi saa sai sain saanut tuli meni mennyt pääsin päästä pääsee aika aikaa ajan ajat päivä päivää viikko viikon kuukausi kuukauden lääkäri lääkärin lääkärille lääkäriin hoitaja hoitajan hoitajat palvelu palvelua palvelun hoito hoitoa hoidon vastaanotto vastaanotolla terveysasema terveysasemalla terveysasemalle jono jonot jonossa jonoa pitkä pitkät pitkään nopea nopeasti ystävällinen ystävällistä ystävällinen mukava asiallinen kohtelu henkilökunta tyytyväinen noin edes enää taas kyllä joo en et emme eivät soitin soittaa puhelimeen ajanvaraus tuntia minuuttia kotiin sairaala päivystys päivystyksessä jotenkin kaikille sitten siitä tästä siellä täällä jossa mikä olla oli hienoa loistava kiva kivaa surkea";

const SV_WORDS: &str = "och är inte det att jag en ett som på med för av till var har hade men om så den de vi ni han hon man mig mitt min mina sig när nu bara också mycket bra dålig dåligt tack trevlig trevligt trevliga personal personalen personalens bemötande läkare läkaren sköterska sköterskan sjukskötare sjukskötaren tid tiden tider vård vården väntetid väntetiden kö kön lång långa länge fick får få kunde kan ska skulle vill ville måste blev blir varit vara ingen inga inget något någon några alla allt aldrig alltid efter innan från under vid hos utan eller redan igen här där vad hur varför vem vilken väldigt jättebra mer mest nöjd nöjda snabbt snabb hälsocentralen hälsocentral mottagning mottagningen telefon ringde ringa svar svarade gång gånger dag dagar vecka veckor timme timmar månad ganska lite helt fortfarande kom gick sa sade dem deras oss vår våra än ju väl nej hej bemött fint fina god goda gott bättre sämre svenska finska förstod tolk jättetrevlig toppen smidigt besök besöket avdelningen inget tillägga fel sen problem";

const EN_WORDS: &str = "the and is was were are be been not no very good great bad thanks thank you i my me we our they it this that to of in for with on at have had has but so too doctor nurse staff friendly rude wait waiting waited time appointment service could would should did didn't do does there here what when why how all everything nothing long hours minutes days weeks please help care well from get got after before an by as if or can will just about really health centre center phone call called nice excellent terrible";

/// Frequent feedback words per language: a kiosk comment of two words ("Bra service",
/// "Kiitos hoitajalle") is domain vocabulary more than language statistics.
type Lexicon = HashMap<&'static str, [f64; 3]>;

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let mut map: Lexicon = HashMap::new();
        for (i, list) in [FI_WORDS, SV_WORDS, EN_WORDS].iter().enumerate() {
            for w in list.split_whitespace() {
                map.entry(w).or_insert([0.0; 3])[i] = 1.0;
            }
        }
        // Words shared by two languages vote for both, but only half as strongly.
        for v in map.values_mut() {
            let n = v.iter().filter(|x| **x > 0.0).count() as f64;
            if n > 1.0 {
                v.iter_mut().for_each(|x| *x /= n);
            }
        }
        map
    })
}

const FI_ENDINGS: &[&str] = &[
    "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi", "tta", "ttä", "nen",
    "sen", "aan", "ään", "iin", "lle", "mme", "tte", "vat", "vät", "ttiin", "nut", "nyt",
];
const SV_ENDINGS: &[&str] = &[
    "ning", "ningen", "arna", "erna", "orna", "heten", "het", "ligt",
];
const EN_ENDINGS: &[&str] = &["ing", "tion", "ly", "ed"];

/// Spelling cues of one token: [fi, sv, en].
fn spelling_cues(token: &str) -> [f64; 3] {
    let mut s = [0.0; 3];
    if token.contains('å') {
        s[1] += 1.0;
    }
    if ["aa", "ää", "uu", "yy", "ii", "öö"]
        .iter()
        .any(|d| token.contains(d))
    {
        s[0] += 0.5;
    }
    if token.chars().count() >= 5 {
        if FI_ENDINGS.iter().any(|e| token.ends_with(e)) {
            s[0] += 0.5;
        }
        if SV_ENDINGS.iter().any(|e| token.ends_with(e)) {
            s[1] += 0.5;
        }
        if EN_ENDINGS.iter().any(|e| token.ends_with(e)) && !token.ends_with("ning") {
            s[2] += 0.3;
        }
    }
    if token.contains("th") || token.contains('w') {
        s[2] += 0.4;
    }
    if token.starts_with("sj") || token.starts_with("skj") || token.starts_with("tj") {
        s[1] += 0.4;
    }
    // Native Finnish words neither begin nor end with two consonants and rarely contain
    // b c f q w x z; Swedish and English words often do ("tillägg", "skilsmässa").
    let chars: Vec<char> = token.chars().collect();
    let consonant = |c: char| c.is_alphabetic() && !"aeiouyäöå".contains(c);
    if chars.len() >= 3 {
        let n = chars.len();
        if consonant(chars[n - 1]) && consonant(chars[n - 2]) {
            s[1] += 0.5;
            s[2] += 0.5;
        }
        if consonant(chars[0]) && consonant(chars[1]) && chars[1] != 'h' {
            s[1] += 0.3;
            s[2] += 0.3;
        }
    }
    if token.chars().any(|c| "bcfqwxz".contains(c)) {
        s[1] += 0.3;
        s[2] += 0.3;
    }
    if chars.len() >= 5 && (token.ends_with("ar") || token.ends_with("or")) {
        s[1] += 0.5;
    }
    if token.contains('ä') || token.contains('ö') {
        // Both Finnish and Swedish use them; they rule out English.
        s[0] += 0.2;
        s[1] += 0.2;
    }
    s
}

/// The lexicon's and spelling cues' vote for fi, sv, en, as shares summing to 1 (zeros
/// when no word is known).
fn lexicon_vote(tokens: &[Token]) -> [f64; 3] {
    let lex = lexicon();
    let mut score = [0.0f64; 3];
    for t in tokens {
        let w = t.norm.as_str();
        if let Some(v) = lex.get(w) {
            (0..3).for_each(|i| score[i] += v[i]);
        }
        let cues = spelling_cues(w);
        (0..3).for_each(|i| score[i] += cues[i]);
    }
    let total: f64 = score.iter().sum();
    if total > 0.0 {
        score.iter_mut().for_each(|s| *s /= total);
    }
    score
}

/// Up to this many words a text counts as short, and below this lingua confidence the
/// lexicon votes on it.
const SHORT_WORDS: usize = 4;
const SURE_LINGUA: f64 = 0.9;

/// lingua's fi/sv/en models, loaded once per process and shared by every classifier.
fn lingua() -> &'static lingua::LanguageDetector {
    static DET: OnceLock<lingua::LanguageDetector> = OnceLock::new();
    DET.get_or_init(|| {
        lingua::LanguageDetectorBuilder::from_languages(&[
            lingua::Language::Finnish,
            lingua::Language::Swedish,
            lingua::Language::English,
        ])
        .build()
    })
}

/// Detects the language of comments; cheap to share across threads.
pub struct LanguageDetector {
    restricted: whatlang::Detector,
}

impl Default for LanguageDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl LanguageDetector {
    pub fn new() -> Self {
        LanguageDetector {
            restricted: whatlang::Detector::with_allowlist(vec![
                whatlang::Lang::Fin,
                whatlang::Lang::Swe,
                whatlang::Lang::Eng,
            ]),
        }
    }

    /// whatlang alone, restricted to fi/sv/en: the baseline the README compares against.
    pub fn detect_whatlang_only(&self, text: &str) -> LangGuess {
        match self.restricted.detect(text) {
            Some(info) => LangGuess {
                lang: from_whatlang(info.lang()),
                confidence: info.confidence(),
            },
            None => LangGuess {
                lang: Lang::Other,
                confidence: 0.0,
            },
        }
    }

    /// lingua alone, restricted to fi/sv/en: measured beside the shipped detector.
    pub fn detect_lingua_only(&self, text: &str) -> Lang {
        match lingua().detect_language_of(text) {
            Some(lingua::Language::Finnish) => Lang::Fi,
            Some(lingua::Language::Swedish) => Lang::Sv,
            Some(lingua::Language::English) => Lang::En,
            _ => Lang::Other,
        }
    }

    pub fn detect(&self, text: &str) -> LangGuess {
        let tokens = tokenize(text);
        self.detect_tokens(text, &tokens)
    }

    /// Same as [`detect`](Self::detect) for a text that is already tokenized.
    pub fn detect_tokens(&self, text: &str, tokens: &[Token]) -> LangGuess {
        let words = tokens
            .iter()
            .filter(|t| t.norm.chars().any(char::is_alphabetic))
            .count();
        if words == 0 {
            return LangGuess {
                lang: Lang::Other,
                confidence: 0.0,
            };
        }
        if let Some(script) = whatlang::detect_script(text) {
            if script != whatlang::Script::Latin {
                return LangGuess {
                    lang: Lang::Other,
                    confidence: 0.9,
                };
            }
        }
        let values = lingua().compute_language_confidence_values(text);
        let Some(&(mut best, mut confidence)) = values.first() else {
            return LangGuess {
                lang: Lang::Other,
                confidence: 0.0,
            };
        };
        // A comment of a few words where lingua is unsure: the feedback lexicon votes too.
        if words <= SHORT_WORDS && confidence < SURE_LINGUA {
            let vote = lexicon_vote(tokens);
            let langs = [
                lingua::Language::Finnish,
                lingua::Language::Swedish,
                lingua::Language::English,
            ];
            let blended: Vec<f64> = langs
                .iter()
                .zip(vote)
                .map(|(l, v)| {
                    let p = values.iter().find(|x| x.0 == *l).map_or(0.0, |x| x.1);
                    (p + v) / 2.0
                })
                .collect();
            let (i, p) = blended
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or((0, 0.0), |(i, p)| (i, *p));
            best = langs[i];
            confidence = p;
        }
        // A Latin-script text in another language (Estonian, German…) is forced into one
        // of ours by lingua; whatlang over all its languages says so when it is sure and
        // lingua is not.
        if words >= 3 && confidence < 0.9 {
            if let Some(info) = whatlang::detect(text) {
                let l = info.lang();
                if info.is_reliable()
                    && !matches!(
                        l,
                        whatlang::Lang::Fin | whatlang::Lang::Swe | whatlang::Lang::Eng
                    )
                {
                    return LangGuess {
                        lang: Lang::Other,
                        confidence: info.confidence(),
                    };
                }
            }
        }
        let lang = match best {
            lingua::Language::Finnish => Lang::Fi,
            lingua::Language::Swedish => Lang::Sv,
            _ => Lang::En,
        };
        LangGuess {
            lang,
            confidence: (confidence * 1000.0).round() / 1000.0,
        }
    }
}

fn from_whatlang(l: whatlang::Lang) -> Lang {
    match l {
        whatlang::Lang::Fin => Lang::Fi,
        whatlang::Lang::Swe => Lang::Sv,
        whatlang::Lang::Eng => Lang::En,
        _ => Lang::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(text: &str) -> Lang {
        LanguageDetector::new().detect(text).lang
    }

    #[test]
    fn short_kiosk_comments() {
        assert_eq!(lang("Jonot liian pitkät"), Lang::Fi);
        assert_eq!(lang("Kiitos!"), Lang::Fi);
        assert_eq!(lang("Bra bemötande"), Lang::Sv);
        assert_eq!(lang("Tack!"), Lang::Sv);
        assert_eq!(lang("Very friendly staff"), Lang::En);
    }

    #[test]
    fn no_letters_or_other_script_is_other() {
        assert_eq!(lang("!!! 10/10"), Lang::Other);
        assert_eq!(lang("Очень долго ждали врача"), Lang::Other);
    }

    #[test]
    fn confidence_is_a_probability() {
        let g = LanguageDetector::new().detect("Hoitaja oli ystävällinen ja osaava.");
        assert_eq!(g.lang, Lang::Fi);
        assert!(
            g.confidence > 0.5 && g.confidence <= 1.0,
            "{}",
            g.confidence
        );
    }
}
