//! Helpers every integration test uses: run the binary, check how it ended, read what it
//! wrote.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub fn palaute(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palaute"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs")
}

pub fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "command failed: {err}");
    err
}

/// A failure must be a clean error (exit 1), never a panic.
pub fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "expected exit 1, stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    err
}

pub fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file exists")).expect("valid JSON")
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
