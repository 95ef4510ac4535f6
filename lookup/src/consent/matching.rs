//! The advisors' duplicate check: which known subjects are likely the same
//! person, from the kinds of blind index they share (`POST /v1/match`).

/// Most matches `POST /v1/match` returns.
pub const MAX_MATCHES: usize = 5;

/// How much one kind of match says that two people are one, alone.
/// Several kinds combine as independent evidence: 1 − Π(1 − w).
pub fn match_weight(kind: &str) -> f64 {
    match kind {
        "email" => 0.97,
        "phone" => 0.95,
        "name_postcode" => 0.8,
        "name" => 0.4,
        _ => 0.0,
    }
}

/// A subject that matches, and on what.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// How likely the two are one person, 0..=1.
    pub score: f64,
    /// The pseudonymous subject reference.
    pub subject: String,
    /// Kinds of match (`email`, `phone`, `name_postcode`, `name`), in the order found.
    pub on: Vec<&'static str>,
}

/// The store's hits (kind, subject) grouped by subject, scored, best
/// first (ties by subject), at most [`MAX_MATCHES`].
pub fn rank(found: Vec<(&'static str, String)>) -> Vec<Match> {
    let mut by_subject: Vec<(String, Vec<&'static str>)> = Vec::new();
    for (kind, subject) in found {
        match by_subject.iter_mut().find(|(s, _)| *s == subject) {
            Some((_, on)) if !on.contains(&kind) => on.push(kind),
            Some(_) => {}
            None => by_subject.push((subject, vec![kind])),
        }
    }
    let mut matches: Vec<Match> = by_subject
        .into_iter()
        .map(|(s, on)| {
            let miss: f64 = on.iter().map(|k| 1.0 - match_weight(k)).product();
            Match { score: (1.0 - miss).clamp(0.0, 1.0), subject: s, on }
        })
        .collect();
    matches.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.subject.cmp(&b.subject)));
    matches.truncate(MAX_MATCHES);
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_combine_per_subject_and_the_best_come_first() {
        let s = |x: &str| x.to_string();
        let found = vec![("name", s("s_b")), ("phone", s("s_a")), ("email", s("s_b")), ("name", s("s_b")), ("name", s("s_c"))];
        let m = rank(found);
        assert_eq!(m.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(), ["s_b", "s_a", "s_c"]);
        assert_eq!(m[0].on, ["name", "email"]);
        // 1 - (1 - 0.4)(1 - 0.97) = 0.982
        assert!((m[0].score - 0.982).abs() < 1e-9, "{}", m[0].score);
        assert!((m[1].score - 0.95).abs() < 1e-9);
    }

    #[test]
    fn at_most_max_matches_and_unknown_kinds_weigh_nothing() {
        let found: Vec<_> = (0..MAX_MATCHES + 3).map(|i| ("email", format!("s_{i}"))).collect();
        assert_eq!(rank(found).len(), MAX_MATCHES);
        assert_eq!(rank(vec![("other", "s_x".into())])[0].score, 0.0);
    }
}
