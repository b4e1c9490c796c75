use sea_orm::entity::prelude::*;

/// One blocking key of a customer (`e:` an email, `p:` a phone, `n:` a
/// name, `s:` a name's sound): the duplicate finder compares only
/// customers that share one.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_match_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub match_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
    /// The name as the finder compares it, beside an `s:` key: the
    /// members of a sound-alike block that cannot make a pair are left
    /// unread.
    #[sea_orm(column_type = "Text", nullable)]
    pub name: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
