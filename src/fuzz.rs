//! Fuzz targets for everything that reads what a user gives us: the CSV, XLSX and JSONL
//! readers, column mapping, date and score parsing, and personal-data masking. Each target
//! must never panic, whatever the bytes; where there is a property (every row accounted for,
//! masks on character boundaries, no identity code left) it is checked too.
//!
//! A stable harness (proptest) rather than cargo-fuzz, which needs a nightly toolchain that
//! the build machines here do not have. `cargo test` runs a short pass (`FUZZ_CASES`,
//! default 512 per target); the long runs in the README set it to 1 000 000:
//!
//! ```text
//! FUZZ_CASES=1000000 cargo test --release --lib fuzz -- --test-threads 2
//! ```
//!
//! A failure is shrunk to a small input and saved by proptest under `proptest-regressions/`;
//! commit that file and the case is replayed first on every later run.

use crate::input::columns::{resolve, ColumnOverrides};
use crate::input::records::{parse_answer, parse_date, to_records};
use crate::input::table::{read_table_from, InputFormat, RawTable};
use crate::lang::Lang;
use crate::pii::{valid_hetu, PiiDetector};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::path::Path;
use std::sync::OnceLock;

fn config() -> Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

fn detector() -> &'static PiiDetector {
    static D: OnceLock<PiiDetector> = OnceLock::new();
    D.get_or_init(|| PiiDetector::builtin().expect("built-in pii.toml"))
}

/// Cells as exports hold them: words, numbers, dates, quotes, delimiters, line ends, BOMs,
/// NULs, formulas and non-Latin text, in any mix.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zåäöA-ZÅÄÖ ]{0,20}",
        "[0-9]{1,2}",
        "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{2,4}",
        "(=|\\+|-|@)[A-Z(0-9)]{0,8}",
        "[\"';,\t\r\n\u{0}\u{feff}]{1,3}",
        "\\PC{0,12}",
        Just("EOS".to_string()),
    ]
}

/// A table of cells joined with a delimiter, quoted or not, with any line ends.
fn export() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![";", ",", "\t"]),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
        prop::collection::vec(prop::collection::vec(cell(), 1..6), 1..12),
    )
        .prop_map(|(d, nl, quote, rows)| {
            let header = ["text", "nps", "pvm", "yksikkö", "id", "Sain apua (1-5)"];
            let mut s = String::new();
            s.push_str(&header.join(d));
            s.push_str(nl);
            for r in rows {
                let cells: Vec<String> = r
                    .iter()
                    .map(|c| {
                        if quote {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                s.push_str(&cells.join(d));
                s.push_str(nl);
            }
            s.into_bytes()
        })
}

/// Every row read is a record or a reject, once.
fn accounted(table: &RawTable) {
    if let Ok(map) = resolve(table, &ColumnOverrides::default()) {
        let (records, rejects) = to_records(table, &map, &[], 0, 0..table.rows.len());
        assert_eq!(records.len() + rejects.len(), table.rows.len());
        for r in &rejects {
            assert!(!r.reason.is_empty(), "a reject has a reason");
            assert!(r.row >= 1, "a reject names its row");
        }
    }
}

fn read(name: &str, bytes: Vec<u8>, format: Option<InputFormat>) {
    if let Ok(table) = read_table_from(Path::new(name), bytes, format, None) {
        // JSONL has no header line; the other formats number data rows from 2.
        let first = if table.format.starts_with("JSONL") {
            1
        } else {
            2
        };
        for r in table.rows.iter() {
            assert!(
                r.row >= first,
                "data rows start after the header: {}",
                r.row
            );
        }
        accounted(&table);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_csv_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read("f.csv", bytes, Some(InputFormat::Csv));
    }

    #[test]
    fn fuzz_csv_exports(bytes in export()) {
        read("f.csv", bytes, Some(InputFormat::Csv));
    }

    #[test]
    fn fuzz_jsonl(lines in prop::collection::vec(
        prop_oneof![
            "\\{\"(text|nps|unit|meta)\": (\"[^\"\\\\]{0,12}\"|[0-9]{1,3}|null|\\{\"a\": [0-9]\\}|\\[1, 2\\])\\}",
            "\\PC{0,30}",
        ],
        0..10,
    )) {
        read("f.jsonl", lines.join("\n").into_bytes(), Some(InputFormat::Jsonl));
    }

    #[test]
    fn fuzz_sniffed_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        read("-", bytes, None);
    }

    #[test]
    fn fuzz_xlsx_mutated(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = xlsx_seed().to_vec();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        read("f.xlsx", bytes, Some(InputFormat::Xlsx));
    }

    #[test]
    fn fuzz_xlsx_cells(rows in prop::collection::vec(prop::collection::vec(cell(), 1..5), 1..8), hidden in any::<bool>()) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        if hidden {
            let ws = wb.add_worksheet();
            ws.write(0, 0, "text").unwrap();
            ws.set_hidden(true);
        }
        let ws = wb.add_worksheet();
        for (c, h) in ["text", "nps", "pvm", "yksikkö"].iter().enumerate() {
            ws.write(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v.parse::<f64>() {
                    Ok(n) => ws.write(r as u32 + 1, c as u16, n).unwrap(),
                    Err(_) => ws.write(r as u32 + 1, c as u16, v.as_str()).unwrap(),
                };
            }
        }
        ws.set_active(true);
        read("f.xlsx", wb.save_to_buffer().unwrap(), None);
    }

    #[test]
    fn fuzz_columns(headers in prop::collection::vec("\\PC{0,12}", 1..8), text in "\\PC{0,10}") {
        let table = RawTable {
            path: "f.csv".into(),
            rows: [crate::input::table::RawRow { row: 2, fields: vec![text; headers.len()], error: None }].into_iter().collect(),
            key_lines: vec![],
            headers,
            format: "CSV".into(),
            warnings: vec![],
        };
        let o = ColumnOverrides { text: table.headers.first().cloned(), ..Default::default() };
        let _ = resolve(&table, &o);
        accounted(&table);
    }

    #[test]
    fn fuzz_dates_and_scores(v in prop_oneof![cell(), "[0-9./ :T-]{0,20}"]) {
        if let Ok(Some(d)) = parse_date(&v) {
            use chrono::Datelike;
            prop_assert!((1990..=2100).contains(&d.year()), "{v:?} -> {d}");
        }
        if let Ok(Some(n)) = parse_answer(&v, 0, 10) {
            prop_assert!(n <= 10);
        }
        if let Ok(Some(n)) = parse_answer(&v, 1, 5) {
            prop_assert!((1..=5).contains(&n));
        }
    }

    #[test]
    fn fuzz_masking(text in "\\PC{0,80}", offsets in prop::collection::vec(0usize..100, 0..4)) {
        let d = detector();
        for s in d.find(&text) {
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        }
        let mut offs: Vec<usize> = offsets
            .into_iter()
            .map(|o| o.min(text.len()))
            .filter(|o| text.is_char_boundary(*o))
            .collect();
        let masked = d.redact_mapped(&text, Lang::Fi, &mut offs);
        prop_assert_eq!(&masked, &d.redact(&text, Lang::Fi));
        for o in offs {
            prop_assert!(o <= masked.len() && masked.is_char_boundary(o));
        }
    }

    /// An identity code planted anywhere, in any of its written forms, never survives.
    #[test]
    fn fuzz_planted_identity_codes(
        before in "\\PC{0,30}",
        after in "\\PC{0,30}",
        day in 1u32..29, month in 1u32..13, year in 0u32..100, n in 2u32..900,
        sign in prop::sample::select(vec!["-", "A", "+", " ", ""]),
    ) {
        let digits = format!("{day:02}{month:02}{year:02}");
        let number = (day * 10000 + month * 100 + year) as u64 * 1000 + u64::from(n);
        let check = b"0123456789ABCDEFHJKLMNPRSTUVWXY"[(number % 31) as usize] as char;
        let code = format!("{digits}{sign}{n:03}{check}");
        let text = format!("{before} {code} {after}");
        let masked = detector().redact(&text, Lang::Fi);
        let compact = format!("{digits}{sign}{n:03}{check}");
        let real = ["-", "A", "+"].iter().any(|s| valid_hetu(&format!("{digits}{s}{n:03}{check}")));
        if real {
            prop_assert!(!masked.contains(&compact), "{text:?} -> {masked:?}");
        }
    }
}

/// A small real workbook to mutate: the sample export.
fn xlsx_seed() -> &'static [u8] {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let rows = [
            ["text", "nps", "pvm", "yksikkö"],
            ["Hyvä palvelu", "9", "2026-10-01", "A"],
            ["Jonot pitkät", "3", "2026-10-02", "B"],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write(r as u32, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    })
}
