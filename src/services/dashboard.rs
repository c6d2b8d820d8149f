//! What the dashboard summarises, limited to what the viewer may see.

use super::{Services, Unexpected};
use crate::domain::auth::Viewer;
use crate::domain::event::Event;
use crate::domain::permission::Permission;

/// MID and salvage coverage figures for merchants.
#[derive(Debug, Clone, Default)]
pub struct MidSummary {
    pub total: usize,
    pub enabled: usize,
    pub salvage_only: usize,
    pub recycle_profiles: usize,
    /// Titles of new-sale MIDs in no decline salvage profile: their declines are not recycled.
    pub uncovered: Vec<String>,
}

/// How many of the latest events the dashboard shows.
const RECENT_EVENTS: u32 = 8;

#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    pub mids: Option<MidSummary>,
    /// The refund queue's counts, for customer-service roles (R-CS-4).
    pub refund_queue: Option<crate::domain::refund_queue::QueueCounts>,
    pub recent_events: Option<Vec<Event>>,
}

impl Services {
    pub async fn dashboard(&self, viewer: &Viewer) -> Result<Dashboard, Unexpected> {
        let mut dashboard = Dashboard::default();
        if viewer.can(Permission::MidsManage) {
            let mids = self.mids.all().await?;
            let profiles = self.recycle.list().await?;
            let covered = |id| profiles.iter().any(|p| p.profile.apply_to.contains(&id));
            dashboard.mids = Some(MidSummary {
                total: mids.len(),
                enabled: mids.iter().filter(|m| m.enabled).count(),
                salvage_only: mids.iter().filter(|m| m.provider.is_salvage_only()).count(),
                recycle_profiles: profiles.len(),
                uncovered: mids
                    .iter()
                    .filter(|m| m.enabled && !m.provider.is_salvage_only() && !covered(m.id))
                    .map(|m| m.title.clone())
                    .collect(),
            });
        }
        if viewer.can(Permission::CustomersView) {
            dashboard.refund_queue = Some(self.refund_queue.counts().await?);
        }
        if viewer.can(Permission::EventsView) {
            dashboard.recent_events = Some(self.events.latest(RECENT_EVENTS).await?);
        }
        Ok(dashboard)
    }
}
