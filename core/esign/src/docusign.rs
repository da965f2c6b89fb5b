//! DocuSign eSignature REST v2.1: sign-in with the public authorization-code grant and PKCE (no
//! client secret in the app), the account and base URI from `/oauth/userinfo`, envelopes from the
//! rendered PDF with anchor tabs, batched status polling, downloads and void.

use super::error::EsignError;
use super::http::{EsignHttp, MAX_JSON, MAX_PDF, Reply, check_pdf};
use super::provider::{Outgoing, RemoteSigner, RemoteStatus, SignatureProvider, SignedFiles, VoidOutcome};
use base64::Engine as _;
use dealdesk_model::contract::{ContractStatus, SignatureProviderKind, SignerStatus};
use dealdesk_net::oauth::{Callback, OAuthError, PendingLogins, Pkce};
use dealdesk_net::secrets::SecretStore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const PROVIDER: &str = "DocuSign";
pub const OAUTH_URL_ENV: &str = "DEALDESK_DOCUSIGN_OAUTH_URL";
pub const API_URL_ENV: &str = "DEALDESK_DOCUSIGN_API_URL";
pub const CLIENT_ID_ENV: &str = "DEALDESK_DOCUSIGN_CLIENT_ID";
/// The CLI's loopback redirect port (registered with the integration key, so fixed).
pub const LOOPBACK_PORT_ENV: &str = "DEALDESK_DOCUSIGN_LOOPBACK_PORT";
pub const DEFAULT_LOOPBACK_PORT: u16 = 47616;
/// The demo environment's sign-in host (production is account.docusign.com).
pub const DEFAULT_OAUTH_URL: &str = "https://account-d.docusign.com/oauth";
/// Dealdesk's integration key (a public "Native OS Application" client: PKCE, no secret).
pub const DEFAULT_CLIENT_ID: &str = "dealdesk-docusign-sandbox";
pub const DEEP_LINK_REDIRECT: &str = "dealdesk://oauth/docusign/callback";
pub const DEEP_LINK_PATH: &str = "oauth/docusign/callback";
/// The envelope custom field that names the Dealdesk contract (finds a send whose answer was lost).
const CONTRACT_FIELD: &str = "dealdesk_contract_id";
/// Refresh this long before the access token expires.
const REFRESH_MARGIN_SECS: i64 = 120;
/// How long a started sign-in waits for its redirect.
const LOGIN_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct DocuSignConfig {
    /// `…/auth`, `…/token`, `…/userinfo` live under it; no trailing slash.
    pub oauth_url: String,
    /// Overrides the account's base URI (`{base_uri}/restapi`), for the sandbox.
    pub api_url: Option<String>,
    pub client_id: String,
    pub loopback_port: u16,
}

impl DocuSignConfig {
    pub fn from_env() -> DocuSignConfig {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().trim_end_matches('/').to_string());
        DocuSignConfig {
            oauth_url: var(OAUTH_URL_ENV).filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_OAUTH_URL.into()),
            api_url: var(API_URL_ENV).filter(|v| !v.is_empty()),
            client_id: var(CLIENT_ID_ENV).filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_CLIENT_ID.into()),
            loopback_port: var(LOOPBACK_PORT_ENV).and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_LOOPBACK_PORT),
        }
    }
}

/// What the keyring holds for DocuSign.
#[derive(Clone, Serialize, Deserialize)]
pub struct DocuSignTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub account_id: String,
    pub account_name: String,
    /// `https://demo.docusign.net` and the like; the REST base is `{base_uri}/restapi`.
    pub base_uri: String,
}

impl std::fmt::Debug for DocuSignTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocuSignTokens").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

struct PendingLogin {
    verifier: String,
    redirect_uri: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// The sign-in and the tokens.
pub struct DocuSignAuth {
    config: DocuSignConfig,
    http: dealdesk_net::LazyHttp,
    secrets: Arc<dyn SecretStore>,
    entry: String,
    pending: PendingLogins<PendingLogin>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl DocuSignAuth {
    pub fn new(
        config: DocuSignConfig,
        http: dealdesk_net::LazyHttp,
        secrets: Arc<dyn SecretStore>,
        entry: String,
    ) -> Self {
        DocuSignAuth {
            config,
            http,
            secrets,
            entry,
            pending: PendingLogins::new(LOGIN_TTL),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The browser page that starts a sign-in; the redirect comes back to `redirect_uri`.
    pub fn start_login(&self, redirect_uri: &str) -> Result<String, EsignError> {
        let pkce = Pkce::new();
        let mut url = url::Url::parse(&format!("{}/auth", self.config.oauth_url))
            .map_err(|e| EsignError::Config(format!("DocuSign OAuth URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("scope", "signature")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &pkce.state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        self.pending
            .insert(pkce.state, PendingLogin { verifier: pkce.verifier, redirect_uri: redirect_uri.to_string() });
        Ok(url.to_string())
    }

    /// Completes a sign-in from its redirect: the state must match a login in progress (single
    /// use), the code is exchanged with the PKCE verifier, and the default account is read.
    pub async fn complete_login(&self, callback: &Callback) -> Result<DocuSignTokens, EsignError> {
        let (login, code) = self.pending.take(callback).map_err(|error| EsignError::Login {
            provider: PROVIDER,
            message: match error {
                OAuthError::UnknownState => {
                    "the sign-in link matches no sign-in in progress (expired, used, or not started here)".into()
                }
                OAuthError::Denied { error, description } => {
                    format!("{error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())
                }
                other => other.to_string(),
            },
        })?;
        let answer = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &login.verifier),
                ("redirect_uri", &login.redirect_uri),
                ("client_id", &self.config.client_id),
            ])
            .await?;
        let tokens = self.with_account(answer).await?;
        self.store(&tokens)?;
        tracing::info!(account = %tokens.account_name, "docusign: signed in");
        Ok(tokens)
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenAnswer, EsignError> {
        let url = format!("{}/token", self.config.oauth_url);
        let response = self.http.post(&url).form(form).timeout(Duration::from_secs(30)).send().await.map_err(|e| {
            if e.is_connect() {
                EsignError::Network {
                    provider: PROVIDER,
                    url: url.clone(),
                    message: dealdesk_net::describe_reqwest(&e),
                }
            } else {
                // A timeout or a broken answer: worth another try later.
                EsignError::Decode { provider: PROVIDER, message: dealdesk_net::describe_reqwest(&e) }
            }
        })?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| EsignError::Decode { provider: PROVIDER, message: dealdesk_net::describe_reqwest(&e) })?;
        if status == 429 || status >= 500 {
            return Err(EsignError::Api {
                provider: PROVIDER,
                status,
                code: None,
                message: "the sign-in service is busy".into(),
                retry_after: None,
            });
        }
        if status != 200 {
            let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let error = parsed.get("error").and_then(Value::as_str).unwrap_or("error");
            let description = parsed.get("error_description").and_then(Value::as_str).unwrap_or_default();
            return Err(EsignError::Login {
                provider: PROVIDER,
                message: format!("the token endpoint answered {status}: {error} {description}").trim().to_string(),
            });
        }
        serde_json::from_slice(&body)
            .map_err(|e| EsignError::Decode { provider: PROVIDER, message: format!("token answer: {e}") })
    }

    /// Reads the default account and its base URI from `/oauth/userinfo`.
    async fn with_account(&self, answer: TokenAnswer) -> Result<DocuSignTokens, EsignError> {
        let url = format!("{}/userinfo", self.config.oauth_url);
        let response = self
            .http
            .get(&url)
            .bearer_auth(&answer.access_token)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| EsignError::Login { provider: PROVIDER, message: dealdesk_net::describe_reqwest(&e) })?;
        let status = response.status().as_u16();
        let info: Value = response
            .json()
            .await
            .map_err(|e| EsignError::Decode { provider: PROVIDER, message: format!("userinfo: {e}") })?;
        if status != 200 {
            return Err(EsignError::Login { provider: PROVIDER, message: format!("userinfo answered {status}") });
        }
        let accounts = info.get("accounts").and_then(Value::as_array).cloned().unwrap_or_default();
        let account = accounts
            .iter()
            .find(|a| a.get("is_default").and_then(Value::as_bool) == Some(true))
            .or(accounts.first())
            .ok_or_else(|| EsignError::Login {
                provider: PROVIDER,
                message: "the user has no DocuSign account".into(),
            })?;
        let text = |key: &str| account.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let base_uri = text("base_uri");
        let checked = url::Url::parse(&base_uri)
            .ok()
            .filter(|u| u.scheme() == "https" || u.host_str() == Some("127.0.0.1"))
            .ok_or_else(|| EsignError::Decode {
                provider: PROVIDER,
                message: format!("account base URI {base_uri:?}"),
            })?;
        let account_id = text("account_id");
        if account_id.is_empty() || !account_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(EsignError::Decode {
                provider: PROVIDER,
                message: "the account id is missing or malformed".into(),
            });
        }
        Ok(DocuSignTokens {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
            expires_at: chrono::Utc::now().timestamp() + answer.expires_in.unwrap_or(3600),
            account_id,
            account_name: text("account_name"),
            base_uri: checked.as_str().trim_end_matches('/').to_string(),
        })
    }

    fn store(&self, tokens: &DocuSignTokens) -> Result<(), EsignError> {
        let json = serde_json::to_string(tokens).map_err(|e| EsignError::Config(e.to_string()))?;
        Ok(self.secrets.set(&self.entry, &json)?)
    }

    pub fn tokens(&self) -> Result<Option<DocuSignTokens>, EsignError> {
        let Some(json) = self.secrets.get(&self.entry)? else { return Ok(None) };
        match serde_json::from_str(&json) {
            Ok(tokens) => Ok(Some(tokens)),
            Err(error) => {
                tracing::warn!(%error, "docusign: the stored sign-in is unreadable; sign in again");
                Ok(None)
            }
        }
    }

    pub fn logout(&self) -> Result<(), EsignError> {
        Ok(self.secrets.delete(&self.entry)?)
    }

    /// A usable access token and the REST base (`…/restapi/v2.1/accounts/{id}`), refreshed when
    /// it expires soon (or was just refused, `force`).
    pub async fn session(&self, force: bool) -> Result<(String, String), EsignError> {
        let not_connected = || EsignError::NotConnected {
            provider: PROVIDER,
            hint: "connect DocuSign in Settings → Contracts or run `dealdesk-cli contract login docusign`",
        };
        let mut tokens = self.tokens()?.ok_or_else(not_connected)?;
        if force || tokens.expires_at - chrono::Utc::now().timestamp() < REFRESH_MARGIN_SECS {
            let _guard = self.refresh_lock.lock().await;
            // Another caller may have refreshed while this one waited.
            let current = self.tokens()?.ok_or_else(not_connected)?;
            if current.access_token != tokens.access_token && !force {
                tokens = current;
            } else {
                let refresh = current.refresh_token.clone().ok_or_else(not_connected)?;
                let answer = match self
                    .token_request(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", &refresh),
                        ("client_id", &self.config.client_id),
                    ])
                    .await
                {
                    Ok(answer) => answer,
                    // The refresh token was refused (expired, revoked): the sign-in is over.
                    Err(EsignError::Login { message, .. }) => {
                        tracing::warn!(%message, "docusign: the sign-in expired; connect again");
                        self.logout()?;
                        return Err(EsignError::NotConnected {
                            provider: PROVIDER,
                            hint: "the sign-in expired: connect DocuSign again in Settings → Contracts",
                        });
                    }
                    Err(error) => return Err(error),
                };
                tokens = DocuSignTokens {
                    access_token: answer.access_token,
                    refresh_token: answer.refresh_token.or(current.refresh_token),
                    expires_at: chrono::Utc::now().timestamp() + answer.expires_in.unwrap_or(3600),
                    ..current
                };
                self.store(&tokens)?;
            }
        }
        let rest = match &self.config.api_url {
            Some(api) => api.clone(),
            None => format!("{}/restapi", tokens.base_uri),
        };
        Ok((tokens.access_token, format!("{rest}/v2.1/accounts/{}", tokens.account_id)))
    }
}

pub struct DocuSign {
    http: EsignHttp,
    auth: Arc<DocuSignAuth>,
}

/// What a call sends, built again for each attempt.
enum Body {
    None,
    Json(Value),
}

impl DocuSign {
    pub fn new(http: dealdesk_net::LazyHttp, auth: Arc<DocuSignAuth>) -> DocuSign {
        // DocuSign's burst limit is 200 per 30 s on demo; stay far below it.
        DocuSign { http: EsignHttp::new(PROVIDER, http, 120, Duration::from_secs(60)), auth }
    }

    /// One API call with the session; a 401 refreshes the token once and tries again.
    async fn call(&self, method: reqwest::Method, path: &str, body: Body, limit: usize) -> Result<Reply, EsignError> {
        // Creating an envelope is never repeated here (see `EsignHttp::send_with`).
        let retry = !(method == reqwest::Method::POST && path == "/envelopes");
        let mut force = false;
        loop {
            let (token, base) = self.auth.session(force).await?;
            let url = format!("{base}{path}");
            let build = |client: &reqwest::Client| {
                let request = client.request(method.clone(), &url).bearer_auth(&token);
                match &body {
                    Body::None => request,
                    Body::Json(json) => request.json(json),
                }
            };
            let reply = self.http.send_with(&build, limit, retry).await?;
            if reply.status == 401 && !force {
                force = true;
                continue;
            }
            return Ok(reply);
        }
    }

    async fn call_json(&self, method: reqwest::Method, path: &str, body: Body) -> Result<Value, EsignError> {
        let reply = self.call(method, path, body, MAX_JSON).await?;
        if !(200..300).contains(&reply.status) {
            return Err(api_error(&reply));
        }
        reply.json(PROVIDER)
    }
}

fn api_error(reply: &Reply) -> EsignError {
    let parsed: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    let code = parsed.get("errorCode").and_then(Value::as_str).map(str::to_string);
    let message = parsed
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)]).trim().to_string());
    EsignError::Api { provider: PROVIDER, status: reply.status, code, message, retry_after: reply.retry_after }
}

fn signer_status(text: &str) -> SignerStatus {
    match text {
        "delivered" => SignerStatus::Viewed,
        "signed" | "completed" => SignerStatus::Signed,
        "declined" => SignerStatus::Declined,
        _ => SignerStatus::Waiting,
    }
}

/// An envelope (with `recipients` when asked for) in Dealdesk's terms.
fn remote_status(envelope: &Value) -> Result<RemoteStatus, EsignError> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let remote_id = text(envelope, "envelopeId")
        .filter(|id| !id.is_empty() && id.len() <= 100)
        .ok_or_else(|| EsignError::Decode { provider: PROVIDER, message: "an envelope without envelopeId".into() })?;
    let signers: Vec<RemoteSigner> = envelope
        .pointer("/recipients/signers")
        .and_then(Value::as_array)
        .map(|signers| {
            signers
                .iter()
                .map(|s| {
                    let status = signer_status(&text(s, "status").unwrap_or_default());
                    RemoteSigner {
                        email: text(s, "email").unwrap_or_default(),
                        status,
                        at: match status {
                            SignerStatus::Signed => text(s, "signedDateTime"),
                            SignerStatus::Declined => text(s, "declinedDateTime"),
                            SignerStatus::Viewed => text(s, "deliveredDateTime"),
                            SignerStatus::Waiting => None,
                        },
                        declined_reason: text(s, "declinedReason"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let envelope_status = text(envelope, "status").unwrap_or_default();
    let mut status = match envelope_status.as_str() {
        "created" | "sent" => ContractStatus::Sent,
        "delivered" => ContractStatus::Viewed,
        "signed" => ContractStatus::PartiallySigned,
        "completed" => ContractStatus::Completed,
        "declined" => ContractStatus::Declined,
        "voided" => ContractStatus::Voided,
        other => {
            return Err(EsignError::Decode {
                provider: PROVIDER,
                message: format!("unknown envelope status {other:?}"),
            });
        }
    };
    if matches!(status, ContractStatus::Sent | ContractStatus::Viewed)
        && signers.iter().any(|s| s.status == SignerStatus::Signed)
    {
        status = ContractStatus::PartiallySigned;
    }
    Ok(RemoteStatus { remote_id, status, signers, detail: text(envelope, "voidedReason") })
}

fn checked_id(id: &str) -> Result<&str, EsignError> {
    if !id.is_empty() && id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(id)
    } else {
        Err(EsignError::Invalid(format!("not a DocuSign envelope id: {id:?}")))
    }
}

/// The envelope definition for a contract: the PDF, one signer per person in order, and anchor
/// tabs matching the anchors the renderer wrote (`/sig1/`, `/date1/`, `/name1/`).
pub fn envelope_definition(outgoing: &Outgoing<'_>) -> Value {
    let anchor = |text: String| {
        json!({"anchorString": text, "anchorUnits": "pixels", "anchorXOffset": "0", "anchorYOffset": "-4",
               "anchorIgnoreIfNotPresent": "false"})
    };
    let signers: Vec<Value> = outgoing
        .signers
        .iter()
        .enumerate()
        .map(|(i, (name, email))| {
            let n = i + 1;
            json!({
                "email": email,
                "name": name,
                "recipientId": n.to_string(),
                "routingOrder": n.to_string(),
                "tabs": {
                    "signHereTabs": [anchor(format!("/sig{n}/"))],
                    "dateSignedTabs": [anchor(format!("/date{n}/"))],
                    "fullNameTabs": [anchor(format!("/name{n}/"))],
                }
            })
        })
        .collect();
    let subject: String = outgoing.title.chars().take(100).collect();
    json!({
        "emailSubject": subject,
        "status": "sent",
        "documents": [{
            "documentId": "1",
            "name": format!("{}.pdf", subject),
            "fileExtension": "pdf",
            "documentBase64": base64::engine::general_purpose::STANDARD.encode(outgoing.pdf),
        }],
        "recipients": {"signers": signers},
        "customFields": {"textCustomFields": [
            {"name": CONTRACT_FIELD, "value": outgoing.contract_id.to_string(), "show": "false", "required": "false"}
        ]},
    })
}

impl SignatureProvider for DocuSign {
    fn kind(&self) -> SignatureProviderKind {
        SignatureProviderKind::DocuSign
    }

    async fn send(&self, outgoing: &Outgoing<'_>) -> Result<RemoteStatus, EsignError> {
        let answer =
            self.call_json(reqwest::Method::POST, "/envelopes", Body::Json(envelope_definition(outgoing))).await?;
        let remote_id = answer
            .get("envelopeId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| EsignError::Decode { provider: PROVIDER, message: "the new envelope has no id".into() })?;
        checked_id(&remote_id)?;
        Ok(RemoteStatus { remote_id, status: ContractStatus::Sent, signers: Vec::new(), detail: None })
    }

    async fn find_sent(&self, contract_id: Uuid) -> Result<Option<RemoteStatus>, EsignError> {
        let from = (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("from_date", &from)
            .append_pair("custom_field", &format!("{CONTRACT_FIELD}={contract_id}"))
            .append_pair("include", "recipients,custom_fields")
            .finish();
        let answer = self.call_json(reqwest::Method::GET, &format!("/envelopes?{query}"), Body::None).await?;
        let wanted = contract_id.to_string();
        // Checked here too: an envelope is only adopted if it carries this contract's id.
        let tagged = |envelope: &&Value| {
            envelope.pointer("/customFields/textCustomFields").and_then(Value::as_array).is_some_and(|fields| {
                fields.iter().any(|f| {
                    f.get("name").and_then(Value::as_str) == Some(CONTRACT_FIELD)
                        && f.get("value").and_then(Value::as_str) == Some(wanted.as_str())
                })
            })
        };
        let envelopes = answer.get("envelopes").and_then(Value::as_array).cloned().unwrap_or_default();
        envelopes.iter().find(tagged).map(remote_status).transpose()
    }

    async fn statuses(&self, remote_ids: &[String], since: &str) -> Result<Vec<RemoteStatus>, EsignError> {
        let mut found = Vec::new();
        // DocuSign caps envelope_ids per call; 100 keeps the URL short.
        for chunk in remote_ids.chunks(100) {
            for id in chunk {
                checked_id(id)?;
            }
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("from_date", since)
                .append_pair("envelope_ids", &chunk.join(","))
                .append_pair("include", "recipients")
                .finish();
            let answer = self.call_json(reqwest::Method::GET, &format!("/envelopes?{query}"), Body::None).await?;
            for envelope in answer.get("envelopes").and_then(Value::as_array).into_iter().flatten() {
                // One envelope Dealdesk cannot read does not hide the others.
                match remote_status(envelope) {
                    Ok(status) => found.push(status),
                    Err(error) => tracing::warn!(%error, "docusign: skipped an envelope in a status list"),
                }
            }
        }
        Ok(found)
    }

    async fn status(&self, remote_id: &str) -> Result<RemoteStatus, EsignError> {
        let id = checked_id(remote_id)?;
        let answer =
            self.call_json(reqwest::Method::GET, &format!("/envelopes/{id}?include=recipients"), Body::None).await?;
        remote_status(&answer)
    }

    async fn download(&self, remote_id: &str) -> Result<SignedFiles, EsignError> {
        let id = checked_id(remote_id)?;
        let pdf = self
            .call(
                reqwest::Method::GET,
                &format!("/envelopes/{id}/documents/combined?certificate=false"),
                Body::None,
                MAX_PDF,
            )
            .await?;
        if pdf.status != 200 {
            return Err(api_error(&pdf));
        }
        check_pdf(PROVIDER, &pdf)?;
        let certificate = self
            .call(reqwest::Method::GET, &format!("/envelopes/{id}/documents/certificate"), Body::None, MAX_PDF)
            .await?;
        let certificate = if certificate.status == 200 {
            check_pdf(PROVIDER, &certificate)?;
            Some(certificate.body)
        } else {
            tracing::info!(status = certificate.status, "docusign: no certificate of completion");
            None
        };
        Ok(SignedFiles { pdf: pdf.body, certificate })
    }

    async fn void(&self, remote_id: &str, reason: &str) -> Result<VoidOutcome, EsignError> {
        let id = checked_id(remote_id)?;
        let reason: String = reason.chars().filter(|c| !c.is_control()).take(200).collect();
        self.call_json(
            reqwest::Method::PUT,
            &format!("/envelopes/{id}"),
            Body::Json(json!({"status": "voided", "voidedReason": reason})),
        )
        .await?;
        Ok(VoidOutcome::Voided)
    }
}
