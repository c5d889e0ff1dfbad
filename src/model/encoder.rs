//! Sentence embeddings: "query: " prefix (as the e5 model card asks for classification),
//! mean pooling over all tokens including <s> and </s>, L2 normalisation. The forward pass
//! is [`super::bert`] on batches packed end to end (no padding); a text longer than the
//! model's 512 positions is split into windows whose mean-pooled vectors are averaged
//! weighted by their token counts, as the reference C engine does — never cut.

use super::bert::{self, Bert};
use super::linear::Kernel;
use super::ModelError;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tokenizers::Tokenizer;

/// Windows per forward pass at most.
const BATCH: usize = 512;
/// Tokens per forward pass at most: enough rows for the matrix kernels to run at speed,
/// while one layer's activations stay a few tens of MB.
const BATCH_TOKENS: usize = 4096;
pub const QUERY_PREFIX: &str = "query: ";

/// How many `dim`-wide views [`Encoder::features`] puts side by side.
pub const FEATURE_VIEWS: usize = 2;

/// Names the views [`Encoder::features`] pools; part of the fingerprint, so caches and
/// heads made with other features are never read.
const FEATURES: &str = "features: final + last frozen layer, each L2-normalised";

/// Below this many windows a run is quick and gets no progress bar.
const PROGRESS_MIN: usize = 200;

pub struct Encoder {
    model: Bert,
    /// candle's BertModel on the same weights, the f32 reference; loaded when first asked.
    reference: OnceLock<BertModel>,
    candle_config: Config,
    files: Vec<PathBuf>,
    tokenizer: Tokenizer,
    device: Device,
    pub(crate) bos: u32,
    pub(crate) eos: u32,
    pub(crate) pad: u32,
    /// Content tokens per window: max positions minus the two specials.
    window: usize,
    /// The model's hidden size: the width of [`Self::embed`]'s vectors.
    pub dim: usize,
    /// The width of [`Self::features`]' vectors (2 × `dim`).
    pub feature_dim: usize,
    /// The layers after which the second view of [`Self::features`] is pooled: the last
    /// layer the fine-tuning leaves frozen.
    feature_layer: usize,
    /// Identifies the features this encoder makes (weights, kernel and the views pooled),
    /// for the embedding cache and the trained heads.
    pub fingerprint: String,
    pub dir: PathBuf,
    /// The fine-tuned layers loaded over the base weights, if any.
    pub tuned: Option<PathBuf>,
    /// Where the time goes, for the benchmarks.
    pub timings: Timings,
}

/// Time spent tokenizing and in the forward pass, summed over calls (nanoseconds).
#[derive(Default, Debug)]
pub struct Timings {
    pub tokenize_ns: std::sync::atomic::AtomicU64,
    pub forward_ns: std::sync::atomic::AtomicU64,
}

impl Timings {
    fn add(counter: &std::sync::atomic::AtomicU64, since: std::time::Instant) {
        counter.fetch_add(
            since.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// (tokenize, forward) in seconds.
    pub fn seconds(&self) -> (f64, f64) {
        let s = |c: &std::sync::atomic::AtomicU64| {
            c.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e9
        };
        (s(&self.tokenize_ns), s(&self.forward_ns))
    }
}

fn load_err(dir: &Path, message: impl Into<String>) -> ModelError {
    ModelError::Load {
        dir: dir.to_path_buf(),
        message: message.into(),
    }
}

impl Encoder {
    /// Loads a Hugging Face BERT-family encoder directory (config.json, model.safetensors,
    /// tokenizer.json).
    pub fn load(dir: &Path) -> Result<Encoder, ModelError> {
        Self::load_tuned(dir, None)
    }

    /// Loads the encoder with some of its tensors replaced by those in `tuned` (a
    /// safetensors file of fine-tuned layers under the same names); its fingerprint then
    /// covers both files.
    pub fn load_tuned(dir: &Path, tuned: Option<&Path>) -> Result<Encoder, ModelError> {
        let kernel = Kernel::from_env().map_err(|e| load_err(dir, e))?;
        Self::load_with(dir, tuned, kernel)
    }

    /// Loads the encoder to run its matrix products with `kernel`.
    pub fn load_with(
        dir: &Path,
        tuned: Option<&Path>,
        kernel: Kernel,
    ) -> Result<Encoder, ModelError> {
        let need = |f: &str| required(dir, f);
        let config_path = need("config.json")?;
        let weights = need("model.safetensors")?;
        let tok_path = need("tokenizer.json")?;
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| ModelError::io(&config_path, e))?;
        let raw: serde_json::Value = serde_json::from_str(&config_text)
            .map_err(|e| load_err(dir, format!("config.json is not JSON: {e}")))?;
        let kind = raw.get("model_type").and_then(|v| v.as_str()).unwrap_or("");
        if !matches!(kind, "bert" | "xlm-roberta" | "roberta" | "camembert" | "") {
            return Err(load_err(
                dir,
                format!("model_type {kind:?} is not a BERT-family encoder"),
            ));
        }
        let mut config: Config = serde_json::from_value(raw.clone())
            .map_err(|e| load_err(dir, format!("config.json is not a BERT config: {e}")))?;
        // Our converted weights sit at the root; HF checkpoints may prefix them.
        if kind == "xlm-roberta" || kind == "roberta" {
            config.model_type = Some("roberta".into());
        }
        let tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| load_err(dir, format!("tokenizer.json: {e}")))?;
        let id = |names: &[&str]| names.iter().find_map(|n| tokenizer.token_to_id(n));
        let (Some(bos), Some(eos)) = (id(&["<s>", "[CLS]"]), id(&["</s>", "[SEP]"])) else {
            return Err(load_err(
                dir,
                "tokenizer has neither <s>/</s> nor [CLS]/[SEP]",
            ));
        };
        let pad = id(&["<pad>", "[PAD]"]).unwrap_or(config.pad_token_id as u32);
        let device = Device::Cpu;
        let mut files = vec![weights.clone()];
        files.extend(tuned.map(Path::to_path_buf));
        let sizes = bert::Config::from_json(&raw).map_err(|e| load_err(dir, e))?;
        let feature_layer = sizes.layers.saturating_sub(super::finetune::TUNED_LAYERS);
        let model = Bert::load(dir, &files, sizes, kernel)?;
        let mut fingerprint = fingerprint(dir, &weights)?;
        if let Some(t) = tuned {
            let bytes = std::fs::read(t).map_err(|e| ModelError::io(t, e))?;
            let mut h = Sha256::new();
            h.update(fingerprint.as_bytes());
            h.update(&bytes);
            fingerprint = format!("{:x}", h.finalize())[..16].to_string();
        }
        // int8 rounds differently from f32: its embeddings are cached and its heads trained
        // apart. The VNNI, AVX2 and portable int8 paths give identical results and share them.
        if kernel != Kernel::F32 {
            fingerprint =
                crate::fingerprint::short(&[fingerprint.as_bytes(), b"int8-w8-a8-block32-v1"]);
        }
        fingerprint = crate::fingerprint::short(&[fingerprint.as_bytes(), FEATURES.as_bytes()]);
        Ok(Encoder {
            model,
            reference: OnceLock::new(),
            candle_config: config.clone(),
            files,
            tokenizer,
            device,
            bos,
            eos,
            pad,
            window: config.max_position_embeddings.saturating_sub(2).max(8),
            dim: config.hidden_size,
            feature_dim: FEATURE_VIEWS * config.hidden_size,
            feature_layer,
            fingerprint,
            dir: dir.to_path_buf(),
            tuned: tuned.map(Path::to_path_buf),
            timings: Timings::default(),
        })
    }

    /// The fingerprint of the base weights in `dir`, without loading them: the fine-tuned
    /// layers are keyed by it (they are trained in f32 whatever kernel runs them).
    pub fn weights_fingerprint(dir: &Path) -> Result<String, ModelError> {
        required(dir, "config.json")?;
        fingerprint(dir, &required(dir, "model.safetensors")?)
    }

    /// Token ids of a text's content ("query: " + text), without specials.
    pub fn content_ids(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        let enc = self
            .tokenizer
            .encode(format!("{QUERY_PREFIX}{text}"), false)
            .map_err(|e| load_err(&self.dir, format!("tokenizing: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Embeds texts; one L2-normalised vector per text, in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        self.embed_with(texts, Engine::Fast)
    }

    /// What the heads read: per text, the model's embedding followed by the mean-pooled
    /// output of the last frozen layer, each half L2-normalised (`feature_dim` wide).
    ///
    /// Why two views: the heads are trained on texts the top layers were tuned on, so the
    /// tuned embedding is more confident on them than it will be on new text; the frozen
    /// layer's view was never fitted to the labels. On dev it found 7 more of 458 urgent
    /// items at the same false alarms (themes unchanged), for one more copy of the hidden
    /// states per batch.
    pub fn features(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        self.pooled_texts(texts, Engine::Fast, Some(self.feature_layer))
    }

    /// Embeds texts with the chosen forward pass (the benchmark and the tests compare them).
    pub fn embed_with(&self, texts: &[&str], engine: Engine) -> Result<Vec<Vec<f32>>, ModelError> {
        self.pooled_texts(texts, engine, None)
    }

    /// Mean-pooled vectors (with the `lower` layer's view appended when given), windows
    /// averaged by token count, each `dim`-wide part L2-normalised.
    fn pooled_texts(
        &self,
        texts: &[&str],
        engine: Engine,
        lower: Option<usize>,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let width = if lower.is_some() {
            self.feature_dim
        } else {
            self.dim
        };
        let started = std::time::Instant::now();
        let windows = self.windows(texts)?;
        Timings::add(&self.timings.tokenize_ns, started);
        let started = std::time::Instant::now();
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| windows[w].1.len());
        let mut sums = vec![vec![0f32; width]; texts.len()];
        let mut weights = vec![0f32; texts.len()];
        // Long runs show a progress bar on stderr; it hides itself when stderr is not a terminal.
        let progress = (windows.len() >= PROGRESS_MIN).then(|| {
            crate::notice::progress(
                windows.len() as u64,
                "embedding {bar:30} {pos}/{len} texts, {per_sec}, {eta} left",
            )
        });
        for batch in batches(&order, &windows, engine) {
            let seqs: Vec<&[u32]> = batch.iter().map(|&w| windows[w].1.as_slice()).collect();
            let pooled = match engine {
                Engine::Fast => self.model.pooled_views(&seqs, lower),
                Engine::Reference if lower.is_some() => {
                    return Err(load_err(
                        &self.dir,
                        "the reference engine pools the last layer only".to_string(),
                    ))
                }
                Engine::Reference => self
                    .reference_pooled(&seqs)?
                    .to_vec2::<f32>()
                    .map_err(|e| load_err(&self.dir, format!("inference: {e}")))?,
            };
            if let Some(p) = &progress {
                p.inc(batch.len() as u64);
            }
            for (row, &w) in pooled.iter().zip(batch) {
                let (i, _, n) = &windows[w];
                let wt = *n as f32;
                for (s, v) in sums[*i].iter_mut().zip(row) {
                    *s += wt * v;
                }
                weights[*i] += wt;
            }
        }
        if let Some(p) = progress {
            p.finish_and_clear();
        }
        Timings::add(&self.timings.forward_ns, started);
        Ok(sums
            .into_iter()
            .map(|mut v| {
                for part in v.chunks_mut(self.dim) {
                    let norm = part.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    part.iter_mut().for_each(|x| *x /= norm);
                }
                v
            })
            .collect())
    }

    /// Every window of every text: (text index, token ids with specials, content length).
    fn windows(&self, texts: &[&str]) -> Result<Vec<Window>, ModelError> {
        let mut windows = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let ids = self.content_ids(t)?;
            if ids.is_empty() {
                windows.push((i, vec![self.bos, self.eos], 1));
                continue;
            }
            for chunk in ids.chunks(self.window) {
                let mut w = Vec::with_capacity(chunk.len() + 2);
                w.push(self.bos);
                w.extend_from_slice(chunk);
                w.push(self.eos);
                windows.push((i, w, chunk.len()));
            }
        }
        Ok(windows)
    }

    /// Mean-pooled hidden states (batch × hidden) computed by candle's `BertModel` in f32:
    /// the reference the fast path is tested against and the fine-tuning starts from.
    pub fn reference_pooled(&self, seqs: &[&[u32]]) -> Result<Tensor, ModelError> {
        let err = |e: candle_core::Error| load_err(&self.dir, format!("inference: {e}"));
        let model = match self.reference.get() {
            Some(m) => m,
            None => {
                // SAFETY: the weights files are memory-mapped read-only and not modified
                // while loaded.
                let vb = unsafe {
                    VarBuilder::from_mmaped_safetensors(&self.files, DType::F32, &self.device)
                }
                .map_err(err)?;
                let m = BertModel::load(vb, &self.candle_config).map_err(|e| {
                    load_err(&self.dir, format!("weights do not fit config.json: {e}"))
                })?;
                self.reference.get_or_init(|| m)
            }
        };
        let len = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let b = seqs.len();
        let mut ids = Vec::with_capacity(b * len);
        let mut mask = Vec::with_capacity(b * len);
        for s in seqs {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(self.pad, len - s.len()));
            mask.extend(std::iter::repeat_n(1u32, s.len()));
            mask.extend(std::iter::repeat_n(0u32, len - s.len()));
        }
        let ids = Tensor::from_vec(ids, (b, len), &self.device).map_err(err)?;
        let mask = Tensor::from_vec(mask, (b, len), &self.device).map_err(err)?;
        let types = ids.zeros_like().map_err(err)?;
        let hidden = model.forward(&ids, &types, Some(&mask)).map_err(err)?;
        let m = mask
            .to_dtype(DType::F32)
            .map_err(err)?
            .unsqueeze(2)
            .map_err(err)?;
        let summed = hidden.broadcast_mul(&m).map_err(err)?.sum(1).map_err(err)?;
        let counts = m.sum(1).map_err(err)?;
        summed.broadcast_div(&counts).map_err(err)
    }

    /// The ids that open and close every window.
    pub fn bos(&self) -> u32 {
        self.bos
    }

    pub fn eos(&self) -> u32 {
        self.eos
    }

    /// Which kernel runs the matrix products.
    pub fn kernel_name(&self) -> &'static str {
        self.model.kernel.describe()
    }

    /// Hidden states after the first `layers` layers for sequences that carry their own
    /// special tokens: tokens × hidden, one sequence after another.
    pub fn fast_hidden(&self, seqs: &[&[u32]], layers: usize) -> Vec<f32> {
        self.model.hidden(seqs, layers)
    }

    /// The fast path's mean-pooled hidden states, for comparing with [`Self::reference_pooled`].
    pub fn fast_pooled(&self, seqs: &[&[u32]]) -> Vec<Vec<f32>> {
        self.model.pooled(seqs)
    }
}

/// A file the model directory must hold, or an error that says how to get it.
fn required(dir: &Path, f: &str) -> Result<PathBuf, ModelError> {
    let p = dir.join(f);
    if p.is_file() {
        Ok(p)
    } else {
        Err(load_err(dir, format!("{f} is missing; run `palaute model fetch`, or give --model-dir a directory with config.json, model.safetensors and tokenizer.json")))
    }
}

/// A window of a text: (text index, token ids with specials, content length).
type Window = (usize, Vec<u32>, usize);

/// Which forward pass computes the embeddings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// [`super::bert`]: packed batches, the fast kernels.
    Fast,
    /// candle's `BertModel` in f32 on padded batches: the reference.
    Reference,
}

/// Windows (sorted by length) grouped into forward passes. Packed, a pass holds up to
/// [`BATCH_TOKENS`] real tokens; padded (the reference), the longest window times the
/// count stays under it, so long windows go in small batches.
fn batches<'a>(order: &'a [usize], windows: &[Window], engine: Engine) -> Vec<&'a [usize]> {
    let most = match engine {
        Engine::Fast => BATCH,
        Engine::Reference => 64,
    };
    let mut batches = Vec::new();
    let (mut start, mut tokens) = (0, 0);
    for end in 1..=order.len() {
        let len = windows[order[end - 1]].1.len();
        tokens += len;
        let cost = match engine {
            Engine::Fast => tokens,
            // `order` is sorted, so the last window is the longest of the batch.
            Engine::Reference => (end - start) * len,
        };
        if (end - start > most || cost > BATCH_TOKENS) && end - 1 > start {
            batches.push(&order[start..end - 1]);
            start = end - 1;
            tokens = len;
        }
    }
    if start < order.len() {
        batches.push(&order[start..]);
    }
    batches
}

/// SHA-256 of config.json and the first and last MiB of the weights plus their size: cheap
/// to compute on every load, and changes whenever the model does.
fn fingerprint(dir: &Path, weights: &Path) -> Result<String, ModelError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut h = Sha256::new();
    let config = std::fs::read(dir.join("config.json")).map_err(|e| ModelError::io(dir, e))?;
    h.update(&config);
    let mut f = std::fs::File::open(weights).map_err(|e| ModelError::io(weights, e))?;
    let size = f.metadata().map_err(|e| ModelError::io(weights, e))?.len();
    h.update(size.to_le_bytes());
    let mut buf = vec![0u8; 1 << 20];
    for start in [0, size.saturating_sub(buf.len() as u64)] {
        f.seek(SeekFrom::Start(start))
            .map_err(|e| ModelError::io(weights, e))?;
        let n = f.read(&mut buf).map_err(|e| ModelError::io(weights, e))?;
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize())[..16].to_string())
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}
