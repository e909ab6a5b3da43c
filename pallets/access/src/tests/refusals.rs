//! Tests of refusals reported by the transaction extension.

use super::*;

fn identity_call(call: pallet_ims_identity::Call<Test>) -> RuntimeCall {
	RuntimeCall::Identity(call)
}

fn access_call(call: Call<Test>) -> RuntimeCall {
	RuntimeCall::Access(call)
}

#[test]
fn refusals_outlive_the_reverted_call() {
	use sp_runtime::traits::TransactionExtension;
	ExtBuilder::build_and_execute(|| {
		subscribers();
		clear();
		let denied = |who, pallet, call, module, error| Event::AccessDenied {
			who,
			realm: REALM,
			pallet,
			call,
			module,
			error,
		};
		// A stranger provisioning realm 0 is refused; the refusal stays, in
		// the realm the call named, with the call and the error.
		let create = identity_call(pallet_ims_identity::Call::create_subscription {
			realm: REALM,
			subscription: pseudonym(3, 3),
		});
		assert_eq!(
			through_extension(STRANGER, create),
			Err(pallet_ims_identity::Error::<Test>::NotAuthorized.into())
		);
		// Identity is pallet 1 in the mock; create_subscription is call 3,
		// NotAuthorized its error 0.
		assert_eq!(events(), vec![denied(STRANGER, 1, 3, 1, 0)]);
		assert_eq!(
			take_audit(),
			vec![(
				Some(STRANGER),
				REALM,
				Subject::Call { pallet: 1, call: 3 },
				Change::Denied { module: 1, error: 0 }
			)]
		);
		// A call naming a subscriber by IMPI is reported in its realm.
		let rotate = identity_call(pallet_ims_identity::Call::rotate_credentials { impi: IMPI });
		assert!(through_extension(FRONT, rotate).is_err());
		assert_eq!(events(), vec![denied(FRONT, 1, 7, 1, 0)]);
		// The access pallet's own refusals too: a self-grant (call 0, error 2)
		// and a consent recorded by an HSS front (call 5, error 1).
		let self_grant = access_call(Call::grant_role {
			realm: REALM,
			who: STRANGER,
			role: Role::RealmAdmin,
			expires_at: None,
		});
		assert_eq!(through_extension(STRANGER, self_grant), Err(Error::<Test>::SelfGrant.into()));
		let consent = access_call(Call::grant_consent {
			subscriber: IMPI,
			purpose: presence(),
			basis: LawfulBasis::Consent,
			expires_at: None,
			evidence: EVIDENCE,
		});
		assert_eq!(
			through_extension(FRONT, consent.clone()),
			Err(Error::<Test>::NotAuthorized.into())
		);
		assert_eq!(events(), vec![denied(STRANGER, 2, 0, 2, 2), denied(FRONT, 2, 5, 2, 1)]);
		take_audit();

		// Not reported: bad input, success, and calls nobody is refused for.
		let late = access_call(Call::grant_role {
			realm: REALM,
			who: STRANGER,
			role: Role::Auditor,
			expires_at: Some(1),
		});
		assert_eq!(through_extension(ADMIN, late), Err(Error::<Test>::ExpiryInPast.into()));
		assert_eq!(through_extension(PROVISIONER, consent), Ok(()));
		let clean = access_call(Call::remove_expired_roles { realm: REALM, who: ADMIN });
		assert_eq!(
			through_extension(STRANGER, clean.clone()),
			Err(Error::<Test>::NothingExpired.into())
		);
		assert!(events().iter().all(|event| !matches!(event, Event::AccessDenied { .. })));
		assert!(take_audit()
			.iter()
			.all(|(_, _, _, change)| !matches!(change, Change::Denied { .. })));

		// Only watched calls carry the extension's weight.
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let extension = crate::ReportDenials::<Test>::new();
		assert_eq!(extension.weight(&remark), Weight::zero());
		assert_eq!(extension.weight(&clean), Weight::zero());
		assert_eq!(
			extension.weight(&identity_call(pallet_ims_identity::Call::remove_subscription {
				subscription: SUB
			})),
			<() as crate::WeightInfo>::report_denial()
		);
	});
}
