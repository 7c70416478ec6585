//! The node's hub: it turns commits into doorbells on the bus, and doorbells into events for the
//! sockets of this node. Per workspace with open sockets it keeps a feed (a broadcast of log rows
//! in seq order, each read once from the database whatever the number of sockets), fed on every
//! doorbell and, as a safety net for lost doorbells, every second.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rapport_bus::{Bus, Signal};
use rapport_store::event_log;

use super::frames::LiveEvent;
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
    feeds: Mutex<HashMap<i64, Arc<Feed>>>,
    /// Per workspace, per admin: this node's open agent sockets and the admin's status.
    local_presence: Mutex<HashMap<(i64, i64), (usize, String)>>,
    /// Per workspace: the last status heard for each admin (any node), for new sockets.
    known_presence: Mutex<HashMap<i64, HashMap<i64, String>>>,
}

impl Hub {
    /// Creates the hub and, inside a tokio runtime, starts its tasks: commits -> bus doorbells,
    /// bus signals -> feeds, and the poll every `poll_every` (one second by default). The tasks
    /// end when the hub is dropped.
    pub fn start(db: Db, bus: Bus, poll_every: Duration) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            db,
            bus,
            feeds: Mutex::default(),
            local_presence: Mutex::default(),
            known_presence: Mutex::default(),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(ring_doorbells(hub.db.committed(), hub.bus.clone(), Arc::downgrade(&hub)));
            tokio::spawn(hear_signals(hub.bus.subscribe(), Arc::downgrade(&hub)));
            tokio::spawn(poll(Arc::downgrade(&hub), poll_every));
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
    pub(crate) async fn join(self: &Arc<Self>, workspace_id: i64) -> Result<FeedGuard, rapport_store::StoreError> {
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

    fn guard(self: &Arc<Self>, workspace_id: i64, feed: &Arc<Feed>) -> FeedGuard {
        *feed.sockets.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        let receiver = feed.sender.subscribe();
        FeedGuard { hub: Arc::clone(self), workspace_id, feed: Arc::clone(feed), receiver: Some(receiver) }
    }

    fn leave(&self, workspace_id: i64, feed: &Arc<Feed>) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        let mut sockets = feed.sockets.lock().unwrap_or_else(|e| e.into_inner());
        *sockets -= 1;
        if *sockets == 0 && feeds.get(&workspace_id).is_some_and(|f| Arc::ptr_eq(f, feed)) {
            feeds.remove(&workspace_id);
        }
    }

    fn feed(&self, workspace_id: i64) -> Option<Arc<Feed>> {
        self.feeds.lock().unwrap_or_else(|e| e.into_inner()).get(&workspace_id).cloned()
    }

    /// Reads the workspace's log after what its feed delivered and fans the rows out, in order.
    async fn catch_up(&self, workspace_id: i64, feed: &Feed) {
        let mut delivered = feed.delivered.lock().await;
        loop {
            let rows = match event_log::after(&self.db, workspace_id, *delivered, PAGE).await {
                Ok(rows) => rows,
                Err(e) => return tracing::warn!(error = %e, workspace_id, "cannot read the event log"),
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
    async fn answer_doorbell(&self, workspace_id: i64, feed: &Feed) {
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

    /// An agent socket opened: the admin is online unless they already were here.
    pub(crate) async fn agent_connected(&self, workspace_id: i64, admin_id: i64) {
        let first = {
            let mut presence = self.local_presence.lock().unwrap_or_else(|e| e.into_inner());
            let entry = presence.entry((workspace_id, admin_id)).or_insert((0, "online".to_string()));
            entry.0 += 1;
            entry.0 == 1
        };
        if first {
            self.bus.publish(Signal::Presence { workspace_id, admin_id, status: "online".into() }).await;
        }
    }

    /// An agent socket closed: the admin goes offline when it was their last on this node.
    pub(crate) async fn agent_disconnected(&self, workspace_id: i64, admin_id: i64) {
        let last = {
            let mut presence = self.local_presence.lock().unwrap_or_else(|e| e.into_inner());
            match presence.get_mut(&(workspace_id, admin_id)) {
                Some(entry) if entry.0 > 1 => {
                    entry.0 -= 1;
                    false
                }
                Some(_) => {
                    presence.remove(&(workspace_id, admin_id));
                    true
                }
                None => false,
            }
        };
        if last {
            self.bus.publish(Signal::Presence { workspace_id, admin_id, status: "offline".into() }).await;
        }
    }

    /// An agent set their status (`online` or `away`).
    pub(crate) async fn set_presence(&self, workspace_id: i64, admin_id: i64, status: &str) {
        if let Some(entry) =
            self.local_presence.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&(workspace_id, admin_id))
        {
            entry.1 = status.to_string();
        }
        self.bus.publish(Signal::Presence { workspace_id, admin_id, status: status.into() }).await;
    }

    /// The last status heard for each admin of the workspace who is not offline.
    pub(crate) fn presence_snapshot(&self, workspace_id: i64) -> Vec<(i64, String)> {
        let known = self.known_presence.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<(i64, String)> =
            known.get(&workspace_id).map(|m| m.iter().map(|(a, s)| (*a, s.clone())).collect()).unwrap_or_default();
        list.sort();
        list
    }

    fn remember_presence(&self, workspace_id: i64, admin_id: i64, status: &str) {
        let mut known = self.known_presence.lock().unwrap_or_else(|e| e.into_inner());
        let admins = known.entry(workspace_id).or_default();
        if status == "offline" {
            admins.remove(&admin_id);
        } else {
            admins.insert(admin_id, status.to_string());
        }
    }
}

/// A socket's membership of a workspace feed.
pub(crate) struct FeedGuard {
    hub: Arc<Hub>,
    workspace_id: i64,
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
        let workspace_id = signal.workspace_id();
        if let Signal::Presence { admin_id, status, .. } = &signal {
            hub.remember_presence(workspace_id, *admin_id, status);
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

/// Every second, re-reads the log of each workspace with open sockets (lost doorbells only delay).
async fn poll(hub: Weak<Hub>, every: Duration) {
    let mut ticker = tokio::time::interval(every.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let feeds: Vec<(i64, Arc<Feed>)> =
            hub.feeds.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(w, f)| (*w, f.clone())).collect();
        for (workspace_id, feed) in feeds {
            hub.catch_up(workspace_id, &feed).await;
        }
    }
}
