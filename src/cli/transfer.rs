//! `paytrack import|export|backup|restore`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context as _, Result};

use super::args::{ExportArgs, FileFormat, ImportArgs, RecordType};
use super::list::{parse_filter, select_invoices, select_parties, select_payments};
use super::Context;
use crate::domain::{Change, ChangeSet, StatusRules};
use crate::interchange::{backup as backup_fmt, csv_own, json, ImportPlan};
use crate::query::RecordKind;

/// Creates (or truncates) a file readable only by its owner.
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }
}

fn open_input(path: &Path) -> Result<Box<dyn Read>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
}

fn noun(what: RecordType) -> &'static str {
    match what {
        RecordType::Invoices => "invoices",
        RecordType::Payments => "payments",
        RecordType::Parties => "parties",
    }
}

/// `paytrack import`.
pub fn import(ctx: &Context, a: &ImportArgs, out: &mut impl Write) -> Result<()> {
    let (store, l) = ctx.load()?;
    let mut ids = store.ids()?;
    let name = display_name(&a.file);
    let input = open_input(&a.file)?;
    let plan: ImportPlan = match (a.format, a.what) {
        (FileFormat::Csv, RecordType::Invoices) => {
            csv_own::read_invoices(input, &name, &l, &mut ids)?
        }
        (FileFormat::Csv, RecordType::Payments) => {
            csv_own::read_payments(input, &name, &l, &mut ids)?
        }
        (FileFormat::Csv, RecordType::Parties) => {
            csv_own::read_parties(input, &name, &l, &mut ids)?
        }
        (FileFormat::Json, RecordType::Invoices) => {
            json::read_invoices(input, &name, &l, &mut ids)?
        }
        (FileFormat::Json, RecordType::Payments) => {
            json::read_payments(input, &name, &l, &mut ids)?
        }
        (FileFormat::Json, RecordType::Parties) => json::read_parties(input, &name, &l, &mut ids)?,
    };
    let what = noun(a.what);
    if a.dry_run {
        writeln!(
            out,
            "dry run: would import {} {what}, {} new parties; nothing was changed",
            plan.records, plan.new_parties
        )?;
        return Ok(());
    }
    store
        .commit(&plan.changes)
        .context("nothing was imported")?;
    writeln!(
        out,
        "imported {} {what}, {} new parties",
        plan.records, plan.new_parties
    )?;
    Ok(())
}

/// `paytrack export`.
pub fn export(ctx: &Context, a: &ExportArgs, out: &mut impl Write) -> Result<()> {
    let kind = match a.what {
        RecordType::Invoices => RecordKind::Invoice,
        RecordType::Payments => RecordKind::Payment,
        RecordType::Parties => RecordKind::Party,
    };
    let q = parse_filter(a.filter.as_deref(), kind)?;
    let (_store, l) = ctx.load()?;
    let rules = StatusRules::new(ctx.today);
    let mut file;
    let mut stdout_buf;
    let w: &mut dyn Write = match &a.output {
        Some(p) => {
            let f =
                create_private_file(p).with_context(|| format!("cannot write {}", p.display()))?;
            file = BufWriter::with_capacity(1 << 20, f);
            &mut file
        }
        None => {
            stdout_buf = BufWriter::with_capacity(1 << 20, &mut *out);
            &mut stdout_buf
        }
    };
    // Oldest first, so that an import of the export assigns ids in the same order.
    match a.what {
        RecordType::Payments => {
            let rows = select_payments(&l, rules, q.as_ref()).into_iter().rev();
            match a.format {
                FileFormat::Csv => csv_own::write_payments(&mut *w, &l, rows)?,
                FileFormat::Json => json::write_payments(&mut *w, &l, rows)?,
            }
        }
        RecordType::Invoices => {
            let rows = select_invoices(&l, rules, q.as_ref()).into_iter().rev();
            match a.format {
                FileFormat::Csv => csv_own::write_invoices(&mut *w, &l, &rules, rows)?,
                FileFormat::Json => json::write_invoices(&mut *w, &l, &rules, rows)?,
            }
        }
        RecordType::Parties => {
            let rows = select_parties(&l, rules, q.as_ref()).into_iter();
            match a.format {
                FileFormat::Csv => csv_own::write_parties(&mut *w, &l, rows)?,
                FileFormat::Json => json::write_parties(&mut *w, &l, rows)?,
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// `paytrack backup FILE`: written to a temporary file, synced, then renamed into place.
pub fn backup(ctx: &Context, file: &Path, out: &mut impl Write) -> Result<()> {
    let (store, l) = ctx.load()?;
    let filters = store.saved_filters()?;
    let ids = store.ids()?;
    let tmp = file.with_extension("partial");
    {
        let f =
            create_private_file(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        backup_fmt::write(&mut w, &l, &filters, ids)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, file).with_context(|| format!("cannot write {}", file.display()))?;
    writeln!(
        out,
        "backed up {} parties, {} invoices, {} payments, {} saved filters to {}",
        l.parties().len(),
        l.invoices().len(),
        l.payments().len(),
        filters.len(),
        file.display()
    )?;
    Ok(())
}

/// `paytrack restore FILE`: only into an empty store, all or nothing.
pub fn restore(ctx: &Context, file: &Path, out: &mut impl Write) -> Result<()> {
    let store = ctx.open()?;
    if !store.is_empty()? || !store.saved_filters()?.is_empty() {
        bail!(
            "the store at {} is not empty; restore goes only into an empty store (use --db with a new directory)",
            ctx.db.display()
        );
    }
    let input = BufReader::with_capacity(
        1 << 20,
        File::open(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let b = backup_fmt::read(input, &display_name(file))?;
    let (np, ni, npay, nf) = (
        b.parties.len(),
        b.invoices.len(),
        b.payments.len(),
        b.filters.len(),
    );
    let mut set = ChangeSet::new();
    set.changes.reserve(np + ni + npay + nf);
    set.changes
        .extend(b.parties.into_iter().map(Change::PutParty));
    set.changes
        .extend(b.invoices.into_iter().map(Change::PutInvoice));
    set.changes
        .extend(b.payments.into_iter().map(Change::PutPayment));
    set.changes
        .extend(b.filters.into_iter().map(Change::PutFilter));
    set.ids = Some(b.ids);
    store.commit(&set).context("nothing was restored")?;
    writeln!(
        out,
        "restored {np} parties, {ni} invoices, {npay} payments, {nf} saved filters"
    )?;
    Ok(())
}
