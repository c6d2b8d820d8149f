//! `/mids`: the MID list, add and edit forms, inline enable/disable, delete, and a test MID's
//! "Settle now".

mod form;
mod input;
mod list;
mod settle;

pub use input::MidForm;

pub use form::{create, credential_fields, delete, edit_form, new_form, update};
pub use list::{list, set_enabled};
pub use settle::settle;
