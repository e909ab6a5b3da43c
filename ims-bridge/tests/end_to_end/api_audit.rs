//! Every provisioning API request in the audit trail
//! (`docs/provisioning-api.md`, "The audit trail"): reads, creates and
//! refusals, each recorded with its route, its status and the token's
//! account, about the identity it named or, when it named none, the realm.

use crate::api::{account, carol, running, token, Running};
use crate::common::*;
use ims_primitives::audit::{subject_key, Activity, Entry, HttpMethod, Peer};
use ims_primitives::Subject;
use reqwest::StatusCode;
use subxt_signer::sr25519::dev;

/// An API record's method, route, status and client.
type Seen = (HttpMethod, String, u32, [u8; 32]);

/// The API records of `subject` in realm 0.
async fn api_records(url: &str, subject: [u8; 32]) -> Vec<Seen> {
	let entries: Vec<Entry<[u8; 32]>> = audit_entries(url, subject).await;
	entries
		.into_iter()
		.filter_map(|entry| match (entry.activity, entry.actor) {
			(
				Activity::Api { method, route },
				ims_primitives::audit::Actor::Peer(Peer::Client(client)),
			) => Some((
				method,
				String::from_utf8(route.into_inner()).unwrap(),
				entry.result,
				client.0,
			)),
			_ => None,
		})
		.collect()
}

/// Waits until every one of `wanted` is among `subject`'s API records.
async fn wait_for_records(url: &str, subject: [u8; 32], wanted: &[Seen]) {
	wait_for_async("the API's records on chain", || async {
		let seen = api_records(url, subject).await;
		wanted.iter().all(|w| seen.contains(w))
	})
	.await;
}

fn hex32(value: &serde_json::Value) -> [u8; 32] {
	hex::decode(value.as_str().unwrap()).unwrap().try_into().unwrap()
}

#[tokio::test]
async fn every_api_request_is_recorded_with_its_route_status_and_account() {
	let Running { setup, api, .. } = &running(100).await;
	let (alice, charlie) = (account(&dev::alice()).0, account(&dev::charlie()).0);
	let alices = token(setup, "owner", &account(&dev::alice()), &[]);
	let charlies = token(setup, "intruder", &account(&dev::charlie()), &[]);
	let route = "/v1/subscribers/{identity}";
	let post = reqwest::Method::POST;

	let (status, created) = api.call(post, "/v1/subscribers", Some(&alices), Some(carol())).await;
	assert_eq!(status, StatusCode::CREATED, "{created}");
	let impi = hex32(&created["impis"][0]["pseudonym"]);
	let impu = hex32(&created["impus"][0]["pseudonym"]);
	let (status, _) = api.get("/v1/subscribers/sip:carol@ims.example.net", Some(&alices)).await;
	assert_eq!(status, StatusCode::OK);
	let (status, _) = api.get("/v1/subscribers/carol@ims.example.net", Some(&charlies)).await;
	assert_eq!(status, StatusCode::FORBIDDEN, "the chain gives Charlie no right to read");
	let (status, _) = api.get(&format!("/v1/realms/{REALM}"), Some(&charlies)).await;
	assert_eq!(status, StatusCode::OK);
	let (status, _) = api.get("/v1/subscribers/carol@ims.example.net", None).await;
	assert_eq!(status, StatusCode::UNAUTHORIZED);

	// The create and Charlie's refused read are the IMPI's; Alice's read
	// the IMPU's; the realm read and the request without a token the
	// realm's, the latter from nobody.
	let (get, created_by) = (HttpMethod::Get, (HttpMethod::Post, "/v1/subscribers".into()));
	let url = &setup.rpc_url;
	let impi_records =
		[(created_by.0, created_by.1, 201, alice), (get, route.to_string(), 403, charlie)];
	wait_for_records(url, impi, &impi_records).await;
	wait_for_records(url, impu, &[(get, route.to_string(), 200, alice)]).await;
	let realm = subject_key(&Subject::<[u8; 32]>::Realm).0;
	let realm_records =
		[(get, "/v1/realms/{realm}".to_string(), 200, charlie), (get, route.into(), 401, [0; 32])];
	wait_for_records(url, realm, &realm_records).await;
	// Nothing was recorded twice.
	assert_eq!(api_records(url, impu).await.len(), 1);
}
