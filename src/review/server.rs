//! The review's HTTP server: axum on a small tokio runtime, bound to loopback.
//!
//! Every request must carry the session token (`Authorization: Bearer TOKEN`; the page
//! itself takes it as `?token=`), a `Host` naming the loopback address it was served on,
//! and — when the browser sends one — an `Origin` of that same host. Without them: 403.
//! The token keeps other local users and web pages out; the Host and Origin checks stop a
//! page on another site from reaching the server through DNS rebinding.

use super::{page, Decision, Filter, Item, Review, ReviewError, STATUSES};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct App {
    review: Mutex<Review>,
    token: String,
    /// `Host` values accepted; empty when `--allow-remote` lets any host in.
    hosts: Vec<String>,
    html: String,
    csp: String,
}

impl App {
    pub fn new(review: Review, token: String, addr: SocketAddr, allow_remote: bool) -> Self {
        let port = addr.port();
        let hosts = if allow_remote {
            Vec::new()
        } else if addr.is_ipv6() {
            vec![format!("[::1]:{port}"), format!("localhost:{port}")]
        } else {
            vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")]
        };
        App {
            review: Mutex::new(review),
            token,
            hosts,
            html: page::html(),
            csp: page::csp(),
        }
    }

    fn review(&self) -> MutexGuard<'_, Review> {
        // A handler that panicked left the review as it was between two whole changes
        // (files are replaced whole), so its data is still good to use.
        self.review.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A fresh random session token (256 bits, hex).
pub fn new_token() -> std::io::Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(std::io::Error::other)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/meta", get(meta))
        .route("/api/next", get(next))
        .route("/api/item/{id}", get(item))
        .route("/api/label", post(label))
        .route("/api/skip", post(skip))
        .route("/api/undo", post(undo))
        .route("/api/queue", get(queue))
        .route("/api/queue/status", post(queue_status))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Serves until the process is stopped.
pub fn serve(listener: std::net::TcpListener, app: App) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()?;
    rt.block_on(async move {
        let l = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(l, router(Arc::new(app))).await
    })
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": message.to_string() }))).into_response()
}

impl IntoResponse for ReviewError {
    fn into_response(self) -> Response {
        let status = match &self {
            ReviewError::UnknownItem(_) | ReviewError::NoQueue => StatusCode::NOT_FOUND,
            ReviewError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ReviewError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        error(status, self)
    }
}

/// Equal without telling, by its timing, how much of the token was right.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let text = |name| h.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let host = text(header::HOST).unwrap_or("");
    if !app.hosts.is_empty() && !app.hosts.iter().any(|x| x == host) {
        return error(StatusCode::FORBIDDEN, "unexpected Host");
    }
    if let Some(origin) = h.get(header::ORIGIN) {
        if origin.to_str().ok() != Some(format!("http://{host}").as_str()) {
            return error(StatusCode::FORBIDDEN, "unexpected Origin");
        }
    }
    let given = if req.uri().path() == "/" {
        req.uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
    } else {
        text(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "))
    };
    if !given.is_some_and(|t| same(t.trim(), &app.token)) {
        return error(StatusCode::FORBIDDEN, "missing or wrong session token");
    }
    let mut resp = next.run(req).await;
    let hs = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&app.csp) {
        hs.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for (k, v) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        hs.insert(k, HeaderValue::from_static(v));
    }
    resp
}

async fn index(State(app): State<Arc<App>>) -> Html<String> {
    Html(app.html.clone())
}

async fn meta(State(app): State<Arc<App>>) -> Json<Value> {
    let r = app.review();
    let distinct = |f: &dyn Fn(&Item) -> Option<String>| {
        let mut v: Vec<String> = r.items.iter().filter_map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    let counts = r.theme_label_counts();
    Json(json!({
        "themes": r.themes.iter().map(|(id, label)| json!({
            "id": id, "label": label, "labels": counts.get(id).copied().unwrap_or(0)
        })).collect::<Vec<_>>(),
        "sentiments": crate::domain::Sentiment::ALL.iter().map(|s| s.code()).collect::<Vec<_>>(),
        "triage": ["urgent", "formal", "contact_requested"],
        "units": distinct(&|it| it.unit.clone()),
        "months": distinct(&|it| it.month.clone()),
        "langs": distinct(&|it| Some(it.raw.lang.lang.code().to_string())),
        "total": r.items.len(),
        "labeled": r.labels.len(),
        "labels_file": r.labels.path().display().to_string(),
        "reviewer": r.reviewer,
        "queue": r.queue.is_some(),
    }))
}

fn item_json(r: &Review, it: &Item, unmasked: bool) -> Value {
    let (text, c) = if unmasked {
        (&it.text, &it.raw)
    } else {
        (&it.masked, &it.shown)
    };
    let tags = |v: &[crate::domain::ThemeTag]| {
        v.iter()
            .map(|t| {
                json!({"id": t.theme, "by_rules": t.by_rules, "model_p": t.model_p,
                       "evidence": t.evidence})
            })
            .collect::<Vec<_>>()
    };
    let label = r.labels.get(&it.id).map(|row| {
        let col = |n: &str| r.labels.column(n).map_or("", |i| row[i].as_str());
        let list = |s: &str| {
            s.split(';')
                .filter(|x| !x.is_empty() && *x != "normal")
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        json!({"themes": list(col("themes")), "sentiment": col("sentiment"),
               "triage": list(col("triage")), "reviewer": col("reviewer"), "time": col("time")})
    });
    json!({
        "id": it.id,
        "source": it.source,
        "text": text,
        "masked": !unmasked,
        "lang": c.lang.lang.code(),
        "unit": it.unit,
        "month": it.month,
        "nps": it.nps,
        "doubt": it.doubt,
        "predicted": {
            "themes": tags(&c.themes),
            "overruled": tags(&c.overruled),
            "sentiment": c.sentiment.code(),
            "sentiment_p": c.sentiment_p,
            "sentiment_note": c.sentiment_note,
            "triage": c.triage.code(),
            "classes": c.triage_classes().iter().map(|x| x.code()).collect::<Vec<_>>(),
            "urgent_p": c.urgent_p,
            "reasons": c.triage_reasons.iter().map(|x| json!({
                "class": x.class.code(), "rule": x.id, "matched": x.evidence.matched
            })).collect::<Vec<_>>(),
            "statements": c.statements.iter().map(|s| json!({
                "text": text.get(s.start..s.end).unwrap_or(""),
                "start": s.start, "end": s.end,
                "themes": s.themes, "sentiment": s.sentiment.code()
            })).collect::<Vec<_>>(),
        },
        "label": label,
    })
}

async fn next(State(app): State<Arc<App>>, Query(filter): Query<Filter>) -> Json<Value> {
    let r = app.review();
    let (it, remaining) = r.next(&filter);
    Json(json!({
        "item": it.map(|it| item_json(&r, it, false)),
        "remaining": remaining,
        "labeled": r.labels.len(),
    }))
}

#[derive(serde::Deserialize)]
struct ItemQuery {
    #[serde(default)]
    unmask: bool,
}

async fn item(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Result<Json<Value>, ReviewError> {
    let r = app.review();
    let it = r.item(&id)?;
    if q.unmask {
        r.log_unmask(&id)?;
    }
    Ok(Json(item_json(&r, it, q.unmask)))
}

async fn label(
    State(app): State<Arc<App>>,
    Json(d): Json<Decision>,
) -> Result<(StatusCode, Json<Value>), ReviewError> {
    let mut r = app.review();
    r.label(&d)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": d.id, "labeled": r.labels.len()})),
    ))
}

#[derive(serde::Deserialize)]
struct IdBody {
    id: String,
}

async fn skip(
    State(app): State<Arc<App>>,
    Json(b): Json<IdBody>,
) -> Result<Json<Value>, ReviewError> {
    app.review().skip(&b.id)?;
    Ok(Json(json!({"id": b.id})))
}

async fn undo(State(app): State<Arc<App>>) -> Result<Response, ReviewError> {
    let mut r = app.review();
    Ok(match r.labels.undo()? {
        Some(id) => Json(json!({"id": id, "labeled": r.labels.len()})).into_response(),
        None => error(StatusCode::CONFLICT, "nothing to undo in this session"),
    })
}

async fn queue(State(app): State<Arc<App>>) -> Result<Json<Value>, ReviewError> {
    let r = app.review();
    let q = r.queue.as_ref().ok_or(ReviewError::NoQueue)?;
    Ok(Json(json!({"items": q.items(), "statuses": STATUSES})))
}

#[derive(serde::Deserialize)]
struct StatusBody {
    source: String,
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    note: String,
}

async fn queue_status(
    State(app): State<Arc<App>>,
    Json(b): Json<StatusBody>,
) -> Result<Json<Value>, ReviewError> {
    let mut r = app.review();
    let reviewer = r.reviewer.clone();
    let q = r.queue.as_mut().ok_or(ReviewError::NoQueue)?;
    q.set(&b.source, &b.status, &b.owner, &b.note, &reviewer)?;
    Ok(Json(json!({"source": b.source, "status": b.status})))
}
