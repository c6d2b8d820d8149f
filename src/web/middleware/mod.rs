//! Middleware, outermost first: the request context (request id, log line, error pages), the
//! security headers, the session, the viewer, and — on each route of the table, after the router
//! has decoded the path and picked the handler that will run — the access rule and the CSRF
//! check.

mod access;
mod context;
mod csrf;
mod headers;
mod viewer;

pub use access::{Access, authorize, method_not_allowed};
pub use context::{RequestId, error_page, request_context};
pub use csrf::PublicOrigin;
pub use headers::{SecurityHeaders, security_headers};
pub use viewer::load_viewer;
