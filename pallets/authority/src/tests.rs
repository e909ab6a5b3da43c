//! Unit tests: every call (bad origin, every error, success with storage and
//! events), then selection, GRANDPA weights and liveness over many sessions.
//!
//! Timeline of the mock: sessions of 10 blocks; session `n` starts at block
//! `10 n`, and its set is planned when session `n - 1` starts. A change made
//! during session 0 therefore shows in the set of session 2 (block 20).

use crate::{
	mock::*, pallet::*, Code, KeepReason, Ledger, Parameters, Region, RegionPolicy, Seat, Status,
	Unlocking,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, EstimateNextSessionRotation},
	BoundedVec,
};
use sp_runtime::{DispatchError, Perbill, Permill, TokenError};

type AuthorityError = Error<Test>;

/// Runs `test` on the default genesis, then checks the invariants.
fn with_genesis(test: impl FnOnce()) {
	ExtBuilder::default().build().execute_with(|| {
		test();
		Authority::do_try_state().expect("invariants hold");
	});
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn codes(list: &[&[u8; 2]]) -> RegionPolicy<sp_core::ConstU32<MAX_REGIONS>> {
	RegionPolicy::Only(BoundedVec::truncate_from(list.iter().map(|c| Code::new(c)).collect()))
}

fn last_event() -> Event<Test> {
	authority_events().pop().expect("an event")
}

fn active_stake(who: u64) -> u64 {
	Ledgers::<Test>::get(who).map_or(0, |ledger| ledger.active)
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::Bond.into(), &who)
}

fn status(who: u64) -> Option<Status> {
	Candidates::<Test>::get(who).map(|c| c.status)
}

/// Applies, gets admitted and registers keys.
fn join(who: u64, operator: u64, country: &[u8; 2], bond: u64) {
	assert_ok!(Authority::apply(signed(who), operator, region(country)));
	assert_ok!(Authority::admit(root(), who));
	assert_ok!(Authority::bond(signed(who), bond));
	assert_ok!(Session::set_keys(signed(who), keys(who), key_proof(who)));
}

/// Asserts GRANDPA's current voters and their weights (shares in parts per
/// billion), within a rounding of 2.
fn assert_grandpa(expected: &[(u64, u64)]) {
	let actual = grandpa_weights();
	let voters: Vec<u64> = actual.iter().map(|(who, _)| *who).collect();
	assert_eq!(voters, expected.iter().map(|(who, _)| *who).collect::<Vec<_>>());
	for ((_, weight), (_, share)) in actual.iter().zip(expected) {
		assert!(weight.abs_diff(*share) <= 2, "{actual:?} vs {expected:?}");
	}
}

/// Per-operator shares of GRANDPA's current weights, all below one third.
fn no_operator_reaches_a_third() -> bool {
	let weights = grandpa_weights();
	let total: u64 = weights.iter().map(|(_, w)| w).sum();
	let mut per_operator = std::collections::BTreeMap::<u64, u64>::new();
	for (who, weight) in weights {
		let operator = Candidates::<Test>::get(who).map_or(who, |c| c.operator);
		*per_operator.entry(operator).or_default() += weight;
	}
	per_operator.values().all(|w| 3 * w < total)
}

mod genesis {
	use super::*;

	#[test]
	fn selects_the_eu_candidates_by_stake_and_weighs_grandpa() {
		with_genesis(|| {
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
			assert_eq!(
				Active::<Test>::get().into_inner(),
				vec![
					Seat { validator: DE, operator: 101, stake: 4_000 },
					Seat { validator: FR, operator: 102, stake: 3_000 },
					Seat { validator: NL, operator: 103, stake: 2_000 },
					Seat { validator: IE, operator: 104, stake: 1_000 },
				]
			);
			// 40 % and 30 % are lowered to one level, 2250 of 7500 (30 %);
			// NL and IE keep 2000 and 1000 of 7500.
			assert_grandpa(&[
				(DE, 300_000_000),
				(FR, 300_000_000),
				(NL, 266_666_667),
				(IE, 133_333_333),
			]);
			assert_eq!(status(US), Some(Status::Admitted));
			assert_eq!(held(DE), 4_000);
			assert_eq!(held(US), 1_500);
			assert_eq!(Balances::free_balance(DE), BALANCE - 4_000);
			assert_eq!(Queued::<Test>::get().map(|p| p.session), Some(1));
		});
	}

	#[test]
	fn presets_read_region_codes_as_strings() {
		let region: Region = serde_json::from_str(r#"{"country":"DE","group":"EU"}"#).unwrap();
		assert_eq!(region, Region::new(b"DE", Some(b"EU")));
		assert_eq!(serde_json::to_string(&Code::new(b"US")).unwrap(), r#""US""#);
		for bad in [r#""de""#, r#""D""#, r#""DEU""#, r#""D1""#, "7"] {
			assert!(serde_json::from_str::<Code>(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn without_eligible_candidates_the_session_pallet_keeps_its_keys_until_some_are() {
		ExtBuilder::default().allowed(Some(vec![Code::new(b"CH")])).build().execute_with(|| {
			// No candidate is in CH: the session pallet falls back on the
			// keys of its own genesis, and nothing is queued here.
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE, US]);
			assert!(Active::<Test>::get().is_empty());
			assert_eq!(Queued::<Test>::get(), None);
			Authority::do_try_state().unwrap();
			run_to_session(2);
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE, US]);
			assert_ok!(Authority::set_allowed_regions(root(), codes(&[b"EU"])));
			run_to_session(4);
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
			Authority::do_try_state().unwrap();
		});
	}

	#[test]
	#[should_panic(expected = "invalid parameters")]
	fn refuses_invalid_parameters() {
		let mut parameters = parameters();
		parameters.max_operator_share = Perbill::from_percent(34);
		ExtBuilder::default().parameters(parameters).build();
	}

	#[test]
	#[should_panic(expected = "exceeds its account's balance")]
	fn refuses_a_bond_above_the_balance() {
		ExtBuilder::default().candidates(vec![(DE, 101, region(b"DE"), BALANCE + 1)]).build();
	}

	#[test]
	#[should_panic(expected = "listed twice")]
	fn refuses_a_candidate_twice() {
		ExtBuilder::default()
			.candidates(vec![(DE, 101, region(b"DE"), 100), (DE, 102, region(b"DE"), 100)])
			.build();
	}
}

mod apply {
	use super::*;

	#[test]
	fn needs_a_signed_origin() {
		with_genesis(|| {
			for origin in [root(), RuntimeOrigin::none()] {
				assert_noop!(
					Authority::apply(origin, 106, region(b"DE")),
					DispatchError::BadOrigin
				);
			}
		});
	}

	#[test]
	fn refuses_malformed_regions() {
		with_genesis(|| {
			for bad in [
				Region::new(b"de", None),
				Region::new(b"D1", Some(b"EU")),
				Region::new(b"DE", Some(b"eu")),
				Region::new(b"  ", None),
			] {
				assert_noop!(
					Authority::apply(signed(APPLICANT), 106, bad),
					AuthorityError::InvalidRegion
				);
			}
		});
	}

	#[test]
	fn refuses_a_candidate_twice() {
		with_genesis(|| {
			assert_noop!(
				Authority::apply(signed(DE), 101, region(b"DE")),
				AuthorityError::AlreadyCandidate
			);
		});
	}

	#[test]
	fn refuses_more_than_max_candidates() {
		with_genesis(|| {
			for who in 100..100 + u64::from(MAX_CANDIDATES) - 5 {
				assert_ok!(Authority::apply(signed(who), who, region(b"FR")));
			}
			assert_eq!(Candidates::<Test>::count(), MAX_CANDIDATES);
			assert_noop!(
				Authority::apply(signed(APPLICANT), 106, region(b"DE")),
				AuthorityError::TooManyCandidates
			);
		});
	}

	#[test]
	fn records_the_applicant() {
		with_genesis(|| {
			assert_ok!(Authority::apply(signed(APPLICANT), 106, Region::new(b"CH", None)));
			assert_eq!(
				Candidates::<Test>::get(APPLICANT),
				Some(crate::Candidate {
					operator: 106,
					region: Region::new(b"CH", None),
					status: Status::Applied
				})
			);
			assert_eq!(
				last_event(),
				Event::Applied {
					candidate: APPLICANT,
					operator: 106,
					region: Region::new(b"CH", None)
				}
			);
		});
	}
}

mod admit_and_remove {
	use super::*;

	#[test]
	fn need_governance() {
		with_genesis(|| {
			assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
			assert_noop!(Authority::admit(signed(DE), APPLICANT), DispatchError::BadOrigin);
			assert_noop!(Authority::remove(signed(DE), IE), DispatchError::BadOrigin);
			assert_noop!(
				Authority::admit(RuntimeOrigin::none(), APPLICANT),
				DispatchError::BadOrigin
			);
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
}

mod retire {
	use super::*;

	#[test]
	fn needs_a_signed_candidate() {
		with_genesis(|| {
			assert_noop!(Authority::retire(root()), DispatchError::BadOrigin);
			assert_noop!(Authority::retire(signed(STRANGER)), AuthorityError::NotCandidate);
		});
	}

	#[test]
	fn unbonds_everything_and_leaves() {
		with_genesis(|| {
			assert_ok!(Authority::retire(signed(US)));
			assert_eq!(status(US), None);
			assert_eq!(active_stake(US), 0);
			assert_eq!(held(US), 1_500);
			assert_eq!(
				authority_events(),
				vec![
					Event::Unbonded { who: US, amount: 1_500, from_session: UNBONDING },
					Event::Retired { candidate: US },
				]
			);
		});
	}

	#[test]
	fn folds_the_bond_into_the_last_chunk_when_the_list_is_full() {
		with_genesis(|| {
			for _ in 0..MAX_CHUNKS {
				assert_ok!(Authority::unbond(signed(US), 100));
			}
			run_to_session(1);
			assert_ok!(Authority::retire(signed(US)));
			let ledger = Ledgers::<Test>::get(US).unwrap();
			assert_eq!(ledger.active, 0);
			assert_eq!(ledger.unlocking.len() as u32, MAX_CHUNKS);
			assert_eq!(
				ledger.unlocking.last(),
				Some(&Unlocking { amount: 100 + 1_200, from_session: 1 + UNBONDING })
			);
			assert_eq!(held(US), 1_500);
		});
	}
}

mod bond {
	use super::*;

	#[test]
	fn needs_a_signed_candidate() {
		with_genesis(|| {
			assert_noop!(Authority::bond(root(), 10), DispatchError::BadOrigin);
			assert_noop!(Authority::bond(signed(STRANGER), 10), AuthorityError::NotCandidate);
		});
	}

	#[test]
	fn refuses_zero_and_more_than_the_balance() {
		with_genesis(|| {
			assert_noop!(Authority::bond(signed(DE), 0), AuthorityError::ZeroAmount);
			assert_noop!(Authority::bond(signed(DE), BALANCE), AuthorityError::InsufficientBalance);
		});
	}

	#[test]
	fn refuses_an_overflowing_bond() {
		with_genesis(|| {
			Ledgers::<Test>::mutate(DE, |l| l.as_mut().unwrap().active = u64::MAX);
			assert_noop!(Authority::bond(signed(DE), 1), AuthorityError::Overflow);
			Ledgers::<Test>::mutate(DE, |l| l.as_mut().unwrap().active = 4_000);
		});
	}

	#[test]
	fn holds_the_amount() {
		with_genesis(|| {
			assert_ok!(Authority::bond(signed(IE), 5_000));
			assert_eq!(active_stake(IE), 6_000);
			assert_eq!(held(IE), 6_000);
			assert_eq!(Balances::free_balance(IE), BALANCE - 6_000);
			assert_eq!(last_event(), Event::Bonded { who: IE, amount: 5_000 });
			// An applicant bonds before admission; its ledger is created.
			assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
			assert_ok!(Authority::bond(signed(APPLICANT), 700));
			assert_eq!(Ledgers::<Test>::get(APPLICANT).map(|l| l.active), Some(700));
		});
	}

	#[test]
	fn more_stake_ranks_higher_at_the_next_planned_session() {
		with_genesis(|| {
			assert_ok!(Authority::bond(signed(IE), 5_000));
			run_to_session(1);
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
			run_to_session(2);
			assert_eq!(Session::validators(), vec![IE, DE, FR, NL]);
		});
	}
}

mod unbond_and_withdraw {
	use super::*;

	#[test]
	fn need_a_signed_origin_and_a_ledger() {
		with_genesis(|| {
			assert_noop!(Authority::unbond(root(), 1), DispatchError::BadOrigin);
			assert_noop!(Authority::withdraw_unbonded(root()), DispatchError::BadOrigin);
			assert_noop!(Authority::unbond(signed(STRANGER), 1), AuthorityError::NotBonded);
			assert_noop!(Authority::withdraw_unbonded(signed(STRANGER)), AuthorityError::NotBonded);
		});
	}

	#[test]
	fn unbond_refuses_zero_too_much_and_too_many_chunks() {
		with_genesis(|| {
			assert_noop!(Authority::unbond(signed(DE), 0), AuthorityError::ZeroAmount);
			assert_noop!(Authority::unbond(signed(DE), 4_001), AuthorityError::InsufficientBond);
			for _ in 0..MAX_CHUNKS {
				assert_ok!(Authority::unbond(signed(DE), 1));
			}
			assert_noop!(Authority::unbond(signed(DE), 1), AuthorityError::TooManyUnlockingChunks);
		});
	}

	#[test]
	fn unbonded_stake_stays_held_for_the_delay() {
		with_genesis(|| {
			assert_ok!(Authority::unbond(signed(DE), 1_000));
			assert_eq!(active_stake(DE), 3_000);
			assert_eq!(held(DE), 4_000);
			assert_eq!(
				last_event(),
				Event::Unbonded { who: DE, amount: 1_000, from_session: UNBONDING }
			);
			assert_noop!(
				Authority::withdraw_unbonded(signed(DE)),
				AuthorityError::NothingToWithdraw
			);
			run_to_session(UNBONDING - 1);
			assert_noop!(
				Authority::withdraw_unbonded(signed(DE)),
				AuthorityError::NothingToWithdraw
			);
			run_to_session(UNBONDING);
			assert_ok!(Authority::withdraw_unbonded(signed(DE)));
			assert_eq!(held(DE), 3_000);
			assert_eq!(Balances::free_balance(DE), BALANCE - 3_000);
			assert_eq!(last_event(), Event::Withdrawn { who: DE, amount: 1_000 });
			assert_eq!(Ledgers::<Test>::get(DE).map(|l| l.unlocking.len()), Some(0));
		});
	}

	#[test]
	fn withdrawing_everything_drops_the_ledger() {
		with_genesis(|| {
			assert_ok!(Authority::retire(signed(US)));
			run_to_session(UNBONDING);
			assert_ok!(Authority::withdraw_unbonded(signed(US)));
			assert_eq!(Ledgers::<Test>::get(US), None);
			assert_eq!(held(US), 0);
			assert_eq!(Balances::free_balance(US), BALANCE);
		});
	}

	#[test]
	fn only_due_chunks_are_released() {
		with_genesis(|| {
			assert_ok!(Authority::unbond(signed(DE), 100));
			run_to_session(1);
			assert_ok!(Authority::unbond(signed(DE), 200));
			run_to_session(UNBONDING);
			assert_ok!(Authority::withdraw_unbonded(signed(DE)));
			assert_eq!(last_event(), Event::Withdrawn { who: DE, amount: 100 });
			assert_eq!(held(DE), 3_900);
			run_to_session(UNBONDING + 1);
			assert_ok!(Authority::withdraw_unbonded(signed(DE)));
			assert_eq!(held(DE), 3_700);
		});
	}

	#[test]
	fn a_stake_below_the_minimum_is_not_selected() {
		with_genesis(|| {
			assert_ok!(Authority::unbond(signed(NL), 2_000 - MIN_BOND + 1));
			run_to_session(2);
			assert_eq!(Session::validators(), vec![DE, FR, IE]);
		});
	}
}

mod resume {
	use super::*;

	#[test]
	fn needs_a_signed_offline_candidate() {
		with_genesis(|| {
			assert_noop!(Authority::resume(root()), DispatchError::BadOrigin);
			assert_noop!(Authority::resume(signed(STRANGER)), AuthorityError::NotCandidate);
			assert_noop!(Authority::resume(signed(DE)), AuthorityError::NotOffline);
			assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
			assert_noop!(Authority::resume(signed(APPLICANT)), AuthorityError::NotOffline);
		});
	}
}

mod rules {
	use super::*;

	#[test]
	fn need_governance() {
		with_genesis(|| {
			assert_noop!(
				Authority::set_allowed_regions(signed(DE), RegionPolicy::Anywhere),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Authority::set_parameters(signed(DE), parameters()),
				DispatchError::BadOrigin
			);
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
				assert_noop!(
					Authority::set_parameters(root(), bad),
					AuthorityError::InvalidParameters
				);
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
}

mod liveness {
	use super::*;

	#[test]
	fn a_silent_validator_goes_offline_and_resumes() {
		with_genesis(|| {
			set_down(&[IE]);
			run_to_session(1);
			assert_eq!(Missed::<Test>::get(IE), 1);
			assert_eq!(status(IE), Some(Status::Admitted));
			run_to_session(2);
			assert_eq!(Missed::<Test>::get(IE), 2);
			assert_eq!(status(IE), Some(Status::Offline));
			assert!(authority_events().contains(&Event::WentOffline { validator: IE, sessions: 2 }));
			// Planned at session 1's start, session 2 still has IE; session 3
			// does not.
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
			run_to_session(3);
			assert_eq!(Session::validators(), vec![DE, FR, NL]);

			set_down(&[]);
			assert_ok!(Authority::resume(signed(IE)));
			assert_eq!(last_event(), Event::Resumed { validator: IE });
			assert_eq!(status(IE), Some(Status::Admitted));
			assert_eq!(Missed::<Test>::get(IE), 0);
			run_to_session(5);
			assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		});
	}

	#[test]
	fn one_authored_block_resets_the_count() {
		with_genesis(|| {
			set_down(&[IE]);
			run_to_session(1);
			set_down(&[]);
			run_to_session(2);
			assert_eq!(Missed::<Test>::get(IE), 0);
			set_down(&[IE]);
			run_to_session(3);
			assert_eq!(Missed::<Test>::get(IE), 1);
			assert_eq!(status(IE), Some(Status::Admitted));
		});
	}

	#[test]
	fn sessions_too_short_for_every_validator_do_not_count() {
		let mut p = parameters();
		p.desired_validators = 5;
		p.session_length = 4;
		ExtBuilder::default().allowed(None).parameters(p).build().execute_with(|| {
			assert_eq!(Session::validators().len(), 5);
			set_down(&[IE]);
			run_to_session(10);
			assert_eq!(Missed::<Test>::get(IE), 0);
			assert_eq!(status(IE), Some(Status::Admitted));
		});
	}

	#[test]
	fn blocks_are_counted_per_author_and_session() {
		with_genesis(|| {
			run_to_block(5);
			// Blocks 1 to 5, authored in turn by DE FR NL IE (index = block
			// modulo 4).
			assert_eq!(SessionBlocks::<Test>::get(), 5);
			assert_eq!(Authored::<Test>::get(FR), 2);
			assert_eq!(Authored::<Test>::get(DE), 1);
			run_to_session(1);
			assert_eq!(SessionBlocks::<Test>::get(), 1);
			assert_eq!(Authored::<Test>::iter().count(), 1);
		});
	}
}

mod invariants {
	use super::*;

	fn broken(corrupt: impl FnOnce(), message: &str) {
		ExtBuilder::default().build().execute_with(|| {
			Authority::do_try_state().unwrap();
			corrupt();
			assert_eq!(
				Authority::do_try_state(),
				Err(sp_runtime::TryRuntimeError::Other(Box::leak(
					message.to_string().into_boxed_str()
				))),
			);
		});
	}

	#[test]
	fn try_state_catches_every_breakage() {
		broken(
			|| Ledgers::<Test>::mutate(DE, |l| l.as_mut().unwrap().active = 1),
			"a ledger differs from the held balance",
		);
		broken(
			|| {
				Ledgers::<Test>::insert(
					STRANGER,
					Ledger { active: 0, unlocking: BoundedVec::truncate_from(vec![]) },
				)
			},
			"an empty ledger is kept",
		);
		broken(
			|| {
				Ledgers::<Test>::mutate(DE, |l| {
					l.as_mut()
						.unwrap()
						.unlocking
						.try_push(Unlocking { amount: 0, from_session: 1 })
						.unwrap()
				})
			},
			"an unlocking chunk is empty",
		);
		broken(
			|| {
				Candidates::<Test>::mutate(DE, |c| {
					c.as_mut().unwrap().region = Region::new(b"de", None)
				})
			},
			"a candidate's region is malformed",
		);
		broken(
			|| {
				let mut p = parameters();
				p.min_validators = 0;
				Params::<Test>::put(p)
			},
			"invalid parameters stored",
		);
		broken(|| AllowedRegions::<Test>::put(codes(&[])), "invalid region rule stored");
		broken(
			|| {
				Active::<Test>::mutate(|seats| {
					let first = seats[0].clone();
					seats[1] = first;
				})
			},
			"a validator is seated twice",
		);
		broken(
			|| Queued::<Test>::mutate(|plan| plan.as_mut().unwrap().session = 5),
			"the queued set is not for the next session",
		);
		broken(
			|| Queued::<Test>::mutate(|plan| plan.as_mut().unwrap().seats.clear()),
			"an empty set is queued",
		);
	}

	#[test]
	fn the_held_balance_is_what_the_ledgers_say_over_sessions() {
		with_genesis(|| {
			assert_ok!(Authority::unbond(signed(DE), 10));
			assert_ok!(Authority::bond(signed(FR), 10));
			assert_ok!(Authority::retire(signed(US)));
			for session in 1..=UNBONDING + 1 {
				run_to_session(session);
				Authority::do_try_state().unwrap();
			}
			assert_ok!(Authority::withdraw_unbonded(signed(DE)));
			assert_ok!(Authority::withdraw_unbonded(signed(US)));
			assert_eq!(held(DE), 3_990);
			assert_eq!(held(FR), 3_010);
			assert_eq!(held(US), 0);
		});
	}
}

#[test]
fn tokens_are_held_not_transferred() {
	with_genesis(|| {
		// A held bond cannot be spent.
		assert_noop!(
			Balances::transfer_allow_death(signed(DE), STRANGER, BALANCE - 4_000 + 1),
			TokenError::FundsUnavailable
		);
	});
}
