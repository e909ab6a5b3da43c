//! `POST /v1/subscribers/{identity}/impus`: a public identity added to a
//! subscriber (`docs/provisioning-api.md`, "Public identities"). The body
//! is an IMPU of the import format. The vault takes the name first (an
//! identity another subscriber holds is 409), then the chain gets one
//! all-or-nothing `identity.import` as the caller: the IMPU and its links
//! to the subscriber's IMPIs. Should the chain refuse, the name leaves the
//! vault again.

use super::auth::Caller;
use super::body::{JsonText, PathParam};
use super::error::ApiError;
use super::idempotency::{fingerprint, IdempotencyKey};
use super::state::Api;
use crate::chain::ims;
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::types::ImportItem;
use crate::import::{attributes, public_identity, ImpuLine};
use crate::provision::{self, SubscriberView};
use crate::pseudonym::Kind;
use crate::vault::Subscriber;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use subxt::utils::H256;

/// The largest body: one IMPU with its roaming list.
const BODY: usize = 16 * 1024;

/// Adds a public identity to a subscriber.
#[utoipa::path(
	post,
	path = "/v1/subscribers/{identity}/impus",
	operation_id = "addPublicIdentity",
	tag = "subscribers",
	security(("token" = [])),
	params(
		("identity" = String, Path, description = "An identity the subscriber holds"),
		("Idempotency-Key" = Option<String>, Header, description = "Done once for this key (docs/provisioning-api.md, \"Retries\")"),
	),
	request_body(content = ImpuLine, content_type = "application/json",
		description = "A public identity, as in the import format (docs/import.md)"),
	responses(
		(status = 201, description = "Added; the subscriber as it is now", body = SubscriberView),
		(status = 400, description = "Not a public identity, or a path that does not decode", body = super::ErrorBody),
		(status = 403, description = "The chain refused the caller's account", body = super::ErrorBody),
		(status = 404, description = "No subscriber holds the identity of the path", body = super::ErrorBody),
		(status = 409, description = "Another subscriber holds it, or a request with the same idempotency key is being served", body = super::ErrorBody),
		(status = 408, description = "The body did not arrive in time", body = super::ErrorBody),
		(status = 413, description = "Body too large", body = super::ErrorBody),
		(status = 415, description = "Not JSON", body = super::ErrorBody),
		(status = 422, description = "A link to an IMPI the subscriber lacks, a refusal of the chain, or the idempotency key used for another request", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn post(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(identity): PathParam,
	key: IdempotencyKey,
	uri: Uri,
	JsonText(text): JsonText<BODY>,
) -> Response {
	let print = fingerprint("POST", uri.path(), &text);
	let work = async { add(&caller, &api, &identity, &text).await.into_response() };
	api.idempotency.once(caller.account, (key, print), work).await
}

async fn add(
	caller: &Caller,
	api: &Api,
	identity: &str,
	text: &str,
) -> Result<(StatusCode, Json<SubscriberView>), ApiError> {
	let mut subscriber = super::subscribers::held(api, caller, identity)?;
	let line: ImpuLine =
		serde_json::from_str(text).map_err(|e| ApiError::malformed(e.to_string()))?;
	if !line.identity.contains(':') {
		let message = "a public identity has its scheme (sip:, tel:)";
		return Err(ApiError::invalid(message).at("identity"));
	}
	if subscriber.impus.contains(&line.identity) {
		let message = format!("the subscriber holds {} already", line.identity);
		return Err(ApiError::new(StatusCode::CONFLICT, "conflict", message).at("identity"));
	}
	// Built twice: the call's generated types are not `Clone`.
	let direct = ims::transactions().identity().import(BoundedVec(items(&subscriber, &line)?));
	let call = IdentityCall::import { items: BoundedVec(items(&subscriber, &line)?) };
	subscriber.impus.push(line.identity.clone());
	api.vault.put(&subscriber).map_err(provision::ProvisionError::from)?;
	let author = api.author(&caller.account);
	if let Err(e) =
		provision::submit_identity(&api.client, &api.signer, &author, (direct, call)).await
	{
		subscriber.impus.retain(|impu| *impu != line.identity);
		if let Err(undo) = api.vault.put(&subscriber) {
			tracing::error!(error = %undo, "a refused public identity could not leave the vault");
		}
		return Err(e.into());
	}
	tracing::info!(token = %caller.token, account = %caller.account, "API: public identity added");
	Ok((StatusCode::CREATED, Json(provision::view(&api.client, &subscriber).await?)))
}

/// The chain's items for `line`: the IMPU, then a link to each IMPI it
/// names (every IMPI of the subscriber when it names none).
fn items(subscriber: &Subscriber, line: &ImpuLine) -> Result<Vec<ImportItem>, ApiError> {
	let all: Vec<String> = subscriber.impis.iter().map(|impi| impi.identity.clone()).collect();
	let named = line.impis.clone().unwrap_or_else(|| all.clone());
	if named.is_empty() {
		return Err(ApiError::invalid("link the identity to at least one IMPI").at("impis"));
	}
	if let Some(stranger) = named.iter().find(|name| !all.contains(name)) {
		let message = format!("{stranger} is not an IMPI of the subscriber");
		return Err(ApiError::invalid(message).at("impis"));
	}
	let impu = H256(subscriber.pseudonym(Kind::Impu, &line.identity));
	let subscription = H256(subscriber.handle());
	let mut items = vec![ImportItem::Impu {
		subscription,
		impu,
		attributes: attributes(&public_identity(line)),
	}];
	for name in &named {
		let impi = H256(subscriber.pseudonym(Kind::Impi, name));
		if items.iter().any(|item| matches!(item, ImportItem::Link { impi: i, .. } if *i == impi)) {
			return Err(ApiError::invalid(format!("{name} is linked twice")).at("impis"));
		}
		items.push(ImportItem::Link { impi, impu });
	}
	Ok(items)
}
