//! The ceiling on what a user or role manager may hand out (SPEC R-AU-6): nobody grants a
//! permission they do not hold, nobody manages a user who holds more than they do, nobody edits
//! the role they hold themselves, and only admins manage admins.

use super::ids::RoleId;
use super::permission::{BuiltinRole, Permission, PermissionSet};

/// Who is granting: the operator at the command line, or a signed-in user with their role as it
/// is in the database right now.
#[derive(Debug, Clone)]
pub enum Grantor {
    /// `recoup user create` and other CLI commands: whoever runs them owns the installation.
    Operator,
    /// A user deleted since they signed in: they hold nothing and reach nobody.
    Gone,
    User {
        role_id: RoleId,
        is_admin: bool,
        permissions: PermissionSet,
    },
}

/// A role as the ceiling sees it: whether it is the built-in admin, and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct RoleReach<'a> {
    pub is_admin: bool,
    pub permissions: &'a PermissionSet,
}

impl<'a> RoleReach<'a> {
    pub fn new(builtin: Option<BuiltinRole>, permissions: &'a PermissionSet) -> Self {
        Self {
            is_admin: builtin == Some(BuiltinRole::Admin),
            permissions,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Overreach {
    #[error("Only an admin can manage admins or give the admin role.")]
    AdminsOnly,
    #[error("Your role does not hold {}, so you cannot grant it or manage someone who holds it.", labels(.0))]
    Lacks(Vec<Permission>),
    #[error("You cannot change the role you hold yourself.")]
    OwnRole,
    #[error("Your account no longer exists.")]
    Gone,
}

fn labels(missing: &[Permission]) -> String {
    missing
        .iter()
        .map(|p| format!("\u{201c}{}\u{201d}", p.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Grantor {
    /// May this grantor give `permissions` to a role they are building?
    pub fn may_grant(&self, permissions: &PermissionSet) -> Result<(), Overreach> {
        let held = match self {
            Grantor::Operator => return Ok(()),
            Grantor::Gone => return Err(Overreach::Gone),
            Grantor::User {
                permissions: held, ..
            } => held,
        };
        let missing: Vec<Permission> = permissions.iter().filter(|p| !held.contains(*p)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Overreach::Lacks(missing))
        }
    }

    /// May this grantor give someone `role`, or act on (role change, password, disable) a user
    /// who holds it? The same ceiling applies both ways: nobody reaches above themselves.
    pub fn may_reach(&self, role: RoleReach<'_>) -> Result<(), Overreach> {
        match self {
            Grantor::Operator => Ok(()),
            Grantor::Gone => Err(Overreach::Gone),
            Grantor::User { is_admin, .. } if role.is_admin && !is_admin => {
                Err(Overreach::AdminsOnly)
            }
            Grantor::User { .. } => self.may_grant(role.permissions),
        }
    }

    /// May this grantor change or delete the role `role`? Not their own, and not one holding
    /// more than they do.
    pub fn may_edit_role(&self, role: RoleId, holds: &PermissionSet) -> Result<(), Overreach> {
        match self {
            Grantor::Operator => Ok(()),
            Grantor::Gone => Err(Overreach::Gone),
            Grantor::User { role_id, .. } if *role_id == role => Err(Overreach::OwnRole),
            Grantor::User { .. } => self.may_grant(holds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    fn user(role: i64, builtin: Option<BuiltinRole>, held: &[Permission]) -> Grantor {
        Grantor::User {
            role_id: RoleId(role),
            is_admin: builtin == Some(BuiltinRole::Admin),
            permissions: held.iter().copied().collect(),
        }
    }

    #[test]
    fn a_user_manager_cannot_reach_the_admin_role_even_holding_every_permission() {
        let every: Vec<Permission> = Permission::all().collect();
        let everything = user(9, None, &every);
        let admin = BuiltinRole::Admin.permissions();
        assert_eq!(
            everything.may_reach(RoleReach::new(Some(BuiltinRole::Admin), &admin)),
            Err(Overreach::AdminsOnly)
        );
        let real_admin = user(1, Some(BuiltinRole::Admin), &every);
        assert!(
            real_admin
                .may_reach(RoleReach::new(Some(BuiltinRole::Admin), &admin))
                .is_ok()
        );
    }

    #[test]
    fn a_grant_names_every_permission_the_grantor_lacks() {
        let manager = user(9, None, &[UsersManage, DashboardView]);
        let merchant = BuiltinRole::Merchant.permissions();
        let Err(Overreach::Lacks(missing)) =
            manager.may_reach(RoleReach::new(Some(BuiltinRole::Merchant), &merchant))
        else {
            panic!("a merchant role holds more than this manager");
        };
        assert!(missing.contains(&MidsManage) && !missing.contains(&DashboardView));
    }

    #[test]
    fn a_role_within_the_grantors_permissions_can_be_given() {
        let cs_admin = user(
            3,
            Some(BuiltinRole::CsAdmin),
            &BuiltinRole::CsAdmin
                .permissions()
                .iter()
                .chain([UsersManage])
                .collect::<Vec<_>>(),
        );
        let agent = BuiltinRole::CsAgent.permissions();
        assert!(
            cs_admin
                .may_reach(RoleReach::new(Some(BuiltinRole::CsAgent), &agent))
                .is_ok()
        );
    }

    #[test]
    fn nobody_edits_their_own_role_even_to_remove_permissions() {
        let manager = user(9, None, &[RolesManage, UsersManage]);
        let nothing = PermissionSet::default();
        assert_eq!(
            manager.may_edit_role(RoleId(9), &nothing),
            Err(Overreach::OwnRole)
        );
        assert!(manager.may_edit_role(RoleId(10), &nothing).is_ok());
    }

    #[test]
    fn the_operator_at_the_command_line_has_no_ceiling() {
        let admin = BuiltinRole::Admin.permissions();
        assert!(
            Grantor::Operator
                .may_reach(RoleReach::new(Some(BuiltinRole::Admin), &admin))
                .is_ok()
        );
    }

    #[test]
    fn a_deleted_user_grants_nothing_and_reaches_nobody() {
        let nothing = PermissionSet::default();
        assert_eq!(Grantor::Gone.may_grant(&nothing), Err(Overreach::Gone));
        let agent = BuiltinRole::CsAgent.permissions();
        assert_eq!(
            Grantor::Gone.may_reach(RoleReach::new(Some(BuiltinRole::CsAgent), &agent)),
            Err(Overreach::Gone)
        );
        assert_eq!(
            Grantor::Gone.may_edit_role(RoleId(3), &nothing),
            Err(Overreach::Gone)
        );
    }
}
