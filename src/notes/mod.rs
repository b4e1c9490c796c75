//! Notes: free text a team member writes about a customer.
//!
//! `author` is the `sub` of the token that added the note. Adding a note
//! adds a `NOTE` entry to the timeline (which names the note, never copies
//! its text). Notes go with their customer when it is deleted.

mod graphql;
pub mod loader;
mod ready;
pub mod repo;

pub use graphql::{Note, NoteConnection, NoteMutation, customer_notes, notes_of_customers};
