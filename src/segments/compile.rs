//! Rules compiled to one SQL condition over `customers`, with every value
//! bound as a parameter (no SQL text is built from input).
//!
//! Semantics, the same on both backends:
//! - a rule on a missing value (no email, no paid order, no such metadata
//!   key) is false, except that `neq`, `not_in` and `is_not_set` are the
//!   exact complements of `eq`, `in` and `is_set`, so they match it;
//! - `name` compares ignoring case and accents, `email` ignoring case,
//!   other text exactly; `contains` and `starts_with` take `%` and `_`
//!   literally;
//! - `churn_risk` and `rfm_segment` are computed in SQL by the formulas of
//!   [`crate::analytics`], with the clock and the tenant's breakpoints bound.

use chrono::Utc;
use entity::{customer, customer_tag, segment_member};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func};
use sea_orm::{Condition, DbBackend};

use super::rule::{Field, Kind, Op, Operand, Rule, Scalar};
use crate::analytics::RfmSegment;
use crate::analytics::churn::PRIOR_INTERVAL_DAYS;
use crate::analytics::rfm::{Breakpoints, Scores, score_expr};
use crate::profiles::fields::Fields;
use crate::profiles::json_path::JsonPath;
use crate::profiles::metrics::Metrics;
use crate::tenancy::{self, TenantId};

type Time = chrono::DateTime<Utc>;

/// What rules are evaluated against: the backend's dialect, the tenant,
/// the clock and (for `rfm_segment`) the tenant's breakpoints.
pub struct Env {
    pub backend: DbBackend,
    pub tenant: TenantId,
    pub now: Time,
    pub breakpoints: Breakpoints,
    /// The tenant's custom field definitions, when a segment's filter
    /// names one.
    pub fields: Fields,
}

/// How a segment's rules combine.
pub use entity::segment::MatchMode as Match;

/// The metrics of a [`crate::profiles::CustomerFilter`], by the formulas
/// rules use.
impl Metrics for Env {
    fn rfm_segment_in(&self, wanted: &[RfmSegment]) -> Expr {
        rfm_in(wanted.iter().copied(), self)
    }

    fn churn_risk(&self) -> Expr {
        churn_risk(self)
    }
}

/// True when a rule needs the tenant's RFM breakpoints.
pub fn needs_breakpoints<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> bool {
    rules.into_iter().any(|r| r.field == Field::RfmSegment)
}

/// The condition a customer meets when it matches the rules.
pub fn rules(rules: &[Rule], mode: Match, env: &Env) -> Condition {
    let base = match mode {
        Match::All => Condition::all(),
        Match::Any => Condition::any(),
    };
    rules.iter().fold(base, |cond, r| cond.add(rule(r, env)))
}

/// The condition of a static segment: listed in `segment_members`.
pub fn listed(tenant: &TenantId, segment_key: &str) -> Condition {
    use segment_member::Column as M;
    let ids = tenancy::subquery::<segment_member::Entity>(tenant)
        .column((segment_member::Entity, M::CustomerId))
        .and_where(Expr::col((segment_member::Entity, M::SegmentId)).eq(segment_key))
        .to_owned();
    Condition::all().add(column(customer::Column::Id).in_subquery(ids))
}

/// One rule as a boolean expression.
pub fn rule(rule: &Rule, env: &Env) -> Expr {
    let negated = match rule.op {
        Op::Neq => Some(Op::Eq),
        Op::NotIn => Some(Op::In),
        Op::IsNotSet => Some(Op::IsSet),
        _ => None,
    };
    match negated {
        Some(op) => truth(positive(&rule.field, op, &rule.operand, env)).eq(0),
        None => positive(&rule.field, rule.op, &rule.operand, env),
    }
}

/// 1 when the condition holds, 0 when it is false or unknown (NULL).
pub fn truth(cond: Expr) -> Expr {
    Expr::case(cond, 1).finally(0).into()
}

fn column(c: customer::Column) -> Expr {
    Expr::col((customer::Entity, c))
}

fn any_of(tests: impl IntoIterator<Item = Expr>) -> Expr {
    let mut tests = tests.into_iter();
    let first = tests.next().unwrap_or_else(|| Expr::val(false));
    tests.fold(first, |acc, t| acc.or(t))
}

fn value(s: &Scalar, env: &Env) -> sea_orm::Value {
    match s {
        Scalar::Int(i) => (*i).into(),
        Scalar::Float(f) => (*f).into(),
        Scalar::Text(t) => t.clone().into(),
        Scalar::Bool(b) => (*b).into(),
        Scalar::Time(w) => w.resolve(env.now).into(),
        Scalar::Segment(s) => s.name().into(),
    }
}

/// `field op operand` for the operators that are not complements.
fn positive(field: &Field, op: Op, operand: &Operand, env: &Env) -> Expr {
    if op == Op::In {
        let Operand::Many(items) = operand else {
            return Expr::val(false);
        };
        if *field == Field::RfmSegment {
            return rfm_in(items.iter().filter_map(segment_of), env);
        }
        if *field == Field::Tags {
            let tags: Vec<String> = items
                .iter()
                .filter_map(|s| match s {
                    Scalar::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            return has_tag(&env.tenant, Some(&tags));
        }
        // A plain value among many: one `IN`, which both backends answer
        // from an index or a lookup table however long the list.
        let plain = matches!(
            field.kind(),
            Kind::Money | Kind::Count | Kind::Ratio | Kind::Date | Kind::Text | Kind::Country
        );
        if plain {
            return subject(field, env).is_in(items.iter().map(|item| value(item, env)));
        }
        return any_of(
            items
                .iter()
                .map(|item| positive(field, Op::Eq, &Operand::One(item.clone()), env)),
        );
    }
    let one = match operand {
        Operand::One(s) => Some(s),
        _ => None,
    };
    match field.kind() {
        Kind::Money | Kind::Count | Kind::Ratio | Kind::Date | Kind::Text | Kind::Country => {
            let subject = subject(field, env);
            match (op, one) {
                (Op::IsSet, _) => present(field, subject),
                (_, Some(s)) => compare(subject, op, s, env),
                _ => Expr::val(false),
            }
        }
        Kind::Choice => match one {
            Some(Scalar::Segment(s)) => rfm_in([*s], env),
            Some(s) => subject(field, env).eq(value(s, env)),
            None => Expr::val(false),
        },
        Kind::Tags => match (op, one) {
            (Op::IsSet, _) => has_tag(&env.tenant, None),
            (_, Some(Scalar::Text(tag))) => has_tag(&env.tenant, Some(std::slice::from_ref(tag))),
            _ => Expr::val(false),
        },
        Kind::Json => match field {
            Field::Metadata(path) => metadata(path, op, one, env),
            _ => Expr::val(false),
        },
    }
}

fn segment_of(s: &Scalar) -> Option<RfmSegment> {
    match s {
        Scalar::Segment(s) => Some(*s),
        _ => None,
    }
}

/// The SQL value of a plain field.
fn subject(field: &Field, env: &Env) -> Expr {
    use customer::Column as C;
    match field {
        Field::TotalSpent => column(C::TotalSpentCents),
        Field::TotalOrders => column(C::TotalOrders),
        Field::ChurnRisk => churn_risk(env),
        Field::LastOrderAt => column(C::LastOrderAt),
        Field::FirstOrderAt => column(C::FirstOrderAt),
        Field::CreatedAt => column(C::CreatedAt),
        Field::Email => column(C::Email),
        Field::Name => column(C::SortName),
        Field::Source => column(C::Source),
        Field::Country => column(C::Country),
        Field::City => column(C::City),
        Field::Status => column(C::Status),
        Field::EmailConsent => column(C::EmailConsent),
        Field::SmsConsent => column(C::SmsConsent),
        Field::Locale => column(C::Locale),
        Field::Currency => column(C::Currency),
        Field::RfmSegment | Field::Tags | Field::Metadata(_) => Expr::val(false),
    }
}

fn present(field: &Field, subject: Expr) -> Expr {
    match field {
        // Never NULL; always set.
        Field::TotalSpent | Field::TotalOrders => Expr::val(true),
        _ => subject.is_not_null(),
    }
}

/// `subject op value` for numbers, dates and text.
fn compare(subject: Expr, op: Op, s: &Scalar, env: &Env) -> Expr {
    let v = value(s, env);
    match op {
        Op::Eq => subject.eq(v),
        Op::Gt | Op::After => subject.gt(v),
        Op::Gte => subject.gte(v),
        Op::Lt | Op::Before => subject.lt(v),
        Op::Lte => subject.lte(v),
        Op::Contains => contains(subject, v, env.backend),
        Op::StartsWith => starts_with(subject, s, v),
        _ => Expr::val(false),
    }
}

/// A literal substring test (`LIKE` would read `%` and `_`).
fn contains(subject: Expr, needle: sea_orm::Value, backend: DbBackend) -> Expr {
    let position = if backend == DbBackend::Postgres {
        "strpos"
    } else {
        "instr"
    };
    Expr::from(Func::cust(position).arg(subject).arg(needle)).gt(0)
}

fn starts_with(subject: Expr, s: &Scalar, v: sea_orm::Value) -> Expr {
    let n = match s {
        Scalar::Text(t) => i32::try_from(t.chars().count()).unwrap_or(i32::MAX),
        _ => 0,
    };
    // `substr(text, int4, int4)` on PostgreSQL.
    Expr::from(Func::cust("substr").arg(subject).arg(1i32).arg(n)).eq(v)
}

/// `customers.id IN (SELECT customer_id FROM customer_tags WHERE
/// tenant_id = ? …)`: with one of `tags` (the `(tenant_id, tag)` index
/// finds them, however many tags are listed), or with any tag at all (the
/// primary key's tenant range). Each backend reads the tagged customers
/// once per statement; a correlated test per customer took 100 index
/// probes a customer on SQLite for a list of 100 tags.
fn has_tag(tenant: &TenantId, tags: Option<&[String]>) -> Expr {
    use customer_tag::Column as T;
    let mut tagged = tenancy::subquery::<customer_tag::Entity>(tenant)
        .column((customer_tag::Entity, T::CustomerId))
        .to_owned();
    if let Some(tags) = tags {
        tagged.and_where(Expr::col((customer_tag::Entity, T::Tag)).is_in(tags.iter().cloned()));
    }
    column(customer::Column::Id).in_subquery(tagged)
}

/// Days since the Unix epoch of a timestamp column, as a float.
fn epoch_days(c: customer::Column, backend: DbBackend) -> Expr {
    if backend == DbBackend::Postgres {
        Expr::from(Func::cust("date_part").arg("epoch").arg(column(c))).div(86_400.0)
    } else {
        // julianday counts from 4714 BC; the Unix epoch is day 2440587.5.
        Expr::from(Func::cust("julianday").arg(column(c))).sub(2_440_587.5)
    }
}

fn non_negative(e: Expr) -> Expr {
    Expr::case(e.clone().gt(0.0), e).finally(0.0).into()
}

/// [`crate::analytics::churn::churn_risk`] in SQL: NULL without a paid order.
fn churn_risk(env: &Env) -> Expr {
    use customer::Column as C;
    let now_days = env.now.timestamp_micros() as f64 / 86_400e6;
    let last = epoch_days(C::LastOrderAt, env.backend);
    let first = epoch_days(C::FirstOrderAt, env.backend);
    let n: Expr = Func::cast_as(column(C::TotalOrders), Alias::new("DOUBLE PRECISION")).into();
    let silence = non_negative(Expr::val(now_days).sub(last.clone()));
    let span = non_negative(last.sub(first));
    // x = t / e with e = (span + P) / n; w = 2 − 1/n.
    let x = silence.mul(n.clone()).div(span.add(PRIOR_INTERVAL_DAYS));
    let w = Expr::val(2.0).sub(Expr::val(1.0).div(n));
    let x2 = x.clone().mul(x);
    let w2 = w.clone().mul(w);
    let risk = x2.clone().div(x2.add(w2));
    let paying = column(C::TotalOrders)
        .gt(0)
        .and(column(C::FirstOrderAt).is_not_null())
        .and(column(C::LastOrderAt).is_not_null());
    Expr::case(paying, risk).into()
}

/// The customers whose RFM segment is one of `wanted`: the segment is a
/// function of the recency score and `⌈(F + M) / 2⌉`, so the wanted
/// segments are a set of `R·10 + FM` codes, matched in SQL.
fn rfm_in(wanted: impl IntoIterator<Item = RfmSegment>, env: &Env) -> Expr {
    use customer::Column as C;
    let wanted: Vec<RfmSegment> = wanted.into_iter().collect();
    let mut codes: Vec<i64> = Vec::new();
    for r in 1..=5u8 {
        for f in 1..=5u8 {
            for m in 1..=5u8 {
                let scores = Scores {
                    recency: r,
                    frequency: f,
                    monetary: m,
                };
                let code = i64::from(r) * 10 + i64::from((f + m).div_ceil(2));
                if wanted.contains(&RfmSegment::of(scores)) && !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
    }
    let bp = &env.breakpoints;
    let paying = column(C::TotalOrders)
        .gt(0)
        .and(column(C::LastOrderAt).is_not_null());
    let mut tests = Vec::new();
    if !codes.is_empty() {
        let r = score_expr(C::LastOrderAt, &bp.recency);
        let f = score_expr(C::TotalOrders, &bp.frequency);
        let m = score_expr(C::TotalSpentCents, &bp.monetary);
        let code = r.mul(10).add(f.add(m).add(1).div(2));
        tests.push(paying.clone().and(code.is_in(codes)));
    }
    if wanted.contains(&RfmSegment::None) {
        tests.push(paying.not());
    }
    any_of(tests)
}

fn metadata(path: &[String], op: Op, one: Option<&Scalar>, env: &Env) -> Expr {
    let json = JsonPath {
        path,
        backend: env.backend,
    };
    match (op, one) {
        (Op::IsSet, _) => json.type_of().is_not_null().and(json.type_of().ne("null")),
        (Op::Eq, Some(Scalar::Bool(b))) => json.is_bool(*b),
        (Op::Eq, Some(s @ Scalar::Text(_))) => json.string().eq(value(s, env)),
        (Op::Contains, Some(s @ Scalar::Text(t))) => {
            // A substring of a text, or an element of a list (a
            // multi-select's option).
            compare(json.string(), op, s, env).or(json.holds(t))
        }
        (Op::Contains | Op::StartsWith, Some(s)) => compare(json.string(), op, s, env),
        (Op::Before | Op::After, Some(s @ Scalar::Text(_))) => compare(json.string(), op, s, env),
        (_, Some(s @ Scalar::Float(_))) => compare(json.number(), op, s, env),
        _ => Expr::val(false),
    }
}
