//! Churn segments as a filter of people. Who is in a segment is the revenue desk's to say (a layer
//! above, which reads the Whop mirror); the CRM owns this trait, the app registers the desk's
//! implementation (`Crm::set_segment_members`), and the people list filters by the ids it gives.

use crate::Crm;
use crate::error::CrmError;
use dealdesk_model::revenue::ChurnSegment;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uuid::Uuid;

/// The ids of the people in a segment, or why they could not be found.
pub type SegmentPeople<'a> = Pin<Box<dyn Future<Output = Result<Vec<Uuid>, String>> + Send + 'a>>;

/// Who is in a churn segment now: the people linked to the segment's Whop customers.
pub trait SegmentMembers: Send + Sync {
    fn people(&self, segment: ChurnSegment) -> SegmentPeople<'_>;
}

impl Crm {
    /// Registers who answers for churn segments; the first registration stands.
    pub fn set_segment_members(&self, members: Arc<dyn SegmentMembers>) {
        if self.segments.set(members).is_err() {
            tracing::warn!("churn segments were registered twice; the first registration stands");
        }
    }

    /// The ids of the people in `segment`, as a JSON array for `json_each`; `None` without one.
    pub(crate) async fn segment_filter(&self, segment: Option<ChurnSegment>) -> Result<Option<String>, CrmError> {
        let Some(segment) = segment else { return Ok(None) };
        let error = |reason: String| CrmError::ChurnSegment { segment: segment.name(), reason };
        let members = self.segments.get().ok_or_else(|| error("the revenue desk is not available here".into()))?;
        let ids = members.people(segment).await.map_err(error)?;
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        serde_json::to_string(&ids).map(Some).map_err(|e| error(e.to_string()))
    }
}
