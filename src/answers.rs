//! What a report keeps of each answer once it is tagged and masked: the scores, where and
//! when, the masked comment and its tags, packed into a few shared buffers. The full
//! classification (evidence, reasons, probabilities) lives only while a batch of answers
//! is tagged, so a million answers take about as much memory as their text (issue 12).
//!
//! Comments enter already masked ([`Answers::push`] is the report's one redaction), so the
//! quotes and the workbook can only ever show masked text.

use crate::domain::{Classification, Sentiment, Tagged, TriageClass};
use crate::lang::Lang;
use crate::pii::PiiDetector;
use crate::taxonomy::Taxonomy;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::ops::Range;

/// A place in a shared buffer of under 4 G entries (tags, statements).
#[derive(Debug, Clone, Copy, Default)]
struct Span32 {
    start: u32,
    len: u32,
}

impl Span32 {
    fn range(self) -> Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// An interned label (month, unit, channel, file); `NONE` for a missing one.
type Sym = u32;
const NONE: Sym = Sym::MAX;

#[derive(Debug, Clone)]
struct Statement {
    start: u32,
    end: u32,
    themes: Span32,
    sentiment: Sentiment,
}

#[derive(Debug, Clone)]
struct Comment {
    /// Its length in `Answers::text`, right after the answer's id.
    len: u32,
    lang: Lang,
    sentiment: Sentiment,
    triage: TriageClass,
    /// Theme indices (taxonomy order) in `Answers::tags`.
    themes: Span32,
    /// Empty when the comment is one statement with the comment's own themes and
    /// sentiment (most short answers), which then need not be stored twice.
    statements: Span32,
    /// Row in `Answers::embeddings` when the model ran, else `NONE`.
    embedding: u32,
}

/// Id and comment text are stored end to end from `text`, the id `id_len` bytes long.
#[derive(Debug, Clone)]
struct Answer {
    text: usize,
    id_len: u32,
    file: Sym,
    row: u32,
    date: Option<NaiveDate>,
    month: Sym,
    unit: Sym,
    channel: Sym,
    nps: Option<u8>,
    comment: Option<Comment>,
}

/// Every used answer of a report, in input order.
#[derive(Debug)]
pub struct Answers {
    lang: Lang,
    theme_ids: Vec<String>,
    n_scores: usize,
    names: Vec<String>,
    name_index: HashMap<String, Sym>,
    /// Ids and masked comments, end to end.
    text: String,
    /// Theme indices of comments and of statements.
    tags: Vec<u16>,
    statements: Vec<Statement>,
    /// `n_scores` answers per answer.
    scores: Vec<Option<u8>>,
    embeddings: Vec<f32>,
    dims: usize,
    rows: Vec<Answer>,
    comments: usize,
    /// Theme tags where a rule fired, tags the model added alone, rule hits it overruled.
    pub tags_from_rules: usize,
    pub tags_from_model: usize,
    pub rule_hits_overruled: usize,
}

impl Answers {
    /// An empty set for answers with `n_scores` 1–5 statements, masked in `lang` (the
    /// report's language: `[NIMI]`, `[NAMN]`, `[NAME]`).
    pub fn new(taxonomy: &Taxonomy, n_scores: usize, lang: Lang) -> Self {
        Answers {
            lang,
            theme_ids: taxonomy.themes.iter().map(|t| t.id.clone()).collect(),
            n_scores,
            names: Vec::new(),
            name_index: HashMap::new(),
            text: String::new(),
            tags: Vec::new(),
            statements: Vec::new(),
            scores: Vec::new(),
            embeddings: Vec::new(),
            dims: 0,
            rows: Vec::new(),
            comments: 0,
            tags_from_rules: 0,
            tags_from_model: 0,
            rule_hits_overruled: 0,
        }
    }

    /// Room for `rows` more answers whose ids and comments take about `text_bytes`.
    pub fn reserve(&mut self, rows: usize, text_bytes: usize) {
        self.rows.reserve_exact(rows);
        self.scores.reserve_exact(rows * self.n_scores);
        self.text.reserve_exact(text_bytes);
        self.statements.reserve_exact(rows);
        self.tags.reserve_exact(2 * rows);
    }

    fn intern(&mut self, name: Option<&str>) -> Sym {
        let Some(name) = name else { return NONE };
        if let Some(&s) = self.name_index.get(name) {
            return s;
        }
        let s = self.names.len() as Sym;
        self.names.push(name.to_string());
        self.name_index.insert(name.to_string(), s);
        s
    }

    fn put_tags<'a>(&mut self, ids: impl Iterator<Item = &'a str>) -> Span32 {
        let start = self.tags.len();
        for id in ids {
            if let Some(i) = self.theme_ids.iter().position(|t| t == id) {
                self.tags.push(i as u16);
            }
        }
        Span32 {
            start: start as u32,
            len: (self.tags.len() - start) as u32,
        }
    }

    /// Keeps one tagged answer, masking its comment with `pii`; `embedding` is the model's
    /// vector of the comment, for choosing typical quotes.
    pub fn push(&mut self, t: Tagged, pii: &PiiDetector, embedding: Option<&[f32]>) {
        let f = t.feedback;
        let text = self.text.len();
        self.text.push_str(&f.id);
        let (file, month, unit, channel) = (
            self.intern(Some(&f.file)),
            self.intern(f.month.as_deref()),
            self.intern(f.unit.as_deref()),
            self.intern(f.channel.as_deref()),
        );
        let mut scores = f.scores;
        scores.resize(self.n_scores, None);
        self.scores.extend(scores);
        let comment = t
            .result
            .map(|r| self.push_comment(&f.text, r, pii, embedding));
        self.rows.push(Answer {
            text,
            id_len: f.id.len() as u32,
            file,
            row: f.row as u32,
            date: f.date,
            month,
            unit,
            channel,
            nps: f.nps,
            comment,
        });
    }

    fn push_comment(
        &mut self,
        raw: &str,
        r: Classification,
        pii: &PiiDetector,
        embedding: Option<&[f32]>,
    ) -> Comment {
        self.comments += 1;
        self.tags_from_rules += r.themes.iter().filter(|t| t.by_rules).count();
        self.tags_from_model += r.themes.iter().filter(|t| !t.by_rules).count();
        self.rule_hits_overruled += r.overruled.len();
        // Statements keep pointing at the same words of the masked text.
        let mut offsets: Vec<usize> = r.statements.iter().flat_map(|s| [s.start, s.end]).collect();
        let masked = pii.redact_mapped(raw, self.lang, &mut offsets);
        self.text.push_str(masked.as_str());
        let themes = self.put_tags(r.theme_ids());
        let first = self.statements.len();
        let plain = match r.statements.as_slice() {
            [s] => {
                s.sentiment == r.sentiment
                    && s.themes.len() == r.themes.len()
                    && r.theme_ids().all(|t| s.themes.iter().any(|x| x == t))
            }
            _ => false,
        };
        for (s, o) in r.statements.iter().zip(offsets.chunks_exact(2)) {
            if plain {
                break;
            }
            let themes = self.put_tags(s.themes.iter().map(String::as_str));
            self.statements.push(Statement {
                start: o[0] as u32,
                end: o[1] as u32,
                themes,
                sentiment: s.sentiment,
            });
        }
        let embedding = embedding.map_or(NONE, |e| {
            self.dims = e.len();
            if self.embeddings.is_empty() {
                // One embedding per reserved row, at once: growing by doubling would hold
                // the old and the new buffer together (hundreds of MB at 100 000 rows).
                self.embeddings
                    .reserve_exact(self.rows.capacity().max(1) * e.len());
            }
            self.embeddings.extend_from_slice(e);
            (self.embeddings.len() / self.dims.max(1) - 1) as u32
        });
        Comment {
            len: masked.as_str().len() as u32,
            lang: r.lang.lang,
            sentiment: r.sentiment,
            triage: r.triage,
            themes,
            statements: Span32 {
                start: first as u32,
                len: (self.statements.len() - first) as u32,
            },
            embedding,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Answers with a comment.
    pub fn comments(&self) -> usize {
        self.comments
    }

    /// Theme ids in taxonomy order; [`CommentRef::themes`] gives indices into it.
    pub fn theme_ids(&self) -> &[String] {
        &self.theme_ids
    }

    /// The index of theme `id`, if the taxonomy has it.
    pub fn theme_index(&self, id: &str) -> Option<usize> {
        self.theme_ids.iter().position(|t| t == id)
    }

    pub fn get(&self, i: usize) -> AnswerRef<'_> {
        AnswerRef {
            set: self,
            a: &self.rows[i],
            i,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = AnswerRef<'_>> + '_ {
        (0..self.rows.len()).map(|i| self.get(i))
    }

    fn name(&self, s: Sym) -> Option<&str> {
        (s != NONE).then(|| self.names[s as usize].as_str())
    }
}

/// One answer of [`Answers`].
#[derive(Clone, Copy)]
pub struct AnswerRef<'a> {
    set: &'a Answers,
    a: &'a Answer,
    i: usize,
}

impl<'a> AnswerRef<'a> {
    /// Its place in input order.
    pub fn index(&self) -> usize {
        self.i
    }
    pub fn id(&self) -> &'a str {
        &self.set.text[self.a.text..self.a.text + self.a.id_len as usize]
    }
    pub fn file(&self) -> &'a str {
        self.set.name(self.a.file).unwrap_or_default()
    }
    pub fn row(&self) -> usize {
        self.a.row as usize
    }
    pub fn date(&self) -> Option<NaiveDate> {
        self.a.date
    }
    /// "YYYY-MM".
    pub fn month(&self) -> Option<&'a str> {
        self.set.name(self.a.month)
    }
    pub fn unit(&self) -> Option<&'a str> {
        self.set.name(self.a.unit)
    }
    pub fn channel(&self) -> Option<&'a str> {
        self.set.name(self.a.channel)
    }
    pub fn nps(&self) -> Option<u8> {
        self.a.nps
    }
    /// 1–5 answers, aligned with the dataset's score names.
    pub fn scores(&self) -> &'a [Option<u8>] {
        let n = self.set.n_scores;
        &self.set.scores[self.i * n..(self.i + 1) * n]
    }
    pub fn comment(&self) -> Option<CommentRef<'a>> {
        self.a.comment.as_ref().map(|c| CommentRef {
            set: self.set,
            c,
            at: self.a.text + self.a.id_len as usize,
        })
    }
    pub fn has_theme(&self, theme: usize) -> bool {
        self.comment().is_some_and(|c| c.has_theme(theme))
    }
}

/// The masked comment of an answer and its tags.
#[derive(Clone, Copy)]
pub struct CommentRef<'a> {
    set: &'a Answers,
    c: &'a Comment,
    /// Where its text starts in `Answers::text`.
    at: usize,
}

impl<'a> CommentRef<'a> {
    /// The comment, masked.
    pub fn text(&self) -> &'a str {
        &self.set.text[self.at..self.at + self.c.len as usize]
    }
    pub fn lang(&self) -> Lang {
        self.c.lang
    }
    pub fn sentiment(&self) -> Sentiment {
        self.c.sentiment
    }
    pub fn triage(&self) -> TriageClass {
        self.c.triage
    }
    /// Theme indices, in the order the tagger gave them.
    pub fn themes(&self) -> &'a [u16] {
        &self.set.tags[self.c.themes.range()]
    }
    pub fn theme_ids(&self) -> impl Iterator<Item = &'a str> + 'a {
        let ids = &self.set.theme_ids;
        self.themes().iter().map(move |&i| ids[i as usize].as_str())
    }
    pub fn has_theme(&self, theme: usize) -> bool {
        self.themes().iter().any(|&t| t as usize == theme)
    }
    pub fn embedding(&self) -> Option<&'a [f32]> {
        let d = self.set.dims;
        let k = self.c.embedding as usize;
        (self.c.embedding != NONE).then(|| &self.set.embeddings[k * d..(k + 1) * d])
    }
    fn statements(&self) -> &'a [Statement] {
        &self.set.statements[self.c.statements.range()]
    }
    fn statement_has(&self, s: &Statement, theme: usize) -> bool {
        self.set.tags[s.themes.range()]
            .iter()
            .any(|&t| t as usize == theme)
    }
    /// The sentiments of the statements that carry `theme`.
    pub fn statement_sentiments(&self, theme: usize) -> Vec<Sentiment> {
        if self.c.statements.len == 0 {
            // One statement, the comment itself.
            return if self.has_theme(theme) {
                vec![self.c.sentiment]
            } else {
                Vec::new()
            };
        }
        self.statements()
            .iter()
            .filter(|s| self.statement_has(s, theme))
            .map(|s| s.sentiment)
            .collect()
    }
    /// As [`Classification::theme_polarity`].
    pub fn theme_polarity(&self, theme: usize) -> Sentiment {
        let mut signs = self.statement_sentiments(theme);
        if signs.is_empty() {
            signs.push(self.c.sentiment);
        }
        Sentiment::overall(&signs)
    }
    /// The words of the comment about `theme`: its statements that carry the theme (joined
    /// by "…" where others stand between them), or the whole comment when none does alone.
    pub fn about(&self, theme: usize) -> String {
        let text = self.text();
        let statements = self.statements();
        if statements.len() < 2 {
            return text.to_string();
        }
        let mut out = String::new();
        let mut last: Option<usize> = None;
        for (k, s) in statements.iter().enumerate() {
            if !self.statement_has(s, theme) {
                continue;
            }
            let Some(part) = text.get(s.start as usize..s.end as usize) else {
                return text.to_string();
            };
            match last {
                Some(e) if e + 1 == k => out.push(' '),
                Some(_) => out.push_str(" … "),
                None => {}
            }
            out.push_str(part);
            last = Some(k);
        }
        if out.is_empty() {
            text.to_string()
        } else {
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Feedback;
    use crate::tag::classify::Classifier;

    fn answers_of(texts: &[&str]) -> Answers {
        let taxonomy = Taxonomy::load(None).unwrap();
        let classifier = Classifier::new(&taxonomy);
        let pii = PiiDetector::builtin().unwrap();
        let mut answers = Answers::new(&taxonomy, 2, Lang::Fi);
        for (i, text) in texts.iter().enumerate() {
            let feedback = Feedback {
                id: format!("id{i}"),
                file: "f.csv".into(),
                row: i + 2,
                text: text.to_string(),
                nps: Some(i as u8),
                scores: vec![Some(4)],
                date: None,
                month: (i % 2 == 0).then(|| "2026-10".to_string()),
                unit: Some("A".into()),
                channel: None,
            };
            let result = feedback.has_text().then(|| classifier.classify(text));
            answers.push(Tagged { feedback, result }, &pii, None);
        }
        answers
    }

    #[test]
    fn keeps_what_the_report_needs_and_masks_the_comment() {
        let a = answers_of(&[
            "Hoitaja oli todella ystävällinen, mutta jonotin kaksi tuntia. Soittakaa 040 123 4567.",
            "",
        ]);
        assert_eq!(a.len(), 2);
        assert_eq!(a.comments(), 1);
        let first = a.get(0);
        assert_eq!((first.id(), first.file(), first.row()), ("id0", "f.csv", 2));
        assert_eq!(
            (first.month(), first.unit(), first.channel()),
            (Some("2026-10"), Some("A"), None)
        );
        // Scores are padded to the dataset's statements.
        assert_eq!(first.scores(), &[Some(4), None]);
        let c = first.comment().unwrap();
        assert!(!c.text().contains("040 123 4567"), "{}", c.text());
        assert!(c.text().contains("[PUHELIN]"), "{}", c.text());
        let ids: Vec<&str> = c.theme_ids().collect();
        assert!(
            ids.contains(&"staff_conduct") && ids.contains(&"access"),
            "{ids:?}"
        );
        // Two statements: each theme's words and polarity come from its own statement.
        let staff = a.theme_index("staff_conduct").unwrap();
        let access = a.theme_index("access").unwrap();
        assert_eq!(c.theme_polarity(staff), Sentiment::Positive);
        assert_eq!(c.theme_polarity(access), Sentiment::Negative);
        assert!(
            c.about(staff)
                .starts_with("Hoitaja oli todella ystävällinen"),
            "{}",
            c.about(staff)
        );
        assert!(!c.about(staff).contains("jonotin"), "{}", c.about(staff));
        // An answer without a comment has scores and no tags.
        let second = a.get(1);
        assert!(second.comment().is_none());
        assert_eq!(second.nps(), Some(1));
        assert_eq!(second.month(), None);
    }

    #[test]
    fn a_one_statement_comment_answers_like_its_classification() {
        let taxonomy = Taxonomy::load(None).unwrap();
        let classifier = Classifier::new(&taxonomy);
        for text in ["Pitkä jono", "Kiitos ystävälliselle hoitajalle", "ok"] {
            let r = classifier.classify(text);
            let a = answers_of(&[text]);
            let c = a.get(0).comment().unwrap();
            assert_eq!(c.text(), text);
            for (k, id) in a.theme_ids().iter().enumerate() {
                assert_eq!(c.has_theme(k), r.has_theme(id), "{text} {id}");
                assert_eq!(
                    c.statement_sentiments(k),
                    r.statement_sentiments(id),
                    "{text} {id}"
                );
            }
        }
    }
}
