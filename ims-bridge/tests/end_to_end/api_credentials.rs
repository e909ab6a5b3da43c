//! A password changed through the provisioning API
//! (`docs/provisioning-api.md`, "Credentials"): the chain records the
//! rotation as the token's account, the next MAR carries the new HA1, and
//! a caller the chain refuses changes nothing.

use crate::api::{account, carol_by_alice, running, Running};
use crate::common::*;
use crate::cx_client::{mar, CxClient};
use ims_bridge::diameter::dict::command;
use ims_primitives::audit::{Activity, Actor};
use ims_primitives::Change;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use subxt_signer::sr25519::dev;

const IMPI: &str = "carol@ims.example.net";
const PATH: &str = "/v1/subscribers/carol@ims.example.net/credentials";

/// Whether the MAA for Carol carries the HA1 of `password`.
fn maa_holds(scscf: &mut CxClient, password: &str) -> bool {
	let answer = scscf.ask(command::MULTIMEDIA_AUTH, mar(IMPI, "sip:carol@ims.example.net"));
	let bytes = answer.encode().unwrap();
	let ha1 = ims_bridge::auth::digest_ha1(IMPI, REALM, password);
	bytes.windows(ha1.len()).any(|w| w == ha1.as_bytes())
}

#[tokio::test]
async fn a_password_change_is_the_callers_on_chain_and_the_next_mar_carries_it() {
	let Running { setup, api, .. } = &running(100).await;
	let (alices, charlies, created) = carol_by_alice(setup, api).await;
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	// A create is answered once it is finalized; the bridge's index takes
	// it from the finalized block a moment later.
	wait_for("Carol in the index, with her first password", Duration::from_secs(60), || {
		maa_holds(&mut scscf, "carol-secret")
	});

	let new = json!({"password": "a-new-secret"});
	let (status, changed) = api.call(Method::PUT, PATH, Some(&alices), Some(new.clone())).await;
	assert_eq!(status, StatusCode::OK, "{changed}");
	assert!(!changed.to_string().contains("a-new-secret"), "{changed}");
	assert!(maa_holds(&mut scscf, "a-new-secret"), "the next MAR has the new HA1");
	assert!(!maa_holds(&mut scscf, "carol-secret"));
	let impi: [u8; 32] = hex::decode(created["impis"][0]["pseudonym"].as_str().unwrap())
		.unwrap()
		.try_into()
		.unwrap();
	let alice = account(&dev::alice()).0;
	wait_for_async("the rotation on record as Alice's", || async {
		audit_entries(&setup.rpc_url, impi).await.iter().any(|entry| {
			entry.activity == Activity::Change(Change::CredentialsRotated)
				&& entry.actor == Actor::Account(alice)
		})
	})
	.await;

	// Charlie appointed no agent: the chain refuses, the secret stays.
	let other = json!({"password": "charlies-choice"});
	let (status, body) = api.call(Method::PUT, PATH, Some(&charlies), Some(other)).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_appointed")));
	assert!(maa_holds(&mut scscf, "a-new-secret"), "a refused caller changes nothing");

	// Bad requests: no secret, a bad HA1, both kinds, an IMPU, a stranger.
	let bad = [
		(PATH, json!({}), StatusCode::UNPROCESSABLE_ENTITY, None),
		(PATH, json!({"ha1": "xyz"}), StatusCode::UNPROCESSABLE_ENTITY, Some("ha1")),
		(
			PATH,
			json!({"password": "a", "ha1": "0".repeat(32)}),
			StatusCode::UNPROCESSABLE_ENTITY,
			Some("ha1"),
		),
		(PATH, json!({"pin": "1234"}), StatusCode::BAD_REQUEST, None),
		(PATH, json!({"aka": {"k": "00"}}), StatusCode::UNPROCESSABLE_ENTITY, Some("aka")),
	];
	for (path, body, status, field) in bad {
		let (got, answer) = api.call(Method::PUT, path, Some(&alices), Some(body.clone())).await;
		assert_eq!((got, answer["field"].as_str()), (status, field), "{body}: {answer}");
	}
	let impu = "/v1/subscribers/sip:carol@ims.example.net/credentials";
	let (status, body) = api.call(Method::PUT, impu, Some(&alices), Some(new.clone())).await;
	assert_eq!(
		(status, body["field"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("identity"))
	);
	let nobody = "/v1/subscribers/nobody@ims.example.net/credentials";
	let (status, _) = api.call(Method::PUT, nobody, Some(&alices), Some(new)).await;
	assert_eq!(status, StatusCode::NOT_FOUND);
	assert!(maa_holds(&mut scscf, "a-new-secret"));
}
