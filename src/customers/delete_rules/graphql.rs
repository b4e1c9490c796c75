//! `customerDeleteRules` and `setCustomerDeleteRules`.

use async_graphql::{Context, Object, Result};

use super::{DeleteRule, settings};
use crate::auth::Scope;
use crate::graphql::{ContextExt, ScopeGuard, TenantGuard};

#[derive(Default)]
pub struct DeleteRuleQuery;

#[Object]
impl DeleteRuleQuery {
    /// The delete rules your tenant turned on, beside the ones that always
    /// apply (an open data request, unpaid orders). Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_delete_rules(&self, ctx: &Context<'_>) -> Result<Vec<DeleteRule>> {
        let session = ctx.session()?;
        Ok(settings::rules(&session.db, session.tenant()).await?)
    }
}

#[derive(Default)]
pub struct DeleteRuleMutation;

#[Object]
impl DeleteRuleMutation {
    /// Sets the delete rules of your tenant (replacing them; an empty list
    /// turns them all off) and returns them. Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn set_customer_delete_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rules to apply from now on.")] rules: Vec<DeleteRule>,
    ) -> Result<Vec<DeleteRule>> {
        let session = ctx.session()?;
        settings::set_rules(&session.db, session.tenant(), &rules).await?;
        Ok(settings::rules(&session.db, session.tenant()).await?)
    }
}
