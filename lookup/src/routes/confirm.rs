//! `GET /v1/consents/confirm?token=…`: the link of a double opt-in mail
//! (`crate::consent::optin`). Opening it appends a record that `confirms`
//! the original, for the purposes that asked for confirmation, and answers
//! a short HTML page in the record's language. A second opening replays the
//! first confirmation (single use); an expired or forged link appends
//! nothing.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use fiable_consent::{ConsentRecord, validate};
use fiable_core::Locale;
use serde::Deserialize;

use crate::consent::optin::{self, TokenError};
use crate::consent::{ConsentState, ledger};
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};

use super::consent_common::new_record_id;

/// Longest token read (base64url of a 256-byte id, the expiry, the HMAC).
const MAX_TOKEN: usize = 512;

/// The routes of this area.
pub static ROUTES: &[Route<ConsentState>] = &[Route {
    doc: RouteDoc {
        verb: Verb::Get,
        path: "/v1/consents/confirm",
        summary: "Double opt-in: the link mailed after a record whose purposes ask for confirmation. Appends a record that `confirms` it \
                  (once: opening again replays the first) and answers a short HTML page",
        params: &[Param {
            name: "token",
            at: In::Query,
            required: true,
            about: "the link's token: base64url(record id).expiry.HMAC",
            ty: Ty::Str { max: MAX_TOKEN, pattern: "" },
        }],
        body: None,
        responses: &[
            Resp { status: 200, about: "confirmed now, or already confirmed by this link (HTML page)", schema: None, codes: &[] },
            Resp { status: 400, about: "not a link of this service (HTML page)", schema: None, codes: &[] },
            Resp { status: 404, about: "the record is not in the ledger, or has nothing to confirm (HTML page)", schema: None, codes: &[] },
            Resp { status: 410, about: "the link expired: the purposes stay unconfirmed (HTML page)", schema: None, codes: &[] },
            Resp { status: 503, about: "the ledger is unavailable: open the link again later (HTML page)", schema: None, codes: &[] },
        ],
        auth: Auth::Public,
        class: Class::Api,
    },
    handler: |m| on(m, confirm),
}];

/// Query string of the route.
#[derive(Debug, Deserialize)]
struct ConfirmQuery {
    token: Option<String>,
}

/// What the page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Confirmed,
    Already,
    Bad,
    Gone,
    Expired,
    Unavailable,
}

impl Page {
    fn status(self) -> StatusCode {
        match self {
            Page::Confirmed | Page::Already => StatusCode::OK,
            Page::Bad => StatusCode::BAD_REQUEST,
            Page::Gone => StatusCode::NOT_FOUND,
            Page::Expired => StatusCode::GONE,
            Page::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn text(self, fr: bool) -> (&'static str, &'static str) {
        match (self, fr) {
            (Page::Confirmed, true) => ("Merci, c’est confirmé", "Votre accord est confirmé et enregistré."),
            (Page::Confirmed, false) => ("Thank you, confirmed", "Your consent is confirmed and recorded."),
            (Page::Already, true) => ("Déjà confirmé", "Ce lien a déjà servi : votre accord était déjà confirmé."),
            (Page::Already, false) => ("Already confirmed", "This link was used already: your consent was confirmed then."),
            (Page::Bad, true) => ("Lien non valide", "Ce lien n’est pas valide. Copiez-le en entier depuis le message reçu."),
            (Page::Bad, false) => ("Invalid link", "This link is not valid. Copy it whole from the message you received."),
            (Page::Gone, true) => ("Rien à confirmer", "Aucun accord en attente de confirmation ne correspond à ce lien."),
            (Page::Gone, false) => ("Nothing to confirm", "No consent waiting for confirmation matches this link."),
            (Page::Expired, true) => {
                ("Lien expiré", "Ce lien a expiré : votre accord n’a pas été confirmé. Inscrivez-vous à nouveau si vous le souhaitez.")
            }
            (Page::Expired, false) => ("Link expired", "This link expired: your consent was not confirmed. Sign up again if you wish."),
            (Page::Unavailable, true) => {
                ("Réessayez plus tard", "Le service est momentanément indisponible : ouvrez ce lien à nouveau plus tard.")
            }
            (Page::Unavailable, false) => ("Try again later", "The service is unavailable for now: open this link again later."),
        }
    }

    fn render(self, fr: bool) -> Response {
        let (title, body) = self.text(fr);
        let lang = if fr { "fr" } else { "en" };
        let html = format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>{title}</title></head><body><main><h1>{title}</h1><p>{body}</p></main></body></html>\n"
        );
        (self.status(), [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html).into_response()
    }
}

async fn confirm(State(st): State<ConsentState>, q: Result<Query<ConfirmQuery>, QueryRejection>) -> Response {
    // Before the record is read, the language is the service's default: French.
    let token = match q {
        Ok(Query(ConfirmQuery { token: Some(t) })) if t.len() <= MAX_TOKEN => t,
        _ => return Page::Bad.render(true),
    };
    let id = match optin::check_token(&st.index_key, &token, optin::unix_now()) {
        Ok(id) => id,
        Err(TokenError::Bad) => return Page::Bad.render(true),
        Err(TokenError::Expired) => return Page::Expired.render(true),
    };
    let (page, fr) = confirm_record(&st, id).await;
    page.render(fr)
}

/// Appends the confirmation of record `id`; the page and its language.
async fn confirm_record(st: &ConsentState, id: String) -> (Page, bool) {
    let store = st.store.clone();
    let id2 = id.clone();
    let original = match tokio::task::spawn_blocking(move || store.by_id(&id2)).await {
        Ok(Ok(Some(e))) => e,
        Ok(Ok(None)) => return (Page::Gone, true),
        _ => return (Page::Unavailable, true),
    };
    let Ok(mut record) = serde_json::from_str::<ConsentRecord>(&original.record) else {
        return (Page::Gone, true);
    };
    let fr = Locale::parse(&record.locale) == Locale::Fr;
    let wanted: Vec<String> = optin::needing_confirmation(&record).map(|p| p.id.clone()).collect();
    if wanted.is_empty() || record.withdraws.is_some() || record.confirms.is_some() {
        return (Page::Gone, fr);
    }
    // The confirmation: the original's purposes that asked for it, granted
    // by this click, under the same subject, channel and collector.
    record.purposes.retain(|p| wanted.contains(&p.id));
    for p in &mut record.purposes {
        p.affirmative_action = true;
        p.confirmation = None;
    }
    let Ok(new_id) = new_record_id() else {
        return (Page::Unavailable, fr);
    };
    record.record_id = new_id;
    record.confirms = Some(id.clone());
    record.acted_at = ledger::now_rfc3339();
    record.sealed = None;
    record.subject_data = None;
    if !validate(&record).is_empty() {
        return (Page::Gone, fr);
    }
    let (store, signer) = (st.store.clone(), st.signer.clone());
    let key = optin::idempotency_key(&st.index_key, &id);
    let request = ledger::request_hash(&format!("confirm\n{id}"));
    match tokio::task::spawn_blocking(move || store.append(&record, Some((key.as_str(), request.as_str())), &signer)).await {
        Ok(Ok(a)) if a.replayed => (Page::Already, fr),
        Ok(Ok(_)) => (Page::Confirmed, fr),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "double opt-in: the confirmation could not be appended");
            (Page::Unavailable, fr)
        }
        Err(_) => (Page::Unavailable, fr),
    }
}
