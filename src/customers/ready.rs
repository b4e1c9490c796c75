//! Customer values built ahead (`graphql::ready`): a page of customers with
//! their own fields, their tags and pages of their notes and orders, each
//! list read once for the whole page, as the resolvers of `Customer`
//! would answer them field by field.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, InputType as _, Name, Result, SelectionField, Value};
use futures_util::future::{try_join_all, try_join3};

use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::graphql::ready::{self, ConnectionPlan, Plan, Ready};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids::{self, Kind};
use crate::notes::{Note, NoteConnection, notes_of_customers};
use crate::orders::{Order, OrderConnection, orders_of_customers};
use crate::profiles::additional::{self, Kind as ContactKind};
use crate::profiles::input::CustomerStatus;
use crate::profiles::loader::TagLoader;
use crate::profiles::row::display_name;
use crate::profiles::{Customer, CustomerConnection};

/// The fields of one customer a selection asks for.
struct CustomerPlan(Vec<(Name, CustomerField)>);

enum CustomerField {
    Typename,
    Id,
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Emails,
    Phones,
    CompanyName,
    Locale,
    Currency,
    AvatarUrl,
    Status,
    Source,
    Tags,
    Metadata,
    CreatedAt,
    UpdatedAt,
    TotalOrders,
    TotalSpent,
    LastOrderAt,
    Notes(Page, ConnectionPlan<Plan<Note>>),
    Orders(Page, ConnectionPlan<Plan<Order>>),
}

impl CustomerPlan {
    fn of(selection: SelectionField<'_>) -> Option<Self> {
        ready::fields(selection, |f| {
            Some(match f.name() {
                "__typename" => CustomerField::Typename,
                "id" => CustomerField::Id,
                "name" => CustomerField::Name,
                "firstName" => CustomerField::FirstName,
                "lastName" => CustomerField::LastName,
                "email" => CustomerField::Email,
                "phone" => CustomerField::Phone,
                "emails" => CustomerField::Emails,
                "phones" => CustomerField::Phones,
                "companyName" => CustomerField::CompanyName,
                "locale" => CustomerField::Locale,
                "currency" => CustomerField::Currency,
                "avatarUrl" => CustomerField::AvatarUrl,
                "status" => CustomerField::Status,
                "source" => CustomerField::Source,
                "tags" => CustomerField::Tags,
                "metadata" => CustomerField::Metadata,
                "createdAt" => CustomerField::CreatedAt,
                "updatedAt" => CustomerField::UpdatedAt,
                "totalOrders" => CustomerField::TotalOrders,
                "totalSpent" => CustomerField::TotalSpent,
                "lastOrderAt" => CustomerField::LastOrderAt,
                "notes" => {
                    CustomerField::Notes(page(f)?, ConnectionPlan::of(f, ready::plan::<Note>)?)
                }
                "orders" => {
                    CustomerField::Orders(page(f)?, ConnectionPlan::of(f, ready::plan::<Order>)?)
                }
                _ => return None,
            })
        })
        .map(CustomerPlan)
    }
}

/// A child list's page arguments; `None` when they are not valid, for the
/// resolver to say why.
fn page(selection: SelectionField<'_>) -> Option<Page> {
    let (mut first, mut after, mut last, mut before) = (None, None, None, None);
    for (name, value) in selection.arguments().ok()? {
        match (name.as_str(), value) {
            (_, Value::Null) => {}
            ("first", Value::Number(n)) => first = Some(i32::try_from(n.as_i64()?).ok()?),
            ("last", Value::Number(n)) => last = Some(i32::try_from(n.as_i64()?).ok()?),
            ("after", Value::String(s)) => after = Some(s),
            ("before", Value::String(s)) => before = Some(s),
            _ => return None,
        }
    }
    Page::from_params(first, after, last, before).ok()
}

/// What the customers of a page need beyond their rows: the tags of those
/// read without them, and each child list's pages, by customer key.
#[derive(Default)]
struct Loaded {
    tags: HashMap<String, Vec<String>>,
    notes: Vec<(Page, HashMap<String, NoteConnection>)>,
    orders: Vec<(Page, HashMap<String, OrderConnection>)>,
}

impl Loaded {
    /// Everything the plans ask of these customers: one batch per list
    /// and page, all sent together.
    async fn of(
        ctx: &Context<'_>,
        customers: &[&Customer],
        plans: &[&CustomerPlan],
    ) -> Result<Self> {
        let asked = || plans.iter().flat_map(|p| p.0.iter().map(|(_, f)| f));
        let keys: Vec<&str> = customers.iter().map(|c| c.row.id.as_str()).collect();
        let mut note_pages: Vec<&Page> = Vec::new();
        let mut order_pages: Vec<&Page> = Vec::new();
        for field in asked() {
            match field {
                CustomerField::Notes(page, _) if !note_pages.contains(&page) => {
                    note_pages.push(page)
                }
                CustomerField::Orders(page, _) if !order_pages.contains(&page) => {
                    order_pages.push(page)
                }
                _ => {}
            }
        }
        let untagged: Vec<String> = if asked().any(|f| matches!(f, CustomerField::Tags)) {
            customers
                .iter()
                .filter(|c| c.tags.is_none())
                .map(|c| c.row.id.clone())
                .collect()
        } else {
            Vec::new()
        };
        // The page's rows are the whole batch: read at once, as the child
        // pages are (`children::connections`).
        let tag_loader = ctx.session()?.loaders.get::<TagLoader>();
        let tags = async {
            if untagged.is_empty() {
                return Ok(HashMap::new());
            }
            Loader::load(tag_loader.loader(), &untagged).await
        };
        let notes = try_join_all(note_pages.iter().map(|page| async {
            Ok::<_, async_graphql::Error>((
                (*page).clone(),
                notes_of_customers(ctx, &keys, page).await?,
            ))
        }));
        let orders = try_join_all(order_pages.iter().map(|page| async {
            Ok::<_, async_graphql::Error>((
                (*page).clone(),
                orders_of_customers(ctx, &keys, page).await?,
            ))
        }));
        let (tags, notes, orders) = try_join3(tags, notes, orders).await?;
        Ok(Loaded {
            tags,
            notes,
            orders,
        })
    }

    fn value(&self, customer: &Customer, plan: &CustomerPlan) -> Value {
        let row = &customer.row;
        let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
        let list = |items: Vec<String>| Value::List(items.into_iter().map(Value::String).collect());
        ready::object(&plan.0, |field| match field {
            CustomerField::Typename => Value::String("Customer".into()),
            CustomerField::Id => Value::String(ids::encode(Kind::Customer, &row.id).0),
            CustomerField::Name => display_name(row).map_or(Value::Null, Value::String),
            CustomerField::FirstName => text(&row.first_name),
            CustomerField::LastName => text(&row.last_name),
            CustomerField::Email => text(&row.email),
            CustomerField::Phone => text(&row.phone),
            CustomerField::Emails => list(
                row.email
                    .iter()
                    .cloned()
                    .chain(additional::list(row, ContactKind::Email))
                    .collect(),
            ),
            CustomerField::Phones => list(
                row.phone
                    .iter()
                    .cloned()
                    .chain(additional::list(row, ContactKind::Phone))
                    .collect(),
            ),
            CustomerField::CompanyName => text(&row.company_name),
            CustomerField::Locale => text(&row.locale),
            CustomerField::Currency => text(&row.currency),
            CustomerField::AvatarUrl => text(&row.avatar_url),
            CustomerField::Status => CustomerStatus::from_db(&row.status).to_value(),
            CustomerField::Source => text(&row.source),
            CustomerField::Tags => list(
                customer
                    .tags
                    .clone()
                    .or_else(|| self.tags.get(&row.id).cloned())
                    .unwrap_or_default(),
            ),
            CustomerField::Metadata => async_graphql::to_value(&row.metadata).unwrap_or_default(),
            CustomerField::CreatedAt => DateTime(row.created_at).to_value(),
            CustomerField::UpdatedAt => DateTime(row.updated_at).to_value(),
            CustomerField::TotalOrders => Value::from(row.total_orders),
            CustomerField::TotalSpent => Decimal::from(row.total_spent_cents).to_value(),
            CustomerField::LastOrderAt => row
                .last_order_at
                .map_or(Value::Null, |t| DateTime(t).to_value()),
            CustomerField::Notes(page, plan) => {
                child(&self.notes, page, &row.id, |c| plan.value(c, ready::value))
            }
            CustomerField::Orders(page, plan) => {
                child(&self.orders, page, &row.id, |c| plan.value(c, ready::value))
            }
        })
    }
}

/// A customer's connection among the pages loaded for its page.
fn child<C>(
    loaded: &[(Page, HashMap<String, C>)],
    page: &Page,
    key: &str,
    value: impl FnOnce(&C) -> Value,
) -> Value {
    loaded
        .iter()
        .find(|(p, _)| p == page)
        .and_then(|(_, by_customer)| by_customer.get(key))
        .map_or(Value::Null, value)
}

/// `customers`: the page's value built ahead when its selection allows.
pub async fn connection(
    ctx: &Context<'_>,
    connection: CustomerConnection,
) -> Result<Ready<CustomerConnection>> {
    let Some(plan) = ConnectionPlan::of(ctx.field(), CustomerPlan::of) else {
        return Ok(Ready::deferred(connection));
    };
    let customers: Vec<&Customer> = connection.edges.iter().map(|e| &e.node).collect();
    let plans: Vec<&CustomerPlan> = plan.nodes().collect();
    let loaded = Loaded::of(ctx, &customers, &plans).await?;
    let value = plan.value(&connection, |c, p| loaded.value(c, p));
    Ok(Ready::built("customers", value))
}

/// `customer`: the customer's value built ahead when its selection allows.
pub async fn one(ctx: &Context<'_>, customer: Option<Customer>) -> Result<Ready<Option<Customer>>> {
    let (Some(plan), Some(found)) = (CustomerPlan::of(ctx.field()), &customer) else {
        return Ok(Ready::deferred(customer));
    };
    let loaded = Loaded::of(ctx, &[found], &[&plan]).await?;
    Ok(Ready::built("customer", loaded.value(found, &plan)))
}
