//! Idempotency keys for writes (`docs/provisioning-api.md`, "Retries"): a
//! write sent with `Idempotency-Key` is done once; a retry with the same
//! key and the same request gets the first answer again (marked
//! `Idempotent-Replayed: true`), one with the same key and another request
//! 422 `idempotency_key_reused`, and one while the first is still being
//! served 409 `idempotency_key_in_flight`.
//!
//! Keys are the token account's own, kept 24 hours in memory, at most
//! [`MAX_KEYS`] (the oldest answers go first). They are not written to disk:
//! an answer names identities in clear, and an erased subscriber's
//! identities must not outlive the vault entry in a file. A retry after a
//! restart of the bridge is a new request.

use super::error::ApiError;
use axum::body::{to_bytes, Body};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subxt::utils::AccountId32;

/// How long an answer is kept for retries.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);
/// Answers kept at most, across accounts.
pub const MAX_KEYS: usize = 100_000;
/// The longest key.
const MAX_KEY_LEN: usize = 255;
/// The largest answer kept (a subscriber's view is a few KiB).
const MAX_ANSWER: usize = 1 << 20;
/// The header a replayed answer carries.
const REPLAYED: &str = "idempotent-replayed";

/// The `Idempotency-Key` of a request, if it sent one: 1 to 255 visible
/// ASCII characters, else 400.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
	type Rejection = ApiError;

	async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
		let Some(value) = parts.headers.get("idempotency-key") else {
			return Ok(IdempotencyKey(None));
		};
		let key = value.to_str().ok().filter(|key| {
			(1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
		});
		match key {
			Some(key) => Ok(IdempotencyKey(Some(key.to_string()))),
			None => {
				Err(ApiError::malformed("an idempotency key is 1 to 255 visible ASCII characters")
					.at("Idempotency-Key"))
			},
		}
	}
}

/// What a request is, for telling a retry from another request under the
/// same key: its method, path and body.
pub fn fingerprint(method: &str, path: &str, body: &str) -> [u8; 32] {
	let mut hash = Sha256::new();
	for part in [method, path, body] {
		hash.update((part.len() as u64).to_be_bytes());
		hash.update(part.as_bytes());
	}
	hash.finalize().into()
}

/// An account's key: the account's bytes (`AccountId32` is not `Hash`)
/// and the key.
type Key = ([u8; 32], String);

enum Slot {
	/// Being served.
	InFlight { fingerprint: [u8; 32] },
	/// Answered at `at`.
	Done { fingerprint: [u8; 32], status: StatusCode, body: axum::body::Bytes, at: Instant },
}

/// The keys of every account, and the order they came in.
#[derive(Default)]
pub struct Idempotency {
	inner: Mutex<Keys>,
}

#[derive(Default)]
struct Keys {
	slots: HashMap<Key, Slot>,
	order: VecDeque<(Instant, Key)>,
}

impl Keys {
	/// Drops answers older than [`KEEP`], and the oldest beyond
	/// [`MAX_KEYS`].
	fn prune(&mut self, now: Instant) {
		while let Some((at, key)) = self.order.front() {
			let (at, key) = (*at, key.clone());
			if now.duration_since(at) < KEEP && self.slots.len() < MAX_KEYS {
				break;
			}
			self.order.pop_front();
			// A key given again after it was dropped is a new request: its
			// slot is only removed if it still is the answer queued then.
			if matches!(self.slots.get(&key), Some(Slot::Done { at: done, .. }) if *done == at) {
				self.slots.remove(&key);
			}
		}
	}
}

/// Removes an in-flight key whose request was not answered (the client
/// went away, the task was dropped), so that a retry is served.
struct InFlight<'a> {
	keys: &'a Idempotency,
	key: Option<Key>,
}

impl Drop for InFlight<'_> {
	fn drop(&mut self) {
		if let Some(key) = self.key.take() {
			let mut keys = self.keys.locked();
			if matches!(keys.slots.get(&key), Some(Slot::InFlight { .. })) {
				keys.slots.remove(&key);
			}
		}
	}
}

impl Idempotency {
	fn locked(&self) -> std::sync::MutexGuard<'_, Keys> {
		self.inner.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Serves `work` once for `key` of `account`: without a key it is
	/// simply served; with one, a retry of the same request gets the kept
	/// answer. Answers that ask for a retry (408, 429, 5xx) are not kept.
	pub async fn once<F>(
		&self,
		account: AccountId32,
		(key, fingerprint): (IdempotencyKey, [u8; 32]),
		work: F,
	) -> Response
	where
		F: Future<Output = Response>,
	{
		let Some(key) = key.0 else { return work.await };
		let key = (account.0, key);
		if let Some(answer) = self.claim(&key, fingerprint) {
			return answer;
		}
		let mut guard = InFlight { keys: self, key: Some(key) };
		let response = work.await;
		let (parts, body) = response.into_parts();
		let Ok(bytes) = to_bytes(body, MAX_ANSWER).await else {
			let error = ApiError::internal(&"the answer could not be kept for retries");
			return error.into_response();
		};
		let status = parts.status;
		let keep = !(status.is_server_error()
			|| status == StatusCode::REQUEST_TIMEOUT
			|| status == StatusCode::TOO_MANY_REQUESTS);
		if let Some(key) = guard.key.take() {
			let mut keys = self.locked();
			if keep {
				let at = Instant::now();
				let done = Slot::Done { fingerprint, status, body: bytes.clone(), at };
				keys.slots.insert(key.clone(), done);
				keys.order.push_back((at, key));
			} else {
				keys.slots.remove(&key);
			}
		}
		Response::from_parts(parts, Body::from(bytes))
	}

	/// Takes `key` for a request, or answers it: the kept answer of the
	/// same request, or a refusal.
	fn claim(&self, key: &Key, fingerprint: [u8; 32]) -> Option<Response> {
		let now = Instant::now();
		let mut keys = self.locked();
		keys.prune(now);
		match keys.slots.get(key) {
			None => {
				keys.slots.insert(key.clone(), Slot::InFlight { fingerprint });
				None
			},
			Some(Slot::InFlight { fingerprint: kept }) if *kept == fingerprint => Some(
				ApiError::new(
					StatusCode::CONFLICT,
					"idempotency_key_in_flight",
					"a request with this idempotency key is being served; retry once it is answered",
				)
				.at("Idempotency-Key")
				.retry_after(1)
				.into_response(),
			),
			Some(Slot::Done { fingerprint: kept, status, body, .. }) if *kept == fingerprint => {
				let mut replay = (*status, body.clone()).into_response();
				let headers = replay.headers_mut();
				headers.insert(REPLAYED, HeaderValue::from_static("true"));
				headers.insert(
					axum::http::header::CONTENT_TYPE,
					HeaderValue::from_static("application/json"),
				);
				Some(replay)
			},
			Some(Slot::InFlight { .. } | Slot::Done { .. }) => Some(
				ApiError::new(
					StatusCode::UNPROCESSABLE_ENTITY,
					"idempotency_key_reused",
					"this idempotency key was used for another request",
				)
				.at("Idempotency-Key")
				.into_response(),
			),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::atomic::{AtomicU32, Ordering};

	fn alice() -> AccountId32 {
		AccountId32([1; 32])
	}

	async fn body(response: Response) -> (StatusCode, Option<HeaderValue>, String) {
		let status = response.status();
		let replayed = response.headers().get(REPLAYED).cloned();
		let bytes = to_bytes(response.into_body(), MAX_ANSWER).await.unwrap();
		(status, replayed, String::from_utf8(bytes.to_vec()).unwrap())
	}

	fn key(text: &str) -> IdempotencyKey {
		IdempotencyKey(Some(text.to_string()))
	}

	#[tokio::test]
	async fn a_retry_gets_the_first_answer_and_another_request_is_refused() {
		let keys = Idempotency::default();
		let served = AtomicU32::new(0);
		let work = || async {
			let n = served.fetch_add(1, Ordering::SeqCst);
			(StatusCode::CREATED, format!("{{\"n\":{n}}}")).into_response()
		};
		let print = fingerprint("POST", "/v1/subscribers", "{}");
		let first = body(keys.once(alice(), (key("k1"), print), work()).await).await;
		assert_eq!(first, (StatusCode::CREATED, None, "{\"n\":0}".into()));
		let again = body(keys.once(alice(), (key("k1"), print), work()).await).await;
		assert_eq!(again.0, StatusCode::CREATED);
		assert_eq!(again.1, Some(HeaderValue::from_static("true")));
		assert_eq!(again.2, "{\"n\":0}", "the kept answer, not a second one");
		assert_eq!(served.load(Ordering::SeqCst), 1);

		let other = fingerprint("POST", "/v1/subscribers", "{\"x\":1}");
		let reused = body(keys.once(alice(), (key("k1"), other), work()).await).await;
		assert_eq!(reused.0, StatusCode::UNPROCESSABLE_ENTITY);
		assert!(reused.2.contains("idempotency_key_reused"), "{}", reused.2);
		// Another account's key of the same name is its own.
		let bob = AccountId32([2; 32]);
		let own = body(keys.once(bob, (key("k1"), other), work()).await).await;
		assert_eq!(own, (StatusCode::CREATED, None, "{\"n\":1}".into()));
		// Without a key, every request is served.
		body(keys.once(alice(), (IdempotencyKey(None), print), work()).await).await;
		assert_eq!(served.load(Ordering::SeqCst), 3);
	}

	#[tokio::test]
	async fn a_request_in_flight_holds_its_key_and_a_dropped_one_frees_it() {
		let keys = Idempotency::default();
		let print = fingerprint("DELETE", "/v1/subscribers/a", "");
		let (release, wait) = tokio::sync::oneshot::channel::<()>();
		let slow = keys.once(alice(), (key("k"), print), async move {
			let _ = wait.await;
			StatusCode::OK.into_response()
		});
		let mut slow = Box::pin(slow);
		// Polled once: the key is taken.
		assert!(futures::poll!(&mut slow).is_pending());
		let busy = body(
			keys.once(alice(), (key("k"), print), async { StatusCode::OK.into_response() }).await,
		)
		.await;
		assert_eq!(busy.0, StatusCode::CONFLICT);
		assert!(busy.2.contains("idempotency_key_in_flight"));
		let other = fingerprint("DELETE", "/v1/subscribers/b", "");
		let reused = body(
			keys.once(alice(), (key("k"), other), async { StatusCode::OK.into_response() }).await,
		)
		.await;
		assert_eq!(reused.0, StatusCode::UNPROCESSABLE_ENTITY, "another request under the key");
		// The client goes away: the key is free again.
		drop(slow);
		drop(release);
		let served = body(
			keys.once(alice(), (key("k"), print), async { StatusCode::OK.into_response() }).await,
		)
		.await;
		assert_eq!((served.0, served.1), (StatusCode::OK, None));
	}

	#[tokio::test]
	async fn answers_that_ask_for_a_retry_are_not_kept() {
		let keys = Idempotency::default();
		let print = fingerprint("PUT", "/v1/x", "{}");
		for status in [StatusCode::SERVICE_UNAVAILABLE, StatusCode::TOO_MANY_REQUESTS] {
			let answer = body(
				keys.once(alice(), (key("k"), print), async move { status.into_response() }).await,
			)
			.await;
			assert_eq!((answer.0, answer.1), (status, None));
		}
		let served = body(
			keys.once(alice(), (key("k"), print), async { StatusCode::OK.into_response() }).await,
		)
		.await;
		assert_eq!((served.0, served.1), (StatusCode::OK, None), "served, not replayed");
	}

	#[test]
	fn old_answers_and_those_beyond_the_cap_are_dropped() {
		let mut keys = Keys::default();
		let start = Instant::now();
		for n in 0..3 {
			let key = (alice().0, format!("k{n}"));
			let done = Slot::Done {
				fingerprint: [0; 32],
				status: StatusCode::OK,
				body: Default::default(),
				at: start,
			};
			keys.slots.insert(key.clone(), done);
			keys.order.push_back((start, key));
		}
		keys.prune(start + Duration::from_secs(60));
		assert_eq!(keys.slots.len(), 3, "young answers stay");
		keys.prune(start + KEEP);
		assert!(keys.slots.is_empty() && keys.order.is_empty(), "a day later they are gone");
	}

	#[test]
	fn keys_are_bounded_and_visible_ascii() {
		let parts = |value: &str| {
			let request = axum::http::Request::builder().header("idempotency-key", value);
			request.body(()).unwrap().into_parts().0
		};
		let read = |value: &str| {
			let mut parts = parts(value);
			futures::executor::block_on(IdempotencyKey::from_request_parts(&mut parts, &()))
		};
		assert_eq!(read("order-42").ok().and_then(|k| k.0), Some("order-42".to_string()));
		for bad in ["", "with space", &"k".repeat(256)] {
			let refused = read(bad).err().unwrap();
			assert_eq!(refused.body.field.as_deref(), Some("Idempotency-Key"), "{bad:?}");
		}
	}
}
