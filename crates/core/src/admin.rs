//! Teammates' roles and what each may do.
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdminRole {
    /// Read-only access.
    Viewer,
    /// Works conversations and customers.
    Agent,
    /// Everything an agent does, plus teammates, teams and tokens.
    Admin,
    /// Everything, including the workspace itself.
    Owner,
}

impl AdminRole {
    pub const ALL: [AdminRole; 4] = [AdminRole::Owner, AdminRole::Admin, AdminRole::Agent, AdminRole::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Owner => "owner",
            AdminRole::Admin => "admin",
            AdminRole::Agent => "agent",
            AdminRole::Viewer => "viewer",
        }
    }

    /// May create or change customer data and conversations.
    pub fn can_write(self) -> bool {
        self >= AdminRole::Agent
    }

    /// May manage teammates, teams, API tokens and workspace settings.
    pub fn can_manage_workspace(self) -> bool {
        self >= AdminRole::Admin
    }

    /// May invite, re-role, deactivate or reactivate a teammate whose role is (or becomes)
    /// `target`: admins and owners may, but only owners touch owners or make new ones.
    pub fn may_manage(self, target: AdminRole) -> bool {
        self.can_manage_workspace() && (target != AdminRole::Owner || self == AdminRole::Owner)
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("role must be one of owner, admin, agent, viewer (got {0:?})")]
pub struct UnknownRole(pub String);

impl FromStr for AdminRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AdminRole::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_order_permissions() {
        for role in AdminRole::ALL {
            assert_eq!(role.as_str().parse::<AdminRole>(), Ok(role));
        }
        assert!("root".parse::<AdminRole>().is_err());
        assert!(!AdminRole::Viewer.can_write());
        assert!(AdminRole::Agent.can_write() && !AdminRole::Agent.can_manage_workspace());
        assert!(AdminRole::Admin.can_manage_workspace());
    }

    #[test]
    fn only_owners_manage_owners() {
        assert!(AdminRole::Owner.may_manage(AdminRole::Owner));
        assert!(AdminRole::Admin.may_manage(AdminRole::Admin) && AdminRole::Admin.may_manage(AdminRole::Viewer));
        assert!(!AdminRole::Admin.may_manage(AdminRole::Owner));
        assert!(!AdminRole::Agent.may_manage(AdminRole::Viewer));
        assert!(!AdminRole::Viewer.may_manage(AdminRole::Viewer));
    }
}
