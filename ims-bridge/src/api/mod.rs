//! The provisioning API: HTTPS (plain HTTP on loopback only), JSON, bearer
//! tokens, served by the running bridge on `[api] listen`
//! (`docs/provisioning-api.md`).
//!
//! Each token is bound to an on-chain account, and every change goes to
//! the chain as that account's, through `access.act_for` signed by the
//! bridge: the chain, not the bridge, decides whether the account may
//! make it, and its records name the account.
//!
//! - `tokens`: issuing, listing, revoking, checking tokens (hashed).
//! - `auth`: the caller of a request, by its token, within its rate.
//! - `body`: a write's JSON body, within the size limit.
//! - `error`: every refusal as JSON with a stable code.
//! - `audit`: every request's record in the audit trail.
//! - `idempotency`: writes done once for a key, retries answered again.
//! - `realms`, `subscribers`, `impus`, `roaming`, `impu_add`,
//!   `credentials`, `consents`, `registration`: the resources; `creates`: creates
//!   waiting together share one `import_subscribers` call.
//! - `openapi`: the OpenAPI document and its page.
//! - `listener`, `deadline`: HTTPS, connection cap, deadlines (a client
//!   that stops reading is dropped), shutdown.

mod audit;
mod auth;
mod body;
mod consents;
mod creates;
mod credentials;
mod deadline;
mod error;
mod idempotency;
mod impu_add;
mod impus;
mod listener;
mod openapi;
mod realms;
mod registration;
mod roaming;
mod state;
mod subscribers;
pub mod tokens;

pub use audit::Audit;
pub use error::{ApiError, ErrorBody};
pub use listener::{serve, Limits};
pub use state::Api;

use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::Router;
use std::sync::Arc;

/// The API's routes, with `api` as their state. Bodies are read, and
/// limited, by the handlers that take one (`body::JsonText`).
pub fn router(api: Arc<Api>) -> Router {
	Router::new()
		.route("/v1/realms", get(realms::list))
		.route("/v1/realms/{realm}", get(realms::get))
		.route("/v1/subscribers", axum::routing::post(subscribers::create))
		.route("/v1/subscribers/{identity}", get(subscribers::get).delete(subscribers::delete))
		.route("/v1/subscribers/{identity}/barring", put(impus::barring))
		.route("/v1/subscribers/{identity}/profile", put(impus::profile))
		.route("/v1/subscribers/{identity}/roaming", put(roaming::roaming))
		.route("/v1/subscribers/{identity}/implicit-set", put(roaming::implicit_set))
		.route("/v1/subscribers/{identity}/credentials", put(credentials::put))
		.route("/v1/subscribers/{identity}/registration", delete(registration::delete))
		.route("/v1/subscribers/{identity}/impus", axum::routing::post(impu_add::post))
		.route("/v1/subscribers/{identity}/consents", get(consents::list))
		.route(
			"/v1/subscribers/{identity}/consents/{purpose}",
			put(consents::grant).delete(consents::withdraw),
		)
		.route("/openapi.json", get(openapi::json))
		.route("/docs", get(openapi::page))
		.fallback(|| async { ApiError::not_found("no such resource") })
		.method_not_allowed_fallback(|| async {
			ApiError::new(
				StatusCode::METHOD_NOT_ALLOWED,
				"method_not_allowed",
				"the resource does not take this method",
			)
		})
		.layer(axum::middleware::from_fn_with_state(api.clone(), audit::record))
		.with_state(api)
}
