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
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::shape::Shape;

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
fn field_cost(parent: &str, field: &str) -> u64 {
    FIELD_COSTS
        .iter()
        .find(|(p, f, _)| *p == parent && *f == field)
        .map_or(0, |(_, _, cost)| *cost)
}
/// Lists of IDs beyond this are refused by the field itself.
const MAX_LIST: u64 = 250;
/// Fields visited inside introspection before the document counts as too
/// large to measure.
const INTROSPECTION_STEPS: u32 = 20_000;
/// The lists of the type system, which may not nest within themselves.
const INTROSPECTION_LISTS: [&str; 7] = [
    "types",
    "fields",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "args",
];

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

struct Walker<'a> {
    document: &'a ExecutableDocument,
    shape: &'a Shape,
    variables: Variables,
    /// Each fragment's measures, taken once.
    memo: HashMap<&'a str, Analysis>,
    /// Fragments being measured (a cycle is left to validation to refuse).
    visiting: HashSet<&'a str>,
    steps: u32,
}

impl<'a> Walker<'a> {
    fn operation(&mut self, operation: &'a OperationDefinition) -> Analysis {
        let root = match operation.ty {
            OperationType::Query => &self.shape.query,
            OperationType::Mutation => &self.shape.mutation,
            OperationType::Subscription => &self.shape.subscription,
        };
        let mut measured = self.selection_set(&operation.selection_set.node, Some(root));
        if operation.ty == OperationType::Mutation {
            let mutations = operation
                .selection_set
                .node
                .items
                .iter()
                .filter(|item| matches!(&item.node, Selection::Field(f) if !f.node.name.node.starts_with("__")))
                .count() as u64;
            measured.cost = measured
                .cost
                .saturating_add(mutations.saturating_mul(MUTATION_COST));
        }
        measured
    }

    fn selection_set(&mut self, set: &'a SelectionSet, parent: Option<&'a str>) -> Analysis {
        let mut total = Analysis::default();
        for item in &set.items {
            total.add(self.item(&item.node, parent));
        }
        total
    }

    fn item(&mut self, item: &'a Selection, parent: Option<&'a str>) -> Analysis {
        match item {
            Selection::Field(field) => self.field(&field.node, parent),
            Selection::InlineFragment(inline) => {
                let inline = &inline.node;
                let ty = inline
                    .type_condition
                    .as_ref()
                    .map(|c| c.node.on.node.as_str())
                    .or(parent);
                self.selection_set(&inline.selection_set.node, ty)
            }
            Selection::FragmentSpread(spread) => {
                self.fragment(spread.node.fragment_name.node.as_str())
            }
        }
    }

    fn fragment(&mut self, name: &'a str) -> Analysis {
        if let Some(measured) = self.memo.get(name) {
            return *measured;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Analysis::default();
        };
        if !self.visiting.insert(name) {
            return Analysis::default();
        }
        let fragment = &fragment.node;
        let ty = fragment.type_condition.node.on.node.as_str();
        let measured = self.selection_set(&fragment.selection_set.node, Some(ty));
        self.visiting.remove(name);
        self.memo.insert(name, measured);
        measured
    }

    fn field(&mut self, field: &'a Field, parent: Option<&'a str>) -> Analysis {
        let name = field.name.node.as_str();
        let alias = u64::from(field.alias.is_some());
        if name == "__schema" || name == "__type" {
            let mut path = Vec::new();
            let mut measured = Analysis {
                cost: if name == "__schema" {
                    SCHEMA_COST
                } else {
                    TYPE_COST
                },
                ..Analysis::default()
            };
            self.introspection(&field.selection_set.node, &mut path, &mut measured);
            measured.aliases = measured.aliases.saturating_add(alias);
            return measured;
        }
        let mut measured = Analysis {
            depth: 1,
            aliases: alias,
            fields: 1,
            ..Analysis::default()
        };
        if name == "__typename" {
            return measured;
        }
        let shape = parent.and_then(|p| self.shape.field(p, name));
        let ty = shape.map(|s| s.type_name.as_str());
        let work = parent.map_or(0, |p| field_cost(p, name));
        measured.heavy = work >= HEAVY_FIELD;
        if ty.is_some_and(|t| self.shape.is_leaf(t)) {
            measured.cost = work;
            return measured;
        }
        let set = &field.selection_set.node;
        let (children, cost) = match ty {
            Some(t) if t.ends_with("Connection") => {
                let page = self.page_size(field);
                let mut children = Analysis::default();
                let mut per_item = 0u64;
                let mut once = 0u64;
                for item in &set.items {
                    let measured = self.item(&item.node, Some(t));
                    let repeated = match &item.node {
                        Selection::Field(f) => {
                            matches!(f.node.name.node.as_str(), "edges" | "nodes")
                        }
                        _ => true,
                    };
                    if repeated {
                        per_item = per_item.saturating_add(measured.cost);
                    } else {
                        once = once.saturating_add(measured.cost);
                    }
                    children.add(Analysis {
                        cost: 0,
                        ..measured
                    });
                }
                let cost = 2u64
                    .saturating_add(page.saturating_mul(per_item))
                    .saturating_add(once);
                (children, cost)
            }
            _ => {
                let children = self.selection_set(set, ty);
                let times = if shape.is_some_and(|s| s.list) {
                    self.list_argument_len(field).unwrap_or(1)
                } else {
                    1
                };
                (
                    children,
                    1u64.saturating_add(children.cost).saturating_mul(times),
                )
            }
        };
        measured.depth += children.depth;
        measured.aliases = measured.aliases.saturating_add(children.aliases);
        measured.fields = measured.fields.saturating_add(children.fields);
        measured.runaway_introspection = children.runaway_introspection;
        measured.heavy |= children.heavy;
        measured.cost = cost.saturating_add(work);
        measured
    }

    /// `first` or `last` (the larger when both are given), else the
    /// default page, counted up to [`MAX_PAGE`].
    fn page_size(&self, field: &Field) -> u64 {
        let size = ["first", "last"]
            .into_iter()
            .filter_map(|name| self.argument(field, name))
            .filter_map(|value| match value {
                Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .max()
            .unwrap_or(DEFAULT_PAGE);
        size.min(MAX_PAGE)
    }

    /// The length of the longest list argument (the IDs asked for).
    fn list_argument_len(&self, field: &Field) -> Option<u64> {
        field
            .arguments
            .iter()
            .filter_map(|(name, _)| match self.argument(field, &name.node)? {
                Value::List(items) => Some((items.len() as u64).min(MAX_LIST)),
                _ => None,
            })
            .max()
    }

    /// An argument's value, variables resolved.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n.node == name)?;
        value
            .node
            .clone()
            .into_const_with(|var: Name| self.variables.get(&var).cloned().ok_or(()))
            .ok()
    }

    /// Inside `__schema` / `__type`: counts aliases, and flags a
    /// type-system list nested within itself.
    fn introspection(
        &mut self,
        set: &'a SelectionSet,
        path: &mut Vec<&'a str>,
        measured: &mut Analysis,
    ) {
        for item in &set.items {
            self.steps += 1;
            if self.steps > INTROSPECTION_STEPS {
                measured.runaway_introspection = true;
                return;
            }
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    measured.aliases = measured
                        .aliases
                        .saturating_add(u64::from(field.alias.is_some()));
                    let name = field.name.node.as_str();
                    let list = INTROSPECTION_LISTS.contains(&name);
                    if list && path.contains(&name) {
                        measured.runaway_introspection = true;
                        return;
                    }
                    if list {
                        path.push(name);
                    }
                    self.introspection(&field.selection_set.node, path, measured);
                    if list {
                        path.pop();
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.introspection(&inline.node.selection_set.node, path, measured);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if !self.visiting.insert(name) {
                        continue;
                    }
                    self.introspection(&fragment.node.selection_set.node, path, measured);
                    self.visiting.remove(name);
                }
            }
            if measured.runaway_introspection {
                return;
            }
        }
    }
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
