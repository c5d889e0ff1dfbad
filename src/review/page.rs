//! The review page: one HTML document with its style and script inline and nothing loaded
//! from anywhere (the Content-Security-Policy allows only these two blocks, by hash, and
//! requests back to the server). The script builds every element with `textContent`, so
//! no comment text is ever parsed as HTML.

use sha2::{Digest, Sha256};

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");
const BODY: &str = include_str!("page_body.html");

pub fn html() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>palaute review</title><style>{CSS}</style></head>\n<body>\n{BODY}\n<script>{JS}</script>\n</body></html>\n"
    )
}

fn hash(s: &str) -> String {
    format!("'sha256-{}'", base64::encode(Sha256::digest(s.as_bytes())))
}

pub fn csp() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(JS),
        hash(CSS)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_has_no_inline_handlers_styles_or_external_urls() {
        let h = super::html();
        for bad in [
            " onclick=",
            " onload=",
            " style=\"",
            "http://",
            "https://",
            "innerHTML",
        ] {
            assert!(!h.contains(bad), "page contains {bad:?}");
        }
        assert!(super::csp().contains("script-src 'sha256-"));
    }
}
