//! Integration tests: run the `palaute` binary on real files and check what it writes.

use super::common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `palaute classify --no-model INPUT -o OUT`, the call most input tests make.
fn classify_no_model(input: &Path, out: &Path) -> Output {
    palaute(&["classify", "--no-model", s(input), "-o", s(out)])
}

fn sample_csvs() -> Vec<String> {
    ["2026-08", "2026-09", "2026-10"]
        .iter()
        .map(|m| format!("data/sample/palaute_{m}.csv"))
        .collect()
}

fn data_lines(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("file exists");
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    rdr.records().count()
}

#[test]
fn sample_report_accounts_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["report", "--no-model"];
    let files = sample_csvs();
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", s(dir.path())]);
    let err = ok(&palaute(&args));
    assert!(err.contains("840 rows"), "{err}");
    let r = json(&dir.path().join("report.json"));
    let input = &r["input"];
    let (read, used, rejected) = (
        input["rows_read"].as_u64().unwrap(),
        input["used"].as_u64().unwrap(),
        input["rejected"].as_u64().unwrap(),
    );
    assert_eq!(read, used + rejected);
    assert_eq!(
        rejected as usize,
        data_lines(&dir.path().join("rejects.csv"))
    );
    assert_eq!(r["overall"]["answers"].as_u64(), Some(used));
    // Every theme's count equals the sum of its cells in theme_counts.csv.
    let text = std::fs::read_to_string(dir.path().join("theme_counts.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut sums = std::collections::HashMap::<String, u64>::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        *sums.entry(rec[0].to_string()).or_default() += rec[4].parse::<u64>().unwrap();
    }
    let themes = r["themes"].as_array().unwrap();
    assert_eq!(themes.len(), 11);
    for t in themes {
        assert_eq!(
            sums[t["id"].as_str().unwrap()],
            t["count"].as_u64().unwrap(),
            "{}",
            t["id"]
        );
    }
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    // The default report language is Finnish.
    for heading in [
        "## Tiivistelmä",
        "## Teemat",
        "## Kehitys kuukausittain",
        "## Yksiköt",
        "## Menetelmä",
    ] {
        assert!(md.contains(heading), "{heading} missing");
    }
}

#[test]
fn xlsx_export_gives_the_same_report_as_csv() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut args = vec!["report", "--no-model"];
    let files = sample_csvs();
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", s(a.path())]);
    ok(&palaute(&args));
    ok(&palaute(&[
        "report",
        "--no-model",
        "data/sample/palaute_2026-08_10.xlsx",
        "-o",
        s(b.path()),
    ]));
    let (ra, rb) = (
        json(&a.path().join("report.json")),
        json(&b.path().join("report.json")),
    );
    assert_eq!(ra["overall"], rb["overall"]);
    assert_eq!(ra["themes"], rb["themes"]);
    assert_eq!(ra["months"], rb["months"]);
}

/// Numbers in report.json recomputed here, independently, for a small hand-made file.
#[test]
fn small_file_numbers_are_right() {
    let dir = tempfile::tempdir().unwrap();
    // (month, nps, statement, text)
    let rows: &[(&str, u8, u8, &str)] = &[
        ("2026-09", 10, 5, "Kiitos, hyvä palvelu"),
        ("2026-09", 9, 5, "Ystävällinen hoitaja"),
        ("2026-09", 3, 2, "Jonot liian pitkät"),
        ("2026-09", 8, 4, "Ok"),
        ("2026-09", 6, 3, "Puhelinjonossa tunti, aikoja ei saa"),
        ("2026-10", 0, 1, "Jono tunnin"),
        ("2026-10", 2, 1, "Jonossa koko päivä"),
        ("2026-10", 10, 5, "Mukava lääkäri"),
        ("2026-10", 7, 4, "Kävin laboratoriossa"),
        ("2026-10", 5, 2, "Jonoa oli taas"),
        ("2026-10", 9, 4, "Hyvin meni"),
        ("2026-10", 10, 5, "Erinomainen"),
    ];
    let mut csv_text = String::from("id,date,unit,nps,statement,comment\n");
    for (i, (m, n, st, t)) in rows.iter().enumerate() {
        csv_text.push_str(&format!("{i},{m}-15,A,{n},{st},\"{t}\"\n"));
    }
    let input = dir.path().join("small.csv");
    std::fs::write(&input, csv_text).unwrap();
    let out = dir.path().join("r");
    ok(&palaute(&[
        "report",
        "--no-model",
        s(&input),
        "-o",
        s(&out),
        "--nps-col",
        "nps",
    ]));
    let r = json(&out.join("report.json"));

    let nps_of = |xs: &[u8]| {
        let n = xs.len() as f64;
        let p = xs.iter().filter(|x| **x >= 9).count() as f64 / n;
        let d = xs.iter().filter(|x| **x <= 6).count() as f64 / n;
        let half = 1.959964 * ((p + d - (p - d).powi(2)) / n).sqrt();
        (
            100.0 * (p - d),
            100.0 * (p - d - half),
            100.0 * (p - d + half),
        )
    };
    let close = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 0.051;
    let all: Vec<u8> = rows.iter().map(|r| r.1).collect();
    let (v, lo, hi) = nps_of(&all);
    let o = &r["overall"]["nps"];
    assert!(
        close(&o["nps"], v) && close(&o["ci_low"], lo) && close(&o["ci_high"], hi),
        "{o}"
    );

    // Which comments carry the theme comes from `classify`; the numbers are recomputed here.
    let tagged = dir.path().join("t.csv");
    ok(&palaute(&[
        "classify",
        "--no-model",
        s(&input),
        "-o",
        s(&tagged),
    ]));
    let text = std::fs::read_to_string(&tagged).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let has_access: Vec<bool> = rdr
        .records()
        .map(|r| r.unwrap()[9].split(';').any(|t| t == "access"))
        .collect();
    assert_eq!(
        has_access,
        [false, false, true, false, true, true, true, false, false, true, false, false]
    );
    let access = r["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "access")
        .unwrap();
    let with: Vec<u8> = rows
        .iter()
        .zip(&has_access)
        .filter(|(_, a)| **a)
        .map(|(r, _)| r.1)
        .collect();
    let without: Vec<u8> = rows
        .iter()
        .zip(&has_access)
        .filter(|(_, a)| !**a)
        .map(|(r, _)| r.1)
        .collect();
    assert_eq!(access["count"].as_u64(), Some(with.len() as u64));
    assert!(close(&access["nps_with"]["nps"], nps_of(&with).0));
    assert!(
        close(&access["nps_impact"], nps_of(&with).0 - nps_of(&without).0),
        "{}",
        access["nps_impact"]
    );
    assert_eq!(access["nps_with"]["small"], Value::Bool(true));
    // Key driver, recomputed as the counterfactual: give the theme's answers the promoter
    // and detractor shares of the rest, and see how much the overall NPS moves.
    let count = |xs: &[u8], f: fn(&u8) -> bool| xs.iter().filter(|x| f(x)).count() as f64;
    let (nw, nr) = (with.len() as f64, without.len() as f64);
    let p_cf = count(&without, |x| *x >= 9) + nw * count(&without, |x| *x >= 9) / nr;
    let d_cf = count(&without, |x| *x <= 6) + nw * count(&without, |x| *x <= 6) / nr;
    let nps_cf = 100.0 * (p_cf - d_cf) / (nw + nr);
    assert!(
        close(&access["nps_lift"], nps_cf - nps_of(&all).0),
        "{} vs {}",
        access["nps_lift"],
        nps_cf - nps_of(&all).0
    );

    // Month-over-month: 2 of 5 comments in September, 3 of 7 in October.
    assert_eq!(has_access[..5].iter().filter(|a| **a).count(), 2);
    let c = &access["month_change"];
    assert_eq!(
        (c["count_from"].as_u64(), c["count_to"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(close(
        &c["share_change_pts"],
        100.0 * (3.0 / 7.0 - 2.0 / 5.0)
    ));

    let st = &r["overall"]["scores"][0];
    let vals: Vec<f64> = rows.iter().map(|r| f64::from(r.2)).collect();
    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
    assert!((st["mean"].as_f64().unwrap() - mean).abs() < 0.001);
    let top2 = vals.iter().filter(|v| **v >= 4.0).count() as f64 / vals.len() as f64;
    assert!((st["top2_share"].as_f64().unwrap() - top2).abs() < 0.001);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn utf16_tab_separated_export_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Päivämäärä\tYksikkö\tSuosittelu\tVapaa sana\n1.10.2026\tA\t9\tHyvä kohtelu, kiitos\n2.10.2026\tA\t2\tJonot liian pitkät\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let input = write(dir.path(), "unicode.txt", &bytes);
    let out = dir.path().join("t.csv");
    ok(&classify_no_model(&input, &out));
    let t = std::fs::read_to_string(&out).unwrap();
    assert!(
        t.contains("Jonot liian pitkät") && t.contains("access"),
        "{t}"
    );
}

#[test]
fn windows_1252_is_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "ansi.csv",
        b"kommentti;nps\nHyv\xE4 palvelu;9\nK\xF6yh\xE4 palvelu;3\n",
    );
    let out = dir.path().join("t.csv");
    let err = ok(&classify_no_model(&input, &out));
    assert!(
        err.contains("Windows-1252") && err.contains("ansi.csv"),
        "{err}"
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("Hyvä palvelu"));
}

#[test]
fn missing_text_column_names_file_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "nocol.csv", b"pvm;arvosana\n2026-10-01;4\n");
    let err = failed(&palaute(&[
        "report",
        "--no-model",
        s(&input),
        "-o",
        s(&dir.path().join("r")),
    ]));
    assert!(
        err.contains("nocol.csv")
            && err.contains("\"pvm\", \"arvosana\"")
            && err.contains("--text-col"),
        "{err}"
    );
    assert!(!dir.path().join("r/report.json").exists());
}

#[test]
fn wrong_delimiter_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "pipes.csv", b"id|palaute|nps\n1|Hyva|9\n");
    let err = failed(&palaute(&[
        "classify",
        "--no-model",
        s(&input),
        "-o",
        s(&dir.path().join("t.csv")),
    ]));
    assert!(
        err.contains("pipes.csv") && err.contains("id|palaute|nps"),
        "{err}"
    );
}

#[test]
fn broken_xlsx_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read("data/sample/palaute_2026-08_10.xlsx").unwrap();
    let input = write(dir.path(), "cut.xlsx", &full[..full.len() / 2]);
    let err = failed(&palaute(&[
        "report",
        "--no-model",
        s(&input),
        "-o",
        s(&dir.path().join("r")),
    ]));
    assert!(
        err.contains("cut.xlsx") && err.contains("spreadsheet"),
        "{err}"
    );
    let err = failed(&palaute(&[
        "report",
        "--no-model",
        "data/sample/palaute_2026-08_10.xlsx",
        "--sheet",
        "Nope",
        "-o",
        s(&dir.path().join("r")),
    ]));
    assert!(err.contains("Vastaukset"), "{err}");
}

#[test]
fn bad_rows_are_rejected_with_file_row_column_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(25_000);
    let text = format!(
        "id;pvm;nps;palaute\n1;1.10.2026;9;Hyvä\n2;1.10.2026;11;Liian iso\n3;1.10.2026;kymmenen;Sanana\n4;eilen;5;Päiväys\n5;1.10.2026;;\n6;1.10.2026;8;{long}\n7;1.10.2026;7;liikaa;kenttiä\n8;2.10.2026;;Vain tekstiä\n"
    );
    let input = write(dir.path(), "messy.csv", text.as_bytes());
    let out = dir.path().join("t.csv");
    let err = ok(&classify_no_model(&input, &out));
    assert!(
        err.contains("8 rows") && err.contains("2 used") && err.contains("6 rejected"),
        "{err}"
    );
    assert_eq!(data_lines(&out), 2);
    let rejects = std::fs::read_to_string(dir.path().join("t.rejects.csv")).unwrap();
    for (row, what) in [
        (3, "is outside 0–10"),
        (4, "not a number"),
        (5, "not a date"),
        (6, "no text and no score"),
        (7, "over the limit"),
        (8, "expected 4 fields"),
    ] {
        assert!(
            rejects.contains(&format!("messy.csv,{row},")) && rejects.contains(what),
            "row {row} {what}: {rejects}"
        );
    }
    assert!(
        rejects.contains("messy.csv,3,nps,"),
        "column named: {rejects}"
    );
    // Each reject carries the row's id and raw date (no unit column here) after the reason.
    let table = csv_rows(&dir.path().join("t.rejects.csv"));
    assert_eq!(
        table[0],
        ["file", "row", "column", "reason", "id", "date", "unit", "excerpt"]
    );
    let by_row = |row: &str| {
        table
            .iter()
            .find(|r| r[1] == row)
            .unwrap_or_else(|| panic!("row {row}: {table:?}"))
    };
    assert_eq!(by_row("3")[4..7], ["2", "1.10.2026", ""]);
    assert_eq!(by_row("3")[7], "Liian iso");
    assert_eq!(by_row("5")[4..7], ["4", "eilen", ""]);
    assert_eq!(by_row("6")[7], "");
    // The over-long text is cut to an excerpt.
    let long_excerpt = &by_row("7")[7];
    assert!(
        long_excerpt.chars().count() <= 120 && long_excerpt.ends_with('…'),
        "{long_excerpt}"
    );
}

/// A CSV file as rows of cells (BOM dropped), header included.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("file exists");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn rejects_name_the_row_and_mask_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "units.csv",
        "id;pvm;yksikkö;nps;palaute\n\
         R1;1.10.2026;Terveysasema A;9;Hyvä palvelu\n\
         R2;2.10.2026;Hammashoitola;11;Vastatkaa osoitteeseen matti.meikalainen@example.fi,   hetu 131052-308T\n\
         R3;131052-308T;Hammashoitola;8;Päivämäärän paikalla on henkilötunnus\n\
         010594Y9032;3.10.2026;lääkäri Virtanen;12;Tunnus id-sarakkeessa ja nimi yksikössä\n"
            .as_bytes(),
    );
    for redact in [false, true] {
        let out = dir.path().join("t.csv");
        let mut args = vec!["classify", "--no-model", s(&input), "-o", s(&out)];
        if redact {
            args.push("--redact");
        }
        ok(&palaute(&args));
        let path = dir.path().join("t.rejects.csv");
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(
            !raw.contains("meikalainen") && !raw.contains("example.fi") && !raw.contains("131052"),
            "personal data in rejects: {raw}"
        );
        // The id and unit cells are echoed masked too.
        assert!(
            !raw.contains("010594Y9032") && !raw.contains("Virtanen"),
            "{raw}"
        );
        let table = csv_rows(&path);
        assert_eq!(table.len(), 4, "{table:?}");
        assert!(
            table[2][3].contains("[HETU]"),
            "the echoed date cell is masked: {table:?}"
        );
        let r = &table[1];
        assert!(r[0].ends_with("units.csv"), "{r:?}");
        assert_eq!(
            r[1..7],
            [
                "3",
                "nps",
                r[3].as_str(),
                "R2",
                "2.10.2026",
                "Hammashoitola"
            ]
        );
        assert!(r[3].contains("outside 0–10"), "{r:?}");
        assert!(
            r[7].starts_with("Vastatkaa osoitteeseen ") && !r[7].contains("  "),
            "{r:?}"
        );
    }
}

fn palaute_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_palaute"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let bytes = input.to_vec();
    // Written from another thread so that a child that writes a lot cannot deadlock us.
    let writer = std::thread::spawn(move || {
        // The child may exit without reading everything (an error): that is not ours to fail.
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("binary finishes");
    writer.join().unwrap();
    out
}

#[test]
fn classify_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let csv =
        "id;palaute;nps\n1;Hoitaja oli ystävällinen;10\n2;Jonot liian pitkät;3\n3;Liian iso;11\n";
    let err = ok(&palaute_stdin(
        &["classify", "-", "--no-model", "-o", s(&out)],
        csv.as_bytes(),
    ));
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("3 rows") && err.contains("2 used") && err.contains("1 rejected"),
        "{err}"
    );
    assert_eq!(data_lines(&out), 2);
    let tagged = std::fs::read_to_string(&out).unwrap();
    assert!(tagged.contains("Jonot liian pitkät"), "{tagged}");
    let rejects = csv_rows(&dir.path().join("t.rejects.csv"));
    assert_eq!(
        rejects[1][..5],
        ["<stdin>", "4", "nps", rejects[1][3].as_str(), "3"]
    );

    // Empty standard input is a clean error naming it; so is "-" twice.
    let err = failed(&palaute_stdin(
        &["classify", "-", "--no-model", "-o", s(&out)],
        b"",
    ));
    assert!(err.contains("<stdin>") && err.contains("empty"), "{err}");
    let err = failed(&palaute_stdin(
        &["classify", "-", "-", "--no-model", "-o", s(&out)],
        csv.as_bytes(),
    ));
    assert!(
        err.contains("<stdin>") && err.contains("more than once"),
        "{err}"
    );
}

#[test]
fn standard_input_with_input_format_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.jsonl");
    let jsonl = "{\"feedback\": \"Bra bemötande\", \"nps\": 10}\n{oops\n{\"feedback\": \"Lång kö\", \"nps\": 4}\n";
    ok(&palaute_stdin(
        &[
            "classify",
            "--no-model",
            "--input-format",
            "jsonl",
            "-",
            "-o",
            s(&out),
            "--format",
            "jsonl",
        ],
        jsonl.as_bytes(),
    ));
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["themes"][0]["theme"], "staff_conduct");
    let rejects = std::fs::read_to_string(dir.path().join("t.rejects.csv")).unwrap();
    assert!(
        rejects.contains("<stdin>,2,") && rejects.contains("invalid JSON"),
        "{rejects}"
    );
    // Told it is JSONL, a CSV on standard input is not guessed at.
    let err = failed(&palaute_stdin(
        &[
            "classify",
            "--no-model",
            "--input-format",
            "jsonl",
            "-",
            "-o",
            s(&out),
        ],
        b"palaute;nps\nHyv\xc3\xa4;9\n",
    ));
    assert!(err.contains("<stdin>") && err.contains("JSON"), "{err}");
}

#[test]
fn jsonl_with_a_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "f.jsonl", "{\"feedback\": \"Bra bemötande\", \"nps\": 10}\n{oops\n{\"feedback\": \"Lång kö\", \"nps\": 4}\n".as_bytes());
    let out = dir.path().join("t.jsonl");
    ok(&palaute(&[
        "classify",
        "--no-model",
        s(&input),
        "-o",
        s(&out),
        "--format",
        "jsonl",
    ]));
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["lang"], "sv");
    assert_eq!(lines[0]["themes"][0]["theme"], "staff_conduct");
    assert_eq!(lines[1]["themes"][0]["theme"], "access");
    let rejects = std::fs::read_to_string(dir.path().join("t.rejects.csv")).unwrap();
    assert!(
        rejects.contains("f.jsonl,2,") && rejects.contains("invalid JSON"),
        "{rejects}"
    );
}

#[test]
fn all_rows_rejected_and_empty_file_fail() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "bad.csv", b"palaute;nps\n;\nx;99\n");
    let err = failed(&palaute(&[
        "report",
        "--no-model",
        s(&input),
        "-o",
        s(&dir.path().join("r")),
    ]));
    assert!(err.contains("no usable rows"), "{err}");
    let empty = write(dir.path(), "empty.csv", b"");
    let err = failed(&palaute(&[
        "report",
        "--no-model",
        s(&empty),
        "-o",
        s(&dir.path().join("r")),
    ]));
    assert!(err.contains("empty.csv") && err.contains("empty"), "{err}");
    let err = failed(&palaute(&[
        "report",
        "--no-model",
        "does/not/exist.csv",
        "-o",
        s(&dir.path().join("r")),
    ]));
    assert!(err.contains("does/not/exist.csv"), "{err}");
}

#[test]
fn classify_shows_evidence_and_keeps_formulas_inert() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "f.csv", "palaute,nps\n\"=HYPERLINK(\"\"http://x\"\",\"\"jono\"\")\",5\nNettiajanvaraus ei toiminut,3\n".as_bytes());
    let out = dir.path().join("t.csv");
    ok(&classify_no_model(&input, &out));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert!(
        rows[1][10].contains("e_services: ajanvaraus → \"Nettiajanvaraus\""),
        "{text}"
    );
}

/// A comment of two topics: each statement keeps its own themes and polarity, through
/// masking, in JSONL and in the CSV's theme_sentiment column.
#[test]
fn classify_gives_statements_and_theme_sentiment() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "f.csv",
        "palaute,nps\n\"Soittakaa 040 123 4567. Hoitaja oli tosi ystävällinen mutta jonotin puhelimessa tunnin.\",6\n"
            .as_bytes(),
    );
    let jsonl = dir.path().join("t.jsonl");
    ok(&palaute(&[
        "classify",
        "--no-model",
        "--redact",
        "--format",
        "jsonl",
        s(&input),
        "-o",
        s(&jsonl),
    ]));
    let line: Value = serde_json::from_str(
        std::fs::read_to_string(&jsonl)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let text = line["text"].as_str().unwrap();
    assert!(!text.contains("4567"), "{text}");
    let st = line["statements"].as_array().unwrap();
    assert_eq!(st.len(), 3, "{line}");
    for s in st {
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[a..b], s["text"].as_str().unwrap());
    }
    assert_eq!(
        st[1]["themes"],
        serde_json::json!(["staff_conduct"]),
        "{line}"
    );
    assert_eq!(st[1]["sentiment"], "positive");
    assert_eq!(st[2]["sentiment"], "negative");
    let csv_out = dir.path().join("t.csv");
    ok(&palaute(&[
        "classify",
        "--no-model",
        s(&input),
        "-o",
        s(&csv_out),
    ]));
    let text = std::fs::read_to_string(&csv_out).unwrap();
    assert!(
        text.contains("staff_conduct:+") && text.contains("communication:-"),
        "{text}"
    );
}

#[test]
fn eval_on_dev_meets_the_floor_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("eval.json");
    let out = palaute(&[
        "eval",
        "--gold",
        "data/labeled/dev.csv",
        "--no-model",
        "--json",
        s(&j),
    ]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("macro F1"), "{stdout}");
    let r = json(&j);
    assert_eq!(r["themes"]["per_theme"].as_object().unwrap().len(), 11);
    for key in ["precision", "recall", "f1", "support"] {
        assert!(r["themes"]["per_theme"]["access"][key].is_number(), "{key}");
    }
    // Floors, not targets: a regression in rules or language detection fails here. Dev holds
    // the hard registry batches (indirect urgency, look-alikes, long letters) since issue 9
    // and batch 6 (multi-topic, spoken, capitals, irony) since issue 10, and batch 7 (public
    // posts and letters, indirect urgency) and batch 8 (long posts, registry items) since:
    // rules alone measured macro F1 0.632, sentiment 0.682, urgent recall 0.490 and
    // precision 0.655 there. Batch 10 added urgent letters said in passing and look-alikes
    // that share their words: 0.626, 0.688, 0.485 and 0.621. Batch 11 added public posts
    // full of illness words with nothing urgent, and long letters with the urgency in one
    // sentence (the rules did not change): 0.616, 0.670, 0.480 and 0.603. Batches 12 and 13
    // added serious complaints with nothing urgent, urgency said in passing and look-alikes,
    // and multi-topic survey answers: 0.607, 0.672, 0.453 and 0.572. Batches 20 and 21
    // added mixed and neutral comments, irony and scores that do not fit the text: 0.616,
    // 0.645, 0.534 and 0.691.
    assert!(
        r["themes"]["macro_f1"].as_f64().unwrap() >= 0.60,
        "{}",
        r["themes"]
    );
    assert!(r["lang"]["accuracy"].as_f64().unwrap() >= 0.95);
    for lang in ["fi", "sv", "en"] {
        let b = &r["themes"]["by_language"][lang];
        assert!(b["items"].as_u64().unwrap() > 50, "{lang}: {}", r["themes"]);
        assert!(
            b["macro_f1"].as_f64().unwrap() >= 0.4,
            "{lang}: {}",
            r["themes"]
        );
    }
    assert!(r["sentiment"]["accuracy"].as_f64().unwrap() >= 0.62);
    // The confusion accounts for every comment with a gold sentiment, and its diagonal is
    // the accuracy.
    let conf = r["sentiment_confusion"].as_object().unwrap();
    assert_eq!(conf.len(), 4, "{conf:?}");
    let (mut n, mut right) = (0, 0);
    for (gold, row) in conf {
        for (pred, k) in row.as_object().unwrap() {
            n += k.as_u64().unwrap();
            if gold == pred {
                right += k.as_u64().unwrap();
            }
        }
    }
    assert_eq!(n, r["sentiment"]["n"].as_u64().unwrap());
    let acc = right as f64 / n as f64;
    assert!((acc - r["sentiment"]["accuracy"].as_f64().unwrap()).abs() < 1e-3);
    assert!(stdout.contains("neutral   read right"), "{stdout}");
    // Urgency said indirectly (no reason to wake, a visit "to talk another way",
    // finger-shaped bruises) raised these to 0.492 and 0.594.
    assert!(r["triage"]["urgent_recall"].as_f64().unwrap() >= 0.47);
    assert!(r["triage"]["urgent_precision"].as_f64().unwrap() >= 0.57);
    // Requests to answer in writing, to meet, for someone to call, and every start of a
    // rule tried: contact recall 0.725 -> 0.913 at precision 0.976 -> 0.981.
    let contact = &r["triage"]["per_class"]["contact_requested"];
    assert!(contact["recall"].as_f64().unwrap() >= 0.89, "{contact}");
    assert!(contact["precision"].as_f64().unwrap() >= 0.95, "{contact}");
    assert!(
        r["triage"]["per_kind"]["neglect"]["support"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// Held-out personal data (160 comments written by a helper from the issue's kinds of form,
/// before the detectors were widened): floors a little under what was measured once
/// (recall hetu, e-mail, address 1.000, phone 0.935, name 0.822; name precision 0.943).
#[test]
fn personal_data_recall_on_held_out_forms() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("pii.json");
    ok(&palaute(&[
        "eval",
        "--gold",
        "data/labeled/test_pii.csv",
        "--no-model",
        "--json",
        s(&j),
    ]));
    let r = json(&j);
    let kind = |k: &str, m: &str| r["pii"]["per_kind"][k][m].as_f64().unwrap();
    for k in ["HETU", "EMAIL", "OSOITE"] {
        assert!(kind(k, "recall") >= 0.95, "{k}: {}", r["pii"]);
    }
    assert!(kind("PUHELIN", "recall") >= 0.9, "{}", r["pii"]);
    assert!(kind("NIMI", "recall") >= 0.78, "{}", r["pii"]);
    for k in ["HETU", "EMAIL", "OSOITE", "PUHELIN", "NIMI"] {
        assert!(kind(k, "precision") >= 0.9, "{k}: {}", r["pii"]);
    }
    assert_eq!(r["pii"]["not_fully_masked"]["HETU"].as_u64(), Some(0));
    assert_eq!(r["pii"]["not_fully_masked"]["EMAIL"].as_u64(), Some(0));
}

#[test]
fn eval_json_omits_what_the_gold_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(
        dir.path(),
        "g.csv",
        "text,themes\nJonot liian pitkät,access\nKiitos,\n".as_bytes(),
    );
    let j = dir.path().join("e.json");
    ok(&palaute(&["eval", "--gold", s(&gold), "--json", s(&j)]));
    let r = json(&j);
    assert!(r.get("lang").is_none() && r.get("sentiment").is_none() && r.get("triage").is_none());
    assert!(r.get("sentiment_confusion").is_none());
    assert_eq!(r["themes"]["per_theme"]["access"]["f1"].as_f64(), Some(1.0));
    let bad = write(dir.path(), "b.csv", "text,themes\nx,nosuch\n".as_bytes());
    let err = failed(&palaute(&["eval", "--gold", s(&bad)]));
    assert!(err.contains("row 2") && err.contains("nosuch"), "{err}");
}

#[test]
fn themes_list_check_and_a_broken_taxonomy() {
    let out = palaute(&["themes", "list"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("11 themes") && text.contains("Hoitoon pääsy ja odotusajat"),
        "{text}"
    );
    let out = palaute(&["themes", "check"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
    let dir = tempfile::tempdir().unwrap();
    let tax = std::fs::read_to_string("models/taxonomy.toml")
        .unwrap()
        .replacen("\"jono\",", "\"jono ~x\",", 1);
    let p = write(dir.path(), "t.toml", tax.as_bytes());
    let err = failed(&palaute(&["themes", "check", "--taxonomy", s(&p)]));
    assert!(
        err.contains("theme \"access\"") && err.contains("jono ~x"),
        "{err}"
    );
}

#[test]
fn a_user_added_theme_works_without_recompiling() {
    let dir = tempfile::tempdir().unwrap();
    let tax = std::fs::read_to_string("models/taxonomy.toml").unwrap()
        + "\n[[theme]]\nid = \"food\"\nlabel = { fi = \"Ruoka\", sv = \"Mat\", en = \"Food\" }\ndefinition = \"Meals on the ward.\"\nrules.fi = [\"ruoka\", \"ateria\"]\nrules.sv = [\"mat\"]\n";
    let p = write(dir.path(), "t.toml", tax.as_bytes());
    let input = write(
        dir.path(),
        "f.csv",
        "palaute\nRuoka oli kylmää osastolla\nAterioita ei tuotu ajallaan\n".as_bytes(),
    );
    let out = dir.path().join("t.csv");
    ok(&palaute(&[
        "classify",
        "--no-model",
        s(&input),
        "-o",
        s(&out),
        "--taxonomy",
        s(&p),
    ]));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.matches("food: ").count(), 2, "{text}");
}

/// report.md and report.html on the sample data against the committed snapshots
/// (tests/snapshots/*.snap, insta). After an intended change
/// to rules or layout, regenerate with `INSTA_UPDATE=always cargo test --release --test it
/// sample_report` (or `cargo insta review`) and review the diff in git.
#[test]
fn sample_report_md_and_html_match_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["report", "--no-model"];
    let files = sample_csvs();
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", s(dir.path())]);
    ok(&palaute(&args));
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("sample_report.md", read("report.md"));
        insta::assert_snapshot!("sample_report.html", read("report.html"));
    });
}

/// Every personal-data value in the sample registry file.
const REGISTRY_PII: &[&str] = &[
    "131052-308T",
    "040 123 4567",
    "Liisa Mäkinen",
    "Virtasen",
    "050 765 4321",
    "matti.k@example.fi",
    "Lindqvist",
    "+358 40 222 3344",
    "Koulukatu 5 B 12",
    "h.salminen@example.fi",
    "Anna Niemiselle",
    "johan.berg@example.fi",
];

#[test]
fn triage_queue_is_sorted_redacted_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let err = ok(&palaute(&[
        "triage",
        "--no-model",
        "data/sample/registry_2026-10.csv",
        "-o",
        s(dir.path()),
    ]));
    assert!(err.contains("28 rows") && err.contains("28 used"), "{err}");
    let csv_text = std::fs::read_to_string(dir.path().join("queue.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 28, "every item is in the queue");
    let rank = |c: &str| {
        [
            "urgent",
            "possible_urgent",
            "formal",
            "contact_requested",
            "normal",
        ]
        .iter()
        .position(|x| *x == c)
        .unwrap()
    };
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let (ra, rb) = (rank(&a[col("triage")]), rank(&b[col("triage")]));
        assert!(
            ra < rb || (ra == rb && a[col("date")] <= b[col("date")]),
            "order: {a:?} then {b:?}"
        );
    }
    let by_id = |id: &str| rows.iter().find(|r| &r[col("id")] == id).unwrap().clone();
    // A named statutory process, and how the writer wants to be contacted.
    let muistutus = by_id("KIR-2026-0011");
    assert_eq!(&muistutus[col("triage")], "formal");
    assert_eq!(&muistutus[col("process")], "muistutus");
    assert_eq!(&muistutus[col("route_to")], "Terveysasema Keskusta");
    let call_me = by_id("KIR-2026-0027");
    assert_eq!(&call_me[col("triage")], "contact_requested");
    assert_eq!(&call_me[col("contact_via")], "phone");
    // Negated and quoted process words do not start a process.
    assert_eq!(&by_id("KIR-2026-0001")[col("triage")], "normal");
    assert_eq!(&by_id("KIR-2026-0006")[col("triage")], "normal");
    // Urgent by rules: a fall after being sent home. "löi päänsä" (hit his head in the
    // fall) is no threat and no abuse.
    let sent_home = by_id("KIR-2026-0002");
    assert_eq!(&sent_home[col("triage")], "urgent");
    assert_eq!(&sent_home[col("urgent_kind")], "harm_after_care");
    // Every class that applies, the most serious first; the kind of urgency.
    // "Lähettäkää potilasasiakirjat osoitteeseen h.salminen@…": the address left is where
    // to answer, so contact too.
    assert_eq!(
        &by_id("KIR-2026-0005")[col("classes")],
        "urgent;formal;contact_requested"
    );
    assert_eq!(&by_id("KIR-2026-0005")[col("contact_via")], "email");
    assert_eq!(
        &by_id("KIR-2026-0021")[col("classes")],
        "urgent;contact_requested"
    );
    assert_eq!(&by_id("KIR-2026-0021")[col("urgent_kind")], "neglect");
    assert_eq!(&by_id("KIR-2026-0003")[col("urgent_kind")], "self_harm");
    // A muistutus that leaves a phone number: formal first, and contact by phone.
    assert_eq!(
        &by_id("KIR-2026-0011")[col("classes")],
        "formal;contact_requested"
    );
    assert_eq!(&by_id("KIR-2026-0011")[col("contact_via")], "phone");
    assert_eq!(&by_id("KIR-2026-0001")[col("classes")], "");
    for out in ["queue.csv", "queue.md"] {
        let text = std::fs::read_to_string(dir.path().join(out)).unwrap();
        for v in REGISTRY_PII {
            assert!(!text.contains(v), "{out} leaks {v:?}");
        }
    }
    assert!(
        csv_text.contains("'=HYPERLINK"),
        "formula neutralised in CSV"
    );
    // The workbook: one sheet, header row, same rows, the formula kept as text.
    use calamine::{open_workbook_auto, Reader};
    let mut wb = open_workbook_auto(dir.path().join("queue.xlsx")).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 29);
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cells.iter().any(|c| c.starts_with("=HYPERLINK")),
        "formula stays a string cell"
    );
    for v in REGISTRY_PII {
        assert!(
            !cells.iter().any(|c| c.contains(v)),
            "queue.xlsx leaks {v:?}"
        );
    }
}

#[test]
fn classify_redact_masks_personal_data_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tagged.csv");
    ok(&palaute(&[
        "classify",
        "--no-model",
        "--redact",
        "data/sample/registry_2026-10.csv",
        "-o",
        s(&out),
    ]));
    let text = std::fs::read_to_string(&out).unwrap();
    for v in REGISTRY_PII {
        assert!(!text.contains(v), "tagged.csv leaks {v:?}");
    }
    assert!(text.contains("[HETU]") && text.contains("[TELEFON]") && text.contains("[NIMI]"));
    // Without --redact the text is written as it came.
    let plain = dir.path().join("plain.csv");
    ok(&palaute(&[
        "classify",
        "--no-model",
        "data/sample/registry_2026-10.csv",
        "-o",
        s(&plain),
    ]));
    assert!(std::fs::read_to_string(&plain)
        .unwrap()
        .contains("131052-308T"));
}

/// The four report files in every language, the workbook's numbers equal to report.json,
/// formulas inert and quotes masked.
#[test]
fn report_html_and_xlsx_match_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["report", "--no-model", "--lang", "sv"];
    let files = sample_csvs();
    args.extend(files.iter().map(String::as_str));
    // The registry sample brings personal data and a formula into the comments.
    args.push("data/sample/registry_2026-10.csv");
    args.extend(["-o", s(dir.path())]);
    ok(&palaute(&args));
    let r = json(&dir.path().join("report.json"));
    assert_eq!(r["lang"], "sv");

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"sv\">"));
    assert!(html.contains("Sammanfattning") && html.contains("NPS-potential"));
    assert!(html.matches("<svg").count() >= 3, "charts inline");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(html.contains("@media print") && html.contains("size:A4"));
    for v in REGISTRY_PII {
        assert!(!html.contains(v), "report.html leaks {v:?}");
    }
    // The Content-Security-Policy lets exactly the page's one script run (by its hash), not
    // any inline script.
    assert!(!html.contains("script-src 'unsafe-inline'"));
    assert_eq!(html.matches("<script>").count(), 1);
    let script = html
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    use sha2::Digest;
    let hash = base64::encode(sha2::Sha256::digest(script.as_bytes()));
    assert!(
        html.contains(&format!("script-src 'sha256-{hash}'")),
        "CSP hash"
    );
    // Swedish number format: decimal comma in the 1–5 means.
    let mean = r["overall"]["scores"][0]["mean"].as_f64().unwrap();
    assert!(html.contains(&format!("{mean:.2}").replace('.', ",")));

    use calamine::{open_workbook_auto, Data, Reader};
    let mut wb = open_workbook_auto(dir.path().join("report.xlsx")).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Summary", "Themes", "Trends", "Units", "Comments"]
    );
    let themes = wb.worksheet_range("Themes").unwrap();
    let mut seen = 0;
    for row in themes.rows().skip(1) {
        let id = row[0].to_string();
        let t = r["themes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id.as_str())
            .unwrap();
        assert_eq!(
            row[2],
            Data::Float(t["count"].as_f64().unwrap()),
            "{id} count"
        );
        let share = match row[3] {
            Data::Float(f) => f,
            ref d => panic!("share {d:?}"),
        };
        assert!((share - t["share"].as_f64().unwrap()).abs() < 1e-9);
        if let Some(v) = t["nps_with"]["nps"].as_f64() {
            assert_eq!(row[6], Data::Float(v), "{id} nps_with");
        }
        if let Some(v) = t["nps_lift"].as_f64() {
            assert_eq!(row[9], Data::Float(v), "{id} lift");
        }
        seen += 1;
    }
    assert_eq!(seen, r["themes"].as_array().unwrap().len());
    // Themes sheet is in key-driver order: the largest lift first.
    let lifts: Vec<f64> = themes
        .rows()
        .skip(1)
        .filter_map(|row| match row[9] {
            Data::Float(f) => Some(f),
            _ => None,
        })
        .collect();
    assert!(lifts.windows(2).all(|w| w[0] >= w[1]), "{lifts:?}");
    let comments = wb.worksheet_range("Comments").unwrap();
    assert_eq!(
        comments.height() - 1,
        r["overall"]["comments"].as_u64().unwrap() as usize
    );
    let cells: Vec<String> = comments
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cells.iter().any(|c| c.starts_with("=HYPERLINK")),
        "formula kept as a string"
    );
    for v in REGISTRY_PII {
        assert!(
            !cells.iter().any(|c| c.contains(v)),
            "Comments sheet leaks {v:?}"
        );
    }
    let formulas = wb.worksheet_formula("Comments").unwrap();
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "no formula cells"
    );
}

/// A quote left open must not swallow rows silently: to the end of the file it is an error,
/// closed much later it is a reject naming the lines it took. A stray 7 in a "(1-5)"
/// column rejects that row and keeps the statement; a column that only looks like 1–5
/// answers is named in a warning.
#[test]
fn open_quotes_and_stray_scores_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = vec!["id;palaute;nps".to_string()];
    for i in 1..=50 {
        let t = match i {
            3 => "\"alkaa lainaus".to_string(),
            _ => format!("kommentti {i}"),
        };
        rows.push(format!("{i};{t};{}", i % 11));
    }
    let open = write(dir.path(), "open.csv", (rows.join("\n") + "\n").as_bytes());
    let out = dir.path().join("t.csv");
    let err = failed(&palaute(&[
        "classify",
        "--no-model",
        s(&open),
        "-o",
        s(&out),
    ]));
    assert!(
        err.contains("open.csv") && err.contains("line 4") && err.contains("never closed"),
        "{err}"
    );

    rows[40] = "40;loppuu\" tähän;7".to_string();
    let mid = write(dir.path(), "mid.csv", (rows.join("\n") + "\n").as_bytes());
    let msg = ok(&palaute(&[
        "classify",
        "--no-model",
        s(&mid),
        "-o",
        s(&out),
    ]));
    assert!(msg.contains("1 rejected"), "{msg}");
    let rejects = csv_rows(&dir.path().join("t.rejects.csv"));
    assert!(rejects[1][3].contains("took lines 4–41"), "{rejects:?}");

    let mut rows = vec!["id;palaute;Sain apua (1-5);Käyntejä".to_string()];
    for i in 1..=20 {
        let score = if i == 5 { 7 } else { i % 5 + 1 };
        let visits = if i == 9 { 12 } else { i % 3 + 1 };
        rows.push(format!("{i};teksti {i};{score};{visits}"));
    }
    let scores = write(
        dir.path(),
        "scores.csv",
        (rows.join("\n") + "\n").as_bytes(),
    );
    let msg = ok(&palaute(&[
        "classify",
        "--no-model",
        s(&scores),
        "-o",
        s(&out),
    ]));
    assert!(msg.contains("19 used, 1 rejected"), "{msg}");
    assert!(msg.contains("\"Käyntejä\" looks like 1–5 answers"), "{msg}");
    let tagged = csv_rows(&out);
    assert!(
        tagged[0].iter().any(|h| h == "Sain apua (1-5)"),
        "{:?}",
        tagged[0]
    );
    let rejects = csv_rows(&dir.path().join("t.rejects.csv"));
    assert!(rejects[1][3].contains("outside 1–5"), "{rejects:?}");
}

/// One stray cell at XFD1048576 in a 50 KB workbook is a clear error, not a 512 GB
/// allocation and a crash.
#[test]
fn a_far_stray_cell_in_xlsx_is_a_clear_error() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::File::open(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/palaute_2026-08_10.xlsx"),
    )
    .unwrap();
    let mut zin = zip::ZipArchive::new(src).unwrap();
    let bomb = dir.path().join("bomb.xlsx");
    let mut zout = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
    for i in 0..zin.len() {
        let mut part = zin.by_index(i).unwrap();
        let name = part.name().to_string();
        let mut data = Vec::new();
        part.read_to_end(&mut data).unwrap();
        if name.starts_with("xl/worksheets/sheet1") {
            let far = r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#;
            data = String::from_utf8(data)
                .unwrap()
                .replace("</sheetData>", far)
                .into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&data).unwrap();
    }
    zout.finish().unwrap();
    let out = dir.path().join("t.csv");
    let err = failed(&palaute(&[
        "classify",
        "--no-model",
        s(&bomb),
        "-o",
        s(&out),
    ]));
    assert!(
        err.contains("bomb.xlsx") && err.contains("stray cell"),
        "{err}"
    );
}

/// The error for a file whose every row is rejected quotes the first reason, masked.
#[test]
fn the_all_rejected_error_masks_the_cell_it_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "x.csv",
        "palaute;pvm\n;131052-308T\n".as_bytes(),
    );
    let out = dir.path().join("t.csv");
    let err = failed(&classify_no_model(&input, &out));
    assert!(
        err.contains("no usable rows") && err.contains("[HETU]"),
        "{err}"
    );
    assert!(!err.contains("131052"), "{err}");
}

/// Issue 12: the same file given twice is read once; an overlapping copy is read, and its
/// repeated ids are named by where they are; the first data row of a Windows (CR LF)
/// export is row 2.
#[test]
fn a_file_given_twice_and_repeated_ids() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let sample = "data/sample/palaute_2026-08.csv";
    let err = ok(&palaute(&[
        "classify",
        "--no-model",
        sample,
        "data/sample/../sample/palaute_2026-08.csv",
        "-o",
        s(&out),
    ]));
    assert!(
        err.contains("is the same file as") && err.contains("read once"),
        "{err}"
    );
    assert!(err.contains("read 235 rows from 1 file(s)"), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(
        rows[1][2], "2",
        "first data row of a CR LF file: {:?}",
        rows[1]
    );
    let copy = dir.path().join("copy.csv");
    std::fs::copy(sample, &copy).unwrap();
    let err = ok(&palaute(&[
        "classify",
        "--no-model",
        sample,
        s(&copy),
        "-o",
        s(&out),
    ]));
    assert!(
        err.contains("235 row(s) repeat an id of an earlier row") && !err.contains("R1001"),
        "{err}"
    );
}

/// Issue 12: the same data gives the same report files, byte for byte — run again (the
/// workbook used to carry the run time) or with the files in another order (quotes used to
/// break ties by input position).
#[test]
fn reports_do_not_depend_on_run_time_or_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = sample_csvs();
    let run = |name: &str, order: &[&String]| {
        let out = dir.path().join(name);
        let mut args = vec!["report", "--no-model"];
        args.extend(order.iter().map(|f| f.as_str()));
        args.extend(["-o", s(&out)]);
        ok(&palaute(&args));
        out
    };
    let a = run("a", &[&files[0], &files[1], &files[2]]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = run("b", &[&files[0], &files[1], &files[2]]);
    let c = run("c", &[&files[2], &files[0], &files[1]]);
    let read = |d: &Path, f: &str| std::fs::read(d.join(f)).unwrap();
    for f in [
        "report.xlsx",
        "report.html",
        "report.md",
        "theme_counts.csv",
    ] {
        assert!(read(&a, f) == read(&b, f), "{f} differs between two runs");
    }
    for f in ["report.html", "report.md", "theme_counts.csv"] {
        assert!(
            read(&a, f) == read(&c, f),
            "{f} differs with the file order"
        );
    }
}

/// Properties over generated exports, through the binary (issue 12): rows read = used +
/// rejected, with the tagged file and rejects file holding exactly those; every reject names
/// its row and a reason; no cell of any CSV output starts a formula; a planted identity
/// code reaches no output. A few dozen cases here; the readers themselves are fuzzed with
/// far more in `src/fuzz.rs`.
mod generated_exports {
    use super::*;
    use proptest::prelude::*;

    const CODES: [&str; 3] = ["131052-308T", "150707A234N", "010594Y9032"];

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zåäöA-ZÅÄÖ ]{1,25}",
            "[0-9]{1,2}",
            "(=|\\+|-|@)[A-Z(0-9]{1,8}",
            "[\";\n]{1,2}[a-z]{0,5}",
            prop::sample::select(CODES.to_vec()).prop_map(|c| format!("hetu {c} ok")),
            Just(String::new()),
        ]
    }

    fn export() -> impl Strategy<Value = String> {
        prop::collection::vec((cell(), cell(), cell()), 1..15).prop_map(|rows| {
            let mut s = String::from("palaute;nps;pvm\n");
            for (a, b, c) in rows {
                let q = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
                s.push_str(&format!("{};{};{}\n", q(&a), q(&b), q(&c)));
            }
            s
        })
    }

    fn counts(stderr: &str) -> Option<(usize, usize, usize)> {
        let line = stderr.lines().find(|l| l.starts_with("read "))?;
        let num = |after: &str| -> Option<usize> {
            let i = line.find(after)? + after.len();
            line[i..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        };
        Some((num("read ")?, num(": ")?, num("used, ")?))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn every_row_accounted_no_formula_no_identity_code(text in export()) {
            let dir = tempfile::tempdir().unwrap();
            let input = write(dir.path(), "gen.csv", text.as_bytes());
            let out = dir.path().join("tagged.csv");
            let run = palaute(&["classify", "--no-model", "--redact", s(&input), "-o", s(&out)]);
            let err = String::from_utf8_lossy(&run.stderr).to_string();
            prop_assert!(!err.contains("panicked"), "{err}");
            if !run.status.success() {
                // A file-level error (no usable rows, unreadable) must be a clean exit 1.
                prop_assert_eq!(run.status.code(), Some(1), "{}", err);
                return Ok(());
            }
            let (read, used, rejected) = counts(&err).expect("summary line");
            prop_assert_eq!(read, used + rejected, "{}", err);
            let mut outputs = vec![out.clone()];
            prop_assert_eq!(csv_rows(&out).len() - 1, used);
            let rejects = dir.path().join("tagged.rejects.csv");
            if rejected > 0 {
                let rows = csv_rows(&rejects);
                prop_assert_eq!(rows.len() - 1, rejected);
                for r in &rows[1..] {
                    prop_assert!(r[1].parse::<usize>().is_ok_and(|n| n >= 2), "{r:?}");
                    prop_assert!(!r[3].is_empty(), "reason: {r:?}");
                }
                outputs.push(rejects);
            }
            let queue = dir.path().join("queue");
            ok(&palaute(&["triage", "--no-model", s(&input), "-o", s(&queue)]));
            outputs.push(queue.join("queue.csv"));
            for path in &outputs {
                for row in csv_rows(path) {
                    for c in &row {
                        prop_assert!(!c.starts_with(['=', '+', '-', '@']), "{}: {c:?}", path.display());
                    }
                }
            }
            outputs.push(queue.join("queue.md"));
            for path in &outputs {
                let body = std::fs::read_to_string(path).unwrap();
                for code in CODES {
                    prop_assert!(!body.contains(code), "{} holds {code}", path.display());
                }
            }
        }
    }
}

/// Issue 12: a 42 000-character unit name used to stop report.xlsx half-way through the
/// report set (Excel's 32 767-character cell limit); the cell is cut instead, and the set
/// is written whole, with no temporary files left.
#[test]
fn excel_limits_do_not_break_the_report_set() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "Yksikkö".repeat(6000);
    let text = format!("Jonot ovat liian pitkät. {}", "odotin ".repeat(2000));
    let input = write(
        dir.path(),
        "long.csv",
        format!("palaute;yksikkö;nps\n\"{text}\";\"{unit}\";3\nHyvä palvelu;A;9\n").as_bytes(),
    );
    let out = dir.path().join("r");
    ok(&palaute(&[
        "report",
        "--no-model",
        s(&input),
        "-o",
        s(&out),
    ]));
    use calamine::{open_workbook_auto, Reader};
    let mut wb = open_workbook_auto(out.join("report.xlsx")).unwrap();
    for sheet in ["Comments", "Units"] {
        let range = wb.worksheet_range(sheet).unwrap();
        let longest = range
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string().chars().count()))
            .max()
            .unwrap();
        assert_eq!(longest, 32_767, "{sheet}");
    }
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ".palaute.lock",
            "rejects.csv",
            "report.html",
            "report.json",
            "report.md",
            "report.xlsx",
            "theme_counts.csv"
        ]
    );
}
