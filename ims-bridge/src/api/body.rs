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
/// How long a whole body may take to arrive: a client that stops sending
/// halfway does not keep its connection.
const BODY_TIME: Duration = Duration::from_secs(30);

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
		let bytes = read_limited(request.into_body(), LIMIT, BODY_TIME).await?;
		String::from_utf8(bytes)
			.map(JsonText)
			.map_err(|_| ApiError::malformed("the body is not UTF-8"))
	}
}

/// The whole of `body` if it is at most `limit` bytes and arrives within
/// `time`: 413 beyond the limit (the rest drained), 408 past the time.
async fn read_limited(
	mut body: axum::body::Body,
	limit: usize,
	time: Duration,
) -> Result<Vec<u8>, ApiError> {
	let deadline = tokio::time::Instant::now() + time;
	let mut bytes = Vec::new();
	loop {
		let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
			Ok(Some(frame)) => frame,
			Ok(None) => return Ok(bytes),
			Err(_) => {
				let message = format!("the body did not arrive within {} s", time.as_secs());
				return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", message));
			},
		};
		let frame = frame.map_err(|e| ApiError::malformed(format!("the body: {e}")))?;
		if let Some(data) = frame.data_ref() {
			if bytes.len() + data.len() > limit {
				drain(body).await;
				return Err(too_large(limit));
			}
			bytes.extend_from_slice(data);
		}
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

/// A path's two parameters, percent-decoded, as [`PathParam`].
pub struct PathPair(pub String, pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathPair {
	type Rejection = ApiError;

	async fn from_request_parts(
		parts: &mut axum::http::request::Parts,
		state: &S,
	) -> Result<Self, ApiError> {
		axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
			.await
			.map(|axum::extract::Path((first, second))| PathPair(first, second))
			.map_err(|rejection| ApiError::malformed(rejection.body_text()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use axum::body::{Body, Bytes};
	use futures::stream::{self, StreamExt};

	fn chunks(
		parts: &[&'static str],
	) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
		stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p.as_bytes()))).collect::<Vec<_>>())
	}

	#[tokio::test]
	async fn a_body_is_read_whole_within_its_limit_and_time() {
		let body = Body::from_stream(chunks(&["{\"a\":", "1}"]));
		let read = read_limited(body, 7, Duration::from_secs(1)).await.unwrap();
		assert_eq!(read, b"{\"a\":1}");
		let body = Body::from_stream(chunks(&["{\"a\":", "12}"]));
		let refused = read_limited(body, 7, Duration::from_secs(1)).await.unwrap_err();
		assert_eq!(
			(refused.status, refused.body.code),
			(StatusCode::PAYLOAD_TOO_LARGE, "too_large")
		);
	}

	#[tokio::test]
	async fn a_client_that_stops_sending_gets_408() {
		let stalls = chunks(&["{\"a\":"]).chain(stream::pending());
		let started = std::time::Instant::now();
		let refused = read_limited(Body::from_stream(stalls), 100, Duration::from_millis(200))
			.await
			.unwrap_err();
		assert_eq!((refused.status, refused.body.code), (StatusCode::REQUEST_TIMEOUT, "timeout"));
		assert!(started.elapsed() < Duration::from_secs(2));
	}
}
