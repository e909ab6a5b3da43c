//! `DELETE /v1/subscribers/{impu}/registration`: an administrative
//! de-registration (`docs/provisioning-api.md`, "De-registration"). The
//! chain decides whether the caller may (`AccessApi::decide`, `Provision`
//! in the realm); the bridge then sends the S-CSCF holding the identity's
//! implicit set a Registration-Termination-Request, as it does when the
//! chain bars an identity (`docs/rtr.md`), and records the
//! deregistration when the S-CSCF agrees. The user may register again at
//! once; the next registration downloads the profile as it is then.

use super::auth::Caller;
use super::body::PathParam;
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::state::Api;
use crate::chain::ims::runtime_types::ims_primitives::access::Permission;
use crate::diameter::dict::result;
use crate::index::Index;
use crate::provision::{self, SubscriberView};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ims_primitives::ImpuId;
use std::sync::Arc;

/// Ends the registration of a public identity's implicit set.
#[utoipa::path(
	delete,
	path = "/v1/subscribers/{identity}/registration",
	operation_id = "deregister",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "A public identity with its scheme"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key (docs/provisioning-api.md, \"Retries\")"),
	),
	responses(
		(status = 200, description = "The S-CSCF dropped the registration; the subscriber as it is now", body = SubscriberView),
		(status = 400, description = "A path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain denies the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "Not registered, no known S-CSCF peer, or a request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 422, description = "Not a public identity, or the idempotency key was used for another request", body = super::ErrorBody),
		(status = 502, description = "The S-CSCF refused the RTR", body = super::ErrorBody),
		(status = 504, description = "The S-CSCF did not answer", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn delete(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(impu): PathParam,
	key: IdempotencyKey,
	uri: Uri,
) -> Response {
	let print = fingerprint("DELETE", uri.path(), "");
	let work = async { deregister(&caller, &api, &impu).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

fn conflict(code: &'static str, message: &str) -> ApiError {
	ApiError::new(StatusCode::CONFLICT, code, message).at("identity")
}

async fn deregister(
	caller: &Caller,
	api: &Api,
	impu: &str,
) -> Result<Json<SubscriberView>, ApiError> {
	let (subscriber, id) = super::impus::holder(api, caller, impu)?;
	super::subscribers::may(api, caller, &subscriber, Permission::Provision).await?;
	let Some(cx) = &api.cx else {
		return Err(ApiError::new(
			StatusCode::SERVICE_UNAVAILABLE,
			"unavailable",
			"this bridge serves no Cx, so it can send no RTR",
		));
	};
	let id = ImpuId::from(id.0);
	let view = api.index.impu(&id).filter(|view| Index::held_at_scscf(view));
	let Some(view) = view else {
		return Err(conflict("not_registered", "no S-CSCF holds the identity registered"));
	};
	let timeout = cx.policy.request_timeout;
	let gone = [(id, view)];
	let outcomes =
		cx.app.terminate(&cx.peers, &gone, (timeout, crate::cx::ADMINISTRATIVE), true).await;
	match outcomes.first().map(|outcome| outcome.code) {
		Some(result::SUCCESS) => {},
		Some(0) => {
			let message = "the S-CSCF did not answer the RTR";
			return Err(ApiError::new(StatusCode::GATEWAY_TIMEOUT, "scscf_unavailable", message));
		},
		Some(code) => {
			let message = format!("the S-CSCF answered the RTR with {code}");
			return Err(ApiError::new(StatusCode::BAD_GATEWAY, "scscf_refused", message));
		},
		None => {
			let message = "no Diameter peer is known for the identity's S-CSCF";
			return Err(conflict("no_scscf_peer", message));
		},
	}
	tracing::info!(token = %caller.token, account = %caller.account, "API: registration ended");
	Ok(Json(provision::view(&api.client, &subscriber).await?))
}
