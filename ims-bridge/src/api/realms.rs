//! `GET /v1/realms` and `GET /v1/realms/{realm}`: the chain's realms, read
//! at the finalized head. A realm's name and owner are public; any valid
//! token may read them.

use super::auth::Caller;
use super::body::PathParam;
use super::error::ApiError;
use super::state::Api;
use crate::chain::{ims, ChainError};
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A realm.
#[derive(Debug, Serialize, ToSchema)]
pub struct RealmView {
	/// Its number on chain.
	pub id: u32,
	/// Its domain.
	pub name: String,
	/// The owner's account (SS58).
	pub owner: String,
	/// Subscriptions in it.
	pub subscriptions: u32,
}

type At = subxt::client::OnlineClientAtBlock<crate::chain::Config>;

/// The realm numbered `id` at `at`, if there is one.
async fn read(at: &At, id: u32) -> Result<Option<RealmView>, ChainError> {
	let entry = ims::storage().identity().realms();
	let Some(value) = at.storage().try_fetch(entry, (id,)).await.map_err(ChainError::subxt)? else {
		return Ok(None);
	};
	let info = value.decode().map_err(ChainError::subxt)?;
	Ok(Some(RealmView {
		id,
		name: String::from_utf8_lossy(&info.name.0).into_owned(),
		owner: info.owner.to_string(),
		subscriptions: info.subscriptions,
	}))
}

/// Realms are numbered from 0 and rarely more than a handful: each is read
/// by its number, up to the next number the chain will give.
async fn realms(api: &Api) -> Result<Vec<RealmView>, ChainError> {
	let at = api.client.at_current_block().await.map_err(ChainError::subxt)?;
	let next = match at.storage().try_fetch(ims::storage().identity().next_realm_id(), ()).await {
		Ok(Some(value)) => value.decode().map_err(ChainError::subxt)?,
		Ok(None) => 0,
		Err(e) => return Err(ChainError::subxt(e)),
	};
	let mut found = Vec::new();
	for id in 0..next {
		found.extend(read(&at, id).await?);
	}
	Ok(found)
}

/// The realm named `name`, by its number in the name's index.
async fn named(api: &Api, name: &str) -> Result<Option<RealmView>, ChainError> {
	let Some(id) = crate::provision::find_realm(&api.client, name).await? else {
		return Ok(None);
	};
	let at = api.client.at_current_block().await.map_err(ChainError::subxt)?;
	read(&at, id).await
}

/// Every realm on chain.
#[utoipa::path(
	get,
	path = "/v1/realms",
	operation_id = "listRealms",
	tag = "realms",
	security(("token" = [])),
	responses(
		(status = 200, description = "The realms", body = [RealmView]),
		super::error::Always,
	)
)]
pub async fn list(
	_: Caller,
	State(api): State<Arc<Api>>,
) -> Result<Json<Vec<RealmView>>, ApiError> {
	realms(&api).await.map(Json).map_err(|e| ApiError::chain_unavailable(&e))
}

/// One realm, by its domain.
#[utoipa::path(
	get,
	path = "/v1/realms/{realm}",
	operation_id = "getRealm",
	tag = "realms",
	security(("token" = [])),
	params(("realm" = String, Path, description = "The realm's domain")),
	responses(
		(status = 200, description = "The realm", body = RealmView),
		(status = 400, description = "A path that does not decode", body = super::ErrorBody),
		(status = 404, description = "No such realm", body = super::ErrorBody),
		super::error::Always,
	)
)]
pub async fn get(
	caller: Caller,
	State(api): State<Arc<Api>>,
	PathParam(realm): PathParam,
) -> Result<Json<RealmView>, ApiError> {
	if let Some(id) = api.audit.realm(&realm) {
		caller.note.about((id, ims_primitives::Subject::Realm));
	}
	let found = named(&api, &realm).await.map_err(|e| ApiError::chain_unavailable(&e))?;
	found.map(Json).ok_or_else(|| {
		ApiError::not_found(format!("realm {realm} does not exist on chain")).at("realm")
	})
}
