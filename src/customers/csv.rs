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
use async_graphql::{ID, Json};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesOrdered;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::import::{self, ImportMode, ImportPayload, MAX_ROWS, Turn};
use crate::companies::graphql::find_or_create;
use crate::companies::input::CompanyInput;
use crate::error::{AppError, AppResult};
use crate::ids::CompanyId;
use crate::profiles::consent::{ConsentInput, ConsentState};
use crate::profiles::contact::{Email, Phone};
use crate::profiles::input::{AddressInput, CustomerInput, CustomerStatus};
use crate::tenancy::TenantId;

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
            match resolve(db, tenant, &mut companies, &headers, &record).await? {
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
                let payload = import::import_in_turn(&db, &tenant, rows, mode, turn).await;
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

/// A consent cell: a state (`subscribed`, `unsubscribed`, `pending`,
/// `not_subscribed`), or `yes`/`no` as exports of other stores write it.
fn consent(column: &str, cell: &str) -> Result<ConsentInput, String> {
    let state = match cell.to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
        "subscribed" | "yes" | "true" => ConsentState::Subscribed,
        "unsubscribed" | "no" | "false" => ConsentState::Unsubscribed,
        "pending" => ConsentState::Pending,
        "not_subscribed" => ConsentState::NotSubscribed,
        _ => {
            return Err(format!(
                "{column}: {cell:?} is not subscribed, unsubscribed, pending or not_subscribed"
            ));
        }
    };
    Ok(ConsentInput {
        state,
        opt_in_level: None,
        source: None,
    })
}

/// Values of one cell, separated by `;` or `|`.
fn list(cell: &str) -> Vec<String> {
    cell.split([';', '|'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One CSV row as read: the customer input and the domain of the company
/// it belongs to.
#[derive(Default)]
struct Row {
    input: CustomerInput,
    company_domain: Option<String>,
}

/// One CSV row as a customer input (its company by domain found, or made
/// with the `company` column's name), or why it cannot be imported.
async fn resolve(
    db: &DatabaseConnection,
    tenant: &TenantId,
    companies: &mut HashMap<String, ID>,
    headers: &[String],
    record: &csv::StringRecord,
) -> anyhow::Result<Result<CustomerInput, String>> {
    let Row {
        mut input,
        company_domain,
    } = match to_input(headers, record) {
        Ok(row) => row,
        Err(reason) => return Ok(Err(reason)),
    };
    let Some(domain) = company_domain else {
        return Ok(Ok(input));
    };
    let key = domain.trim().to_lowercase();
    if let Some(id) = companies.get(&key) {
        input.company_id = Some(id.clone());
        return Ok(Ok(input));
    }
    let company = CompanyInput {
        name: input.company_name.clone().unwrap_or_else(|| domain.clone()),
        domain: Some(domain),
        ..CompanyInput::default()
    };
    let found = match find_or_create(db, tenant, company).await {
        Ok(found) => found,
        Err(AppError::BadUserInput { field, message }) => {
            return Ok(Err(format!("{field}: {message}")));
        }
        Err(other) => return Err(other.into_anyhow()),
    };
    let id = CompanyId::of_row(found.id).id();
    companies.insert(key, id.clone());
    input.company_id = Some(id);
    Ok(Ok(input))
}

/// One CSV row as read, or why it cannot be imported.
fn to_input(headers: &[String], record: &csv::StringRecord) -> Result<Row, String> {
    let mut input = CustomerInput::default();
    let mut company_domain = None;
    let mut address = AddressInput::default();
    let mut metadata = Map::new();
    for (header, value) in headers.iter().zip(record.iter()) {
        if value.is_empty() {
            continue;
        }
        let value = value.to_owned();
        match header.as_str() {
            "name" | "full_name" => input.name = Some(value),
            "first_name" | "firstname" => input.first_name = Some(value),
            "last_name" | "lastname" => input.last_name = Some(value),
            "email" => input.email = Some(value),
            "phone" => input.phone = Some(value),
            "company_name" | "company" => input.company_name = Some(value),
            "company_domain" | "domain" | "website" => company_domain = Some(value),
            "additional_emails" | "other_emails" => input.additional_emails = Some(list(&value)),
            "additional_phones" | "other_phones" => input.additional_phones = Some(list(&value)),
            "avatar_url" => input.avatar_url = Some(value),
            "source" => input.source = Some(value),
            "locale" | "language" => input.locale = Some(value),
            "currency" => input.currency = Some(value),
            "email_consent" | "accepts_email_marketing" => {
                input.email_consent = Some(consent(header, &value)?);
            }
            "sms_consent" | "accepts_sms_marketing" => {
                input.sms_consent = Some(consent(header, &value)?);
            }
            "status" => {
                input.status = Some(match value.to_ascii_uppercase().as_str() {
                    "ACTIVE" => CustomerStatus::Active,
                    "ARCHIVED" => CustomerStatus::Archived,
                    _ => return Err(format!("status: {value:?} is not ACTIVE or ARCHIVED")),
                })
            }
            "tags" => input.add_tags = Some(list(&value)),
            "address_line1" | "line1" | "address" => address.line1 = Some(value),
            "address_line2" | "line2" => address.line2 = Some(value),
            "city" => address.city = Some(value),
            "state" | "province" | "region" => address.state = Some(value),
            "postal_code" | "zip" | "postcode" => address.postal_code = Some(value),
            "country" => address.country = Some(value),
            other => {
                metadata.insert(other.to_owned(), Value::String(value));
            }
        }
    }
    if input.email.is_none() && input.phone.is_none() {
        return Err("needs an email or a phone, so that importing again finds it".into());
    }
    if address.line1.is_some()
        || address.line2.is_some()
        || address.city.is_some()
        || address.state.is_some()
        || address.postal_code.is_some()
        || address.country.is_some()
    {
        input.address = Some(address);
    }
    if !metadata.is_empty() {
        input.metadata = Some(Json(Value::Object(metadata)));
    }
    Ok(Row {
        input,
        company_domain,
    })
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
