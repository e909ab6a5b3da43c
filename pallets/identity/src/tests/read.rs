//! Tests of the read side behind `IdentityApi`.

use super::*;
use codec::Encode;
use ims_primitives::limits::{MAX_VIEWS_PER_CALL, MAX_VIEW_BYTES_PER_CALL};

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
			vec![registered(IMPU)].try_into().unwrap(),
			1
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

/// Every page of `count` from the first, as an index loading reads them.
fn all_pages(count: u32) -> Vec<ServerAssignmentPage> {
	all_pages_within(count, MAX_VIEW_BYTES_PER_CALL as usize)
}

/// Every page of `count` views ending at `budget` bytes, from the first.
fn all_pages_within(count: u32, budget: usize) -> Vec<ServerAssignmentPage> {
	let mut pages = vec![Identity::page_within(None, count, budget)];
	while let Some(after) = pages.last().and_then(|page| page.next) {
		pages.push(Identity::page_within(Some(after), count, budget));
	}
	pages
}

fn page_sizes(pages: &[ServerAssignmentPage]) -> Vec<usize> {
	pages.iter().map(|page| page.views.len()).collect()
}

#[test]
fn server_assignment_pages_hold_every_impu_once_with_its_sar_view() {
	given(with_impu3, || {
		let pages = all_pages(2);
		let views: Vec<_> = pages.iter().flat_map(|page| page.views.clone()).collect();
		let mut impus: Vec<H256> = views.iter().map(|(impu, _)| *impu).collect();
		impus.sort();
		assert_eq!(impus, vec![IMPU, IMPU2, IMPU3]);
		for (impu, view) in views {
			assert_eq!(Ok(view), Identity::server_assignment(None, impu));
		}
	});
}

#[test]
fn server_assignment_pages_end_with_a_short_page() {
	given(with_impu3, || {
		// Three identities in pages of two: two pages, the last one short.
		let pages = all_pages(2);
		assert_eq!(page_sizes(&pages), vec![2, 1]);
		assert_eq!(pages[1].next, None);
	});
}

#[test]
fn server_assignment_pages_of_an_exact_multiple_end_with_an_empty_page() {
	given(with_impu3, || {
		let pages = all_pages(3);
		assert_eq!(page_sizes(&pages), vec![3, 0]);
	});
}

#[test]
fn server_assignment_pages_are_capped() {
	given(with_impu3, || {
		assert_eq!(Identity::server_assignment_page(None, 0).views.len(), 0);
		assert_eq!(Identity::server_assignment_page(None, 0).next, None);
		let huge = Identity::server_assignment_page(None, u32::MAX);
		assert_eq!((huge.views.len(), huge.next), (3, None));
	});
}

#[test]
fn server_assignment_pages_end_at_the_view_that_fills_the_budget() {
	given(with_impu3, || {
		let first = Identity::page_within(None, 3, usize::MAX).views;
		let one = first[0].1.encoded_size();
		// The first view alone reaches a budget of its size.
		let page = Identity::page_within(None, 3, one);
		assert_eq!((page.views, page.next), (first[..1].to_vec(), Some(first[0].0)));
		// A byte more, and the second view is added before the page ends.
		assert_eq!(Identity::page_within(None, 3, one + 1).views, first[..2].to_vec());
		// Any view fills a budget of one byte, and the first is read
		// whatever the budget: one view a page.
		assert_eq!(page_sizes(&all_pages_within(3, 1)), vec![1, 1, 1, 0]);
		assert_eq!(page_sizes(&all_pages_within(3, 0)), vec![1, 1, 1, 0]);
	});
}

#[test]
fn server_assignment_pages_within_any_budget_hold_every_impu_once() {
	given(with_impu3, || {
		for budget in [0, 1, 2, 1000, usize::MAX] {
			let pages = all_pages_within(2, budget);
			let mut impus: Vec<H256> =
				pages.iter().flat_map(|page| page.views.iter().map(|(impu, _)| *impu)).collect();
			impus.sort();
			assert_eq!(impus, vec![IMPU, IMPU2, IMPU3], "budget {budget}");
		}
	});
}

#[test]
fn server_assignment_page_of_the_runtime_api_uses_the_size_budget() {
	given(with_impu3, || {
		assert_eq!(
			Identity::server_assignment_page(None, 2),
			Identity::page_within(None, 2, MAX_VIEW_BYTES_PER_CALL as usize)
		);
	});
}

#[test]
fn server_assignments_answer_each_impu_in_order() {
	given(with_impu3, || {
		let answers = Identity::server_assignments(vec![IMPU3, NOBODY, IMPU]);
		assert_eq!(
			answers,
			vec![
				Identity::server_assignment(None, IMPU3),
				Err(LookupError::UnknownImpu),
				Identity::server_assignment(None, IMPU),
			]
		);
	});
}

#[test]
fn server_assignments_end_at_the_answer_that_fills_the_budget() {
	given(with_impu3, || {
		let one = Identity::server_assignment(None, IMPU3).encoded_size();
		let asked = vec![IMPU3, NOBODY, IMPU];
		assert_eq!(Identity::answers_within(asked.clone(), one).len(), 1);
		// An unknown identity's answer counts too, and the budget is reached
		// at the second answer whatever its size.
		assert_eq!(Identity::answers_within(asked.clone(), one + 1).len(), 2);
		// The first is answered whatever the budget.
		assert_eq!(Identity::answers_within(asked.clone(), 0).len(), 1);
		assert_eq!(Identity::answers_within(asked.clone(), usize::MAX).len(), 3);
		assert_eq!(
			Identity::server_assignments(asked.clone()),
			Identity::answers_within(asked, MAX_VIEW_BYTES_PER_CALL as usize)
		);
	});
}

#[test]
fn server_assignments_answer_at_most_the_cap() {
	given(with_impu3, || {
		let asked = vec![IMPU; MAX_VIEWS_PER_CALL as usize + 1];
		assert_eq!(Identity::server_assignments(asked).len(), MAX_VIEWS_PER_CALL as usize);
	});
}
