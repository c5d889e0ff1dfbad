//! Embeddings already computed, keyed by text, for one model fingerprint.
//!
//! The file is a log of fixed-size records (8-byte key, then `dim` f32): new embeddings are
//! appended as each batch is made, so a 100 000-comment run never rewrites what earlier
//! runs (or its own earlier batches) saved, and memory holds only the index (key → record)
//! and the batch not yet written. Vectors are read back from the file when asked for.
//! Runs take turns on a lock beside the file when appending; a record cut short by a crash
//! is dropped on the next append, and records after it are never misaligned.

use super::ModelError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    /// Record number in the file of every key this run knows there.
    index: HashMap<u64, u64>,
    /// Made by this run and not yet appended.
    pending: HashMap<u64, Vec<f32>>,
    /// Opened when a vector is first read back.
    reader: Option<File>,
}

pub fn text_key(text: &str) -> u64 {
    crate::fingerprint::key64(text.as_bytes())
}

impl EmbeddingCache {
    pub fn open(dir: &Path, fingerprint: &str, dim: usize) -> Self {
        // "-s": entries keyed by SHA-256 of the text (an older cache keyed by FNV-1a is
        // left alone rather than mixed in).
        let path = dir.join(format!("embeddings-{fingerprint}-s.bin"));
        let mut cache = EmbeddingCache {
            path,
            dim,
            index: HashMap::new(),
            pending: HashMap::new(),
            reader: None,
        };
        // An unreadable file is an empty cache: it only costs recomputing.
        let _ = cache.read_index();
        cache
    }

    fn record(&self) -> u64 {
        8 + 4 * self.dim as u64
    }

    /// Indexes the keys of the file's whole records, reading keys only.
    fn read_index(&mut self) -> std::io::Result<()> {
        let mut f = File::open(&self.path)?;
        let records = f.metadata()?.len() / self.record();
        let mut key = [0u8; 8];
        for r in 0..records {
            f.seek(SeekFrom::Start(r * self.record()))?;
            f.read_exact(&mut key)?;
            self.index.insert(u64::from_le_bytes(key), r);
        }
        Ok(())
    }

    pub fn contains(&self, key: u64) -> bool {
        self.pending.contains_key(&key) || self.index.contains_key(&key)
    }

    pub fn insert(&mut self, key: u64, vector: Vec<f32>) {
        debug_assert_eq!(vector.len(), self.dim);
        self.pending.insert(key, vector);
    }

    /// The vector of `key`, from this run's batch or read back from the file.
    pub fn get(&mut self, key: u64) -> Result<Option<Vec<f32>>, ModelError> {
        if let Some(v) = self.pending.get(&key) {
            return Ok(Some(v.clone()));
        }
        let Some(&r) = self.index.get(&key) else {
            return Ok(None);
        };
        if self.reader.is_none() {
            self.reader = Some(File::open(&self.path).map_err(|e| ModelError::io(&self.path, e))?);
        }
        let at = r * self.record() + 8;
        let f = self.reader.as_mut().expect("opened above");
        let mut bytes = vec![0u8; 4 * self.dim];
        f.seek(SeekFrom::Start(at))
            .and_then(|_| f.read_exact(&mut bytes))
            .map_err(|e| ModelError::io(&self.path, e))?;
        Ok(Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ))
    }

    /// Appends this run's new embeddings to the file.
    pub fn save(&mut self) -> Result<(), ModelError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        }
        let io = |e| ModelError::io(&self.path, e);
        let _lock = super::lock_file(&self.path.with_extension("lock"))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        let first = len / self.record();
        if len % self.record() != 0 {
            // A record cut short by a crash: drop it so the new ones stay aligned.
            f.set_len(first * self.record()).map_err(io)?;
        }
        f.seek(SeekFrom::Start(first * self.record())).map_err(io)?;
        let mut out = Vec::with_capacity(self.pending.len() * self.record() as usize);
        // In key order, so two runs over the same texts write the same file.
        let mut keys: Vec<u64> = self.pending.keys().copied().collect();
        keys.sort_unstable();
        for (record, k) in (first..).zip(keys) {
            let v = self.pending.remove(&k).expect("key from the map");
            out.extend_from_slice(&k.to_le_bytes());
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            self.index.insert(k, record);
        }
        f.write_all(&out).map_err(io)?;
        f.sync_data().map_err(io)?;
        // The reader may have been opened on a file since truncated; open it afresh.
        self.reader = None;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.index.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_a_torn_tail_and_concurrent_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = EmbeddingCache::open(dir.path(), "fp", 2);
        let mut b = EmbeddingCache::open(dir.path(), "fp", 2);
        a.insert(1, vec![1.0, 2.0]);
        a.save().unwrap();
        b.insert(2, vec![3.0, 4.0]);
        b.save().unwrap();
        // A crash mid-append leaves part of a record.
        let path = dir.path().join("embeddings-fp-s.bin");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[7, 7, 7]);
        std::fs::write(&path, bytes).unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "fp", 2);
        assert_eq!(
            c.len(),
            2,
            "both runs' embeddings kept, the torn tail dropped"
        );
        assert_eq!(c.get(2).unwrap(), Some(vec![3.0, 4.0]));
        // The next append starts where the last whole record ends.
        c.insert(3, vec![5.0, 6.0]);
        c.save().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * 16);
        let mut d = EmbeddingCache::open(dir.path(), "fp", 2);
        assert_eq!(d.get(3).unwrap(), Some(vec![5.0, 6.0]));
        assert_eq!(d.get(1).unwrap(), Some(vec![1.0, 2.0]));
        assert_eq!(d.get(9).unwrap(), None);
    }

    #[test]
    fn saving_writes_only_the_new_records() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = EmbeddingCache::open(dir.path(), "fp", 2);
        a.insert(1, vec![1.0, 2.0]);
        a.save().unwrap();
        a.save().unwrap();
        a.insert(2, vec![3.0, 4.0]);
        a.save().unwrap();
        let path = dir.path().join("embeddings-fp-s.bin");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * 16);
        assert_eq!(
            a.get(1).unwrap(),
            Some(vec![1.0, 2.0]),
            "read back from the file"
        );
    }
}
