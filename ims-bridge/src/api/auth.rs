//! Who is asking: the bearer token of each request, checked against the
//! token file and its rate limit. The account it names is the one the
//! bridge acts for; whether that account may do what it asks is the
//! chain's decision, not this module's.

use super::audit::Note;
use super::error::ApiError;
use super::state::Api;
use super::tokens::{Refusal, Refused};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use std::sync::Arc;
use subxt::utils::AccountId32;

/// The caller of a request, by its token.
pub struct Caller {
	/// The token's id (never its secret).
	pub token: String,
	/// The account the bridge acts for.
	pub account: AccountId32,
	/// Where the handler notes what the request is about, for its audit
	/// record.
	pub note: Arc<Note>,
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
	ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

impl FromRequestParts<Arc<Api>> for Caller {
	type Rejection = ApiError;

	async fn from_request_parts(parts: &mut Parts, api: &Arc<Api>) -> Result<Self, ApiError> {
		let header = parts.headers.get(axum::http::header::AUTHORIZATION);
		let Some(presented) = header
			.and_then(|value| value.to_str().ok())
			.and_then(|value| value.strip_prefix("Bearer "))
		else {
			return Err(unauthorized(
				"unauthorized",
				"send a token: Authorization: Bearer imsb_...",
			));
		};
		let note = parts.extensions.get::<Arc<Note>>().cloned().unwrap_or_default();
		let record = match api.tokens.check(presented.trim()) {
			Ok(Ok(record)) => record,
			Ok(Err(Refused { refusal, account })) => {
				if let Some(account) = account {
					note.client(account);
				}
				return Err(match refusal {
					Refusal::Unknown => {
						unauthorized("unauthorized", "the token is not one this bridge issued")
					},
					Refusal::Expired => unauthorized("token_expired", "the token has expired"),
					Refusal::Revoked => unauthorized("token_revoked", "the token was revoked"),
				});
			},
			Err(e) => return Err(ApiError::internal(&e)),
		};
		let Some(account) = record.account() else {
			return Err(ApiError::internal(&format!("token {} names no account", record.id)));
		};
		note.client(account);
		if !api.allow(&record.id) {
			return Err(ApiError::new(
				StatusCode::TOO_MANY_REQUESTS,
				"rate_limited",
				"this token's request rate is spent; retry in a second",
			)
			.retry_after(1));
		}
		Ok(Caller { token: record.id, account, note })
	}
}
