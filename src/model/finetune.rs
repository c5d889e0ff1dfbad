//! Fine-tuning the top of the encoder on the labeled comments, on the CPU with candle's
//! autograd. The embeddings and the lower layers stay frozen: their output for every
//! training text is computed once and kept, so an epoch only runs the top layers forward
//! and backward. The loss trains all tasks at once on the mean-pooled vector: one
//! binary output per theme, the sentiment class and urgent-or-not.
//!
//! candle's own BERT layers cannot be differentiated (their layer norm is a fused op with
//! no backward pass, and the layer type keeps its forward private), so the tuned layers are
//! written out here from plain tensor operations, in the order of Hugging Face's
//! `modeling_bert.py`. Before training, their output on the base weights is checked against
//! candle's `BertModel`, so a mistake here stops the run instead of training a wrong model.
//!
//! The result is the tuned layers' weights under their original names: loaded over the base
//! model's file, they give the tuned encoder (see [`super::encoder::Encoder::load_tuned`]).

use super::encoder::Encoder;
use super::ModelError;
use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Shape, Tensor, Var, D};
use candle_nn::{AdamW, Linear, Optimizer, ParamsAdamW, VarBuilder};
use candle_transformers::models::bert::Config;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// Top layers that are trained; the rest of the 12 stay as they are.
pub const TUNED_LAYERS: usize = 2;
/// Passes over the training set, at most: a small set is seen this often.
const EPOCHS: usize = 3;
/// Tokens the tuning may process in all: three passes over the default training set
/// (4 804 comments, about 11 minutes on 2 cores). A larger set is seen fewer times rather
/// than taking longer: the last pass stops part-way, on a shuffled order, so the cost of
/// `palaute train` stays within its 15-minute budget as data grows.
const TOKEN_BUDGET: usize = 900_000;
const BATCH: usize = 16;
/// Content tokens a training text is cut to (the first window of a long letter).
const MAX_TOKENS: usize = 128;
/// Tokens per forward pass of the frozen layers (as the encoder's own batches).
const FROZEN_CHUNK_TOKENS: usize = 4096;
const LR_LAYERS: f64 = 1e-4;
const LR_HEADS: f64 = 2e-3;
/// Masked attention logits: far below any real score, finite so gradients stay finite.
const MASKED: f64 = -1e4;

/// What the tuning learns from one labeled comment.
pub struct Example {
    pub text: String,
    /// One entry per theme: 1.0 when the comment has it.
    pub themes: Vec<f32>,
    /// Index into the sentiment classes, when labeled.
    pub sentiment: Option<u32>,
    /// Urgent or not, when the triage is labeled.
    pub urgent: Option<bool>,
}

/// Training summary, for the command line and the README.
pub struct Tuned {
    pub tensors: HashMap<String, Tensor>,
    pub losses: Vec<f32>,
    pub parity: f32,
    /// Seconds in the frozen pass over every text, then in training the top layers: the
    /// first grows with the data, the second with the budget.
    pub seconds: (f32, f32),
    /// Passes over the training set (the last may be partial).
    pub passes: f32,
}

fn err(e: candle_core::Error) -> ModelError {
    ModelError::Train(format!("fine-tuning: {e}"))
}

struct LayerNorm {
    w: Tensor,
    b: Tensor,
    eps: f64,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(var + self.eps)?.sqrt()?)?
            .broadcast_mul(&self.w)?
            .broadcast_add(&self.b)
    }
}

/// One post-norm transformer layer whose weights are trainable variables.
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
    heads: usize,
}

impl Layer {
    fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, n, h) = x.dims3()?;
        let hd = h / self.heads;
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((b, n, self.heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(mask)?;
        // Softmax from differentiable parts; the max is only for range.
        let max = scores.max_keepdim(D::Minus1)?.detach();
        let e = scores.broadcast_sub(&max)?.exp()?;
        let probs = e.broadcast_div(&e.sum_keepdim(D::Minus1)?)?;
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, n, h))?;
        let a = self
            .attn_norm
            .forward(&(self.attn_out.forward(&ctx)? + x)?)?;
        let i = self.intermediate.forward(&a)?.apply_op1(Gelu)?;
        self.out_norm.forward(&(self.output.forward(&i)? + a)?)
    }
}

/// GELU with the exact erf, as the encoder computes it (`bert::gelu`), on all cores.
/// candle's `gelu_erf` calls libm's scalar erf on one thread, forward and backward: erf
/// and its exp were a sixth of the samples in a perf profile of tuning on 700 comments
/// (the candle-run frozen layers of then included); the wall time did not move past noise.
struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu-erf"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        map_f32(s, l, super::bert::gelu)
    }

    fn bwd(&self, arg: &Tensor, _: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad.mul(&arg.apply_op1_no_bwd(&GeluDerivative)?)?))
    }
}

struct GeluDerivative;

impl CustomOp1 for GeluDerivative {
    fn name(&self) -> &'static str {
        "gelu-erf-derivative"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        map_f32(s, l, super::bert::gelu_derivative)
    }
}

fn map_f32(
    s: &CpuStorage,
    l: &Layout,
    f: fn(f32) -> f32,
) -> candle_core::Result<(CpuStorage, Shape)> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("gelu: f32 tensors only");
    };
    let Some((start, end)) = l.contiguous_offsets() else {
        candle_core::bail!("gelu: contiguous tensors only");
    };
    let mut out = v[start..end].to_vec();
    out.par_chunks_mut(4096)
        .for_each(|c| c.iter_mut().for_each(|x| *x = f(*x)));
    Ok((CpuStorage::F32(out), l.shape().clone()))
}

/// Names of one layer's tensors, as in the model file.
const LAYER_TENSORS: [&str; 16] = [
    "attention.self.query.weight",
    "attention.self.query.bias",
    "attention.self.key.weight",
    "attention.self.key.bias",
    "attention.self.value.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.dense.bias",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.weight",
    "intermediate.dense.bias",
    "output.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.weight",
    "output.LayerNorm.bias",
];

/// Additive attention mask (b, 1, 1, n) from a 0/1 mask (b, n).
fn attention_mask(mask: &Tensor) -> candle_core::Result<Tensor> {
    ((mask.ones_like()? - mask)? * MASKED)?
        .unsqueeze(1)?
        .unsqueeze(1)
}

fn mean_pool(h: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let m = mask.unsqueeze(2)?;
    h.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?)
}

/// Binary cross-entropy on logits, averaged.
fn bce(z: &Tensor, y: &Tensor) -> candle_core::Result<Tensor> {
    // softplus(z) - y z, written to stay finite for large |z|.
    let softplus = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
    (softplus - (y * z)?)?.mean_all()
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The frozen bottom and the trainable top of the encoder.
struct Model {
    /// Where the tuned layers start: the encoder's own layers below run frozen.
    first_tuned: usize,
    layers: Vec<Layer>,
    /// The trainable tensors under the names the encoder loads them by.
    vars: Vec<(String, Var)>,
    dim: usize,
}

impl Model {
    fn load(encoder: &Encoder, device: &Device) -> Result<Model, ModelError> {
        let dir = &encoder.dir;
        let config_path = dir.join("config.json");
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| ModelError::io(&config_path, e))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| ModelError::Train(format!("config.json: {e}")))?;
        let layers_total = config.num_hidden_layers;
        let first_tuned = layers_total.saturating_sub(TUNED_LAYERS);
        let weights = dir.join("model.safetensors");
        // SAFETY: the weights file is memory-mapped read-only and not modified while loaded.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, device) }
            .map_err(err)?;
        // Our converted weights sit at the root; Hugging Face checkpoints may prefix them,
        // and the tuned tensors must keep the names the encoder loads.
        let prefix = ["", "bert.", "roberta."]
            .into_iter()
            .find(|p| vb.contains_tensor(&format!("{p}embeddings.word_embeddings.weight")))
            .ok_or_else(|| {
                ModelError::Train(
                    "fine-tuning: no embeddings.word_embeddings.weight in the model file".into(),
                )
            })?;
        let get = |name: &str| vb.get_unchecked(&format!("{prefix}{name}")).map_err(err);
        let eps = config.layer_norm_eps;
        let mut vars: Vec<(String, Var)> = Vec::new();
        let mut layers = Vec::new();
        for l in first_tuned..layers_total {
            let mut t = HashMap::new();
            for name in LAYER_TENSORS {
                let full = format!("encoder.layer.{l}.{name}");
                let var = Var::from_tensor(&get(&full)?).map_err(err)?;
                t.insert(name, var.as_tensor().clone());
                vars.push((format!("{prefix}{full}"), var));
            }
            let lin = |i: usize| {
                Linear::new(
                    t[LAYER_TENSORS[i]].clone(),
                    Some(t[LAYER_TENSORS[i + 1]].clone()),
                )
            };
            let ln = |i: usize| LayerNorm {
                w: t[LAYER_TENSORS[i]].clone(),
                b: t[LAYER_TENSORS[i + 1]].clone(),
                eps,
            };
            layers.push(Layer {
                query: lin(0),
                key: lin(2),
                value: lin(4),
                attn_out: lin(6),
                attn_norm: ln(8),
                intermediate: lin(10),
                output: lin(12),
                out_norm: ln(14),
                heads: config.num_attention_heads,
            });
        }
        Ok(Model {
            first_tuned,
            layers,
            vars,
            dim: config.hidden_size,
        })
    }

    /// Mean-pooled output of the trainable layers on the frozen layers' output.
    fn upper(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let m = attention_mask(mask)?;
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h, &m)?;
        }
        mean_pool(&h, mask)
    }
}

/// Token ids as the encoder sees them: normalised text, "query: " prefix, first window.
fn token_ids(encoder: &Encoder, examples: &[Example]) -> Result<Vec<Vec<u32>>, ModelError> {
    examples
        .iter()
        .map(|ex| {
            let ids = encoder.content_ids(&crate::text::for_model(&ex.text))?;
            let mut s = Vec::with_capacity(ids.len().min(MAX_TOKENS) + 2);
            s.push(encoder.bos);
            s.extend_from_slice(&ids[..ids.len().min(MAX_TOKENS)]);
            s.push(encoder.eos);
            Ok(s)
        })
        .collect()
}

/// The frozen layers' output for every text (unpadded), computed once in batches sorted
/// by length; and how far the trainable layers on the base weights are from candle's
/// encoder on the first batch (an error when they disagree).
fn frozen_states(
    encoder: &Encoder,
    model: &Model,
    seqs: &[Vec<u32>],
    device: &Device,
) -> Result<(Vec<Tensor>, f32), ModelError> {
    // The encoder's own packed forward pass (no padding, the f32 kernels of inference)
    // computes the frozen layers, in chunks of about FROZEN_CHUNK_TOKENS tokens.
    let dim = model.dim;
    let mut lower: Vec<Tensor> = Vec::with_capacity(seqs.len());
    let bar = progress(seqs.len() as u64, "fine-tuning: frozen layers");
    let mut parity = 0f32;
    let mut start = 0;
    while start < seqs.len() {
        let mut end = start;
        let mut tokens = 0;
        while end < seqs.len() && (end == start || tokens + seqs[end].len() <= FROZEN_CHUNK_TOKENS)
        {
            tokens += seqs[end].len();
            end += 1;
        }
        let batch: Vec<&[u32]> = seqs[start..end].iter().map(Vec::as_slice).collect();
        let hidden = encoder.fast_hidden(&batch, model.first_tuned);
        let mut offset = 0;
        for s in &batch {
            let rows = &hidden[offset * dim..(offset + s.len()) * dim];
            lower.push(Tensor::from_slice(rows, (s.len(), dim), device).map_err(err)?);
            offset += s.len();
        }
        if parity == 0.0 {
            // The frozen states and the trainable layers together must give what candle's
            // BertModel gives on the base weights, or the tuning would train another model.
            let some: Vec<usize> = (start..end.min(start + 32)).collect();
            let (x, mask) = batch_input(&lower, seqs, &some, device).map_err(err)?;
            let ours = model.upper(&x, &mask).map_err(err)?;
            let theirs = encoder.reference_pooled(&batch[..some.len()])?;
            parity = (ours - theirs)
                .and_then(|d| d.abs()?.max_all()?.to_scalar::<f32>())
                .map_err(err)?
                .max(f32::MIN_POSITIVE);
            if parity > 1e-3 {
                return Err(ModelError::Train(format!(
                    "fine-tuning: the trainable layers differ from the encoder by {parity} on the base weights; not training"
                )));
            }
        }
        bar.inc((end - start) as u64);
        start = end;
    }
    bar.finish_and_clear();
    Ok((lower, parity))
}

struct TaskHeads {
    themes: (Var, Var),
    sentiment: (Var, Var),
    urgent: (Var, Var),
}

impl TaskHeads {
    fn new(dim: usize, themes: usize, classes: usize, device: &Device) -> Result<Self, ModelError> {
        let head = |out: usize| -> Result<(Var, Var), ModelError> {
            let w = Var::randn(0f32, 0.02, (out.max(1), dim), device).map_err(err)?;
            let b = Var::zeros(out.max(1), DType::F32, device).map_err(err)?;
            Ok((w, b))
        };
        Ok(TaskHeads {
            themes: head(themes)?,
            sentiment: head(classes)?,
            urgent: head(1)?,
        })
    }

    fn vars(&self) -> Vec<Var> {
        [&self.themes, &self.sentiment, &self.urgent]
            .iter()
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    fn apply((w, b): &(Var, Var), x: &Tensor) -> candle_core::Result<Tensor> {
        Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone())).forward(x)
    }

    /// Themes BCE, plus half the sentiment cross-entropy and half the urgent BCE over the
    /// rows that carry those labels.
    fn loss(
        &self,
        pooled: &Tensor,
        batch: &[usize],
        examples: &[Example],
    ) -> candle_core::Result<Tensor> {
        let device = pooled.device();
        let y: Vec<f32> = batch
            .iter()
            .flat_map(|&i| examples[i].themes.iter().copied())
            .collect();
        let k = y.len() / batch.len();
        let y = Tensor::from_vec(y, (batch.len(), k), device)?;
        let mut loss = bce(&Self::apply(&self.themes, pooled)?, &y)?;
        let labeled = |f: &dyn Fn(&Example) -> bool| -> Vec<u32> {
            (0..batch.len() as u32)
                .filter(|&r| f(&examples[batch[r as usize]]))
                .collect()
        };
        let rows = labeled(&|e| e.sentiment.is_some());
        if !rows.is_empty() {
            let targets: Vec<u32> = rows
                .iter()
                .filter_map(|&r| examples[batch[r as usize]].sentiment)
                .collect();
            let x = pooled.index_select(&Tensor::new(rows.as_slice(), device)?, 0)?;
            let ce = candle_nn::loss::cross_entropy(
                &Self::apply(&self.sentiment, &x)?,
                &Tensor::new(targets.as_slice(), device)?,
            )?;
            loss = (loss + (ce * 0.5)?)?;
        }
        let rows = labeled(&|e| e.urgent.is_some());
        if !rows.is_empty() {
            let targets: Vec<f32> = rows
                .iter()
                .map(|&r| f32::from(u8::from(examples[batch[r as usize]].urgent == Some(true))))
                .collect();
            let targets = Tensor::from_vec(targets, (rows.len(), 1), device)?;
            let x = pooled.index_select(&Tensor::new(rows.as_slice(), device)?, 0)?;
            loss = (loss + (bce(&Self::apply(&self.urgent, &x)?, &targets)? * 0.5)?)?;
        }
        Ok(loss)
    }
}

/// A training batch from the kept frozen states, padded to its longest text.
fn batch_input(
    lower: &[Tensor],
    seqs: &[Vec<u32>],
    batch: &[usize],
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let n = batch.iter().map(|&i| seqs[i].len()).max().unwrap_or(1);
    let mut xs = Vec::with_capacity(batch.len());
    let mut mask = Vec::with_capacity(batch.len() * n);
    for &i in batch {
        let len = seqs[i].len();
        xs.push(lower[i].pad_with_zeros(0, 0, n - len)?);
        mask.extend(std::iter::repeat_n(1f32, len));
        mask.extend(std::iter::repeat_n(0f32, n - len));
    }
    Ok((
        Tensor::stack(&xs, 0)?,
        Tensor::from_vec(mask, (batch.len(), n), device)?,
    ))
}

/// Training steps: [`EPOCHS`] passes, or fewer when they would exceed [`TOKEN_BUDGET`].
fn total_steps(seqs: &[Vec<u32>], steps_per_epoch: usize) -> usize {
    let tokens_per_epoch: usize = seqs.iter().map(Vec::len).sum::<usize>().max(1);
    let affordable =
        (TOKEN_BUDGET as f64 / tokens_per_epoch as f64 * steps_per_epoch as f64).ceil() as usize;
    (EPOCHS * steps_per_epoch).min(affordable).max(1)
}

/// Learning-rate factor: linear warm-up over the first tenth of the steps, then linear decay.
fn lr_scale(step: usize, total: usize) -> f64 {
    let warm = (total / 10).max(1);
    if step < warm {
        (step + 1) as f64 / warm as f64
    } else {
        (total - step) as f64 / (total - warm).max(1) as f64
    }
}

fn adamw(vars: Vec<Var>, lr: f64, weight_decay: f64) -> Result<AdamW, ModelError> {
    AdamW::new(
        vars,
        ParamsAdamW {
            lr,
            weight_decay,
            ..Default::default()
        },
    )
    .map_err(err)
}

/// Fine-tunes the top [`TUNED_LAYERS`] layers of `encoder` on `examples`.
pub fn finetune(
    encoder: &Encoder,
    examples: &[Example],
    sentiment_classes: usize,
) -> Result<Tuned, ModelError> {
    let device = Device::Cpu;
    let _allocator = AllocatorTuning::new();
    let model = Model::load(encoder, &device)?;
    let seqs = token_ids(encoder, examples)?;
    let started = std::time::Instant::now();
    let (lower, parity) = frozen_states(encoder, &model, &seqs, &device)?;
    let frozen_secs = started.elapsed().as_secs_f32();
    let themes = examples.first().map_or(0, |e| e.themes.len());
    let heads = TaskHeads::new(model.dim, themes, sentiment_classes, &device)?;
    let mut opt_layers = adamw(
        model.vars.iter().map(|(_, v)| v.clone()).collect(),
        LR_LAYERS,
        0.01,
    )?;
    let mut opt_heads = adamw(heads.vars(), LR_HEADS, 0.0)?;

    // Batches of similar length (little padding), in shuffled order each epoch.
    let mut rng = Lcg(0x5eed);
    let steps_per_epoch = lower.len().div_ceil(BATCH);
    let total_steps = total_steps(&seqs, steps_per_epoch);
    let bar = progress(total_steps as u64, "fine-tuning: top layers");
    let mut losses = Vec::new();
    let mut step = 0usize;
    for _ in 0..EPOCHS {
        // Shuffle, then sort within windows of 8 batches so batches keep similar lengths.
        let mut ep: Vec<usize> = (0..lower.len()).collect();
        rng.shuffle(&mut ep);
        for w in ep.chunks_mut(BATCH * 8) {
            w.sort_by_key(|&i| seqs[i].len());
        }
        let mut batches: Vec<&[usize]> = ep.chunks(BATCH).collect();
        rng.shuffle(&mut batches);
        let mut epoch_loss = 0f32;
        let first_step = step;
        for batch in batches.into_iter().take(total_steps - step) {
            let loss = batch_input(&lower, &seqs, batch, &device)
                .and_then(|(x, mask)| model.upper(&x, &mask))
                .and_then(|pooled| heads.loss(&pooled, batch, examples))
                .map_err(err)?;
            let scale = lr_scale(step, total_steps);
            opt_layers.set_learning_rate(LR_LAYERS * scale);
            opt_heads.set_learning_rate(LR_HEADS * scale);
            let grads = loss.backward().map_err(err)?;
            opt_layers.step(&grads).map_err(err)?;
            opt_heads.step(&grads).map_err(err)?;
            epoch_loss += loss.to_scalar::<f32>().map_err(err)?;
            step += 1;
            bar.inc(1);
        }
        if step > first_step {
            losses.push(epoch_loss / (step - first_step) as f32);
        }
    }
    bar.finish_and_clear();
    let tensors = model
        .vars
        .into_iter()
        .map(|(name, v)| (name, v.as_tensor().detach()))
        .collect();
    Ok(Tuned {
        tensors,
        losses,
        parity,
        seconds: (frozen_secs, started.elapsed().as_secs_f32() - frozen_secs),
        passes: total_steps as f32 / steps_per_epoch as f32,
    })
}

/// While alive, glibc's malloc keeps freed memory for reuse instead of handing it back.
///
/// Every training step allocates and frees tensors of several MB (attention scores, the
/// feed-forward activations and their gradients). With glibc's defaults the heap top is
/// trimmed and large blocks are unmapped on free, so each step faults its memory in
/// again and the kernel zeroes it: measured on 700 comments, the top layers took 107 s
/// with the defaults and 74 s with freed memory kept (mimalloc as the global allocator:
/// 85 s). Peak memory does not grow, since the same sizes come back every step. The
/// defaults and a trim come back on drop, so the rest of the run is unaffected.
struct AllocatorTuning;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
impl AllocatorTuning {
    /// glibc's own defaults (mallopt(3)); its largest allowed mmap threshold is 32 MiB.
    const DEFAULT_THRESHOLD: libc::c_int = 128 * 1024;

    fn new() -> AllocatorTuning {
        // SAFETY: mallopt only changes allocator parameters; any value is accepted or
        // refused with a return code, and no pointer is involved.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
            libc::mallopt(libc::M_TOP_PAD, 64 << 20);
        }
        AllocatorTuning
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
impl Drop for AllocatorTuning {
    fn drop(&mut self) {
        // SAFETY: as above; malloc_trim only returns free memory to the kernel.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, Self::DEFAULT_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, Self::DEFAULT_THRESHOLD);
            libc::mallopt(libc::M_TOP_PAD, 0);
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
impl AllocatorTuning {
    fn new() -> AllocatorTuning {
        AllocatorTuning
    }
}

fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    crate::notice::progress(
        len,
        &format!("{what} {{bar:30}} {{pos}}/{{len}}, {{eta}} left"),
    )
}

/// Writes the tuned tensors (safetensors, f32), atomically.
pub fn save(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<(), ModelError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| ModelError::io(d, e))?;
    }
    let tmp = path.with_extension("tmp");
    candle_core::safetensors::save(tensors, &tmp).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| ModelError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_op_agrees_with_candles_and_so_does_its_gradient() {
        let device = Device::Cpu;
        let xs: Vec<f32> = (-700..=700).map(|i| i as f32 / 100.0).collect();
        let x = Var::from_vec(xs.clone(), xs.len(), &device).unwrap();
        let ours = x.as_tensor().apply_op1(Gelu).unwrap();
        let theirs = x.as_tensor().gelu_erf().unwrap();
        let worst = |a: &Tensor, b: &Tensor| {
            (a - b)
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        assert!(worst(&ours, &theirs) < 1e-5);
        // Weighted so that a wrong sign or scale anywhere shows in the gradient.
        let w = Tensor::from_vec(xs.iter().map(|v| v.sin()).collect(), xs.len(), &device).unwrap();
        let grad = |y: &Tensor| {
            let g = (y * &w).unwrap().sum_all().unwrap().backward().unwrap();
            g.get(x.as_tensor()).unwrap().clone()
        };
        let d = worst(&grad(&ours), &grad(&theirs));
        assert!(d < 1e-5, "gradients differ by {d}");
    }

    #[test]
    fn a_small_set_gets_every_epoch_and_a_large_one_stays_in_the_budget() {
        let small = vec![vec![0u32; 20]; 1_000];
        assert_eq!(total_steps(&small, 1_000usize.div_ceil(BATCH)), EPOCHS * 63);
        let large = vec![vec![0u32; 100]; 4_000];
        let steps = total_steps(&large, 4_000usize.div_ceil(BATCH));
        assert!(steps < EPOCHS * 250, "{steps}");
        let tokens = steps * BATCH * 100;
        assert!(tokens <= TOKEN_BUDGET + BATCH * 100, "{tokens}");
        assert!(tokens + BATCH * 100 > TOKEN_BUDGET, "{tokens}");
    }
}
