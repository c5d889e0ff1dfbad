//! `palaute review` driven as a person's browser would: over HTTP on loopback, and in
//! headless Chromium through chromedriver (Debian's chromium and chromium-driver, installed
//! by `scripts/install_browser.sh`, which the browser test runs when they are missing). The
//! HTTP tests run on rules only (`--no-model`); the browser test runs with the model.

use super::common::*;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `palaute review`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    token: String,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_palaute"))
        .arg("review")
        .args(["--no-browser", "--reviewer", "tester"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(log.reopen().expect("log file"))
        .spawn()
        .expect("binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address on stdout");
    let url = line.trim().to_string();
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| {
        panic!(
            "loopback address expected, got {url:?}; stderr: {}",
            std::fs::read_to_string(log.path()).unwrap_or_default()
        )
    });
    let (port, token) = rest.split_once("/?token=").expect("token in the address");
    Server {
        port: port.parse().expect("port"),
        token: token.to_string(),
        url: url.clone(),
        child,
    }
}

/// One HTTP/1.1 request; returns the status, the headers (lower-cased) and the body.
fn http(port: u16, req: &str, body: Option<&Value>) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut msg = req.replace("{port}", &port.to_string());
    if !msg.contains("\r\nConnection:") {
        msg.push_str("Connection: close\r\n");
    }
    if !body.is_empty() {
        msg.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    msg.push_str("\r\n");
    msg.push_str(&body);
    s.write_all(msg.as_bytes()).expect("send");
    // chromedriver keeps the connection open whatever the request says: read the head, then
    // exactly Content-Length bytes (or to the end when there is none).
    let mut r = BufReader::new(s);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).expect("read") == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let head = head.to_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let mut bytes = Vec::new();
    match len {
        Some(n) => {
            bytes.resize(n, 0);
            r.read_exact(&mut bytes).expect("read body");
        }
        None => {
            r.read_to_end(&mut bytes).expect("read body");
        }
    }
    let body = String::from_utf8_lossy(&bytes).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, body)
}

impl Server {
    fn get(&self, path: &str) -> (u16, Value) {
        let (st, _, b) = http(
            self.port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\nAuthorization: Bearer {}\r\n",
                self.token
            ),
            None,
        );
        (st, serde_json::from_str(&b).unwrap_or(Value::Null))
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (st, _, b) = http(
            self.port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\nOrigin: http://127.0.0.1:{{port}}\r\nAuthorization: Bearer {}\r\n",
                self.token
            ),
            Some(&body),
        );
        (st, serde_json::from_str(&b).unwrap_or(Value::Null))
    }
}

fn labels(path: &Path) -> Vec<csv::StringRecord> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.expect("labels row"))
        .collect()
}

fn col(path: &Path, name: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("labels file");
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let h = r.headers().expect("header").clone();
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

const SAMPLE: &str = "data/sample/palaute_2026-08.csv";

#[test]
fn label_undo_restart_and_the_label_is_still_there() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("labels.csv");
    let srv = start(&[SAMPLE, "--no-model", "--labels", lab.to_str().unwrap()]);
    let (st, first) = srv.get("/api/next");
    assert_eq!(st, 200);
    let id = first["item"]["id"].as_str().expect("an item").to_string();
    let total = first["remaining"].as_u64().unwrap();
    assert!(first["item"]["masked"].as_bool().unwrap());

    let d = json!({"id": id, "themes": ["access", "staff_conduct"], "sentiment": "negative", "triage": "urgent;formal"});
    assert_eq!(srv.post("/api/label", d.clone()).0, 201);
    let rows = labels(&lab);
    assert_eq!(rows.len(), 1);
    let (c_id, c_th, c_tr) = (col(&lab, "id"), col(&lab, "themes"), col(&lab, "triage"));
    assert_eq!(&rows[0][c_id], id);
    assert_eq!(&rows[0][c_th], "access;staff_conduct");
    assert_eq!(&rows[0][c_tr], "urgent;formal");
    assert_eq!(&rows[0][col(&lab, "reviewer")], "tester");
    assert!(!rows[0][col(&lab, "model_triage")].is_empty());

    let (_, second) = srv.get("/api/next");
    assert_ne!(second["item"]["id"].as_str(), Some(id.as_str()));
    assert_eq!(second["remaining"].as_u64().unwrap(), total - 1);

    let (st, undone) = srv.post("/api/undo", json!({}));
    assert_eq!(st, 200);
    assert_eq!(undone["id"].as_str(), Some(id.as_str()));
    assert!(labels(&lab).is_empty());
    assert_eq!(srv.post("/api/undo", json!({})).0, 409);

    assert_eq!(srv.post("/api/label", d).0, 201);
    // A second decision on the same comment replaces the first.
    let d2 = json!({"id": id, "themes": ["access"], "sentiment": "negative", "triage": "normal"});
    assert_eq!(srv.post("/api/label", d2).0, 201);
    assert_eq!(labels(&lab).len(), 1);
    drop(srv);

    let srv = start(&[SAMPLE, "--no-model", "--labels", lab.to_str().unwrap()]);
    let (_, meta) = srv.get("/api/meta");
    assert_eq!(meta["labeled"], 1);
    let (_, item) = srv.get(&format!("/api/item/{id}"));
    assert_eq!(item["label"]["themes"], json!(["access"]));
    assert_eq!(item["label"]["triage"], json!([]));
    let (_, next) = srv.get("/api/next");
    assert_ne!(next["item"]["id"].as_str(), Some(id.as_str()));
    assert_eq!(next["remaining"].as_u64().unwrap(), total - 1);

    // The labels file is a training file as it stands.
    let out = palaute(&["eval", "--no-model", "--gold", lab.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn skip_filters_and_bad_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("labels.csv");
    let srv = start(&[SAMPLE, "--no-model", "--labels", lab.to_str().unwrap()]);
    let (_, a) = srv.get("/api/next");
    let a_id = a["item"]["id"].as_str().unwrap().to_string();
    assert_eq!(srv.post("/api/skip", json!({"id": a_id})).0, 200);
    let (_, b) = srv.get("/api/next");
    assert_ne!(b["item"]["id"].as_str(), Some(a_id.as_str()));

    let (_, f) = srv.get("/api/next?theme=access&lang=fi");
    let it = &f["item"];
    assert_eq!(it["lang"], "fi");
    let themes: Vec<&str> = it["predicted"]["themes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(themes.contains(&"access"), "{themes:?}");

    for bad in [
        json!({"id": a_id, "themes": ["no_such_theme"]}),
        json!({"id": a_id, "themes": [], "sentiment": "angry"}),
        json!({"id": a_id, "themes": [], "triage": "panic"}),
    ] {
        let (st, e) = srv.post("/api/label", bad);
        assert_eq!(st, 422, "{e}");
        assert!(e["error"].as_str().is_some());
    }
    assert_eq!(
        srv.post("/api/label", json!({"id": "nope", "themes": []}))
            .0,
        404
    );
    assert!(labels(&lab).is_empty());

    // Unmasking is on purpose and leaves a line in the audit log.
    let (st, raw) = srv.get(&format!("/api/item/{a_id}?unmask=true"));
    assert_eq!(st, 200);
    assert_eq!(raw["masked"], false);
    let audit = std::fs::read_to_string(dir.path().join("labels.audit.log")).unwrap();
    assert!(audit.contains(&a_id) && audit.contains("tester"), "{audit}");
}

#[test]
fn token_host_and_origin_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("labels.csv");
    let srv = start(&[SAMPLE, "--no-model", "--labels", lab.to_str().unwrap()]);
    let t = &srv.token;
    let cases = [
        // no token
        ("GET /api/next HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".to_string(), 403),
        ("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".to_string(), 403),
        // wrong token
        ("GET /api/next HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer 00\r\n".to_string(), 403),
        // DNS rebinding: right token, someone else's host name
        (format!("GET /api/next HTTP/1.1\r\nHost: attacker.example:{{port}}\r\nAuthorization: Bearer {t}\r\n"), 403),
        (format!("GET /?token={t} HTTP/1.1\r\nHost: attacker.example\r\n"), 403),
        // a cross-site request
        (format!("GET /api/next HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\nOrigin: http://attacker.example\r\nAuthorization: Bearer {t}\r\n"), 403),
        // the real thing, by either loopback name
        (format!("GET /api/next HTTP/1.1\r\nHost: localhost:{{port}}\r\nAuthorization: Bearer {t}\r\n"), 200),
        (format!("GET /?token={t} HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\n"), 200),
    ];
    for (req, want) in cases {
        let (st, _, _) = http(srv.port, &req, None);
        assert_eq!(st, want, "{req}");
    }
    let (_, head, page) = http(
        srv.port,
        &format!("GET /?token={t} HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\n"),
        None,
    );
    assert!(head.contains("content-security-policy: default-src 'none'; script-src 'sha256-"));
    assert!(head.contains("x-content-type-options: nosniff"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(!labels(&lab).iter().any(|_| true));

    let out = palaute(&[
        "review",
        SAMPLE,
        "--no-model",
        "--no-browser",
        "--bind",
        "0.0.0.0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}

#[test]
fn registry_queue_status_owner_and_note() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("queue");
    let out = palaute(&[
        "triage",
        "--no-model",
        "data/sample/registry_2026-10.csv",
        "-o",
        q.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lab = dir.path().join("labels.csv");
    let srv = start(&[
        "--queue",
        q.to_str().unwrap(),
        "--labels",
        lab.to_str().unwrap(),
        "--no-model",
    ]);
    let (st, board) = srv.get("/api/queue");
    assert_eq!(st, 200);
    let items = board["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["status"] == "new"));
    let urgent = items
        .iter()
        .find(|i| i["triage"] == "urgent")
        .expect("the registry sample has an urgent letter");
    let source = urgent["source"].as_str().unwrap();
    let (st, e) = srv.post(
        "/api/queue/status",
        json!({"source": source, "status": "closed", "owner": "Kirjaamo"}),
    );
    assert_eq!(st, 422);
    assert!(e["error"].as_str().unwrap().contains("note"));
    assert_eq!(
        srv.post(
            "/api/queue/status",
            json!({"source": source, "status": "in_progress", "owner": "Kirjaamo"})
        )
        .0,
        200
    );
    assert_eq!(
        srv.post("/api/queue/status", json!({"source": source, "status": "closed", "owner": "Kirjaamo", "note": "soitettu omaiselle, hoito järjestetty"})).0,
        200
    );
    assert_eq!(
        srv.post(
            "/api/queue/status",
            json!({"source": source, "status": "lost"})
        )
        .0,
        422
    );
    drop(srv);
    let srv = start(&[
        "--queue",
        q.to_str().unwrap(),
        "--labels",
        lab.to_str().unwrap(),
        "--no-model",
    ]);
    let (_, board) = srv.get("/api/queue");
    let it = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == source)
        .unwrap()
        .clone();
    assert_eq!(it["status"], "closed");
    assert_eq!(it["owner"], "Kirjaamo");
    assert!(it["note"].as_str().unwrap().contains("soitettu"));
    assert!(q.join("queue_status.csv").is_file());
}

// --- the page in a real browser -------------------------------------------------------

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = wd(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wd(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let (_, _, b) = http(
        port,
        &format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\n"),
        body.as_ref(),
    );
    serde_json::from_str(&b).unwrap_or_else(|e| panic!("chromedriver said {b:?}: {e}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn driver() -> Driver {
    // A fresh machine has no browser: the project's own script installs Debian's.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install_browser.sh");
    let installed = Command::new("bash")
        .arg(&script)
        .status()
        .expect("bash runs");
    assert!(installed.success(), "{} failed", script.display());
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is missing: run scripts/install_browser.sh (Debian's chromium and chromium-driver)");
    let mut d = Driver {
        child,
        port,
        session: String::new(),
    };
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = std::env::temp_dir().join(format!("palaute-chromium-{port}"));
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--window-size=1100,1400", "--hide-scrollbars",
                     format!("--user-data-dir={}", profile.display())]
        }
    }}});
    let v = wd(port, "POST", "/session", Some(caps));
    d.session = v["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {v}"))
        .to_string();
    d
}

impl Driver {
    fn call(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        wd(
            self.port,
            method,
            &format!("/session/{}/{what}", self.session),
            body,
        )["value"]
            .clone()
    }

    fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Waits until `script` returns true.
    fn until(&self, script: &str) {
        let t = Instant::now();
        while self.js(script) != json!(true) {
            assert!(t.elapsed() < Duration::from_secs(20), "timed out: {script}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for k in keys {
            actions.push(json!({"type": "keyDown", "value": k}));
            actions.push(json!({"type": "keyUp", "value": k}));
        }
        let v = self.call(
            "POST",
            "actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        assert!(v.is_null(), "actions failed: {v}");
    }
}

const ENTER: &str = "\u{E007}";

#[test]
fn page_in_headless_chromium_labels_three_comments_with_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("labels.csv");
    let srv = start(&[
        SAMPLE,
        "--no-model",
        "--labels",
        lab.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    let d = driver();
    d.call("POST", "url", Some(json!({"url": srv.url})));
    d.until("return typeof item === 'object' && item !== null && !document.getElementById('card').hidden");
    let first_theme = d
        .js("return meta.themes[0].id")
        .as_str()
        .unwrap()
        .to_string();

    // 1: toggle the first theme, accept.
    let id1 = d.js("return item.id").as_str().unwrap().to_string();
    let predicted1: Vec<String> =
        serde_json::from_value(d.js("return item.predicted.themes.map(t => t.id)")).unwrap();
    d.keys(&["1", ENTER]);
    d.until(&format!("return item !== null && item.id !== {id1:?}"));
    // 2: negative, accept.
    let id2 = d.js("return item.id").as_str().unwrap().to_string();
    d.keys(&["n", ENTER]);
    d.until(&format!("return item !== null && item.id !== {id2:?}"));
    // 3: urgent and formal, accept.
    let id3 = d.js("return item.id").as_str().unwrap().to_string();
    d.keys(&["r", "f", ENTER]);
    d.until(&format!("return item !== null && item.id !== {id3:?}"));
    d.until("return document.getElementById('counts').textContent.startsWith('3 labeled')");

    let rows = labels(&lab);
    assert_eq!(rows.len(), 3);
    let get = |id: &str, c: &str| -> String {
        let r = rows
            .iter()
            .find(|r| &r[col(&lab, "id")] == id)
            .unwrap_or_else(|| panic!("no label for {id}"));
        r[col(&lab, c)].to_string()
    };
    let mut want1: Vec<String> = predicted1.clone();
    if let Some(i) = want1.iter().position(|t| *t == first_theme) {
        want1.remove(i);
    } else {
        want1.push(first_theme.clone());
    }
    let mut got1: Vec<String> = get(&id1, "themes")
        .split(';')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    want1.sort();
    got1.sort();
    assert_eq!(got1, want1, "theme key 1 toggles {first_theme}");
    assert_eq!(get(&id2, "sentiment"), "negative");
    assert_eq!(get(&id3, "triage"), "urgent;formal");

    // Nothing the page did was refused by its Content-Security-Policy or threw.
    let logs = d.call("POST", "se/log", Some(json!({"type": "browser"})));
    let bad: Vec<&Value> = logs
        .as_array()
        .map(|a| a.iter().filter(|l| l["level"] == "SEVERE").collect())
        .unwrap_or_default();
    assert!(bad.is_empty(), "console errors: {bad:?}");

    let png = base64::decode(
        d.call("GET", "screenshot", None)
            .as_str()
            .expect("screenshot"),
    )
    .expect("base64");
    assert!(png.starts_with(b"\x89PNG"));
    let to: PathBuf = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/review.png")
    } else {
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("review.png")
    };
    std::fs::write(&to, png).unwrap();
}
