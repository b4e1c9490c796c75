//! Customer values built ahead (`graphql::ready`): a page of customers with
//! their own fields, their tags and pages of their notes and orders, each
//! list read once for the whole page, as the resolvers of `Customer`
//! would answer them field by field. The customers' rows are read with
//! only the columns the selection's fields are made of.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, InputType as _, Name, Result, SelectionField, Value};
use entity::customer::Column as C;
use futures_util::future::{try_join_all, try_join3};
use sea_orm::{DbErr, IdenStatic as _, QueryResult};
use serde_json::Value as Json;

use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::graphql::ready::{self, ConnectionPlan, Plan, Ready};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids::{self, Kind};
use crate::notes::{Note, NoteConnection, notes_of_customers};
use crate::orders::{Order, OrderConnection, orders_of_customers};
use crate::profiles::input::CustomerStatus;
use crate::profiles::loader::TagLoader;
use crate::profiles::row::name_of;
use crate::profiles::{
    Customer, CustomerConnection, CustomerFilter, CustomerSort, ListedRow, Scope, additional,
    customer_connection, customer_rows, repo,
};

/// The fields of one customer a selection asks for.
struct CustomerPlan(Vec<(Name, CustomerField)>);

enum CustomerField {
    Typename,
    Id,
    Own(Own),
    Tags,
    Notes(Page, ConnectionPlan<Plan<Note>>),
    Orders(Page, ConnectionPlan<Plan<Order>>),
}

/// A field made of the customer's own columns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Own {
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
    Metadata,
    CreatedAt,
    UpdatedAt,
    TotalOrders,
    TotalSpent,
    LastOrderAt,
}

impl Own {
    /// The columns the field is made of.
    fn columns(self) -> &'static [C] {
        match self {
            Own::Name => &[C::Name, C::FirstName, C::LastName],
            Own::FirstName => &[C::FirstName],
            Own::LastName => &[C::LastName],
            Own::Email => &[C::Email],
            Own::Phone => &[C::Phone],
            Own::Emails => &[C::Email, C::AdditionalEmails],
            Own::Phones => &[C::Phone, C::AdditionalPhones],
            Own::CompanyName => &[C::CompanyName],
            Own::Locale => &[C::Locale],
            Own::Currency => &[C::Currency],
            Own::AvatarUrl => &[C::AvatarUrl],
            Own::Status => &[C::Status],
            Own::Source => &[C::Source],
            Own::Metadata => &[C::Metadata],
            Own::CreatedAt => &[C::CreatedAt],
            Own::UpdatedAt => &[C::UpdatedAt],
            Own::TotalOrders => &[C::TotalOrders],
            Own::TotalSpent => &[C::TotalSpentCents],
            Own::LastOrderAt => &[C::LastOrderAt],
        }
    }

    /// The field's value from a row holding its [`Own::columns`]: what the
    /// resolver of `Customer` gives.
    fn value(self, row: &QueryResult) -> Result<Value, DbErr> {
        let text = |c: C| -> Result<Value, DbErr> {
            Ok(row
                .try_get::<Option<String>>("", c.as_str())?
                .map_or(Value::Null, Value::String))
        };
        let list = |first: C, rest: C| -> Result<Value, DbErr> {
            let first = row.try_get::<Option<String>>("", first.as_str())?;
            let rest = additional::values(&row.try_get::<Json>("", rest.as_str())?);
            Ok(Value::List(
                first.into_iter().chain(rest).map(Value::String).collect(),
            ))
        };
        let time = |c: C| row.try_get::<chrono::DateTime<chrono::Utc>>("", c.as_str());
        Ok(match self {
            Own::Name => {
                let part = |c: C| row.try_get::<Option<String>>("", c.as_str());
                let (first, last) = (part(C::FirstName)?, part(C::LastName)?);
                name_of(part(C::Name)?, first.as_deref(), last.as_deref())
                    .map_or(Value::Null, Value::String)
            }
            Own::FirstName => text(C::FirstName)?,
            Own::LastName => text(C::LastName)?,
            Own::Email => text(C::Email)?,
            Own::Phone => text(C::Phone)?,
            Own::Emails => list(C::Email, C::AdditionalEmails)?,
            Own::Phones => list(C::Phone, C::AdditionalPhones)?,
            Own::CompanyName => text(C::CompanyName)?,
            Own::Locale => text(C::Locale)?,
            Own::Currency => text(C::Currency)?,
            Own::AvatarUrl => text(C::AvatarUrl)?,
            Own::Status => {
                CustomerStatus::from_db(&row.try_get::<String>("", C::Status.as_str())?).to_value()
            }
            Own::Source => text(C::Source)?,
            Own::Metadata => {
                async_graphql::to_value(row.try_get::<Json>("", C::Metadata.as_str())?)
                    .unwrap_or_default()
            }
            Own::CreatedAt => DateTime(time(C::CreatedAt)?).to_value(),
            Own::UpdatedAt => DateTime(time(C::UpdatedAt)?).to_value(),
            Own::TotalOrders => Value::from(row.try_get::<i64>("", C::TotalOrders.as_str())?),
            Own::TotalSpent => {
                Decimal::from(row.try_get::<i64>("", C::TotalSpentCents.as_str())?).to_value()
            }
            Own::LastOrderAt => row
                .try_get::<Option<chrono::DateTime<chrono::Utc>>>("", C::LastOrderAt.as_str())?
                .map_or(Value::Null, |t| DateTime(t).to_value()),
        })
    }
}

impl CustomerPlan {
    fn of(selection: SelectionField<'_>) -> Option<Self> {
        ready::fields(selection, |f| {
            Some(match f.name() {
                "__typename" => CustomerField::Typename,
                "id" => CustomerField::Id,
                "name" => CustomerField::Own(Own::Name),
                "firstName" => CustomerField::Own(Own::FirstName),
                "lastName" => CustomerField::Own(Own::LastName),
                "email" => CustomerField::Own(Own::Email),
                "phone" => CustomerField::Own(Own::Phone),
                "emails" => CustomerField::Own(Own::Emails),
                "phones" => CustomerField::Own(Own::Phones),
                "companyName" => CustomerField::Own(Own::CompanyName),
                "locale" => CustomerField::Own(Own::Locale),
                "currency" => CustomerField::Own(Own::Currency),
                "avatarUrl" => CustomerField::Own(Own::AvatarUrl),
                "status" => CustomerField::Own(Own::Status),
                "source" => CustomerField::Own(Own::Source),
                "tags" => CustomerField::Tags,
                "metadata" => CustomerField::Own(Own::Metadata),
                "createdAt" => CustomerField::Own(Own::CreatedAt),
                "updatedAt" => CustomerField::Own(Own::UpdatedAt),
                "totalOrders" => CustomerField::Own(Own::TotalOrders),
                "totalSpent" => CustomerField::Own(Own::TotalSpent),
                "lastOrderAt" => CustomerField::Own(Own::LastOrderAt),
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

/// What the plans of a page read of each customer: the values of the own
/// fields they ask for, in this order, and whether they ask for tags.
struct Asked {
    own: Vec<Own>,
    tags: bool,
}

impl Asked {
    fn of(plans: &[&CustomerPlan]) -> Self {
        let mut asked = Asked {
            own: Vec::new(),
            tags: false,
        };
        for (_, field) in plans.iter().flat_map(|p| p.0.iter()) {
            match field {
                CustomerField::Own(own) if !asked.own.contains(own) => asked.own.push(*own),
                CustomerField::Tags => asked.tags = true,
                _ => {}
            }
        }
        asked
    }

    /// The columns the own fields are made of (the id is read anyway).
    fn columns(&self) -> Vec<C> {
        let mut columns: Vec<C> = Vec::new();
        for column in self.own.iter().flat_map(|f| f.columns()) {
            if !columns.iter().any(|c| c.as_str() == column.as_str()) {
                columns.push(*column);
            }
        }
        columns
    }

    /// A customer's own fields' values, read from its row.
    fn read(&self, row: &QueryResult) -> Result<Vec<Value>, DbErr> {
        self.own.iter().map(|f| f.value(row)).collect()
    }

    /// A customer's value of `field`, among those [`Asked::read`] read.
    fn own(&self, values: &[Value], field: Own) -> Value {
        self.own
            .iter()
            .position(|f| *f == field)
            .and_then(|at| values.get(at))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// A customer as a page built ahead reads it: its own fields' values, in
/// the order of [`Asked::own`].
type Listed = ListedRow<Vec<Value>>;

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
        customers: &[&Listed],
        plans: &[&CustomerPlan],
        asked: &Asked,
    ) -> Result<Self> {
        let keys: Vec<&str> = customers.iter().map(|c| c.id.as_str()).collect();
        let mut note_pages: Vec<&Page> = Vec::new();
        let mut order_pages: Vec<&Page> = Vec::new();
        for (_, field) in plans.iter().flat_map(|p| p.0.iter()) {
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
        let untagged: Vec<String> = if asked.tags {
            customers
                .iter()
                .filter(|c| c.tags.is_none())
                .map(|c| c.id.clone())
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

    fn value(&self, customer: &Listed, asked: &Asked, plan: &CustomerPlan) -> Value {
        let id = &customer.id;
        ready::object(&plan.0, |field| match field {
            CustomerField::Typename => Value::String("Customer".into()),
            CustomerField::Id => Value::String(ids::encode(Kind::Customer, id).0),
            CustomerField::Own(own) => asked.own(&customer.row, *own),
            CustomerField::Tags => Value::List(
                customer
                    .tags
                    .as_ref()
                    .or_else(|| self.tags.get(id))
                    .into_iter()
                    .flatten()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
            CustomerField::Notes(page, plan) => {
                child(&self.notes, page, id, |c| plan.value(c, ready::value))
            }
            CustomerField::Orders(page, plan) => {
                child(&self.orders, page, id, |c| plan.value(c, ready::value))
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

/// `customers`: the page's value built ahead from the columns its
/// selection asks for when the selection and the sort allow, else the
/// page for the executor.
pub async fn connection(
    ctx: &Context<'_>,
    page: Page,
    filter: Option<CustomerFilter>,
    sort: Option<CustomerSort>,
    scope: Scope,
) -> Result<Ready<CustomerConnection>> {
    let sort = sort.unwrap_or_default();
    let plan = ConnectionPlan::of(ctx.field(), CustomerPlan::of).filter(|_| sort.plain());
    let Some(plan) = plan else {
        let connection = customer_connection(ctx, page, filter, Some(sort), scope).await?;
        return Ok(Ready::deferred(connection));
    };
    let plans: Vec<&CustomerPlan> = plan.nodes().collect();
    let asked = Asked::of(&plans);
    let read = |row: &QueryResult| asked.read(row);
    let rows = customer_rows(
        ctx,
        (page, filter, sort, scope),
        (&asked.columns(), asked.tags),
        &read,
    )
    .await?;
    let customers: Vec<&Listed> = rows.edges.iter().map(|(_, c)| c).collect();
    let loaded = Loaded::of(ctx, &customers, &plans, &asked).await?;
    let value = plan.keyed_value::<Customer, _>(&rows, |c, p| loaded.value(c, &asked, p));
    Ok(Ready::built("customers", value))
}

/// `customer`: the customer's value built ahead from the columns its
/// selection asks for; `None` when the selection leaves it to the executor.
pub async fn one(ctx: &Context<'_>, key: &str) -> Result<Option<Ready<Option<Customer>>>> {
    let Some(plan) = CustomerPlan::of(ctx.field()) else {
        return Ok(None);
    };
    let session = ctx.session()?;
    let asked = Asked::of(&[&plan]);
    let own = |row: &QueryResult| asked.read(row);
    let read = |row: &QueryResult| ListedRow::read(row, asked.tags, &own);
    let mut columns = vec![C::Id];
    columns.extend(asked.columns());
    let found = repo::find_as(
        &session.reads,
        session.tenant(),
        key,
        (&columns, asked.tags),
        &read,
    )
    .await?;
    let value = match &found {
        Some(customer) => {
            let loaded = Loaded::of(ctx, &[customer], &[&plan], &asked).await?;
            loaded.value(customer, &asked, &plan)
        }
        None => Value::Null,
    };
    Ok(Some(Ready::built("customer", value)))
}
