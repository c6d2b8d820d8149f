//! The fixed permission list and the built-in roles (SPEC R-AU-2).

use std::collections::BTreeSet;
use std::fmt;

/// What a user may do. Roles are named sets of these; the list itself is fixed in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    DashboardView,
    MidsManage,
    GatewaysManage,
    RecycleManage,
    DeclineMappingManage,
    ReportsView,
    CustomersView,
    CustomersAct,
    CustomersBlacklist,
    UsersManage,
    RolesManage,
    EventsView,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::DashboardView,
        Permission::MidsManage,
        Permission::GatewaysManage,
        Permission::RecycleManage,
        Permission::DeclineMappingManage,
        Permission::ReportsView,
        Permission::CustomersView,
        Permission::CustomersAct,
        Permission::CustomersBlacklist,
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::EventsView,
    ];

    /// Any of these opens the Admin section.
    pub const ADMIN_AREA: [Permission; 3] = [
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::EventsView,
    ];

    /// The stable key stored in the database and posted by forms.
    pub fn key(self) -> &'static str {
        match self {
            Permission::DashboardView => "dashboard.view",
            Permission::MidsManage => "mids.manage",
            Permission::GatewaysManage => "gateways.manage",
            Permission::RecycleManage => "recycle.manage",
            Permission::DeclineMappingManage => "decline_mapping.manage",
            Permission::ReportsView => "reports.view",
            Permission::CustomersView => "customers.view",
            Permission::CustomersAct => "customers.act",
            Permission::CustomersBlacklist => "customers.blacklist",
            Permission::UsersManage => "users.manage",
            Permission::RolesManage => "roles.manage",
            Permission::EventsView => "events.view",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Permission::DashboardView => "See the dashboard",
            Permission::MidsManage => "Set up MIDs",
            Permission::GatewaysManage => "Set up gateways and routing",
            Permission::RecycleManage => "Set up recycle billing profiles",
            Permission::DeclineMappingManage => "Edit decline message mapping",
            Permission::ReportsView => "See reports",
            Permission::CustomersView => "Find customers and read their history",
            Permission::CustomersAct => "Refund, void, cancel and rebill",
            Permission::CustomersBlacklist => "Blacklist customers",
            Permission::UsersManage => "Manage users",
            Permission::RolesManage => "Manage roles",
            Permission::EventsView => "Read the event log",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The four roles every installation has; their permissions live here, not in the database,
/// so an upgrade that adds a permission updates them everywhere at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRole {
    Admin,
    Merchant,
    CsAdmin,
    CsAgent,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [
        BuiltinRole::Admin,
        BuiltinRole::Merchant,
        BuiltinRole::CsAdmin,
        BuiltinRole::CsAgent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "admin",
            BuiltinRole::Merchant => "merchant",
            BuiltinRole::CsAdmin => "cs_admin",
            BuiltinRole::CsAgent => "cs_agent",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        let list: &[Permission] = match self {
            BuiltinRole::Admin => &Permission::ALL,
            BuiltinRole::Merchant => &[
                DashboardView,
                MidsManage,
                GatewaysManage,
                RecycleManage,
                DeclineMappingManage,
                ReportsView,
            ],
            BuiltinRole::CsAdmin => &[
                DashboardView,
                CustomersView,
                CustomersAct,
                CustomersBlacklist,
            ],
            BuiltinRole::CsAgent => &[DashboardView, CustomersView, CustomersAct],
        };
        list.iter().copied().collect()
    }
}

/// A role's permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn contains(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Comma-separated keys, for the event log.
    pub fn keys(&self) -> Vec<&'static str> {
        self.0.iter().map(|p| p.key()).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}
