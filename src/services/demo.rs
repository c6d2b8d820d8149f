//! Demo data for `recoup serve --demo`: one user per built-in role, only on an empty database.

use super::Services;
use super::users::{UserError, generate_password};
use crate::db;
use crate::domain::event::Actor;
use crate::domain::permission::BuiltinRole;
use crate::domain::user::NewUser;

/// A login created for the demo, printed once.
pub struct DemoLogin {
    pub role: &'static str,
    pub email: String,
    pub password: String,
}

impl Services {
    /// Creates the demo users and answers their logins; answers nothing when any user exists.
    pub async fn seed_demo(&self) -> Result<Vec<DemoLogin>, UserError> {
        if db::users::count(&self.db).await? > 0 {
            return Ok(Vec::new());
        }
        let actor = Actor::system("demo");
        let mut logins = Vec::new();
        for role in BuiltinRole::ALL {
            let email = format!("{}@demo.recoup.test", role.name().replace('_', "."));
            let password = generate_password()?;
            let name = demo_name(role);
            let new =
                NewUser::parse(&email, name, role.name(), &password).map_err(UserError::Invalid)?;
            self.create_user(&actor, new).await?;
            logins.push(DemoLogin {
                role: role.name(),
                email,
                password,
            });
        }
        Ok(logins)
    }
}

fn demo_name(role: BuiltinRole) -> &'static str {
    match role {
        BuiltinRole::Admin => "Avery Admin",
        BuiltinRole::Merchant => "Morgan Merchant",
        BuiltinRole::CsAdmin => "Casey Support Lead",
        BuiltinRole::CsAgent => "Sam Support",
    }
}
