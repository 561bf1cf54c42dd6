//! `paytrack report ...`: the reports of [`crate::report`] as a table, CSV or JSON.

use std::io::{BufWriter, Write};

use anyhow::Result;

use super::args::{ListFormat, ReportCommand};
use super::Context;
use crate::ops::OpError;
use crate::report::{self, aging, cashflow, customers, statement, trend};

macro_rules! write_as {
    ($module:ident, $fmt:expr, $w:expr, $rows:expr) => {
        match $fmt {
            ListFormat::Table => $module::write_table(&mut *$w, $rows)?,
            ListFormat::Csv => $module::write_csv(&mut *$w, $rows)?,
            ListFormat::Json => $module::write_json(&mut *$w, $rows)?,
        }
    };
}

/// Runs a report command.
pub fn run(ctx: &Context, cmd: &ReportCommand, out: &mut impl Write) -> Result<()> {
    let (_store, l) = ctx.load()?;
    let mut w = BufWriter::new(out);
    match cmd {
        ReportCommand::Aging {
            kind,
            currency,
            by_party,
            common,
        } => {
            let o = report::AgingOptions {
                as_of: common.as_of.unwrap_or(ctx.today),
                kind: *kind,
                currency: *currency,
            };
            if *by_party {
                let rows = aging::aging_by_party(&l, &o);
                match common.format {
                    ListFormat::Table => aging::write_by_party_table(&mut w, &rows)?,
                    ListFormat::Csv => aging::write_by_party_csv(&mut w, &rows)?,
                    ListFormat::Json => aging::write_by_party_json(&mut w, &rows)?,
                }
            } else {
                let r = aging::aging(&l, &o);
                write_as!(aging, common.format, &mut w, &r);
            }
        }
        ReportCommand::Customers {
            currency,
            sort,
            common,
        } => {
            let o = report::CustomerOptions {
                as_of: common.as_of.unwrap_or(ctx.today),
                currency: *currency,
                sort: *sort,
            };
            let rows = customers::customers(&l, &o);
            write_as!(customers, common.format, &mut w, &rows);
        }
        ReportCommand::Trend {
            months,
            currency,
            common,
        } => {
            let rows = trend::trend(&l, common.as_of.unwrap_or(ctx.today), *months, *currency);
            write_as!(trend, common.format, &mut w, &rows);
        }
        ReportCommand::Cashflow { weeks, common } => {
            let rows = cashflow::cashflow(&l, common.as_of.unwrap_or(ctx.today), *weeks);
            write_as!(cashflow, common.format, &mut w, &rows);
        }
        ReportCommand::Statement {
            party,
            from,
            to,
            common,
        } => {
            let p = l
                .party_by_name(party)
                .ok_or_else(|| OpError::UnknownParty(party.clone()))?;
            let to = to.or(common.as_of).unwrap_or(ctx.today);
            let st = statement::statement(&l, p.id, *from, to);
            write_as!(statement, common.format, &mut w, &st);
        }
    }
    w.flush()?;
    Ok(())
}
