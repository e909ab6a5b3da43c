//! Tests of the read side behind `IdentityApi`.

use super::*;

#[test]
fn user_authorization_and_location_answer_uar_and_lir() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impi(root(), SUB, IMPI2, schemes(), AuthScheme::AkaV1Md5));
		assert_eq!(Identity::user_authorization(NOBODY, IMPU), Err(LookupError::UnknownImpi));
		assert_eq!(Identity::user_authorization(IMPI, NOBODY), Err(LookupError::UnknownImpu));
		assert_eq!(Identity::user_authorization(IMPI2, IMPU), Err(LookupError::NotLinked));
		let view = Identity::user_authorization(IMPI, IMPU).unwrap();
		assert_eq!(view.realm_name, name("ims.example.net"));
		assert_eq!(view.subscription, SUB);
		assert_eq!(view.implicit_set, Some(SET));
		assert!(!view.barred && !view.all_barred && view.can_register);
		assert_eq!(view.roaming, roaming(&["ims.visited.net"]));
		assert_eq!(view.registration.state, RegistrationState::NotRegistered);

		// Barring one member of two is not barring the set.
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert!(!Identity::user_authorization(IMPI, IMPU2).unwrap().all_barred);
		assert!(Identity::user_authorization(IMPI, IMPU2).unwrap().barred);

		assert_eq!(Identity::location(NOBODY), Err(LookupError::UnknownImpu));
		assert_ok!(Identity::record_registrations(
			root(),
			vec![registered(IMPU)].try_into().unwrap()
		));
		let view = Identity::location(IMPU2).unwrap();
		assert_eq!(view.registration.state, RegistrationState::Registered);
		assert_eq!(view.registration.scscf, Some(name("sip:scscf.ims.example.net:6060")));
	});
}

#[test]
fn authentication_answers_mar() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::rotate_credentials(root(), IMPI));
		assert_eq!(Identity::authentication(NOBODY, IMPU), Err(LookupError::UnknownImpi));
		let view = Identity::authentication(IMPI, IMPU).unwrap();
		assert_eq!(view.impi, IMPI);
		assert_eq!(view.schemes, schemes());
		assert_eq!(view.default_scheme, AuthScheme::AkaV1Md5);
		assert_eq!(view.credential_epoch, 1);
		assert_eq!(view.impu.impu, IMPU);
	});
}

#[test]
fn server_assignment_answers_sar_with_the_implicit_set() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::set_service_profile(root(), IMPU2, PROFILE2, None));
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_eq!(Identity::server_assignment(None, NOBODY), Err(LookupError::UnknownImpu));
		assert_eq!(Identity::server_assignment(Some(IMPI2), IMPU), Err(LookupError::UnknownImpi));

		// Asked for IMPU2: its own profile first, then IMPU's.
		let view = Identity::server_assignment(Some(IMPI), IMPU2).unwrap();
		assert_eq!(view.associated_impis, vec![IMPI]);
		assert_eq!(view.charging, None);
		let ids: Vec<_> = view.profiles.iter().map(|profile| profile.id).collect();
		assert_eq!(ids, vec![PROFILE2, PROFILE]);
		assert_eq!(view.profiles[0].identities.len(), 1);
		assert!(view.profiles[0].identities[0].barred);
		// PROFILE: own criteria 10 and 1 plus the shared set's 5, by priority,
		// each with its server resolved.
		let gold = &view.profiles[1];
		assert_eq!(gold.identities[0].impu, IMPU);
		let priorities: Vec<_> = gold.ifcs.iter().map(|ifc| ifc.priority).collect();
		assert_eq!(priorities, vec![1, 5, 10]);
		assert_eq!(gold.ifcs[1].application_server_id, AS2);
		assert_eq!(gold.ifcs[1].application_server, server("sip:voicemail.ims.example.net"));
		assert_eq!(gold.shared_ifc_sets, vec![IFC_SET]);
		assert_eq!(gold.subscribed_media_profile, Some(7));

		// Asked for IMPU without an IMPI (e.g. unregistered services).
		let view = Identity::server_assignment(None, IMPU).unwrap();
		assert_eq!(view.profiles[0].id, PROFILE);
		assert_eq!(view.charging, Some(charging()));
	});
}
