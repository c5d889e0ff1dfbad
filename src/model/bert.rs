//! A BERT-family encoder for inference, in one file: the forward pass of Hugging Face's
//! `modeling_bert.py` (absolute positions from 0, post-norm layers, erf GELU) on a batch of
//! token sequences **packed end to end**: the matrix products run on every token of the
//! batch at once and attention stays inside each sequence, so nothing is padded.
//!
//! Memory: the word-embedding table (250 k × 384 for e5-small, most of the model) is never
//! copied: it stays in the memory-mapped model file, in the dtype it was saved in (f16 for
//! the converted default model), and one row is read per token. The layers' matrices are
//! held once, in the form their kernel wants ([`super::linear`]).
//!
//! candle's `BertModel` computes the same function; it stays the f32 reference that the
//! tests compare this file against, and the fine-tuning code's starting point.

use super::linear::{Kernel, Linear};
use super::ModelError;
use half::{bf16, f16};
use memmap2::Mmap;
use rayon::prelude::*;
use safetensors::{tensor::TensorInfo, Dtype};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The sizes the forward pass needs, read from config.json.
#[derive(Clone, Debug)]
pub struct Config {
    pub hidden: usize,
    pub heads: usize,
    pub layers: usize,
    pub intermediate: usize,
    pub max_positions: usize,
    pub eps: f32,
}

impl Config {
    pub fn from_json(raw: &serde_json::Value) -> Result<Config, String> {
        let size = |k: &str| {
            raw.get(k)
                .and_then(serde_json::Value::as_u64)
                .map(|v| v as usize)
                .ok_or_else(|| format!("config.json has no {k}"))
        };
        let act = raw
            .get("hidden_act")
            .and_then(|v| v.as_str())
            .unwrap_or("gelu");
        if act != "gelu" {
            return Err(format!(
                "hidden_act {act:?}: only \"gelu\" (erf) is implemented"
            ));
        }
        let c = Config {
            hidden: size("hidden_size")?,
            heads: size("num_attention_heads")?,
            layers: size("num_hidden_layers")?,
            intermediate: size("intermediate_size")?,
            max_positions: size("max_position_embeddings")?,
            eps: raw
                .get("layer_norm_eps")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(1e-12) as f32,
        };
        if c.heads == 0 || !c.hidden.is_multiple_of(c.heads) {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                c.hidden, c.heads
            ));
        }
        Ok(c)
    }
}

/// One memory-mapped safetensors file and its table of contents.
struct File {
    path: PathBuf,
    map: Arc<Mmap>,
    /// Where the tensor data starts (after the 8-byte length and the JSON header).
    data: usize,
    tensors: HashMap<String, TensorInfo>,
}

impl File {
    fn open(path: &Path) -> Result<File, String> {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // SAFETY: the model files are read-only artifacts that palaute writes atomically
        // (temp file + rename); nothing writes to them while they are mapped.
        let map = unsafe { Mmap::map(&f) }.map_err(|e| format!("{}: {e}", path.display()))?;
        let (header, meta) = safetensors::SafeTensors::read_metadata(&map[..])
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let tensors = meta
            .tensors()
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        let file = File {
            path: path.to_path_buf(),
            map: Arc::new(map),
            data: 8 + header,
            tensors,
        };
        for (name, info) in &file.tensors {
            if file.data + info.data_offsets.1 > file.map.len() {
                return Err(format!(
                    "{}: tensor {name} runs past the end of the file",
                    path.display()
                ));
            }
        }
        Ok(file)
    }

    fn bytes(&self, info: &TensorInfo) -> &[u8] {
        &self.map[self.data + info.data_offsets.0..self.data + info.data_offsets.1]
    }
}

/// Tensors by name over a base file and, optionally, a file of tuned layers that overrides
/// some of them.
struct Store {
    files: Vec<File>,
    prefix: String,
}

impl Store {
    fn find(&self, name: &str) -> Option<(&File, &TensorInfo)> {
        let full = format!("{}{name}", self.prefix);
        // The tuned file is last and wins.
        self.files
            .iter()
            .rev()
            .find_map(|f| f.tensors.get(&full).map(|i| (f, i)))
    }

    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        let (file, info) = self
            .find(name)
            .ok_or_else(|| format!("the weights have no {}{name}", self.prefix))?;
        if info.shape != shape {
            return Err(format!(
                "{}{name} has shape {:?}, config.json asks for {shape:?}",
                self.prefix, info.shape
            ));
        }
        to_f32(info.dtype, file.bytes(info))
            .ok_or_else(|| format!("{}: {name} is {:?}", file.path.display(), info.dtype))
    }
}

fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => return None,
    })
}

/// The word-embedding table, left in the mapped file; rows are decoded on use.
struct Table {
    map: Arc<Mmap>,
    start: usize,
    rows: usize,
    dim: usize,
    dtype: Dtype,
}

impl Table {
    fn row(&self, id: u32, out: &mut [f32]) {
        // Unknown ids cannot come from the tokenizer; map them to row 0 rather than panic.
        let id = if (id as usize) < self.rows {
            id as usize
        } else {
            0
        };
        let width = self.dtype.bitsize() / 8;
        let at = self.start + id * self.dim * width;
        let bytes = &self.map[at..at + self.dim * width];
        match self.dtype {
            Dtype::F16 => {
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    *o = f16::from_le_bytes([b[0], b[1]]).to_f32();
                }
            }
            Dtype::BF16 => {
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    *o = bf16::from_le_bytes([b[0], b[1]]).to_f32();
                }
            }
            _ => {
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
            }
        }
    }
}

struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
}

struct Layer {
    /// Query, key and value in one product (3·hidden outputs).
    qkv: Linear,
    out: Linear,
    attention_norm: Norm,
    up: Linear,
    down: Linear,
    output_norm: Norm,
}

pub struct Bert {
    pub config: Config,
    word: Table,
    position: Vec<f32>,
    /// Row 0 of the token-type table: every token is of type 0.
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    pub kernel: Kernel,
}

impl Bert {
    /// Loads the weights of `files` (the base model, then optional tuned layers that
    /// override tensors of the same name).
    pub fn load(
        dir: &Path,
        files: &[PathBuf],
        config: Config,
        kernel: Kernel,
    ) -> Result<Bert, ModelError> {
        let fail = |message: String| ModelError::Load {
            dir: dir.to_path_buf(),
            message,
        };
        let files = files
            .iter()
            .map(|p| File::open(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                fail(format!(
                    "{e} (truncated? run `palaute model fetch --force`)"
                ))
            })?;
        let word_name = "embeddings.word_embeddings.weight";
        let prefix = ["", "bert.", "roberta.", "xlm-roberta."]
            .into_iter()
            .find(|p| files[0].tensors.contains_key(&format!("{p}{word_name}")))
            .ok_or_else(|| fail(format!("model.safetensors has no {word_name}")))?;
        let store = Store {
            files,
            prefix: prefix.to_string(),
        };
        let c = &config;
        let h = c.hidden;
        let (file, info) = store.find(word_name).expect("found above");
        if info.shape.len() != 2 || info.shape[1] != h {
            return Err(fail(format!(
                "{word_name} has shape {:?}, hidden_size is {h}",
                info.shape
            )));
        }
        if !matches!(info.dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16) {
            return Err(fail(format!("{word_name} is {:?}", info.dtype)));
        }
        let word = Table {
            map: file.map.clone(),
            start: file.data + info.data_offsets.0,
            rows: info.shape[0],
            dim: h,
            dtype: info.dtype,
        };
        let get = |name: &str, shape: &[usize]| store.get(name, shape).map_err(&fail);
        let norm = |name: &str| -> Result<Norm, ModelError> {
            Ok(Norm {
                w: get(&format!("{name}.weight"), &[h])?,
                b: get(&format!("{name}.bias"), &[h])?,
            })
        };
        let linear = |names: &[&str], n: usize, k: usize| -> Result<Linear, ModelError> {
            let mut w = Vec::with_capacity(names.len() * n * k);
            let mut b = Vec::with_capacity(names.len() * n);
            for name in names {
                w.extend(get(&format!("{name}.weight"), &[n, k])?);
                b.extend(get(&format!("{name}.bias"), &[n])?);
            }
            Ok(Linear::new(w, b, names.len() * n, k, kernel))
        };
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let p = format!("encoder.layer.{l}");
            let a = format!("{p}.attention");
            layers.push(Layer {
                qkv: linear(
                    &[
                        &format!("{a}.self.query"),
                        &format!("{a}.self.key"),
                        &format!("{a}.self.value"),
                    ],
                    h,
                    h,
                )?,
                out: linear(&[&format!("{a}.output.dense")], h, h)?,
                attention_norm: norm(&format!("{a}.output.LayerNorm"))?,
                up: linear(&[&format!("{p}.intermediate.dense")], c.intermediate, h)?,
                down: linear(&[&format!("{p}.output.dense")], h, c.intermediate)?,
                output_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        let (_, types) = store
            .find("embeddings.token_type_embeddings.weight")
            .ok_or_else(|| fail("the weights have no token_type_embeddings".into()))?;
        let type_rows = types.shape.first().copied().unwrap_or(0).max(1);
        let token_type =
            get("embeddings.token_type_embeddings.weight", &[type_rows, h])?[..h].to_vec();
        let bert = Bert {
            position: get(
                "embeddings.position_embeddings.weight",
                &[c.max_positions, h],
            )?,
            token_type,
            embedding_norm: norm("embeddings.LayerNorm")?,
            word,
            layers,
            kernel,
            config,
        };
        // Every matrix is now held in the form its kernel wants; the mapped pages it was
        // read from would stay resident (85 MB of f32 layers for e5-small) although only
        // the word table is read again. Dropping them costs nothing: a later read of a
        // word row faults its page back in from the file.
        #[cfg(unix)]
        for f in &store.files {
            // SAFETY: the mapping is read-only and file-backed, and the file does not change
            // while mapped (see `File::open`), so discarded pages read back the same bytes.
            let _ = unsafe { f.map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
        Ok(bert)
    }

    /// Mean-pooled final hidden states (not normalised), one row of `hidden` per sequence.
    /// Each sequence carries its own special tokens and is at most `max_positions` long.
    pub fn pooled(&self, seqs: &[&[u32]]) -> Vec<Vec<f32>> {
        self.pooled_views(seqs, None)
    }

    /// As [`Self::pooled`], with the mean-pooled states after the first `lower` layers
    /// appended to each row (2 × hidden) when `lower` is given: one forward pass for both.
    pub fn pooled_views(&self, seqs: &[&[u32]], lower: Option<usize>) -> Vec<Vec<f32>> {
        let h = self.config.hidden;
        let n = self.layers.len();
        let lower = lower.filter(|&l| l < n);
        let mut mid = None;
        let (x, starts) = self.run_keeping(seqs, n, lower, &mut mid);
        let mean = |x: &[f32], w: &[usize], out: &mut Vec<f32>| {
            let mut sum = vec![0f32; h];
            for row in x[w[0] * h..w[1] * h].chunks_exact(h) {
                sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
            let count = (w[1] - w[0]).max(1) as f32;
            out.extend(sum.iter().map(|s| s / count));
        };
        starts
            .windows(2)
            .map(|w| {
                let mut row = Vec::with_capacity(2 * h);
                mean(&x, w, &mut row);
                if let Some(mid) = &mid {
                    mean(mid, w, &mut row);
                }
                row
            })
            .collect()
    }

    /// Hidden states after the first `layers` layers, tokens × hidden, the sequences one
    /// after another (what the fine-tuning's frozen lower layers compute once).
    pub fn hidden(&self, seqs: &[&[u32]], layers: usize) -> Vec<f32> {
        self.run(seqs, layers.min(self.layers.len())).0
    }

    /// The packed forward pass through the first `layers` layers, and where each sequence
    /// starts (with the total at the end).
    fn run(&self, seqs: &[&[u32]], layers: usize) -> (Vec<f32>, Vec<usize>) {
        self.run_keeping(seqs, layers, None, &mut None)
    }

    /// [`Self::run`], copying the hidden states after the first `keep` layers into `kept`.
    fn run_keeping(
        &self,
        seqs: &[&[u32]],
        layers: usize,
        keep: Option<usize>,
        kept: &mut Option<Vec<f32>>,
    ) -> (Vec<f32>, Vec<usize>) {
        let mut starts = Vec::with_capacity(seqs.len() + 1);
        let mut t = 0;
        for s in seqs {
            starts.push(t);
            t += s.len();
        }
        starts.push(t);
        let mut x = self.embed(seqs, t);
        let mut scratch = Scratch::new(t, &self.config);
        for (done, layer) in self.layers[..layers].iter().enumerate() {
            if keep == Some(done) {
                *kept = Some(x.clone());
            }
            self.layer(layer, &mut x, &starts, &mut scratch);
        }
        (x, starts)
    }

    /// Word + position + type embeddings, layer-normed: tokens × hidden.
    fn embed(&self, seqs: &[&[u32]], tokens: usize) -> Vec<f32> {
        let h = self.config.hidden;
        let mut x = vec![0f32; tokens * h];
        let mut rows = x.chunks_exact_mut(h);
        for s in seqs {
            for (pos, &id) in s.iter().enumerate() {
                let row = rows.next().expect("one row per token");
                self.word.row(id, row);
                let pos = pos.min(self.config.max_positions - 1);
                let p = &self.position[pos * h..(pos + 1) * h];
                for ((r, p), t) in row.iter_mut().zip(p).zip(&self.token_type) {
                    *r += p + t;
                }
            }
        }
        layer_norm(&mut x, None, &self.embedding_norm, h, self.config.eps);
        x
    }

    fn layer(&self, layer: &Layer, x: &mut [f32], starts: &[usize], s: &mut Scratch) {
        let c = &self.config;
        let h = c.hidden;
        layer.qkv.forward(x, &mut s.qkv);
        attention(&s.qkv, &mut s.context, starts, c);
        layer.out.forward(&s.context, &mut s.proj);
        layer_norm(x, Some(&s.proj), &layer.attention_norm, h, c.eps);
        layer.up.forward(x, &mut s.mid);
        s.mid.par_chunks_mut(4096).for_each(gelu_all);
        layer.down.forward(&s.mid, &mut s.proj);
        layer_norm(x, Some(&s.proj), &layer.output_norm, h, c.eps);
    }
}

/// Activations of one layer, reused by the next.
struct Scratch {
    qkv: Vec<f32>,
    context: Vec<f32>,
    proj: Vec<f32>,
    mid: Vec<f32>,
}

impl Scratch {
    fn new(tokens: usize, c: &Config) -> Scratch {
        Scratch {
            qkv: vec![0.0; tokens * 3 * c.hidden],
            context: vec![0.0; tokens * c.hidden],
            proj: vec![0.0; tokens * c.hidden],
            mid: vec![0.0; tokens * c.intermediate],
        }
    }
}

/// Scaled dot-product attention of every head, each token attending to its own sequence.
fn attention(qkv: &[f32], context: &mut [f32], starts: &[usize], c: &Config) {
    let h = c.hidden;
    let hd = h / c.heads;
    let scale = 1.0 / (hd as f32).sqrt();
    // One task per sequence and head; each writes its own (token, head) slices.
    let jobs: Vec<(usize, usize)> = (0..starts.len() - 1)
        .flat_map(|s| (0..c.heads).map(move |head| (s, head)))
        .collect();
    let results: Vec<Vec<f32>> = jobs
        .par_iter()
        .map(|&(s, head)| {
            let (a, b) = (starts[s], starts[s + 1]);
            let mut out = vec![0f32; (b - a) * hd];
            attend(qkv, a..b, (head * hd, hd), h, scale, &mut out);
            out
        })
        .collect();
    for (&(s, head), out) in jobs.iter().zip(results) {
        for (t, o) in (starts[s]..starts[s + 1]).zip(out.chunks_exact(hd)) {
            context[t * h + head * hd..][..hd].copy_from_slice(o);
        }
    }
}

/// One head of one sequence (tokens `seq`, the head's `hd` dimensions from `at`): softmax of the
/// scaled scores against every token of the sequence, times the values, into `out`.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl", "x86_64+avx2+fma"))]
fn attend(
    qkv: &[f32],
    seq: std::ops::Range<usize>,
    (at, hd): (usize, usize),
    h: usize,
    scale: f32,
    out: &mut [f32],
) {
    // A head width known when compiling keeps each output row in registers while the
    // values are summed into it (e5-small's heads are 32 wide, base models' 64); the sums
    // run in the same order either way.
    match hd {
        32 => attend_rows::<32>(qkv, seq, at, hd, h, scale, out),
        64 => attend_rows::<64>(qkv, seq, at, hd, h, scale, out),
        _ => attend_rows::<0>(qkv, seq, at, hd, h, scale, out),
    }
}

/// [`attend`] with the head width `HD` fixed, or read from `hd` when `HD` is 0.
#[inline(always)]
fn attend_rows<const HD: usize>(
    qkv: &[f32],
    seq: std::ops::Range<usize>,
    at: usize,
    hd: usize,
    h: usize,
    scale: f32,
    out: &mut [f32],
) {
    let hd = if HD == 0 { hd } else { HD };
    let q = |t: usize| &qkv[t * 3 * h + at..][..hd];
    let k = |t: usize| &qkv[t * 3 * h + h + at..][..hd];
    let v = |t: usize| &qkv[t * 3 * h + 2 * h + at..][..hd];
    let mut p = vec![0f32; seq.len()];
    for (i, o) in seq.clone().zip(out.chunks_exact_mut(hd)) {
        let qi = q(i);
        let mut max = f32::NEG_INFINITY;
        for (j, pj) in seq.clone().zip(p.iter_mut()) {
            *pj = dot(qi, k(j)) * scale;
            max = max.max(*pj);
        }
        let mut sum = 0.0;
        for pj in p.iter_mut() {
            *pj = (*pj - max).exp();
            sum += *pj;
        }
        let inv = 1.0 / sum;
        if HD == 0 {
            for (j, pj) in seq.clone().zip(&p) {
                let w = pj * inv;
                o.iter_mut().zip(v(j)).for_each(|(o, v)| *o += w * v);
            }
        } else {
            let mut acc = [0f32; HD];
            for (j, pj) in seq.clone().zip(&p) {
                let w = pj * inv;
                acc.iter_mut().zip(v(j)).for_each(|(o, v)| *o += w * v);
            }
            o.copy_from_slice(&acc[..hd]);
        }
    }
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums so the compiler keeps them in one vector register.
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `x = LayerNorm(x + residual)` row by row, in f32.
fn layer_norm(x: &mut [f32], residual: Option<&[f32]>, n: &Norm, h: usize, eps: f32) {
    x.par_chunks_mut(h)
        .enumerate()
        .for_each(|(t, row)| norm_row(row, residual.map(|r| &r[t * h..(t + 1) * h]), n, eps));
}

#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl", "x86_64+avx2+fma"))]
fn norm_row(row: &mut [f32], residual: Option<&[f32]>, n: &Norm, eps: f32) {
    if let Some(r) = residual {
        row.iter_mut().zip(r).for_each(|(x, r)| *x += r);
    }
    let h = row.len();
    let mean = row.iter().sum::<f32>() / h as f32;
    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, w), b) in row.iter_mut().zip(&n.w).zip(&n.b) {
        *v = (*v - mean) * inv * w + b;
    }
}

/// GELU over a slice, compiled for each vector width.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl", "x86_64+avx2+fma"))]
fn gelu_all(x: &mut [f32]) {
    x.iter_mut().for_each(|v| *v = gelu(*v));
}

/// GELU with the exact error function, as `hidden_act = "gelu"` means.
#[inline(always)]
pub(crate) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// d gelu(x) / dx = Φ(x) + x·φ(x), for the fine-tuning's backward pass.
pub(crate) fn gelu_derivative(x: f32) -> f32 {
    const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;
    0.5 * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
        + x * (-0.5 * x * x).exp() * FRAC_1_SQRT_2PI
}

/// erf in f32 as a rational function on [-4, 4] (outside it erf is ±1 in f32): the
/// approximation Eigen uses for its vectorised erf, within a few f32 ulps. A branch-free
/// polynomial lets the GELU over every activation vectorise, where libm's erf would not.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_6e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329_3e-3;
    q = q * x2 - 1.426_473_9e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_agrees_with_libm() {
        let mut worst = 0f32;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            worst = worst.max((erf(x) - libm::erff(x)).abs());
        }
        assert!(worst < 2e-6, "erf off by {worst}");
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let n = Norm {
            w: vec![2.0; 4],
            b: vec![1.0; 4],
        };
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        layer_norm(&mut x, Some(&[1.0, 1.0, 1.0, 1.0]), &n, 4, 1e-12);
        let mean = x.iter().sum::<f32>() / 4.0;
        assert!((mean - 1.0).abs() < 1e-6, "{x:?}");
        assert!(
            (x[3] - x[0] - 2.0 * 3.0 / 1.25f32.sqrt()).abs() < 1e-5,
            "{x:?}"
        );
    }

    #[test]
    fn attention_stays_inside_each_sequence() {
        // Two one-token sequences: each token can only attend to itself, so its context
        // is its own value, whatever the other sequence holds.
        let c = Config {
            hidden: 2,
            heads: 1,
            layers: 0,
            intermediate: 2,
            max_positions: 4,
            eps: 1e-12,
        };
        let qkv = vec![1.0, 0.0, 1.0, 0.0, 5.0, 6.0, 0.0, 1.0, 0.0, 1.0, -3.0, 4.0];
        let mut ctx = vec![0.0; 4];
        attention(&qkv, &mut ctx, &[0, 1, 2], &c);
        assert_eq!(ctx, vec![5.0, 6.0, -3.0, 4.0]);
        // One sequence of both tokens: each now mixes both values.
        attention(&qkv, &mut ctx, &[0, 2], &c);
        assert!(ctx[0] > -3.0 && ctx[0] < 5.0 && (ctx[0] - ctx[2]).abs() > 1e-3);
    }
}
