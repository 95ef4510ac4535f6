//! Double opt-in end to end: a record whose purpose asks for confirmation
//! lands in the ledger, the service mails the link through a real MTA on
//! loopback (exim4, tests/common/mta.rs), the test reads the delivered
//! message from the maildir, opens the link, and finds the `confirms`
//! record in the ledger; the link is single use, expires, and cannot be forged.
#[path = "common/mta.rs"]
mod mta;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_consent::ConsentRecord;
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::ConsentState;
use fiable_lookup::consent::optin::{self, OptIn, OptInConfig};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Store};
use fiable_lookup::smtp::relay::{RelayConfig, decode_body};
use http_body_util::BodyExt;
use mta::{Exim, ZONE};
use serde_json::{Value, json};
use tower::ServiceExt;

const PUBLIC_URL: &str = "https://boutique.fiable-test.com/api";

fn record(email: &str, confirm: bool) -> Value {
    let text = "J’accepte de recevoir la lettre de Maison Exemple (un e-mail par semaine).";
    let mut newsletter =
        json!({ "id": "newsletter", "text": text, "decision": "granted", "legal_basis": "consent", "affirmative_action": true });
    if confirm {
        newsletter["confirmation"] = "email".into();
    }
    json!({
        "schema_version": 1, "subject": "",
        "controller": { "name": "Maison Exemple", "contact": "dpo@maison-exemple.fr" },
        "purposes": [newsletter,
            { "id": "partners", "text": "Partage avec les partenaires.", "decision": "refused", "legal_basis": "consent", "affirmative_action": false }],
        "channel": "web", "collector": { "site": "maison-exemple.fr" }, "form": { "id": "signup", "version": "2026-12" },
        "locale": "fr-FR", "acted_at": fiable_lookup::consent::ledger::now_rfc3339(),
        "subject_data": { "email": email }
    })
}

struct Svc {
    app: Router,
    state: ConsentState,
    _dir: tempfile::TempDir,
}

fn svc(exim: &Exim) -> Svc {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ledger.sqlite")).unwrap();
    let config = OptInConfig {
        relay: RelayConfig {
            relay: Some(format!("127.0.0.1:{}", exim.port)),
            from: "no-reply@maison-exemple.fr".into(),
            helo: "lookup.fiable-test.com".into(),
            timeout_ms: 5000,
        },
        public_url: PUBLIC_URL.into(),
        hours: 72,
    };
    let state =
        ConsentState::new(store, Signer::generate().unwrap(), None, 32 * 1024, vec![]).with_opt_in(OptIn::from_config(&config).unwrap());
    Svc { app: consent_api(state.clone()), state, _dir: dir }
}

impl Svc {
    async fn call(&self, method: &str, uri: &str, body: String) -> (StatusCode, String) {
        let req = Request::builder().method(method).uri(uri).header("content-type", "application/json").body(Body::from(body)).unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        (status, String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
    }

    fn records(&self) -> Vec<ConsentRecord> {
        let mut out = vec![];
        self.state
            .store
            .for_each(|e| {
                if let Ok(r) = serde_json::from_str::<ConsentRecord>(&e.record) {
                    out.push(r);
                }
                Ok::<(), store::StoreError>(())
            })
            .unwrap();
        out
    }
}

/// The confirmation link in a delivered message (its path and query, from `/v1/`).
fn link_in(message: &str) -> String {
    let body = decode_body(message).expect("a base64 text body");
    let url = body.split_whitespace().find(|w| w.starts_with(PUBLIC_URL)).unwrap_or_else(|| panic!("no link in:\n{body}"));
    url[PUBLIC_URL.len()..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purpose_that_asks_for_confirmation_is_confirmed_by_the_mailed_link() {
    let exim = Exim::start();
    let s = svc(&exim);
    let to = format!("alice@mail.{ZONE}");
    let (status, receipt) = s.call("POST", "/v1/consents", record(&to, true).to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let id = serde_json::from_str::<Value>(&receipt).unwrap()["id"].as_str().unwrap().to_string();

    // The message the MTA delivered: to the person, from the shop, with the link.
    let got = exim.wait_delivered(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1, "{}", exim.file("log/mainlog"));
    let m = &got[0];
    assert!(m.contains(&format!("To: {to}")) && m.contains("From: no-reply@maison-exemple.fr"), "{m}");
    assert!(m.contains(&format!("Envelope-to: {to}")), "{m}");
    let body = decode_body(m).unwrap();
    assert!(body.contains("J’accepte de recevoir la lettre de Maison Exemple") && !body.contains("Partage avec"), "{body}");
    assert!(body.contains("72 heures"), "{body}");
    let link = link_in(m);
    assert!(link.starts_with("/v1/consents/confirm?token="), "{link}");

    // Opening it: a page, and a record that confirms the original's newsletter only.
    let (status, page) = s.call("GET", &link, String::new()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<html lang=\"fr\">") && page.contains("Merci, c’est confirmé"), "{page}");
    let records = s.records();
    assert_eq!(records.len(), 2);
    let c = &records[1];
    assert_eq!(c.confirms.as_deref(), Some(id.as_str()));
    assert_eq!(c.subject, records[0].subject);
    assert_eq!(c.purposes.iter().map(|p| (p.id.as_str(), p.decision.as_str())).collect::<Vec<_>>(), [("newsletter", "granted")]);
    assert!(c.sealed.is_none() && c.subject_data.is_none(), "the confirmation carries no contact data");
    assert!(optin::is_confirmed_in_time(&records[0], c, Duration::from_secs(72 * 3600)));
    assert!(!optin::is_confirmed_in_time(c, &records[0], Duration::from_secs(72 * 3600)), "only a record that confirms this one");

    // Single use: opening again appends nothing.
    let (status, page) = s.call("GET", &link, String::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Déjà confirmé"), "{page}");
    assert_eq!(s.records().len(), 2);
    // The chain, with its confirmation, still verifies.
    let v = store::verify(&s.state.store, Some(s.state.signer.public_key_hex())).unwrap();
    assert_eq!(v.entries, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_forged_or_unrequested_confirmations_append_nothing() {
    let exim = Exim::start();
    let s = svc(&exim);
    let (status, receipt) = s.call("POST", "/v1/consents", record(&format!("bob@mail.{ZONE}"), true).to_string()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = serde_json::from_str::<Value>(&receipt).unwrap()["id"].as_str().unwrap().to_string();
    // An expired link (signed by the service, its time passed).
    let expired = optin::token(&s.state.index_key, &id, optin::unix_now() - 1);
    let (status, page) = s.call("GET", &format!("/v1/consents/confirm?token={expired}"), String::new()).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    // Its expiry pushed later by hand: the signature no longer holds.
    let stretched = expired.replacen(&format!(".{}.", optin::unix_now() - 1), &format!(".{}.", optin::unix_now() + 3600), 1);
    let (status, _) = s.call("GET", &format!("/v1/consents/confirm?token={stretched}"), String::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for bad in ["", "x", "a.b.c"] {
        let (status, _) = s.call("GET", &format!("/v1/consents/confirm?token={bad}"), String::new()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, _) = s.call("GET", "/v1/consents/confirm", String::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A valid link to a record that does not exist.
    let ghost = optin::token(&s.state.index_key, "0123456789abcdef0123456789abcdef", optin::unix_now() + 60);
    let (status, _) = s.call("GET", &format!("/v1/consents/confirm?token={ghost}"), String::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A client cannot write a confirmation itself.
    let mut forged = record(&format!("bob@mail.{ZONE}"), false);
    forged["confirms"] = id.clone().into();
    let (status, body) = s.call("POST", "/v1/consents", forged.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("consent.confirms_by_client"), "{body}");
    // A record without a purpose asking for confirmation: no mail. Its link (made by hand) confirms nothing.
    let (status, receipt) = s.call("POST", "/v1/consents", record(&format!("alice@mail.{ZONE}"), false).to_string()).await;
    assert_eq!(status, StatusCode::CREATED);
    let plain = serde_json::from_str::<Value>(&receipt).unwrap()["id"].as_str().unwrap().to_string();
    let t = optin::token(&s.state.index_key, &plain, optin::unix_now() + 60);
    let (status, _) = s.call("GET", &format!("/v1/consents/confirm?token={t}"), String::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only the first record's mail was sent.
    let got = exim.wait_delivered(1, Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(exim.delivered().len(), 1, "{got:?}");
    assert_eq!(s.records().iter().filter(|r| r.confirms.is_some()).count(), 0);
}
