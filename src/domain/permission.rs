//! The fixed permission list and the built-in roles (SPEC R-AU-2).

use std::collections::BTreeSet;
use std::fmt;

/// What a user may do. Roles are named sets of these; the list itself is fixed in code.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
pub enum Permission {
    #[strum(serialize = "dashboard.view")]
    DashboardView,
    #[strum(serialize = "mids.manage")]
    MidsManage,
    #[strum(serialize = "gateways.manage")]
    GatewaysManage,
    #[strum(serialize = "recycle.manage")]
    RecycleManage,
    #[strum(serialize = "decline_mapping.manage")]
    DeclineMappingManage,
    #[strum(serialize = "reports.view")]
    ReportsView,
    #[strum(serialize = "catalogue.manage")]
    CatalogueManage,
    #[strum(serialize = "orders.enter")]
    OrdersEnter,
    #[strum(serialize = "customers.view")]
    CustomersView,
    #[strum(serialize = "customers.act")]
    CustomersAct,
    #[strum(serialize = "customers.blacklist")]
    CustomersBlacklist,
    #[strum(serialize = "users.manage")]
    UsersManage,
    #[strum(serialize = "roles.manage")]
    RolesManage,
    #[strum(serialize = "events.view")]
    EventsView,
    #[strum(serialize = "api_keys.manage")]
    ApiKeysManage,
    #[strum(serialize = "jobs.manage")]
    JobsManage,
}

impl Permission {
    /// Any of these opens the Admin section.
    pub const ADMIN_AREA: [Permission; 5] = [
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::EventsView,
        Permission::ApiKeysManage,
        Permission::JobsManage,
    ];

    /// Any of these opens an order's page: agents find orders, order entry lands on them.
    pub const ORDER_READERS: [Permission; 2] = [Permission::CustomersView, Permission::OrdersEnter];

    /// The stable key stored in the database and posted by forms.
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn label(self) -> &'static str {
        match self {
            Permission::DashboardView => "See the dashboard",
            Permission::MidsManage => "Set up MIDs",
            Permission::GatewaysManage => "Set up gateways and routing",
            Permission::RecycleManage => "Set up recycle billing profiles",
            Permission::DeclineMappingManage => "Edit decline message mapping",
            Permission::ReportsView => "See reports",
            Permission::CatalogueManage => "Set up products and campaigns",
            Permission::OrdersEnter => "Place orders through order entry",
            Permission::CustomersView => "Find customers and read their history",
            Permission::CustomersAct => "Refund, void, cancel and rebill",
            Permission::CustomersBlacklist => "Blacklist customers",
            Permission::UsersManage => "Manage users",
            Permission::RolesManage => "Manage roles",
            Permission::EventsView => "Read the event log",
            Permission::ApiKeysManage => "Manage API keys",
            Permission::JobsManage => "See and retry background jobs",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The four roles every installation has; their permissions live here, not in the database,
/// so an upgrade that adds a permission updates them everywhere at once.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum BuiltinRole {
    #[strum(serialize = "admin")]
    Admin,
    #[strum(serialize = "merchant")]
    Merchant,
    #[strum(serialize = "cs_admin")]
    CsAdmin,
    #[strum(serialize = "cs_agent")]
    CsAgent,
}

impl BuiltinRole {
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        let list: &[Permission] = match self {
            BuiltinRole::Admin => return Permission::all().collect(),
            BuiltinRole::Merchant => &[
                DashboardView,
                MidsManage,
                GatewaysManage,
                RecycleManage,
                DeclineMappingManage,
                ReportsView,
                CatalogueManage,
                OrdersEnter,
            ],
            BuiltinRole::CsAdmin => &[
                DashboardView,
                CustomersView,
                CustomersAct,
                CustomersBlacklist,
                OrdersEnter,
            ],
            BuiltinRole::CsAgent => &[DashboardView, CustomersView, CustomersAct, OrdersEnter],
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
