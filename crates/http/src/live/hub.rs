//! The node's hub: it turns commits into doorbells on the bus, and doorbells into events for the
//! sockets of this node. Per workspace with open sockets it keeps a feed (a broadcast of log rows
//! in seq order, each read once from the database whatever the number of sockets), fed on every
//! doorbell and, as a safety net for lost doorbells, every second.
use rapport_core::ids::{AdminId, WorkspaceId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rapport_bus::{Bus, Signal};
use rapport_store::event_log;

use super::frames::LiveEvent;
use super::presence::{lifetime, PresenceBook};
use rapport_store::Db;
use tokio::sync::broadcast;

/// Log rows read per query while catching up.
pub(crate) const PAGE: i64 = 500;
/// Items buffered per socket before it lags (and re-reads the log itself).
const FEED_CAPACITY: usize = 4096;

/// What a workspace's feed carries to its sockets.
#[derive(Debug, Clone)]
pub(crate) enum Live {
    Event(Arc<LiveEvent>),
    Signal(Signal),
}

/// One workspace's fan-out on this node.
pub(crate) struct Feed {
    pub(crate) sender: broadcast::Sender<Live>,
    /// The last seq sent on `sender`; the async mutex makes one reader at a time advance it.
    delivered: tokio::sync::Mutex<i64>,
    /// A lock-free copy of `delivered`, to drop doorbells that bring nothing new.
    delivered_hint: AtomicI64,
    /// A catch-up task is running / another doorbell rang while it ran (doorbells coalesce).
    reading: AtomicBool,
    rang_again: AtomicBool,
    sockets: Mutex<usize>,
}

/// The per-node real-time hub. Build it with [`Hub::start`].
pub struct Hub {
    pub(crate) db: Db,
    pub(crate) bus: Bus,
    feeds: Mutex<HashMap<WorkspaceId, Arc<Feed>>>,
    /// Teammates' presence: this node's agent sockets, and what every node said.
    presence: PresenceBook,
    /// Held while presence is computed and published, so a heartbeat taken before a socket
    /// closed cannot reach the bus after that socket's `offline`.
    presence_publishing: tokio::sync::Mutex<()>,
}

impl Hub {
    /// Creates the hub and, inside a tokio runtime, starts its tasks: commits -> bus doorbells,
    /// bus signals -> feeds, the poll every `poll_every` (one second by default) and the presence
    /// heartbeat every `heartbeat`. The tasks end when the hub is dropped.
    pub fn start(db: Db, bus: Bus, poll_every: Duration, heartbeat: Duration) -> Arc<Hub> {
        let presence = PresenceBook::new(bus.node_id());
        let hub = Arc::new(Hub { db, bus, feeds: Mutex::default(), presence, presence_publishing: Default::default() });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(ring_doorbells(hub.db.committed(), hub.bus.clone(), Arc::downgrade(&hub)));
            tokio::spawn(hear_signals(hub.bus.subscribe(), Arc::downgrade(&hub)));
            tokio::spawn(poll(Arc::downgrade(&hub), poll_every));
            tokio::spawn(beat(Arc::downgrade(&hub), heartbeat));
        } else {
            tracing::warn!("the live hub was built outside a tokio runtime: it will not deliver events");
        }
        hub
    }

    /// The bus this node rings and listens to.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Joins a workspace's feed: returns it and a receiver of everything fanned out from now on.
    /// Dropping the returned guard leaves it (the last socket to leave closes the feed).
    pub(crate) async fn join(
        self: &Arc<Self>,
        workspace_id: WorkspaceId,
    ) -> Result<FeedGuard, rapport_store::StoreError> {
        // The socket is counted under the map's lock, so a feed cannot close between lookup and join.
        if let Some(feed) = self.feeds.lock().unwrap_or_else(|e| e.into_inner()).get(&workspace_id) {
            return Ok(self.guard(workspace_id, feed));
        }
        // A new feed starts at the log's end: sockets read their own backlog.
        let last = event_log::last_seq(&self.db, workspace_id).await?;
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        let feed = feeds.entry(workspace_id).or_insert_with(|| {
            Arc::new(Feed {
                sender: broadcast::channel(FEED_CAPACITY).0,
                delivered: tokio::sync::Mutex::new(last),
                delivered_hint: AtomicI64::new(last),
                reading: AtomicBool::new(false),
                rang_again: AtomicBool::new(false),
                sockets: Mutex::new(0),
            })
        });
        Ok(self.guard(workspace_id, feed))
    }

    fn guard(self: &Arc<Self>, workspace_id: WorkspaceId, feed: &Arc<Feed>) -> FeedGuard {
        *feed.sockets.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        let receiver = feed.sender.subscribe();
        FeedGuard { hub: Arc::clone(self), workspace_id, feed: Arc::clone(feed), receiver: Some(receiver) }
    }

    fn leave(&self, workspace_id: WorkspaceId, feed: &Arc<Feed>) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        let mut sockets = feed.sockets.lock().unwrap_or_else(|e| e.into_inner());
        *sockets -= 1;
        if *sockets == 0 && feeds.get(&workspace_id).is_some_and(|f| Arc::ptr_eq(f, feed)) {
            feeds.remove(&workspace_id);
        }
    }

    fn feed(&self, workspace_id: WorkspaceId) -> Option<Arc<Feed>> {
        self.feeds.lock().unwrap_or_else(|e| e.into_inner()).get(&workspace_id).cloned()
    }

    /// Reads the workspace's log after what its feed delivered and fans the rows out, in order.
    async fn catch_up(&self, workspace_id: WorkspaceId, feed: &Feed) {
        let mut delivered = feed.delivered.lock().await;
        loop {
            let rows = match event_log::after(&self.db, workspace_id, *delivered, PAGE).await {
                Ok(rows) => rows,
                Err(e) => {
                    return tracing::warn!(error = %e, workspace_id = workspace_id.get(), "cannot read the event log")
                }
            };
            let full = rows.len() as i64 == PAGE;
            for row in rows {
                *delivered = row.seq;
                let _ = feed.sender.send(Live::Event(Arc::new(LiveEvent::from(&row))));
            }
            feed.delivered_hint.store(*delivered, Ordering::Relaxed);
            if !full {
                return;
            }
        }
    }

    /// Catches the feed up on a doorbell. Doorbells that ring while a read runs make it read once
    /// more instead of queueing one read each.
    async fn answer_doorbell(&self, workspace_id: WorkspaceId, feed: &Feed) {
        if feed.reading.swap(true, Ordering::AcqRel) {
            feed.rang_again.store(true, Ordering::Release);
            return;
        }
        loop {
            feed.rang_again.store(false, Ordering::Release);
            self.catch_up(workspace_id, feed).await;
            if feed.rang_again.load(Ordering::Acquire) {
                continue;
            }
            feed.reading.store(false, Ordering::Release);
            // A doorbell between the check and the release finds `reading` set: take it over.
            if !feed.rang_again.load(Ordering::Acquire) || feed.reading.swap(true, Ordering::AcqRel) {
                return;
            }
        }
    }

    /// An agent socket opened: the admin is online unless they already were on this node.
    pub(crate) async fn agent_connected(&self, workspace_id: WorkspaceId, admin_id: AdminId) {
        let _publishing = self.presence_publishing.lock().await;
        if let Some(signal) = self.presence.connected(workspace_id, admin_id) {
            self.bus.publish(signal).await;
        }
    }

    /// An agent socket closed: this node lets the admin go when it was their last one here
    /// (they stay online while another node holds them).
    pub(crate) async fn agent_disconnected(&self, workspace_id: WorkspaceId, admin_id: AdminId) {
        let _publishing = self.presence_publishing.lock().await;
        if let Some(signal) = self.presence.disconnected(workspace_id, admin_id) {
            self.bus.publish(signal).await;
        }
    }

    /// An agent set their status (`online` or `away`).
    pub(crate) async fn set_presence(&self, workspace_id: WorkspaceId, admin_id: AdminId, status: &str) {
        let _publishing = self.presence_publishing.lock().await;
        self.bus.publish(self.presence.set(workspace_id, admin_id, status)).await;
    }

    /// The status of each admin of the workspace who is not offline.
    pub(crate) fn presence_snapshot(&self, workspace_id: WorkspaceId) -> Vec<(AdminId, String)> {
        self.presence.snapshot(workspace_id)
    }

    /// Tells this node's agent sockets of the workspace that an admin's overall status changed.
    fn announce_presence(&self, workspace_id: WorkspaceId, admin_id: AdminId, status: String) {
        if let Some(feed) = self.feed(workspace_id) {
            let node = self.bus.node_id().to_string();
            let _ = feed.sender.send(Live::Signal(Signal::Presence {
                workspace_id: workspace_id.get(),
                admin_id: admin_id.get(),
                status,
                node,
            }));
        }
    }
}

/// A socket's membership of a workspace feed.
pub(crate) struct FeedGuard {
    hub: Arc<Hub>,
    workspace_id: WorkspaceId,
    feed: Arc<Feed>,
    pub(crate) receiver: Option<broadcast::Receiver<Live>>,
}

impl Drop for FeedGuard {
    fn drop(&mut self) {
        self.receiver.take();
        self.hub.leave(self.workspace_id, &self.feed);
    }
}

/// Every commit of this process rings the bus (this node hears it at once, the others via NATS).
async fn ring_doorbells(mut commits: broadcast::Receiver<rapport_store::Committed>, bus: Bus, hub: Weak<Hub>) {
    loop {
        match commits.recv().await {
            Ok(c) => bus.publish(Signal::Advanced { workspace_id: c.workspace_id, seq: c.seq }).await,
            // Missed announcements only delay delivery: the poll reads the log anyway.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        }
        if hub.strong_count() == 0 {
            return;
        }
    }
}

/// Bus signals: doorbells make the workspace's feed catch up; typing and presence pass through.
async fn hear_signals(mut signals: broadcast::Receiver<Signal>, hub: Weak<Hub>) {
    loop {
        let signal = match signals.recv().await {
            Ok(signal) => signal,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(hub) = hub.upgrade() else { return };
        // The bus carries the raw id between nodes.
        let workspace_id = WorkspaceId::from(signal.workspace_id());
        if let Signal::Presence { admin_id, status, node, .. } = &signal {
            let admin_id = AdminId::from(*admin_id);
            // Sockets hear an admin's overall status, and only when it changes.
            if let Some(overall) = hub.presence.heard(workspace_id, admin_id, node, status, Instant::now()) {
                hub.announce_presence(workspace_id, admin_id, overall);
            }
            continue;
        }
        let Some(feed) = hub.feed(workspace_id) else { continue };
        match signal {
            Signal::Advanced { seq, .. } => {
                if seq > feed.delivered_hint.load(Ordering::Relaxed) {
                    // Reading the log must not hold up other workspaces' signals.
                    tokio::spawn(async move { hub.answer_doorbell(workspace_id, &feed).await });
                }
            }
            other => {
                let _ = feed.sender.send(Live::Signal(other));
            }
        }
    }
}

/// Every heartbeat, repeats this node's admins on the bus and forgets nodes gone silent.
async fn beat(hub: Weak<Hub>, every: Duration) {
    let every = every.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        {
            let _publishing = hub.presence_publishing.lock().await;
            for signal in hub.presence.heartbeats() {
                hub.bus.publish(signal).await;
            }
        }
        let Some(silent_since) = Instant::now().checked_sub(lifetime(every)) else { continue };
        for (workspace_id, admin_id, status) in hub.presence.expire(silent_since) {
            hub.announce_presence(workspace_id, admin_id, status);
        }
    }
}

/// Every second, re-reads the log of each workspace with open sockets (lost doorbells only delay).
async fn poll(hub: Weak<Hub>, every: Duration) {
    let mut ticker = tokio::time::interval(every.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let feeds: Vec<(WorkspaceId, Arc<Feed>)> =
            hub.feeds.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(w, f)| (*w, f.clone())).collect();
        for (workspace_id, feed) in feeds {
            hub.catch_up(workspace_id, &feed).await;
        }
    }
}
