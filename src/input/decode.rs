//! Bytes of an export to text: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"),
//! and Windows-1252 as a last resort, with a warning.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
    /// Set when the encoding was guessed and the user should check the result.
    pub warning: Option<String>,
}

pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8_or_fallback(rest, "UTF-8 (BOM)");
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let (text, _, _) = UTF_16LE.decode(bytes);
        return plain(text.into_owned(), "UTF-16LE");
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let (text, _, _) = UTF_16BE.decode(bytes);
        return plain(text.into_owned(), "UTF-16BE");
    }
    if looks_like_utf16le(bytes) {
        let (text, _) = UTF_16LE.decode_without_bom_handling(bytes);
        return plain(text.into_owned(), "UTF-16LE (no BOM)");
    }
    utf8_or_fallback(bytes, "UTF-8")
}

fn plain(text: String, encoding: &'static str) -> Decoded {
    Decoded {
        text,
        encoding,
        warning: None,
    }
}

fn utf8_or_fallback(bytes: &[u8], label: &'static str) -> Decoded {
    match std::str::from_utf8(bytes) {
        Ok(s) => plain(s.to_string(), label),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            let (text, _, _) = WINDOWS_1252.decode(bytes);
            Decoded {
                text: text.into_owned(),
                encoding: "Windows-1252",
                warning: Some(format!(
                    "not valid UTF-8 (byte 0x{:02X} on line {line}); read as Windows-1252 — \
                     check that ä, ö and å look right, or save the file as UTF-8",
                    bytes[at]
                )),
            }
        }
    }
}

/// UTF-16LE text of mostly Latin characters has a zero in almost every odd byte.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(400)];
    if sample.len() < 4 || !sample.len().is_multiple_of(2) {
        return false;
    }
    let zeros = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    zeros * 10 >= (sample.len() / 2) * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom() {
        let d = decode(b"\xEF\xBB\xBFp\xC3\xA4iv\xC3\xA4");
        assert_eq!(d.text, "päivä");
        assert!(d.warning.is_none());
    }

    #[test]
    fn utf16_both_ways() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("kö;ok".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).text, "kö;ok");
        let no_bom: Vec<u8> = "palaute;nps"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&no_bom).text, "palaute;nps");
    }

    #[test]
    fn windows_1252_fallback_warns_with_line() {
        let d = decode(b"a;b\nk\xE4ynti;5\n");
        assert_eq!(d.text, "a;b\nkäynti;5\n");
        assert!(d.warning.unwrap().contains("line 2"));
    }
}
