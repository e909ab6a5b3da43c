//! The body of a write: JSON, UTF-8, within the route's size limit. Every
//! way a body can be wrong is answered with the API's own error, never
//! with the framework's plain-text refusal.

use super::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use http_body_util::BodyExt;
use std::time::Duration;

/// How much of a body beyond its limit is read and thrown away so that the
/// client, still sending, gets its 413 instead of a reset connection.
const DRAIN_MOST: usize = 16 << 20;
/// How long that may take.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// A JSON body's text, of at most `LIMIT` bytes.
pub struct JsonText<const LIMIT: usize>(pub String);

fn too_large(limit: usize) -> ApiError {
	let message = format!("the body is over {limit} bytes");
	ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
}

/// Reads the rest of `body` and drops it, up to [`DRAIN_MOST`] bytes and
/// [`DRAIN_TIME`]; beyond either the connection is simply closed.
async fn drain(mut body: axum::body::Body) {
	let mut drained = 0usize;
	let _ = tokio::time::timeout(DRAIN_TIME, async {
		while let Some(Ok(frame)) = body.frame().await {
			drained += frame.data_ref().map_or(0, |data| data.len());
			if drained > DRAIN_MOST {
				break;
			}
		}
	})
	.await;
}

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for JsonText<LIMIT> {
	type Rejection = ApiError;

	async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
		let media = request
			.headers()
			.get(header::CONTENT_TYPE)
			.and_then(|value| value.to_str().ok())
			.and_then(|value| value.split(';').next())
			.map(|value| value.trim().to_ascii_lowercase());
		if media.as_deref() != Some("application/json") {
			drain(request.into_body()).await;
			return Err(ApiError::new(
				StatusCode::UNSUPPORTED_MEDIA_TYPE,
				"unsupported_media_type",
				"send the body as application/json",
			));
		}
		let mut body = request.into_body();
		let mut bytes = Vec::new();
		while let Some(frame) = body.frame().await {
			let frame = frame.map_err(|e| ApiError::malformed(format!("the body: {e}")))?;
			if let Some(data) = frame.data_ref() {
				if bytes.len() + data.len() > LIMIT {
					drain(body).await;
					return Err(too_large(LIMIT));
				}
				bytes.extend_from_slice(data);
			}
		}
		String::from_utf8(bytes)
			.map(JsonText)
			.map_err(|_| ApiError::malformed("the body is not UTF-8"))
	}
}

/// A path's one parameter, percent-decoded; a path that does not decode
/// as UTF-8 is answered 400 like any other malformed request.
pub struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
	type Rejection = ApiError;

	async fn from_request_parts(
		parts: &mut axum::http::request::Parts,
		state: &S,
	) -> Result<Self, ApiError> {
		axum::extract::Path::<String>::from_request_parts(parts, state)
			.await
			.map(|axum::extract::Path(value)| PathParam(value))
			.map_err(|rejection| ApiError::malformed(rejection.body_text()))
	}
}
