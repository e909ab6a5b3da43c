//! Tests of genesis.

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
