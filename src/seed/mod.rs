//! `crm seed-demo`: realistic, deterministic demo customers.
//!
//! The same `--seed` gives the same customers (names from several
//! cultures, addresses, phones, tags, custom fields, creation dates spread
//! over three years), down to their IDs, so running it again adds nothing.
//! Rows are written with multi-row inserts, 1,000 customers a transaction,
//! two transactions in flight on PostgreSQL.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::customer;
use rand::seq::IndexedRandom as _;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::activity::{ActivityType, NewActivity};
use crate::error::AppError;
use crate::ids;
use crate::profiles::consent::{Channel, ConsentChange, ConsentState, OptInLevel};
use crate::profiles::{additional, repo, row};
use crate::tenancy::TenantId;

mod catalog;
mod data;

const BATCH: usize = 1000;
/// 2023-11-14T22:13:20Z: the time part of seeded IDs, plus the row number.
const ID_EPOCH_MS: u64 = 1_700_000_000_000;

use data::{CHANNELS, CONSENT_SOURCES, CULTURES, EXTRA_ACTIVITY, NOTES, PLANS, SOURCES, TAGS};

/// What a run did.
pub struct Seeded {
    pub customers: usize,
    pub elapsed: Duration,
}

/// Writes `count` demo customers into the tenant.
pub async fn seed(
    db: &DatabaseConnection,
    tenant: &TenantId,
    count: usize,
    seed: u64,
    activities: usize,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    // The tenant is part of the seed: the same seed gives every tenant its
    // own IDs, never another tenant's.
    let tenant_hash = tenant
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ tenant_hash);
    catalog::define_fields(db, tenant).await?;
    let companies = catalog::companies(db, tenant, seed, tenant_hash).await?;
    let now = crate::db::now();
    let span_ms = 3 * 365 * 24 * 3600 * 1000_i64;
    // Batches are made here, in order (the generator is deterministic), and
    // written by their own tasks, a few at a time.
    let most_in_flight = crate::db::batches_in_flight(db);
    let mut writing = tokio::task::JoinSet::new();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let mut batch = Batch {
            rows: Vec::with_capacity(n),
            tags: Vec::with_capacity(n),
            histories: Vec::with_capacity(n),
        };
        for i in done..done + n {
            let created = now
                - chrono::Duration::milliseconds(
                    span_ms - (span_ms / count.max(1) as i64) * i as i64,
                );
            let (mut row, own) = customer(&mut rng, tenant, seed, i, created, &companies);
            batch
                .histories
                .push(history(&mut rng, &mut row, now, activities));
            batch.tags.push((row.id.clone(), own));
            batch.rows.push(row);
        }
        while writing.len() >= most_in_flight {
            if let Some(written) = writing.join_next().await {
                written??;
            }
        }
        let (db, tenant) = (db.clone(), tenant.clone());
        writing.spawn(async move { write(&db, &tenant, batch).await });
        done += n;
    }
    while let Some(written) = writing.join_next().await {
        written??;
    }
    catalog::index_fields(db, tenant).await?;
    // Fresh statistics for the planner after a bulk load.
    crate::db::analyze(db, crate::db::Analyzed::Customers).await?;
    Ok(Seeded {
        customers: count,
        elapsed: started.elapsed(),
    })
}

/// Customers made together, with their tags and histories.
struct Batch {
    rows: Vec<customer::Model>,
    tags: Vec<(String, Vec<String>)>,
    histories: Vec<History>,
}

/// Writes a batch in one transaction. A row left out (its key, email or
/// phone taken by another customer, or written by an earlier run) gets
/// no tags and no history.
async fn write(db: &DatabaseConnection, tenant: &TenantId, batch: Batch) -> anyhow::Result<()> {
    let Batch {
        rows,
        mut tags,
        histories,
    } = batch;
    let txn = crate::db::begin_write(db).await?;
    let written: std::collections::HashSet<String> = repo::insert_new_many(&txn, &rows)
        .await?
        .into_iter()
        .collect();
    tags.retain(|(key, _)| written.contains(key));
    let contacts: Vec<&customer::Model> = rows
        .iter()
        .filter(|r| written.contains(&r.id) && additional::has_any(r))
        .collect();
    additional::insert(&txn, &contacts).await?;
    repo::add_tags(&txn, tenant, &tags)
        .await
        .map_err(AppError::into_anyhow)?;
    let (mut orders, mut entries, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    for history in histories {
        if written.contains(&history.customer) {
            orders.extend(history.orders);
            entries.extend(history.activity);
            notes.extend(history.notes);
        }
    }
    write_history(&txn, tenant, orders, entries, notes)
        .await
        .map_err(AppError::into_anyhow)?;
    txn.commit().await?;
    Ok(())
}

/// Customer `i` of the seed: the same every run.
fn customer(
    rng: &mut ChaCha8Rng,
    tenant: &TenantId,
    seed: u64,
    i: usize,
    created: DateTime<Utc>,
    companies: &[(&'static str, String)],
) -> (customer::Model, Vec<String>) {
    let culture = CULTURES.choose(rng).unwrap_or(&CULTURES[0]);
    let first = *culture.first.choose(rng).unwrap_or(&"Alex");
    let last = *culture.last.choose(rng).unwrap_or(&"Doe");
    let (city, state, country, postal) = *culture.places.choose(rng).unwrap_or(&culture.places[0]);
    let domain = *culture.domains.choose(rng).unwrap_or(&"example.com");
    let mut random = [0u8; 10];
    rng.fill_bytes(&mut random);
    // A fixed clock for the key, so the same seed gives the same IDs on any day.
    let id = uuid::Builder::from_unix_timestamp_millis(ID_EPOCH_MS + i as u64, &random)
        .into_uuid()
        .simple()
        .to_string();

    let mut row = repo::blank(tenant);
    row.id = id;
    row.first_name = Some(first.to_owned());
    row.last_name = Some(last.to_owned());
    let handle = row::fold(&format!("{first}.{last}")).replace(' ', "");
    row.email = rng
        .random_bool(0.9)
        .then(|| format!("{handle}.{seed}.{i}@{domain}"));
    let number = (seed.wrapping_mul(7_919).wrapping_add(i as u64)) % 10_000_000;
    row.phone = rng
        .random_bool(0.6)
        .then(|| format!("{}{number:07}", culture.phone_prefix));
    if rng.random_bool(0.25)
        && let Some((name, key)) = companies.choose(rng)
    {
        row.company_name = Some((*name).to_owned());
        row.company_id = Some(key.clone());
    }
    row.source = Some((*SOURCES.choose(rng).unwrap_or(&"web")).to_owned());
    row.status = if rng.random_bool(0.05) {
        "ARCHIVED"
    } else {
        "ACTIVE"
    }
    .to_owned();
    row.address_line1 = Some(format!("{} {} Street", rng.random_range(1..400), last));
    row.city = Some(city.to_owned());
    row.state = Some(state.to_owned());
    row.country = Some(country.to_owned());
    row.postal_code = Some(format!("{postal}{:02}", rng.random_range(0..100)));
    // Keyed like the customer, so the same seed gives the same address IDs.
    row.default_address_id = Some(row.id.clone());
    row.metadata = json!({
        "plan": PLANS.choose(rng).unwrap_or(&"free"),
        "seats": rng.random_range(1..50),
        "signup_channel": CHANNELS.choose(rng).unwrap_or(&"organic"),
        "newsletter": rng.random_bool(0.4),
        "renewal_date": (created + chrono::Duration::days(rng.random_range(300..800))).format("%Y-%m-%d").to_string(),
    });
    row.locale = Some(culture.locale.to_owned());
    row.currency = Some(culture.currency.to_owned());
    if row.email.is_some() {
        consent(rng, &mut row, Channel::Email, 0.45, created);
    }
    if row.phone.is_some() {
        consent(rng, &mut row, Channel::Sms, 0.2, created);
    }
    if row.email.is_some() && rng.random_bool(0.15) {
        let work = format!("{handle}.{seed}.{i}@work.{domain}");
        additional::set(&mut row, additional::Kind::Email, vec![work]);
    }
    row.created_at = created;
    row.updated_at = created;
    row::derive(&mut row);
    let n = rng.random_range(0..4);
    let own: Vec<String> = TAGS
        .choose_multiple(rng, n)
        .map(|t| (*t).to_owned())
        .collect();
    (row, own)
}

/// A demo consent on `channel`: subscribed at sign-up with probability
/// `subscribed` (confirmed or not), unsubscribed later for some, otherwise
/// never asked.
fn consent(
    rng: &mut ChaCha8Rng,
    row: &mut customer::Model,
    channel: Channel,
    subscribed: f64,
    created: DateTime<Utc>,
) {
    let roll: f64 = rng.random();
    let (state, level) = if roll < subscribed {
        let level = if rng.random_bool(0.6) {
            OptInLevel::Confirmed
        } else {
            OptInLevel::Single
        };
        (ConsentState::Subscribed, Some(level))
    } else if roll < subscribed + 0.1 {
        (ConsentState::Unsubscribed, None)
    } else {
        return;
    };
    let source = *CONSENT_SOURCES.choose(rng).unwrap_or(&"checkout");
    ConsentChange::new(state, level, Some(source.to_owned()))
        .apply(row, channel, "import", created);
}

/// A demo customer's orders, timeline and notes.
struct History {
    customer: String,
    orders: Vec<entity::order::Model>,
    activity: Vec<NewActivity>,
    notes: Vec<entity::note::Model>,
}

/// Orders (most paid, some refunded or pending), timeline entries and
/// notes between the customer's creation and now; the row's totals follow
/// its paid orders.
fn history(
    rng: &mut ChaCha8Rng,
    row: &mut customer::Model,
    now: chrono::DateTime<Utc>,
    activities: usize,
) -> History {
    let created = row.created_at;
    let span = (now - created).num_seconds().max(1);
    let at = |rng: &mut ChaCha8Rng| {
        let t = created + chrono::Duration::seconds(rng.random_range(0..span));
        t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1_000))
    };
    let order_count = [0, 0, 1, 1, 1, 2, 2, 3, 4, 6][rng.random_range(0..10)];
    let mut history = History {
        customer: row.id.clone(),
        orders: Vec::new(),
        activity: Vec::new(),
        notes: Vec::new(),
    };
    for n in 0..order_count {
        let placed_at = at(rng);
        let status = match rng.random_range(0..20) {
            0 => "REFUNDED",
            1 => "PENDING",
            _ => "PAID",
        };
        let amount_cents = rng.random_range(500..40_000);
        let external_id = format!("demo-{}-{n}", row.id);
        history.activity.push(NewActivity {
            customer_id: row.id.clone(),
            kind: ActivityType::Order,
            title: Some(format!("Order {external_id} placed")),
            data: Some(serde_json::json!({ "externalId": external_id, "status": status })),
            occurred_at: placed_at,
        });
        if status == "PAID" {
            row.total_orders += 1;
            row.total_spent_cents += amount_cents;
            row.first_order_at = row.first_order_at.min(Some(placed_at)).or(Some(placed_at));
            row.last_order_at = row.last_order_at.max(Some(placed_at));
        }
        history.orders.push(entity::order::Model {
            tenant_id: row.tenant_id.clone(),
            id: ids::new_key(),
            customer_id: Some(row.id.clone()),
            external_id,
            amount_cents,
            currency: "USD".to_owned(),
            status: status.to_owned(),
            placed_at,
            created_at: placed_at,
            updated_at: placed_at,
        });
    }
    let extra = if activities == 0 {
        0
    } else {
        rng.random_range(0..=2 * activities)
    };
    for _ in 0..extra {
        let (kind, title) = EXTRA_ACTIVITY[rng.random_range(0..EXTRA_ACTIVITY.len())];
        history.activity.push(NewActivity {
            customer_id: row.id.clone(),
            kind,
            title: Some(title.to_owned()),
            data: None,
            occurred_at: at(rng),
        });
    }
    if activities > 0 && rng.random_bool(0.2) {
        let created_at = at(rng);
        history.notes.push(entity::note::Model {
            tenant_id: row.tenant_id.clone(),
            id: ids::new_key(),
            customer_id: row.id.clone(),
            body: NOTES[rng.random_range(0..NOTES.len())].to_owned(),
            author: "demo".to_owned(),
            created_at,
            updated_at: created_at,
        });
    }
    history
}

async fn write_history(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    orders: Vec<entity::order::Model>,
    entries: Vec<NewActivity>,
    notes: Vec<entity::note::Model>,
) -> crate::error::AppResult<()> {
    crate::orders::repo::insert_many(db, orders).await?;
    crate::activity::repo::insert_many(db, tenant, entries).await?;
    crate::notes::repo::insert_many(db, notes).await?;
    Ok(())
}
