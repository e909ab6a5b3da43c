//! An administrative de-registration through the provisioning API
//! (`docs/provisioning-api.md`, "De-registration"): the S-CSCF holding the
//! identity gets an RTR naming it, the answer follows the RTA, and an
//! account the chain denies sends nothing.

use crate::api::{carol_by_alice, running, Running};
use crate::common::*;
use crate::cx_client::{code, mar, CxClient};
use ims_bridge::diameter::codec::Avp;
use ims_bridge::diameter::dict::{avp, command, result};
use reqwest::{Method, StatusCode};
use std::time::Duration;

const IMPU: &str = "sip:carol@ims.example.net";
const PATH: &str = "/v1/subscribers/sip:carol@ims.example.net/registration";

#[tokio::test]
async fn an_operator_ends_a_registration_and_the_scscf_gets_an_rtr() {
	let Running { setup, api, .. } = &running(100).await;
	let (alices, charlies, _) = carol_by_alice(setup, api).await;
	let (status, body) = api.call(Method::DELETE, PATH, Some(&alices), None).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("not_registered")));

	// The S-CSCF registers Carol.
	let impi = "carol@ims.example.net";
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	wait_for("Carol in the index", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(impi, IMPU))) == result::SUCCESS
	});
	let sar = vec![
		Avp::utf8_of(&avp::USER_NAME, impi),
		Avp::utf8_of(&avp::PUBLIC_IDENTITY, IMPU),
		Avp::utf8_of(&avp::SERVER_NAME, &format!("sip:127.0.0.1:{}", setup.scscf_port)),
		Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, 1),
		Avp::u32_of(&avp::USER_DATA_ALREADY_AVAILABLE, 0),
	];
	assert_eq!(code(&scscf.ask(command::SERVER_ASSIGNMENT, sar)), result::SUCCESS);

	// Charlie holds no right: the chain denies him, no RTR goes out.
	let (status, body) = api.call(Method::DELETE, PATH, Some(&charlies), None).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
	let impi_path = "/v1/subscribers/carol@ims.example.net/registration";
	let (status, body) = api.call(Method::DELETE, impi_path, Some(&alices), None).await;
	assert_eq!(
		(status, body["field"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("identity"))
	);

	// Alice ends it: the S-CSCF is asked, and its RTA decides the answer.
	let rtr = tokio::task::spawn_blocking(move || loop {
		let request = scscf.answer_next_request(result::SUCCESS);
		if request.header.command == command::REGISTRATION_TERMINATION {
			return request;
		}
	});
	let (status, body) = api.call(Method::DELETE, PATH, Some(&alices), None).await;
	assert_eq!(status, StatusCode::OK, "{body}");
	let rtr = rtr.await.unwrap();
	assert_eq!(rtr.optional_utf8(&avp::PUBLIC_IDENTITY).unwrap(), Some(IMPU));
	assert_eq!(rtr.optional_utf8(&avp::USER_NAME).unwrap(), Some(impi));
	let reason = rtr.find(&avp::DEREGISTRATION_REASON).unwrap();
	let info = reason.child(&avp::DEREGISTRATION_REASON, &avp::REASON_INFO).unwrap().unwrap();
	assert_eq!(info.utf8(&avp::REASON_INFO).unwrap(), "deregistered by the operator");
	// Once dropped, there is nothing left to end.
	let (status, body) = api.call(Method::DELETE, PATH, Some(&alices), None).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("not_registered")));
}
