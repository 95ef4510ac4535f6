//! Re-permission campaigns end to end on a real SQLite ledger: records
//! filed through the router, `fiable-lookup repermission` (the binary)
//! reading the contact list and the ledger and writing the links, each
//! link's page and its one-click answers through the router, the answers
//! in the ledger under the person's pseudonym, and the report computed
//! again from the ledger. Forged, replayed and expired links are refused;
//! refused and erased people are never asked.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::ConsentState;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::repermission::{self as rp, Campaign, CampaignKey, Campaigns};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::Store;
use fiable_lookup::consent::vault::IndexKey;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_fiable-lookup");
const ADMIN: &str = "Bearer rp-admin-key-0123456";
const ADVISOR: &str = "Bearer rp-advisor-key-012345";
const NEWSLETTER: &str = "Je confirme vouloir recevoir la newsletter de Boutique Démo (un e-mail par semaine).";
const SMS: &str = "Je confirme vouloir recevoir les offres de Boutique Démo par SMS.";

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
    key: PathBuf,
    campaign_file: PathBuf,
    app: Router,
}

fn campaign_json() -> Value {
    json!({
        "id": "winback-2026-12",
        "controller": { "name": "Boutique Démo SAS", "contact": "dpo@boutique-demo.example" },
        "locale": "fr",
        "purposes": [{ "id": "newsletter", "text": NEWSLETTER }, { "id": "sms", "text": SMS }],
        "expires_after_days": 730,
        "site": "boutique-demo.example"
    })
}

fn state(dir: &Path) -> ConsentState {
    let keys = ApiKeys::parse(&["advisor:rp-advisor-key-012345".into(), "admin:rp-admin-key-0123456".into()], None).unwrap();
    ConsentState::new(
        Store::open(&dir.join("ledger.sqlite")).unwrap(),
        Signer::load_or_create(&dir.join("ledger.key")).unwrap(),
        None,
        16 * 1024,
        vec![],
    )
    .with_api_keys(keys)
    .with_index_key(IndexKey::load_or_create(&dir.join("ledger.index.key")).unwrap())
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let key = dir.path().join("campaign.key");
    let campaign_file = dir.path().join("campaign-def.json");
    std::fs::write(&campaign_file, campaign_json().to_string()).unwrap();
    let app = consent_api(state(dir.path()));
    Env { dir, db, key, campaign_file, app }
}

async fn call(app: &Router, method: &str, uri: &str, auth: Option<&str>, body: String) -> (StatusCode, String, Option<String>) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = resp.status();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    (status, String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap(), location)
}

async fn json_call(app: &Router, method: &str, uri: &str, auth: Option<&str>, body: Value) -> (StatusCode, Value) {
    let (s, b, _) = call(app, method, uri, auth, if body.is_null() { String::new() } else { body.to_string() }).await;
    (s, serde_json::from_str(&b).unwrap_or(Value::Null))
}

/// Files a web record for a person (advisor key: the receipt names the subject).
async fn file(app: &Router, data: Value, purposes: &[(&str, &str)], acted_at: &str, expires_at: Option<&str>) -> (String, String) {
    let mut r = json!({
        "schema_version": 1, "subject": "", "subject_data": data,
        "controller": { "name": "Boutique Démo SAS", "contact": "dpo@boutique-demo.example" },
        "purposes": purposes.iter().map(|(id, d)| json!({ "id": id, "text": format!("{id} at signup"), "text_sha256": "",
            "decision": d, "legal_basis": "consent", "affirmative_action": *d == "granted" })).collect::<Vec<_>>(),
        "channel": "web", "collector": { "site": "boutique-demo.example" }, "form": { "id": "signup", "version": "2024-01" },
        "locale": "fr", "acted_at": acted_at,
    });
    if let Some(e) = expires_at {
        r["expires_at"] = e.into();
    }
    let (st, v) = json_call(app, "POST", "/v1/consents", Some(ADVISOR), r).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    (v["id"].as_str().unwrap().to_string(), v["subject"].as_str().unwrap().to_string())
}

fn cli(args: &[&str]) -> (i32, String) {
    let o = std::process::Command::new(BIN).args(args).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr))
}

/// The outbox of a run: email or phone → (purposes, link path).
fn outbox(dir: &Path) -> BTreeMap<String, (String, String)> {
    let mut r = csv::Reader::from_path(dir.join("outbox.csv")).unwrap();
    r.records()
        .map(|row| {
            let row = row.unwrap();
            let who = if row[0].is_empty() { row[1].to_string() } else { row[0].to_string() };
            let link = row[5].strip_prefix("https://consent.boutique-demo.example").unwrap().to_string();
            (who, (row[4].to_string(), link))
        })
        .collect()
}

fn report(dir: &Path) -> BTreeMap<String, [u64; 4]> {
    let v: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    v["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let n = |k: &str| l[k].as_u64().unwrap();
            (l["purpose"].as_str().unwrap().to_string(), [n("asked"), n("confirmed"), n("refused"), n("silent")])
        })
        .collect()
}

fn run(e: &Env, out: &Path, extra: &[&str]) -> (i32, String) {
    let contacts = e.dir.path().join("contacts.csv");
    let mut args = vec![
        "repermission",
        "--contacts",
        contacts.to_str().unwrap(),
        "--campaign",
        e.campaign_file.to_str().unwrap(),
        "--purposes",
        "newsletter,sms",
        "--out",
        out.to_str().unwrap(),
        "--base-url",
        "https://consent.boutique-demo.example/",
        "--repermission-key",
        e.key.to_str().unwrap(),
        "--consent-db",
        e.db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.into_iter().map(String::from).collect();
    cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[tokio::test]
async fn campaign_command_link_page_answers_ledger_and_report() {
    let e = env();
    // The ledger before the campaign.
    let far = Some("2030-01-01T00:00:00Z");
    file(&e.app, json!({ "email": "alice.martin@gmail.com" }), &[("newsletter", "granted")], "2026-03-01T10:00:00Z", far).await;
    file(&e.app, json!({ "email": "bruno.petit@orange.fr" }), &[("newsletter", "refused")], "2026-03-01T10:00:00Z", None).await;
    file(
        &e.app,
        json!({ "email": "chloe.durand@free.fr" }),
        &[("newsletter", "granted")],
        "2023-01-01T10:00:00Z",
        Some("2024-01-01T00:00:00Z"),
    )
    .await;
    let (_, denis) = file(
        &e.app,
        json!({ "email": "denis.roux@gmail.com", "phone": "+33611223344" }),
        &[("newsletter", "granted")],
        "2026-03-01T10:00:00Z",
        far,
    )
    .await;
    let (h_id, _) =
        file(&e.app, json!({ "email": "hugo.blanc@gmail.com" }), &[("newsletter", "granted")], "2026-03-01T10:00:00Z", far).await;
    // Hugo withdrew; Denis was erased (then his email and phone are suppressed).
    let (st, _) = json_call(&e.app, "POST", &format!("/v1/consents/{h_id}/withdraw"), Some(ADMIN), Value::Null).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = json_call(&e.app, "DELETE", &format!("/v1/subjects/{denis}"), Some(ADMIN), Value::Null).await;
    assert_eq!(st, StatusCode::OK, "{v}");

    std::fs::write(
        e.dir.path().join("contacts.csv"),
        "Email,Phone,Name,Purposes\n\
         alice.martin@gmail.com,,Martin,newsletter;sms\n\
         bruno.petit@orange.fr,,Petit,newsletter\n\
         chloe.durand@free.fr,,Durand,newsletter|sms\n\
         denis.roux@gmail.com,,Roux,newsletter;sms\n\
         ,06 11 22 33 44,Roux,sms\n\
         emma.leroy@gmail.com,,Leroy,newsletter sms\n\
         ,06 98 76 54 32,,sms\n\
         hugo.blanc@gmail.com,,Blanc,newsletter\n\
         not an email,,Nobody,newsletter\n",
    )
    .unwrap();

    // No key file: nothing is made, and no key is generated beside the data.
    let out = e.dir.path().join("wave1");
    let (code, said) = run(&e, &out, &[]);
    assert_ne!(code, 0, "{said}");
    assert!(said.contains("--create-key"), "{said}");
    assert!(!e.key.exists() && !out.exists());
    let (code, said) = cli(&["repermission", "--create-key", e.key.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}");
    let (code, said) = cli(&["repermission", "--create-key", e.key.to_str().unwrap()]);
    assert_ne!(code, 0, "a key is never replaced: {said}");

    let (code, said) = run(&e, &out, &[]);
    assert_eq!(code, 0, "{said}");
    let sent = outbox(&out);
    // Alice: newsletter valid, sms asked; Bruno refused; Chloe's consent expired; Denis erased
    // (by email, and by the phone of his record); Hugo withdrew; Emma and the phone-only row are new.
    let asked: BTreeMap<&str, &str> = sent.iter().map(|(k, (p, _))| (k.as_str(), p.as_str())).collect();
    assert_eq!(
        asked,
        BTreeMap::from([
            ("06 98 76 54 32", "sms"),
            ("alice.martin@gmail.com", "sms"),
            ("chloe.durand@free.fr", "newsletter;sms"),
            ("emma.leroy@gmail.com", "newsletter;sms"),
        ])
    );
    assert!(said.contains("1 without a usable email or phone"), "{said}");
    let run_json: Value = serde_json::from_slice(&std::fs::read(out.join("campaign.json")).unwrap()).unwrap();
    assert_eq!(
        run_json["counts"]["newsletter"],
        json!({ "listed": 6, "valid": 1, "pending": 0, "refused_before": 2, "erased": 1, "asked": 2 })
    );
    assert_eq!(run_json["counts"]["sms"], json!({ "listed": 6, "valid": 0, "pending": 0, "refused_before": 0, "erased": 2, "asked": 4 }));
    assert_eq!(report(&out), BTreeMap::from([("newsletter".into(), [2, 0, 0, 2]), ("sms".into(), [4, 0, 0, 4])]));
    // The links carry no contact data in clear.
    for (who, (_, link)) in &sent {
        assert!(!link.contains(who.split('@').next().unwrap()) && !link.contains("gmail"), "{link}");
    }

    // The service answers the links of this campaign with the same key.
    let campaigns = Campaigns::load(&e.key, &[out.join("campaign.json")]).unwrap();
    let app = consent_api(state(e.dir.path()).with_repermission(campaigns));
    let emma = &sent["emma.leroy@gmail.com"].1;
    let (st, page, _) = call(&app, "GET", emma, None, String::new()).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains(&NEWSLETTER.replace('\'', "&#39;")) && page.contains(SMS) && page.contains("Oui, je confirme"), "{page}");
    assert!(page.contains("?purpose=newsletter&amp;decision=refused"), "{page}");
    // One click: Emma refuses the newsletter, confirms SMS.
    let (st, _, loc) = call(&app, "POST", &format!("{emma}?purpose=newsletter&decision=refused"), None, String::new()).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(format!("/v1/repermission/{}", loc.unwrap()), *emma);
    let (st, _, _) = call(&app, "POST", &format!("{emma}?purpose=sms&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, page, _) = call(&app, "GET", emma, None, String::new()).await;
    assert!(page.contains("data-decision=\"refused\"") && page.contains("data-decision=\"granted\"") && !page.contains("<form"), "{page}");
    // Replayed: the same click again, or the other answer, is refused.
    let (st, body, _) = call(&app, "POST", &format!("{emma}?purpose=sms&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(body.contains("data-code=\"repermission.answered\""), "{body}");
    let (st, _, _) = call(&app, "POST", &format!("{emma}?purpose=newsletter&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::CONFLICT);
    // A purpose the link does not ask.
    let alice = &sent["alice.martin@gmail.com"].1;
    let (st, body, _) = call(&app, "POST", &format!("{alice}?purpose=newsletter&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(body.contains("repermission.unknown_purpose"));
    let (st, _, _) = call(&app, "POST", &format!("{alice}?purpose=sms&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let phone_only = &sent["06 98 76 54 32"].1;
    let (st, _, _) = call(&app, "POST", &format!("{phone_only}?purpose=sms&decision=refused"), None, String::new()).await;
    assert_eq!(st, StatusCode::SEE_OTHER);

    // The answers are records under the person's pseudonym, with the campaign's exact text.
    let (_, m) = json_call(&app, "POST", "/v1/match", Some(ADVISOR), json!({ "email": "emma.leroy@gmail.com" })).await;
    let subject = m["matches"][0]["subject"].as_str().unwrap().to_string();
    let (_, access) = json_call(&app, "GET", &format!("/v1/subjects/{subject}/consents"), Some(ADMIN), Value::Null).await;
    let held: Vec<(String, String, String, String)> = access["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let r = &c["record"];
            (
                r["form"]["id"].as_str().unwrap().into(),
                r["form"]["version"].as_str().unwrap().into(),
                r["purposes"][0]["id"].as_str().unwrap().into(),
                r["purposes"][0]["decision"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [("repermission", "winback-2026-12", "newsletter", "refused"), ("repermission", "winback-2026-12", "sms", "granted")]
            .map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into()))
    );
    let sms = &access["consents"][1];
    assert_eq!(sms["record"]["purposes"][0]["text"], SMS);
    assert_eq!(sms["record"]["channel"], "web");
    assert!(sms["record"]["expires_at"].as_str().unwrap() > "2028", "a confirmation lapses after expires_after_days");
    assert_eq!(sms["subject_data"]["email"], "emma.leroy@gmail.com");
    // Alice's answer joined her existing pseudonym.
    let (_, m) = json_call(&app, "POST", "/v1/match", Some(ADVISOR), json!({ "email": "alice.martin@gmail.com" })).await;
    assert_eq!(m["matches"].as_array().unwrap().len(), 1);

    // Forged: a changed payload, a tag from another key, a token of another shape.
    let (payload, tag) = emma.rsplit_once('.').unwrap();
    let flipped = format!("{}{}.{tag}", &payload[..payload.len() - 1], if payload.ends_with('A') { 'B' } else { 'A' });
    for forged in [flipped, format!("{payload}.{}", "A".repeat(43))] {
        let (st, body, _) = call(&app, "GET", &forged, None, String::new()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{forged}");
        assert!(body.contains("repermission.forged"));
        let (st, _, _) = call(&app, "POST", &format!("{forged}?purpose=sms&decision=granted"), None, String::new()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let other_key = CampaignKey::from_bytes([9; 32]);
    let campaign = Campaign::load(&out.join("campaign.json")).unwrap();
    let inv = rp::Invitation {
        contact: rp::Contact { email: Some("mallory@gmail.com".into()), ..Default::default() },
        purposes: vec!["sms".into()],
    };
    let forged = rp::make_link(&other_key, &campaign, &inv, 4_000_000_000).unwrap();
    let (st, _, _) = call(&app, "POST", &format!("/v1/repermission/{forged}?purpose=sms&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = call(&app, "GET", "/v1/repermission/not-a-token", None, String::new()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // Expired: signed by the right key, past its date.
    let key = CampaignKey::load(&e.key).unwrap();
    let expired = rp::make_link(&key, &campaign, &inv, 1_700_000_000).unwrap();
    let (st, body, _) = call(&app, "POST", &format!("/v1/repermission/{expired}?purpose=sms&decision=granted"), None, String::new()).await;
    assert_eq!(st, StatusCode::GONE);
    assert!(body.contains("repermission.expired"));
    // Erased after the links went out: Chloe's link answers nothing any more.
    let (_, m) = json_call(&app, "POST", "/v1/match", Some(ADVISOR), json!({ "email": "chloe.durand@free.fr" })).await;
    let chloe = m["matches"][0]["subject"].as_str().unwrap().to_string();
    let (st, _) = json_call(&app, "DELETE", &format!("/v1/subjects/{chloe}"), Some(ADMIN), Value::Null).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body, _) =
        call(&app, "POST", &format!("{}?purpose=sms&decision=granted", sent["chloe.durand@free.fr"].1), None, String::new()).await;
    assert_eq!(st, StatusCode::GONE);
    assert!(body.contains("repermission.erased"));
    // Texts changed after the links went out: the old links are refused.
    let mut changed = campaign_json();
    changed["purposes"][1]["text"] = "Autre texte".into();
    std::fs::write(e.dir.path().join("changed.json"), changed.to_string()).unwrap();
    let app2 = consent_api(state(e.dir.path()).with_repermission(Campaigns::load(&e.key, &[e.dir.path().join("changed.json")]).unwrap()));
    let (st, _, _) = call(&app2, "GET", alice, None, String::new()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Without a campaign key the service has no such page.
    let (st, body, _) = call(&e.app, "GET", alice, None, String::new()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(body.contains("repermission.off"));

    // The report, from the ledger.
    let (code, said) = cli(&["repermission", "--report", "--out", out.to_str().unwrap(), "--consent-db", e.db.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}");
    assert_eq!(report(&out), BTreeMap::from([("newsletter".into(), [2, 0, 1, 1]), ("sms".into(), [4, 2, 1, 1])]));
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    assert_eq!(csv, "purpose,asked,confirmed,refused,silent\nnewsletter,2,0,1,1\nsms,4,2,1,1\n");
    // One run per directory.
    let (code, said) = run(&e, &out, &[]);
    assert_ne!(code, 0, "{said}");

    // A second wave asks nobody who answered, refused, or was erased since.
    let out2 = e.dir.path().join("wave2");
    let (code, said) = run(&e, &out2, &[]);
    assert_eq!(code, 0, "{said}");
    let asked2: Vec<String> = outbox(&out2).into_keys().collect();
    assert_eq!(asked2, Vec::<String>::new(), "{said}");

    // The ledger still verifies.
    let (code, said) = cli(&["verify", "--ledger", e.db.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}");
}

#[tokio::test]
async fn the_openapi_document_constrains_the_link_routes() {
    let e = env();
    let (_, doc) = json_call(&e.app, "GET", "/openapi.json", None, Value::Null).await;
    // consent_api alone has no /openapi.json: the document is built from the tables.
    let doc = if doc.is_null() { fiable_lookup::routes::openapi_document() } else { doc };
    let get = &doc["paths"]["/v1/repermission/{token}"]["get"];
    assert_eq!(get["parameters"][0]["schema"]["pattern"], "^[A-Za-z0-9_-]{2,4000}\\.[A-Za-z0-9_-]{43}$");
    let post = &doc["paths"]["/v1/repermission/{token}"]["post"];
    let statuses: Vec<&str> = post["responses"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(statuses, ["303", "400", "403", "404", "409", "410", "429", "503"]);
    assert_eq!(post["parameters"][2]["schema"]["enum"], json!(["granted", "refused"]));
}
