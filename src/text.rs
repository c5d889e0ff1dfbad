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
    tokens
}

fn make_token(text: &str, start: usize, end: usize) -> Token {
    Token {
        norm: text[start..end].to_lowercase(),
        start,
        end,
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

#[cfg(test)]
mod tests {
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
}
