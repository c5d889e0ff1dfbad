//! Text normalisation shared by language detection, rules and header matching.

use unicode_normalization::UnicodeNormalization;

/// A word of a comment: its lowercased form and where it sits in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub norm: String,
    /// Byte offsets into the original text, so evidence can quote the exact span.
    pub start: usize,
    pub end: usize,
}

/// Splits text into lowercase word tokens. Letters and digits form words; everything else,
/// hyphens included, separates them, so "netti-ajanvaraus" yields "netti" and "ajanvaraus".
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    for (i, ch) in text.char_indices() {
        if ch.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            tokens.push(make_token(text, s, i));
        }
    }
    if let Some(s) = start {
        tokens.push(make_token(text, s, text.len()));
    }
    spoken_et_is_etta(&mut tokens);
    tokens
}

/// Spoken Finnish writes "että" as "et" ("haluun et joku soittaa"), which is also the
/// negation verb of the second person ("et tiedä"). Before a third-person or first-person
/// subject the negation would be "ei" or "en", so there "et" can only be "että".
fn spoken_et_is_etta(tokens: &mut [Token]) {
    const SUBJECTS: &[&str] = &[
        "minä",
        "joku",
        "se",
        "ne",
        "hän",
        "me",
        "te",
        "tää",
        "tämä",
        "kaikki",
        "kukaan",
        "ei",
        "en",
        "on",
        "oli",
        "jos",
        "siellä",
        "täällä",
        "nyt",
    ];
    for i in 0..tokens.len().saturating_sub(1) {
        if tokens[i].norm == "et" && SUBJECTS.contains(&tokens[i + 1].norm.as_str()) {
            tokens[i].norm = "että".to_string();
        }
    }
}

fn make_token(text: &str, start: usize, end: usize) -> Token {
    Token {
        norm: normalize_word(&text[start..end].to_lowercase()),
        start,
        end,
    }
}

/// Spoken and texting forms of common Finnish words, mapped to the written form the rules
/// are written in ("mä en saanu" → "minä en saanut"). Only forms no Swedish or English word
/// shares: "mun" (Swedish "mouth") and "et" (a Finnish negation verb) stay as they are.
const SPOKEN_FI: &[(&str, &str)] = &[
    ("mä", "minä"),
    ("sä", "sinä"),
    ("mulle", "minulle"),
    ("mulla", "minulla"),
    ("multa", "minulta"),
    ("mua", "minua"),
    ("sulle", "sinulle"),
    ("sua", "sinua"),
    ("oo", "ole"),
    ("oon", "olen"),
    ("oot", "olet"),
    ("ollu", "ollut"),
    ("tullu", "tullut"),
    ("menny", "mennyt"),
    ("mut", "mutta"),
    ("ku", "kun"),
    ("nii", "niin"),
    ("sit", "sitten"),
    ("tääl", "täällä"),
    ("siel", "siellä"),
    ("meil", "meillä"),
    ("teil", "teillä"),
    ("vielki", "vieläkin"),
];

/// One word as the rules see it: runs of three or more of the same letter shortened to one
/// ("kiitoooos" → "kiitos", "hyvääää" → "hyvä": elongation is emphasis, and Finnish never
/// writes a letter three times), spoken forms written out, and the spoken past participle
/// given its t back ("vastannu" → "vastannut", "pystyny" → "pystynyt").
pub fn normalize_word(lower: &str) -> String {
    let mut w = String::with_capacity(lower.len());
    let chars: Vec<char> = lower.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let keep = if run >= 3 && c.is_alphabetic() {
            1
        } else {
            run
        };
        (0..keep).for_each(|_| w.push(c));
        i += run;
    }
    if let Some((_, written)) = SPOKEN_FI.iter().find(|(s, _)| *s == w) {
        return (*written).to_string();
    }
    let chars = w.chars().count();
    let participle = ["nnu", "nny", "llu", "lly", "anu", "äny", "ssu", "rru"];
    if chars >= 5 && participle.iter().any(|e| w.ends_with(e)) {
        w.push('t');
    }
    w
}

/// Letters folded to the plain Latin alphabet (ä→a, ö→o, å→a), for comments typed on a
/// keyboard without them.
pub fn fold_diacritics(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'ü' | 'ú' => 'u',
            'é' | 'è' | 'ê' => 'e',
            other => other,
        })
        .collect()
}

/// A comment in Finnish or Swedish written without å, ä or ö anywhere: its words are
/// matched against the rules' folded forms too. Four letters-words at least, so that "ok
/// kiitos" is not taken for one.
pub fn written_without_diacritics(tokens: &[Token]) -> bool {
    tokens.len() >= 3
        && tokens
            .iter()
            .all(|t| !t.norm.contains(['ä', 'ö', 'å', 'Ä', 'Ö', 'Å']))
}

/// The text the model embeds: a comment in capitals lowercased (the encoder's vocabulary
/// splits capitals into meaningless pieces), letter runs shortened as for the rules,
/// and runs of four or more punctuation marks cut to three.
pub fn for_model(text: &str) -> String {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let upper = text.chars().filter(|c| c.is_uppercase()).count();
    let shouting = letters >= 6 && upper * 10 >= letters * 7;
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut run = 0;
    for c in text.chars() {
        let c = if shouting {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        };
        run = if Some(c) == prev { run + 1 } else { 1 };
        prev = Some(c);
        let limit = if c.is_alphabetic() {
            2
        } else if c.is_alphanumeric() || c.is_whitespace() {
            usize::MAX
        } else {
            3
        };
        if run <= limit {
            out.push(c);
        }
    }
    if shouting {
        // Sentence case for the first letter, as the comment would have been typed.
        let mut chars = out.chars();
        if let Some(first) = chars.next() {
            return first.to_uppercase().chain(chars).collect();
        }
    }
    out
}

/// Emoji read as sentiment cues: +1 for a positive one, −1 for a negative one.
pub fn emoji_polarity(c: char) -> i32 {
    match c {
        '😊' | '🙂' | '😀' | '😃' | '😄' | '😁' | '😍' | '🥰' | '😘' | '👍' | '👌' | '🙏' | '❤'
        | '💕' | '💖' | '💙' | '💚' | '🌸' | '🌹' | '💐' | '⭐' | '🌟' | '✨' | '🤗' | '👏'
        | '💯' | '😇' => 1,
        '😡' | '😠' | '🤬' | '😤' | '😞' | '😢' | '😭' | '😩' | '😫' | '🙁' | '☹' | '👎' | '💩'
        | '🤮' | '😒' | '🙄' | '😖' | '😣' | '💔' | '😱' | '🤦' => -1,
        _ => 0,
    }
}

/// Lowercases and removes accents and punctuation, for matching column headers such as
/// "Päivämäärä" against "paivamaara" or "Suosittelisitko palvelua?" against "suosittelisitko".
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect();
    let mut out = String::with_capacity(stripped.len());
    let mut last_space = true;
    for ch in stripped.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    out.trim_end().to_string()
}

/// `s` in at most `max` characters: when longer, its first `max - 1` and "…". Borrowed when
/// it fits (a byte count within `max` is a character count within it too).
pub fn cut_chars(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max || s.chars().count() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    std::borrow::Cow::Owned(out)
}

/// A quote or excerpt: whitespace runs made one space, and a text longer than `max`
/// characters cut back to its last whole word within them, with "…".
pub fn excerpt(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let head: String = flat.chars().take(max).collect();
    let at = head.rfind(' ').unwrap_or(head.len());
    format!("{}…", &head[..at])
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuts_count_characters_not_bytes() {
        assert_eq!(super::cut_chars("äää", 3), "äää");
        assert_eq!(super::cut_chars("ääää", 3), "ää…");
        assert_eq!(super::excerpt("yksi  kaksi\nkolme", 11), "yksi kaksi…");
        assert_eq!(super::excerpt("yksi kaksi", 20), "yksi kaksi");
    }

    use super::*;

    #[test]
    fn tokenizes_with_offsets_and_hyphens() {
        let t = tokenize("Netti-ajanvaraus EI toiminut!");
        let norms: Vec<&str> = t.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(norms, ["netti", "ajanvaraus", "ei", "toiminut"]);
        assert_eq!(
            &"Netti-ajanvaraus EI toiminut!"[t[1].start..t[1].end],
            "ajanvaraus"
        );
    }

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("  Päivämäärä "), "paivamaara");
        assert_eq!(
            fold("Suosittelisitko palvelua?"),
            "suosittelisitko palvelua"
        );
        assert_eq!(fold("Enhet/Yksikkö"), "enhet yksikko");
    }

    fn norms(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.norm).collect()
    }

    #[test]
    fn capitals_and_repeated_letters_read_as_written_words() {
        assert_eq!(norms("KIITOOOOS HYVÄÄÄ"), ["kiitos", "hyvä"]);
        // Double letters are Finnish spelling, not emphasis.
        assert_eq!(norms("tuuli jää"), ["tuuli", "jää"]);
        assert_eq!(norms("Tackkk!!!"), ["tack"]);
    }

    #[test]
    fn spoken_finnish_is_written_out() {
        assert_eq!(
            norms("mä en saanu aikaa, ei oo kukaan vastannu"),
            [
                "minä",
                "en",
                "saanut",
                "aikaa",
                "ei",
                "ole",
                "kukaan",
                "vastannut"
            ]
        );
        // Swedish and short words stay.
        assert_eq!(norms("ännu mun menu"), ["ännu", "mun", "menu"]);
        // "et" is "että" before a subject that a negation "et" cannot have.
        assert_eq!(
            norms("haluun et joku soittaa"),
            ["haluun", "että", "joku", "soittaa"]
        );
        assert_eq!(norms("et sä tiedä"), ["et", "sinä", "tiedä"]);
    }

    #[test]
    fn diacritics_fold_only_for_texts_without_any() {
        assert_eq!(fold_diacritics("lääkäri työ"), "laakari tyo");
        assert!(written_without_diacritics(&tokenize(
            "laakari ei ehtinyt kuunnella"
        )));
        assert!(!written_without_diacritics(&tokenize(
            "lääkäri ei ehtinyt kuunnella"
        )));
        assert!(!written_without_diacritics(&tokenize("ok kiitos")));
    }

    #[test]
    fn model_text_is_lowercased_when_shouted_and_runs_are_cut() {
        assert_eq!(
            for_model("EN SAANUT AIKAA!!!!!! KIITOOOOS"),
            "En saanut aikaa!!! kiitoos"
        );
        assert_eq!(for_model("Hyvä HUS-palvelu"), "Hyvä HUS-palvelu");
        assert_eq!(for_model("tuuli jää"), "tuuli jää");
    }

    #[test]
    fn emoji_carry_polarity() {
        assert_eq!(emoji_polarity('😡'), -1);
        assert_eq!(emoji_polarity('👍'), 1);
        assert_eq!(emoji_polarity('a'), 0);
    }
}
