//! The filter as a tree: `and`, `or` and `not` of filters, each compiled
//! as a whole filter is, nested up to [`MAX_DEPTH`] deep.

use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func};

use super::filter::{CustomerFilter, FilterEnv};
use crate::error::{AppResult, bad_input};

/// How deep filters nest (the top filter is at depth 0).
pub const MAX_DEPTH: usize = 4;
/// Most filters one `and` or `or` lists.
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

impl CustomerFilter {
    /// The filters nested in this one, directly.
    pub(super) fn branches(&self) -> impl Iterator<Item = &CustomerFilter> {
        self.and
            .iter()
            .flatten()
            .chain(self.or.iter().flatten())
            .chain(self.not.as_deref())
    }

    /// The condition of the filter's `and`, `or` and `not` (all true when
    /// it has none). Errors name the nested filter's path
    /// (`filter.or[1].tags`).
    pub(super) fn tree(&self, path: &str, depth: usize, env: &FilterEnv) -> AppResult<Condition> {
        if depth > 0 && self.segment_id.is_some() {
            return Err(bad_input(
                format!("{path}.segmentId"),
                "segmentId works at the top of a filter only",
            ));
        }
        let nested = self.branches().next().is_some();
        let limits = env.limits;
        if nested && depth >= limits.depth {
            return Err(bad_input(
                path,
                format!("filters nest at most {} deep", limits.depth),
            ));
        }
        let compile = |filter: &CustomerFilter, at: String| filter.compile_at(&at, depth + 1, env);
        let mut all = Condition::all();
        for (name, list) in [("and", &self.and), ("or", &self.or)] {
            let Some(list) = list else { continue };
            if list.is_empty() || list.len() > limits.branches {
                return Err(bad_input(
                    format!("{path}.{name}"),
                    format!("give 1 to {} filters", limits.branches),
                ));
            }
            let mut joined = if name == "and" {
                Condition::all()
            } else {
                Condition::any()
            };
            for (i, filter) in list.iter().enumerate() {
                joined = joined.add(compile(filter, format!("{path}.{name}[{i}]"))?);
            }
            all = all.add(joined);
        }
        if let Some(filter) = &self.not {
            // `NOT (condition)` would leave out the customers for which the
            // condition is unknown (`NOT (country = 'DE')` drops those with
            // no country): unknown counts as not met.
            let met = Expr::from(compile(filter, format!("{path}.not"))?);
            all = all.add(Func::coalesce([met, Expr::val(false)]).not());
        }
        Ok(all)
    }
}
