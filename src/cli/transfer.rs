//! `paytrack import|export|backup|restore`.
//!
//! `import payments` reads paytrack's own CSV/JSON, or with `--profile`/`--map` another
//! system's CSV; `import statement` reads CAMT.053 and OFX. Foreign imports preview with
//! `--dry-run` and commit only a complete plan: any bad row leaves the store unchanged.
//! `export journal` writes the hledger/ledger journal.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context as _, Result};

use super::args::{ExportArgs, ExportWhat, FileFormat, ImportArgs, ImportWhat};
use super::list::{parse_filter, select_invoices, select_parties, select_payments};
use super::{Context, ExitLedger, UsageError};
use crate::domain::{Change, ChangeSet, StatusRules};
use crate::interchange::{
    self, backup as backup_fmt, csv_own,
    datefmt::DateFormat,
    foreign::{self, Extract, PlanOptions},
    journal::{self, JournalOptions},
    json, mapped,
    number::NumberFormat,
    profile::{self, Field, Profile},
    statement, ImportPlan,
};
use crate::query::RecordKind;
use crate::session::Session;

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

fn noun(what: ImportWhat) -> &'static str {
    match what {
        ImportWhat::Invoices => "invoices",
        ImportWhat::Payments => "payments",
        ImportWhat::Parties => "parties",
        ImportWhat::Statement => "statement",
    }
}

/// Whether any option of foreign layouts was given.
fn layout_options(a: &ImportArgs) -> Vec<&'static str> {
    let mut v = Vec::new();
    if a.profile.is_some() {
        v.push("--profile");
    }
    if !a.maps.is_empty() {
        v.push("--map");
    }
    if a.date_format.is_some() {
        v.push("--date-format");
    }
    if a.decimal_comma {
        v.push("--decimal-comma");
    }
    if a.delimiter.is_some() {
        v.push("--delimiter");
    }
    if a.skip_lines.is_some() {
        v.push("--skip-lines");
    }
    if a.encoding.is_some() {
        v.push("--encoding");
    }
    if a.currency.is_some() {
        v.push("--currency");
    }
    v
}

fn read_all(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_input(path)?
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

/// `paytrack import`.
pub fn import(ctx: &Context, a: &ImportArgs, out: &mut impl Write) -> Result<()> {
    let foreign = layout_options(a);
    match a.what {
        ImportWhat::Statement => {
            if !foreign.is_empty() {
                return Err(UsageError(format!(
                    "{} {} not apply to statements (CAMT.053 and OFX are read as they are)",
                    foreign.join(", "),
                    if foreign.len() == 1 { "does" } else { "do" }
                ))
                .into());
            }
            return import_statement(ctx, a, out);
        }
        ImportWhat::Payments if !foreign.is_empty() => {
            if a.format != FileFormat::Csv {
                return Err(UsageError(
                    "--profile and --map read CSV files; --format json is paytrack's own layout"
                        .into(),
                )
                .into());
            }
            return import_mapped(ctx, a, out);
        }
        ImportWhat::Invoices | ImportWhat::Parties if !foreign.is_empty() => {
            return Err(UsageError(format!(
                "{} {} for `import payments` and `import statement`",
                foreign.join(", "),
                if foreign.len() == 1 { "is" } else { "are" }
            ))
            .into());
        }
        _ => {}
    }
    if a.no_match {
        return Err(UsageError(
            "--no-match is for other systems' files (--profile, --map) and statements".into(),
        )
        .into());
    }
    let (store, first) = ctx.load()?;
    let name = display_name(&a.file);
    // Read once: when another session commits first, the plan is made again from the
    // same input on the new ledger.
    let bytes = read_all(&a.file)?;
    super::commit_retrying(&store, &first, |store, l| {
        let mut ids = store.ids()?;
        let input = &bytes[..];
        let plan: ImportPlan = match (a.format, a.what) {
            (FileFormat::Csv, ImportWhat::Invoices) => {
                csv_own::read_invoices_bytes(input, &name, l, &mut ids)?
            }
            (FileFormat::Csv, ImportWhat::Payments) => {
                csv_own::read_payments_bytes(input, &name, l, &mut ids)?
            }
            (FileFormat::Csv, ImportWhat::Parties) => {
                csv_own::read_parties(input, &name, l, &mut ids)?
            }
            (FileFormat::Json, ImportWhat::Invoices) => {
                json::read_invoices(input, &name, l, &mut ids)?
            }
            (FileFormat::Json, ImportWhat::Payments) => {
                json::read_payments(input, &name, l, &mut ids)?
            }
            (FileFormat::Json, ImportWhat::Parties) => {
                json::read_parties(input, &name, l, &mut ids)?
            }
            (_, ImportWhat::Statement) => unreachable!("statements are handled above"),
        };
        let what = noun(a.what);
        // rows the store holds already (payments only): counted, like other systems' files
        let duplicates = match plan.duplicates.len() {
            0 => String::new(),
            n => format!(", {}", plural(n, "duplicate skipped", "duplicates skipped")),
        };
        if a.dry_run {
            writeln!(
                out,
                "dry run: would import {} {what}, {} new parties{duplicates}; nothing was changed",
                plan.records, plan.new_parties
            )?;
            if !plan.duplicates.is_empty() {
                writeln!(
                    out,
                    "duplicates (already recorded), lines: {}",
                    lines_list(&plan.duplicates)
                )?;
            }
            return Ok(());
        }
        if !plan.changes.changes.is_empty() {
            store
                .safety_copy("import")?
                .inspect(|c| eprintln!("paytrack: {c}"));
            super::commit(store, l, &plan.changes).context("nothing was imported")?;
        }
        writeln!(
            out,
            "imported {} {what}, {} new parties{duplicates}",
            plan.records, plan.new_parties
        )?;
        Ok(())
    })
}

/// The profile for `import payments` with --profile / --map, with the command line's
/// overrides applied.
fn chosen_profile(a: &ImportArgs, bytes: &[u8], name: &str) -> Result<Profile> {
    let user_dir = super::config_dir().map(|d| d.join("profiles"));
    let mut p = match a.profile.as_deref() {
        Some("auto") => {
            let (mut all, broken) = profile::all(user_dir.as_deref());
            // the layout options given apply to every candidate
            let delimiter = match &a.delimiter {
                Some(d) => Some(
                    profile::parse_delimiter(d)
                        .map_err(|e| UsageError(format!("--delimiter: {e}")))?,
                ),
                None => None,
            };
            for p in &mut all {
                if let Some(d) = delimiter {
                    p.delimiter = d;
                }
                if let Some(n) = a.skip_lines {
                    p.skip_lines = n;
                }
            }
            for e in broken {
                eprintln!(
                    "paytrack: warning: {}",
                    crate::text::sanitize(&e.to_string())
                );
            }
            if interchange::encoding::is_blank(bytes) {
                return Err(interchange::ImportError::new(
                    name,
                    1,
                    None,
                    interchange::encoding::EMPTY_FILE,
                )
                .into());
            }
            let head = interchange::encoding::head(bytes, interchange::encoding::HEAD);
            let header = interchange::encoding::decode(head, Default::default(), name)
                .ok()
                .and_then(|(t, _)| {
                    mapped::header_of(&t, delimiter.unwrap_or(b','), a.skip_lines.unwrap_or(0))
                })
                .unwrap_or_default();
            match mapped::detect(bytes, &all) {
                Some(p) => {
                    eprintln!(
                        "paytrack: {}: profile '{}' ({}) recognised from the header row",
                        crate::text::sanitize(name),
                        crate::text::sanitize(&p.name),
                        crate::text::sanitize(&p.title)
                    );
                    p.clone()
                }
                None => {
                    bail!(
                    "{name}:1: the header row matches no profile ({}); name one with --profile \
                     or give the columns with --map (the header row has: {})",
                    all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                    header.join(", ")
                )
                }
            }
        }
        Some(n) => profile::load(n, user_dir.as_deref()).map_err(|e| UsageError(e.to_string()))?,
        None => Profile::command_line(),
    };
    let mut maps = Vec::with_capacity(a.maps.len());
    for m in &a.maps {
        let (field, column) = m.split_once('=').ok_or_else(|| {
            UsageError(format!(
                "--map {m}: expected FIELD=COLUMN, e.g. --map amount=Betrag"
            ))
        })?;
        let field: Field = field
            .parse()
            .map_err(|e: String| UsageError(format!("--map {m}: {e}")))?;
        if column.trim().is_empty() {
            return Err(UsageError(format!("--map {m}: the column name is empty")).into());
        }
        maps.push((field, column.trim().to_string()));
    }
    p.apply_maps(&maps);
    if let Some(f) = &a.date_format {
        p.date_formats =
            vec![DateFormat::new(f).map_err(|e| UsageError(format!("--date-format: {e}")))?];
    }
    if a.decimal_comma {
        p.number = NumberFormat::comma();
    }
    if let Some(d) = &a.delimiter {
        p.delimiter =
            profile::parse_delimiter(d).map_err(|e| UsageError(format!("--delimiter: {e}")))?;
    }
    if let Some(n) = a.skip_lines {
        p.skip_lines = n;
    }
    if let Some(e) = &a.encoding {
        p.encoding = e
            .parse()
            .map_err(|e: String| UsageError(format!("--encoding: {e}")))?;
    }
    p.check().map_err(|e| {
        UsageError(if p.origin == profile::Origin::CommandLine {
            e
        } else {
            format!("profile '{}' with the options given: {e}", p.name)
        })
    })?;
    Ok(p)
}

/// `paytrack import payments FILE --profile ...|--map ...`.
fn import_mapped(ctx: &Context, a: &ImportArgs, out: &mut impl Write) -> Result<()> {
    let name = display_name(&a.file);
    let bytes = read_all(&a.file)?;
    let profile = chosen_profile(a, &bytes, &name)?;
    ctx.transact(|store, l| {
        let extract = mapped::read(&bytes, &name, &profile, a.currency)?;
        finish_import(store, l, extract, &name, a, ctx.today, out)
    })
}

/// `paytrack import statement FILE`.
fn import_statement(ctx: &Context, a: &ImportArgs, out: &mut impl Write) -> Result<()> {
    let name = display_name(&a.file);
    let bytes = read_all(&a.file)?;
    ctx.transact(|store, l| {
        let extract = statement::read(&bytes, &name)?;
        finish_import(store, l, extract, &name, a, ctx.today, out)
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Line numbers for a preview: the first 50, then `...`.
fn lines_list(lines: &[u64]) -> String {
    const SHOW: usize = 50;
    let shown: Vec<String> = lines.iter().take(SHOW).map(u64::to_string).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if lines.len() > SHOW { ", ..." } else { "" }
    )
}

/// Prints the preview or commits the plan of a foreign import.
fn finish_import(
    store: &Session,
    l: &ExitLedger,
    extract: Extract,
    name: &str,
    a: &ImportArgs,
    today: time::Date,
    out: &mut impl Write,
) -> Result<()> {
    let mut ids = store.ids()?;
    let r = foreign::plan(
        extract,
        name,
        l,
        &mut ids,
        PlanOptions {
            match_invoices: !a.no_match,
            as_of: today,
        },
    );
    let counts = format!(
        "{} ({} in, {} out{}), {} from {name} ({}): {}, {}, {} matched to invoices, {} not \
         applied",
        plural(r.payments, "payment", "payments"),
        r.incoming,
        r.payments - r.incoming,
        if r.fees > 0 {
            format!("; {} fees", r.fees)
        } else {
            String::new()
        },
        plural(r.new_parties.len(), "new party", "new parties"),
        r.format,
        plural(
            r.duplicates.len(),
            "duplicate skipped",
            "duplicates skipped"
        ),
        plural(r.skipped.len(), "row skipped", "rows skipped"),
        plural(r.matches.len(), "payment", "payments"),
        plural(r.suggestions.len(), "ambiguous match", "ambiguous matches"),
    );
    let clean = |s: &str| crate::text::sanitize(s).into_owned();
    // what matching does, the same lines in the preview and after the import
    let matching_lines = |out: &mut dyn Write, limit: usize| -> std::io::Result<()> {
        for m in r.matches.iter().take(limit) {
            writeln!(
                out,
                "match: line {}: {} {} to {} ({}) [{}]",
                m.line,
                m.currency.format(m.proposal.total()),
                m.currency,
                clean(&m.proposal.numbers(m.currency)),
                clean(&m.party),
                m.proposal.reasons
            )?;
        }
        if r.matches.len() > limit {
            writeln!(out, "... and {} more matches", r.matches.len() - limit)?;
        }
        for s in r.suggestions.iter().take(limit) {
            let choices: Vec<String> = s
                .candidates
                .iter()
                .map(|c| format!("{} [{}]", clean(&c.numbers(s.currency)), c.reasons))
                .collect();
            writeln!(
                out,
                "ambiguous: line {}: {} {} ({}) left unallocated, candidates: {}",
                s.line,
                s.currency.format(s.amount),
                s.currency,
                clean(&s.party),
                choices.join(" or ")
            )?;
        }
        if r.suggestions.len() > limit {
            writeln!(
                out,
                "... and {} more ambiguous matches",
                r.suggestions.len() - limit
            )?;
        }
        Ok(())
    };
    if a.dry_run {
        writeln!(out, "dry run: would import {counts}; nothing was changed")?;
        writeln!(out, "rows read: {}", r.rows)?;
        for n in &r.notes {
            writeln!(out, "note: {}", clean(n))?;
        }
        const SHOW: usize = 50;
        let more = |out: &mut dyn Write, n: usize, what: &str| -> std::io::Result<()> {
            if n > SHOW {
                writeln!(out, "... and {} more {what}", n - SHOW)?;
            }
            Ok(())
        };
        for n in r.new_parties.iter().take(SHOW) {
            writeln!(out, "new party: {}", clean(n))?;
        }
        more(out, r.new_parties.len(), "new parties")?;
        matching_lines(out, SHOW)?;
        if !r.duplicates.is_empty() {
            writeln!(
                out,
                "duplicates (already recorded), lines: {}",
                lines_list(&r.duplicates)
            )?;
        }
        for s in r.skipped.iter().take(SHOW) {
            writeln!(out, "skipped: line {}: {}", s.line, clean(&s.reason))?;
        }
        more(out, r.skipped.len(), "rows skipped")?;
        for e in &r.errors {
            writeln!(out, "error: {}", clean(&e.to_string()))?;
        }
        if r.error_count > r.errors.len() {
            writeln!(
                out,
                "... and {} more errors",
                r.error_count - r.errors.len()
            )?;
        }
        if r.error_count > 0 {
            bail!(
                "{} in {name}; an import would change nothing",
                plural(r.error_count, "row has errors", "rows have errors")
            );
        }
        return Ok(());
    }
    if r.error_count == 1 {
        if let Some(e) = r.errors.first() {
            return Err(e.clone().into());
        }
    }
    if r.error_count > 1 {
        for e in &r.errors {
            eprintln!("paytrack: {}", clean(&e.to_string()));
        }
        if r.error_count > r.errors.len() {
            eprintln!(
                "paytrack: ... and {} more errors",
                r.error_count - r.errors.len()
            );
        }
        bail!(
            "{} in {name}; nothing was imported",
            plural(r.error_count, "row has errors", "rows have errors")
        );
    }
    let plan = r.plan;
    if !plan.changes.is_empty() {
        store
            .safety_copy("import")?
            .inspect(|c| eprintln!("paytrack: {c}"));
        super::commit(store, l, &plan.changes).context("nothing was imported")?;
    }
    writeln!(out, "imported {counts}")?;
    for n in &r.notes {
        writeln!(out, "note: {}", clean(n))?;
    }
    matching_lines(out, usize::MAX)?;
    Ok(())
}

/// `paytrack export`.
pub fn export(ctx: &Context, a: &ExportArgs, out: &mut impl Write) -> Result<()> {
    let kind = match a.what {
        ExportWhat::Invoices => RecordKind::Invoice,
        ExportWhat::Payments => RecordKind::Payment,
        ExportWhat::Parties => RecordKind::Party,
        ExportWhat::Journal => {
            if a.filter.is_some() {
                return Err(UsageError(
                    "--filter does not apply to the journal (it always balances every party); use --from and --to"
                        .into(),
                )
                .into());
            }
            if a.format != FileFormat::Csv {
                return Err(UsageError(
                    "the journal is plain text; --format does not apply".into(),
                )
                .into());
            }
            if let (Some(f), Some(t)) = (a.from, a.to) {
                if f > t {
                    return Err(UsageError("--from is after --to".into()).into());
                }
            }
            RecordKind::Payment
        }
    };
    if a.what != ExportWhat::Journal && (a.from.is_some() || a.to.is_some()) {
        return Err(UsageError(
            "--from and --to are for the journal; for records use --filter date:FROM..TO".into(),
        )
        .into());
    }
    let q = if a.what == ExportWhat::Journal {
        None
    } else {
        parse_filter(a.filter.as_deref(), kind)?
    };
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
        ExportWhat::Payments => {
            let rows = select_payments(&l, rules, q.as_ref()).into_iter().rev();
            match a.format {
                FileFormat::Csv => csv_own::write_payments(&mut *w, &l, rows)?,
                FileFormat::Json => json::write_payments(&mut *w, &l, rows)?,
            }
        }
        ExportWhat::Invoices => {
            let rows = select_invoices(&l, rules, q.as_ref()).into_iter().rev();
            match a.format {
                FileFormat::Csv => csv_own::write_invoices(&mut *w, &l, &rules, rows)?,
                FileFormat::Json => json::write_invoices(&mut *w, &l, &rules, rows)?,
            }
        }
        ExportWhat::Parties => {
            let rows = select_parties(&l, rules, q.as_ref()).into_iter();
            match a.format {
                FileFormat::Csv => csv_own::write_parties(&mut *w, &l, rows)?,
                FileFormat::Json => json::write_parties(&mut *w, &l, rows)?,
            }
        }
        ExportWhat::Journal => {
            journal::write_journal(
                &mut *w,
                &l,
                &JournalOptions {
                    from: a.from,
                    to: a.to,
                },
            )?;
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
    // A new directory (or an empty one) is flagged as a store being created: a restore
    // may fill it even where safety copies of a store that was there remain beside it.
    crate::store::safety::prepare_new_store(&ctx.db)
        .with_context(|| format!("cannot create the store at {}", ctx.db.display()))?;
    let store = ctx.open()?;
    // Restoring into a store another session fills meanwhile fails as a conflict.
    let base = store.generation()?;
    if !store.is_empty()? || !store.saved_filters()?.is_empty() {
        bail!(
            "the store at {} is not empty; restore goes only into an empty store (use --db with a new directory)",
            ctx.db.display()
        );
    }
    store
        .safety_copy("restore")?
        .inspect(|c| eprintln!("paytrack: {c}"));
    if crate::store::safety::is_safety_copy(file) {
        let n = store.with_store(|s| s.restore_safety_copy(file))??;
        let (np, ni, npay) = (n.parties, n.invoices, n.payments);
        writeln!(
            out,
            "restored {np} parties, {ni} invoices, {npay} payments from the safety copy"
        )?;
        return Ok(());
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
    set.changes.extend(
        b.follow_ups
            .into_iter()
            .map(|(id, f)| Change::PutFollowUp(id, f)),
    );
    if let Some(r) = b.reminder_settings {
        set.push(Change::PutReminderSettings(r));
    }
    set.ids = Some(b.ids);
    store.commit(base, &set).context("nothing was restored")?;
    writeln!(
        out,
        "restored {np} parties, {ni} invoices, {npay} payments, {nf} saved filters"
    )?;
    Ok(())
}
