//! A filter as a client gives it: a typed condition that compares nothing
//! (`text: [{ field: CITY }]`, `fields: [{ key: "seats" }]`) would hold for
//! every customer, which, in a list, a segment or a bulk operation, is
//! always a mistake. Checked where filters come in, not where stored ones
//! are read back (a segment saved with one keeps working).

use super::filter::CustomerFilter;
use crate::error::{AppResult, bad_input};

impl CustomerFilter {
    /// Refuses, naming it under `path`, the first typed condition of the
    /// tree that compares nothing.
    pub fn check_given(&self, path: &str) -> AppResult<()> {
        let empty = |list: &str, i: usize| {
            Err(bad_input(
                format!("{path}.{list}[{i}]"),
                "give at least one comparison (equals, in, a range, contains, startsWith or exists)",
            ))
        };
        for (i, c) in self.text.iter().flatten().enumerate() {
            if !c.compares() {
                return empty("text", i);
            }
        }
        for (i, c) in self.metadata_paths.iter().flatten().enumerate() {
            if !c.compares() {
                return empty("metadataPaths", i);
            }
        }
        for (list, conditions) in [
            ("fields", &self.fields),
            ("customFields", &self.custom_fields),
        ] {
            for (i, c) in conditions.iter().flatten().enumerate() {
                if !c.compares() {
                    return empty(list, i);
                }
            }
        }
        for (i, nested) in self.and.iter().flatten().enumerate() {
            nested.check_given(&format!("{path}.and[{i}]"))?;
        }
        for (i, nested) in self.or.iter().flatten().enumerate() {
            nested.check_given(&format!("{path}.or[{i}]"))?;
        }
        if let Some(nested) = &self.not {
            nested.check_given(&format!("{path}.not"))?;
        }
        Ok(())
    }
}
