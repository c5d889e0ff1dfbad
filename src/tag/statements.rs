//! Splitting a text into statements: sentences, then short neighbours merged into chunks.
//! A long letter embedded whole averages its one urgent sentence away; embedded statement
//! by statement it does not. Survey answers are mostly one statement and are not split.

/// A statement: byte range in the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn of<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// Sentences: ends at `.`, `!`, `?`, `…` or a line break followed by space/end, when the next
/// word starts a new sentence (not "klo 14.30", "esim. näin", "3. päivä").
pub fn sentences(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let is_end = matches!(c, '.' | '!' | '?' | '…' | '\n');
        if is_end {
            // Take the whole run of end marks ("!!!", "?!", "...").
            let mut j = i;
            while j + 1 < chars.len()
                && matches!(chars[j + 1].1, '.' | '!' | '?' | '…' | '"' | '”' | ')')
            {
                j += 1;
            }
            let after = chars.get(j + 1).map(|x| x.1);
            let next_word = chars[j + 1..]
                .iter()
                .map(|x| x.1)
                .find(|c| !c.is_whitespace());
            let boundary = c == '\n'
                || (after.is_none_or(char::is_whitespace)
                    && next_word.is_none_or(|w| !w.is_lowercase() || c != '.')
                    && !(c == '.' && abbreviation_before(text, at)));
            if boundary {
                let end = chars.get(j + 1).map_or(text.len(), |x| x.0);
                push_trimmed(&mut out, text, start, end);
                start = end;
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    push_trimmed(&mut out, text, start, text.len());
    out
}

/// "esim.", "mm.", "t.", "klo.": a full stop that ends no sentence. An ordinal ("3. päivä")
/// is followed by a lower-case word and never splits anyway.
fn abbreviation_before(text: &str, dot: usize) -> bool {
    let word: String = text[..dot]
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric())
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    let w = word.to_lowercase();
    matches!(
        w.as_str(),
        "esim"
            | "mm"
            | "ns"
            | "ym"
            | "yms"
            | "t"
            | "klo"
            | "tms"
            | "jne"
            | "ks"
            | "tri"
            | "dr"
            | "bl"
            | "t.ex"
            | "ex"
            | "dvs"
            | "osv"
            | "resp"
            | "e.g"
            | "i.e"
            | "mr"
            | "mrs"
    )
}

fn push_trimmed(out: &mut Vec<Span>, text: &str, start: usize, end: usize) {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if s.trim().chars().any(char::is_alphanumeric) {
        out.push(Span {
            start: start + lead,
            end: end - trail,
        });
    }
}

/// Sentences merged with their neighbours up to about `max_chars`, so that a chunk has
/// enough words to mean something. One chunk (the whole text) means "do not split".
pub fn chunks(text: &str, max_chars: usize) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for s in sentences(text) {
        match out.last_mut() {
            Some(last) if s.end - last.start <= max_chars || last.end - last.start < 40 => {
                last.end = s.end
            }
            _ => out.push(s),
        }
    }
    out
}

/// Words that join two statements of opposite drift: "kiva hoitaja mutta pitkä jono" is
/// one sentence and two statements. Split before the word.
const CONTRAST: &[&str] = &[
    "mutta",
    "mut",
    "vaikka",
    "kuitenkin",
    "sen sijaan",
    "men",
    "fast",
    "däremot",
    "medan",
    "but",
    "although",
    "though",
    "however",
    "whereas",
];

/// Statements for themes and sentiment: sentences, each cut again before a contrasting
/// conjunction, at semicolons, and at the commas of a list of short judgements ("lääkäri
/// hyvä, jono pitkä, parkki täynnä"). A piece of one word stays with the
/// one before it, so "Kiitos, mutta" does not become a statement of its own.
pub fn statements(text: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for sentence in sentences(text) {
        let mut cuts = contrast_cuts(text, sentence);
        cuts.extend(list_cuts(text, sentence));
        cuts.sort_unstable();
        cuts.dedup();
        let mut start = sentence.start;
        let mut pieces = Vec::new();
        for cut in cuts.into_iter().chain([sentence.end]) {
            push_trimmed(&mut pieces, text, start, cut);
            start = cut;
        }
        out.extend(pieces);
    }
    merge_short(text, out)
}

fn words(s: &str) -> usize {
    s.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Pieces of one word join the statement before them (or after, for the
/// first), within the same sentence or not: "Kiitos!" before a complaint stays separate
/// only when it has words enough to be judged on its own.
fn merge_short(text: &str, pieces: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for p in pieces {
        match out.last_mut() {
            Some(last) if words(p.of(text)) < 2 && !ends_sentence(last.of(text)) => {
                last.end = p.end
            }
            Some(last) if words(last.of(text)) < 2 && !ends_sentence(last.of(text)) => {
                last.end = p.end
            }
            _ => out.push(p),
        }
    }
    out
}

fn ends_sentence(s: &str) -> bool {
    s.trim_end().ends_with(['.', '!', '?', '…'])
}

/// Byte offsets in `sentence` where a contrasting conjunction starts a new statement.
fn contrast_cuts(text: &str, sentence: Span) -> Vec<usize> {
    let s = sentence.of(text);
    let lower = s.to_lowercase();
    // Lowercasing keeps byte offsets only for text whose case mapping keeps lengths.
    if lower.len() != s.len() {
        return Vec::new();
    }
    let mut cuts = Vec::new();
    for word in CONTRAST {
        let mut from = 0;
        while let Some(i) = lower[from..].find(word) {
            let at = from + i;
            from = at + word.len();
            let before_ok = at > 0
                && lower[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c == ' ' || c == ',');
            let after_ok = lower[from..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if before_ok && after_ok && words(&s[..at]) >= 2 {
                cuts.push(sentence.start + at);
            }
        }
    }
    for (i, _) in s.match_indices(';') {
        cuts.push(sentence.start + i + 1);
    }
    cuts
}

/// Commas of a list of short judgements: two or more commas, every part two to six words.
fn list_cuts(text: &str, sentence: Span) -> Vec<usize> {
    let s = sentence.of(text);
    let commas: Vec<usize> = s.match_indices(',').map(|(i, _)| i).collect();
    if commas.len() < 2 {
        return Vec::new();
    }
    let mut bounds = vec![0];
    bounds.extend(commas.iter().map(|c| c + 1));
    bounds.push(s.len());
    let short = bounds
        .windows(2)
        .all(|w| (2..=6).contains(&words(&s[w[0]..w[1]])));
    if short {
        commas.iter().map(|c| sentence.start + c + 1).collect()
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        sentences(text).iter().map(|s| s.of(text)).collect()
    }

    #[test]
    fn splits_at_sentence_ends_only() {
        assert_eq!(
            texts("Aika oli klo 14.30. Pääsin sisään vasta 16.05!!! Miksi?"),
            [
                "Aika oli klo 14.30.",
                "Pääsin sisään vasta 16.05!!!",
                "Miksi?"
            ]
        );
        assert_eq!(
            texts("Esim. lääkäri sanoi mm. näin. Sitten lähdin"),
            ["Esim. lääkäri sanoi mm. näin.", "Sitten lähdin"]
        );
        assert_eq!(
            texts("3. päivänä tuli vastaus"),
            ["3. päivänä tuli vastaus"]
        );
        assert_eq!(texts("rivi yksi\nrivi kaksi"), ["rivi yksi", "rivi kaksi"]);
        assert!(texts("  ...  ").is_empty());
    }

    fn stmts(text: &str) -> Vec<&str> {
        statements(text).iter().map(|s| s.of(text)).collect()
    }

    #[test]
    fn statements_split_at_contrast_lists_and_sentences() {
        assert_eq!(
            stmts("Kiva hoitaja mutta pitkä jono."),
            ["Kiva hoitaja", "mutta pitkä jono."]
        );
        assert_eq!(
            stmts("Personalen var trevlig, men väntetiden var lång."),
            ["Personalen var trevlig,", "men väntetiden var lång."]
        );
        assert_eq!(
            stmts("Lääkäri hyvä, jono tosi pitkä, parkkipaikka aina täynnä."),
            [
                "Lääkäri hyvä,",
                "jono tosi pitkä,",
                "parkkipaikka aina täynnä."
            ]
        );
        assert_eq!(
            stmts("Great nurse. The website crashed twice though."),
            ["Great nurse.", "The website crashed twice though."]
        );
        // A short piece stays with its neighbour; a clause with commas is not a list.
        assert_eq!(stmts("Kiitos, mutta"), ["Kiitos, mutta"]);
        assert_eq!(
            stmts("Soittakaa minulle, en ole saanut aikaa vaikka yritin monta kertaa."),
            [
                "Soittakaa minulle, en ole saanut aikaa",
                "vaikka yritin monta kertaa."
            ]
        );
        assert_eq!(stmts("Hyvä"), ["Hyvä"]);
    }

    #[test]
    fn chunks_merge_short_sentences_and_keep_long_letters_apart() {
        let short = "Kiitos. Hyvä palvelu.";
        assert_eq!(chunks(short, 200).len(), 1);
        let long = "Olen odottanut aikaa kolme kuukautta ja soittanut monta kertaa. ".repeat(4)
            + "Äiti ei ole saanut lääkkeitään viikkoon.";
        let c = chunks(&long, 200);
        assert!(c.len() >= 2, "{c:?}");
        assert!(c.last().unwrap().of(&long).contains("lääkkeitään"));
    }
}
