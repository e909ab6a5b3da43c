//! `PUT /v1/subscribers/{impi}/credentials`: a password change, or new AKA
//! keys (`docs/provisioning-api.md`, "Credentials"). The chain is asked
//! first, as the caller (`identity.rotate_credentials`: it decides whether
//! the caller may, bumps the IMPI's credential epoch and records the
//! rotation); only then are the secrets replaced in the vault, so that a
//! refused caller changes nothing. Secrets are taken, never returned.

use super::auth::Caller;
use super::body::{JsonText, PathParam};
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::state::Api;
use crate::chain::ims;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::import::{aka_secret, digest_secret, AkaLine, Secret};
use crate::provision::{self, SubscriberView};
use crate::pseudonym::Kind;
use crate::vault::{DigestSecret, Subscriber};
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ims_primitives::{AuthScheme, ImpiId};
use serde::Deserialize;
use std::sync::Arc;
use subxt::utils::H256;
use utoipa::ToSchema;

/// The largest body: a password and AKA keys.
const BODY: usize = 4096;

/// New secrets of a private identity; those not given stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
	/// The new SIP Digest password.
	#[schema(value_type = Option<String>, format = Password)]
	password: Option<Secret>,
	/// The new HA1, 32 hex digits, instead of a password.
	#[schema(value_type = Option<String>, format = Password)]
	ha1: Option<Secret>,
	/// New AKA keys (a new USIM, or K and OPc rotated).
	aka: Option<AkaLine>,
}

/// Changes a private identity's secrets.
#[utoipa::path(
	put,
	path = "/v1/subscribers/{identity}/credentials",
	operation_id = "setCredentials",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "A private identity (IMPI)"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = Credentials, content_type = "application/json"),
	responses(
		(status = 200, description = "Rotated on chain and replaced in the vault; the subscriber as it is now, without secrets", body = SubscriberView),
		(status = 400, description = "Not credentials, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "Not a private identity, no secret or a bad one given, or the idempotency key was used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn put(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(impi): PathParam,
	key: IdempotencyKey,
	uri: Uri,
	JsonText(text): JsonText<BODY>,
) -> Response {
	let print = fingerprint("PUT", uri.path(), &text);
	let work = async { rotate(&caller, &api, &impi, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn rotate(
	caller: &Caller,
	api: &Api,
	impi: &str,
	text: &str,
) -> Result<Json<SubscriberView>, ApiError> {
	let mut subscriber = super::subscribers::held(api, caller, impi)?;
	if impi.contains(':') {
		let message = "name a private identity (an IMPI, without a scheme)";
		return Err(ApiError::invalid(message).at("identity"));
	}
	let credentials: Credentials =
		serde_json::from_str(text).map_err(|e| ApiError::malformed(e.to_string()))?;
	let id = H256(subscriber.pseudonym(Kind::Impi, impi));
	let (digest, aka) = secrets(api, &subscriber, (impi, ImpiId::from(id.0)), &credentials)?;
	let direct = ims::transactions().identity().rotate_credentials(id);
	let call = IdentityCall::rotate_credentials { impi: id };
	let author = api.author(&caller.account);
	provision::submit_identity(&api.client, &api.signer, &author, (direct, call)).await?;
	let entry = subscriber.impis.iter_mut().find(|entry| entry.identity == impi);
	let entry = entry.ok_or_else(|| ApiError::not_found("the IMPI left its subscriber"))?;
	if digest.is_some() {
		entry.digest = digest;
	}
	if aka.is_some() {
		entry.aka = aka;
	}
	api.vault.put(&subscriber).map_err(|e| ApiError::internal(&e))?;
	tracing::info!(token = %caller.token, account = %caller.account, "API: credentials rotated");
	Ok(Json(provision::view(&api.client, &subscriber).await?))
}

/// The new secrets `credentials` give, checked before the chain is asked:
/// at least one; a password kept only where the IMPI may use Digest-MD5;
/// HA1 for the digest realm the IMPI already has (else its subscriber's
/// realm).
fn secrets(
	api: &Api,
	subscriber: &Subscriber,
	(impi, id): (&str, ImpiId),
	credentials: &Credentials,
) -> Result<(Option<DigestSecret>, Option<crate::vault::AkaSecret>), ApiError> {
	let Credentials { password, ha1, aka } = credentials;
	if password.is_none() && ha1.is_none() && aka.is_none() {
		return Err(ApiError::invalid("give a password, HA1 or AKA keys"));
	}
	let schemes = api.index.impi(&id).map(|entry| entry.schemes);
	let md5 = schemes.is_some_and(|s| s.contains(AuthScheme::DigestMd5));
	if md5 && password.is_none() && ha1.is_some() {
		let message = "the IMPI may use Digest-MD5, which needs the password itself";
		return Err(ApiError::invalid(message).at("ha1"));
	}
	let old = subscriber.impis.iter().find(|entry| entry.identity == impi);
	let realm = match old.and_then(|entry| entry.digest.as_ref()) {
		Some(digest) => digest.realm.clone(),
		None => realm_name(api, subscriber).ok_or_else(|| {
			ApiError::not_found("the subscriber's realm is not on chain").at("identity")
		})?,
	};
	let field = |name: &'static str| move |why: String| ApiError::invalid(why).at(name);
	let named = if ha1.is_some() { "ha1" } else { "password" };
	let digest = digest_secret((impi, &realm), md5, (password, ha1)).map_err(field(named))?;
	let aka = aka.as_ref().map(aka_secret).transpose().map_err(field("aka"))?;
	Ok((digest, aka))
}

/// The name of the realm a subscriber's public identities are in.
fn realm_name(api: &Api, subscriber: &Subscriber) -> Option<String> {
	let realm = api.audit.realm_of(subscriber)?;
	api.index.realms().into_iter().find(|(_, id)| *id == realm).map(|(name, _)| name)
}
