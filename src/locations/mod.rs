//! Locations: the places a tenant does business in (stores, clinics,
//! offices), each with its address, time zone and metadata. A customer
//! belongs to the locations it was created or upserted in
//! (`CustomerInput.locationId`), several when it shops in several; lists,
//! counts, segment members and statistics can be narrowed to one.

pub mod graphql;
mod input;
pub mod loader;
pub mod members;
mod object;
mod repo;

pub use graphql::{LocationMutation, LocationQuery};
pub use object::Location;
