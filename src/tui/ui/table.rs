//! The virtualised table: only the rows in view are built, whatever the list's length.

use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use crate::query;
use crate::text::sanitize;
use crate::tui::app::ListState;
use crate::tui::theme::{Role, Styles};

/// A column of a list.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Header text.
    pub title: &'static str,
    /// Width.
    pub width: Constraint,
    /// Right-aligned (amounts).
    pub right: bool,
    /// Index into the list's sort columns, when this column is sortable.
    pub sort: Option<usize>,
}

impl Column {
    /// A left-aligned column.
    pub const fn left(title: &'static str, width: Constraint, sort: Option<usize>) -> Column {
        Column {
            title,
            width,
            right: false,
            sort,
        }
    }
    /// A right-aligned column.
    pub const fn right(title: &'static str, width: Constraint, sort: Option<usize>) -> Column {
        Column {
            title,
            width,
            right: true,
            sort,
        }
    }
}

/// One row as the table draws it.
pub struct RowData {
    /// Status marker (`!` overdue, `~` due soon, `%` partial, `=` paid, `+` credit, `x` void).
    pub marker: char,
    /// Role of the row's status, styling the whole row.
    pub role: Option<Role>,
    /// Cells, one per column.
    pub cells: Vec<Line<'static>>,
}

/// Text from data, neutralised, with fuzzy-matched characters highlighted.
pub fn hl(text: &str, words: &[String], styles: &Styles) -> Line<'static> {
    let clean = sanitize(text).into_owned();
    if words.is_empty() {
        return Line::from(clean);
    }
    let idx = query::highlight(&clean, words);
    if idx.is_empty() {
        return Line::from(clean);
    }
    let hs = styles.get(Role::Highlight);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut buf = String::new();
    let mut in_hl = false;
    let mut k = 0;
    for (ci, c) in clean.chars().enumerate() {
        let on = k < idx.len() && idx[k] == ci;
        if on {
            k += 1;
        }
        if on != in_hl && !buf.is_empty() {
            let s = std::mem::take(&mut buf);
            spans.push(if in_hl {
                Span::styled(s, hs)
            } else {
                Span::raw(s)
            });
        }
        in_hl = on;
        buf.push(c);
    }
    if !buf.is_empty() {
        spans.push(if in_hl {
            Span::styled(buf, hs)
        } else {
            Span::raw(buf)
        });
    }
    Line::from(spans)
}

/// Plain neutralised text.
pub fn plain(text: &str) -> Line<'static> {
    Line::from(sanitize(text).into_owned())
}

/// The width of each column (after the marker column) in a table `width` wide, exactly
/// as the table lays them out.
pub fn column_widths(width: u16, widths: &[Constraint]) -> Vec<u16> {
    let [_, cols] = Layout::horizontal([Constraint::Length(0), Constraint::Fill(0)])
        .areas(Rect::new(0, 0, width, 1));
    Layout::horizontal(widths.to_vec())
        .flex(Flex::Start)
        .spacing(1)
        .split(cols)
        .iter()
        .map(|r| r.width)
        .collect()
}

/// Draws the visible window of a list; `build` is called once per visible row with the
/// ledger position of its record and the width of each column (so numbers can be made
/// to fit instead of being cut). Returns the area of the body rows (for mouse hits).
pub fn draw_list(
    f: &mut Frame,
    area: Rect,
    styles: &Styles,
    columns: &[Column],
    state: &mut ListState,
    mut build: impl FnMut(usize, &[usize]) -> RowData,
) -> Rect {
    if area.height == 0 || area.width == 0 {
        return Rect::default();
    }
    let body_h = area.height.saturating_sub(1) as usize;
    state.scroll_into_view(body_h);
    let (sort_col, desc) = (state.sort.column, state.sort.desc);
    let header_style = styles.get(Role::Header);
    let mut header_cells = vec![Cell::from(" ")];
    for c in columns {
        let mut t = c.title.to_string();
        if c.sort == Some(sort_col) {
            t.push(if desc { '▼' } else { '▲' });
        }
        let line = Line::from(t);
        header_cells.push(Cell::from(if c.right {
            line.alignment(Alignment::Right)
        } else {
            line
        }));
    }
    let header = Row::new(header_cells).style(header_style);
    let mut constraints = vec![Constraint::Length(2)];
    constraints.extend(columns.iter().map(|c| c.width));
    let all = column_widths(area.width, &constraints);
    let col_w: Vec<usize> = all.iter().skip(1).map(|w| *w as usize).collect();
    let end = (state.offset + body_h).min(state.len());
    let sel_style = styles.get(Role::Selection);
    let mut rows = Vec::with_capacity(end.saturating_sub(state.offset));
    for i in state.offset..end {
        let pos = state.result.rows[i] as usize;
        let data = build(pos, &col_w);
        let selected = i == state.selected;
        let mut style = data.role.map_or(Style::default(), |r| styles.get(r));
        if selected {
            style = style.patch(sel_style);
        }
        let mark = format!("{}{}", if selected { '>' } else { ' ' }, data.marker);
        let mut cells = vec![Cell::from(mark)];
        for (line, col) in data.cells.into_iter().zip(columns) {
            cells.push(Cell::from(if col.right {
                line.alignment(Alignment::Right)
            } else {
                line
            }));
        }
        rows.push(Row::new(cells).style(style));
    }
    let widths: Vec<Constraint> = all.iter().map(|w| Constraint::Length(*w)).collect();
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    f.render_widget(table, area);
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    }
}
