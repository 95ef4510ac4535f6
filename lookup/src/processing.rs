//! The record of processing activities (GDPR article 30(1)) generated from
//! the forms' JSON configs: `fiable-lookup processing-record`.
//!
//! A config already says what a form collects (its fields and their
//! kinds), who controls it, for which purposes under which legal basis,
//! how long the proof is kept and which service it talks to. The record is
//! derived from that, so it changes when the form changes instead of
//! drifting in a document written by hand. What a config cannot know
//! (transfers outside the EU, the deployment's SMTP relay) comes from
//! flags, and what nobody told the tool is written as "to complete", never
//! guessed.
//!
//! The config is read leniently (unknown keys are ignored: the widget's
//! own checker, generated from `pkg/fiable.schema.json`, is the judge of a
//! config), but a file that is not a config at all is an error.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use fiable_core::Kind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The contact data kinds the widget sends as `subject_data` (sealed in
/// the ledger), in the widget's order (`SUBJECT` in `pkg/consent.js`).
const SUBJECT_KINDS: [Kind; 5] = [Kind::Email, Kind::Phone, Kind::FirstName, Kind::LastName, Kind::Postcode];

/// Config keys that say nothing about the processing (where an input is,
/// how the page looks and behaves): read by the widget, not here. With the
/// keys the structs below read, they cover `pkg/fiable.schema.json`
/// (a test checks it, so a new key gets a decision).
pub const NOT_PROCESSING: &[&str] = &[
    "locale",
    "country",
    "form",
    "block",
    "today",
    "messages",
    "selector",
    "civility",
    "postcode",
    "city",
    "housenumber",
    "label",
    "receiptInput",
];

/// What the tool needs of a widget config (a subset of `pkg/fiable.schema.json`).
#[derive(Clone, Debug, Deserialize)]
pub struct FormConfig {
    /// Base URL of the lookup service.
    #[serde(default)]
    pub lookup: Option<String>,
    /// The fields, by name.
    pub fields: BTreeMap<String, FieldConfig>,
    /// The consent capture.
    #[serde(default)]
    pub consent: Option<ConsentConfig>,
    /// The mailbox check: the whole address goes to its domain's mail server.
    #[serde(default, rename = "mailboxCheck")]
    pub mailbox_check: bool,
}

/// One field of a config.
#[derive(Clone, Debug, Deserialize)]
pub struct FieldConfig {
    /// The field kind (`email`, `street`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// An empty value is invalid.
    #[serde(default)]
    pub required: bool,
    /// Birth dates: the minimum age.
    #[serde(default, rename = "minAge")]
    pub min_age: Option<u32>,
}

/// The consent part of a config.
#[derive(Clone, Debug, Deserialize)]
pub struct ConsentConfig {
    /// The controller.
    pub controller: ControllerConfig,
    /// The form's id and version.
    pub form: FormRefConfig,
    /// The purposes.
    pub purposes: Vec<PurposeConfig>,
    /// Advisor mode (store, phone).
    #[serde(default)]
    pub advisor: Option<Value>,
    /// Which fields identify the person: kind → field name.
    #[serde(default, rename = "subjectData")]
    pub subject_data: BTreeMap<String, String>,
    /// Days the record is kept.
    #[serde(default, rename = "retentionDays")]
    pub retention_days: Option<u32>,
    /// Days after which a consent expires.
    #[serde(default, rename = "expiresAfterDays")]
    pub expires_after_days: Option<u32>,
}

/// The controller of a config.
#[derive(Clone, Debug, Deserialize)]
pub struct ControllerConfig {
    /// Name.
    pub name: String,
    /// Data-protection contact.
    pub contact: String,
}

/// The form reference of a config.
#[derive(Clone, Debug, Deserialize)]
pub struct FormRefConfig {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
}

/// One purpose of a config.
#[derive(Clone, Debug, Deserialize)]
pub struct PurposeConfig {
    /// Its id.
    pub id: String,
    /// The wording, when the config carries it.
    #[serde(default)]
    pub text: Option<String>,
    /// The legal basis (default consent).
    #[serde(default, rename = "legalBasis")]
    pub legal_basis: Option<String>,
    /// `"email"`: the grant counts once the person confirms it from a mail
    /// (double opt-in), which the SMTP relay carries.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// Facts of the deployment a config does not hold (flags of the command).
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// The SMTP relay the service sends confirmation mail through.
    pub smtp_relay: Option<String>,
    /// Transfers outside the EEA, as the controller describes them.
    pub transfers: Option<String>,
}

/// The generated record (its JSON form is [`Record`] serialised).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Record {
    /// Controllers named by the configs (name, contact), deduplicated.
    pub controllers: Vec<Party>,
    /// One activity per form.
    pub activities: Vec<Activity>,
    /// Recipients of personal data, deduplicated across forms.
    pub recipients: Vec<Recipient>,
    /// Transfers to third countries.
    pub transfers: String,
    /// Technical and organisational measures fiable itself applies.
    pub security_measures: Vec<String>,
}

/// A controller.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Contact (DPO).
    pub contact: String,
}

/// One processing activity: one form.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Activity {
    /// The config file it comes from.
    pub source: String,
    /// The form id and version (`-` when the config has no consent part).
    pub form: String,
    /// Its controller, when the config names one.
    pub controller: Option<Party>,
    /// Categories of data subjects.
    pub data_subjects: String,
    /// The purposes, with their legal basis.
    pub purposes: Vec<PurposeEntry>,
    /// Each field: its data category and where its value goes.
    pub fields: Vec<FieldEntry>,
    /// How long the data is kept.
    pub retention: String,
}

/// One purpose of an activity.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PurposeEntry {
    /// Its id.
    pub id: String,
    /// What it is for.
    pub description: String,
    /// The GDPR article 6(1) basis.
    pub legal_basis: String,
}

/// One field of an activity.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FieldEntry {
    /// The field's name in the config.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// The category of personal data.
    pub category: String,
    /// Required by the form.
    pub required: bool,
    /// What leaves the page, to whom.
    pub sent: Vec<String>,
    /// Kept in the consent ledger, sealed under the person's key.
    pub kept_sealed: bool,
}

/// A recipient of personal data.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Recipient {
    /// Who.
    pub name: String,
    /// What it receives and why.
    pub receives: String,
}

/// The category of personal data a field kind holds.
pub fn category(kind: Kind) -> &'static str {
    match kind {
        Kind::Email | Kind::Phone => "contact details",
        Kind::FirstName | Kind::LastName | Kind::Civility => "identity",
        Kind::BirthDate => "identity: date of birth",
        Kind::Street | Kind::Postcode | Kind::City | Kind::Country => "postal address",
    }
}

/// What the page sends the lookup service for a field kind (the widget's
/// remote checks, `pkg/lookup.js`), when a lookup service is configured.
fn sent_to_lookup(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Email => Some("the domain only (after @), on blur"),
        Kind::Street => Some("the typed fragment and a valid postcode, while typing (address autocomplete)"),
        Kind::Postcode => Some("a postcode the page cannot place, on blur"),
        _ => None,
    }
}

fn legal_basis_label(b: &str) -> &'static str {
    match b {
        "consent" => "consent (art. 6(1)(a))",
        "contract" => "contract (art. 6(1)(b))",
        "legal_obligation" => "legal obligation (art. 6(1)(c))",
        "vital_interests" => "vital interests (art. 6(1)(d))",
        "public_task" => "public task (art. 6(1)(e))",
        "legitimate_interests" => "legitimate interests (art. 6(1)(f))",
        _ => "unknown legal basis (fix the config)",
    }
}

/// Reads a config: a JSON file, or an HTML page carrying it the two ways
/// the script tag accepts (`data-config='…'`, `<script type="application/json" data-fiable>`).
/// A page may hold several.
pub fn read_configs(path: &Path) -> anyhow::Result<Vec<FormConfig>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let parse = |json: &str| serde_json::from_str::<FormConfig>(json).with_context(|| format!("{}: not a fiable config", path.display()));
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return Ok(vec![parse(trimmed)?]);
    }
    let configs = embedded_configs(&text).iter().map(|j| parse(j)).collect::<anyhow::Result<Vec<_>>>()?;
    if configs.is_empty() {
        anyhow::bail!("{}: neither a JSON config nor a page with a data-config or data-fiable config", path.display());
    }
    Ok(configs)
}

/// The JSON texts of the configs embedded in an HTML page, in page order:
/// the `data-config` attribute of a `<script>` tag, and the body of a
/// `<script type="application/json" data-fiable>`.
fn embedded_configs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = html[at..].find("<script") {
        let open = at + i;
        let (attrs, close) = tag_attributes(html, open + "<script".len());
        let end = html[close..].find("</script>").map_or(html.len(), |j| close + j);
        if let Some(v) = attrs.iter().find(|(n, _)| n == "data-config").map(|(_, v)| v) {
            out.push(unescape(v));
        }
        let json = attrs.iter().any(|(n, v)| n == "type" && v == "application/json");
        if json && attrs.iter().any(|(n, _)| n == "data-fiable") {
            out.push(html[close..end].to_string());
        }
        at = end.max(close);
    }
    out
}

/// The attributes of a tag whose name ends at `from` (lowercase names,
/// raw values) and the byte after its `>`. Quote-aware: a JSON value may
/// hold `>`.
fn tag_attributes(html: &str, from: usize) -> (Vec<(String, String)>, usize) {
    let b = html.as_bytes();
    let mut i = from;
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, b.len());
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && (b[i] == b'\'' || b[i] == b'"') {
                let q = b[i];
                let s = i + 1;
                let e = b[s..].iter().position(|c| *c == q).map_or(b.len(), |j| s + j);
                value = html[s..e].to_string();
                i = (e + 1).min(b.len());
            } else {
                let s = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = html[s..i].to_string();
            }
        }
        attrs.push((name, value));
    }
}

/// The character references an attribute value may use for JSON's characters.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The record of the given configs (`source` names each, for the reader).
pub fn build(configs: &[(String, FormConfig)], deployment: &Deployment) -> Record {
    let mut controllers: Vec<Party> = Vec::new();
    let mut activities = Vec::new();
    let mut lookups: Vec<String> = Vec::new();
    let mut any_consent = false;
    let mut any_confirm = false;
    let mut any_advisor = false;
    for (source, c) in configs {
        let controller = c.consent.as_ref().map(|cc| Party { name: cc.controller.name.clone(), contact: cc.controller.contact.clone() });
        if let Some(p) = &controller {
            if !controllers.contains(p) {
                controllers.push(p.clone());
            }
        }
        if let Some(l) = &c.lookup {
            if !lookups.contains(l) {
                lookups.push(l.clone());
            }
        }
        let sealed = c.consent.as_ref().map(|cc| sealed_fields(c, cc)).unwrap_or_default();
        let fields = c
            .fields
            .iter()
            .map(|(name, f)| {
                let kind = Kind::parse(&f.kind);
                let mut sent = Vec::new();
                if let (Some(k), Some(_)) = (kind, &c.lookup) {
                    if let Some(s) = sent_to_lookup(k) {
                        sent.push(format!("lookup service: {s}"));
                    }
                }
                let kept = sealed.contains(name);
                if kept {
                    sent.push("consent ledger: with the consent record, sealed under the person's key".into());
                }
                FieldEntry {
                    name: name.clone(),
                    kind: kind.map_or_else(|| format!("unknown ({})", f.kind), |k| k.as_str().to_string()),
                    category: kind.map_or("unknown kind (fix the config)", category).to_string()
                        + &f.min_age.map(|a| format!(" (minimum age {a})")).unwrap_or_default(),
                    required: f.required,
                    sent,
                    kept_sealed: kept,
                }
            })
            .collect();
        let mut purposes = vec![PurposeEntry {
            id: "form-quality".into(),
            description: "checking the form's fields as they are typed (syntax, existence of the mail domain and address): nothing is \
                          stored by these checks"
                .into(),
            legal_basis: legal_basis_label("legitimate_interests").into(),
        }];
        let mut retention = "the form's values are not kept by fiable (the page's own backend decides)".to_string();
        if let Some(cc) = &c.consent {
            any_consent = true;
            any_advisor |= cc.advisor.is_some();
            for p in &cc.purposes {
                let basis = p.legal_basis.as_deref().unwrap_or("consent");
                let confirmed = p.confirm.as_deref() == Some("email");
                any_confirm |= confirmed;
                let text = p.text.clone().unwrap_or_else(|| "the wording the page shows for this box (recorded verbatim)".into());
                purposes.push(PurposeEntry {
                    id: p.id.clone(),
                    description: if confirmed { format!("{text} (confirmed from a mail: double opt-in)") } else { text },
                    legal_basis: legal_basis_label(basis).into(),
                });
            }
            purposes.push(PurposeEntry {
                id: "consent-proof".into(),
                description: "keeping the proof of each consent given, refused or withdrawn (GDPR art. 7(1))".into(),
                legal_basis: legal_basis_label("legal_obligation").into(),
            });
            if cc.advisor.is_some() {
                purposes.push(PurposeEntry {
                    id: "duplicate-check".into(),
                    description: "warning the advisor that the customer is probably known already (keyed hashes only)".into(),
                    legal_basis: legal_basis_label("legitimate_interests").into(),
                });
            }
            retention = match (cc.retention_days, cc.expires_after_days) {
                (Some(r), Some(e)) => format!(
                    "consent expires {e} days after it is given; the proof and the sealed contact data are kept {r} days, then erased \
                     (`fiable-lookup purge`)"
                ),
                (Some(r), None) => {
                    format!("the proof and the sealed contact data are kept {r} days, then erased (`fiable-lookup purge`)")
                }
                (None, Some(e)) => format!(
                    "consent expires {e} days after it is given; no retention period is configured (set consent.retentionDays): to complete"
                ),
                (None, None) => "no retention period is configured (set consent.retentionDays): to complete".into(),
            };
        }
        activities.push(Activity {
            source: source.clone(),
            form: c.consent.as_ref().map_or_else(|| "-".into(), |cc| format!("{} (version {})", cc.form.id, cc.form.version)),
            controller,
            data_subjects: if c.consent.as_ref().is_some_and(|cc| cc.advisor.is_some()) {
                "customers, whose form an advisor fills in store or on the phone".into()
            } else {
                "visitors who fill in the form (customers, prospects)".into()
            },
            purposes,
            fields,
            retention,
        });
    }
    let mut recipients = Vec::new();
    for l in &lookups {
        let mut what = "the fiable lookup service (run by the controller): the values listed per field above".to_string();
        if any_consent {
            what.push_str("; the consent records, with the contact data sealed under a per-person key");
        }
        if any_advisor {
            what.push_str("; the advisor's duplicate check (keyed hashes of email, phone, name and postcode)");
        }
        recipients.push(Recipient { name: format!("lookup service at {l}"), receives: what });
    }
    if configs.iter().any(|(_, c)| c.mailbox_check) {
        recipients.push(Recipient {
            name: "the mail servers of the addresses typed (mailbox check)".into(),
            receives: "the whole email address, in an SMTP RCPT TO asked by the lookup service on blur (no message is sent)".into(),
        });
    }
    match &deployment.smtp_relay {
        Some(relay) => recipients.push(Recipient {
            name: format!("SMTP relay {relay}"),
            receives: "the email address and the confirmation link of each double opt-in message".into(),
        }),
        None if any_confirm => recipients.push(Recipient {
            name: "SMTP relay".into(),
            receives: "the email address and the confirmation link of each double opt-in message (a purpose asks for confirmation by mail): name the relay with --smtp-relay, to complete".into(),
        }),
        None if any_consent => recipients.push(Recipient {
            name: "SMTP relay".into(),
            receives: "none configured (no double opt-in mail is sent); give --smtp-relay if the service has one".into(),
        }),
        None => {}
    }
    Record {
        controllers,
        activities,
        recipients,
        transfers: deployment.transfers.clone().unwrap_or_else(|| {
            "none by fiable itself (self-hosted service); the controller completes this for its hosting and relays: to complete".into()
        }),
        security_measures: vec![
            "local checks run in the page and send nothing".into(),
            "remote checks send the minimum: the mail domain, not the address; the typed address fragment".into(),
            "contact data is sealed (ChaCha20-Poly1305) under a key per person; erasure destroys the key".into(),
            "persons are found again only through keyed hashes (HMAC-SHA256) under a key held outside the database".into(),
            "consent proofs sit in an append-only, hash-chained ledger with signed receipts and a verifiable log".into(),
            "API keys scope who may read, export, erase; no personal data in the service's logs".into(),
        ],
    }
}

/// The fields whose value goes into `subject_data` (the widget's rule:
/// `subjectData` names them, else the first field of each kind).
fn sealed_fields(c: &FormConfig, cc: &ConsentConfig) -> Vec<String> {
    SUBJECT_KINDS
        .iter()
        .filter_map(|k| match cc.subject_data.get(k.as_str()) {
            Some(name) => c.fields.contains_key(name).then(|| name.clone()),
            None => c.fields.iter().find(|(_, f)| Kind::parse(&f.kind) == Some(*k)).map(|(n, _)| n.clone()),
        })
        .collect()
}

impl Record {
    /// The record as Markdown, for the controller's register.
    pub fn to_markdown(&self) -> String {
        let mut m = String::from("# Record of processing activities (GDPR article 30)\n\n");
        m.push_str("Generated by `fiable-lookup processing-record` from the forms' configs: regenerate it when a form changes.\n\n");
        m.push_str("## Controller\n\n");
        if self.controllers.is_empty() {
            m.push_str("- none named by the configs (no consent part): to complete\n");
        }
        for p in &self.controllers {
            m.push_str(&format!("- {} — contact: {}\n", cell(&p.name), cell(&p.contact)));
        }
        for a in &self.activities {
            m.push_str(&format!("\n## Form {} (`{}`)\n\n", cell(&a.form), cell(&a.source)));
            m.push_str(&format!("Data subjects: {}.\n\n", a.data_subjects));
            m.push_str("| purpose | what for | legal basis |\n| --- | --- | --- |\n");
            for p in &a.purposes {
                m.push_str(&format!("| {} | {} | {} |\n", cell(&p.id), cell(&p.description), p.legal_basis));
            }
            m.push_str("\n| field | kind | data category | required | sent to / kept |\n| --- | --- | --- | --- | --- |\n");
            for f in &a.fields {
                let sent = if f.sent.is_empty() {
                    "stays in the page".to_string()
                } else {
                    f.sent.iter().map(|s| cell(s)).collect::<Vec<_>>().join("; ")
                };
                m.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    cell(&f.name),
                    cell(&f.kind),
                    f.category,
                    if f.required { "yes" } else { "no" },
                    sent
                ));
            }
            m.push_str(&format!("\nRetention: {}.\n", a.retention));
        }
        m.push_str("\n## Recipients\n\n");
        if self.recipients.is_empty() {
            m.push_str("- none: the configs name no lookup service, nothing leaves the page\n");
        }
        for r in &self.recipients {
            m.push_str(&format!("- {}: {}\n", cell(&r.name), r.receives));
        }
        m.push_str(&format!("\n## Transfers outside the EEA\n\n{}\n\n## Security measures\n\n", self.transfers));
        for s in &self.security_measures {
            m.push_str(&format!("- {s}\n"));
        }
        m
    }
}

/// A config value inside a Markdown table cell: pipes and line breaks
/// would break the table (a config is the marketer's text, not ours).
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_found_in_both_page_forms() {
        let html = r##"<script src="x.js" data-form="#a" data-config='{"fields":{"e":{"selector":"#e","type":"email"}}}'></script>
            <script type="application/json" data-fiable data-form="#b">{"fields":{"p":{"selector":"#p","type":"phone"}}}</script>
            <script>var x = "data-config=";</script>
            <script data-config="{&quot;fields&quot;:{}}" data-x='a>b'></script>"##;
        let found = embedded_configs(html);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("\"email\""));
        assert!(found[1].contains("\"phone\""));
        assert_eq!(found[2], r#"{"fields":{}}"#);
    }

    #[test]
    fn a_table_cell_cannot_be_broken_by_config_text() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
