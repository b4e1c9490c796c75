pub use super::activity::Entity as Activity;
pub use super::customer::Entity as Customer;
pub use super::customer_tag::Entity as CustomerTag;
pub use super::note::Entity as Note;
pub use super::order::Entity as Order;
pub use super::rfm_breakpoints::Entity as RfmBreakpoints;
pub use super::segment::Entity as Segment;
pub use super::segment_member::Entity as SegmentMember;
