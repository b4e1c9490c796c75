//! What a query asks for, measured on its parsed document before it runs:
//! depth, aliases, fields and cost (API.md §12).
//!
//! - Depth counts field-nesting levels with fragments flattened. The
//!   introspection fields `__schema` and `__type` are exempt by field (never
//!   by operation or fragment name); inside them, a list of the type system
//!   (`types`, `fields`, …) may not nest within itself, which is what keeps a
//!   circular introspection query from exploding.
//! - Cost follows Shopify's calculated query cost: a leaf (scalar, enum,
//!   `__typename`) costs 0, an object 1, a connection 2 plus its `first` or
//!   `last` (default [`DEFAULT_PAGE`], counted up to [`MAX_PAGE`]) times
//!   what one of its edges or nodes costs, a list of objects asked for by ID
//!   as many times as IDs are given, and each mutation field 10 more.
//!   Introspection is priced too: `__schema` [`SCHEMA_COST`], `__type`
//!   [`TYPE_COST`]; and so are the fields that evaluate segments or
//!   aggregate a tenant ([`FIELD_COSTS`]).
//! - Fragments are measured once each, so a fragment used many times cannot
//!   make the measuring itself expensive.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Value, Variables};

use super::shape::Shape;

mod prices;
mod walker;

pub use prices::{
    DEFAULT_PAGE, FIELD_COSTS, HEAVY_FIELD, MAX_PAGE, MUTATION_COST, SCHEMA_COST, TYPE_COST,
};
use walker::Walker;

/// The measures of one operation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Analysis {
    pub depth: usize,
    pub aliases: u64,
    /// Field selections, fragments expanded (introspection not counted).
    pub fields: u64,
    pub cost: u64,
    /// Introspection that nests a type-system list within itself, or too
    /// large to measure.
    pub runaway_introspection: bool,
    /// Asks for a field that evaluates segments or aggregates a tenant
    /// ([`HEAVY_FIELD`] or more of [`FIELD_COSTS`]).
    pub heavy: bool,
}

impl Analysis {
    fn add(&mut self, other: Analysis) {
        self.depth = self.depth.max(other.depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.fields = self.fields.saturating_add(other.fields);
        self.cost = self.cost.saturating_add(other.cost);
        self.runaway_introspection |= other.runaway_introspection;
        self.heavy |= other.heavy;
    }
}

/// Measures the operation a request runs (every operation, taking the
/// largest of each measure, when the document does not say which).
pub fn analyze(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    shape: &Shape,
) -> Analysis {
    let operations: Vec<&OperationDefinition> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node],
        DocumentOperations::Multiple(ops) => match operation_name.and_then(|n| ops.get(n)) {
            Some(op) => vec![&op.node],
            None => ops.values().map(|op| &op.node).collect(),
        },
    };
    let mut largest = Analysis::default();
    for operation in operations {
        let mut walker = Walker {
            document,
            shape,
            variables: bound_variables(operation, variables),
            memo: HashMap::new(),
            visiting: HashSet::new(),
            steps: 0,
            pages: None,
        };
        let measured = walker.operation(operation);
        largest.depth = largest.depth.max(measured.depth);
        largest.aliases = largest.aliases.max(measured.aliases);
        largest.fields = largest.fields.max(measured.fields);
        largest.cost = largest.cost.max(measured.cost);
        largest.runaway_introspection |= measured.runaway_introspection;
        largest.heavy |= measured.heavy;
    }
    largest
}

/// The request's variables, with the operation's defaults for the missing.
fn bound_variables(operation: &OperationDefinition, variables: &Variables) -> Variables {
    let mut bound = variables.clone();
    for definition in &operation.variable_definitions {
        let name = &definition.node.name.node;
        if !bound.contains_key(name)
            && let Some(default) = &definition.node.default_value
        {
            bound.insert(name.clone(), default.node.clone());
        }
    }
    bound
}

/// The first input holding the NUL character (U+0000), which no text of
/// the API may contain (PostgreSQL cannot store it): a variable's name, or
/// a literal argument's.
pub fn nul_input(document: &ExecutableDocument, variables: &Variables) -> Option<String> {
    fn has_nul(value: &Value) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Enum(name) => name.contains('\0'),
            Value::List(items) => items.iter().any(has_nul),
            Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    fn in_set(set: &SelectionSet) -> Option<String> {
        set.items.iter().find_map(|item| match &item.node {
            Selection::Field(field) => field
                .node
                .arguments
                .iter()
                .find(|(_, value)| {
                    value
                        .node
                        .clone()
                        .into_const_with(|_| Ok::<_, ()>(Value::Null))
                        .is_ok_and(|v| has_nul(&v))
                })
                .map(|(name, _)| name.node.to_string())
                .or_else(|| in_set(&field.node.selection_set.node)),
            Selection::InlineFragment(inline) => in_set(&inline.node.selection_set.node),
            Selection::FragmentSpread(_) => None,
        })
    }
    if let Some((name, _)) = variables.iter().find(|(_, v)| has_nul(v)) {
        return Some(name.to_string());
    }
    document
        .operations
        .iter()
        .find_map(|(_, op)| in_set(&op.node.selection_set.node))
        .or_else(|| {
            document
                .fragments
                .values()
                .find_map(|f| in_set(&f.node.selection_set.node))
        })
}
