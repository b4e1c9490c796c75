pub use super::customer::Entity as Customer;
pub use super::customer_tag::Entity as CustomerTag;
