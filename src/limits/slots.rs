//! How many of one tenant's requests run at once on this instance. A
//! request takes one of its tenant's slots for as long as it runs; when
//! they are all taken it waits, and past the wait it is refused, so one
//! tenant's burst of expensive requests holds a bounded share of the
//! database connections and leaves the rest to the other tenants.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::tenancy::TenantId;

pub struct Slots {
    per_tenant: usize,
    tenants: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
}

/// A tenant's slot, held while its request runs.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    pub fn new(per_tenant: usize) -> Self {
        Slots {
            per_tenant: per_tenant.max(1),
            tenants: Mutex::new(HashMap::new()),
        }
    }

    /// How many requests of one tenant run at once.
    pub fn per_tenant(&self) -> usize {
        self.per_tenant
    }

    /// One of the tenant's slots, within `wait`; `None` when none came free.
    pub async fn take(&self, tenant: &TenantId, wait: Duration) -> Option<Slot> {
        let semaphore = {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            // Tenants with every slot free are forgotten, so the map holds
            // only the tenants with requests under way.
            if tenants.len() > 1024 {
                let free = self.per_tenant;
                tenants.retain(|_, s| s.available_permits() < free || Arc::strong_count(s) > 1);
            }
            tenants
                .entry(tenant.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
                .clone()
        };
        let permit = tokio::time::timeout(wait, semaphore.acquire_owned())
            .await
            .ok()?
            .ok()?;
        Some(Slot { _permit: permit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tenant_waits_for_its_own_slots_only() {
        let slots = Slots::new(2);
        let (a, b) = (
            TenantId::parse("a").expect("tenant"),
            TenantId::parse("b").expect("tenant"),
        );
        let short = Duration::from_millis(20);
        let first = slots.take(&a, short).await;
        let second = slots.take(&a, short).await;
        assert!(first.is_some() && second.is_some());
        assert!(slots.take(&a, short).await.is_none(), "a's slots are taken");
        assert!(slots.take(&b, short).await.is_some(), "b has its own");
        drop(first);
        assert!(slots.take(&a, short).await.is_some(), "a slot came free");
    }
}
