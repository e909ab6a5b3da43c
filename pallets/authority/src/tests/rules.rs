//! Tests of rules.

use super::*;

#[test]
fn need_governance() {
	with_genesis(|| {
		assert_noop!(
			Authority::set_allowed_regions(signed(DE), RegionPolicy::Anywhere),
			DispatchError::BadOrigin
		);
		assert_noop!(Authority::set_parameters(signed(DE), parameters()), DispatchError::BadOrigin);
	});
}

#[test]
fn region_rules_must_be_well_formed() {
	with_genesis(|| {
		for bad in [codes(&[]), codes(&[b"EU", b"EU"]), codes(&[b"eu"]), codes(&[b"E1"])] {
			assert_noop!(
				Authority::set_allowed_regions(root(), bad),
				AuthorityError::InvalidRegion
			);
		}
	});
}

#[test]
fn parameters_must_be_consistent() {
	with_genesis(|| {
		let good = parameters();
		let breaks: [fn(&mut Parameters<u64>); 9] = [
			|p| p.min_validators = 0,
			|p| p.min_validators = p.desired_validators + 1,
			|p| p.desired_validators = MAX_VALIDATORS + 1,
			|p| p.max_per_operator = 0,
			|p| p.max_operator_share = Perbill::zero(),
			|p| p.max_operator_share = Perbill::from_parts(333_333_334),
			|p| p.max_operator_share = Perbill::from_percent(50),
			|p| p.offline_after = 0,
			|p| p.session_length = 3,
		];
		for (i, break_it) in breaks.iter().enumerate() {
			let mut bad = good;
			break_it(&mut bad);
			assert_noop!(Authority::set_parameters(root(), bad), AuthorityError::InvalidParameters);
			assert!(!bad.is_valid(MAX_VALIDATORS), "case {i}");
		}
		// Just below a third is allowed.
		let mut edge = good;
		edge.max_operator_share = Perbill::from_parts(333_333_333);
		assert_ok!(Authority::set_parameters(root(), edge));
	});
}

#[test]
fn a_disallowed_region_leaves_the_set_at_the_next_planned_session() {
	with_genesis(|| {
		let rule = codes(&[b"DE", b"FR", b"NL"]);
		assert_ok!(Authority::set_allowed_regions(root(), rule.clone()));
		assert_eq!(AllowedRegions::<Test>::get(), rule.clone());
		assert_eq!(last_event(), Event::AllowedRegionsSet { policy: rule });

		run_to_session(1);
		assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		// Planned for session 2: three operators cannot stay below the
		// cap, so they get equal weights, and the event says so.
		assert_eq!(
			authority_events(),
			vec![
				Event::OperatorShareAboveCap { session: 2, operators: 3 },
				Event::Selected {
					session: 2,
					validators: vec![(DE, 333_333_333), (FR, 333_333_333), (NL, 333_333_333)]
				},
			]
		);
		assert_grandpa(&[
			(DE, 300_000_000),
			(FR, 300_000_000),
			(NL, 266_666_667),
			(IE, 133_333_333),
		]);

		run_to_session(2);
		assert_eq!(Session::validators(), vec![DE, FR, NL]);
		assert_grandpa(&[(DE, 333_333_333), (FR, 333_333_333), (NL, 333_333_333)]);
		// IE stays a candidate: allowing its region again brings it back.
		assert_eq!(status(IE), Some(Status::Admitted));
		assert_ok!(Authority::set_allowed_regions(root(), codes(&[b"EU", b"US"])));
		run_to_session(4);
		assert_eq!(Session::validators(), vec![DE, FR, NL, US]);
		assert_grandpa(&[
			(DE, 300_000_000),
			(FR, 300_000_000),
			(NL, 228_571_429),
			(US, 171_428_571),
		]);
	});
}

#[test]
fn too_few_eligible_keeps_the_current_set() {
	with_genesis(|| {
		assert_ok!(Authority::set_allowed_regions(root(), codes(&[b"US"])));
		run_to_session(1);
		assert_eq!(
			authority_events(),
			vec![Event::SetKept {
				session: 2,
				reason: KeepReason::TooFewEligible { eligible: 1, minimum: 2 }
			}]
		);
		for session in 2..6 {
			run_to_session(session);
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		}
		assert_grandpa(&[
			(DE, 300_000_000),
			(FR, 300_000_000),
			(NL, 266_666_667),
			(IE, 133_333_333),
		]);
	});
}

#[test]
fn the_set_is_never_emptied() {
	with_genesis(|| {
		for who in [DE, FR, NL, IE, US] {
			assert_ok!(Authority::remove(root(), who));
		}
		run_to_session(5);
		assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		assert!(!grandpa_weights().is_empty());
	});
}

#[test]
fn candidates_without_session_keys_are_not_selected() {
	with_genesis(|| {
		assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
		assert_ok!(Authority::admit(root(), APPLICANT));
		assert_ok!(Authority::bond(signed(APPLICANT), 5_000));
		run_to_session(2);
		assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		assert_ok!(Session::set_keys(signed(APPLICANT), keys(APPLICANT), key_proof(APPLICANT)));
		run_to_session(4);
		assert_eq!(Session::validators(), vec![APPLICANT, DE, FR, NL]);
	});
}

#[test]
fn desired_count_and_ties() {
	with_genesis(|| {
		let mut p = parameters();
		p.desired_validators = 2;
		assert_ok!(Authority::set_parameters(root(), p));
		assert_eq!(last_event(), Event::ParametersSet { parameters: p });
		// FR ties DE: the lower account wins the tie.
		assert_ok!(Authority::bond(signed(FR), 1_000));
		run_to_session(2);
		assert_eq!(Session::validators(), vec![DE, FR]);
		assert_ok!(Authority::bond(signed(NL), 2_001));
		run_to_session(4);
		assert_eq!(Session::validators(), vec![NL, DE]);
	});
}

#[test]
fn one_operator_runs_at_most_its_cap() {
	let candidates = vec![
		(DE, 101, region(b"DE"), 4_000),
		(FR, 101, region(b"FR"), 3_000),
		(NL, 103, region(b"NL"), 2_000),
		(IE, 104, region(b"IE"), 1_000),
		(US, 105, region(b"US"), 1_500),
	];
	ExtBuilder::default().candidates(candidates).allowed(None).build().execute_with(|| {
		// One per operator: FR (operator 101, like DE) is skipped.
		assert_eq!(Session::validators(), vec![DE, NL, US, IE]);
		let mut p = parameters();
		p.max_per_operator = 2;
		p.desired_validators = 5;
		assert_ok!(Authority::set_parameters(root(), p));
		run_to_session(2);
		assert_eq!(Session::validators(), vec![DE, FR, NL, US, IE]);
		// Operator 101 (7000 of 11500) and 103 are lowered to 1875, 30 %
		// of 6250; DE and FR split their 30 % by 4:3.
		assert_grandpa(&[
			(DE, 171_428_571),
			(FR, 128_571_429),
			(NL, 300_000_000),
			(US, 240_000_000),
			(IE, 160_000_000),
		]);
		assert!(no_operator_reaches_a_third());
		Authority::do_try_state().unwrap();
	});
}

#[test]
fn a_new_share_cap_reweighs_the_same_set() {
	with_genesis(|| {
		let mut p = parameters();
		p.max_operator_share = Perbill::from_percent(25);
		assert_ok!(Authority::set_parameters(root(), p));
		run_to_session(1);
		assert_eq!(
			authority_events(),
			vec![Event::Selected {
				session: 2,
				validators: vec![
					(DE, 250_000_000),
					(FR, 250_000_000),
					(NL, 250_000_000),
					(IE, 250_000_000)
				]
			}]
		);
		run_to_session(2);
		assert_grandpa(&[
			(DE, 250_000_000),
			(FR, 250_000_000),
			(NL, 250_000_000),
			(IE, 250_000_000),
		]);
		// Nothing changes after: no new GRANDPA set.
		run_to_session(3);
		assert!(authority_events().is_empty());
	});
}

#[test]
fn an_unchanged_set_plans_no_new_grandpa_set() {
	with_genesis(|| {
		let set_id = pallet_grandpa::CurrentSetId::<Test>::get();
		run_to_session(6);
		assert_eq!(pallet_grandpa::CurrentSetId::<Test>::get(), set_id);
	});
}

#[test]
fn no_operator_reaches_a_third_over_many_sessions() {
	ExtBuilder::default().allowed(None).build().execute_with(|| {
		let mut p = parameters();
		p.desired_validators = 5;
		p.max_per_operator = 2;
		assert_ok!(Authority::set_parameters(root(), p));
		join(APPLICANT, 101, b"DE", 2_500);
		let mut seed = 7u64;
		for session in 1..40 {
			seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
			let who = 1 + (seed >> 33) % 6;
			let amount = 1 + (seed >> 40) % 20_000;
			if seed & 1 == 0 {
				let _ = Authority::bond(signed(who), amount);
			} else {
				let _ = Authority::unbond(signed(who), amount.min(active_stake(who)));
			}
			run_to_session(session);
			let operators: std::collections::BTreeSet<u64> = Session::validators()
				.iter()
				.map(|v| Candidates::<Test>::get(v).unwrap().operator)
				.collect();
			if operators.len() >= 4 {
				assert!(no_operator_reaches_a_third(), "session {session}");
			}
			Authority::do_try_state().unwrap();
		}
	});
}

#[test]
fn the_session_length_follows_the_parameters() {
	with_genesis(|| {
		assert_eq!(Authority::average_session_length(), SESSION);
		assert_eq!(Authority::estimate_next_session_rotation(1).0, Some(SESSION));
		assert_eq!(
			Authority::estimate_current_session_progress(5).0,
			Some(Permill::from_percent(50))
		);
		let mut p = parameters();
		p.session_length = 20;
		assert_ok!(Authority::set_parameters(root(), p));
		run_to_block(19);
		assert_eq!(Session::current_index(), 0);
		run_to_block(20);
		assert_eq!(Session::current_index(), 1);
		assert_eq!(SessionStart::<Test>::get(), 20);
		assert_eq!(Authority::estimate_next_session_rotation(21).0, Some(40));
	});
}
