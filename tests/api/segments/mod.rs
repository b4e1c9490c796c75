//! API.md §8: static and dynamic segments, `Segment.explain`,
//! `Customer.segments`, the `segmentId` filter.

mod membership;
mod tenancy;
mod validation;
