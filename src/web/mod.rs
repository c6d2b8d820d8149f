//! HTTP only: extract, call a service, pick a template. The whole route table is here; each
//! route is registered with its access rule wrapped around its handler, so a handler cannot run
//! without its rule, whatever spelling of the path reached it (SPEC R-AU-7).

mod admin;
pub mod api;
mod auth;
mod blacklist;
pub mod catalogue;
mod customers;
mod emails;
pub mod gateways;
mod home;
pub mod middleware;
pub mod mids;
pub mod orders;
pub mod page;
mod recycle;
mod refund_queue;
mod subscriptions;

use std::sync::LazyLock;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, Route, web};

use crate::domain::permission::Permission;

pub use middleware::Access;

/// One row of the route table.
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    make: fn() -> Route,
}

macro_rules! route {
    ($method:ident $path:literal, $access:expr, $handler:path) => {
        RouteDef {
            method: Method::$method,
            path: $path,
            access: $access,
            make: || web::route().method(Method::$method).to($handler),
        }
    };
}

/// Every route of the portal, grouped by who may use it.
pub fn route_table() -> Vec<RouteDef> {
    use Access::*;
    use Permission::*;
    vec![
        // Public
        route!(GET "/healthz", Public, home::healthz),
        route!(GET "/login", Public, auth::login::form),
        route!(POST "/login", Public, auth::login::submit),
        // Any signed-in user
        route!(POST "/logout", SignedIn, auth::logout::submit),
        route!(GET "/", Needs(DashboardView), home::dashboard),
        // Sections whose features land in later issues; same guard as the real pages will have.
        // MIDs
        route!(GET "/mids", Needs(MidsManage), mids::list),
        route!(GET "/mids/new", Needs(MidsManage), mids::new_form),
        route!(GET "/mids/credential-fields", Needs(MidsManage), mids::credential_fields),
        route!(POST "/mids", Needs(MidsManage), mids::create),
        route!(GET "/mids/{id}/edit", Needs(MidsManage), mids::edit_form),
        route!(POST "/mids/{id}", Needs(MidsManage), mids::update),
        route!(POST "/mids/{id}/enabled", Needs(MidsManage), mids::set_enabled),
        route!(POST "/mids/{id}/delete", Needs(MidsManage), mids::delete),
        route!(POST "/mids/{id}/settle", Needs(MidsManage), mids::settle),
        route!(POST "/mids/{id}/test-sale", Needs(MidsManage), orders::test_sale::run),
        // Gateways, routing profiles, decline mapping
        route!(GET "/gateways", Needs(GatewaysManage), gateways::index),
        route!(GET "/gateways/profiles", Needs(GatewaysManage), gateways::profiles::list),
        route!(GET "/gateways/profiles/new", Needs(GatewaysManage), gateways::profiles::new_form),
        route!(POST "/gateways/profiles", Needs(GatewaysManage), gateways::profiles::create),
        route!(GET "/gateways/profiles/{id}", Needs(GatewaysManage), gateways::profiles::edit_form),
        route!(POST "/gateways/profiles/{id}", Needs(GatewaysManage), gateways::profiles::update),
        route!(POST "/gateways/profiles/{id}/delete", Needs(GatewaysManage), gateways::profiles::delete),
        route!(GET "/gateways/decline-mapping", Needs(DeclineMappingManage), gateways::decline_mapping::list),
        route!(POST "/gateways/decline-mapping", Needs(DeclineMappingManage), gateways::decline_mapping::create),
        route!(GET "/gateways/decline-mapping/{id}", Needs(DeclineMappingManage), gateways::decline_mapping::show),
        route!(GET "/gateways/decline-mapping/{id}/edit", Needs(DeclineMappingManage), gateways::decline_mapping::edit),
        route!(POST "/gateways/decline-mapping/{id}", Needs(DeclineMappingManage), gateways::decline_mapping::update),
        route!(POST "/gateways/decline-mapping/{id}/delete", Needs(DeclineMappingManage), gateways::decline_mapping::delete),
        route!(GET "/gateways/bins", Needs(GatewaysManage), gateways::bins::list),
        route!(POST "/gateways/bins", Needs(GatewaysManage), gateways::bins::create),
        route!(POST "/gateways/bins/{id}/delete", Needs(GatewaysManage), gateways::bins::delete),
        // Recycle billing
        route!(GET "/recycle-billing", Needs(RecycleManage), recycle::list),
        route!(GET "/recycle-billing/new", Needs(RecycleManage), recycle::new_form),
        route!(POST "/recycle-billing", Needs(RecycleManage), recycle::create),
        route!(POST "/recycle-billing/validate", Needs(RecycleManage), recycle::validate),
        route!(POST "/recycle-billing/preview", Needs(RecycleManage), recycle::preview),
        route!(POST "/recycle-billing/preset", Needs(RecycleManage), recycle::preset),
        route!(POST "/recycle-billing/mid-list", Needs(RecycleManage), recycle::mid_list),
        route!(GET "/recycle-billing/{id}/edit", Needs(RecycleManage), recycle::edit_form),
        route!(POST "/recycle-billing/{id}", Needs(RecycleManage), recycle::update),
        route!(POST "/recycle-billing/{id}/delete", Needs(RecycleManage), recycle::delete),
        route!(POST "/recycle-billing/{id}/move", Needs(RecycleManage), recycle::move_here),
        // Catalogue
        route!(GET "/products", Needs(CatalogueManage), catalogue::products),
        route!(GET "/products/new", Needs(CatalogueManage), catalogue::new_product),
        route!(POST "/products", Needs(CatalogueManage), catalogue::create_product),
        route!(GET "/products/{id}/edit", Needs(CatalogueManage), catalogue::edit_product),
        route!(POST "/products/{id}", Needs(CatalogueManage), catalogue::update_product),
        route!(POST "/products/{id}/enabled", Needs(CatalogueManage), catalogue::set_product_enabled),
        route!(POST "/products/{id}/archive", Needs(CatalogueManage), catalogue::archive_product),
        route!(GET "/campaigns", Needs(CatalogueManage), catalogue::campaigns),
        route!(GET "/campaigns/new", Needs(CatalogueManage), catalogue::new_campaign),
        route!(GET "/campaigns/cascade", Needs(CatalogueManage), catalogue::cascade_note),
        route!(POST "/campaigns", Needs(CatalogueManage), catalogue::create_campaign),
        route!(GET "/campaigns/{id}/edit", Needs(CatalogueManage), catalogue::edit_campaign),
        route!(POST "/campaigns/{id}", Needs(CatalogueManage), catalogue::update_campaign),
        route!(POST "/campaigns/{id}/enabled", Needs(CatalogueManage), catalogue::set_campaign_enabled),
        route!(POST "/campaigns/{id}/archive", Needs(CatalogueManage), catalogue::archive_campaign),
        route!(GET "/catalogue/reasons", Needs(CatalogueManage), catalogue::reasons::list),
        route!(POST "/catalogue/reasons", Needs(CatalogueManage), catalogue::reasons::create),
        route!(POST "/catalogue/reasons/{id}", Needs(CatalogueManage), catalogue::reasons::rename),
        route!(POST "/catalogue/reasons/{id}/archived", Needs(CatalogueManage), catalogue::reasons::set_archived),
        // Customer service (seed 004)
        route!(GET "/customers", Needs(CustomersView), customers::search::page),
        route!(GET "/customers/{id}", Needs(CustomersView), customers::profile::show),
        route!(GET "/customers/{id}/edit/{field}", Needs(CustomersAct), customers::edit::form),
        route!(POST "/customers/{id}/edit/{field}", Needs(CustomersAct), customers::edit::save),
        route!(GET "/customers/{id}/notes/new", Needs(CustomersAct), customers::notes::new_form),
        route!(POST "/customers/{id}/notes", Needs(CustomersAct), customers::notes::add),
        route!(POST "/customers/{id}/blacklist", Needs(CustomersBlacklist), customers::blacklist::submit),
        route!(POST "/customers/{customer}/emails/{id}/resend", Needs(CustomersAct), emails::resend),
        route!(GET "/blacklist", Needs(CustomersBlacklist), blacklist::list),
        route!(POST "/blacklist/{id}/remove", Needs(CustomersBlacklist), blacklist::remove),
        route!(GET "/refund-queue", Needs(CustomersView), refund_queue::list),
        route!(POST "/refund-queue/{id}/retry", Needs(CustomersAct), refund_queue::retry),
        route!(POST "/refund-queue/{id}/remove", Needs(CustomersAct), refund_queue::remove),
        // Orders
        route!(GET "/orders/new", Needs(OrdersEnter), orders::new_form),
        route!(POST "/orders", Needs(OrdersEnter), orders::create),
        route!(GET "/orders/{id}", AnyOf(&Permission::ORDER_READERS), orders::show),
        route!(POST "/transactions/{id}/void", Needs(CustomersAct), orders::reversals::void),
        route!(POST "/transactions/{id}/refund", Needs(CustomersAct), orders::reversals::refund),
        route!(POST "/transactions/{id}/resend-email", Needs(CustomersAct), orders::actions::resend_refund_email),
        route!(POST "/orders/{id}/cancel", Needs(CustomersAct), orders::actions::cancel),
        route!(POST "/orders/{id}/refund", Needs(CustomersAct), orders::actions::refund),
        route!(POST "/orders/{id}/resend-welcome", Needs(CustomersAct), orders::actions::resend_welcome),
        route!(POST "/orders/{id}/rerun", Needs(CustomersAct), orders::rerun::rerun),
        route!(POST "/fulfillments/{id}/reship", Needs(CustomersAct), orders::actions::reship),
        route!(POST "/fulfillments/{id}/cancel", Needs(CustomersAct), orders::actions::cancel_fulfillment),
        // Purchase details (R-CS-6, R-CS-7)
        route!(GET "/subscriptions/{id}", Needs(CustomersView), subscriptions::show::show),
        route!(POST "/subscriptions/{id}/trial/restart", Needs(CustomersAct), subscriptions::trial::restart),
        route!(POST "/subscriptions/{id}/trial/skip", Needs(CustomersAct), subscriptions::trial::skip),
        route!(POST "/subscriptions/{id}/trial/stop", Needs(CustomersAct), subscriptions::trial::stop),
        route!(POST "/subscriptions/{id}/option", Needs(CustomersAct), subscriptions::option::change),
        route!(POST "/subscriptions/{id}/price", Needs(CustomersAct), subscriptions::price::change),
        route!(POST "/subscriptions/{id}/price/preview", Needs(CustomersAct), subscriptions::price::preview),
        route!(POST "/subscriptions/{id}/next-bill", Needs(CustomersAct), subscriptions::next_bill::change),
        route!(POST "/subscriptions/{id}/cancel", Needs(CustomersAct), subscriptions::cancel::cancel),
        route!(POST "/subscriptions/{id}/pause", Needs(CustomersAct), subscriptions::pause::pause),
        route!(POST "/subscriptions/{id}/resume", Needs(CustomersAct), subscriptions::pause::resume),
        route!(POST "/subscriptions/{id}/force-bill", Needs(CustomersAct), subscriptions::force_bill::force_bill),
        // Admin
        route!(GET "/admin", AnyOf(&Permission::ADMIN_AREA), admin::index),
        route!(GET "/admin/users", Needs(UsersManage), admin::users::list),
        route!(GET "/admin/users/new", Needs(UsersManage), admin::users::new_form),
        route!(POST "/admin/users", Needs(UsersManage), admin::users::create),
        route!(GET "/admin/users/{id}", Needs(UsersManage), admin::users::show),
        route!(POST "/admin/users/{id}/role", Needs(UsersManage), admin::users::change_role),
        route!(POST "/admin/users/{id}/active", Needs(UsersManage), admin::users::set_active),
        route!(POST "/admin/users/{id}/password", Needs(UsersManage), admin::users::reset_password),
        route!(GET "/admin/roles", Needs(RolesManage), admin::roles::list),
        route!(GET "/admin/roles/new", Needs(RolesManage), admin::roles::new_form),
        route!(POST "/admin/roles", Needs(RolesManage), admin::roles::create),
        route!(GET "/admin/roles/{id}", Needs(RolesManage), admin::roles::edit_form),
        route!(POST "/admin/roles/{id}", Needs(RolesManage), admin::roles::update),
        route!(POST "/admin/roles/{id}/delete", Needs(RolesManage), admin::roles::delete),
        route!(GET "/admin/events", Needs(EventsView), admin::events::list),
        route!(GET "/admin/api-keys", Needs(ApiKeysManage), admin::api_keys::list),
        route!(GET "/admin/api-keys/new", Needs(ApiKeysManage), admin::api_keys::new_form),
        route!(POST "/admin/api-keys", Needs(ApiKeysManage), admin::api_keys::create),
        route!(POST "/admin/api-keys/{id}/revoke", Needs(ApiKeysManage), admin::api_keys::revoke),
        route!(GET "/admin/jobs", Needs(JobsManage), admin::jobs::list),
        route!(POST "/admin/jobs/{id}/retry", Needs(JobsManage), admin::jobs::retry),
        // The JSON order API (SPEC 4.7): a key, never a session; docs/api.md describes it.
        route!(GET "/api/v1/openapi.json", Public, api::openapi::document),
        route!(GET "/api/v1/campaigns", ApiKey, api::campaigns::list),
        route!(POST "/api/v1/orders", ApiKey, api::orders::create),
        route!(GET "/api/v1/orders/{id}", ApiKey, api::orders::show),
        route!(POST "/api/v1/orders/{id}/upsales", ApiKey, api::orders::upsale),
        route!(POST "/api/v1/orders/{id}/cancel", ApiKey, api::order_actions::cancel),
        route!(POST "/api/v1/orders/{id}/rerun", ApiKey, api::orders::rerun),
        route!(POST "/api/v1/transactions/{id}/refund", ApiKey, api::transactions::refund),
        route!(POST "/api/v1/transactions/{id}/void", ApiKey, api::transactions::void),
        route!(GET "/api/v1/customers", ApiKey, api::customers::find),
        route!(POST "/api/v1/subscriptions/{id}/cancel", ApiKey, api::subscriptions::cancel),
        route!(POST "/api/v1/subscriptions/{id}/pause", ApiKey, api::subscriptions::pause),
        route!(POST "/api/v1/subscriptions/{id}/resume", ApiKey, api::subscriptions::resume),
    ]
}

/// Registers the route table, the static files and the 404 page. Routes sharing a path become
/// one resource, which answers 405 to any method the table does not name for it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let routes = route_table();
    // In the table's order: `/mids/new` must be registered before `/mids/{id}`.
    let mut paths: Vec<&'static str> = Vec::new();
    for r in &routes {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    for path in paths {
        let here: Vec<&RouteDef> = routes.iter().filter(|r| r.path == path).collect();
        let allow = here
            .iter()
            .map(|r| r.method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        // The pattern, not what a client sent: the API's paths answer in JSON.
        let is_api = path.starts_with("/api/");
        let mut resource = web::resource(path).default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move {
                if is_api {
                    api::method_not_allowed(&allow)
                } else {
                    middleware::method_not_allowed(&req, &allow)
                }
            }
        }));
        for r in here {
            let access = r.access;
            resource = resource.route((r.make)().wrap(from_fn(move |req, next| {
                middleware::authorize(access, req, next)
            })));
        }
        cfg.service(resource);
    }
    cfg.service(actix_files::Files::new("/static", static_dir()).prefer_utf8(true));
    // Browsers ask for it on every page, whatever the page links to.
    cfg.service(web::resource("/favicon.ico").route(web::get().to(|| async {
        actix_files::NamedFile::open_async(static_dir().join("favicon.ico")).await
    })));
    cfg.default_service(web::to(api::not_found_or_page));
}

/// Whether `path` (as sent, without its query) is a page of the portal a browser may be sent
/// to: some `GET` route of the table matches it.
pub fn is_portal_page(path: &str) -> bool {
    static PAGES: LazyLock<Vec<ResourceDef>> = LazyLock::new(|| {
        route_table()
            .into_iter()
            .filter(|r| r.method == Method::GET && !r.path.starts_with("/api/"))
            .map(|r| ResourceDef::new(r.path))
            .collect()
    });
    PAGES.iter().any(|page| page.is_match(path))
}

/// Whether `path` (as the router decodes it) is a route with the API key rule: such a request
/// never reads the session.
pub fn is_api_route(path: &str) -> bool {
    static API: LazyLock<Vec<ResourceDef>> = LazyLock::new(|| {
        route_table()
            .into_iter()
            .filter(|r| r.access == Access::ApiKey)
            .map(|r| ResourceDef::new(r.path))
            .collect()
    });
    API.iter().any(|route| route.is_match(path))
}

/// `static/` of the crate, wherever the binary is started from inside the checkout.
fn static_dir() -> std::path::PathBuf {
    let here = std::path::PathBuf::from("static");
    if here.is_dir() {
        here
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}
