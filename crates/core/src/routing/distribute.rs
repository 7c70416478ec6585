//! Which teammate of a team gets a conversation: `manual` (nobody: the team holds it),
//! `round_robin` (the next available teammate after the last one picked) or `balanced` (the
//! available teammate with the fewest open conversations, round robin among equals). Away
//! teammates and those at the team's per-teammate capacity are never picked.
use crate::ids::AdminId;

/// A team member as the distribution sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub admin_id: AdminId,
    /// Open conversations assigned to them now.
    pub open: i64,
    /// Away (or deactivated): not given new conversations.
    pub away: bool,
}

/// How a team hands out conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Manual,
    RoundRobin,
    Balanced,
}

impl Method {
    /// Reads a team's `distribution_method` (unknown values act as manual).
    pub fn parse(text: &str) -> Method {
        match text {
            "round_robin" => Method::RoundRobin,
            "balanced" => Method::Balanced,
            _ => Method::Manual,
        }
    }
}

/// The teammate to assign, or `None` when the team keeps the conversation (manual, or nobody
/// available). `limit` is the most open conversations a teammate may hold; `last` the teammate
/// the team picked last time.
pub fn pick(method: Method, candidates: &[Candidate], limit: Option<i64>, last: Option<AdminId>) -> Option<AdminId> {
    if method == Method::Manual {
        return None;
    }
    let mut available: Vec<&Candidate> =
        candidates.iter().filter(|c| !c.away && limit.is_none_or(|l| c.open < l)).collect();
    // Round-robin order: the teammates after the last one picked first, then the others.
    let after = last.unwrap_or(AdminId::new(i64::MIN));
    available.sort_by_key(|c| (c.admin_id <= after, c.admin_id));
    match method {
        Method::RoundRobin => available.first().map(|c| c.admin_id),
        // min_by_key keeps the first of equals, i.e. the next in round-robin order.
        _ => available.iter().min_by_key(|c| c.open).map(|c| c.admin_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn team(open: &[i64]) -> Vec<Candidate> {
        open.iter()
            .enumerate()
            .map(|(i, o)| Candidate { admin_id: AdminId::new(i as i64 + 1), open: *o, away: false })
            .collect()
    }

    #[test]
    fn manual_keeps_the_team() {
        assert_eq!(pick(Method::Manual, &team(&[0, 0]), None, None), None);
    }

    #[test]
    fn round_robin_goes_round() {
        let t = team(&[5, 0, 0]);
        assert_eq!(pick(Method::RoundRobin, &t, None, None), Some(AdminId::new(1)));
        assert_eq!(pick(Method::RoundRobin, &t, None, Some(AdminId::new(1))), Some(AdminId::new(2)));
        assert_eq!(pick(Method::RoundRobin, &t, None, Some(AdminId::new(3))), Some(AdminId::new(1)));
        // At capacity: skipped.
        assert_eq!(pick(Method::RoundRobin, &t, Some(5), Some(AdminId::new(3))), Some(AdminId::new(2)));
    }

    #[test]
    fn balanced_picks_the_least_loaded_and_skips_away() {
        let mut t = team(&[3, 1, 1]);
        assert_eq!(pick(Method::Balanced, &t, None, None), Some(AdminId::new(2)));
        assert_eq!(pick(Method::Balanced, &t, None, Some(AdminId::new(2))), Some(AdminId::new(3)));
        t[1].away = true;
        t[2].away = true;
        assert_eq!(pick(Method::Balanced, &t, None, None), Some(AdminId::new(1)));
        assert_eq!(pick(Method::Balanced, &t, Some(3), None), None);
    }

    proptest! {
        /// Whoever is picked is available and under the limit; balanced picks a least-loaded one.
        #[test]
        fn picks_respect_capacity_and_away(
            loads in proptest::collection::vec((0i64..6, any::<bool>()), 0..8),
            limit in proptest::option::of(1i64..6),
            last in proptest::option::of((0i64..9).prop_map(AdminId::new)),
            balanced in any::<bool>(),
        ) {
            let candidates: Vec<Candidate> = loads.iter().enumerate()
                .map(|(i, (open, away))| Candidate { admin_id: AdminId::new(i as i64 + 1), open: *open, away: *away }).collect();
            let method = if balanced { Method::Balanced } else { Method::RoundRobin };
            let available: Vec<&Candidate> =
                candidates.iter().filter(|c| !c.away && limit.is_none_or(|l| c.open < l)).collect();
            match pick(method, &candidates, limit, last) {
                None => prop_assert!(available.is_empty()),
                Some(id) => {
                    let chosen = available.iter().find(|c| c.admin_id == id);
                    prop_assert!(chosen.is_some());
                    if balanced {
                        let least = available.iter().map(|c| c.open).min().unwrap();
                        prop_assert_eq!(chosen.unwrap().open, least);
                    }
                }
            }
        }

        /// Repeated round robin over an idle team visits everyone once per round.
        #[test]
        fn round_robin_is_fair(size in 1usize..7, rounds in 1usize..4) {
            let candidates = team(&vec![0; size]);
            let mut last = None;
            let mut counts = vec![0; size];
            for _ in 0..size * rounds {
                let id = pick(Method::RoundRobin, &candidates, None, last).unwrap();
                counts[id.get() as usize - 1] += 1;
                last = Some(id);
            }
            prop_assert!(counts.iter().all(|c| *c == rounds));
        }
    }
}
