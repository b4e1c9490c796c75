//! `CustomerFilter`, compiled to SQL with bound parameters only.

use async_graphql::{ID, InputObject, Json};
use entity::{customer, customer_tag};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
use sea_orm::{ActiveEnum as _, ColumnTrait, Condition, DbBackend};
use serde_json::Value;

use super::checks::country;
use super::consent::ConsentState;
use super::fields::{CustomFieldFilter, Fields};
use super::filter_text::{MetadataPathCondition, TextCondition};
use super::input::{CustomerStatus, MAX_TAGS};
use super::metadata_filter::metadata_condition;
use super::metrics::{Metrics, RfmSegment};
use super::row::fold;
use crate::error::{AppResult, bad_input};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::tenancy::{self, TenantId};

/// Which customers a list or count covers. All given conditions must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerFilter {
    /// Case- and accent-insensitive substring of name, email, phone or company.
    pub search: Option<String>,
    /// The email is this one, ignoring case.
    pub email: Option<String>,
    /// The email begins with this text (case-insensitive): a range of the
    /// email index, for type-ahead on addresses.
    pub email_starts_with: Option<String>,
    /// Has all of these tags.
    pub tags: Option<Vec<String>>,
    /// Has at least one of these tags.
    pub tags_any: Option<Vec<String>>,
    /// Has at least one tag (`true`) or none (`false`).
    pub has_tags: Option<bool>,
    /// Has this status.
    pub status: Option<CustomerStatus>,
    /// Created after this time (exclusive).
    pub created_after: Option<DateTime>,
    /// Created before this time (exclusive).
    pub created_before: Option<DateTime>,
    /// The last paid order was placed after this time (exclusive).
    pub last_order_after: Option<DateTime>,
    /// The last paid order was placed before this time (exclusive).
    pub last_order_before: Option<DateTime>,
    /// Changed after this time (exclusive): what an incremental sync asks.
    pub updated_after: Option<DateTime>,
    /// Changed before this time (exclusive).
    pub updated_before: Option<DateTime>,
    /// The first paid order was placed after this time (exclusive).
    pub first_order_after: Option<DateTime>,
    /// The first paid order was placed before this time (exclusive).
    pub first_order_before: Option<DateTime>,
    /// At least this many paid orders.
    pub min_orders: Option<i32>,
    /// At most this many paid orders.
    pub max_orders: Option<i32>,
    /// The address's city is exactly this (as stored, trimmed).
    pub city: Option<String>,
    /// Came from this source exactly (`source`, as stored).
    pub source: Option<String>,
    /// Has spent at least this much to date (the sum of paid orders).
    pub min_total_spent: Option<Decimal>,
    /// Has spent at most this much to date (the sum of paid orders).
    pub max_total_spent: Option<Decimal>,
    /// The average paid order, as `averageOrderValue` shows it (whole
    /// cents, rounded half up), is at least this much (customers without
    /// a paid order have none).
    pub min_average_order_value: Option<Decimal>,
    /// The average paid order, as shown, is at most this much.
    pub max_average_order_value: Option<Decimal>,
    /// The RFM segment is one of these (`NONE`: no paid order).
    pub rfm_segment: Option<Vec<RfmSegment>>,
    /// The churn risk is above this, 0–1 (exclusive; customers without a
    /// paid order have none).
    pub churn_risk_above: Option<f64>,
    /// The churn risk is below this, 0–1 (exclusive).
    pub churn_risk_below: Option<f64>,
    /// ISO 3166-1 alpha-2 country of the address.
    pub country: Option<String>,
    /// A JSON object the customer's metadata must contain (nested objects
    /// match recursively; an array matches when it holds every listed value).
    pub metadata: Option<Json<Value>>,
    /// Members of this segment (dynamic or static).
    pub segment_id: Option<ID>,
    /// Email consent is one of these states (`[SUBSCRIBED]`: who may be
    /// emailed).
    pub email_consent: Option<Vec<ConsentState>>,
    /// SMS consent is one of these states.
    pub sms_consent: Option<Vec<ConsentState>>,
    /// Conditions on defined custom fields, typed by their definitions
    /// (a range of a DATE field, an option of a select); all must hold.
    pub fields: Option<Vec<CustomFieldFilter>>,
    /// Conditions on text fields (name, email, source, city, country,
    /// locale, currency): equal, one of, contains, starts with, set; all
    /// must hold.
    pub text: Option<Vec<TextCondition>>,
    /// Conditions on paths of the metadata, defined as custom fields or
    /// not (`plan.tier`): equal, one of, ranges, contains, starts with,
    /// set; all must hold.
    pub metadata_paths: Option<Vec<MetadataPathCondition>>,
    /// The same as `fields`, under its first name.
    #[graphql(deprecation = "Use `fields`.")]
    pub custom_fields: Option<Vec<CustomFieldFilter>>,
    /// Customers of this location (`loc_…`): those created or upserted in
    /// it.
    pub location_id: Option<ID>,
    /// Every one of these filters holds too.
    pub and: Option<Vec<CustomerFilter>>,
    /// At least one of these filters holds too.
    pub or: Option<Vec<CustomerFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<CustomerFilter>>,
}

/// What compiling a filter reads besides the filter itself.
pub struct FilterEnv<'a> {
    pub backend: DbBackend,
    pub tenant: &'a TenantId,
    /// The tenant's custom field definitions, when the filter names one.
    pub fields: &'a Fields,
    /// The derived metrics in SQL; a filter naming one without them is an
    /// internal error.
    pub metrics: Option<&'a dyn Metrics>,
    /// How deep and wide the tree may grow: [`TreeLimits::GIVEN`] for
    /// filters as given; more for those built from segment rules, whose
    /// shape the server chose.
    pub limits: TreeLimits,
    /// Whether an email prefix is written on PostgreSQL as the range of the
    /// email index it reads, rather than as `LIKE` ([`email_prefix_condition`]).
    pub prefix_range: bool,
}

/// How deep filters as given nest (the top filter is at depth 0).
pub const MAX_DEPTH: usize = 4;
/// Most filters one `and` or `or` as given lists.
pub const MAX_BRANCHES: usize = 20;

/// How deep a tree nests and how many filters one `and` or `or` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeLimits {
    pub depth: usize,
    pub branches: usize,
}

impl TreeLimits {
    /// Filters as clients give them.
    pub const GIVEN: TreeLimits = TreeLimits {
        depth: MAX_DEPTH,
        branches: MAX_BRANCHES,
    };
}

const FIELD: &str = "filter";
const MAX_SEARCH_CHARS: usize = 255;

impl CustomerFilter {
    /// The SQL condition of the filter (the tenant is added by the caller's
    /// scoped query), `segmentId` aside: it needs the segment, which
    /// `segments::segment_scope` reads.
    pub fn compile(&self, env: &FilterEnv) -> AppResult<Condition> {
        self.compile_at(FIELD, 0, env)
    }

    /// [`CustomerFilter::compile`], errors naming the filter `path`
    /// (`input.filter`).
    pub fn compile_named(&self, path: &str, env: &FilterEnv) -> AppResult<Condition> {
        self.compile_at(path, 0, env)
    }

    /// [`CustomerFilter::compile`] of a filter at `path`, `depth` filters
    /// deep in the tree.
    pub(super) fn compile_at(
        &self,
        path: &str,
        depth: usize,
        env: &FilterEnv,
    ) -> AppResult<Condition> {
        use customer::Column as C;
        let (backend, tenant) = (env.backend, env.tenant);
        let mut cond = Condition::all();
        for (field, list) in [("tags", &self.tags), ("tagsAny", &self.tags_any)] {
            if list.as_ref().is_some_and(|l| l.len() > MAX_TAGS) {
                return Err(bad_input(
                    format!("{path}.{field}"),
                    format!("at most {MAX_TAGS} tags"),
                ));
            }
        }
        if self
            .search
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
        {
            return Err(bad_input(
                format!("{path}.search"),
                format!("at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        if let Some(search) = self.search_term() {
            cond = cond.add(search_condition(search, backend));
        }
        if let Some(prefix) = &self.email_starts_with {
            if prefix.chars().count() > MAX_SEARCH_CHARS {
                return Err(bad_input(
                    format!("{path}.emailStartsWith"),
                    format!("at most {MAX_SEARCH_CHARS} characters"),
                ));
            }
            let prefix = prefix.trim().to_lowercase();
            if !prefix.is_empty() {
                cond = cond.add(email_prefix_condition(&prefix, backend, env.prefix_range));
            }
        }
        if let Some(email) = &self.email {
            cond = cond.add(
                Expr::expr(Func::lower(Expr::col((customer::Entity, C::Email))))
                    .eq(email.trim().to_lowercase()),
            );
        }
        for tag in self.tags.iter().flatten() {
            cond = cond.add(has_tag(tenant, std::slice::from_ref(tag), backend));
        }
        if let Some(tags) = &self.tags_any {
            cond = cond.add(if tags.is_empty() {
                Expr::val(false)
            } else {
                has_tag(tenant, tags, backend)
            });
        }
        if let Some(has) = self.has_tags {
            let tagged = has_any_tag(tenant);
            cond = cond.add(if has { tagged } else { tagged.not() });
        }
        for (i, condition) in self.text.iter().flatten().enumerate() {
            cond = cond.add(condition.condition(&format!("{path}.text[{i}]"), backend)?);
        }
        for (i, condition) in self.metadata_paths.iter().flatten().enumerate() {
            let at = format!("{path}.metadataPaths[{i}]");
            cond = cond.add(condition.condition(&at, backend)?);
        }
        if let Some(status) = self.status {
            cond = cond.add(C::Status.eq(status.as_str()));
        }
        let bounds = [
            (C::CreatedAt, self.created_after, self.created_before),
            (
                C::LastOrderAt,
                self.last_order_after,
                self.last_order_before,
            ),
            (C::UpdatedAt, self.updated_after, self.updated_before),
            (
                C::FirstOrderAt,
                self.first_order_after,
                self.first_order_before,
            ),
        ];
        for (column, after, before) in bounds {
            if let Some(DateTime(t)) = after {
                cond = cond.add(column.gt(t));
            }
            if let Some(DateTime(t)) = before {
                cond = cond.add(column.lt(t));
            }
        }
        for (column, value) in [(C::City, &self.city), (C::Source, &self.source)] {
            if let Some(value) = value {
                cond = cond.add(column.eq(value.trim()));
            }
        }
        cond = cond.add(self.metric_conditions(path, env)?);
        if let Some(code) = &self.country {
            match country(&format!("{path}.country"), code)? {
                Some(code) => cond = cond.add(C::Country.eq(code)),
                None => cond = cond.add(C::Country.is_null()),
            }
        }
        for (column, states) in [
            (C::EmailConsent, &self.email_consent),
            (C::SmsConsent, &self.sms_consent),
        ] {
            if let Some(states) = states {
                let states = states
                    .iter()
                    .map(|s| customer::ConsentState::from(*s).to_value());
                cond = cond.add(column.is_in(states));
            }
        }
        if let Some(Json(metadata)) = &self.metadata {
            let field = format!("{path}.metadata");
            cond = cond.add(metadata_condition(&field, metadata, backend)?);
        }
        for (name, list) in [
            ("fields", &self.fields),
            ("customFields", &self.custom_fields),
        ] {
            for (i, filter) in list.iter().flatten().enumerate() {
                let field = format!("{path}.{name}[{i}]");
                cond = cond.add(filter.condition(&field, env.fields, backend)?);
            }
        }
        if let Some(id) = &self.location_id {
            let key = crate::ids::decode(crate::ids::Kind::Location, id).ok_or_else(|| {
                bad_input(format!("{path}.locationId"), "not a location ID (`loc_…`)")
            })?;
            cond = cond.add(tenancy::in_location(tenant, &key));
        }
        cond = cond.add(self.tree(path, depth, env)?);
        Ok(cond)
    }

    /// Whether compiling the filter needs the tenant's RFM breakpoints.
    pub fn needs_breakpoints(&self) -> bool {
        self.rfm_segment.is_some() || self.branches().any(CustomerFilter::needs_breakpoints)
    }

    /// Whether compiling the filter needs the tenant's field definitions.
    pub fn needs_fields(&self) -> bool {
        [&self.fields, &self.custom_fields]
            .into_iter()
            .any(|list| list.as_ref().is_some_and(|f| !f.is_empty()))
            || self.branches().any(CustomerFilter::needs_fields)
    }

    /// The search, trimmed, when there is one.
    fn search_term(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether the filter holds a search.
    pub fn searches(&self) -> bool {
        self.search_term().is_some()
    }

    /// Whether the filter, or one nested in it, holds a search.
    pub fn searches_anywhere(&self) -> bool {
        self.searches() || self.branches().any(Self::searches_anywhere)
    }

    /// Whether the filter, or one nested in it, names tags.
    pub fn names_tags(&self) -> bool {
        self.tags.is_some()
            || self.tags_any.is_some()
            || self.has_tags.is_some()
            || self.branches().any(Self::names_tags)
    }

    /// Whether the filter, or one nested in it, asks for an email prefix:
    /// the email index's range finds such a page's rows, so no index of
    /// the sort's can spare the reading of them.
    pub fn names_email_prefix(&self) -> bool {
        self.email_starts_with.is_some() || self.branches().any(Self::names_email_prefix)
    }

    /// The characters of the shortest email prefix the filter, or one
    /// nested in it, asks for (as it is matched: trimmed).
    pub fn shortest_email_prefix(&self) -> Option<usize> {
        let own = self
            .email_starts_with
            .as_deref()
            .map(|p| p.trim().chars().count());
        own.into_iter()
            .chain(self.branches().filter_map(Self::shortest_email_prefix))
            .min()
    }

    /// Whether the filter nests an `or` or a `not`: PostgreSQL then plans
    /// a page as if it tested every customer, and reads each tag subquery
    /// whole into a hash, where the page is often found in a few hundred
    /// rows.
    pub fn branches_out(&self) -> bool {
        self.or.is_some() || self.not.is_some() || self.and.iter().flatten().any(Self::branches_out)
    }

    /// Whether each search the filter (or one nested in it) holds is one a
    /// trigram index answers ([`fts_answers`]), whose matches are mostly
    /// few. A shorter term matches many customers and has no trigram to
    /// look up: read through the search index, it reads the whole tenant's
    /// part of it, which PostgreSQL does once it keeps one plan for a
    /// page's statement, whatever the term.
    pub fn searches_by_trigrams(&self) -> bool {
        self.search_term().is_none_or(|s| fts_answers(&fold(s)))
            && self.branches().all(Self::searches_by_trigrams)
    }

    /// Whether the filter searches through SQLite's FTS5 index: a search
    /// term of three characters or more (after folding), whose matches can
    /// drive a count.
    pub fn searches_fts(&self) -> bool {
        self.search_term().is_some_and(|s| fts_answers(&fold(s)))
    }
}

/// Whether a trigram index (SQLite's FTS5 trigram index, PostgreSQL's
/// `pg_trgm`) can answer `term`: it needs three characters.
fn fts_answers(term: &str) -> bool {
    term.chars().count() >= 3
}

/// A substring of `search_text`; a phone-like term also matches by its
/// digits. PostgreSQL answers `LIKE '%term%'` from its trigram index; SQLite
/// asks its FTS5 trigram index (shorter terms fall back to `LIKE`).
fn search_condition(search: &str, backend: DbBackend) -> Condition {
    let matches = |term: &str| -> Expr {
        if backend == DbBackend::Sqlite && fts_answers(term) {
            let phrase = format!("\"{}\"", term.replace('"', "\"\""));
            return Expr::cust_with_values(
                r#""customers"."rowid" IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?)"#,
                [phrase],
            );
        }
        let escaped = term
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        customer::Column::SearchText.like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
    };
    let folded = fold(search);
    let mut cond = Condition::any().add(matches(&folded));
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    let phone_like = search
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like && digits.len() >= 3 && digits != folded {
        cond = cond.add(matches(&digits));
    }
    cond
}

/// `lower(email) LIKE 'prefix%'`: a range of the `(tenant_id,
/// lower(email))` index on both backends (which compare text byte by byte
/// there, and UTF-8 keeps code point order). PostgreSQL finds the range in
/// the pattern only when it plans the statement for its values, which it
/// then does at each execution; written out as the range alone (`range`,
/// for a tenant small enough that any prefix's matches are few to sort), it
/// keeps one plan, which reads the range. Not both: the range written out
/// beside the pattern would be counted twice (a hundredth of the rows taken
/// as a ten-thousandth), which planned a page of a common prefix as a
/// nested loop over every match. SQLite's `LIKE` ignores case and reads no
/// index, so the range is written out there beside it.
fn email_prefix_condition(prefix: &str, backend: DbBackend, range: bool) -> Condition {
    let email = || {
        Expr::expr(Func::lower(Expr::col((
            customer::Entity,
            customer::Column::Email,
        ))))
    };
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let like = email().like(LikeExpr::new(format!("{escaped}%")).escape('\\'));
    let mut chars: Vec<char> = prefix.chars().collect();
    let next = chars
        .pop()
        .and_then(|last| char::from_u32(u32::from(last) + 1))
        .map(|next| {
            chars.push(next);
            chars.into_iter().collect::<String>()
        });
    match (backend, next) {
        (DbBackend::Postgres, Some(next)) if range => Condition::all()
            .add(email().gte(prefix))
            .add(email().lt(next)),
        (DbBackend::Postgres, _) => Condition::all().add(like),
        (_, next) => {
            let cond = Condition::all().add(email().gte(prefix)).add(like);
            match next {
                Some(next) => cond.add(email().lt(next)),
                None => cond,
            }
        }
    }
}

/// Whether the customer has one of `tags`. On SQLite, `customers.id IN
/// (SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag IN
/// (…))`: the tag index drives, even for a count. On PostgreSQL, `EXISTS`
/// of the customer's own tag row: the planner turns it into the same join
/// when it stands alone, and under `or` or `not` can test it row by row
/// where an `IN` would read every tagged customer into a hash first.
pub(crate) fn has_tag(tenant: &TenantId, tags: &[String], backend: DbBackend) -> Expr {
    use customer_tag::Column as T;
    let tags =
        Expr::col((customer_tag::Entity, T::Tag)).is_in(tags.iter().map(|t| t.trim().to_owned()));
    let mut rows = tenancy::subquery::<customer_tag::Entity>(tenant);
    if backend == DbBackend::Postgres {
        rows.expr(Expr::val(1))
            .and_where(
                Expr::col((customer_tag::Entity, T::CustomerId))
                    .equals((customer::Entity, customer::Column::Id)),
            )
            .and_where(tags);
        return Expr::exists(rows);
    }
    rows.column((customer_tag::Entity, T::CustomerId))
        .and_where(tags);
    Expr::col((customer::Entity, customer::Column::Id)).in_subquery(rows)
}

/// Whether the customer has any tag: `customers.id IN (SELECT customer_id
/// FROM customer_tags WHERE tenant_id = ?)`, the primary key's tenant
/// range, read once per statement.
fn has_any_tag(tenant: &TenantId) -> Expr {
    let tagged = tenancy::subquery::<customer_tag::Entity>(tenant)
        .column((customer_tag::Entity, customer_tag::Column::CustomerId))
        .to_owned();
    Expr::col((customer::Entity, customer::Column::Id)).in_subquery(tagged)
}
