//! `dealdesk-cli whop doctor` (and Settings → Whop → Check connection): the connection end to end,
//! one check per line: the client id, the OAuth and API hosts, the pinned API version, the
//! permissions, and the first page of every list for each business Dealdesk syncs.

use super::businesses::{self, Chosen};
use super::config::API_VERSION_DATE;
use super::contract;
use super::error::WhopError;
use super::resources::Resource;
use super::sync::Target;
use super::{Whop, permissions};
use dealdesk_model::whop::{DoctorCheck, PermissionState};

fn check(name: &str, result: Result<String, String>) -> DoctorCheck {
    match result {
        Ok(detail) => DoctorCheck { check: name.into(), ok: true, detail },
        Err(detail) => DoctorCheck { check: name.into(), ok: false, detail },
    }
}

impl Whop {
    /// Every check, in order. A check that cannot run because an earlier one failed says so.
    pub async fn doctor(&self) -> Result<Vec<DoctorCheck>, WhopError> {
        let mut checks = Vec::new();
        let client_id = self.config.client_id.trim();
        checks.push(check(
            "client id",
            if client_id.is_empty() {
                Err(format!("empty: set {} to your Whop app's id", super::config::CLIENT_ID_ENV))
            } else {
                Ok(format!("{client_id} ({} environment)", self.config.environment()))
            },
        ));
        checks.push(check("OAuth host", self.reachable(&format!("{}/authorize", self.config.oauth_url)).await));
        checks.push(check("API host", self.reachable(&format!("{}/accounts", self.config.api_url)).await));

        let signed_in = self.auth.stored_tokens()?.is_some();
        if !signed_in {
            checks.push(check(
                "signed in",
                Err("not connected: run `dealdesk-cli whop login` (or Connect Whop in the app)".into()),
            ));
            return Ok(checks);
        }
        self.load_granted().await?;
        let accounts = contract::endpoint(Resource::Accounts.sdk_method())?;
        let version = match self.api.list(accounts, None, Vec::new()).await {
            Ok(page) => Ok(format!("{API_VERSION_DATE} accepted ({} on the first page of accounts)", page.items.len())),
            Err(error) => Err(format!("{API_VERSION_DATE}: {error}")),
        };
        let version_ok = version.is_ok();
        checks.push(check("API version", version));

        let settings = self.settings().await?;
        let view = self.permission_record().await?.view(settings.actions_enabled)?;
        let missing = permissions::missing(&view);
        let unconfirmed = view.iter().filter(|p| p.state == PermissionState::Requested).count();
        checks.push(check(
            "permissions",
            if !missing.is_empty() {
                Err(format!("missing {}: reconnect Whop and approve them", missing.join(", ")))
            } else if unconfirmed > 0 {
                Ok(format!("{unconfirmed} asked for; Whop did not list what it granted (the lists below tell)"))
            } else {
                Ok(format!("all {} granted", view.iter().filter(|p| p.state == PermissionState::Granted).count()))
            },
        ));
        if !version_ok {
            return Ok(checks);
        }

        let chosen = match businesses::chosen(&self.store).await? {
            Chosen::These(list) if !list.is_empty() => list,
            Chosen::These(_) => {
                checks.push(check("businesses", Err("no business account: sync Whop first".into())));
                return Ok(checks);
            }
            Chosen::Undecided => {
                checks.push(check(
                    "businesses",
                    Err("several business accounts and none chosen: `dealdesk-cli whop businesses --select ID`".into()),
                ));
                return Ok(checks);
            }
        };
        for business in chosen {
            for resource in Resource::PER_BUSINESS {
                let target = Target::of_business(resource, &business.id);
                checks
                    .push(check(&format!("{} · {}", business.title, resource.name()), self.first_page(&target).await));
            }
            let product: Option<String> = sqlx::query_scalar(
                "SELECT id FROM whop_product WHERE account_id = ? AND remote_deleted_at IS NULL
                 ORDER BY created_at, id LIMIT 1",
            )
            .bind(&business.id)
            .fetch_optional(self.store.pool())
            .await?;
            let reviews = match product {
                Some(product) => self.first_page(&Target::reviews(&business.id, &product)).await,
                None => Ok("no product synced yet to list reviews of".into()),
            };
            checks.push(check(&format!("{} · reviews", business.title), reviews));
        }
        Ok(checks)
    }

    /// The first page of a target's list, asked for as the sync asks for it.
    async fn first_page(&self, target: &Target) -> Result<String, String> {
        let endpoint = contract::endpoint(target.resource.sdk_method()).map_err(|e| e.to_string())?;
        let query = target.query();
        match self.api.list(endpoint, None, query).await {
            Ok(page) => Ok(format!(
                "{} answered: {} on the first page{}",
                endpoint.path,
                page.items.len(),
                if page.has_next_page { ", more after it" } else { "" }
            )),
            Err(error) => {
                self.note_refusal(&error).await;
                Err(error.to_string())
            }
        }
    }

    /// Any HTTP answer from `url` (without a token: 4xx is expected) means the host is reachable.
    async fn reachable(&self, url: &str) -> Result<String, String> {
        match self.http.get(url).timeout(std::time::Duration::from_secs(15)).send().await {
            Ok(response) => Ok(format!("{url} answered {}", response.status().as_u16())),
            Err(error) => Err(format!("{url}: {}", dealdesk_net::describe_reqwest(&error))),
        }
    }
}
