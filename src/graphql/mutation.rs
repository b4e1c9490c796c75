//! The mutation root: the features' mutation roots, merged.

use async_graphql::MergedObject;

use crate::customers::CustomerMutation;

#[derive(MergedObject, Default)]
pub struct Mutation(CustomerMutation);
