//! API.md §5 at scale: importCustomers, tagCustomers, mergeCustomers and
//! search; the counts `customerCount` keeps through all of them; and what
//! bulk writes ask of PostgreSQL.

mod counts;
mod imports;
mod postgresql;
mod search;
mod tag_and_merge;

/// `importCustomers`, with every count and each failure.
const IMPORT: &str = "mutation($rows: [CustomerInput!]!, $mode: ImportMode) {
  importCustomers(customers: $rows, mode: $mode) { created updated skipped failed { index code message field } }
}";

/// `tagCustomers`, returning each customer's tags.
const TAG: &str = "mutation($ids: [ID!]!, $add: [String!], $remove: [String!]) { tagCustomers(ids: $ids, add: $add, remove: $remove) { id tags } }";

/// `mergeCustomers`, returning the customer kept.
const MERGE: &str = "mutation($keep: ID!, $merge: ID!) { mergeCustomers(keepId: $keep, mergeId: $merge) { id name email phone companyName tags metadata address { city country } } }";
