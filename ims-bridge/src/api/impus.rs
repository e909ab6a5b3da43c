//! Changes to one public identity of a subscriber: its barring and its
//! service profile (`PUT /v1/subscribers/{identity}/barring|profile`),
//! each one identity call made on chain as the caller's account.

use super::auth::Caller;
use super::body::{JsonText, PathParam};
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::state::Api;
use crate::chain::ims;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::provision::{self, SubscriberView};
use crate::pseudonym::Kind;
use crate::vault::Subscriber;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use subxt::utils::H256;
use utoipa::ToSchema;

/// The largest body of these changes.
const SMALL_BODY: usize = 4096;

/// `PUT .../barring`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Barring {
	/// Barred: its requests are refused, and a registration of it ended.
	pub barred: bool,
}

/// `PUT .../profile`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
	/// The realm's service profile it uses.
	pub profile: u32,
	/// The realm's charging information, if any.
	#[serde(default)]
	pub charging: Option<u32>,
}

pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
	serde_json::from_str(text).map_err(|e| ApiError::malformed(e.to_string()))
}

/// The subscriber holding the public identity `impu`, and its pseudonym.
pub(super) fn holder(
	api: &Api,
	caller: &Caller,
	impu: &str,
) -> Result<(Subscriber, H256), ApiError> {
	let subscriber = super::subscribers::held(api, caller, impu)?;
	if !impu.contains(':') {
		let message = "name a public identity with its scheme (sip:, tel:)";
		return Err(ApiError::invalid(message).at("identity"));
	}
	let pseudonym = H256(subscriber.pseudonym(Kind::Impu, impu));
	Ok((subscriber, pseudonym))
}

/// Bars or unbars a public identity.
#[utoipa::path(
	put,
	path = "/v1/subscribers/{identity}/barring",
	operation_id = "setBarring",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "A public identity with its scheme"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key: a retry of the same request gets the first answer again (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = Barring, content_type = "application/json"),
	responses(
		(status = 200, description = "Changed; the subscriber as it is now", body = SubscriberView),
		(status = 400, description = "Not a barring, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "Not a public identity, the chain refused the change, or the idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn barring(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(impu): PathParam,
	key: IdempotencyKey,
	uri: Uri,
	JsonText(text): JsonText<SMALL_BODY>,
) -> Response {
	let print = fingerprint("PUT", uri.path(), &text);
	let work = async { bar(&caller, &api, &impu, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn bar(
	caller: &Caller,
	api: &Api,
	impu: &str,
	text: &str,
) -> Result<Json<SubscriberView>, ApiError> {
	let Barring { barred } = parse(text)?;
	let view = change(caller, api, impu, |id| {
		let direct = ims::transactions().identity().set_barring(id, barred);
		(direct, IdentityCall::set_barring { impu: id, barred })
	})
	.await?;
	tracing::info!(token = %caller.token, barred, "API: barring changed");
	Ok(view)
}

/// Makes the identity call `call` gives for the pseudonym of `impu`, as
/// the caller; answers the subscriber's view afterwards.
pub(super) async fn change<Direct: subxt::transactions::Payload>(
	caller: &Caller,
	api: &Api,
	impu: &str,
	call: impl FnOnce(H256) -> (Direct, IdentityCall),
) -> Result<Json<SubscriberView>, ApiError> {
	let (subscriber, id) = holder(api, caller, impu)?;
	let author = api.author(&caller.account);
	provision::submit_identity(&api.client, &api.signer, &author, call(id)).await?;
	Ok(Json(provision::view(&api.client, &subscriber).await?))
}

/// Gives a public identity another service profile of its realm.
#[utoipa::path(
	put,
	path = "/v1/subscribers/{identity}/profile",
	operation_id = "setServiceProfile",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "A public identity with its scheme"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key: a retry of the same request gets the first answer again (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = Profile, content_type = "application/json"),
	responses(
		(status = 200, description = "Changed; the subscriber as it is now", body = SubscriberView),
		(status = 400, description = "Not a profile, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "Not a public identity, the realm has no such profile, or the idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn profile(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(impu): PathParam,
	key: IdempotencyKey,
	uri: Uri,
	JsonText(text): JsonText<SMALL_BODY>,
) -> Response {
	let print = fingerprint("PUT", uri.path(), &text);
	let work = async { reprofile(&caller, &api, &impu, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn reprofile(
	caller: &Caller,
	api: &Api,
	impu: &str,
	text: &str,
) -> Result<Json<SubscriberView>, ApiError> {
	let Profile { profile, charging } = parse(text)?;
	let view = change(caller, api, impu, |id| {
		let direct = ims::transactions().identity().set_service_profile(id, profile, charging);
		(direct, IdentityCall::set_service_profile { impu: id, profile, charging })
	})
	.await?;
	tracing::info!(token = %caller.token, profile, "API: service profile changed");
	Ok(view)
}
