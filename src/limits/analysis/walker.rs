//! The walk over an operation's selections that measures it: depth,
//! aliases, cost, and introspection's bounds.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::Analysis;
use super::prices::{
    DEFAULT_PAGE, HEAVY_FIELD, INTROSPECTION_LISTS, INTROSPECTION_STEPS, MAX_LIST, MAX_PAGE,
    MUTATION_COST, SCHEMA_COST, TYPE_COST, field_cost,
};
use crate::limits::shape::Shape;

pub(super) struct Walker<'a> {
    pub(super) document: &'a ExecutableDocument,
    pub(super) shape: &'a Shape,
    pub(super) variables: Variables,
    /// Each fragment's measures, taken once.
    pub(super) memo: HashMap<&'a str, Analysis>,
    /// Fragments being measured (a cycle is left to validation to refuse).
    pub(super) visiting: HashSet<&'a str>,
    pub(super) steps: u32,
    /// The `first` / `last` of an enclosing object that pages a connection
    /// inside it (`segmentPreview(first:) { customers { … } }`), for a
    /// connection that names no page size of its own.
    pub(super) pages: Option<u64>,
}

impl<'a> Walker<'a> {
    pub(super) fn operation(&mut self, operation: &'a OperationDefinition) -> Analysis {
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

    pub(super) fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&'a str>,
    ) -> Analysis {
        let mut total = Analysis::default();
        for item in &set.items {
            total.add(self.item(&item.node, parent));
        }
        total
    }

    pub(super) fn item(&mut self, item: &'a Selection, parent: Option<&'a str>) -> Analysis {
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

    pub(super) fn fragment(&mut self, name: &'a str) -> Analysis {
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

    pub(super) fn field(&mut self, field: &'a Field, parent: Option<&'a str>) -> Analysis {
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
            // A connection, or a numbered page (`CustomerPage`): its
            // `nodes` are paid for once per row asked for.
            Some(t) if t.ends_with("Connection") || t.ends_with("Page") => {
                let page = self.page_size(field);
                // The enclosing page sizes this connection only.
                let enclosing = self.pages.take();
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
                self.pages = enclosing;
                let cost = 2u64
                    .saturating_add(page.saturating_mul(per_item))
                    .saturating_add(once);
                (children, cost)
            }
            _ => {
                let enclosing = self.pages;
                if let Some(size) = self.given_page_size(field) {
                    self.pages = Some(size);
                }
                let children = self.selection_set(set, ty);
                self.pages = enclosing;
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

    /// `first`, `last` or `pageSize` (the largest given), else the page of
    /// an enclosing object that pages it, else the default page, counted
    /// up to [`MAX_PAGE`].
    pub(super) fn page_size(&self, field: &Field) -> u64 {
        self.given_page_size(field)
            .or(self.pages)
            .unwrap_or(DEFAULT_PAGE)
            .min(MAX_PAGE)
    }

    /// The largest of the field's `first`, `last` or `pageSize`, if given.
    fn given_page_size(&self, field: &Field) -> Option<u64> {
        ["first", "last", "pageSize"]
            .into_iter()
            .filter_map(|name| self.argument(field, name))
            .filter_map(|value| match value {
                Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .max()
    }

    /// The length of the longest list argument (the IDs asked for).
    pub(super) fn list_argument_len(&self, field: &Field) -> Option<u64> {
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
    pub(super) fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n.node == name)?;
        value
            .node
            .clone()
            .into_const_with(|var: Name| self.variables.get(&var).cloned().ok_or(()))
            .ok()
    }

    /// Inside `__schema` / `__type`: counts aliases, and flags a
    /// type-system list nested within itself.
    pub(super) fn introspection(
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
