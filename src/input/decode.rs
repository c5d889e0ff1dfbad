//! Bytes of an export to text: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"),
//! and Windows-1252 as a last resort, with a warning.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
    /// Set when the encoding was guessed and the user should check the result.
    pub warning: Option<String>,
}

/// The text of an export, every line end made `\n`. With CR LF the CSV reader numbered
/// each row one short (the first data row "row 1"), and an export with only CR line ends
/// (old Mac programs) was one line, every row numbered 1.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut d = decode_bytes(bytes);
    if d.text.contains('\r') {
        d.text = d.text.replace("\r\n", "\n").replace('\r', "\n");
    }
    d
}

fn decode_bytes(bytes: &[u8]) -> Decoded {
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
    if looks_like_utf16(bytes, 1) {
        let (text, _) = UTF_16LE.decode_without_bom_handling(bytes);
        return plain(text.into_owned(), "UTF-16LE (no BOM)");
    }
    if looks_like_utf16(bytes, 0) {
        let (text, _) = UTF_16BE.decode_without_bom_handling(bytes);
        return plain(text.into_owned(), "UTF-16BE (no BOM)");
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

/// UTF-16 text of mostly Latin characters has a zero in almost every odd byte (little
/// endian, `zero_at` 1) or every even byte (big endian, `zero_at` 0).
fn looks_like_utf16(bytes: &[u8], zero_at: usize) -> bool {
    let sample = &bytes[..bytes.len().min(400)];
    if sample.len() < 4 || !sample.len().is_multiple_of(2) {
        return false;
    }
    let zeros = sample
        .iter()
        .skip(zero_at)
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
        let be: Vec<u8> = "palaute;nps\nkö;9"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        let d = decode(&be);
        assert_eq!(
            (d.text.as_str(), d.encoding),
            ("palaute;nps\nkö;9", "UTF-16BE (no BOM)")
        );
    }

    #[test]
    fn carriage_returns_alone_end_lines() {
        assert_eq!(decode(b"a;b\r1;2\r3;4\r").text, "a;b\n1;2\n3;4\n");
        assert_eq!(decode(b"a;b\r\n1;2\r\n").text, "a;b\n1;2\n");
    }

    #[test]
    fn shift_jis_is_not_read_silently() {
        let d = decode(&[b'a', b'\n', 0x93, 0xfa, 0x96, 0x7b, b'\n']);
        assert_eq!(d.encoding, "Windows-1252");
        assert!(d.warning.unwrap().contains("read as Windows-1252"));
    }

    #[test]
    fn windows_1252_fallback_warns_with_line() {
        let d = decode(b"a;b\nk\xE4ynti;5\n");
        assert_eq!(d.text, "a;b\nkäynti;5\n");
        assert!(d.warning.unwrap().contains("line 2"));
    }
}
