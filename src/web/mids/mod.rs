//! `/mids`: the MID list, add and edit forms, inline enable/disable, delete.

mod form;
mod input;
mod list;

pub use input::MidForm;

pub use form::{create, credential_fields, delete, edit_form, new_form, update};
pub use list::{list, set_enabled};
