//! The decline salvage profile editor: live validation of the touched fields and a schedule
//! preview (htmx out-of-band swaps), the FlexPay recommended setup, a filterable MID list and
//! moving a MID here from another profile. Every part also works as a plain form post. One file
//! per action; `views`, `touched` and `preview` build what they show.

mod edit;
mod live;
mod mid_list;
mod move_here;
mod new;
mod preset;
mod preview;
mod save;
mod touched;
mod views;

pub use edit::edit_form;
pub use live::{preview, validate};
pub use mid_list::mid_list;
pub use move_here::move_here;
pub use new::new_form;
pub use preset::preset;
pub use save::{create, update};
