//! Consents through the provisioning API (`docs/provisioning-api.md`,
//! "Consents"): a provisioner records and withdraws a subscriber's lawful
//! basis for a purpose, the chain's records name the provisioner, and an
//! account without the right may neither list nor change them.

use crate::api::{account, carol, running, token, Running};
use crate::common::*;
use ims_bridge::chain::ims;
use ims_bridge::chain::ims::runtime_types::ims_primitives::access::Role;
use ims_primitives::audit::Actor;
use ims_primitives::Subject;
use reqwest::{Method, StatusCode};
use serde_json::json;
use subxt_signer::sr25519::dev;

const CONSENTS: &str = "/v1/subscribers/sip:carol@ims.example.net/consents";

#[tokio::test]
async fn a_provisioner_records_and_withdraws_a_lawful_basis() {
	let Running { setup, api, .. } = &running(100).await;
	let bob = dev::bob();
	let grant = ims::transactions().access().grant_role(0, account(&bob), Role::Provisioner, None);
	as_alice(&setup.rpc_url, grant, "Bob's role").await;
	let appoint = ims::transactions().access().appoint_agent(account(&dev::alice()), None);
	as_signer(&setup.rpc_url, &bob, appoint, "Bob's appointment").await;
	let bobs = token(setup, "crm", &account(&bob), &[]);
	let charlies = token(setup, "intruder", &account(&dev::charlie()), &[]);
	let (status, created) =
		api.call(Method::POST, "/v1/subscribers", Some(&bobs), Some(carol())).await;
	assert_eq!(status, StatusCode::CREATED, "{created}");
	let (status, listed) = api.get(CONSENTS, Some(&bobs)).await;
	assert_eq!((status, listed), (StatusCode::OK, json!([])));

	let presence = format!("{CONSENTS}/presence");
	let evidence = "ab".repeat(32);
	let body = json!({"basis": "consent", "evidence": evidence});
	let (status, listed) = api.call(Method::PUT, &presence, Some(&bobs), Some(body.clone())).await;
	assert_eq!(status, StatusCode::OK, "{listed}");
	assert_eq!(listed[0]["purpose"], "presence");
	assert_eq!(
		(&listed[0]["basis"], &listed[0]["evidence"]),
		(&json!("consent"), &json!(evidence))
	);
	let subscription: [u8; 32] =
		hex::decode(created["pseudonym"].as_str().unwrap()).unwrap().try_into().unwrap();
	let bob_raw = account(&bob).0;
	wait_for_async("the consent on record as Bob's", || async {
		audit_entries(&setup.rpc_url, subscription).await.iter().any(|entry| {
			matches!(&entry.subject, Subject::Consent(_, purpose) if &purpose[..] == b"presence")
				&& entry.actor == Actor::Account(bob_raw)
		})
	})
	.await;

	// Charlie holds no right: he may neither list nor record.
	let (status, body_seen) = api.get(CONSENTS, Some(&charlies)).await;
	assert_eq!((status, body_seen["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
	let (status, refused) = api.call(Method::PUT, &presence, Some(&charlies), Some(body)).await;
	assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_appointed")));

	// Bad requests name their field.
	let long = format!("{CONSENTS}/{}", "p".repeat(65));
	let bad_grants = [
		(long.as_str(), json!({"basis": "consent", "evidence": evidence}), "purpose"),
		(presence.as_str(), json!({"basis": "consent", "evidence": "xyz"}), "evidence"),
	];
	for (path, body, field) in bad_grants {
		let (status, answer) = api.call(Method::PUT, path, Some(&bobs), Some(body)).await;
		assert_eq!(
			(status, answer["field"].as_str()),
			(StatusCode::UNPROCESSABLE_ENTITY, Some(field))
		);
	}
	let (status, answer) = api
		.call(
			Method::PUT,
			&presence,
			Some(&bobs),
			Some(json!({"basis": "whim", "evidence": evidence})),
		)
		.await;
	assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed")));
	let (status, answer) = api.call(Method::DELETE, &presence, Some(&bobs), None).await;
	assert_eq!((status, answer["field"].as_str()), (StatusCode::BAD_REQUEST, Some("evidence")));

	// Withdrawn: gone from the list; withdrawing again is the chain's
	// refusal.
	let withdraw = format!("{presence}?evidence={}", "cd".repeat(32));
	let (status, listed) = api.call(Method::DELETE, &withdraw, Some(&bobs), None).await;
	assert_eq!((status, listed), (StatusCode::OK, json!([])));
	let (status, answer) = api.call(Method::DELETE, &withdraw, Some(&bobs), None).await;
	assert_eq!(
		(status, answer["code"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("refused_by_chain")),
		"{answer}"
	);
}
