//! API.md §8: static and dynamic segments, `Segment.explain`,
//! `Customer.segments`, the `segmentId` filter.

mod filters;
mod membership;
mod membership_events;
mod preview;
mod tenancy;
mod validation;
