//! Teammates' presence across nodes. Each node counts its own agent sockets per admin and says
//! on the bus when an admin comes (`online`), changes status, or leaves it (`offline`), and
//! repeats every admin it holds at each heartbeat. Each node keeps what it heard per admin *per
//! node*: an admin is online while any node says so (`online` beats `away`), goes offline when
//! the last node lets them go, and a node that stops beating (it died) is forgotten after
//! [`MISSED_BEATS`] heartbeats.
use rapport_core::ids::{AdminId, WorkspaceId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rapport_bus::Signal;

/// Heartbeats a node may miss before what it said is forgotten.
pub(crate) const MISSED_BEATS: u32 = 3;

type Statuses = HashMap<String, (String, Instant)>;

#[derive(Default)]
pub(crate) struct PresenceBook {
    node: String,
    /// Per (workspace, admin): this node's open agent sockets and the admin's status here.
    local: Mutex<HashMap<(WorkspaceId, AdminId), (usize, String)>>,
    /// Per workspace, per admin, per node: the status last heard and when.
    heard: Mutex<HashMap<WorkspaceId, HashMap<AdminId, Statuses>>>,
}

/// An admin's status over all nodes: `None` when offline everywhere.
fn overall(statuses: &Statuses) -> Option<&str> {
    let mut best = None;
    for (status, _) in statuses.values() {
        match status.as_str() {
            "online" => return Some("online"),
            "away" => best = Some("away"),
            _ => {}
        }
    }
    best
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl PresenceBook {
    pub(crate) fn new(node: &str) -> Self {
        Self { node: node.to_string(), ..Self::default() }
    }

    fn signal(&self, workspace_id: WorkspaceId, admin_id: AdminId, status: &str) -> Signal {
        Signal::Presence {
            workspace_id: workspace_id.get(),
            admin_id: admin_id.get(),
            status: status.to_string(),
            node: self.node.clone(),
        }
    }

    /// An agent socket opened: the signal to publish when it is the admin's first on this node.
    pub(crate) fn connected(&self, workspace_id: WorkspaceId, admin_id: AdminId) -> Option<Signal> {
        let mut local = lock(&self.local);
        let entry = local.entry((workspace_id, admin_id)).or_insert((0, "online".to_string()));
        entry.0 += 1;
        (entry.0 == 1).then(|| self.signal(workspace_id, admin_id, "online"))
    }

    /// An agent socket closed: the signal to publish when it was the admin's last on this node.
    pub(crate) fn disconnected(&self, workspace_id: WorkspaceId, admin_id: AdminId) -> Option<Signal> {
        let mut local = lock(&self.local);
        let entry = local.get_mut(&(workspace_id, admin_id))?;
        entry.0 -= 1;
        if entry.0 > 0 {
            return None;
        }
        local.remove(&(workspace_id, admin_id));
        Some(self.signal(workspace_id, admin_id, "offline"))
    }

    /// An agent set their status on this node.
    pub(crate) fn set(&self, workspace_id: WorkspaceId, admin_id: AdminId, status: &str) -> Signal {
        if let Some(entry) = lock(&self.local).get_mut(&(workspace_id, admin_id)) {
            entry.1 = status.to_string();
        }
        self.signal(workspace_id, admin_id, status)
    }

    /// What this node repeats at each heartbeat: every admin it holds sockets of.
    pub(crate) fn heartbeats(&self) -> Vec<Signal> {
        let local = lock(&self.local);
        local
            .iter()
            .map(|((workspace_id, admin_id), (_, status))| self.signal(*workspace_id, *admin_id, status))
            .collect()
    }

    /// Records what a node said; returns the admin's overall status when it changed (`offline`
    /// included).
    pub(crate) fn heard(
        &self,
        workspace_id: WorkspaceId,
        admin_id: AdminId,
        node: &str,
        status: &str,
        at: Instant,
    ) -> Option<String> {
        let mut heard = lock(&self.heard);
        let admins = heard.entry(workspace_id).or_default();
        let statuses = admins.entry(admin_id).or_default();
        let before = overall(statuses).map(str::to_string);
        if status == "offline" {
            statuses.remove(node);
        } else {
            statuses.insert(node.to_string(), (status.to_string(), at));
        }
        let after = overall(statuses).map(str::to_string);
        if statuses.is_empty() {
            admins.remove(&admin_id);
        }
        (before != after).then(|| after.unwrap_or_else(|| "offline".to_string()))
    }

    /// Forgets nodes not heard from since `before`; returns the admins whose overall status
    /// changed, as (workspace, admin, status).
    pub(crate) fn expire(&self, before: Instant) -> Vec<(WorkspaceId, AdminId, String)> {
        let mut changes = Vec::new();
        let mut heard = lock(&self.heard);
        for (workspace_id, admins) in heard.iter_mut() {
            for (admin_id, statuses) in admins.iter_mut() {
                let was = overall(statuses).map(str::to_string);
                statuses.retain(|_, (_, at)| *at >= before);
                let now = overall(statuses).map(str::to_string);
                if was != now {
                    changes.push((*workspace_id, *admin_id, now.unwrap_or_else(|| "offline".to_string())));
                }
            }
            admins.retain(|_, statuses| !statuses.is_empty());
        }
        heard.retain(|_, admins| !admins.is_empty());
        changes
    }

    /// The overall status of each admin of the workspace who is not offline, by admin id.
    pub(crate) fn snapshot(&self, workspace_id: WorkspaceId) -> Vec<(AdminId, String)> {
        let heard = lock(&self.heard);
        let mut list: Vec<(AdminId, String)> = heard
            .get(&workspace_id)
            .map(|admins| {
                admins.iter().filter_map(|(a, s)| overall(s).map(|status| (*a, status.to_string()))).collect()
            })
            .unwrap_or_default();
        list.sort();
        list
    }
}

/// How long a node's word lasts without a heartbeat.
pub(crate) fn lifetime(heartbeat: Duration) -> Duration {
    heartbeat * MISSED_BEATS
}

#[cfg(test)]
mod tests {
    use super::*;

    const W1: WorkspaceId = WorkspaceId::new(1);
    const W2: WorkspaceId = WorkspaceId::new(2);
    const A7: AdminId = AdminId::new(7);

    #[test]
    fn an_admin_stays_online_while_any_node_holds_them_and_a_silent_node_is_forgotten() {
        let book = PresenceBook::new("here");
        let t0 = Instant::now();
        assert_eq!(book.heard(W1, A7, "a", "online", t0).as_deref(), Some("online"));
        assert_eq!(book.heard(W1, A7, "b", "away", t0), None, "online on a beats away on b");
        assert_eq!(book.heard(W1, A7, "a", "offline", t0).as_deref(), Some("away"));
        assert_eq!(book.snapshot(W1), vec![(A7, "away".to_string())]);
        assert_eq!(book.snapshot(W2), vec![]);
        // b keeps beating until it stops; then it is forgotten.
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(book.heard(W1, A7, "b", "away", t1), None);
        assert_eq!(book.expire(t0 + Duration::from_secs(5)), vec![]);
        assert_eq!(book.expire(t1 + Duration::from_secs(1)), vec![(W1, A7, "offline".to_string())]);
        assert_eq!(book.snapshot(W1), vec![]);
    }

    #[test]
    fn local_sockets_are_counted_per_admin() {
        let book = PresenceBook::new("n");
        assert!(
            matches!(book.connected(W1, A7), Some(Signal::Presence { ref status, ref node, .. }) if status == "online" && node == "n")
        );
        assert_eq!(book.connected(W1, A7), None);
        assert_eq!(book.disconnected(W1, A7), None);
        book.set(W1, A7, "away");
        assert!(matches!(&book.heartbeats()[..], [Signal::Presence { status, .. }] if status == "away"));
        assert!(matches!(book.disconnected(W1, A7), Some(Signal::Presence { ref status, .. }) if status == "offline"));
        assert_eq!(book.disconnected(W1, A7), None);
        assert!(book.heartbeats().is_empty());
    }
}
