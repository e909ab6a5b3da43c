//! Writes retried with an idempotency key (`docs/provisioning-api.md`,
//! "Retries"), over real HTTPS: the retry gets the first answer again
//! without a second change, another request under the same key is
//! refused, and a write without a key is served anew.

use crate::api::{account, carol, running, token, Running};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use subxt_signer::sr25519::dev;

/// Sends a write with an idempotency key; returns its status, whether it
/// was a replay, and its body.
async fn send(
	running: &Running,
	(method, path, key): (Method, &str, &str),
	token: &str,
	body: Option<Value>,
) -> (StatusCode, bool, Value) {
	let url = format!("{}{path}", running.api.base);
	let mut request =
		running.api.client.request(method, url).bearer_auth(token).header("Idempotency-Key", key);
	if let Some(body) = body {
		request = request.json(&body);
	}
	let response = request.send().await.unwrap();
	let status = response.status();
	let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
	(status, replayed, response.json().await.unwrap())
}

#[tokio::test]
async fn a_write_retried_with_its_key_is_done_once() {
	let running = &running(100).await;
	let alices = token(&running.setup, "owner", &account(&dev::alice()), &[]);
	let create = (Method::POST, "/v1/subscribers", "create-carol-1");

	let (status, replayed, first) = send(running, create.clone(), &alices, Some(carol())).await;
	assert_eq!((status, replayed), (StatusCode::CREATED, false), "{first}");
	let (status, replayed, again) = send(running, create.clone(), &alices, Some(carol())).await;
	assert_eq!((status, replayed), (StatusCode::CREATED, true), "{again}");
	assert_eq!(again, first, "the first answer, not a second create's 409");

	let mut other = carol();
	other["subscription"] = json!("carol-2");
	let (status, _, body) = send(running, create, &alices, Some(other)).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused"))
	);
	let (status, body) =
		running.api.call(Method::POST, "/v1/subscribers", Some(&alices), Some(carol())).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::CONFLICT, Some("conflict")),
		"no key: served anew"
	);

	// Another account's key of the same name is its own: Bob has no
	// appointment, and his request is served (and refused by the chain).
	let bobs = token(&running.setup, "crm", &account(&dev::bob()), &[]);
	let create = (Method::POST, "/v1/subscribers", "create-carol-1");
	let (status, replayed, body) = send(running, create, &bobs, Some(carol())).await;
	assert_eq!((status, replayed), (StatusCode::CONFLICT, false), "{body}");

	let erase = (Method::DELETE, "/v1/subscribers/carol@ims.example.net", "erase-carol");
	let (status, replayed, erased) = send(running, erase.clone(), &alices, None).await;
	assert_eq!((status, replayed), (StatusCode::OK, false), "{erased}");
	let (status, replayed, again) = send(running, erase, &alices, None).await;
	assert_eq!((status, replayed, &again), (StatusCode::OK, true, &erased), "not a 404");
	let (status, _) = running.api.get("/v1/subscribers/carol@ims.example.net", Some(&alices)).await;
	assert_eq!(status, StatusCode::NOT_FOUND);
}
