//! Every refusal of the API: an HTTP status and a JSON body with a stable
//! code, the field at fault if any, and a message. The caller's mistakes
//! are 4xx; a 5xx means the bridge or the chain failed, never bad input.

use crate::chain::ChainError;
use crate::import::LineError;
use crate::provision::ProvisionError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
	/// Stable, for programs: `unauthorized`, `token_expired`,
	/// `token_revoked`, `rate_limited`, `malformed`, `invalid`,
	/// `not_found`, `conflict`, `forbidden`, `not_appointed`,
	/// `refused_by_chain`, `too_large`, `timeout`, `unsupported_media_type`,
	/// `method_not_allowed`, `idempotency_key_in_flight`,
	/// `idempotency_key_reused`, `not_registered`, `no_scscf_peer`,
	/// `scscf_refused`, `scscf_unavailable`, `chain_unavailable`,
	/// `unavailable`, `internal`.
	pub code: &'static str,
	/// The field at fault, as a JSON path (`impis[0].aka.k`) or a
	/// parameter's name, when one is.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub field: Option<String>,
	/// For people.
	pub message: String,
}

/// The refusals every operation may answer, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "describes responses in the OpenAPI document; never built")]
pub enum Always {
	/// `unauthorized`, `token_expired` or `token_revoked`.
	#[response(status = 401, description = "No valid token")]
	Unauthorized(ErrorBody),
	/// `rate_limited`, with `Retry-After`.
	#[response(status = 429, description = "The token's rate is spent")]
	RateLimited(ErrorBody),
	/// `chain_unavailable`.
	#[response(status = 503, description = "The chain cannot be reached")]
	ChainUnavailable(ErrorBody),
}

/// A refusal: its status and body.
#[derive(Debug)]
pub struct ApiError {
	/// The HTTP status.
	pub status: StatusCode,
	/// The body.
	pub body: ErrorBody,
	/// Seconds after which a retry may succeed (`Retry-After`).
	pub retry_after: Option<u64>,
}

impl ApiError {
	/// A refusal with no field.
	pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		let body = ErrorBody { code, field: None, message: message.into() };
		ApiError { status, body, retry_after: None }
	}

	/// The same, to be retried after `seconds`.
	pub fn retry_after(mut self, seconds: u64) -> Self {
		self.retry_after = Some(seconds);
		self
	}

	/// The same, about `field`.
	pub fn at(mut self, field: impl Into<String>) -> Self {
		self.body.field = Some(field.into());
		self
	}

	/// 400: the request is not what the operation takes.
	pub fn malformed(message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, "malformed", message)
	}

	/// 422: well formed, but breaks a rule.
	pub fn invalid(message: impl Into<String>) -> Self {
		Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
	}

	/// 404.
	pub fn not_found(message: impl Into<String>) -> Self {
		Self::new(StatusCode::NOT_FOUND, "not_found", message)
	}

	/// 503: the chain could not be asked or told.
	pub fn chain_unavailable(error: &ChainError) -> Self {
		tracing::warn!(error = %error, "API request failed at the chain");
		Self::new(StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable", error.to_string())
	}

	/// 503: a read of the chain failed.
	pub fn chain_read(error: impl Into<subxt::Error>) -> Self {
		Self::chain_unavailable(&ChainError::subxt(error))
	}

	/// 500: the bridge itself failed.
	pub fn internal(error: &dyn std::fmt::Display) -> Self {
		tracing::error!(error = %error, "API request failed in the bridge");
		Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", error.to_string())
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		let mut response = (self.status, axum::Json(self.body)).into_response();
		let headers = response.headers_mut();
		if let Some(seconds) = self.retry_after {
			headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
		}
		if self.status == StatusCode::UNAUTHORIZED {
			headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
		}
		response
	}
}

impl From<LineError> for ApiError {
	fn from(error: LineError) -> Self {
		match &error {
			LineError::Malformed(_) | LineError::NotUtf8 | LineError::Header(_) => {
				ApiError::malformed(error.to_string())
			},
			LineError::TooLong => {
				ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", error.to_string())
			},
			LineError::UnknownRealm(_) => ApiError::not_found(error.to_string()).at("realm"),
			LineError::UnknownProfile { .. } => ApiError::invalid(error.to_string()).at("impus"),
			LineError::Taken(_) | LineError::Repeated => {
				ApiError::new(StatusCode::CONFLICT, "conflict", error.to_string())
			},
			_ => ApiError::invalid(error.to_string()),
		}
	}
}

impl From<ProvisionError> for ApiError {
	fn from(error: ProvisionError) -> Self {
		match error {
			ProvisionError::Invalid(message) => ApiError::invalid(message),
			ProvisionError::NotFound(message) => ApiError::not_found(message),
			ProvisionError::Line(line) => line.into(),
			ProvisionError::NoProfile { realm, profile } => {
				ApiError::invalid(format!("realm {realm} has no service profile {profile}"))
					.at("impus")
			},
			ProvisionError::Vault(crate::vault::VaultError::IdentityTaken(identity)) => {
				ApiError::new(
					StatusCode::CONFLICT,
					"conflict",
					format!("{identity} is already held by a subscriber"),
				)
			},
			ProvisionError::Vault(e) => ApiError::internal(&e),
			ProvisionError::Chain(e) => chain_refusal(&e),
		}
	}
}

/// Errors of the chain that say the account lacks a right.
const FORBIDDEN: [(&str, &str); 4] = [
	("Identity", "NotAuthorized"),
	("Access", "NotAuthorized"),
	("Access", "GrantExpired"),
	("Access", "SelfGrant"),
];
/// Errors of `act_for` itself: the bridge is not the account's agent.
const NOT_APPOINTED: [&str; 2] = ["NotAnAgent", "AgentExpired"];

/// A chain failure as the API answers it: a dispatch error is the chain's
/// decision about this request (403 for a missing right, 422 otherwise,
/// with the pallet's error name); anything else is the chain being
/// unreachable or failing (503).
pub fn chain_refusal(error: &ChainError) -> ApiError {
	let Some((pallet, name, docs)) = error.module_error() else {
		return ApiError::chain_unavailable(error);
	};
	let message = format!("{pallet}::{name}: {docs}");
	if FORBIDDEN.contains(&(pallet.as_str(), name.as_str())) {
		ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
	} else if pallet == "Access" && NOT_APPOINTED.contains(&name.as_str()) {
		ApiError::new(
			StatusCode::FORBIDDEN,
			"not_appointed",
			format!(
				"{message} (the token's account must appoint the bridge's account as its agent: \
				 access.appoint_agent)"
			),
		)
	} else {
		ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused_by_chain", message)
	}
}
