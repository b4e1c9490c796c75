//! The schema's field types, read once from its SDL, for the query analysis.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};

/// What a field returns.
#[derive(Debug, Clone)]
pub struct FieldShape {
    /// The named type inside any list and non-null wrappers.
    pub type_name: String,
    pub list: bool,
}

/// Type name → field name → what the field returns, plus the root names.
#[derive(Debug, Default)]
pub struct Shape {
    fields: HashMap<String, HashMap<String, FieldShape>>,
    leaves: HashSet<String>,
    pub query: String,
    pub mutation: String,
    pub subscription: String,
}

impl Shape {
    /// Reads the types of an SDL document (`Schema::sdl()`).
    pub fn from_sdl(sdl: &str) -> anyhow::Result<Self> {
        let document = async_graphql::parser::parse_schema(sdl)?;
        let mut shape = Shape {
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            ..Shape::default()
        };
        shape.leaves.extend(
            ["String", "Int", "Float", "Boolean", "ID"]
                .into_iter()
                .map(String::from),
        );
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(name) = schema.query {
                        shape.query = name.node.to_string();
                    }
                    if let Some(name) = schema.mutation {
                        shape.mutation = name.node.to_string();
                    }
                    if let Some(name) = schema.subscription {
                        shape.subscription = name.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let fields = match ty.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        TypeKind::Scalar | TypeKind::Enum(_) => {
                            shape.leaves.insert(ty.name.node.to_string());
                            continue;
                        }
                        TypeKind::Union(_) | TypeKind::InputObject(_) => continue,
                    };
                    let fields = fields
                        .into_iter()
                        .map(|field| {
                            let field = field.node;
                            let mut ty = field.ty.node;
                            let mut list = false;
                            let type_name = loop {
                                match ty.base {
                                    BaseType::Named(name) => break name.to_string(),
                                    BaseType::List(inner) => {
                                        list = true;
                                        ty = *inner;
                                    }
                                }
                            };
                            (field.name.node.to_string(), FieldShape { type_name, list })
                        })
                        .collect();
                    shape.fields.insert(ty.name.node.to_string(), fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        Ok(shape)
    }

    pub fn field(&self, type_name: &str, field: &str) -> Option<&FieldShape> {
        self.fields.get(type_name)?.get(field)
    }

    pub fn is_leaf(&self, type_name: &str) -> bool {
        self.leaves.contains(type_name)
    }
}
