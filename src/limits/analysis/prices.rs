//! What a query's parts cost: pages, mutations, introspection, and the
//! fields that evaluate segments or aggregate a tenant.

/// A connection's page size when the query gives none.
pub const DEFAULT_PAGE: u64 = 25;
/// Page sizes beyond this are refused by the field itself.
pub const MAX_PAGE: u64 = 100;
/// What each mutation field adds.
pub const MUTATION_COST: u64 = 10;
/// What `__schema` costs: it writes out the whole type system (about
/// 100 KB), so a client may ask for it now and then, not by the dozen.
pub const SCHEMA_COST: u64 = 100;
/// What `__type` costs: one type's description.
pub const TYPE_COST: u64 = 2;

/// Fields that do more than read what their parent holds, and what each
/// costs on top of its shape: every one evaluates rules or aggregates over
/// a tenant's customers.
pub const FIELD_COSTS: &[(&str, &str, u64)] = &[
    // Counts the segment's members: its rules over every customer.
    ("Segment", "memberCount", 20),
    ("Segment", "explain", 5),
    // Tests every dynamic segment's rules on the customer.
    ("Customer", "segments", 10),
    ("Query", "customerCount", 5),
    ("Query", "customersCount", 5),
    ("SegmentPreview", "count", 5),
    // Counts its list on every page.
    ("Query", "customersPage", 5),
    // Aggregates over the tenant's customers and orders.
    ("Query", "customerStats", 20),
    // Counts every segment's members.
    ("CustomerStats", "segmentDistribution", 100),
    ("CustomerStats", "rfmDistribution", 10),
];

/// From this price on ([`FIELD_COSTS`]) a field makes its request heavy: a
/// tenant runs one heavy request at a time on an instance
/// ([`super::Slots`]), so its evaluations of segments and aggregates hold
/// one core at most.
pub const HEAVY_FIELD: u64 = 20;

/// What a field costs beyond its shape ([`FIELD_COSTS`]).
pub(super) fn field_cost(parent: &str, field: &str) -> u64 {
    FIELD_COSTS
        .iter()
        .find(|(p, f, _)| *p == parent && *f == field)
        .map_or(0, |(_, _, cost)| *cost)
}
/// Lists of IDs beyond this are refused by the field itself.
pub(super) const MAX_LIST: u64 = 250;
/// Fields visited inside introspection before the document counts as too
/// large to measure.
pub(super) const INTROSPECTION_STEPS: u32 = 20_000;
/// The lists of the type system, which may not nest within themselves.
pub(super) const INTROSPECTION_LISTS: [&str; 7] = [
    "types",
    "fields",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "args",
];
