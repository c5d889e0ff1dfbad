//! Reading an export file into a table of strings: CSV (delimiter detected), XLSX and JSONL.
//! Nothing is interpreted here beyond cell values; rows that cannot be read keep their row
//! number and an error so they can be rejected with a reason.

use super::decode::decode;
use crate::error::{Error, Result};
use calamine::{Data, Reader};
use std::path::{Path, PathBuf};

/// One data row as read, with the row number a person sees in a spreadsheet or editor
/// (the header is row 1).
#[derive(Debug, Clone)]
pub struct RawRow {
    pub row: usize,
    pub fields: Vec<String>,
    /// Why the row could not be read (wrong number of fields, broken JSON...).
    pub error: Option<String>,
}

/// A row of a [`RowStore`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub row: usize,
    pub error: Option<&'a str>,
    cells: &'a str,
    len: usize,
}

impl<'a> RowRef<'a> {
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + 'a {
        let cells = self.cells;
        let n = self.len;
        cells.split(SEP).take(n)
    }
    /// Cell `i`, if the row has it.
    pub fn field(&self, i: usize) -> Option<&'a str> {
        self.fields().nth(i)
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn to_vec(&self) -> Vec<&'a str> {
        self.fields().collect()
    }
}

/// Separates the cells of a row in [`RowStore`]; a control character, so never in a cell
/// (they are removed as rows are stored).
const SEP: char = '\u{1f}';

/// The rows of a table in one buffer: a string per cell would take several times the file's
/// size in memory for a large export of short answers.
#[derive(Debug, Clone, Default)]
pub struct RowStore {
    cells: String,
    rows: Vec<StoredRow>,
    /// Cells from which control characters were removed, and the first such row.
    stripped: usize,
    first_stripped: Option<usize>,
}

#[derive(Debug, Clone)]
struct StoredRow {
    row: usize,
    end: usize,
    len: u32,
    error: Option<Box<str>>,
}

/// NUL and other control characters (a copy from a binary file, a broken export) would be
/// copied into every output and break some readers; they are removed, and said once.
fn is_unwanted_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

impl RowStore {
    pub fn push<'f>(
        &mut self,
        row: usize,
        fields: impl IntoIterator<Item = &'f str>,
        error: Option<String>,
    ) {
        let mut len = 0u32;
        let mut stripped = false;
        for f in fields {
            if len > 0 {
                self.cells.push(SEP);
            }
            if f.contains(is_unwanted_control) {
                stripped = true;
                self.cells
                    .extend(f.chars().filter(|c| !is_unwanted_control(*c)));
            } else {
                self.cells.push_str(f);
            }
            len += 1;
        }
        if stripped {
            self.stripped += 1;
            self.first_stripped.get_or_insert(row);
        }
        self.rows.push(StoredRow {
            row,
            end: self.cells.len(),
            len,
            error: error.map(String::into_boxed_str),
        });
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes of all cells together.
    pub fn cell_bytes(&self) -> usize {
        self.cells.len()
    }

    pub fn get(&self, i: usize) -> RowRef<'_> {
        let r = &self.rows[i];
        let start = match i {
            0 => 0,
            // Rows follow each other in the buffer with nothing between them.
            _ => self.rows[i - 1].end,
        };
        RowRef {
            row: r.row,
            error: r.error.as_deref(),
            cells: &self.cells[start..r.end],
            len: r.len as usize,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = RowRef<'_>> + '_ {
        (0..self.rows.len()).map(|i| self.get(i))
    }

    /// The warning for removed control characters, if any were.
    fn stripped_warning(&self) -> Option<String> {
        self.first_stripped.map(|row| {
            format!(
                "removed NUL or other control characters from {} cell(s), the first on row {row}",
                self.stripped
            )
        })
    }
}

impl FromIterator<RawRow> for RowStore {
    fn from_iter<I: IntoIterator<Item = RawRow>>(iter: I) -> Self {
        let mut store = RowStore::default();
        for r in iter {
            store.push(r.row, r.fields.iter().map(String::as_str), r.error);
        }
        store
    }
}

#[derive(Debug, Clone)]
pub struct RawTable {
    pub path: PathBuf,
    pub headers: Vec<String>,
    pub rows: RowStore,
    /// How the file was read: "CSV ';' UTF-8 (BOM)", "XLSX sheet 'Palaute'"...
    pub format: String,
    pub warnings: Vec<String>,
    /// For JSONL, in how many lines each header's key occurs (lines differ in their keys);
    /// empty for CSV and XLSX, where every row has every column.
    pub key_lines: Vec<usize>,
}

/// The kind of export, when it should not be guessed (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Csv,
    Xlsx,
    Jsonl,
}

impl InputFormat {
    /// The format an extension names, if it names one.
    pub fn from_extension(name: &Path) -> Option<InputFormat> {
        let ext = name.extension()?.to_str()?.to_lowercase();
        match ext.as_str() {
            "xlsx" | "xlsm" | "xls" | "ods" => Some(InputFormat::Xlsx),
            "jsonl" | "ndjson" | "json" => Some(InputFormat::Jsonl),
            "csv" | "tsv" | "txt" => Some(InputFormat::Csv),
            _ => None,
        }
    }

    /// The format the content looks like: a zip (XLSX) starts with "PK", JSONL with `{`,
    /// anything else is read as CSV.
    pub fn sniff(bytes: &[u8]) -> InputFormat {
        let text = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        if bytes.starts_with(b"PK") {
            InputFormat::Xlsx
        } else if text.trim_ascii_start().starts_with(b"{") {
            InputFormat::Jsonl
        } else {
            InputFormat::Csv
        }
    }
}

/// Reads a CSV, XLSX or JSONL file, chosen by extension (or by content when unknown).
pub fn read_table(path: &Path, sheet: Option<&str>) -> Result<RawTable> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_table_from(path, bytes, None, sheet)
}

/// Reads an export already in memory (a file's bytes, or standard input). `name` is what
/// messages and rejects call it; the format is `format` when given, else the one `name`'s
/// extension names, else the one the content looks like.
pub fn read_table_from(
    name: &Path,
    bytes: Vec<u8>,
    format: Option<InputFormat>,
    sheet: Option<&str>,
) -> Result<RawTable> {
    if bytes.is_empty() {
        return Err(Error::input(name, "the file is empty"));
    }
    let format = format
        .or_else(|| InputFormat::from_extension(name))
        .unwrap_or_else(|| InputFormat::sniff(&bytes));
    let mut table = match format {
        InputFormat::Xlsx => read_xlsx(name, &bytes, sheet)?,
        InputFormat::Jsonl => read_jsonl(name, &bytes)?,
        InputFormat::Csv => read_csv(name, &bytes)?,
    };
    if sheet.is_some() && format != InputFormat::Xlsx {
        table
            .warnings
            .push("--sheet applies to XLSX workbooks only; ignored for this file".to_string());
    }
    table.warnings.extend(duplicate_headers(&table.headers));
    let stripped = strip_control_characters(&mut table);
    table.warnings.extend(stripped);
    Ok(table)
}

/// Control characters left in the headers; those in cells were removed as rows were stored.
fn strip_control_characters(table: &mut RawTable) -> Option<String> {
    for h in &mut table.headers {
        h.retain(|c| !is_unwanted_control(c));
    }
    table.rows.stripped_warning()
}

/// Headers that occur twice: only the first of each can take a role, so the second is named.
fn duplicate_headers(headers: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    headers
        .iter()
        .map(|h| crate::text::fold(h))
        .zip(headers)
        .filter(|(folded, _)| !folded.is_empty() && !seen.insert(folded.clone()))
        .map(|(_, h)| {
            format!("the header {h:?} occurs more than once; only one of those columns is read")
        })
        .collect()
}

const DELIMITERS: [u8; 3] = [b';', b',', b'\t'];

/// Picks the delimiter that splits the first lines into the same number of fields most
/// consistently (quotes respected), preferring the one giving more fields.
pub fn detect_delimiter(text: &str) -> u8 {
    let sample: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let mut best = (b',', 0usize, 0usize);
    for d in DELIMITERS {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let counts: Vec<usize> = rdr
            .records()
            .filter_map(|r| r.ok())
            .map(|r| r.len())
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (d, consistent, first);
        }
    }
    best.0
}

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => "';'",
        b',' => "','",
        b'\t' => "tab",
        _ => "?",
    }
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let decoded = decode(bytes);
    let delimiter = detect_delimiter(&decoded.text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut records = rdr.records();
    let headers: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|s| s.trim().to_string()).collect(),
        Some(Err(e)) => {
            return Err(Error::input(
                path,
                format!("cannot read the header row: {e}"),
            ))
        }
        None => return Err(Error::input(path, "no header row")),
    };
    let mut rows = RowStore::default();
    let mut last_start = 0;
    for rec in records {
        match rec {
            Ok(r) => {
                let row = r.position().map_or(0, |p| p.line() as usize);
                last_start = r.position().map_or(0, |p| p.byte() as usize);
                if r.iter().all(|f| f.trim().is_empty()) {
                    // Trailing blank lines from spreadsheets; they carry nothing.
                    continue;
                }
                let error = swallowed_rows(&r, row, headers.len(), delimiter).or_else(|| {
                    (r.len() != headers.len()).then(|| {
                        format!(
                            "expected {} fields (as in the header) but found {} — a stray {} in the text, or a different delimiter?",
                            headers.len(),
                            r.len(),
                            delimiter_name(delimiter)
                        )
                    })
                });
                rows.push(row, r.iter(), error);
            }
            Err(e) => {
                let row = e.position().map_or(0, |p| p.line() as usize);
                rows.push(row, [], Some(format!("unreadable CSV row: {e}")));
            }
        }
    }
    let tail = decoded.text.get(last_start..).unwrap_or_default();
    if !rows.is_empty() && ends_inside_quote(tail, delimiter) {
        let line = rows.iter().last().map_or(0, |r| r.row);
        return Err(Error::input(
            path,
            format!(
                "line {line} opens a quote (\") that is never closed, so everything after it would be one field; the file may be cut off, or the quote needs closing"
            ),
        ));
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        headers,
        rows,
        format: format!("CSV {} {}", delimiter_name(delimiter), decoded.encoding),
        warnings: decoded.warning.into_iter().collect(),
        key_lines: Vec::new(),
    })
}

/// A quoted field that took in lines which look like whole rows of their own (a quote
/// opened and closed only much later): the row is rejected with the lines it took, rather
/// than those rows vanishing into one comment.
fn swallowed_rows(
    r: &csv::StringRecord,
    line: usize,
    fields: usize,
    delimiter: u8,
) -> Option<String> {
    let need = fields.checked_sub(1).filter(|n| *n > 0)?;
    let d = char::from(delimiter);
    let rowlike = r
        .iter()
        .flat_map(|f| f.lines().skip(1))
        .filter(|l| l.matches(d).count() >= need)
        .count();
    let spans: usize = r.iter().map(|f| f.matches('\n').count()).sum();
    (rowlike >= 2).then(|| {
        format!(
            "a quote (\") opened in this row closes only on line {}: the row took lines {line}–{}, {rowlike} of which look like rows of their own; fix the quote and read the file again",
            line + spans,
            line + spans
        )
    })
}

/// Whether `raw` (one record to the end of the text) ends inside a quoted field.
fn ends_inside_quote(raw: &str, delimiter: u8) -> bool {
    let d = char::from(delimiter);
    let mut in_quote = false;
    let mut at_field_start = true;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quote {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    in_quote = false;
                }
            }
            continue;
        }
        match c {
            '"' if at_field_start => in_quote = true,
            c if c == d || c == '\n' || c == '\r' => {
                at_field_start = true;
                continue;
            }
            _ => {}
        }
        at_field_start = false;
    }
    in_quote
}

/// Most cells a sheet may span: the spreadsheet reader allocates the whole rectangle from A1
/// to its farthest cell (32 bytes a cell), so one stray cell at XFD1048576 in a 50 KB file
/// would ask for 512 GB. 10 million cells is 320 MB, ten times a large monthly export.
const MAX_SHEET_CELLS: u64 = 10_000_000;
/// Largest unpacked part of a workbook (a shared-strings "bomb" packs gigabytes small).
const MAX_PART_BYTES: u64 = 512 << 20;

/// Refuses a workbook whose sheets span more cells than can be held, or whose parts unpack
/// to more than can be read, before the spreadsheet reader allocates for them.
fn check_xlsx_size(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Read;
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(()); // not a zip: the reader's own error says so
    };
    let cell_ref = regex::Regex::new(r#"<(?:\w+:)?c [^>]*?r="([A-Z]{1,3})([0-9]{1,7})""#)
        .map_err(|e| Error::input(path, e.to_string()))?;
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else {
            continue;
        };
        let name = part.name().to_string();
        if part.size() > MAX_PART_BYTES {
            return Err(Error::input(
                path,
                format!(
                    "{name} unpacks to {} MB, more than the {} MB palaute reads; save the workbook again or export as CSV",
                    part.size() >> 20,
                    MAX_PART_BYTES >> 20
                ),
            ));
        }
        if !name.starts_with("xl/worksheets/") || !name.ends_with(".xml") {
            continue;
        }
        let mut xml = String::new();
        if part.read_to_string(&mut xml).is_err() {
            continue; // the reader reports a broken part
        }
        let (mut rows, mut cols) = (0u64, 0u64);
        for c in cell_ref.captures_iter(&xml) {
            let col = c[1]
                .bytes()
                .fold(0u64, |n, b| n * 26 + u64::from(b - b'A' + 1));
            cols = cols.max(col);
            rows = rows.max(c[2].parse().unwrap_or(0));
        }
        if rows * cols > MAX_SHEET_CELLS {
            return Err(Error::input(
                path,
                format!(
                    "{name} spans {rows} rows × {cols} columns ({} cells), more than the {MAX_SHEET_CELLS} palaute reads — usually one stray cell far from the data; delete it, or export as CSV",
                    rows * cols
                ),
            ));
        }
    }
    Ok(())
}

/// calamine panics on some damaged workbooks (a shared-string index past the end, found by
/// the fuzz tests); a damaged file must be a clear error naming it, not a crash. The panic
/// hook is silenced meanwhile so that no backtrace reaches the user.
fn read_xlsx(path: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<RawTable> {
    check_xlsx_size(path, bytes)?;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let read = std::panic::catch_unwind(|| read_xlsx_unguarded(path, bytes, sheet));
    std::panic::set_hook(hook);
    read.unwrap_or_else(|_| {
        Err(Error::input(
            path,
            "the workbook is damaged (its cells point at data that is not there); open it in a spreadsheet program and save it again",
        ))
    })
}

fn read_xlsx_unguarded(path: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<RawTable> {
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            Error::input(
                path,
                format!(
                    "cannot open as a spreadsheet ({e}); is the file complete and really .xlsx?"
                ),
            )
        })?;
    let mut warnings = Vec::new();
    let name = match sheet {
        Some(s) => named_sheet(path, &wb.sheet_names(), s)?,
        None => {
            let (name, warning) =
                first_visible_sheet(path, &wb.sheet_names(), wb.sheets_metadata())?;
            warnings.extend(warning);
            name
        }
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| Error::input(path, format!("cannot read sheet {name:?}: {e}")))?;
    let (headers, rows) = sheet_rows(path, &name, &range)?;
    Ok(RawTable {
        path: path.to_path_buf(),
        headers,
        rows,
        format: format!("XLSX sheet {name:?}"),
        warnings,
        key_lines: Vec::new(),
    })
}

/// The sheet `--sheet` names, if the workbook has it.
fn named_sheet(path: &Path, names: &[String], sheet: &str) -> Result<String> {
    names
        .iter()
        .find(|n| n.as_str() == sheet)
        .cloned()
        .ok_or_else(|| {
            Error::input(
                path,
                format!("no sheet {sheet:?}; sheets are: {}", names.join(", ")),
            )
        })
}

/// The first sheet a person sees: a hidden first sheet (lookup tables, an old export) is
/// skipped, with a warning that says so.
fn first_visible_sheet(
    path: &Path,
    names: &[String],
    metadata: &[calamine::Sheet],
) -> Result<(String, Option<String>)> {
    let shown = metadata
        .iter()
        .find(|m| {
            m.visible == calamine::SheetVisible::Visible && m.typ == calamine::SheetType::WorkSheet
        })
        .map(|m| m.name.clone());
    let first = names
        .first()
        .cloned()
        .ok_or_else(|| Error::input(path, "the workbook has no sheets"))?;
    Ok(match shown {
        Some(s) if s != first => {
            let warning = format!(
                "the first sheet {first:?} is hidden; read {s:?}, the first visible one (choose with --sheet)"
            );
            (s, Some(warning))
        }
        _ => (first, None),
    })
}

/// The header row and the data rows of a sheet, numbered as the spreadsheet shows them.
fn sheet_rows(
    path: &Path,
    name: &str,
    range: &calamine::Range<Data>,
) -> Result<(Vec<String>, RowStore)> {
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut iter = range.rows();
    let headers: Vec<String> = iter
        .next()
        .ok_or_else(|| Error::input(path, format!("sheet {name:?} is empty")))?
        .iter()
        .map(|c| cell_text(c).trim().to_string())
        .collect();
    let mut rows = RowStore::default();
    for (i, r) in iter.enumerate() {
        let fields: Vec<String> = r.iter().map(cell_text).collect();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let error = r.iter().find_map(|c| match c {
            Data::Error(e) => Some(format!("cell error {e:?} in the spreadsheet")),
            _ => None,
        });
        // +1 for 1-based rows, +1 for the header.
        rows.push(start_row + i + 2, fields.iter().map(String::as_str), error);
    }
    Ok((headers, rows))
}

/// A cell as text; whole numbers without ".0", dates as ISO dates.
fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_serial_to_iso(d.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's serial day number (days since 1899-12-30) as YYYY-MM-DD.
fn excel_serial_to_iso(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    match base.checked_add_signed(chrono::Duration::days(serial.floor() as i64)) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => serial.to_string(),
    }
}

/// One JSONL line: its object, or why it is not one.
type JsonRow = std::result::Result<serde_json::Map<String, serde_json::Value>, String>;

fn read_jsonl(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let decoded = decode(bytes);
    let mut headers: Vec<String> = Vec::new();
    let mut key_lines: Vec<usize> = Vec::new();
    let mut objects: Vec<(usize, JsonRow)> = Vec::new();
    let mut nested = false;
    for (i, line) in decoded.text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(m)) => {
                let mut flat = serde_json::Map::new();
                nested |= flatten("", m, &mut flat);
                for k in flat.keys() {
                    match headers.iter().position(|h| h == k) {
                        Some(at) => key_lines[at] += 1,
                        None => {
                            headers.push(k.clone());
                            key_lines.push(1);
                        }
                    }
                }
                Ok(flat)
            }
            Ok(_) => Err("the line is JSON but not an object".to_string()),
            Err(e) => Err(format!("invalid JSON: {e}")),
        };
        objects.push((i + 1, parsed));
    }
    if headers.is_empty() {
        return Err(Error::input(
            path,
            "no JSON objects found (expected one object per line)",
        ));
    }
    let rows = objects
        .into_iter()
        .map(|(row, obj)| match obj {
            Ok(m) => RawRow {
                row,
                fields: headers
                    .iter()
                    .map(|h| match m.get(h) {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    })
                    .collect(),
                error: None,
            },
            Err(e) => RawRow {
                row,
                fields: Vec::new(),
                error: Some(e),
            },
        })
        .collect();
    let mut warnings: Vec<String> = decoded.warning.into_iter().collect();
    if nested {
        warnings.push(
            "nested JSON objects are read as dotted keys (\"meta.unit\"); name one with --text-col and the like if needed".to_string(),
        );
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        headers,
        rows,
        format: format!("JSONL {}", decoded.encoding),
        warnings,
        key_lines,
    })
}

/// Nested objects become dotted keys (`{"meta": {"unit": "A"}}` → `meta.unit`), so that
/// their values can take a role instead of arriving as JSON text. Arrays stay as JSON.
/// Returns whether anything was nested.
fn flatten(
    prefix: &str,
    m: serde_json::Map<String, serde_json::Value>,
    out: &mut serde_json::Map<String, serde_json::Value>,
) -> bool {
    let mut nested = false;
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            serde_json::Value::Object(inner) => {
                nested = true;
                flatten(&key, inner, out);
            }
            v => {
                out.insert(key, v);
            }
        }
    }
    nested
}

/// A CSV file palaute wrote, or a person kept (UTF-8, with or without a byte-order mark),
/// with its cells projected onto `columns` by header name (trimmed, any case).
pub struct NamedRows {
    pub headers: Vec<String>,
    /// Which of `columns` the file has; a column it lacks is empty in every row.
    pub present: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

pub fn read_named_csv(path: &Path, bytes: &[u8], columns: &[&str]) -> Result<NamedRows> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| Error::input(path, format!("header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let map: Vec<Option<usize>> = columns
        .iter()
        .map(|c| headers.iter().position(|h| h.eq_ignore_ascii_case(c)))
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::input(path, format!("row {}: {e}", i + 2)))?;
        rows.push(
            map.iter()
                .map(|m| m.and_then(|c| rec.get(c)).unwrap_or("").to_string())
                .collect(),
        );
    }
    Ok(NamedRows {
        present: map.iter().map(Option::is_some).collect(),
        headers,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_headers_and_a_sheet_for_a_csv_are_named() {
        let t = read_table_from(
            Path::new("x.csv"),
            b"palaute;nps;Palaute\nhyv\xc3\xa4;9;x\n".to_vec(),
            None,
            Some("Taul1"),
        )
        .unwrap();
        assert_eq!(t.warnings.len(), 2, "{:?}", t.warnings);
        assert!(t.warnings[0].contains("--sheet"));
        assert!(t.warnings[1].contains("\"Palaute\" occurs more than once"));
    }

    #[test]
    fn a_quote_left_open_is_found_and_doubled_quotes_are_not() {
        assert!(ends_inside_quote("2;\"kesken\n", b';'));
        assert!(!ends_inside_quote("1;\"a \"\"b\"\" c\";2\n", b';'));
        assert!(
            !ends_inside_quote("1;sanoi \"moi;2\n", b';'),
            "a quote mid-field is text"
        );
        assert!(!ends_inside_quote("1;\"rivi\ntoinen\";3", b';'));
    }

    #[test]
    fn detects_delimiters_with_quoted_text() {
        assert_eq!(detect_delimiter("a;b;c\n1;\"x, y, z\";3\n"), b';');
        assert_eq!(detect_delimiter("a,b\n\"x; y\",2\n"), b',');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
    }

    fn stdin() -> &'static Path {
        Path::new("<stdin>")
    }

    #[test]
    fn csv_without_an_extension_is_sniffed() {
        let t = read_table_from(stdin(), "palaute;nps\nHyvä;9\n".into(), None, None).unwrap();
        assert!(t.format.starts_with("CSV ';'"), "{}", t.format);
        assert_eq!(t.headers, ["palaute", "nps"]);
        assert_eq!(t.rows.get(0).to_vec(), ["Hyvä", "9"]);
        assert_eq!(t.path, stdin());
    }

    #[test]
    fn jsonl_without_an_extension_is_sniffed() {
        let text = "\u{feff}  {\"palaute\": \"Bra\", \"nps\": 10}\n{\"palaute\": \"Kö\"}\n";
        let t = read_table_from(stdin(), text.into(), None, None).unwrap();
        assert!(t.format.starts_with("JSONL"), "{}", t.format);
        // serde_json keeps keys sorted.
        assert_eq!(t.headers, ["nps", "palaute"]);
        assert_eq!(t.rows.get(1).to_vec(), ["", "Kö"]);
    }

    #[test]
    fn nested_jsonl_objects_become_dotted_keys() {
        let text = "{\"text\": \"Bra\", \"meta\": {\"unit\": \"A\", \"nps\": 9}, \"tags\": [1]}\n";
        let t = read_table_from(stdin(), text.into(), None, None).unwrap();
        assert_eq!(t.headers, ["meta.nps", "meta.unit", "tags", "text"]);
        assert_eq!(t.rows.get(0).to_vec(), ["9", "A", "[1]", "Bra"]);
        assert_eq!(t.key_lines, [1, 1, 1, 1]);
        assert!(t.warnings.iter().any(|w| w.contains("dotted keys")));
    }

    #[test]
    fn control_characters_are_removed_and_said() {
        let t = read_table_from(
            Path::new("a.csv"),
            b"text;nps\nhy\x00v\xc3\xa4\x07;9\nok;3\n".to_vec(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(t.rows.get(0).to_vec()[0], "hyvä");
        assert!(
            t.warnings
                .iter()
                .any(|w| w.contains("1 cell(s), the first on row 2")),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn windows_line_ends_number_rows_from_two() {
        let t = read_table_from(
            Path::new("a.csv"),
            b"text;nps\r\nhyv\xc3\xa4;9\r\nok;3\r\n".to_vec(),
            None,
            None,
        )
        .unwrap();
        let rows: Vec<usize> = t.rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, [2, 3]);
    }

    #[test]
    fn carriage_return_line_ends_number_rows() {
        let t = read_table_from(
            Path::new("a.csv"),
            b"text;nps\rhyv\xc3\xa4;9\rok;3\rkolmas;x\r".to_vec(),
            None,
            None,
        )
        .unwrap();
        let rows: Vec<usize> = t.rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, [2, 3, 4]);
    }

    #[test]
    fn the_given_format_wins_over_extension_and_content() {
        let bytes = b"{\"a\": 1}\n".to_vec();
        let t = read_table_from(Path::new("x.csv"), bytes.clone(), None, None).unwrap();
        assert!(t.format.starts_with("CSV"), "{}", t.format);
        let t = read_table_from(Path::new("x.csv"), bytes, Some(InputFormat::Jsonl), None).unwrap();
        assert!(t.format.starts_with("JSONL"), "{}", t.format);
    }

    #[test]
    fn xlsx_bytes_are_sniffed_and_read() {
        let bytes = std::fs::read("data/sample/palaute_2026-08_10.xlsx").unwrap();
        let t = read_table_from(stdin(), bytes, None, None).unwrap();
        assert!(t.format.starts_with("XLSX"), "{}", t.format);
        assert!(!t.rows.is_empty());
    }

    #[test]
    fn a_hidden_first_sheet_is_skipped_and_said() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let old = wb.add_worksheet().set_name("Vanha").unwrap();
        old.write(0, 0, "text").unwrap();
        old.write(1, 0, "vanha rivi").unwrap();
        old.set_hidden(true);
        let new = wb.add_worksheet().set_name("Palaute").unwrap();
        new.write(0, 0, "text").unwrap();
        new.write(1, 0, "uusi rivi").unwrap();
        new.set_active(true);
        let bytes = wb.save_to_buffer().unwrap();
        let t = read_table_from(Path::new("w.xlsx"), bytes, None, None).unwrap();
        assert_eq!(t.format, "XLSX sheet \"Palaute\"");
        assert_eq!(t.rows.get(0).to_vec(), ["uusi rivi"]);
        assert!(
            t.warnings[0].contains("\"Vanha\" is hidden"),
            "{:?}",
            t.warnings
        );
    }

    /// Found by `fuzz_xlsx_mutated`: calamine indexes shared strings without a bounds
    /// check, so a cell pointing past them panicked the whole run.
    #[test]
    fn a_cell_pointing_past_the_shared_strings_is_an_error() {
        use std::io::{Read, Write};
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write(0, 0, "text").unwrap();
        ws.write(1, 0, "hyvä").unwrap();
        let good = wb.save_to_buffer().unwrap();
        let mut zin = zip::ZipArchive::new(std::io::Cursor::new(good)).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().to_string();
            let mut body = String::new();
            f.read_to_string(&mut body).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                body = body.replace("<v>1</v>", "<v>999</v>");
            }
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(body.as_bytes()).unwrap();
        }
        let bytes = out.finish().unwrap().into_inner();
        let e = read_table_from(Path::new("bad.xlsx"), bytes, None, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad.xlsx: the workbook is damaged"),
            "{e}"
        );
    }

    #[test]
    fn empty_and_broken_input_name_the_source() {
        let e = read_table_from(stdin(), Vec::new(), None, None).unwrap_err();
        assert_eq!(e.to_string(), "<stdin>: the file is empty");
        let e = read_table_from(stdin(), b"PK\x03\x04broken".to_vec(), None, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("<stdin>: cannot open as a spreadsheet"),
            "{e}"
        );
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_iso(45931.0), "2025-10-01");
    }
}
