//! Tests of `decide`: the policy decisions.

use super::*;

#[test]
fn decide_answers_application_servers() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		assert_ok!(Access::authorize_application_server(
			root(),
			REALM,
			host(),
			AsAuthorization { expires_at: Some(10), ..presence_server() }
		));
		let decide = |requester, realm, subscriber, action| {
			Access::decide(requester, realm, subscriber, action)
		};
		let read = Action::ShRead(ShData::ImsUserState);
		let peer = as_peer(FINGERPRINT);

		// No basis recorded yet.
		assert_eq!(decide(peer.clone(), REALM, Some(IMPI), read.clone()), Err(Denial::NoConsent));
		assert_ok!(Access::grant_consent(
			signed(PROVISIONER),
			SUB,
			presence(),
			LawfulBasis::Consent,
			Some(8),
			EVIDENCE
		));
		// Allowed: reading, updating and serving what it is authorised for,
		// for a subscriber named by subscription or IMPI.
		for (subscriber, action) in [
			(SUB, read.clone()),
			(IMPI, Action::ShRead(ShData::RepositoryData)),
			(IMPI, Action::ShUpdate(ShData::RepositoryData)),
			(IMPI, Action::Serve(token("mmtel"))),
		] {
			assert_eq!(decide(peer.clone(), REALM, Some(subscriber), action), Ok(()));
		}
		// Denied, each for its own reason.
		type Case = (Requester<u64>, u32, Option<Pseudonym>, Action, Denial);
		let cases: Vec<Case> = vec![
			(peer.clone(), 9, Some(IMPI), read.clone(), Denial::UnknownRealm),
			(peer.clone(), REALM, Some(NOBODY), read.clone(), Denial::UnknownSubscriber),
			(peer.clone(), REALM, Some(OTHER_IMPI), read.clone(), Denial::SubscriberInOtherRealm),
			(peer.clone(), REALM, None, read.clone(), Denial::SubscriberRequired),
			(
				Requester::ApplicationServer {
					host: name("rogue.example.net"),
					fingerprint: FINGERPRINT,
				},
				REALM,
				Some(IMPI),
				read.clone(),
				Denial::UnknownApplicationServer,
			),
			(as_peer([0; 32]), REALM, Some(IMPI), read.clone(), Denial::CertificateMismatch),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::ShRead(ShData::LocationInformation),
				Denial::DataNotAuthorized,
			),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::ShUpdate(ShData::ImsUserState),
				Denial::DataNotAuthorized,
			),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::Serve(token("voicemail")),
				Denial::ServiceNotAuthorized,
			),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::Exercise(Permission::Provision),
				Denial::WrongRequester,
			),
			(Requester::Account(OWNER), REALM, Some(IMPI), read.clone(), Denial::WrongRequester),
		];
		for (requester, realm, subscriber, action, denial) in cases {
			assert_eq!(
				decide(requester, realm, subscriber, action.clone()),
				Err(denial),
				"{action:?}"
			);
		}
		// The consent lapses at block 8, the authorisation at block 10.
		System::set_block_number(8);
		assert_eq!(
			decide(peer.clone(), REALM, Some(IMPI), read.clone()),
			Err(Denial::ConsentExpired)
		);
		System::set_block_number(10);
		assert_eq!(decide(peer, REALM, Some(IMPI), read), Err(Denial::AuthorizationExpired));
	});
}

#[test]
fn decide_answers_accounts_about_subscribers() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		let provision = Action::Exercise(Permission::Provision);
		let ask = |who, subscriber| {
			Access::decide(Requester::Account(who), REALM, subscriber, provision.clone())
		};
		assert_eq!(ask(PROVISIONER, Some(IMPI)), Ok(()));
		assert_eq!(ask(PROVISIONER, Some(SUB)), Ok(()));
		assert_eq!(ask(PROVISIONER, Some(OTHER_SUB)), Err(Denial::SubscriberInOtherRealm));
		assert_eq!(ask(PROVISIONER, Some(NOBODY)), Err(Denial::UnknownSubscriber));
		assert_eq!(ask(FRONT, Some(IMPI)), Err(Denial::MissingRole));
	});
}
