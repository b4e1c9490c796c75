//! `crm import FILE.csv`: streams a CSV of any size into a tenant through
//! the same import as `importCustomers`, 1,000 rows a transaction.
//!
//! Columns (headers, any case): `name`, `first_name`, `last_name`, `email`,
//! `phone`, `additional_emails` and `additional_phones` (separated by `;`
//! or `|`), `company_name`, `company_domain` (the company, found by its
//! domain or made with `company_name`), `avatar_url`, `status`, `source`,
//! `tags` (separated by `;` or `|`), `address_line1`, `address_line2`,
//! `city`, `state`, `postal_code`, `country`, `email_consent`,
//! `sms_consent`, `locale`, `currency`; any other column becomes a custom
//! field (`metadata`), checked against its definition when it has one. A row needs an email or a phone, which is how a run
//! that is interrupted and started again finds what it already imported:
//! nothing is lost and nothing doubles.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesOrdered;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use super::import::{self, ImportMode, ImportPayload, MAX_ROWS, Turn};
use crate::error::AppResult;
use crate::profiles::contact::{Email, Phone};
use crate::profiles::history::{Actor, ChangeSource};
use crate::profiles::input::CustomerInput;
use crate::tenancy::TenantId;

mod row;

/// Rows of the file with their line numbers, as read and as input.
type Batch = Vec<(u64, csv::StringRecord, CustomerInput)>;

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub rejected: u64,
    pub elapsed: Duration,
}

/// Imports `path`; rejected rows go to `rejected` with a reason each.
pub async fn import_file(
    db: &DatabaseConnection,
    tenant: &TenantId,
    path: &Path,
    mode: ImportMode,
    rejected: &Path,
    progress: bool,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers: Vec<String> = reader
        .headers()
        .context("reading the CSV header")?
        .iter()
        .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
        .collect();
    let mut rejects = csv::Writer::from_path(rejected)
        .with_context(|| format!("creating {}", rejected.display()))?;
    let mut reject_header: Vec<&str> = vec!["line", "error"];
    reject_header.extend(headers.iter().map(String::as_str));
    rejects.write_record(&reject_header)?;

    let bar = if progress {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    let mut companies = HashMap::new();
    let mut batch: Batch = Vec::with_capacity(MAX_ROWS);
    let mut record = csv::StringRecord::new();
    // Batches in flight ([`crate::db::batches_in_flight`]) still apply in
    // file order (a later row naming the same customer as an earlier one
    // wins): a batch naming an email or phone that a batch in flight names
    // waits for it, and batches take their turn to hold the customers they
    // update ([`Turn`]). On SQLite, one at a time, the next read and
    // checked meanwhile.
    let most_in_flight = crate::db::batches_in_flight(db);
    let mut in_flight = FuturesOrdered::new();
    let mut names_in_flight: VecDeque<HashSet<String>> = VecDeque::new();
    let mut previous_locked: Option<oneshot::Receiver<()>> = None;
    loop {
        let more = reader.read_record(&mut record)?;
        if more {
            summary.rows += 1;
            let line = record.position().map_or(0, |p| p.line());
            match row::resolve(db, tenant, &mut companies, &headers, &record).await? {
                Ok(input) => batch.push((line, record.clone(), input)),
                Err(reason) => {
                    summary.rejected += 1;
                    write_reject(&mut rejects, line, &reason, &record)?;
                }
            }
        }
        if batch.len() == MAX_ROWS || (!more && !batch.is_empty()) {
            let names = names(&batch);
            if names_in_flight.iter().any(|n| !n.is_disjoint(&names)) {
                while let Some(finished) = in_flight.next().await {
                    let (done, payload): (Batch, _) = finished;
                    record_payload(&mut summary, &mut rejects, &done, payload)?;
                }
                names_in_flight.clear();
            }
            names_in_flight.push_back(names);
            let (locked, after) = oneshot::channel();
            let turn = Turn {
                after: previous_locked.replace(after),
                locked: Some(locked),
            };
            let rows: Vec<CustomerInput> =
                batch.iter().map(|(_, _, input)| input.clone()).collect();
            let (db, tenant, taken) = (db.clone(), tenant.clone(), std::mem::take(&mut batch));
            in_flight.push_back(async move {
                let payload = import::import_in_turn(
                    &db,
                    &tenant,
                    &Actor::new(None, ChangeSource::Import),
                    rows,
                    mode,
                    turn,
                )
                .await;
                (taken, payload)
            });
        }
        while in_flight.len() >= most_in_flight || (!more && !in_flight.is_empty()) {
            let Some((done, payload)) = in_flight.next().await else {
                break;
            };
            names_in_flight.pop_front();
            record_payload(&mut summary, &mut rejects, &done, payload)?;
            bar.set_position(reader.position().byte());
            bar.set_message(format!("{} rows", summary.rows));
        }
        if !more {
            break;
        }
    }
    rejects.flush()?;
    bar.finish_and_clear();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The emails and phones a batch's rows name, as the import compares them.
fn names(batch: &Batch) -> HashSet<String> {
    let mut names = HashSet::new();
    for (_, _, input) in batch {
        if let Some(Ok(Some(email))) = input.email.as_deref().map(|e| Email::parse("", e)) {
            names.insert(format!("email:{email}"));
        }
        if let Some(Ok(Some(phone))) = input.phone.as_deref().map(|p| Phone::parse("", p)) {
            names.insert(format!("phone:{phone}"));
        }
        for email in input.additional_emails.iter().flatten() {
            if let Ok(Some(email)) = Email::parse("", email) {
                names.insert(format!("email:{email}"));
            }
        }
        for phone in input.additional_phones.iter().flatten() {
            if let Ok(Some(phone)) = Phone::parse("", phone) {
                names.insert(format!("phone:{phone}"));
            }
        }
    }
    names
}

/// Adds a finished batch to the summary and its failed rows to the
/// rejected file.
fn record_payload(
    summary: &mut Summary,
    rejects: &mut csv::Writer<std::fs::File>,
    done: &[(u64, csv::StringRecord, CustomerInput)],
    payload: AppResult<ImportPayload>,
) -> anyhow::Result<()> {
    let payload = payload.map_err(|e| e.into_anyhow().context("import failed"))?;
    summary.created += payload.created as u64;
    summary.updated += payload.updated as u64;
    summary.skipped += payload.skipped as u64;
    for failure in &payload.failed {
        let (line, record, _) = &done[failure.index as usize];
        let reason = match &failure.field {
            Some(field) => format!("{field}: {}", failure.message),
            None => failure.message.clone(),
        };
        summary.rejected += 1;
        write_reject(rejects, *line, &reason, record)?;
    }
    Ok(())
}

/// `FILE.rejected.csv` beside the input.
pub fn default_rejected_path(path: &Path) -> PathBuf {
    let mut name = path.file_stem().unwrap_or_default().to_os_string();
    name.push(".rejected.csv");
    path.with_file_name(name)
}

fn write_reject(
    out: &mut csv::Writer<std::fs::File>,
    line: u64,
    reason: &str,
    record: &csv::StringRecord,
) -> anyhow::Result<()> {
    let line = line.to_string();
    let mut fields: Vec<Cow<'_, str>> = vec![line.as_str().into(), neutralised(reason)];
    fields.extend(record.iter().map(neutralised));
    out.write_record(fields.iter().map(|f| f.as_bytes()))?;
    Ok(())
}

/// A cell as a spreadsheet shows it rather than runs it: one that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
/// Excel, LibreOffice and Google Sheets, so it gets a leading `'` (OWASP's
/// rule against CSV injection).
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Prints a run's summary.
pub fn print_summary(
    summary: &Summary,
    rejected: &Path,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let secs = summary.elapsed.as_secs_f64().max(0.001);
    writeln!(
        out,
        "{} rows in {:.1}s ({:.0} rows/s): {} created, {} updated, {} unchanged or skipped, {} rejected",
        summary.rows,
        secs,
        summary.rows as f64 / secs,
        summary.created,
        summary.updated,
        summary.skipped,
        summary.rejected
    )?;
    if summary.rejected > 0 {
        writeln!(
            out,
            "rejected rows and their reasons: {}",
            rejected.display()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_written_as_text() {
        for cell in ["=cmd|' /C calc'!A0", "+SUM(1)", "-2+3", "@x", "\tx", "\rx"] {
            assert_eq!(neutralised(cell), format!("'{cell}"));
        }
        for cell in ["ana@example.com", "plain", "", "1-2", "'quoted"] {
            assert_eq!(neutralised(cell), cell);
        }
    }
}
