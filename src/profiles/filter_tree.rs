//! The filter as a tree: `and`, `or` and `not` of filters, each compiled
//! as a whole filter is, nested as deep and wide as [`super::filter::TreeLimits`] allow.

use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func};

#[cfg(doc)]
use super::filter::TreeLimits;
use super::filter::{CustomerFilter, FilterEnv};
use crate::error::{AppResult, bad_input};

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
