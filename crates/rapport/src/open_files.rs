//! The open-files limit decides how many sockets (WebSockets, HTTP keep-alive, SMTP, database
//! connections) one node can hold: each is a file descriptor. `serve` reports it at start, raises
//! the soft limit to the hard one, and warns when what it got is low. docs/REALTIME.md says how to
//! raise the hard limit in production.
use rlimit::Resource;

/// Below this many open files a node is warned about: a few thousand sockets is a busy afternoon
/// for a support team's messenger.
pub const LOW: u64 = 16_384;

/// The soft and hard limits before and after [`raise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    pub soft_before: u64,
    pub soft: u64,
    pub hard: u64,
}

impl OpenFiles {
    pub fn is_low(&self) -> bool {
        self.soft < LOW
    }

    /// One line for the operator.
    pub fn describe(&self) -> String {
        let raised =
            if self.soft > self.soft_before { format!(" (raised from {})", self.soft_before) } else { String::new() };
        let hard = if self.hard == rlimit::INFINITY { "unlimited".to_string() } else { self.hard.to_string() };
        format!("open files limit {}{raised}, hard limit {hard}", self.soft)
    }
}

/// Raises the soft open-files limit to the hard one and reports both. `None` where the platform
/// has no such limit or it cannot be read.
pub fn raise() -> Option<OpenFiles> {
    let (soft_before, hard) = Resource::NOFILE.get().ok()?;
    let soft = rlimit::increase_nofile_limit(hard).unwrap_or(soft_before);
    Some(OpenFiles { soft_before, soft, hard })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one_and_described() {
        let limits = raise().expect("Linux has RLIMIT_NOFILE");
        assert_eq!(Resource::NOFILE.get().unwrap().0, limits.soft);
        assert!(limits.soft >= limits.soft_before);
        assert!(limits.soft == limits.hard || limits.hard == rlimit::INFINITY, "{limits:?}");
        let raised = OpenFiles { soft_before: 1024, soft: 65_536, hard: 65_536 };
        assert_eq!(raised.describe(), "open files limit 65536 (raised from 1024), hard limit 65536");
        assert!(!raised.is_low());
        let low = OpenFiles { soft_before: 1024, soft: 1024, hard: 1024 };
        assert_eq!(low.describe(), "open files limit 1024, hard limit 1024");
        assert!(low.is_low());
    }
}
