//! `report.xlsx` for the board memo: sheets Summary (with a chart), Themes, Trends, Units and
//! Comments (every tagged comment, masked, with filters). Numbers are numbers, shares are
//! percentages, headers are frozen. Text goes in string cells, so a comment starting with
//! "=" can never run as a formula.

use super::i18n::{words, Words};
use super::view::by_lift;
use crate::aggregate::{Summary, ThemeStats, NONE_LABEL};
use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::lang::Lang;
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

fn build(s: &Summary, answers: &Answers) -> std::result::Result<Workbook, XlsxError> {
    let l = Lang::from_code(&s.lang).unwrap_or(Lang::Fi);
    let x = Sheets {
        w: words(l),
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
    let themes = by_lift(s);
    x.summary(wb.add_worksheet(), s, &themes)?;
    x.themes(wb.add_worksheet(), s, &themes)?;
    x.trends(wb.add_worksheet(), s)?;
    x.units(wb.add_worksheet(), s)?;
    comments_sheet(&mut wb, s, answers, &x.f, l)?;
    Ok(wb)
}

impl Sheets {
    fn name<'a>(&self, n: &'a str) -> &'a str {
        if n == NONE_LABEL {
            self.w.none
        } else {
            n
        }
    }

    /// Summary: the headline figures, and theme counts with a bar chart.
    fn summary(&self, ws: &mut Worksheet, s: &Summary, themes: &[&ThemeStats]) -> Sheet {
        let (w, f) = (self.w, &self.f);
        ws.set_name("Summary")?;
        header(ws, f, &[w.summary, ""])?;
        let ov = &s.overall.stats;
        let mut lines: Vec<(String, Option<f64>, &Format)> = vec![
            (w.comments.into(), Some(ov.comments as f64), &f.plain),
            (w.answers.into(), Some(ov.answers as f64), &f.plain),
            ("NPS".into(), ov.nps.nps, &f.dec1),
            ("NPS 95 % low".into(), ov.nps.ci_low, &f.dec1),
            ("NPS 95 % high".into(), ov.nps.ci_high, &f.dec1),
        ];
        for sc in &ov.scores {
            lines.push((format!("{} ({})", sc.name, w.mean), sc.mean, &f.dec2));
            let top2 = format!("{} ({})", sc.name, w.answered_45);
            lines.push((top2, sc.top2_share, &f.pct));
        }
        for (k, v) in &s.overall.languages {
            let label = format!("{}: {}", w.languages, w.language(k));
            lines.push((label, Some(*v as f64 / ov.comments.max(1) as f64), &f.pct));
        }
        for (r, (label, v, fmt)) in lines.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, excel_text(label))?;
            opt_num(ws, r, 1, *v, fmt)?;
        }
        ws.set_column_width(0, 42)?;
        ws.set_column_width(1, 12)?;
        self.theme_chart(ws, lines.len() as u32 + 2, themes)
    }

    /// Theme counts in the Themes sheet's order from `chart_row` down, and their chart.
    fn theme_chart(&self, ws: &mut Worksheet, chart_row: u32, themes: &[&ThemeStats]) -> Sheet {
        let w = self.w;
        ws.write_string_with_format(chart_row, 0, w.theme, &self.f.head)?;
        ws.write_string_with_format(chart_row, 1, w.comments, &self.f.head)?;
        for (i, t) in themes.iter().enumerate() {
            let row = chart_row + 1 + i as u32;
            ws.write_string(row, 0, &t.label)?;
            ws.write_number(row, 1, t.count as f64)?;
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
    fn themes(&self, ws: &mut Worksheet, s: &Summary, themes: &[&ThemeStats]) -> Sheet {
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
        let score_names: Vec<String> = s
            .overall
            .stats
            .scores
            .iter()
            .map(|x| format!("{} ({})", w.mean_1_5, x.name))
            .collect();
        cols.extend(score_names.iter().map(String::as_str));
        header(ws, f, &cols)?;
        for (i, t) in themes.iter().enumerate() {
            let row = i as u32 + 1;
            let statements = |k: &str| t.statements.get(k).copied().unwrap_or(0) as f64;
            ws.write_string(row, 0, &t.id)?;
            ws.write_string(row, 1, &t.label)?;
            ws.write_number(row, 2, t.count as f64)?;
            ws.write_number_with_format(row, 3, t.share, &f.pct)?;
            ws.write_number(row, 4, statements("negative"))?;
            ws.write_number(row, 5, statements("positive"))?;
            opt_num(ws, row, 6, t.nps_with.nps, &f.dec1)?;
            opt_num(ws, row, 7, t.nps_without.nps, &f.dec1)?;
            opt_num(ws, row, 8, t.nps_impact, &f.dec1)?;
            opt_num(ws, row, 9, t.nps_lift, &f.dec1)?;
            for (k, sc) in t.scores_with.iter().enumerate() {
                opt_num(ws, row, 10 + k as u16, sc.mean, &f.dec2)?;
            }
        }
        ws.autofilter(0, 0, themes.len() as u32, cols.len() as u16 - 1)?;
        ws.set_column_width(1, 34)?;
        Ok(())
    }

    /// Trends: one row per theme × month, then NPS per month.
    fn trends(&self, ws: &mut Worksheet, s: &Summary) -> Sheet {
        let (w, f) = (self.w, &self.f);
        ws.set_name("Trends")?;
        let cols = ["id", w.theme, w.month, w.comments, "n", w.share, "NPS"];
        header(ws, f, &cols)?;
        let mut row = 1u32;
        for t in &s.themes {
            for m in &t.by_month {
                ws.write_string(row, 0, &t.id)?;
                ws.write_string(row, 1, &t.label)?;
                ws.write_string(row, 2, excel_text(self.name(&m.name)))?;
                ws.write_number(row, 3, m.value.count as f64)?;
                ws.write_number(row, 4, m.value.comments as f64)?;
                ws.write_number_with_format(row, 5, m.value.share, &f.pct)?;
                opt_num(ws, row, 6, m.value.nps.nps, &f.dec1)?;
                row += 1;
            }
        }
        for m in &s.months {
            ws.write_string(row, 0, "(all)")?;
            ws.write_string(row, 1, "NPS")?;
            ws.write_string(row, 2, excel_text(&m.name))?;
            ws.write_number(row, 3, m.value.comments as f64)?;
            ws.write_number(row, 4, m.value.answers as f64)?;
            opt_num(ws, row, 6, m.value.nps.nps, &f.dec1)?;
            row += 1;
        }
        ws.autofilter(0, 0, row.saturating_sub(1).max(1), 6)?;
        ws.set_column_width(1, 34)?;
        Ok(())
    }

    /// Units: NPS per unit, then theme × unit counts.
    fn units(&self, ws: &mut Worksheet, s: &Summary) -> Sheet {
        let w = self.w;
        ws.set_name("Units")?;
        let mut cols = vec![w.unit, w.answers, w.comments, "NPS", "small"];
        cols.extend(s.themes.iter().map(|t| t.label.as_str()));
        header(ws, &self.f, &cols)?;
        for (i, u) in s.units.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, excel_text(self.name(&u.name)))?;
            ws.write_number(row, 1, u.value.answers as f64)?;
            ws.write_number(row, 2, u.value.comments as f64)?;
            opt_num(ws, row, 3, u.value.nps.nps, &self.f.dec1)?;
            ws.write_boolean(row, 4, u.value.small)?;
            for (k, t) in s.themes.iter().enumerate() {
                let count = t
                    .by_unit
                    .iter()
                    .find(|x| x.name == u.name)
                    .map_or(0, |x| x.value.count);
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
    s: &Summary,
    answers: &Answers,
    f: &Formats,
    l: Lang,
) -> std::result::Result<(), XlsxError> {
    let w = words(l);
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
    cols.extend(s.overall.stats.scores.iter().map(|x| x.name.as_str()));
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
pub fn bytes(path: &Path, s: &Summary, answers: &Answers) -> Result<Vec<u8>> {
    let err = |source: XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        source,
    };
    let mut wb = build(s, answers).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
