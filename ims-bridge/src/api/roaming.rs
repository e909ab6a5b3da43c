//! Where a public identity may register from and with which others:
//! `PUT /v1/subscribers/{identity}/roaming` (its visited networks) and
//! `PUT /v1/subscribers/{identity}/implicit-set` (its implicit
//! registration set), each made on chain as the caller's account.

use super::auth::Caller;
use super::body::{JsonText, PathParam};
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::impus::{change, parse};
use super::state::Api;
use crate::chain::ims;
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::provision::{self, SubscriberView};
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// The largest body: a few dozen networks.
const BODY: usize = 16 * 1024;

/// `PUT .../roaming`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Roaming {
	/// The visited networks it may register from (their domains, as the
	/// P-CSCF's Visited-Network-Identifier names them); empty: only the
	/// home network.
	pub networks: Vec<String>,
}

/// `PUT .../implicit-set`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplicitSet {
	/// The implicit registration set of its subscription it joins (a new
	/// number makes a set with it as default), or `null` for none.
	pub set: Option<u32>,
	/// Make it the default identity of that set.
	#[serde(default)]
	pub default: bool,
}

/// Replaces a public identity's roaming allow-list.
#[utoipa::path(
	put,
	path = "/v1/subscribers/{identity}/roaming",
	operation_id = "setRoaming",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "A public identity with its scheme"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key: a retry of the same request gets the first answer again (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = Roaming, content_type = "application/json"),
	responses(
		(status = 200, description = "Changed; the subscriber as it is now", body = SubscriberView),
		(status = 400, description = "Not a list of networks, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "Not a public identity, a network that is no domain, more networks than the chain keeps, or the idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn roaming(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(impu): PathParam,
	key: IdempotencyKey,
	uri: Uri,
	JsonText(text): JsonText<BODY>,
) -> Response {
	let print = fingerprint("PUT", uri.path(), &text);
	let work = async { set_roaming(&caller, &api, &impu, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn set_roaming(
	caller: &Caller,
	api: &Api,
	impu: &str,
	text: &str,
) -> Result<Json<SubscriberView>, ApiError> {
	let Roaming { networks } = parse(text)?;
	if let Some(at) = networks.iter().position(|n| !is_domain(n)) {
		let message = "a visited network is a domain: letters, digits, dots and hyphens";
		return Err(ApiError::invalid(message).at(format!("networks[{at}]")));
	}
	let count = networks.len();
	let list = || BoundedVec(networks.iter().map(|n| BoundedVec(n.as_bytes().to_vec())).collect());
	let view = change(caller, api, impu, |id| {
		let direct = ims::transactions().identity().set_roaming(id, list());
		(direct, IdentityCall::set_roaming { impu: id, networks: list() })
	})
	.await?;
	tracing::info!(token = %caller.token, networks = count, "API: roaming changed");
	Ok(view)
}

/// A visited network identifier as a domain name (RFC 1035 characters,
/// at most 255 bytes as the chain keeps them).
fn is_domain(network: &str) -> bool {
	!network.is_empty()
		&& network.len() <= 255
		&& network.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Moves a public identity into an implicit registration set, or out.
#[utoipa::path(
	put,
	path = "/v1/subscribers/{identity}/implicit-set",
	operation_id = "setImplicitSet",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "A public identity with its scheme"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key: a retry of the same request gets the first answer again (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = ImplicitSet, content_type = "application/json"),
	responses(
		(status = 200, description = "Changed; the subscriber as it is now", body = SubscriberView),
		(status = 400, description = "Not an implicit set, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "Not a public identity, a default that would be barred or one with no set, the chain's refusal, or the idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn implicit_set(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(impu): PathParam,
	key: IdempotencyKey,
	uri: Uri,
	JsonText(text): JsonText<BODY>,
) -> Response {
	let print = fingerprint("PUT", uri.path(), &text);
	let work = async { move_to_set(&caller, &api, &impu, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn move_to_set(
	caller: &Caller,
	api: &Api,
	impu: &str,
	text: &str,
) -> Result<Json<SubscriberView>, ApiError> {
	let ImplicitSet { set, default } = parse(text)?;
	if default && set.is_none() {
		let message = "an identity in no set cannot be a set's default";
		return Err(ApiError::invalid(message).at("default"));
	}
	// Asked to lead the set it is in already: only the default changes (a
	// move into its own set is the chain's refusal).
	let moves = !(default && set.is_some() && current_set(caller, api, impu).await? == set);
	let mut view = None;
	if moves {
		let moved = change(caller, api, impu, |id| {
			let direct = ims::transactions().identity().set_implicit_set(id, set);
			(direct, IdentityCall::set_implicit_set { impu: id, implicit_set: set })
		})
		.await?;
		view = Some(moved);
	}
	if default {
		let led = change(caller, api, impu, |id| {
			let direct = ims::transactions().identity().set_implicit_default(id);
			(direct, IdentityCall::set_implicit_default { impu: id })
		})
		.await?;
		view = Some(led);
	}
	tracing::info!(token = %caller.token, ?set, default, "API: implicit set changed");
	view.ok_or_else(|| ApiError::invalid("nothing to change").at("set"))
}

/// The implicit set `impu` is in at the finalized head.
async fn current_set(caller: &Caller, api: &Api, impu: &str) -> Result<Option<u32>, ApiError> {
	let (subscriber, _) = super::impus::holder(api, caller, impu)?;
	let view = provision::view(&api.client, &subscriber).await?;
	let state = view.impus.into_iter().find(|u| u.identity == impu).and_then(|u| u.state);
	Ok(state.and_then(|s| s.implicit_set))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn visited_networks_are_domains() {
		assert!(is_domain("visited.example.org") && is_domain("ims.mnc001.mcc001.3gppnetwork.org"));
		for bad in ["", "visited example", "sip:visited.example.org", "a/b", &"x".repeat(256)] {
			assert!(!is_domain(bad), "{bad}");
		}
	}
}
