//! An order's value built ahead (`graphql::ready`): the fields it answers
//! from its row, as `Order`'s resolvers do.

use async_graphql::{InputType as _, SelectionField, Value};

use super::graphql::{Order, OrderStatus};
use crate::graphql::ready::Plain;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids::{self, Kind};

pub enum OrderField {
    Typename,
    Id,
    ExternalId,
    Amount,
    Currency,
    Status,
    PlacedAt,
}

impl Plain for Order {
    type Field = OrderField;

    fn field(selection: SelectionField<'_>) -> Option<OrderField> {
        Some(match selection.name() {
            "__typename" => OrderField::Typename,
            "id" => OrderField::Id,
            "externalId" => OrderField::ExternalId,
            "amount" => OrderField::Amount,
            "currency" => OrderField::Currency,
            "status" => OrderField::Status,
            "placedAt" => OrderField::PlacedAt,
            _ => return None,
        })
    }

    fn value(&self, field: &OrderField) -> Value {
        let row = &self.0;
        match field {
            OrderField::Typename => Value::String("Order".into()),
            OrderField::Id => Value::String(ids::encode(Kind::Order, &row.id).0),
            OrderField::ExternalId => Value::String(row.external_id.clone()),
            OrderField::Amount => Decimal::from(row.amount_cents).to_value(),
            OrderField::Currency => Value::String(row.currency.clone()),
            OrderField::Status => OrderStatus::from_db(&row.status).to_value(),
            OrderField::PlacedAt => DateTime(row.placed_at).to_value(),
        }
    }
}
