//! The mail-domain route: does this domain receive mail? The check itself
//! is `crate::mail`; no domain is ever logged.
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::mail::{self, DomainVerdict};
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};
use crate::smtp::probe;
use crate::state::AppState;

/// The routes of this area: handler and documentation together (see
/// [`crate::openapi`]).
pub static ROUTES: &[Route<AppState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/email/domain",
            summary: "Does this mail domain receive mail? MX, implicit MX (A/AAAA), null MX (RFC 7505); cached with the DNS TTLs",
            params: &[Param {
                name: "d",
                at: In::Query,
                required: true,
                about: "the domain (IDN accepted); a whole address is tolerated, only its domain is used",
                // Not blank; whether it is a domain (IDNA, the IANA TLD list) is the core's to say: 400.
                ty: Ty::Str {
                    max: mail::MAX_INPUT,
                    pattern: "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
                },
            }],
            body: None,
            responses: &[
                Resp {
                    status: 200,
                    about: "verdict; `unknown` when DNS failed (keep the local verdict, never block the form)",
                    schema: Some("DomainVerdict"),
                    codes: &[],
                },
                Resp {
                    status: 400,
                    about: "not a usable mail domain",
                    schema: Some("Error"),
                    codes: &["email.empty_domain", "email.too_long", "email.unknown_tld", "email.*", "bad_query_string"],
                },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, email_domain),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/email/mailbox",
            summary: "Does this mailbox exist? Asked of the domain's mail server over SMTP (EHLO, STARTTLS, MAIL FROM:<>, RCPT TO, QUIT; never DATA). \
                      Off unless the deployment turns it on (--mailbox-probe): the address is sent to that server",
            params: &[Param {
                name: "address",
                at: In::Query,
                required: true,
                about: "the email address; it must be one the core accepts (else 400)",
                ty: Ty::Str {
                    max: mail::MAX_INPUT,
                    pattern: "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
                },
            }],
            body: None,
            responses: &[
                Resp {
                    status: 200,
                    about: "verdict: `exists`, `does_not_exist` (a 5.1.x refusal), `accept_all` (a random local part is accepted too) or \
                            `unknown` (4xx, timeout, dropped connection, refusal of the probe, per-domain limit; keep the local verdict)",
                    schema: Some("MailboxVerdict"),
                    codes: &[],
                },
                Resp {
                    status: 400,
                    about: "not an email address the core accepts",
                    schema: Some("Error"),
                    codes: &["email.empty", "email.too_long", "email.*", "bad_query_string"],
                },
                Resp {
                    status: 404,
                    about: "the mailbox check is off in this deployment",
                    schema: Some("Error"),
                    codes: &["email.mailbox_probe_off"],
                },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, email_mailbox),
    },
];

/// The component schemas the table above names (an object: name → schema).
pub fn schemas() -> Value {
    json!({
        "DomainVerdict": { "type": "object",
            "required": ["domain", "status", "code", "mx", "implicit_mx", "disposable", "free", "cached"],
            "properties": {
                "domain": { "type": "string", "description": "normalised domain (lower case, punycode)" },
                "status": { "type": "string", "enum": ["valid", "invalid", "unknown"] },
                "code": { "type": "string", "enum": ["email.domain_accepts_mail", "email.domain_no_mail", "email.domain_not_found", "email.domain_unknown", "email.domain_special_use"] },
                "mx": { "type": "array", "items": { "type": "string" }, "description": "MX exchanges, most preferred first; empty for the implicit MX" },
                "implicit_mx": { "type": "boolean", "description": "no MX, but an A/AAAA record (RFC 5321 §5.1)" },
                "disposable": { "type": "boolean", "description": "in the full disposable-mail list (or a parent is)" },
                "free": { "type": "boolean", "description": "a free mailbox provider" },
                "cached": { "type": "boolean", "description": "answered from the service's cache" } } },
        "MailboxVerdict": { "type": "object",
            "required": ["domain", "result", "code", "tls", "cached"],
            "properties": {
                "domain": { "type": "string", "description": "normalised domain of the address (the address is not echoed)" },
                "result": { "type": "string", "enum": probe::Outcome::NAMES },
                "code": { "type": "string", "enum": ["email.mailbox_exists", "email.mailbox_not_found", "email.mailbox_accept_all", "email.mailbox_unknown"] },
                "reason": { "type": "string", "enum": probe::REASONS, "description": "why the answer is `unknown`" },
                "smtp": { "type": "string", "description": "the deciding reply's code and enhanced code, e.g. `550 5.1.1` (never its text)" },
                "tls": { "type": "boolean", "description": "the session went over STARTTLS" },
                "cached": { "type": "boolean", "description": "answered from the service's cache" } } }
    })
}

/// Query string of `GET /v1/email/domain`.
#[derive(Debug, Deserialize)]
pub struct DomainParams {
    /// The domain (a whole address is tolerated; only its domain is used).
    pub d: Option<String>,
}

/// Query string of `GET /v1/email/mailbox`.
#[derive(Debug, Deserialize)]
pub struct MailboxParams {
    /// The address.
    pub address: Option<String>,
}

async fn email_mailbox(State(st): State<AppState>, params: Result<Query<MailboxParams>, QueryRejection>) -> Result<Response, ApiError> {
    if !st.mailbox.enabled() {
        return Err(ApiError::MailboxProbeOff);
    }
    let Query(p) = params?;
    let (address, domain) =
        probe::normalize(p.address.as_deref().unwrap_or("")).map_err(|e| ApiError::bad(e.code, "address is not a usable email address"))?;
    let v = st.mailbox.check(&st.mail, &address, &domain).await;
    // The answer is about one person's address: no shared cache keeps it.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(v)).into_response())
}

async fn email_domain(State(st): State<AppState>, params: Result<Query<DomainParams>, QueryRejection>) -> Result<Response, ApiError> {
    let Query(p) = params?;
    let domain = mail::normalize(p.d.as_deref().unwrap_or("")).map_err(|e| ApiError::bad(e.code, "d is not a usable mail domain"))?;
    let v: DomainVerdict = st.mail.check(&domain).await;
    // Browsers and proxies may keep a definite answer a little while.
    let cache = if v.status == "unknown" { "no-store" } else { "public, max-age=60" };
    Ok(([(header::CACHE_CONTROL, cache)], Json(v)).into_response())
}
