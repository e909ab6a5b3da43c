//! `/v1/subscribers/{identity}/consents[/{purpose}]`: the lawful bases the
//! chain records for a subscriber's processing purposes (GDPR Art. 6 and
//! 7; `docs/provisioning-api.md`, "Consents"). Listing asks the chain's
//! `AccessApi::decide` for the caller's `ManageConsents` right; granting
//! and withdrawing go to the chain as the caller (`access.grant_consent`,
//! `access.withdraw_consent` through `act_for`), which decides and
//! records them. The evidence itself (a signed form, a recording) stays
//! with the operator: the chain keeps its hash.

use super::auth::Caller;
use super::body::{JsonText, PathPair};
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::state::Api;
use crate::chain::ims;
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::ims_primitives::access::{LawfulBasis, Permission};
use crate::chain::ims::runtime_types::ims_runtime::RuntimeCall;
use crate::chain::ims::runtime_types::pallet_ims_access::pallet::Call as AccessCall;
use crate::provision;
use crate::vault::Subscriber;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use subxt::utils::H256;
use utoipa::ToSchema;

/// The longest purpose, as the chain bounds it.
const MAX_PURPOSE: usize = ims_primitives::limits::MAX_TOKEN_LEN as usize;

/// A lawful basis (GDPR Art. 6(1)).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
	/// (a) The subscriber consented.
	Consent,
	/// (b) The subscriber's contract.
	Contract,
	/// (c) A legal obligation.
	LegalObligation,
	/// (d) Vital interests.
	VitalInterests,
	/// (e) A task in the public interest.
	PublicTask,
	/// (f) Legitimate interests.
	LegitimateInterests,
}

impl Basis {
	fn chain(self) -> LawfulBasis {
		match self {
			Basis::Consent => LawfulBasis::Consent,
			Basis::Contract => LawfulBasis::Contract,
			Basis::LegalObligation => LawfulBasis::LegalObligation,
			Basis::VitalInterests => LawfulBasis::VitalInterests,
			Basis::PublicTask => LawfulBasis::PublicTask,
			Basis::LegitimateInterests => LawfulBasis::LegitimateInterests,
		}
	}

	fn of(basis: &LawfulBasis) -> Basis {
		match basis {
			LawfulBasis::Consent => Basis::Consent,
			LawfulBasis::Contract => Basis::Contract,
			LawfulBasis::LegalObligation => Basis::LegalObligation,
			LawfulBasis::VitalInterests => Basis::VitalInterests,
			LawfulBasis::PublicTask => Basis::PublicTask,
			LawfulBasis::LegitimateInterests => Basis::LegitimateInterests,
		}
	}
}

/// A lawful basis recorded on chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
	/// What the data is processed for.
	pub purpose: String,
	/// On what legal ground.
	pub basis: Basis,
	/// The block it was recorded in.
	pub granted_at: u32,
	/// The block from which it no longer holds, if any.
	pub expires_at: Option<u32>,
	/// The hash of the evidence kept off chain, hex.
	pub evidence: String,
}

/// `PUT .../consents/{purpose}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
	/// On what legal ground.
	pub basis: Basis,
	/// The block from which it no longer holds; absent: until withdrawn.
	#[serde(default)]
	pub expires_at: Option<u32>,
	/// The SHA-256 or BLAKE2-256 of the evidence kept off chain, 64 hex
	/// digits.
	pub evidence: String,
}

/// The `evidence` of a withdrawal's query
/// (`DELETE .../consents/{purpose}?evidence=...`), its only parameter.
fn withdrawal_evidence(uri: &Uri) -> Result<String, ApiError> {
	let mut found = None;
	for pair in uri.query().unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
		match pair.split_once('=') {
			Some(("evidence", value)) if found.is_none() => found = Some(value.to_string()),
			_ => return Err(ApiError::malformed("the only parameter is evidence").at(pair)),
		}
	}
	found.ok_or_else(|| {
		ApiError::malformed("give the evidence's hash: ?evidence=...").at("evidence")
	})
}

fn evidence(hex_text: &str) -> Result<H256, ApiError> {
	let bytes = hex::decode(hex_text.trim_start_matches("0x")).ok();
	let hash: Option<[u8; 32]> = bytes.and_then(|b| b.try_into().ok());
	hash.map(H256).ok_or_else(|| ApiError::invalid("the evidence is 64 hex digits").at("evidence"))
}

fn purpose(text: &str) -> Result<BoundedVec<u8>, ApiError> {
	if text.is_empty() || text.len() > MAX_PURPOSE {
		let message = format!("a purpose is 1 to {MAX_PURPOSE} bytes");
		return Err(ApiError::invalid(message).at("purpose"));
	}
	Ok(BoundedVec(text.as_bytes().to_vec()))
}

/// The lawful bases the chain records for `subscriber` at the finalized
/// head.
async fn recorded(api: &Api, subscriber: &Subscriber) -> Result<Vec<ConsentView>, ApiError> {
	let at = api.client.at_current_block().await.map_err(ApiError::chain_read)?;
	let entry = ims::storage().access().consents();
	let handle = H256(subscriber.handle());
	let Some(value) =
		at.storage().try_fetch(entry, (handle,)).await.map_err(ApiError::chain_read)?
	else {
		return Ok(Vec::new());
	};
	let records = value.decode().map_err(ApiError::chain_read)?;
	Ok(records
		.0
		.iter()
		.map(|record| ConsentView {
			purpose: String::from_utf8_lossy(&record.purpose.0).into_owned(),
			basis: Basis::of(&record.basis),
			granted_at: record.granted_at,
			expires_at: record.expires_at,
			evidence: hex::encode(record.evidence.0),
		})
		.collect())
}

/// Lists a subscriber's lawful bases.
#[utoipa::path(
	get,
	path = "/v1/subscribers/{identity}/consents",
	operation_id = "listConsents",
	tag = "consents",
	security(("token" = [])),
	params(("identity" = String, Path, description = "An IMPI, or an IMPU with its scheme")),
	responses(
		(status = 200, description = "The lawful bases on chain", body = [ConsentView]),
		(status = 400, description = "A path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain denies the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn list(
	caller: Caller,
	State(api): State<Arc<Api>>,
	super::body::PathParam(identity): super::body::PathParam,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
	let subscriber = super::subscribers::held(&api, &caller, &identity)?;
	super::subscribers::may(&api, &caller, &subscriber, Permission::ManageConsents).await?;
	Ok(Json(recorded(&api, &subscriber).await?))
}

/// Records a lawful basis for a purpose (replacing the one recorded).
#[utoipa::path(
	put,
	path = "/v1/subscribers/{identity}/consents/{purpose}",
	operation_id = "grantConsent",
	tag = "consents",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "An IMPI, or an IMPU with its scheme"),
		("purpose" = String, Path, description = "The processing purpose, e.g. presence"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = Grant, content_type = "application/json"),
	responses(
		(status = 200, description = "Recorded; the lawful bases as they are now", body = [ConsentView]),
		(status = 400, description = "Not a grant, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "A bad purpose or evidence, a refusal of the chain, or the idempotency key used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn grant(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathPair(identity, name): PathPair,
	(key, uri): (IdempotencyKey, Uri),
	JsonText(text): JsonText<1024>,
) -> Response {
	let print = fingerprint("PUT", uri.path(), &text);
	let work = async { record(&caller, &api, (&identity, &name), &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn record(
	caller: &Caller,
	api: &Api,
	(identity, name): (&str, &str),
	text: &str,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
	let subscriber = super::subscribers::held(api, caller, identity)?;
	let grant: Grant =
		serde_json::from_str(text).map_err(|e| ApiError::malformed(e.to_string()))?;
	let (purpose, evidence) = (purpose(name)?, evidence(&grant.evidence)?);
	let (subscriber_id, expires_at) = (H256(subscriber.handle()), grant.expires_at);
	let direct = ims::transactions().access().grant_consent(
		subscriber_id,
		purpose.clone(),
		grant.basis.chain(),
		expires_at,
		evidence,
	);
	let call = AccessCall::grant_consent {
		subscriber: subscriber_id,
		purpose,
		basis: grant.basis.chain(),
		expires_at,
		evidence,
	};
	let author = api.author(&caller.account);
	provision::submit_as(&api.client, &api.signer, &author, (direct, RuntimeCall::Access(call)))
		.await?;
	tracing::info!(token = %caller.token, account = %caller.account, "API: consent recorded");
	Ok(Json(recorded(api, &subscriber).await?))
}

/// Withdraws the lawful basis recorded for a purpose.
#[utoipa::path(
	delete,
	path = "/v1/subscribers/{identity}/consents/{purpose}",
	operation_id = "withdrawConsent",
	tag = "consents",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "An IMPI, or an IMPU with its scheme"),
		("purpose" = String, Path, description = "The processing purpose"),
		("evidence" = String, Query, description = "The hash of the withdrawal's evidence, 64 hex digits"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key (docs/provisioning-api.md, \"Retries\")"),
	),
	responses(
		(status = 200, description = "Withdrawn; the lawful bases as they are now", body = [ConsentView]),
		(status = 400, description = "No evidence, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds it", body = super::ErrorBody),
		(status = 409, description = "A request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 422, description = "A bad purpose or evidence, a refusal of the chain (none recorded), or the idempotency key used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn withdraw(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathPair(identity, name): PathPair,
	key: IdempotencyKey,
	uri: Uri,
) -> Response {
	let print = fingerprint("DELETE", &uri.to_string(), "");
	let work = async {
		let evidence = withdrawal_evidence(&uri)?;
		unrecord(&caller, &api, (&identity, &name), &evidence).await
	};
	api.idempotency.once(caller.account, (key, print), async { work.await.into_response() }).await
}

async fn unrecord(
	caller: &Caller,
	api: &Api,
	(identity, name): (&str, &str),
	evidence_text: &str,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
	let subscriber = super::subscribers::held(api, caller, identity)?;
	let (purpose, evidence) = (purpose(name)?, evidence(evidence_text)?);
	let subscriber_id = H256(subscriber.handle());
	let direct =
		ims::transactions().access().withdraw_consent(subscriber_id, purpose.clone(), evidence);
	let call = AccessCall::withdraw_consent { subscriber: subscriber_id, purpose, evidence };
	let author = api.author(&caller.account);
	provision::submit_as(&api.client, &api.signer, &author, (direct, RuntimeCall::Access(call)))
		.await?;
	tracing::info!(token = %caller.token, account = %caller.account, "API: consent withdrawn");
	Ok(Json(recorded(api, &subscriber).await?))
}
