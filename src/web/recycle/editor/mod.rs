//! The decline salvage profile editor: live validation and schedule preview (htmx out-of-band
//! swaps into every message slot), the FlexPay recommended setup, and a filterable MID list.
//! Every part also works as a plain form post. One file per action; `views` builds what they show.

mod edit;
mod live;
mod mid_list;
mod new;
mod preset;
mod save;
mod views;

pub use edit::edit_form;
pub use live::{preview, validate};
pub use mid_list::mid_list;
pub use new::new_form;
pub use preset::preset;
pub use save::{create, update};
