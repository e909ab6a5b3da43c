//! Tests of liveness.

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
