//! What `startBulkOperation` takes, checked into what the job runs: the
//! action, the selection and the action's parameters, as stored.

use async_graphql::{Enum, ID, InputObject, InputType as _};
use entity::bulk_operation::BulkAction;
use serde_json::{Value, json};

use crate::error::{AppError, AppResult, bad_input};
use crate::graphql::input;
use crate::ids::{CustomerId, SegmentId};
use crate::profiles::CustomerFilter;
use crate::profiles::input::{CustomerStatus, MAX_TAGS};

use super::columns::Column;

/// Most IDs a selection lists.
pub const MAX_SELECTED_IDS: usize = 10_000;

/// What a bulk operation does to each selected customer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::bulk_operation::BulkAction")]
pub enum BulkOperationAction {
    /// Adds `tags`.
    Tag,
    /// Removes `tags`.
    Untag,
    /// Sets `status` (`ARCHIVED` archives).
    SetStatus,
    /// Deletes the customers (one a delete rule blocks is counted failed).
    Delete,
    /// Adds the customers to the static segment `segmentId`.
    AddToSegment,
    /// Removes the customers from the static segment `segmentId`.
    RemoveFromSegment,
    /// Writes the customers' `columns` as `format` to a file behind a
    /// signed `resultUrl`.
    Export,
}

/// The file an export writes.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum BulkExportFormat {
    /// Comma-separated values with a header row (RFC 4180).
    #[default]
    Csv,
    /// One JSON object a line.
    Jsonl,
}

impl BulkExportFormat {
    pub fn name(self) -> &'static str {
        match self {
            BulkExportFormat::Csv => "CSV",
            BulkExportFormat::Jsonl => "JSONL",
        }
    }

    pub fn named(name: &str) -> Self {
        if name == "JSONL" {
            BulkExportFormat::Jsonl
        } else {
            BulkExportFormat::Csv
        }
    }
}

/// Which customers a bulk operation works on: one of a filter and query
/// (either or both), a segment, or IDs.
#[derive(InputObject, Clone, Debug, Default)]
pub struct BulkSelectionInput {
    /// The customers this filter holds (as `customers(filter:)`).
    pub filter: Option<CustomerFilter>,
    /// The customers this query holds (as `customers(query:)`).
    pub query: Option<String>,
    /// The members of this segment (`seg_…`) when the run begins and as it
    /// goes.
    pub segment_id: Option<ID>,
    /// These customers (`cus_…`, at most 10,000).
    pub ids: Option<Vec<ID>>,
}

/// A bulk operation to start.
#[derive(InputObject)]
pub struct BulkOperationInput {
    /// What to do to each customer.
    pub action: BulkOperationAction,
    /// Which customers.
    pub selection: BulkSelectionInput,
    /// TAG and UNTAG: 1 to 100 tags.
    pub tags: Option<Vec<String>>,
    /// SET_STATUS: the status to set.
    pub status: Option<CustomerStatus>,
    /// ADD_TO_SEGMENT and REMOVE_FROM_SEGMENT: a static segment (`seg_…`).
    pub segment_id: Option<ID>,
    /// EXPORT: the file's format; CSV by default.
    pub format: Option<BulkExportFormat>,
    /// EXPORT: the columns, in order; `ID`, `EMAIL` and `NAME` by default.
    pub columns: Option<Vec<Column>>,
}

/// A checked input, as stored.
pub struct Planned {
    pub action: BulkAction,
    pub selection: Value,
    pub params: Value,
    /// The static segment an action names, for the caller to check.
    pub segment: Option<SegmentId>,
}

/// Checks the input: the selection names exactly one kind of set, the
/// action has what it needs and nothing it does not.
pub fn plan(input: BulkOperationInput) -> AppResult<Planned> {
    let action = BulkAction::from(input.action);
    let selection = selection(input.selection)?;
    let needs = |given: bool, field: &str, what: &str| {
        if given {
            Ok(())
        } else {
            Err(bad_input(format!("input.{field}"), what.to_owned()))
        }
    };
    let mut params = serde_json::Map::new();
    let mut segment = None;
    match action {
        BulkAction::Tag | BulkAction::Untag => {
            let tags = input.tags.unwrap_or_default();
            let tags: Vec<String> = tags.iter().map(|t| t.trim().to_owned()).collect();
            needs(
                !tags.is_empty() && tags.len() <= MAX_TAGS,
                "tags",
                "give 1 to 100 tags",
            )?;
            if tags.iter().any(|t| t.is_empty() || t.chars().count() > 64) {
                return Err(bad_input("input.tags", "a tag is 1 to 64 characters"));
            }
            params.insert("tags".into(), json!(tags));
        }
        BulkAction::SetStatus => {
            let status = input
                .status
                .ok_or_else(|| bad_input("input.status", "give the status to set"))?;
            params.insert("status".into(), json!(status.as_str()));
        }
        BulkAction::AddToSegment | BulkAction::RemoveFromSegment => {
            let id = input
                .segment_id
                .ok_or_else(|| bad_input("input.segmentId", "give the static segment"))?;
            let key = SegmentId::require(&id)?;
            params.insert("segmentId".into(), json!(key.as_str()));
            segment = Some(key);
        }
        BulkAction::Export => {
            let format = input.format.unwrap_or_default();
            let columns = input
                .columns
                .unwrap_or_else(|| vec![Column::Id, Column::Email, Column::Name]);
            needs(
                !columns.is_empty() && columns.len() <= 50,
                "columns",
                "give 1 to 50 columns",
            )?;
            if let Some(twice) = columns
                .iter()
                .enumerate()
                .find_map(|(i, c)| columns[..i].contains(c).then_some(c))
            {
                return Err(bad_input(
                    "input.columns",
                    format!("{} is given twice", twice.name()),
                ));
            }
            params.insert("format".into(), json!(format.name()));
            params.insert(
                "columns".into(),
                json!(columns.iter().map(|c| c.name()).collect::<Vec<_>>()),
            );
        }
        BulkAction::Delete => {}
    }
    Ok(Planned {
        action,
        selection,
        params: Value::Object(params),
        segment,
    })
}

/// The selection as stored: `{ filter, query }`, `{ segment }` or
/// `{ ids }`, with row keys.
fn selection(s: BulkSelectionInput) -> AppResult<Value> {
    let by_filter = s.filter.is_some() || s.query.is_some();
    let kinds = [by_filter, s.segment_id.is_some(), s.ids.is_some()];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(bad_input(
            "input.selection",
            "give a filter or query, a segmentId, or ids",
        ));
    }
    if let Some(id) = s.segment_id {
        return Ok(json!({ "segment": SegmentId::require(&id)?.as_str() }));
    }
    if let Some(ids) = s.ids {
        if ids.is_empty() || ids.len() > MAX_SELECTED_IDS {
            return Err(bad_input(
                "input.selection.ids",
                format!("give 1 to {MAX_SELECTED_IDS} IDs"),
            ));
        }
        let keys = ids
            .iter()
            .map(|id| CustomerId::require(id).map(|k| k.into_string()))
            .collect::<AppResult<Vec<_>>>()?;
        return Ok(json!({ "ids": keys }));
    }
    let mut stored = serde_json::Map::new();
    if let Some(filter) = s.filter {
        filter.check_given("input.selection.filter")?;
        let json = filter
            .to_value()
            .into_json()
            .map_err(|e| AppError::Internal(e.into()))?;
        stored.insert("filter".into(), input::without_nulls(json));
    }
    if let Some(query) = s.query {
        stored.insert("query".into(), json!(query));
    }
    Ok(Value::Object(stored))
}
