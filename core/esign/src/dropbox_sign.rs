//! Dropbox Sign API v3 with the user's API key (its OAuth needs a client secret, which a desktop
//! app cannot keep): signature requests sent as multipart with the PDF and text tags, status by
//! polling, files downloaded (409 while they are prepared), and cancel (asynchronous).

use super::error::EsignError;
use super::http::{EsignHttp, MAX_JSON, MAX_PDF, Reply, check_pdf};
use super::provider::{
    Outgoing, RemoteSigner, RemoteStatus, SignatureProvider, SignedFiles, VoidOutcome, status_from_signers,
};
use dealdesk_model::contract::{ContractStatus, SignatureProviderKind, SignerStatus};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

const PROVIDER: &str = "Dropbox Sign";
pub const API_URL_ENV: &str = "DEALDESK_DROPBOX_SIGN_API_URL";
pub const API_KEY_ENV: &str = "DEALDESK_DROPBOX_SIGN_API_KEY";
pub const DEFAULT_API_URL: &str = "https://api.hellosign.com/v3";
/// Sends are free and not binding in test mode; `DEALDESK_DROPBOX_SIGN_TEST_MODE=0` turns it off.
pub const TEST_MODE_ENV: &str = "DEALDESK_DROPBOX_SIGN_TEST_MODE";
const CONTRACT_METADATA: &str = "dealdesk_contract_id";
/// Signature requests listed when looking for a send whose answer was lost.
const FIND_PAGE_SIZE: &str = "50";

pub struct DropboxSign {
    http: EsignHttp,
    api_url: String,
    api_key: String,
    test_mode: bool,
}

impl DropboxSign {
    pub fn new(http: dealdesk_net::LazyHttp, api_url: &str, api_key: String, test_mode: bool) -> DropboxSign {
        // The standard limit is 100 per minute (25 for sends and files, 10 in test mode).
        DropboxSign {
            http: EsignHttp::new(PROVIDER, http, if test_mode { 10 } else { 25 }, Duration::from_secs(60)),
            api_url: api_url.trim_end_matches('/').to_string(),
            api_key,
            test_mode,
        }
    }

    async fn get(&self, path: &str, limit: usize) -> Result<Reply, EsignError> {
        let url = format!("{}{path}", self.api_url);
        let key = self.api_key.clone();
        self.http.send(&move |client| client.get(&url).basic_auth(&key, Some("")), limit).await
    }

    async fn get_json(&self, path: &str) -> Result<Value, EsignError> {
        let reply = self.get(path, MAX_JSON).await?;
        if !(200..300).contains(&reply.status) {
            return Err(api_error(&reply));
        }
        reply.json(PROVIDER)
    }
}

fn api_error(reply: &Reply) -> EsignError {
    let parsed: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    let error = parsed.get("error");
    let code = error.and_then(|e| e.get("error_name")).and_then(Value::as_str).map(str::to_string);
    let message = error
        .and_then(|e| e.get("error_msg"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)]).trim().to_string());
    if reply.status == 401 {
        return EsignError::NotConnected {
            provider: PROVIDER,
            hint: "the API key was refused: paste a valid key in Settings → Contracts",
        };
    }
    EsignError::Api { provider: PROVIDER, status: reply.status, code, message, retry_after: reply.retry_after }
}

fn checked_id(id: &str) -> Result<&str, EsignError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(EsignError::Invalid(format!("not a Dropbox Sign request id: {id:?}")))
    }
}

/// A signature request in Dealdesk's terms.
fn remote_status(request: &Value) -> Result<RemoteStatus, EsignError> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let time = |v: &Value, key: &str| {
        v.get(key).and_then(Value::as_i64).and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.to_rfc3339())
    };
    let remote_id = text(request, "signature_request_id")
        .filter(|id| checked_id(id).is_ok())
        .ok_or_else(|| EsignError::Decode { provider: PROVIDER, message: "a request without a valid id".into() })?;
    let signers: Vec<RemoteSigner> = request
        .get("signatures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            let code = text(s, "status_code").unwrap_or_default();
            let status = match code.as_str() {
                "signed" => SignerStatus::Signed,
                "declined" => SignerStatus::Declined,
                _ if s.get("last_viewed_at").is_some_and(|v| !v.is_null()) => SignerStatus::Viewed,
                _ => SignerStatus::Waiting,
            };
            RemoteSigner {
                email: text(s, "signer_email_address").unwrap_or_default(),
                status,
                at: match status {
                    SignerStatus::Signed => time(s, "signed_at"),
                    SignerStatus::Viewed => time(s, "last_viewed_at"),
                    _ => None,
                },
                declined_reason: text(s, "decline_reason"),
            }
        })
        .collect();
    let flag = |key: &str| request.get(key).and_then(Value::as_bool).unwrap_or(false);
    let status = if flag("has_error") {
        ContractStatus::Failed
    } else if flag("is_declined") {
        ContractStatus::Declined
    } else if flag("is_complete") {
        ContractStatus::Completed
    } else {
        status_from_signers(&signers)
    };
    Ok(RemoteStatus { remote_id, status, signers, detail: None })
}

/// The multipart form of `POST /signature_request/send`, as (name, value) text parts; the PDF is
/// added as `files[0]`. Text tags in the document place the fields; `hide_text_tags` keeps them
/// out of sight.
pub fn send_form(outgoing: &Outgoing<'_>, test_mode: bool) -> Vec<(String, String)> {
    let title: String = outgoing.title.chars().take(200).collect();
    let mut parts = vec![
        ("title".to_string(), title.clone()),
        ("subject".to_string(), title),
        ("message".to_string(), "Please review and sign this document.".to_string()),
        ("test_mode".to_string(), if test_mode { "1" } else { "0" }.to_string()),
        ("use_text_tags".to_string(), "1".to_string()),
        ("hide_text_tags".to_string(), "1".to_string()),
        (format!("metadata[{CONTRACT_METADATA}]"), outgoing.contract_id.to_string()),
    ];
    for (i, (name, email)) in outgoing.signers.iter().enumerate() {
        parts.push((format!("signers[{i}][name]"), name.clone()));
        parts.push((format!("signers[{i}][email_address]"), email.clone()));
        parts.push((format!("signers[{i}][order]"), i.to_string()));
    }
    parts
}

impl SignatureProvider for DropboxSign {
    fn kind(&self) -> SignatureProviderKind {
        SignatureProviderKind::DropboxSign
    }

    async fn send(&self, outgoing: &Outgoing<'_>) -> Result<RemoteStatus, EsignError> {
        let url = format!("{}/signature_request/send", self.api_url);
        let parts = send_form(outgoing, self.test_mode);
        let pdf = outgoing.pdf.to_vec();
        let file_name = "contract.pdf".to_string();
        let key = self.api_key.clone();
        let build = move |client: &reqwest::Client| {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in &parts {
                form = form.text(name.clone(), value.clone());
            }
            let file = reqwest::multipart::Part::bytes(pdf.clone()).file_name(file_name.clone());
            let file = file
                .mime_str("application/pdf")
                .unwrap_or_else(|_| reqwest::multipart::Part::bytes(pdf.clone()).file_name(file_name.clone()));
            form = form.part("files[0]", file);
            client.post(&url).basic_auth(&key, Some("")).multipart(form)
        };
        // Never repeated here: the outbox looks a lost send up before trying again.
        let reply = self.http.send_with(&build, MAX_JSON, false).await?;
        if !(200..300).contains(&reply.status) {
            return Err(api_error(&reply));
        }
        let answer = reply.json(PROVIDER)?;
        let request = answer.get("signature_request").ok_or_else(|| EsignError::Decode {
            provider: PROVIDER,
            message: "no signature_request in the answer".into(),
        })?;
        remote_status(request)
    }

    async fn find_sent(&self, contract_id: Uuid) -> Result<Option<RemoteStatus>, EsignError> {
        let answer = self.get_json(&format!("/signature_request/list?page=1&page_size={FIND_PAGE_SIZE}")).await?;
        let wanted = contract_id.to_string();
        for request in answer.get("signature_requests").and_then(Value::as_array).into_iter().flatten() {
            let tagged = request.pointer(&format!("/metadata/{CONTRACT_METADATA}")).and_then(Value::as_str);
            if tagged == Some(wanted.as_str()) {
                return remote_status(request).map(Some);
            }
        }
        Ok(None)
    }

    async fn statuses(&self, remote_ids: &[String], _since: &str) -> Result<Vec<RemoteStatus>, EsignError> {
        // The list is newest first; pages are read until every open request was seen (or the
        // pages run out: requests older than that are read one by one).
        let mut wanted: std::collections::HashSet<&str> = remote_ids.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        let mut page = 1;
        while !wanted.is_empty() && page <= 5 {
            let answer = self.get_json(&format!("/signature_request/list?page={page}&page_size=100")).await?;
            let requests = answer.get("signature_requests").and_then(Value::as_array).cloned().unwrap_or_default();
            for request in &requests {
                let status = remote_status(request)?;
                if wanted.remove(status.remote_id.as_str()) {
                    found.push(status);
                }
            }
            let pages = answer.pointer("/list_info/num_pages").and_then(Value::as_i64).unwrap_or(1);
            if requests.is_empty() || page >= pages {
                break;
            }
            page += 1;
        }
        for id in wanted {
            match self.status(id).await {
                Ok(status) => found.push(status),
                // Cancelled requests are deleted: the list and the request are gone.
                Err(EsignError::Api { status: 410, .. }) => found.push(RemoteStatus {
                    remote_id: id.to_string(),
                    status: ContractStatus::Voided,
                    signers: Vec::new(),
                    detail: Some("cancelled".into()),
                }),
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    async fn status(&self, remote_id: &str) -> Result<RemoteStatus, EsignError> {
        let id = checked_id(remote_id)?;
        let reply = self.get(&format!("/signature_request/{id}"), MAX_JSON).await?;
        if reply.status == 410 {
            // A cancelled request is deleted: that is how the asynchronous cancel is confirmed.
            return Ok(RemoteStatus {
                remote_id: id.to_string(),
                status: ContractStatus::Voided,
                signers: Vec::new(),
                detail: Some("cancelled".into()),
            });
        }
        if !(200..300).contains(&reply.status) {
            return Err(api_error(&reply));
        }
        let answer = reply.json(PROVIDER)?;
        let request = answer.get("signature_request").ok_or_else(|| EsignError::Decode {
            provider: PROVIDER,
            message: "no signature_request in the answer".into(),
        })?;
        remote_status(request)
    }

    async fn download(&self, remote_id: &str) -> Result<SignedFiles, EsignError> {
        let id = checked_id(remote_id)?;
        // 409 while the files are prepared: a few short waits here, then the caller retries later.
        for attempt in 0..4u32 {
            let reply = self.get(&format!("/signature_request/files/{id}?file_type=pdf"), MAX_PDF).await?;
            if reply.status == 409 {
                let wait = reply.retry_after.unwrap_or(Duration::from_millis(500 * (1 << attempt)));
                tracing::debug!(?wait, "dropbox sign: files are still being prepared");
                tokio::time::sleep(wait.min(Duration::from_secs(5))).await;
                continue;
            }
            if reply.status != 200 {
                return Err(api_error(&reply));
            }
            check_pdf(PROVIDER, &reply)?;
            return Ok(SignedFiles { pdf: reply.body, certificate: None });
        }
        Err(EsignError::Api {
            provider: PROVIDER,
            status: 409,
            code: Some("conflict".into()),
            message: "the signed files are still being prepared; Dealdesk tries again later".into(),
            retry_after: None,
        })
    }

    async fn void(&self, remote_id: &str, _reason: &str) -> Result<VoidOutcome, EsignError> {
        let id = checked_id(remote_id)?;
        let url = format!("{}/signature_request/cancel/{id}", self.api_url);
        let key = self.api_key.clone();
        let reply = self.http.send(&move |client| client.post(&url).basic_auth(&key, Some("")), MAX_JSON).await?;
        if !(200..300).contains(&reply.status) {
            return Err(api_error(&reply));
        }
        Ok(VoidOutcome::Requested)
    }
}
