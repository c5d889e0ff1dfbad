//! Writes the sample export as one XLSX workbook (data/sample/palaute_2026-08_10.xlsx) from
//! the monthly CSV files, with real date cells and numeric scores, as survey tools export
//! it. Run after scripts/make_sample.py: cargo run --example sample_xlsx

use palaute::input::table::read_table;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let files: Vec<PathBuf> = ["2026-08", "2026-09", "2026-10"]
        .iter()
        .map(|m| PathBuf::from(format!("data/sample/palaute_{m}.csv")))
        .collect();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Vastaukset")?;
    let date_fmt = Format::new().set_num_format("d.m.yyyy hh:mm");
    let mut out_row: u32 = 1;
    for (i, f) in files.iter().enumerate() {
        let table = read_table(f, None)?;
        if i == 0 {
            for (c, h) in table.headers.iter().enumerate() {
                ws.write_string(0, c as u16, h)?;
            }
        }
        for r in table.rows.iter() {
            for (c, v) in r.fields().enumerate() {
                let col = c as u16;
                if v.is_empty() {
                    continue;
                }
                if c == 1 {
                    let (d, t) = v.split_once(' ').unwrap_or((v, "00:00"));
                    let p: Vec<u16> = d.split('.').map(|x| x.parse().unwrap_or(1)).collect();
                    let (hh, mm) = t.split_once(':').unwrap_or(("0", "0"));
                    let dt = ExcelDateTime::from_ymd(p[2], p[1] as u8, p[0] as u8)?.and_hms(
                        hh.parse::<u16>()?,
                        mm.parse::<u8>()?,
                        0,
                    )?;
                    ws.write_datetime_with_format(out_row, col, &dt, &date_fmt)?;
                } else if let Ok(n) = v.parse::<f64>() {
                    ws.write_number(out_row, col, n)?;
                } else {
                    ws.write_string(out_row, col, v)?;
                }
            }
            out_row += 1;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let out = "data/sample/palaute_2026-08_10.xlsx";
    wb.save(out)?;
    println!("wrote {out} with {} rows", out_row - 1);
    Ok(())
}
