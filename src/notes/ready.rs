//! A note's value built ahead (`graphql::ready`): the fields it answers
//! from its row, as `Note`'s resolvers do.

use async_graphql::{InputType as _, SelectionField, Value};

use super::graphql::Note;
use crate::graphql::ready::Plain;
use crate::graphql::scalars::DateTime;
use crate::ids::{self, Kind};

pub enum NoteField {
    Typename,
    Id,
    Body,
    Author,
    CreatedAt,
    UpdatedAt,
}

impl Plain for Note {
    type Field = NoteField;

    fn field(selection: SelectionField<'_>) -> Option<NoteField> {
        Some(match selection.name() {
            "__typename" => NoteField::Typename,
            "id" => NoteField::Id,
            "body" => NoteField::Body,
            "author" => NoteField::Author,
            "createdAt" => NoteField::CreatedAt,
            "updatedAt" => NoteField::UpdatedAt,
            _ => return None,
        })
    }

    fn value(&self, field: &NoteField) -> Value {
        let row = &self.0;
        match field {
            NoteField::Typename => Value::String("Note".into()),
            NoteField::Id => Value::String(ids::encode(Kind::Note, &row.id).0),
            NoteField::Body => Value::String(row.body.clone()),
            NoteField::Author => Value::String(row.author.clone()),
            NoteField::CreatedAt => DateTime(row.created_at).to_value(),
            NoteField::UpdatedAt => DateTime(row.updated_at).to_value(),
        }
    }
}
