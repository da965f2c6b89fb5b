//! The DocuSign- and Dropbox-Sign-style routes against a real sandbox server over HTTP: OAuth with PKCE,
//! envelopes and signature requests through their life, downloads, void and cancel, auth, faults,
//! auto-advance and the control endpoints.

// Shared helpers below are not `#[test]` functions, so clippy's allow-unwrap-in-tests does not reach them;
// a panic is the right failure mode in test code.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dealdesk_sandbox::{EsignProvider, Fault, FaultKind, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const VERIFIER: &str = "docusign-sandbox-verifier-0123456789-abcdefghijklmnop";
const REDIRECT: &str = "http://127.0.0.1:53682/docusign/callback";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::with_members(1)).await.unwrap()
}

/// One answer: status, headers and the body as bytes and as JSON (null if it is not JSON).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
    json: Value,
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, bytes, json }
}

fn query_of(location: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str(location.split_once('?').map_or("", |(_, q)| q)).unwrap()
}

fn assert_pdf(bytes: &[u8]) {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(40)]));
    assert!(bytes.ends_with(b"%%EOF"));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---- DocuSign ----

struct DocuSign {
    http: reqwest::Client,
    token: String,
    /// `{base_uri}/restapi/v2.1/accounts/{account_id}`
    account_url: String,
}

impl DocuSign {
    async fn get(&self, path: &str) -> Answer {
        answer(self.http.get(format!("{}{path}", self.account_url)).bearer_auth(&self.token).send().await.unwrap())
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        let url = format!("{}{path}", self.account_url);
        answer(self.http.post(url).bearer_auth(&self.token).json(body).send().await.unwrap()).await
    }

    async fn put(&self, path: &str, body: &Value) -> Answer {
        let url = format!("{}{path}", self.account_url);
        answer(self.http.put(url).bearer_auth(&self.token).json(body).send().await.unwrap()).await
    }

    /// Creates a sent envelope and returns its id.
    async fn send(&self, subject: &str, signers: &[(&str, &str)]) -> String {
        let resp = self.post("/envelopes", &envelope(subject, signers, "sent")).await;
        assert_eq!(resp.status, StatusCode::CREATED, "{}", resp.json);
        resp.json["envelopeId"].as_str().unwrap().to_string()
    }
}

fn envelope(subject: &str, signers: &[(&str, &str)], status: &str) -> Value {
    let signers: Vec<Value> = signers
        .iter()
        .enumerate()
        .map(|(i, (name, email))| {
            json!({
                "email": email, "name": name, "recipientId": (i + 1).to_string(), "routingOrder": (i + 1).to_string(),
                "tabs": {
                    "signHereTabs": [{ "anchorString": format!("/sig{}/", i + 1), "anchorUnits": "pixels",
                                       "anchorXOffset": "0", "anchorYOffset": "0" }],
                    "dateSignedTabs": [{ "anchorString": format!("/date{}/", i + 1) }],
                    "fullNameTabs": [{ "anchorString": format!("/name{}/", i + 1) }],
                },
            })
        })
        .collect();
    json!({
        "emailSubject": subject,
        "status": status,
        "documents": [{ "documentId": "1", "name": "contract.pdf", "fileExtension": "pdf",
                        "documentBase64": STANDARD.encode(PDF) }],
        "recipients": { "signers": signers },
    })
}

/// The whole public-client login: authorize (auto-approved) → token with the verifier → userinfo.
async fn docusign_login(sb: &Sandbox) -> DocuSign {
    let http = client();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let resp = http
        .get(format!("{}/auth", sb.docusign_oauth_url()))
        .query(&[
            ("response_type", "code"),
            ("scope", "signature"),
            ("client_id", sb.docusign_client_id()),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "st-ds"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = query_of(&location);
    assert_eq!(q["state"], "st-ds");
    let code = q["code"].clone();
    let token_url = format!("{}/token", sb.docusign_oauth_url());
    let exchange = |verifier: &'static str| {
        http.post(&token_url)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("code_verifier", verifier),
                ("redirect_uri", REDIRECT),
                ("client_id", sb.docusign_client_id()),
            ])
            .send()
    };
    // A wrong verifier is refused and leaves the code usable.
    let wrong = answer(exchange("not-the-verifier-not-the-verifier-not-the-verifier").await.unwrap()).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json["error"], "invalid_grant");
    let tokens = answer(exchange(VERIFIER).await.unwrap()).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.json);
    assert_eq!(tokens.json["token_type"], "Bearer");
    assert_eq!(tokens.json["expires_in"], 28800);
    assert!(tokens.json["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    // Codes are one-time.
    let replay = answer(exchange(VERIFIER).await.unwrap()).await;
    assert_eq!((replay.status, replay.json["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // The refresh token works once.
    let refresh = |rt: String| {
        http.post(&token_url)
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt), ("client_id", sb.docusign_client_id())])
            .send()
    };
    let rt = tokens.json["refresh_token"].as_str().unwrap().to_string();
    let refreshed = answer(refresh(rt.clone()).await.unwrap()).await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert_eq!(answer(refresh(rt).await.unwrap()).await.json["error"], "invalid_grant");
    let token = refreshed.json["access_token"].as_str().unwrap().to_string();

    let info =
        answer(http.get(format!("{}/userinfo", sb.docusign_oauth_url())).bearer_auth(&token).send().await.unwrap())
            .await;
    assert_eq!(info.status, StatusCode::OK);
    let account = &info.json["accounts"][0];
    assert_eq!(account["is_default"], true);
    assert_eq!(account["account_name"], "Sandbox Account");
    let account_id = account["account_id"].as_str().unwrap();
    assert_eq!(account_id, sb.docusign_account_id());
    assert_eq!(account_id.len(), 36);
    let base_uri = account["base_uri"].as_str().unwrap();
    assert_eq!(format!("{base_uri}/restapi"), sb.docusign_api_url());
    DocuSign { http, token, account_url: format!("{base_uri}/restapi/v2.1/accounts/{account_id}") }
}

#[tokio::test]
async fn docusign_login_create_poll_complete_download() {
    let sb = start().await;
    let ds = docusign_login(&sb).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);

    let created = ds
        .post("/envelopes", &envelope("Please sign: Contract", &[("Ann", "ann@x.test"), ("Bob", "bob@x.test")], "sent"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    for h in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(created.headers.contains_key(h), "missing {h}");
    }
    let id = created.json["envelopeId"].as_str().unwrap().to_string();
    assert_eq!(created.json["status"], "sent");
    assert_eq!(created.json["uri"], format!("/envelopes/{id}"));
    assert!(created.json["statusDateTime"].as_str().unwrap().ends_with('Z'));
    let other = ds.send("Another", &[("Cy", "cy@x.test")]).await;
    assert_eq!(sb.esign_sent_count(), 2);

    // The request is stored as sent, PDF included.
    let docs = sb.esign_documents();
    assert_eq!(docs[0].provider, EsignProvider::DocuSign);
    assert_eq!(docs[0].pdf, PDF);
    assert_eq!(docs[0].request["recipients"]["signers"][0]["tabs"]["signHereTabs"][0]["anchorString"], "/sig1/");

    // Batched poll: both by from_date, one by envelope_ids, with recipients.
    let from = before.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let all = ds.get(&format!("/envelopes?from_date={from}")).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!((all.json["resultSetSize"].as_str(), all.json["totalSetSize"].as_str()), (Some("2"), Some("2")));
    assert!(all.json["envelopes"][0].get("recipients").is_none());
    assert!(all.json["envelopes"][0].get("completedDateTime").is_none());
    let one = ds.get(&format!("/envelopes?from_date={from}&envelope_ids={id}&include=recipients")).await;
    assert_eq!(one.json["resultSetSize"], "1");
    let env = &one.json["envelopes"][0];
    assert_eq!((env["envelopeId"].as_str(), env["status"].as_str()), (Some(id.as_str()), Some("sent")));
    assert_eq!(env["recipients"]["signers"][1]["email"], "bob@x.test");
    assert_eq!(env["recipients"]["signers"][0]["status"], "sent");
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(ds.get(&format!("/envelopes?from_date={future}")).await.json["resultSetSize"], "0");
    let missing = ds.get("/envelopes").await;
    assert_eq!(
        (missing.status, missing.json["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("INVALID_REQUEST_PARAMETER"))
    );

    // sent → delivered → Ann signs → Bob signs → completed.
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("delivered"));
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("delivered"));
    let recipients = ds.get(&format!("/envelopes/{id}/recipients")).await;
    assert_eq!(recipients.json["recipientCount"], "2");
    let signers = &recipients.json["signers"];
    assert_eq!((signers[0]["status"].as_str(), signers[1]["status"].as_str()), (Some("completed"), Some("sent")));
    assert!(signers[0]["signedDateTime"].is_string() && signers[1].get("signedDateTime").is_none());
    // The mark falls strictly between the earlier changes and the next one (times have ms steps).
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mark = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("completed"));
    assert_eq!(sb.esign_advance(&id), None);
    assert_eq!(sb.esign_status(&id).as_deref(), Some("completed"));

    // A poll from before the last change sees only the envelope that changed.
    let since = ds.get(&format!("/envelopes?from_date={mark}")).await;
    assert_eq!(since.json["resultSetSize"], "1");
    assert_eq!(since.json["envelopes"][0]["envelopeId"], id.as_str());
    let got = ds.get(&format!("/envelopes/{id}")).await;
    assert_eq!(got.json["status"], "completed");
    for field in ["createdDateTime", "sentDateTime", "deliveredDateTime", "completedDateTime", "statusChangedDateTime"]
    {
        let t = got.json[field].as_str().unwrap_or_else(|| panic!("{field} missing"));
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{field}: {t}");
    }
    assert!(got.json.get("voidedDateTime").is_none());
    assert_eq!(ds.get(&format!("/envelopes/{other}")).await.json["status"], "sent");

    // Downloads.
    let combined = ds.get(&format!("/envelopes/{id}/documents/combined")).await;
    assert_eq!(combined.status, StatusCode::OK);
    assert_eq!(combined.headers["content-type"], "application/pdf");
    assert_pdf(&combined.bytes);
    assert!(text(&combined.bytes).contains("Signed by Ann <ann@x.test>"));
    let certificate = ds.get(&format!("/envelopes/{id}/documents/certificate")).await;
    assert_pdf(&certificate.bytes);
    assert!(text(&certificate.bytes).contains("Certificate of Completion"));
    assert_eq!(ds.get(&format!("/envelopes/{id}/documents/1")).await.bytes, PDF);
    let unknown = ds.get(&format!("/envelopes/{id}/documents/7")).await;
    assert_eq!(
        (unknown.status, unknown.json["errorCode"].as_str()),
        (StatusCode::NOT_FOUND, Some("DOCUMENT_DOES_NOT_EXIST"))
    );

    // A completed envelope cannot be voided.
    let void = ds.put(&format!("/envelopes/{id}"), &json!({ "status": "voided", "voidedReason": "too late" })).await;
    assert_eq!(void.status, StatusCode::BAD_REQUEST);
    assert_eq!(void.json["errorCode"], "ENVELOPE_CANNOT_VOID_INVALID_STATE");

    // The log has every call, GETs included, with the create body as sent.
    let log = sb.esign_requests();
    let posts: Vec<_> = log.iter().filter(|r| r.method == "POST" && r.path.ends_with("/envelopes")).collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].body["emailSubject"], "Please sign: Contract");
    assert_eq!(posts[0].status, 201);
    let token_call = log.iter().find(|r| r.path == "/docusign/oauth/token").unwrap();
    assert_eq!(token_call.body["grant_type"], "authorization_code");
    assert!(log.iter().filter(|r| r.method == "GET" && r.path.ends_with("/envelopes")).count() >= 4);
    sb.clear_esign_requests();
    assert!(sb.esign_requests().is_empty());
}

#[tokio::test]
async fn docusign_void_and_decline() {
    let sb = start().await;
    let ds = DocuSign {
        http: client(),
        token: sb.mint_docusign_token(),
        account_url: format!("{}/v2.1/accounts/{}", sb.docusign_api_url(), sb.docusign_account_id()),
    };
    let id = ds.send("Void me", &[("Ann", "ann@x.test")]).await;
    let no_reason = ds.put(&format!("/envelopes/{id}"), &json!({ "status": "voided" })).await;
    assert_eq!(
        (no_reason.status, no_reason.json["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("INVALID_REQUEST_BODY"))
    );
    let void = ds.put(&format!("/envelopes/{id}"), &json!({ "status": "voided", "voidedReason": "Wrong terms" })).await;
    assert_eq!(void.status, StatusCode::OK);
    assert_eq!(void.json, json!({ "envelopeId": id }));
    let got = ds.get(&format!("/envelopes/{id}")).await;
    assert_eq!((got.json["status"].as_str(), got.json["voidedReason"].as_str()), (Some("voided"), Some("Wrong terms")));
    assert!(got.json["voidedDateTime"].is_string());
    let again = ds.put(&format!("/envelopes/{id}"), &json!({ "status": "voided", "voidedReason": "x" })).await;
    assert_eq!(again.json["errorCode"], "ENVELOPE_CANNOT_VOID_INVALID_STATE");
    assert_eq!(sb.esign_advance(&id), None);

    // Decline: the signer whose turn it is declines.
    let id = ds.send("Decline me", &[("Ann", "ann@x.test"), ("Bob", "bob@x.test")]).await;
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("delivered"));
    assert_eq!(sb.esign_decline(&id, "Price too high").as_deref(), Some("declined"));
    let got = ds.get(&format!("/envelopes/{id}?include=recipients")).await;
    assert_eq!(got.json["status"], "declined");
    assert!(got.json["declinedDateTime"].is_string());
    let ann = &got.json["recipients"]["signers"][0];
    assert_eq!((ann["status"].as_str(), ann["declinedReason"].as_str()), (Some("declined"), Some("Price too high")));
    let void = ds.put(&format!("/envelopes/{id}"), &json!({ "status": "voided", "voidedReason": "x" })).await;
    assert_eq!(void.json["errorCode"], "ENVELOPE_CANNOT_VOID_INVALID_STATE");

    // A draft waits for PUT status=sent.
    let draft = ds.post("/envelopes", &envelope("Draft", &[("Ann", "ann@x.test")], "created")).await;
    let draft = draft.json["envelopeId"].as_str().unwrap().to_string();
    assert_eq!(sb.esign_advance(&draft), None);
    assert_eq!(ds.put(&format!("/envelopes/{draft}"), &json!({ "status": "sent" })).await.status, StatusCode::OK);
    assert_eq!(sb.esign_complete(&draft).as_deref(), Some("completed"));
}

#[tokio::test]
async fn docusign_refuses_bad_requests() {
    let sb = start().await;
    let ds = DocuSign {
        http: client(),
        token: sb.mint_docusign_token(),
        account_url: format!("{}/v2.1/accounts/{}", sb.docusign_api_url(), sb.docusign_account_id()),
    };
    let mut bad_pdf = envelope("Bad", &[("Ann", "ann@x.test")], "sent");
    bad_pdf["documents"][0]["documentBase64"] = json!(STANDARD.encode(b"PK\x03\x04 this is a zip"));
    let mut no_signers = envelope("Bad", &[("Ann", "ann@x.test")], "sent");
    no_signers["recipients"]["signers"] = json!([]);
    let bad_email = envelope("Bad", &[("Ann", "ann.x.test")], "sent");
    let mut not_base64 = envelope("Bad", &[("Ann", "ann@x.test")], "sent");
    not_base64["documents"][0]["documentBase64"] = json!("%%% not base64 %%%");
    let mut no_recipient_id = envelope("Bad", &[("Ann", "ann@x.test")], "sent");
    no_recipient_id["recipients"]["signers"][0].as_object_mut().unwrap().remove("recipientId");
    for body in [bad_pdf, no_signers, bad_email, not_base64, no_recipient_id] {
        let resp = ds.post("/envelopes", &body).await;
        assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{}", resp.json);
        assert_eq!(resp.json["errorCode"], "INVALID_REQUEST_BODY");
        assert!(resp.json["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(sb.esign_sent_count(), 0);

    let good = envelope("Good", &[("Ann", "ann@x.test")], "sent");
    let no_token =
        answer(client().post(format!("{}/envelopes", ds.account_url)).json(&good).send().await.unwrap()).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.json["errorCode"], "AUTHORIZATION_INVALID_TOKEN");
    assert!(no_token.headers.contains_key("x-ratelimit-remaining"));
    let wrong_account =
        format!("{}/v2.1/accounts/00000000-0000-4000-8000-000000000000/envelopes", sb.docusign_api_url());
    let resp = answer(client().post(wrong_account).bearer_auth(&ds.token).json(&good).send().await.unwrap()).await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    assert!(resp.json["errorCode"].is_string());
    let unknown = ds.get("/envelopes/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(unknown.json["errorCode"], "ENVELOPE_DOES_NOT_EXIST");
    let unrouted = ds.get("/templates").await;
    assert_eq!(unrouted.status, StatusCode::NOT_FOUND);
    assert!(unrouted.json["errorCode"].is_string());
    assert!(unrouted.headers.contains_key("x-ratelimit-limit"));

    // Authorization requests: unknown client, no PKCE, plain PKCE.
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let base = [
        ("response_type", "code"),
        ("scope", "signature"),
        ("client_id", sb.docusign_client_id()),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let with = |key: &str, value: Option<&'static str>| -> Vec<(String, String)> {
        base.iter()
            .filter_map(|(k, v)| match (*k == key, value) {
                (true, None) => None,
                (true, Some(new)) => Some((k.to_string(), new.to_string())),
                (false, _) => Some((k.to_string(), v.to_string())),
            })
            .collect()
    };
    for query in [
        with("client_id", Some("someone-else")),
        with("code_challenge_method", None),
        with("code_challenge_method", Some("plain")),
    ] {
        let resp = client().get(format!("{}/auth", sb.docusign_oauth_url())).query(&query).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query:?}");
        assert!(resp.headers().get("location").is_none());
    }
}

// ---- Dropbox Sign ----

/// A `multipart/form-data` body: (content type, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----dealdesk-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

struct DropboxSign {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl DropboxSign {
    fn new(sb: &Sandbox) -> Self {
        DropboxSign { http: client(), url: sb.dropbox_sign_api_url(), key: sb.dropbox_sign_api_key().to_string() }
    }

    async fn get(&self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.url)).basic_auth(&self.key, Some(""));
        answer(req.send().await.unwrap()).await
    }

    async fn post(&self, path: &str) -> Answer {
        let req = self.http.post(format!("{}{path}", self.url)).basic_auth(&self.key, Some(""));
        answer(req.send().await.unwrap()).await
    }

    async fn send_form(&self, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Answer {
        let (content_type, body) = multipart(fields, files);
        let req = self
            .http
            .post(format!("{}/signature_request/send", self.url))
            .basic_auth(&self.key, None::<&str>)
            .header("content-type", content_type)
            .body(body);
        answer(req.send().await.unwrap()).await
    }

    async fn send(&self, title: &str) -> String {
        let resp = self
            .send_form(
                &[
                    ("title", title),
                    ("subject", "Please sign"),
                    ("message", "Thanks!"),
                    ("signers[0][email_address]", "ann@x.test"),
                    ("signers[0][name]", "Ann"),
                    ("signers[0][order]", "0"),
                    ("signers[1][email_address]", "bob@x.test"),
                    ("signers[1][name]", "Bob"),
                    ("signers[1][order]", "1"),
                    ("test_mode", "1"),
                    ("use_text_tags", "1"),
                    ("hide_text_tags", "1"),
                    ("metadata[crm_deal_id]", "D-42"),
                ],
                &[("files[0]", "contract.pdf", PDF)],
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.json);
        resp.json["signature_request"]["signature_request_id"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn dropbox_sign_send_poll_complete_download() {
    let sb = start().await;
    let dbs = DropboxSign::new(&sb);
    let id = dbs.send("NDA").await;
    assert_eq!(id.len(), 40);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(sb.esign_sent_count(), 1);

    // What was sent, as the log and the store recorded it.
    let log = sb.esign_requests();
    let send = log.iter().find(|r| r.path.ends_with("/signature_request/send")).unwrap();
    assert_eq!(send.provider, EsignProvider::DropboxSign);
    assert_eq!(send.body["signers[1][name]"], "Bob");
    assert_eq!(
        send.body["files[0]"],
        json!({ "filename": "contract.pdf", "content_type": "application/pdf", "size": PDF.len() })
    );
    assert_eq!(sb.esign_documents()[0].pdf, PDF);

    let got = dbs.get(&format!("/signature_request/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    for h in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(got.headers.contains_key(h), "missing {h}");
    }
    let sr = &got.json["signature_request"];
    assert_eq!(
        (sr["title"].as_str(), sr["subject"].as_str(), sr["message"].as_str()),
        (Some("NDA"), Some("Please sign"), Some("Thanks!"))
    );
    assert_eq!(sr["metadata"], json!({ "crm_deal_id": "D-42" }));
    assert_eq!(
        (sr["test_mode"].as_bool(), sr["is_complete"].as_bool(), sr["is_declined"].as_bool()),
        (Some(true), Some(false), Some(false))
    );
    assert!(sr["created_at"].is_i64());
    let page = client().get(sr["details_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Ann &lt;ann@x.test&gt;: sent"));
    assert_eq!(client().get(sr["signing_url"].as_str().unwrap()).send().await.unwrap().status(), StatusCode::OK);
    assert!(sr["files_url"].as_str().unwrap().starts_with(&sb.dropbox_sign_api_url()));
    let sigs = &sr["signatures"];
    assert_eq!((sigs[0]["signer_email_address"].as_str(), sigs[0]["order"].as_u64()), (Some("ann@x.test"), Some(0)));
    assert_eq!(sigs[0]["status_code"], "awaiting_signature");
    assert!(sigs[0]["signed_at"].is_null() && sigs[0]["last_viewed_at"].is_null());
    assert_eq!(sigs[0]["signature_id"].as_str().unwrap().len(), 32);

    // Before completion the files are the document signed so far.
    let early = dbs.get(&format!("/signature_request/files/{id}?file_type=pdf")).await;
    assert_eq!(early.status, StatusCode::OK);
    assert_pdf(&early.bytes);

    // Viewed, then Ann signs.
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("delivered"));
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("delivered"));
    let sr = dbs.get(&format!("/signature_request/{id}")).await.json["signature_request"].clone();
    assert!(sr["signatures"][0]["last_viewed_at"].is_i64() && sr["signatures"][0]["signed_at"].is_i64());
    assert_eq!(
        (sr["signatures"][0]["status_code"].as_str(), sr["signatures"][1]["status_code"].as_str()),
        (Some("signed"), Some("awaiting_signature"))
    );
    assert_eq!(sr["is_complete"], false);
    assert_eq!(sb.esign_complete(&id).as_deref(), Some("completed"));
    let sr = dbs.get(&format!("/signature_request/{id}")).await.json["signature_request"].clone();
    assert_eq!(sr["is_complete"], true);
    assert!(sr["signing_url"].is_null());

    // 409 twice while "preparing", then the PDF.
    for _ in 0..2 {
        let busy = dbs.get(&format!("/signature_request/files/{id}?file_type=pdf")).await;
        assert_eq!(busy.status, StatusCode::CONFLICT);
        assert_eq!(busy.json["error"]["error_name"], "conflict");
        assert_eq!(busy.json["error"]["error_msg"], "Files are still being prepared. Please try again later.");
    }
    let done = dbs.get(&format!("/signature_request/files/{id}?file_type=pdf")).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.headers["content-type"], "application/pdf");
    assert_pdf(&done.bytes);
    assert!(text(&done.bytes).contains("Signed by Bob <bob@x.test>"));

    let list = dbs.get("/signature_request/list?page=1&page_size=20").await;
    assert_eq!(list.json["list_info"], json!({ "num_pages": 1, "num_results": 1, "page": 1, "page_size": 20 }));
    assert_eq!(list.json["signature_requests"][0]["signature_request_id"], id.as_str());

    let cancel = dbs.post(&format!("/signature_request/cancel/{id}")).await;
    assert_eq!(cancel.status, StatusCode::BAD_REQUEST);
    assert_eq!(cancel.json["error"]["error_name"], "bad_request");
    let unknown = dbs.get("/signature_request/0000000000000000000000000000000000000000").await;
    assert_eq!(
        (unknown.status, unknown.json["error"]["error_name"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn dropbox_sign_cancel_is_asynchronous() {
    let sb = start().await;
    let dbs = DropboxSign::new(&sb);
    let id = dbs.send("Cancel me").await;
    let kept = dbs.send("Keep me").await;
    assert_eq!(sb.esign_advance(&id).as_deref(), Some("delivered"));

    let cancel = dbs.post(&format!("/signature_request/cancel/{id}")).await;
    assert_eq!(cancel.status, StatusCode::OK);
    assert!(cancel.bytes.is_empty());
    // Queued: nobody can sign any more, and the next read still shows it.
    assert_eq!(sb.esign_advance(&id), None);
    assert!(sb.esign_documents()[0].cancel_pending);
    let first = dbs.get(&format!("/signature_request/{id}")).await;
    assert_eq!(first.status, StatusCode::OK);
    let gone = dbs.get(&format!("/signature_request/{id}")).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.json["error"]["error_name"], "deleted");
    assert_eq!(sb.esign_status(&id).as_deref(), Some("canceled"));
    assert_eq!(dbs.get(&format!("/signature_request/files/{id}")).await.status, StatusCode::GONE);
    let list = dbs.get("/signature_request/list").await;
    assert_eq!(list.json["list_info"]["num_results"], 1);
    assert_eq!(list.json["signature_requests"][0]["signature_request_id"], kept.as_str());

    // Via the list: it shows the queued cancel once, then leaves it out.
    assert_eq!(dbs.post(&format!("/signature_request/cancel/{kept}")).await.status, StatusCode::OK);
    assert_eq!(dbs.get("/signature_request/list").await.json["list_info"]["num_results"], 1);
    assert_eq!(dbs.get("/signature_request/list").await.json["list_info"]["num_results"], 0);
    assert_eq!(dbs.get(&format!("/signature_request/{kept}")).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn dropbox_sign_refuses_bad_requests() {
    let sb = start().await;
    let dbs = DropboxSign::new(&sb);
    let wrong = DropboxSign { key: "not-the-key".into(), ..DropboxSign::new(&sb) };
    let resp = wrong.get("/signature_request/list").await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json, json!({ "error": { "error_msg": "Unauthorized api key", "error_name": "unauthorized" } }));
    let anonymous = answer(client().get(format!("{}/signature_request/list", dbs.url)).send().await.unwrap()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let signer = [("signers[0][email_address]", "ann@x.test"), ("signers[0][name]", "Ann")];
    let no_signer = dbs.send_form(&[("title", "x")], &[("files[0]", "a.pdf", PDF)]).await;
    assert_eq!(no_signer.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_signer.json["error"]["error_name"], "bad_request");
    assert_eq!(no_signer.json["error"]["error_path"], "signers");
    let not_pdf = dbs.send_form(&signer, &[("files[0]", "a.pdf", b"hello")]).await;
    assert_eq!(
        (not_pdf.status, not_pdf.json["error"]["error_path"].as_str()),
        (StatusCode::BAD_REQUEST, Some("files[0]"))
    );
    let no_file = dbs.send_form(&signer, &[]).await;
    assert_eq!(no_file.json["error"]["error_path"], "files");
    let no_name = dbs.send_form(&[("signers[0][email_address]", "ann@x.test")], &[("files[0]", "a.pdf", PDF)]).await;
    assert_eq!(no_name.json["error"]["error_path"], "signers[0][name]");
    assert_eq!(sb.esign_sent_count(), 0);
    assert!(sb.esign_requests().iter().all(|r| r.status == 400 || r.status == 401));
    let unrouted = dbs.get("/account").await;
    assert_eq!(
        (unrouted.status, unrouted.json["error"]["error_name"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(unrouted.headers.contains_key("x-ratelimit-limit"));
}

// ---- Faults, time and control ----

#[tokio::test]
async fn faults_take_each_providers_shape() {
    let sb = start().await;
    let dbs = DropboxSign::new(&sb);
    let ds = DocuSign {
        http: client(),
        token: sb.mint_docusign_token(),
        account_url: format!("{}/v2.1/accounts/{}", sb.docusign_api_url(), sb.docusign_account_id()),
    };
    // A fault without a prefix is for Whop only.
    sb.inject(Fault::new(FaultKind::RateLimit));
    assert_eq!(dbs.get("/signature_request/list").await.status, StatusCode::OK);
    assert_eq!(ds.get("/envelopes?from_date=2020-01-01").await.status, StatusCode::OK);
    sb.clear_faults();

    sb.inject(Fault {
        path_prefix: Some("/docusign/".into()),
        retry_after_secs: Some(7),
        ..Fault::new(FaultKind::RateLimit)
    });
    let limited = ds.get("/envelopes?from_date=2020-01-01").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json["errorCode"], "HOURLY_APIINVOCATION_LIMIT_EXCEEDED");
    assert_eq!(limited.headers["retry-after"], "7");
    assert_eq!(limited.headers["x-ratelimit-remaining"], "0");
    assert!(limited.headers.contains_key("x-ratelimit-limit") && limited.headers.contains_key("x-ratelimit-reset"));
    assert_eq!(ds.get("/envelopes?from_date=2020-01-01").await.status, StatusCode::OK);

    sb.inject(Fault { path_prefix: Some("/dropbox-sign/".into()), ..Fault::new(FaultKind::RateLimit) });
    let limited = dbs.get("/signature_request/list").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json["error"]["error_name"], "exceeded_rate");
    assert_eq!(limited.headers["retry-after"], "1");
    assert_eq!(limited.headers["x-ratelimit-remaining"], "0");

    sb.inject(Fault { path_prefix: Some("/dropbox-sign/".into()), ..Fault::new(FaultKind::ServerError) });
    let broken = dbs.get("/signature_request/list").await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(broken.json["error"]["error_name"].is_string());
    sb.inject(Fault { path_prefix: Some("/docusign/".into()), ..Fault::new(FaultKind::ServerError) });
    let broken = ds.get("/envelopes?from_date=2020-01-01").await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(broken.json["errorCode"].is_string());

    // Faulted requests are logged too.
    let statuses: Vec<u16> = sb.esign_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 500).count(), 2);
}

#[tokio::test]
async fn auto_advance_follows_the_sandbox_clock() {
    let config = SandboxConfig { esign_auto_advance_secs: Some(60), ..SandboxConfig::with_members(1) };
    let sb = Sandbox::start(config).await.unwrap();
    let ds = DocuSign {
        http: client(),
        token: sb.mint_docusign_token(),
        account_url: format!("{}/v2.1/accounts/{}", sb.docusign_api_url(), sb.docusign_account_id()),
    };
    let dbs = DropboxSign::new(&sb);
    let envelope = ds.send("Auto", &[("Ann", "ann@x.test")]).await;
    let request = dbs.send("Auto").await;
    assert_eq!(sb.esign_status(&envelope).as_deref(), Some("sent"));
    sb.advance_clock(61);
    assert_eq!(ds.get(&format!("/envelopes/{envelope}")).await.json["status"], "delivered");
    sb.advance_clock(60);
    let got = ds.get(&format!("/envelopes/{envelope}")).await;
    assert_eq!(got.json["status"], "completed");
    // Steps are dated when they fell due, a minute apart.
    let at = |field: &str| chrono::DateTime::parse_from_rfc3339(got.json[field].as_str().unwrap()).unwrap();
    assert_eq!((at("completedDateTime") - at("deliveredDateTime")).num_seconds(), 60);
    // Two signers: viewed, Ann, Bob.
    assert_eq!(sb.esign_status(&request).as_deref(), Some("delivered"));
    sb.advance_clock(3600);
    let sr = dbs.get(&format!("/signature_request/{request}")).await.json["signature_request"].clone();
    assert_eq!(sr["is_complete"], true);
    assert_eq!(sb.esign_status(&envelope).as_deref(), Some("completed"));
}

#[tokio::test]
async fn control_endpoints_drive_documents() {
    let sb = start().await;
    let dbs = DropboxSign::new(&sb);
    let id = dbs.send("Controlled").await;
    let http = client();
    let control = format!("http://{}/_sandbox/esign", sb.addr());
    let post = |path: String, body: Value| http.post(format!("{control}{path}")).json(&body).send();

    let listed = answer(http.get(&control).send().await.unwrap()).await;
    assert_eq!(listed.json["sent_count"], 1);
    let doc = &listed.json["documents"][0];
    assert_eq!(
        (doc["id"].as_str(), doc["provider"].as_str(), doc["status"].as_str()),
        (Some(id.as_str()), Some("dropbox_sign"), Some("sent"))
    );
    assert!(doc.get("request").is_none());

    let advanced = answer(post(format!("/{id}/advance"), json!({})).await.unwrap()).await;
    assert_eq!(advanced.json, json!({ "id": id, "status": "delivered" }));
    let declined = answer(post(format!("/{id}/decline"), json!({ "reason": "Not now" })).await.unwrap()).await;
    assert_eq!(declined.json["status"], "declined");
    let sr = dbs.get(&format!("/signature_request/{id}")).await.json["signature_request"].clone();
    assert_eq!(sr["is_declined"], true);
    assert_eq!(sr["signatures"][0]["decline_reason"], "Not now");
    assert_eq!(sr["signatures"][0]["status_code"], "declined");

    let refused = answer(post(format!("/{id}/complete"), json!({})).await.unwrap()).await;
    assert_eq!((refused.status, refused.json["status"].as_str()), (StatusCode::CONFLICT, Some("declined")));
    let unknown = answer(post("/nope/advance".into(), json!({})).await.unwrap()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let requests = answer(http.get(format!("{control}/requests")).send().await.unwrap()).await;
    assert!(requests.json["requests"].as_array().unwrap().len() >= 2);
    assert_eq!(http.delete(format!("{control}/requests")).send().await.unwrap().status(), StatusCode::OK);
    assert!(sb.esign_requests().is_empty());
}
