//! The TypeScript types of the service's answers in pkg/index.d.ts, checked
//! against the OpenAPI document the service serves: a property the
//! document does not have, or one the document requires and the types
//! make optional... is a contract broken on one side.
use serde_json::Value;
use std::collections::BTreeSet;

/// The members of `export interface NAME { ... }`: name → optional.
fn interface(dts: &str, name: &str) -> Vec<(String, bool)> {
    let start = dts.find(&format!("export interface {name} {{")).unwrap_or_else(|| panic!("index.d.ts: no interface {name}"));
    let body = &dts[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/*") && !l.starts_with('*') && !l.is_empty())
        .filter_map(|l| {
            let (head, _) = l.split_once(':')?;
            let optional = head.ends_with('?');
            Some((head.trim_end_matches('?').to_string(), optional))
        })
        .collect()
}

/// The members of an inline object type `{ a: x; b?: y }` (no nesting).
fn inline(ty: &str) -> Vec<(String, bool)> {
    ty.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(';')
        .filter_map(|m| {
            let (head, _) = m.split_once(':')?;
            let head = head.trim();
            Some((head.trim_end_matches('?').to_string(), head.ends_with('?')))
        })
        .collect()
}

fn check(what: &str, ts: &[(String, bool)], schema: &Value) {
    let props: BTreeSet<String> =
        schema["properties"].as_object().unwrap_or_else(|| panic!("{what}: no properties")).keys().cloned().collect();
    let required: BTreeSet<String> =
        schema["required"].as_array().map(|r| r.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default();
    let names: BTreeSet<String> = ts.iter().map(|(n, _)| n.clone()).collect();
    assert!(!names.is_empty(), "{what}: no members read");
    let unknown: Vec<_> = names.difference(&props).collect();
    assert!(unknown.is_empty(), "{what}: index.d.ts has {unknown:?}, the document does not");
    let missing: Vec<_> = props.difference(&names).collect();
    assert!(missing.is_empty(), "{what}: the document has {missing:?}, index.d.ts does not");
    for (n, optional) in ts {
        assert!(*optional || required.contains(n), "{what}.{n}: required in index.d.ts, optional in the document");
    }
}

#[test]
fn index_d_ts_matches_the_openapi_document() {
    let dts = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../pkg/index.d.ts")).unwrap();
    let doc = fiable_lookup::routes::openapi_document();
    let schemas = &doc["components"]["schemas"];
    check("ConsentReceipt", &interface(&dts, "ConsentReceipt"), &schemas["Receipt"]);
    // The service's error as the consent event carries it.
    let detail = interface(&dts, "ConsentEventDetail");
    assert!(detail.iter().any(|(n, _)| n == "error"));
    let start = dts.find("export interface ConsentEventDetail").unwrap();
    let line = dts[start..].lines().find(|l| l.trim_start().starts_with("error?:")).unwrap();
    let ty = line.split_once(':').unwrap().1.trim().trim_end_matches(';');
    let err = &schemas["Error"]["properties"]["error"];
    let (outer, problems) = ty.split_once("problems?:").unwrap();
    let mut members = inline(&format!("{outer}}}"));
    members.retain(|(n, _)| !n.is_empty());
    members.push(("problems".into(), true));
    check("ConsentEventDetail.error", &members, err);
    let item = problems.trim().trim_end_matches('}').trim().trim_end_matches("[]").trim();
    check("ConsentEventDetail.error.problems[]", &inline(item), &err["properties"]["problems"]["items"]);
}
