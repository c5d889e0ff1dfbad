//! `report.xlsx` for the board memo: sheets Summary (with a chart), Themes, Trends, Units and
//! Comments (every tagged comment, masked, with filters). Numbers are numbers, shares are
//! percentages, headers are frozen. Text goes in string cells, so a comment starting with
//! "=" can never run as a formula.

use super::i18n::Words;
use super::view::{ReportView, ThemeRow};
use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::output::{excel_text, EXCEL_ROWS};
use rust_xlsxwriter::{Chart, ChartType, Color, Format, Workbook, Worksheet, XlsxError};
use std::path::Path;

struct Formats {
    plain: Format,
    head: Format,
    pct: Format,
    dec1: Format,
    dec2: Format,
    wrap: Format,
}

fn header(ws: &mut Worksheet, f: &Formats, cols: &[&str]) -> std::result::Result<(), XlsxError> {
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, excel_text(h), &f.head)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn opt_num(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: Option<f64>,
    fmt: &Format,
) -> std::result::Result<(), XlsxError> {
    if let Some(v) = v {
        ws.write_number_with_format(row, col, v, fmt)?;
    }
    Ok(())
}

/// The words and formats every sheet uses.
struct Sheets {
    w: &'static Words,
    f: Formats,
}

type Sheet = std::result::Result<(), XlsxError>;

/// The workbook from the same [`ReportView`] as the page and the memo (order, names), with
/// its numbers as numbers.
fn build(view: &ReportView, answers: &Answers) -> std::result::Result<Workbook, XlsxError> {
    let x = Sheets {
        w: view.words,
        f: Formats {
            plain: Format::new(),
            head: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_text_wrap(),
            pct: Format::new().set_num_format("0.0%"),
            dec1: Format::new().set_num_format("0.0"),
            dec2: Format::new().set_num_format("0.00"),
            wrap: Format::new().set_text_wrap(),
        },
    };
    let mut wb = crate::output::new_workbook();
    x.summary(wb.add_worksheet(), view)?;
    x.themes(wb.add_worksheet(), view)?;
    x.trends(wb.add_worksheet(), view)?;
    x.units(wb.add_worksheet(), view)?;
    comments_sheet(&mut wb, view, answers, &x.f)?;
    Ok(wb)
}

impl Sheets {
    /// Summary: the headline figures, and theme counts with a bar chart.
    fn summary(&self, ws: &mut Worksheet, view: &ReportView) -> Sheet {
        let (w, f) = (self.w, &self.f);
        ws.set_name("Summary")?;
        header(ws, f, &[w.summary, ""])?;
        let ov = &view.headline.figures;
        let mut lines: Vec<(String, Option<f64>, &Format)> = vec![
            (w.comments.into(), Some(ov.comments as f64), &f.plain),
            (w.answers.into(), Some(ov.answers as f64), &f.plain),
            ("NPS".into(), ov.nps, &f.dec1),
            ("NPS 95 % low".into(), ov.nps_low, &f.dec1),
            ("NPS 95 % high".into(), ov.nps_high, &f.dec1),
        ];
        for (name, mean, top2) in &ov.scores {
            lines.push((format!("{name} ({})", w.mean), *mean, &f.dec2));
            lines.push((format!("{name} ({})", w.answered_45), *top2, &f.pct));
        }
        for (language, share) in &ov.languages {
            let label = format!("{}: {language}", w.languages);
            lines.push((label, Some(*share), &f.pct));
        }
        for (r, (label, v, fmt)) in lines.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, excel_text(label))?;
            opt_num(ws, r, 1, *v, fmt)?;
        }
        ws.set_column_width(0, 42)?;
        ws.set_column_width(1, 12)?;
        self.theme_chart(ws, lines.len() as u32 + 2, &view.drivers)
    }

    /// Theme counts in the Themes sheet's order from `chart_row` down, and their chart.
    fn theme_chart(&self, ws: &mut Worksheet, chart_row: u32, themes: &[ThemeRow]) -> Sheet {
        let w = self.w;
        ws.write_string_with_format(chart_row, 0, w.theme, &self.f.head)?;
        ws.write_string_with_format(chart_row, 1, w.comments, &self.f.head)?;
        for (i, t) in themes.iter().enumerate() {
            let row = chart_row + 1 + i as u32;
            ws.write_string(row, 0, &t.label)?;
            ws.write_number(row, 1, t.count.value.unwrap_or(0.0))?;
        }
        let last = chart_row + themes.len() as u32;
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_categories(("Summary", chart_row + 1, 0, last, 0))
            .set_values(("Summary", chart_row + 1, 1, last, 1))
            .set_name(w.comments);
        chart.title().set_name(w.chart_themes);
        chart.legend().set_hidden();
        ws.insert_chart(1, 3, &chart)?;
        Ok(())
    }

    /// Themes: one row per theme in key-driver order, numbers as numbers.
    fn themes(&self, ws: &mut Worksheet, view: &ReportView) -> Sheet {
        let (w, f) = (self.w, &self.f);
        ws.set_name("Themes")?;
        let mut cols = vec![
            "id",
            w.theme,
            w.comments,
            w.share,
            w.negative,
            w.positive,
            w.nps_with,
            w.nps_without,
            w.impact,
            w.lift,
        ];
        let score_names: Vec<String> = view
            .score_names
            .iter()
            .map(|x| format!("{} ({x})", w.mean_1_5))
            .collect();
        cols.extend(score_names.iter().map(String::as_str));
        header(ws, f, &cols)?;
        for (i, t) in view.drivers.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, &t.id)?;
            ws.write_string(row, 1, &t.label)?;
            ws.write_number(row, 2, t.count.value.unwrap_or(0.0))?;
            ws.write_number_with_format(row, 3, t.share.value.unwrap_or(0.0), &f.pct)?;
            ws.write_number(row, 4, t.negative as f64)?;
            ws.write_number(row, 5, t.positive as f64)?;
            opt_num(ws, row, 6, t.nps_with.raw, &f.dec1)?;
            opt_num(ws, row, 7, t.nps_without.raw, &f.dec1)?;
            opt_num(ws, row, 8, t.impact.value, &f.dec1)?;
            opt_num(ws, row, 9, t.lift.value, &f.dec1)?;
            for (k, mean) in t.scores_with.iter().enumerate() {
                opt_num(ws, row, 10 + k as u16, *mean, &f.dec2)?;
            }
        }
        ws.autofilter(0, 0, view.drivers.len() as u32, cols.len() as u16 - 1)?;
        ws.set_column_width(1, 34)?;
        Ok(())
    }

    /// Trends: one row per theme × month, then NPS per month.
    fn trends(&self, ws: &mut Worksheet, view: &ReportView) -> Sheet {
        let (w, f) = (self.w, &self.f);
        ws.set_name("Trends")?;
        let cols = ["id", w.theme, w.month, w.comments, "n", w.share, "NPS"];
        header(ws, f, &cols)?;
        let mut row = 1u32;
        for t in &view.themes {
            for m in &t.by_month {
                ws.write_string(row, 0, &t.id)?;
                ws.write_string(row, 1, &t.label)?;
                ws.write_string(row, 2, excel_text(&m.name))?;
                ws.write_number(row, 3, m.count as f64)?;
                ws.write_number(row, 4, m.comments as f64)?;
                ws.write_number_with_format(row, 5, m.share_value, &f.pct)?;
                opt_num(ws, row, 6, m.nps, &f.dec1)?;
                row += 1;
            }
        }
        for m in &view.month_rows {
            ws.write_string(row, 0, "(all)")?;
            ws.write_string(row, 1, "NPS")?;
            ws.write_string(row, 2, excel_text(&m.name))?;
            ws.write_number(row, 3, m.comments.value.unwrap_or(0.0))?;
            ws.write_number(row, 4, m.answers.value.unwrap_or(0.0))?;
            opt_num(ws, row, 6, m.nps.raw, &f.dec1)?;
            row += 1;
        }
        ws.autofilter(0, 0, row.saturating_sub(1).max(1), 6)?;
        ws.set_column_width(1, 34)?;
        Ok(())
    }

    /// Units: NPS per unit, then theme × unit counts.
    fn units(&self, ws: &mut Worksheet, view: &ReportView) -> Sheet {
        let w = self.w;
        ws.set_name("Units")?;
        let mut cols = vec![w.unit, w.answers, w.comments, "NPS", "small"];
        cols.extend(view.themes.iter().map(|t| t.label.as_str()));
        header(ws, &self.f, &cols)?;
        for (i, u) in view.unit_rows.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, excel_text(&u.name))?;
            ws.write_number(row, 1, u.answers.value.unwrap_or(0.0))?;
            ws.write_number(row, 2, u.comments.value.unwrap_or(0.0))?;
            opt_num(ws, row, 3, u.nps.raw, &self.f.dec1)?;
            ws.write_boolean(row, 4, u.small)?;
            for (k, t) in view.themes.iter().enumerate() {
                let count = t
                    .by_unit
                    .iter()
                    .find(|x| x.name == u.name)
                    .map_or(0, |x| x.count);
                ws.write_number(row, 5 + k as u16, count as f64)?;
            }
        }
        ws.set_column_width(0, 34)?;
        Ok(())
    }
}

/// Comments: every comment, masked, with filters. Written row by row to a temporary file
/// (the workbook writer's constant-memory mode), so a million comments are not held as
/// cells.
fn comments_sheet(
    wb: &mut Workbook,
    view: &ReportView,
    answers: &Answers,
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    let w = view.words;
    let ws = wb.add_worksheet_with_constant_memory();
    ws.set_name("Comments")?;
    let mut cols = vec![
        "id",
        w.date,
        w.unit,
        w.language,
        w.themes,
        w.sentiment,
        w.triage,
        "NPS",
    ];
    cols.extend(view.score_names.iter().map(String::as_str));
    cols.push(w.comment);
    let text_col = cols.len() as u16 - 1;
    ws.set_column_width(4, 28)?;
    ws.set_column_width(text_col, 90)?;
    header(ws, f, &cols)?;
    let mut row = 1u32;
    for a in answers.iter() {
        let Some(c) = a.comment() else {
            continue;
        };
        if row == EXCEL_ROWS - 1 {
            // Excel's last row says what is missing; the counts elsewhere include them all.
            let left = answers.comments() - (row as usize - 1);
            ws.write_string(
                row,
                0,
                format!("… {left} more comments do not fit Excel's {EXCEL_ROWS} rows; `palaute classify` writes them all"),
            )?;
            row += 1;
            break;
        }
        ws.write_string(row, 0, excel_text(a.id()))?;
        if let Some(d) = a.date() {
            ws.write_string(row, 1, d.to_string())?;
        }
        ws.write_string(row, 2, excel_text(a.unit().unwrap_or("")))?;
        ws.write_string(row, 3, c.lang().code())?;
        ws.write_string(row, 4, c.theme_ids().collect::<Vec<_>>().join(";"))?;
        ws.write_string(row, 5, c.sentiment().code())?;
        ws.write_string(row, 6, c.triage().code())?;
        if let Some(n) = a.nps() {
            ws.write_number(row, 7, f64::from(n))?;
        }
        for (k, sc) in a.scores().iter().enumerate() {
            if let Some(v) = sc {
                ws.write_number(row, 8 + k as u16, f64::from(*v))?;
            }
        }
        ws.write_string_with_format(row, text_col, excel_text(c.text()), &f.wrap)?;
        row += 1;
    }
    ws.autofilter(0, 0, row.saturating_sub(1).max(1), text_col)?;
    Ok(())
}

/// report.xlsx as bytes; `path` only names it in errors.
pub fn bytes(path: &Path, view: &ReportView, answers: &Answers) -> Result<Vec<u8>> {
    let err = |source: XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        source,
    };
    let mut wb = build(view, answers).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
