//! `/v1/subscribers`: create one (an import line, `docs/import.md`; creates
//! waiting together share a call, `creates.rs`), read
//! one by any of its identities, erase one. Writes go to the chain as the
//! caller's account through `access.act_for`, so the chain's decision is
//! the caller's roles'; reads ask the chain's `AccessApi::decide` for the
//! caller's `Provision` right in the subscriber's realm.

use super::auth::Caller;
use super::body::{JsonText, PathParam};
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::state::Api;
use crate::chain::ims;
use crate::chain::ims::runtime_types::ims_primitives::access::{Action, Permission, Requester};
use crate::provision::{self, SubscriberView};
use crate::vault::Subscriber;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use subxt::utils::H256;
use utoipa::ToSchema;

/// What an erasure answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
	/// The operator's name for the subscription erased.
	pub subscription: String,
	/// Its pseudonym on chain, now unlinkable to anyone.
	pub pseudonym: String,
}

/// Creates a subscriber: the vault first, then the chain, as the caller.
#[utoipa::path(
	post,
	path = "/v1/subscribers",
	operation_id = "createSubscriber",
	tag = "subscribers",
	security(("token" = [])),
	params(("Idempotency-Key" = Option<String>, Header, description = "Done once for this key: a retry of the same request gets the first answer again (docs/provisioning-api.md, \"Retries\")")),
	request_body(content = crate::import::SubscriberLine, content_type = "application/json",
		description = "One subscriber, as a line of the import format (docs/import.md)"),
	responses(
		(status = 201, description = "Created; its secrets are never returned", body = SubscriberView),
		(status = 400, description = "Not a subscriber", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No such realm", body = super::ErrorBody),
		(status = 409, description = "An identity is held already, or a request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "Breaks a rule of the format or the chain, or the idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn create(
	caller: Caller,
	State(api): State<Arc<Api>>,
	key: IdempotencyKey,
	JsonText(text): JsonText<{ crate::import::MAX_LINE }>,
) -> Response {
	let print = fingerprint("POST", "/v1/subscribers", &text);
	let work = async { create_one(&caller, &api, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn create_one(
	caller: &Caller,
	api: &Api,
	text: &str,
) -> Result<(StatusCode, Json<SubscriberView>), ApiError> {
	let parsed = crate::import::parse(text)?;
	if let Some(about) = api.audit.new_subscriber(&parsed.realm, &parsed.subscriber) {
		caller.note.about(about);
	}
	let prepared = provision::prepare(&api.client, &api.vault, parsed).await?;
	let author = api.author(&caller.account);
	if let Err(e) = api.creates.create(author, prepared.realm, prepared.entry).await {
		provision::abandon(&api.vault, &prepared.handle);
		return Err(super::error::chain_refusal(&e));
	}
	tracing::info!(token = %caller.token, account = %caller.account, "API: subscriber created");
	let view = provision::view(&api.client, &prepared.subscriber).await?;
	Ok((StatusCode::CREATED, Json(view)))
}

/// The subscriber the vault holds under `identity`; the request is noted
/// as about it (or about an unknown identity) for its audit record.
pub(super) fn held(api: &Api, caller: &Caller, identity: &str) -> Result<Subscriber, ApiError> {
	let found = provision::find(&api.vault, identity)?;
	if let Some(about) = api.audit.identity(&api.vault, identity, found.as_ref()) {
		caller.note.about(about);
	}
	found.ok_or_else(|| {
		ApiError::not_found(format!("no subscriber holds {identity}")).at("identity")
	})
}

/// Whether the chain lets `caller` read `subscriber`: its realm's
/// `Provision` right, asked of `AccessApi::decide` at the finalized head.
async fn may_read(api: &Api, caller: &Caller, subscriber: &Subscriber) -> Result<(), ApiError> {
	may(api, caller, subscriber, Permission::Provision).await
}

/// Whether the chain gives `caller` `permission` over `subscriber`, asked
/// of `AccessApi::decide` at the finalized head.
pub(super) async fn may(
	api: &Api,
	caller: &Caller,
	subscriber: &Subscriber,
	permission: Permission,
) -> Result<(), ApiError> {
	let at = api.client.at_current_block().await.map_err(ApiError::chain_read)?;
	let handle = H256(subscriber.handle());
	let entry = ims::storage().identity().subscriptions();
	let stored = at.storage().try_fetch(entry, (handle,)).await;
	let Some(value) = stored.map_err(ApiError::chain_read)? else {
		return Err(ApiError::not_found("the subscriber is not on chain").at("identity"));
	};
	let realm = value.decode().map_err(ApiError::chain_read)?.realm;
	let action = Action::Exercise(permission);
	let call = ims::runtime_apis().access_api().decide(
		Requester::Account(caller.account),
		realm,
		Some(handle),
		action,
	);
	let decision = at.runtime_apis().call(call).await;
	match decision.map_err(ApiError::chain_read)? {
		Ok(()) => Ok(()),
		Err(denial) => Err(ApiError::new(
			StatusCode::FORBIDDEN,
			"forbidden",
			format!("the chain denies the token's account: {denial:?}"),
		)),
	}
}

/// Reads a subscriber by one of its identities.
#[utoipa::path(
	get,
	path = "/v1/subscribers/{identity}",
	operation_id = "getSubscriber",
	tag = "subscribers",
	security(("token" = [])),
	params(("identity" = String, Path, description = "An IMPI, or an IMPU with its scheme (sip:, tel:)")),
	responses(
		(status = 200, description = "The subscriber; never its secrets", body = SubscriberView),
		(status = 400, description = "A path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain denies the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn get(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(identity): PathParam,
) -> Result<Json<SubscriberView>, ApiError> {
	let subscriber = held(&api, &caller, &identity)?;
	may_read(&api, &caller, &subscriber).await?;
	Ok(Json(provision::view(&api.client, &subscriber).await?))
}

/// Erases a subscriber: on chain as the caller, then its vault entry.
#[utoipa::path(
	delete,
	path = "/v1/subscribers/{identity}",
	operation_id = "eraseSubscriber",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "An IMPI, or an IMPU with its scheme (sip:, tel:)"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key: a retry of the same request gets the first answer again (docs/provisioning-api.md, \"Retries\")"),
	),
	responses(
		(status = 200, description = "Erased on chain and in the vault", body = Erased),
		(status = 400, description = "A path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 422, description = "The idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn delete(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(identity): PathParam,
	key: IdempotencyKey,
	uri: Uri,
) -> Response {
	let print = fingerprint("DELETE", uri.path(), "");
	let work = async { erase(&caller, &api, &identity).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn erase(caller: &Caller, api: &Api, identity: &str) -> Result<Json<Erased>, ApiError> {
	held(api, caller, identity)?;
	let keep = |subscriber: &Subscriber| {
		if let Some(cx) = &api.cx {
			cx.app.keep_for_termination(subscriber);
		}
	};
	let author = api.author(&caller.account);
	let removed =
		provision::remove(&api.client, (&api.signer, &author), &api.vault, identity, keep).await?;
	tracing::info!(token = %caller.token, account = %caller.account, "API: subscriber erased");
	Ok(Json(Erased {
		subscription: removed.subscription.clone(),
		pseudonym: hex::encode(removed.handle()),
	}))
}
