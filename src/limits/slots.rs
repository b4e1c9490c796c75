//! How many of one tenant's requests run at once on this instance. A
//! request takes one of its tenant's slots for as long as it runs; when
//! they are all taken it waits, and past the wait it is refused, so one
//! tenant's burst of requests holds a bounded share of the database
//! connections and leaves the rest to the other tenants. A heavy request
//! (one that evaluates segments or aggregates the tenant) also takes the
//! tenant's one heavy slot: its statements keep one core busy at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::tenancy::TenantId;

pub struct Slots {
    per_tenant: usize,
    tenants: Mutex<HashMap<TenantId, TenantSlots>>,
}

/// A tenant's slots, and its heavy slot.
type TenantSlots = (Arc<Semaphore>, Arc<Semaphore>);

/// A tenant's slot (and heavy slot), held while its request runs.
pub struct Slot {
    _permits: (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>),
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

    /// One of the tenant's slots (and its heavy slot for a `heavy`
    /// request), within `wait`; `None` when they did not come free.
    pub async fn take(&self, tenant: &TenantId, wait: Duration, heavy: bool) -> Option<Slot> {
        let (slots, heavy_slot) = {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            // Tenants with every slot free are forgotten, so the map holds
            // only the tenants with requests under way.
            if tenants.len() > 1024 {
                tenants.retain(|_, (s, h)| Arc::strong_count(s) > 1 || Arc::strong_count(h) > 1);
            }
            tenants
                .entry(tenant.clone())
                .or_insert_with(|| {
                    (
                        Arc::new(Semaphore::new(self.per_tenant)),
                        Arc::new(Semaphore::new(1)),
                    )
                })
                .clone()
        };
        let taken = async {
            let heavy = match heavy {
                true => Some(heavy_slot.acquire_owned().await.ok()?),
                false => None,
            };
            Some((slots.acquire_owned().await.ok()?, heavy))
        };
        let permits = tokio::time::timeout(wait, taken).await.ok()??;
        Some(Slot { _permits: permits })
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
        let first = slots.take(&a, short, true).await;
        let second = slots.take(&a, short, false).await;
        assert!(first.is_some() && second.is_some());
        assert!(
            slots.take(&a, short, false).await.is_none(),
            "a's slots are taken"
        );
        assert!(slots.take(&b, short, true).await.is_some(), "b has its own");
        drop(second);
        assert!(
            slots.take(&a, short, true).await.is_none(),
            "one heavy request at a time"
        );
        assert!(
            slots.take(&a, short, false).await.is_some(),
            "a slot came free"
        );
        drop(first);
        assert!(
            slots.take(&a, short, true).await.is_some(),
            "the heavy slot came free"
        );
    }
}
