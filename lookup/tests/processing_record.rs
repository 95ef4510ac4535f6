//! `fiable-lookup processing-record` on the demo's own page: the article 30
//! record says what the demo's forms collect, why, where it goes, how long.
use std::path::Path;
use std::process::Command;

use fiable_lookup::processing::{self, Deployment, NOT_PROCESSING};

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/index.html")
}

#[test]
fn the_demo_page_gives_its_two_forms() {
    let configs = processing::read_configs(&demo()).unwrap();
    assert_eq!(configs.len(), 2, "the signup form's script tag and the newsletter's data-fiable block");
    let forms: Vec<_> = configs.into_iter().map(|c| ("www/index.html".to_string(), c)).collect();
    let r = processing::build(&forms, &Deployment::default());
    assert_eq!(r.controllers.len(), 1);
    assert_eq!(r.controllers[0].name, "Boutique Démo SAS");
    assert_eq!(r.controllers[0].contact, "dpo@boutique-demo.example");

    let signup = &r.activities[0];
    assert_eq!(signup.form, "signup (version 2026-11)");
    let ids: Vec<_> = signup.purposes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["form-quality", "newsletter", "partners", "consent-proof"]);
    assert!(signup.purposes[1].legal_basis.starts_with("consent"), "the default basis: {:?}", signup.purposes[1]);
    assert!(signup.purposes[3].legal_basis.starts_with("legal obligation"));
    let field = |n: &str| signup.fields.iter().find(|f| f.name == n).unwrap_or_else(|| panic!("no field {n}"));
    let email = field("email");
    assert_eq!((email.category.as_str(), email.required, email.kept_sealed), ("contact details", true, true));
    assert!(email.sent[0].contains("the domain only"), "{:?}", email.sent);
    let street = field("street");
    assert_eq!(street.category, "postal address");
    assert!(!street.kept_sealed, "the street is not part of subject_data");
    assert!(street.sent[0].contains("autocomplete"));
    assert_eq!(field("birth_date").category, "identity: date of birth (minimum age 15)");
    assert!(field("civility").sent.is_empty(), "a civility never leaves the page");
    for n in ["phone", "first_name", "last_name", "postcode"] {
        assert!(field(n).kept_sealed, "{n} is subject data");
    }
    assert!(signup.retention.contains("1095 days"), "{}", signup.retention);

    // The newsletter form has no lookup and no consent: nothing leaves it.
    let news = &r.activities[1];
    assert_eq!(news.form, "-");
    assert!(news.fields.iter().all(|f| f.sent.is_empty() && !f.kept_sealed));
    assert!(news.retention.contains("not kept by fiable"));

    assert_eq!(r.recipients[0].name, "lookup service at /");
    // The demo's newsletter asks for a confirmation mail: the relay is a
    // recipient, to be named since none was given.
    let relay = &r.recipients[1];
    assert!(relay.receives.contains("double opt-in") && relay.receives.contains("to complete"), "no relay given: {:?}", r.recipients);
}

#[test]
fn the_command_writes_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (md, json) = (dir.path().join("record.md"), dir.path().join("record.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_fiable-lookup"))
        .args(["processing-record", "--smtp-relay", "relay.boutique.example:587", "--markdown"])
        .arg(&md)
        .arg("--json")
        .arg(&json)
        .arg(demo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.starts_with("# Record of processing activities (GDPR article 30)"));
    assert!(md.contains("| email | email | contact details | yes | lookup service: the domain only (after @), on blur; consent ledger:"));
    assert!(md.contains("- SMTP relay relay.boutique.example:587: the email address"));
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(j["activities"].as_array().unwrap().len(), 2);
    assert_eq!(j["activities"][0]["purposes"][1]["id"], "newsletter");

    // A file that is no config is an error that names it, not a panic.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"fields\": 3}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fiable-lookup")).arg("processing-record").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a fiable config"));
}

#[test]
fn config_text_cannot_break_the_markdown_table() {
    let c: processing::FormConfig = serde_json::from_str(
        r##"{"lookup":"/","fields":{"e|x":{"selector":"#e","type":"email"}},
            "consent":{"controller":{"name":"A | B\n# injected","contact":"c"},"form":{"id":"f","version":"1"},
            "purposes":[{"id":"n","selector":"#n","text":"yes | no","legalBasis":"contract"}]}}"##,
    )
    .unwrap();
    let md = processing::build(&[("x".into(), c)], &Deployment::default()).to_markdown();
    assert!(md.contains("| n | yes \\| no | contract (art. 6(1)(b)) |"), "{md}");
    assert!(md.contains("| e\\|x | email |"));
    assert!(!md.contains("\n# injected"));
}

/// Every key of the widget's config schema is either read by the record or
/// listed as saying nothing about the processing: a new key gets a decision.
#[test]
fn every_schema_key_is_decided() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../pkg/fiable.schema.json")).unwrap())
            .unwrap();
    let read = [
        "lookup",
        "fields",
        "consent",
        "type",
        "required",
        "minAge",
        "controller",
        "name",
        "contact",
        "id",
        "version",
        "purposes",
        "text",
        "legalBasis",
        "advisor",
        "subjectData",
        "retentionDays",
        "expiresAfterDays",
        "confirm",
        "mailboxCheck",
    ];
    // Keys inside advisor and subjectData are read as a whole.
    let whole = ["advisor", "subjectData"];
    let mut keys = Vec::new();
    collect(&schema, &mut keys, &whole);
    for k in keys {
        assert!(
            read.contains(&k.as_str()) || NOT_PROCESSING.contains(&k.as_str()),
            "config key {k:?}: read it or list it in NOT_PROCESSING"
        );
    }
}

fn collect(v: &serde_json::Value, out: &mut Vec<String>, whole: &[&str]) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                if k == "properties" {
                    if let serde_json::Value::Object(props) = v {
                        for (name, sub) in props {
                            out.push(name.clone());
                            if !whole.contains(&name.as_str()) {
                                collect(sub, out, whole);
                            }
                        }
                    }
                } else {
                    collect(v, out, whole);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out, whole)),
        _ => {}
    }
}
