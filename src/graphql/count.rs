//! `Count`: a count that says whether it is exact or a lower bound, for
//! counts asked with a limit (`customersCount`).

use async_graphql::{Enum, SimpleObject};

/// Whether a count is every row, or the limit it stopped at.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CountPrecision {
    /// `count` is the number of rows.
    Exact,
    /// There are at least `count` rows (the limit the count stopped at).
    AtLeast,
}

/// A count, exact up to the limit it was asked with and a lower bound
/// above it.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// The number of rows, or the limit when `precision` is `AT_LEAST`.
    pub count: i64,
    /// Whether `count` is exact.
    pub precision: CountPrecision,
}

impl Count {
    /// What counting up to `limit + 1` rows found.
    pub fn up_to(found: u64, limit: u64) -> Self {
        if found > limit {
            Count {
                count: i64::try_from(limit).unwrap_or(i64::MAX),
                precision: CountPrecision::AtLeast,
            }
        } else {
            Count::exact(found)
        }
    }

    pub fn exact(n: u64) -> Self {
        Count {
            count: i64::try_from(n).unwrap_or(i64::MAX),
            precision: CountPrecision::Exact,
        }
    }
}
