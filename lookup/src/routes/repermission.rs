//! The page of a re-permission link (`consent::repermission`): what the
//! person is asked, one click per purpose to confirm or refuse, each answer
//! a new ledger record. Plain HTML forms, no script: it opens from any
//! mail client under the service's strict CSP. Answers go by POST and come
//! back to the page (303), which reads their state from the ledger; the
//! page is never cached and sends no referrer (the token is in its URL).
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::on;
use fiable_consent::{ConsentRecord, Decision};
use serde::Deserialize;
use serde_json::json;

use crate::consent::repermission::{self, Campaign, Campaigns, Link, LinkError};
use crate::consent::{ConsentState, ledger};
use crate::error::ApiError;
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};

/// A link token: base64url payload, a dot, the base64url HMAC-SHA256 (43 characters).
const TOKEN_PATTERN: &str = "^[A-Za-z0-9_-]{2,4000}\\.[A-Za-z0-9_-]{43}$";
const TOKEN: Param = Param {
    name: "token",
    at: In::Path,
    required: true,
    about: "the signed link token",
    ty: Ty::Str { max: 4044, pattern: TOKEN_PATTERN },
};
const PURPOSE_PATTERN: &str = "^[A-Za-z0-9._:-]{1,256}$";

const BAD_LINK: Resp = Resp { status: 400, about: "not a link token", schema: None, codes: &["repermission.bad_link"] };
const FORGED: Resp =
    Resp { status: 403, about: "a link this service did not sign, or changed", schema: None, codes: &["repermission.forged"] };
const UNAVAILABLE: Resp = Resp {
    status: 503,
    about: "the ledger could not be read or written",
    schema: None,
    codes: &["consent.store_unavailable", "consent.busy"],
};

/// The routes of this area (see [`crate::openapi`]). Every answer is an
/// HTML page for the person; error pages carry their stable code in
/// `data-code`.
pub static ROUTES: &[Route<ConsentState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/repermission/{token}",
            summary: "The page of a re-permission link (HTML): the purposes asked, each with a one-click confirm and refuse, or its answer",
            params: &[TOKEN],
            body: None,
            responses: &[
                Resp { status: 200, about: "the page (text/html)", schema: None, codes: &[] },
                BAD_LINK,
                FORGED,
                Resp {
                    status: 404,
                    about: "no campaign key on this service, or a campaign it does not run (or whose texts changed since)",
                    schema: None,
                    codes: &["repermission.off", "repermission.unknown_campaign"],
                },
                Resp {
                    status: 410,
                    about: "the link expired, or the person was erased",
                    schema: None,
                    codes: &["repermission.expired", "repermission.erased"],
                },
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, page),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/repermission/{token}",
            summary: "Answer one purpose of a re-permission link (one click): a new ledger record, then 303 back to the page; once per purpose and link",
            params: &[
                TOKEN,
                Param {
                    name: "purpose",
                    at: In::Query,
                    required: true,
                    about: "a purpose the link asks",
                    ty: Ty::Str { max: 256, pattern: PURPOSE_PATTERN },
                },
                Param { name: "decision", at: In::Query, required: true, about: "granted or refused", ty: Ty::Schema(decision_schema) },
            ],
            body: None,
            responses: &[
                Resp { status: 303, about: "recorded: back to the page (Location)", schema: None, codes: &[] },
                Resp {
                    status: 400,
                    about: "not a link token, or a bad query",
                    schema: None,
                    codes: &["repermission.bad_link", "repermission.bad_query"],
                },
                FORGED,
                Resp {
                    status: 404,
                    about: "no campaign key, an unknown campaign, or a purpose the link does not ask",
                    schema: None,
                    codes: &["repermission.off", "repermission.unknown_campaign", "repermission.unknown_purpose"],
                },
                Resp {
                    status: 409,
                    about: "this purpose was already answered through this link",
                    schema: None,
                    codes: &["repermission.answered"],
                },
                Resp {
                    status: 410,
                    about: "the link expired, or the person was erased",
                    schema: None,
                    codes: &["repermission.expired", "repermission.erased"],
                },
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, answer),
    },
];

fn decision_schema() -> serde_json::Value {
    json!({ "type": "string", "enum": ["granted", "refused"] })
}

/// The page's language: French for a French campaign, else English.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Fr,
    En,
}

impl Lang {
    fn of(c: Option<&Campaign>) -> Lang {
        match c {
            Some(c) if c.locale.to_ascii_lowercase().starts_with("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    fn t(self, key: &str) -> &'static str {
        let fr = self == Lang::Fr;
        match key {
            "title" => {
                if fr {
                    "Vos préférences"
                } else {
                    "Your preferences"
                }
            }
            "lede" => {
                if fr {
                    "Nous n'avons plus votre accord pour ce qui suit. Dites-nous en un clic si vous le confirmez ; sans réponse, nous ne vous écrirons plus à ce sujet."
                } else {
                    "We no longer hold your consent for the following. Tell us in one click whether you confirm it; without an answer we will not write to you about it again."
                }
            }
            "yes" => {
                if fr {
                    "Oui, je confirme"
                } else {
                    "Yes, I confirm"
                }
            }
            "no" => {
                if fr {
                    "Non merci"
                } else {
                    "No, thank you"
                }
            }
            "granted" => {
                if fr {
                    "Confirmé le"
                } else {
                    "Confirmed on"
                }
            }
            "refused" => {
                if fr {
                    "Refusé le"
                } else {
                    "Refused on"
                }
            }
            "contact" => {
                if fr {
                    "Responsable du traitement :"
                } else {
                    "Data controller:"
                }
            }
            "change" => {
                if fr {
                    "Pour changer d'avis plus tard, écrivez au contact ci-dessus."
                } else {
                    "To change your mind later, write to the contact above."
                }
            }
            "repermission.bad_link" | "repermission.forged" => {
                if fr {
                    "Ce lien n'est pas valide."
                } else {
                    "This link is not valid."
                }
            }
            "repermission.expired" => {
                if fr {
                    "Ce lien a expiré."
                } else {
                    "This link has expired."
                }
            }
            "repermission.erased" => {
                if fr {
                    "Vos données ont été effacées : il n'y a plus rien à confirmer."
                } else {
                    "Your data was erased: there is nothing left to confirm."
                }
            }
            "repermission.answered" => {
                if fr {
                    "Vous avez déjà répondu pour ce choix."
                } else {
                    "You already answered this one."
                }
            }
            "repermission.off" | "repermission.unknown_campaign" | "repermission.unknown_purpose" => {
                if fr {
                    "Cette campagne n'est plus en cours."
                } else {
                    "This campaign is no longer running."
                }
            }
            "repermission.bad_query" => {
                if fr {
                    "Réponse incomprise."
                } else {
                    "Answer not understood."
                }
            }
            _ => {
                if fr {
                    "Service momentanément indisponible : réessayez plus tard."
                } else {
                    "Unavailable for now: please try again later."
                }
            }
        }
    }
}

/// Text as HTML: the five characters that could break out, escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    // An empty icon: no /favicon.ico request, which a deployment without `www/` answers 404.
    let doc = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\"><title>{}</title></head>\n<body><main>\n{body}\n</main></body></html>\n",
        if lang == Lang::Fr { "fr" } else { "en" },
        esc(title)
    );
    let mut r = (status, Html(doc)).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An error page: the person's sentence, and the stable code for machines.
fn fail(lang: Lang, status: StatusCode, code: &'static str) -> Response {
    let body = format!("<h1>{}</h1>\n<p id=\"error\" data-code=\"{code}\">{}</p>", esc(lang.t("title")), esc(lang.t(code)));
    let mut r = html(status, lang, lang.t("title"), &body);
    if code == "consent.busy" {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

/// Why a link gets no page: the error page to answer (built by [`fail`]).
struct Refusal(Lang, StatusCode, &'static str);

impl Refusal {
    fn page(self) -> Response {
        fail(self.0, self.1, self.2)
    }
}

/// A checked link: its campaign and the person's contact data.
struct Opened<'a> {
    campaigns: &'a Campaigns,
    campaign: &'a Campaign,
    link: Link,
    data: fiable_consent::SubjectData,
}

fn now() -> i64 {
    ledger::parse_rfc3339(&ledger::now_rfc3339()).unwrap_or(0)
}

/// Checks a token: signature, expiry, a campaign this service runs with the texts it was sent with.
fn open<'a>(st: &'a ConsentState, token: &str) -> Result<Opened<'a>, Refusal> {
    let Some(campaigns) = st.repermission.as_deref() else {
        return Err(Refusal(Lang::En, StatusCode::NOT_FOUND, "repermission.off"));
    };
    let shape = token.len() <= 4044
        && token.split_once('.').is_some_and(|(p, t)| {
            p.len() >= 2
                && t.len() == 43
                && !t.contains('.')
                && format!("{p}{t}").bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        });
    if !shape {
        return Err(Refusal(Lang::En, StatusCode::BAD_REQUEST, "repermission.bad_link"));
    }
    let link = match campaigns.key.verify(token, now()) {
        Ok(l) => l,
        Err(LinkError::Malformed) => return Err(Refusal(Lang::En, StatusCode::BAD_REQUEST, "repermission.bad_link")),
        Err(LinkError::Forged) => return Err(Refusal(Lang::En, StatusCode::FORBIDDEN, "repermission.forged")),
        Err(LinkError::Expired) => {
            let lang = Lang::of(campaigns.by_id.values().next());
            return Err(Refusal(lang, StatusCode::GONE, "repermission.expired"));
        }
    };
    let campaign = match campaigns.by_id.get(&link.campaign) {
        Some(c) if c.fingerprint() == link.fingerprint => c,
        c => return Err(Refusal(Lang::of(c), StatusCode::NOT_FOUND, "repermission.unknown_campaign")),
    };
    let data = campaigns.key.open(&link).ok_or(Refusal(Lang::of(Some(campaign)), StatusCode::FORBIDDEN, "repermission.forged"))?;
    Ok(Opened { campaigns, campaign, link, data })
}

/// Whether the person was erased since the link went out.
async fn erased(st: &ConsentState, o: &Opened<'_>) -> Result<bool, Refusal> {
    let (store, key, data) = (st.store.clone(), st.index_key.clone(), o.data.clone());
    let lang = Lang::of(Some(o.campaign));
    tokio::task::spawn_blocking(move || repermission::suppressed(&store, &key, &data)).await.ok().and_then(Result::ok).ok_or(Refusal(
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        "consent.store_unavailable",
    ))
}

async fn page(State(st): State<ConsentState>, Path(token): Path<String>) -> Response {
    let o = match open(&st, &token) {
        Ok(o) => o,
        Err(r) => return r.page(),
    };
    let lang = Lang::of(Some(o.campaign));
    match erased(&st, &o).await {
        Ok(false) => {}
        Ok(true) => return fail(lang, StatusCode::GONE, "repermission.erased"),
        Err(r) => return r.page(),
    }
    // Each purpose's answer, if any: the record of its derived id.
    let ids: Vec<String> = o.link.purposes.iter().map(|p| o.campaigns.key.answer_id(&o.link.link_id, p)).collect();
    let store = st.store.clone();
    let answers = tokio::task::spawn_blocking(move || ids.iter().map(|id| store.by_id(id)).collect::<Result<Vec<_>, _>>()).await;
    let Ok(Ok(answers)) = answers else {
        return fail(lang, StatusCode::SERVICE_UNAVAILABLE, "consent.store_unavailable");
    };
    let mut items = String::new();
    for (p, entry) in o.link.purposes.iter().zip(answers) {
        let Some(text) = o.campaign.text(p) else {
            continue;
        };
        let answered = entry.and_then(|e| serde_json::from_str::<ConsentRecord>(&e.record).ok());
        let state = match answered.as_ref().and_then(|r| r.purposes.first().map(|x| (x.decision.clone(), r.acted_at.clone()))) {
            Some((d, at)) => format!(
                "<p class=\"answer\" data-decision=\"{}\">{} {}</p>",
                esc(&d),
                esc(lang.t(if d == "granted" { "granted" } else { "refused" })),
                esc(at.get(..10).unwrap_or(&at))
            ),
            None => {
                let q = |d: &str| format!("?purpose={}&amp;decision={d}", esc(p));
                format!(
                    "<form method=\"post\" action=\"{}\"><button type=\"submit\" name=\"a\" value=\"granted\">{}</button></form>\
                     <form method=\"post\" action=\"{}\"><button type=\"submit\" name=\"a\" value=\"refused\">{}</button></form>",
                    q("granted"),
                    esc(lang.t("yes")),
                    q("refused"),
                    esc(lang.t("no"))
                )
            }
        };
        items += &format!("<li data-purpose=\"{}\"><p class=\"text\">{}</p>{state}</li>\n", esc(p), esc(text));
    }
    let c = &o.campaign.controller;
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<ul class=\"purposes\">\n{items}</ul>\n<p>{} {} — {}</p>\n<p>{}</p>",
        esc(lang.t("title")),
        esc(lang.t("lede")),
        esc(lang.t("contact")),
        esc(&c.name),
        esc(&c.contact),
        esc(lang.t("change"))
    );
    html(StatusCode::OK, lang, lang.t("title"), &body)
}

/// `?purpose=&decision=` of an answer.
#[derive(Debug, Deserialize)]
struct AnswerQuery {
    purpose: String,
    decision: String,
}

async fn answer(State(st): State<ConsentState>, Path(token): Path<String>, q: Result<Query<AnswerQuery>, QueryRejection>) -> Response {
    let o = match open(&st, &token) {
        Ok(o) => o,
        Err(r) => return r.page(),
    };
    let lang = Lang::of(Some(o.campaign));
    let Ok(Query(q)) = q else {
        return fail(lang, StatusCode::BAD_REQUEST, "repermission.bad_query");
    };
    let decision = match q.decision.as_str() {
        "granted" => Decision::Granted,
        "refused" => Decision::Refused,
        _ => return fail(lang, StatusCode::BAD_REQUEST, "repermission.bad_query"),
    };
    if !o.link.purposes.contains(&q.purpose) || o.campaign.text(&q.purpose).is_none() {
        return fail(lang, StatusCode::NOT_FOUND, "repermission.unknown_purpose");
    }
    match erased(&st, &o).await {
        Ok(false) => {}
        Ok(true) => return fail(lang, StatusCode::GONE, "repermission.erased"),
        Err(r) => return r.page(),
    }
    let id = o.campaigns.key.answer_id(&o.link.link_id, &q.purpose);
    let mut record = o.campaign.record(&id, &ledger::now_rfc3339(), &[(q.purpose.as_str(), decision)]);
    record.subject_data = Some(o.data.clone());
    match super::consent::append_from_service(&st, record).await {
        Ok(_) => {
            // Back to the page, which now shows the answer (relative: the token is the last segment).
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&token) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(ApiError::DuplicateId) => fail(lang, StatusCode::CONFLICT, "repermission.answered"),
        Err(ApiError::SubjectErased) => fail(lang, StatusCode::GONE, "repermission.erased"),
        Err(ApiError::Busy { .. }) => fail(lang, StatusCode::SERVICE_UNAVAILABLE, "consent.busy"),
        // The campaign and the contact data were checked when the links were made: a record
        // refused now is the service's fault, not the person's.
        Err(_) => fail(lang, StatusCode::SERVICE_UNAVAILABLE, "consent.store_unavailable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn every_code_has_a_sentence_in_both_languages() {
        for r in ROUTES {
            for resp in r.doc.responses {
                for code in resp.codes {
                    for lang in [Lang::Fr, Lang::En] {
                        assert!(!lang.t(code).is_empty(), "{code}");
                    }
                }
            }
        }
        assert_ne!(Lang::Fr.t("repermission.expired"), Lang::En.t("repermission.expired"));
    }
}
