//! A connection over a short list held in memory (a customer's handful of
//! addresses), paged by key the way a keyset pages rows: a cursor names
//! the key it stands at, so a page stays stable while items come and go.

use std::borrow::Cow;

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use futures_util::FutureExt as _;

use super::{Cursor, Direction, KeyValue, ListConnection, Page, TotalCount};
use crate::error::{AppResult, bad_input};

/// The sort a memory list's cursors name.
const SORT: &str = "key";

/// The page of `items` (sorted by key, ascending) that `page` asks for.
pub fn connection<N: OutputType>(
    page: &Page,
    items: Vec<(String, N)>,
) -> AppResult<ListConnection<N>> {
    let total = items.len() as u64;
    let at = match &page.cursor {
        Some(cursor) if cursor.s != SORT => {
            let field = match page.direction {
                Direction::Forward => "after",
                Direction::Backward => "before",
            };
            return Err(bad_input(
                field,
                format!("`{field}` is not a cursor of this list"),
            ));
        }
        cursor => cursor.as_ref().map(|c| c.i.clone()),
    };
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let (mut kept, has_previous, has_next): (Vec<(String, N)>, bool, bool) = match page.direction {
        Direction::Forward => {
            let mut after: Vec<_> = items
                .into_iter()
                .filter(|(key, _)| at.as_ref().is_none_or(|at| key > at))
                .collect();
            let more = after.len() > limit;
            after.truncate(limit);
            (after, at.is_some(), more)
        }
        Direction::Backward => {
            let mut before: Vec<_> = items
                .into_iter()
                .filter(|(key, _)| at.as_ref().is_none_or(|at| key < at))
                .collect();
            let more = before.len() > limit;
            let skip = before.len().saturating_sub(limit);
            before.drain(..skip);
            (before, more, at.is_some())
        }
    };
    let total = TotalCount::new(move || async move { Ok(total) }.boxed());
    let mut connection = Connection::with_additional_fields(has_previous, has_next, total);
    connection.edges = kept
        .drain(..)
        .map(|(key, node)| {
            let cursor = Cursor {
                s: Cow::Borrowed(SORT),
                k: KeyValue::Text(key.clone()),
                i: key,
            };
            Edge::new(cursor, node)
        })
        .collect();
    Ok(connection)
}
