//! A public identity added to a subscriber through the provisioning API
//! (`docs/provisioning-api.md`, "Public identities"): on chain with its
//! links in one call, served by Cx at once; identities held elsewhere, links
//! to strangers and refusals of the chain leave nothing behind.

use crate::api::{carol, carol_by_alice, running, Running};
use crate::common::*;
use crate::cx_client::{code, mar, CxClient};
use ims_bridge::diameter::dict::{command, result};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

const PATH: &str = "/v1/subscribers/carol@ims.example.net/impus";
const WORK: &str = "sip:carol.work@ims.example.net";

#[tokio::test]
async fn a_public_identity_is_added_with_its_links_or_not_at_all() {
	let Running { setup, api, .. } = &running(100).await;
	let (alices, charlies, _) = carol_by_alice(setup, api).await;

	let (status, added) =
		api.call(Method::POST, PATH, Some(&alices), Some(json!({"identity": WORK}))).await;
	assert_eq!(status, StatusCode::CREATED, "{added}");
	assert_eq!(added["impus"][2]["identity"], WORK);
	assert_eq!(added["impus"][2]["state"]["barred"], false, "on chain: {added}");
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	wait_for("the new identity served", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar("carol@ims.example.net", WORK)))
			== result::SUCCESS
	});

	// Held already, here or by another subscriber.
	let (status, body) =
		api.call(Method::POST, PATH, Some(&alices), Some(json!({"identity": WORK}))).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
	let mut dave = carol();
	dave["subscription"] = json!("dave");
	dave["impis"][0]["identity"] = json!("dave@ims.example.net");
	dave["impus"] = json!([{"identity": "sip:dave@ims.example.net"}]);
	let (status, _) = api.call(Method::POST, "/v1/subscribers", Some(&alices), Some(dave)).await;
	assert_eq!(status, StatusCode::CREATED);
	let daves = json!({"identity": "sip:dave@ims.example.net"});
	let (status, body) = api.call(Method::POST, PATH, Some(&alices), Some(daves)).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));

	// Refused before or by the chain: the name is not left in the vault.
	let bad = [
		(
			json!({"identity": "sip:c1@ims.example.net", "impis": ["dave@ims.example.net"]}),
			StatusCode::UNPROCESSABLE_ENTITY,
		),
		(json!({"identity": "c2@ims.example.net"}), StatusCode::UNPROCESSABLE_ENTITY),
		(
			json!({"identity": "sip:c3@ims.example.net", "profile": 77}),
			StatusCode::UNPROCESSABLE_ENTITY,
		),
		(json!({"identity": "sip:c4@ims.example.net", "colour": "red"}), StatusCode::BAD_REQUEST),
	];
	for (body, status) in bad {
		let (got, answer) = api.call(Method::POST, PATH, Some(&alices), Some(body.clone())).await;
		assert_eq!(got, status, "{body}: {answer}");
	}
	let (status, body) = api
		.call(
			Method::POST,
			PATH,
			Some(&charlies),
			Some(json!({"identity": "sip:c5@ims.example.net"})),
		)
		.await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_appointed")));
	for left in ["sip:c1@ims.example.net", "sip:c3@ims.example.net", "sip:c5@ims.example.net"] {
		let (status, _) = api.get(&format!("/v1/subscribers/{left}"), Some(&alices)).await;
		assert_eq!(status, StatusCode::NOT_FOUND, "{left} left nothing behind");
	}
	let (status, carol_now) = api.get("/v1/subscribers/carol@ims.example.net", Some(&alices)).await;
	assert_eq!((status, carol_now["impus"].as_array().unwrap().len()), (StatusCode::OK, 3));
}
