//! Tests of admit and remove.

use super::*;

#[test]
fn need_governance() {
	with_genesis(|| {
		assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
		assert_noop!(Authority::admit(signed(DE), APPLICANT), DispatchError::BadOrigin);
		assert_noop!(Authority::remove(signed(DE), IE), DispatchError::BadOrigin);
		assert_noop!(Authority::admit(RuntimeOrigin::none(), APPLICANT), DispatchError::BadOrigin);
	});
}

#[test]
fn admit_refuses_strangers_and_admitted_candidates() {
	with_genesis(|| {
		assert_noop!(Authority::admit(root(), STRANGER), AuthorityError::NotCandidate);
		assert_noop!(Authority::admit(root(), DE), AuthorityError::AlreadyAdmitted);
		Candidates::<Test>::mutate(IE, |c| c.as_mut().unwrap().status = Status::Offline);
		assert_noop!(Authority::admit(root(), IE), AuthorityError::AlreadyAdmitted);
	});
}

#[test]
fn admit_makes_an_applicant_selectable() {
	with_genesis(|| {
		assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"NL")));
		assert_ok!(Authority::bond(signed(APPLICANT), 5_000));
		assert_ok!(Session::set_keys(signed(APPLICANT), keys(APPLICANT), key_proof(APPLICANT)));
		// Not admitted: not selected.
		assert_eq!(Authority::select().unwrap().len(), 4);
		assert!(Authority::select().unwrap().iter().all(|s| s.validator != APPLICANT));

		assert_ok!(Authority::admit(root(), APPLICANT));
		assert_eq!(status(APPLICANT), Some(Status::Admitted));
		assert_eq!(last_event(), Event::Admitted { candidate: APPLICANT });
		let selected: Vec<u64> =
			Authority::select().unwrap().into_iter().map(|s| s.validator).collect();
		assert_eq!(selected, vec![APPLICANT, DE, FR, NL]);
	});
}

#[test]
fn remove_refuses_strangers() {
	with_genesis(|| {
		assert_noop!(Authority::remove(root(), STRANGER), AuthorityError::NotCandidate);
	});
}

#[test]
fn remove_unbonds_and_the_validator_leaves_at_the_next_planned_session() {
	with_genesis(|| {
		assert_ok!(Authority::remove(root(), IE));
		assert_eq!(status(IE), None);
		assert_eq!(
			Ledgers::<Test>::get(IE),
			Some(Ledger {
				active: 0,
				unlocking: BoundedVec::truncate_from(vec![Unlocking {
					amount: 1_000,
					from_session: UNBONDING
				}])
			})
		);
		assert_eq!(held(IE), 1_000);
		assert_eq!(
			authority_events(),
			vec![
				Event::Unbonded { who: IE, amount: 1_000, from_session: UNBONDING },
				Event::Removed { candidate: IE },
			]
		);
		run_to_session(1);
		assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		run_to_session(2);
		assert_eq!(Session::validators(), vec![DE, FR, NL]);
	});
}

#[test]
fn refusing_an_application_removes_it() {
	with_genesis(|| {
		assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
		assert_ok!(Authority::remove(root(), APPLICANT));
		assert_eq!(status(APPLICANT), None);
		assert_eq!(authority_events().last(), Some(&Event::Removed { candidate: APPLICANT }));
		assert_eq!(Candidates::<Test>::count(), 5);
	});
}
