//! Values built ahead of the executor. A list's resolver that can answer
//! its whole selection from the rows it reads (its nodes' own fields, and
//! the lists below them loaded in one batch each) builds the response's
//! value itself, instead of the executor calling a resolver for each field
//! of every object of the page. Anything else in the selection (a field
//! the plan does not know, a response key asked for twice) leaves the
//! value to the executor, as before: the same rows, the same value.
//! async-graphql applies `@skip` and `@include` before any resolver runs
//! (what they skip is gone, and so are they), and the schema defines no
//! other directive, so a plan sees the selection as it is executed.
//!
//! A plan is read from the selection first ([`fields`],
//! [`ConnectionPlan::of`]); the resolver reads its rows as it always does,
//! and returns [`Ready::built`] with the plan's value, or
//! [`Ready::deferred`] without a plan.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use async_graphql::connection::{CursorType as _, Edge, EmptyFields};
use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, SelectionField, ServerResult, Value,
};

use super::pagination::{Cursor, KeyedPage, ListConnection};
use crate::telemetry;

/// A field's value: built ahead, or `T` for the executor to resolve. Either
/// way the schema sees `T`.
pub struct Ready<T>(Inner<T>);

enum Inner<T> {
    /// Taken by the one `resolve` of the field.
    Built(Mutex<Option<Value>>),
    Deferred(T),
}

impl<T> Ready<T> {
    /// A value built from a plan; `list` names it in the metrics.
    pub fn built(list: &'static str, value: Value) -> Self {
        telemetry::metrics().count_built_ahead(list);
        Ready(Inner::Built(Mutex::new(Some(value))))
    }

    pub fn deferred(value: T) -> Self {
        Ready(Inner::Deferred(value))
    }
}

impl<T: OutputType> OutputType for Ready<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        match &self.0 {
            Inner::Deferred(value) => value.introspection_type_name(),
            Inner::Built(_) => T::type_name(),
        }
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match &self.0 {
            Inner::Built(value) => Ok(value
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .unwrap_or(Value::Null)),
            Inner::Deferred(value) => value.resolve(ctx, field).await,
        }
    }
}

/// One object's fields by response key, each read by `field`; `None` when
/// `field` does not know one of them or a response key comes twice (the
/// executor merges those).
pub fn fields<'a, F>(
    selection: SelectionField<'a>,
    mut field: impl FnMut(SelectionField<'a>) -> Option<F>,
) -> Option<Vec<(Name, F)>> {
    let mut read: Vec<(Name, F)> = Vec::new();
    for f in selection.selection_set() {
        let key = f.alias().unwrap_or(f.name());
        if read.iter().any(|(k, _)| k.as_str() == key) {
            return None;
        }
        read.push((Name::new(key), field(f)?));
    }
    Some(read)
}

/// An object of `fields`, each valued by `value`.
pub fn object<F>(fields: &[(Name, F)], mut value: impl FnMut(&F) -> Value) -> Value {
    Value::Object(fields.iter().map(|(k, f)| (k.clone(), value(f))).collect())
}

/// What a selection on a [`ListConnection`] asks for, with `P` the plan of
/// its nodes. `totalCount` is left to the executor (it is counted lazily).
pub struct ConnectionPlan<P> {
    fields: Vec<(Name, ConnectionField<P>)>,
}

enum ConnectionField<P> {
    Typename,
    Nodes(P),
    Edges(Vec<(Name, EdgeField<P>)>),
    PageInfo(Vec<(Name, PageInfoField)>),
}

enum EdgeField<P> {
    Typename,
    Cursor,
    Node(P),
}

enum PageInfoField {
    Typename,
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

type ConnectionOf<N> = ListConnection<N>;
type EdgeOf<N> = Edge<Cursor, N, EmptyFields>;

impl<P> ConnectionPlan<P> {
    /// The plan of a connection field's selection, its nodes' read by
    /// `node`.
    pub fn of<'a>(
        selection: SelectionField<'a>,
        mut node: impl FnMut(SelectionField<'a>) -> Option<P>,
    ) -> Option<Self> {
        let fields = fields(selection, |f| match f.name() {
            "__typename" => Some(ConnectionField::Typename),
            "nodes" => node(f).map(ConnectionField::Nodes),
            "edges" => fields(f, |e| match e.name() {
                "__typename" => Some(EdgeField::Typename),
                "cursor" => Some(EdgeField::Cursor),
                "node" => node(e).map(EdgeField::Node),
                _ => None,
            })
            .map(ConnectionField::Edges),
            "pageInfo" => fields(f, |p| match p.name() {
                "__typename" => Some(PageInfoField::Typename),
                "hasPreviousPage" => Some(PageInfoField::HasPreviousPage),
                "hasNextPage" => Some(PageInfoField::HasNextPage),
                "startCursor" => Some(PageInfoField::StartCursor),
                "endCursor" => Some(PageInfoField::EndCursor),
                _ => None,
            })
            .map(ConnectionField::PageInfo),
            _ => None,
        })?;
        Some(ConnectionPlan { fields })
    }

    /// Every node plan it holds (`nodes` and `edges { node }` may both be
    /// asked for, with different fields).
    pub fn nodes(&self) -> impl Iterator<Item = &P> {
        self.fields.iter().flat_map(|(_, f)| -> Vec<&P> {
            match f {
                ConnectionField::Nodes(p) => vec![p],
                ConnectionField::Edges(edge) => edge
                    .iter()
                    .filter_map(|(_, e)| match e {
                        EdgeField::Node(p) => Some(p),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            }
        })
    }

    /// The connection's value, each node's by `node`: what the executor
    /// would make of it.
    pub fn value<N: OutputType>(
        &self,
        connection: &ConnectionOf<N>,
        node: impl FnMut(&N, &P) -> Value,
    ) -> Value {
        let edges = connection.edges.iter().map(|e| (&e.cursor, &e.node));
        self.value_of::<N, N>(
            edges,
            (connection.has_previous_page, connection.has_next_page),
            node,
        )
    }

    /// The value of a connection of `N` whose nodes `page` holds as rows of
    /// `R`, each node's by `node`.
    pub fn keyed_value<N: OutputType, R>(
        &self,
        page: &KeyedPage<R>,
        node: impl FnMut(&R, &P) -> Value,
    ) -> Value {
        let edges = page.edges.iter().map(|(cursor, row)| (cursor, row));
        self.value_of::<N, R>(edges, (page.has_previous_page, page.has_next_page), node)
    }

    /// The value of a connection of `N`: its edges' cursors and rows, and
    /// whether pages come before and after it.
    fn value_of<'e, N: OutputType, R: 'e>(
        &self,
        edges: impl DoubleEndedIterator<Item = (&'e Cursor, &'e R)> + Clone,
        (has_previous, has_next): (bool, bool),
        mut node: impl FnMut(&R, &P) -> Value,
    ) -> Value {
        let cursor = |c: &Cursor| Value::String(c.encode_cursor());
        object(&self.fields, |f| match f {
            ConnectionField::Typename => Value::String(ConnectionOf::<N>::type_name().into()),
            ConnectionField::Nodes(p) => {
                Value::List(edges.clone().map(|(_, row)| node(row, p)).collect())
            }
            ConnectionField::Edges(fields) => Value::List(
                edges
                    .clone()
                    .map(|(c, row)| {
                        object(fields, |f| match f {
                            EdgeField::Typename => Value::String(EdgeOf::<N>::type_name().into()),
                            EdgeField::Cursor => cursor(c),
                            EdgeField::Node(p) => node(row, p),
                        })
                    })
                    .collect(),
            ),
            ConnectionField::PageInfo(fields) => object(fields, |f| match f {
                PageInfoField::Typename => Value::String("PageInfo".into()),
                PageInfoField::HasPreviousPage => Value::Boolean(has_previous),
                PageInfoField::HasNextPage => Value::Boolean(has_next),
                PageInfoField::StartCursor => {
                    edges.clone().next().map_or(Value::Null, |(c, _)| cursor(c))
                }
                PageInfoField::EndCursor => edges
                    .clone()
                    .next_back()
                    .map_or(Value::Null, |(c, _)| cursor(c)),
            }),
        })
    }
}

/// An object whose fields a plan reads from what the object holds.
pub trait Plain {
    /// One of its fields.
    type Field;
    /// The field a selection names; `None` for one it does not answer so.
    fn field(selection: SelectionField<'_>) -> Option<Self::Field>;
    /// The field's value: what its resolver gives.
    fn value(&self, field: &Self::Field) -> Value;
}

/// The plan of a [`Plain`] object's selection: its fields by response key.
pub type Plan<T> = Vec<(Name, <T as Plain>::Field)>;

pub fn plan<T: Plain>(selection: SelectionField<'_>) -> Option<Plan<T>> {
    fields(selection, T::field)
}

pub fn value<T: Plain>(item: &T, plan: &Plan<T>) -> Value {
    object(plan, |f| item.value(f))
}
