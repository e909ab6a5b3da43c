//! Agents: `appoint_agent`, `dismiss_agent` and `act_for`, directly and
//! through [`crate::ReportDenials`].

use super::*;
use frame_support::dispatch::GetDispatchInfo;

/// The agent the tests appoint.
const AGENT: u64 = 8;

fn create_subscription(subscription: Pseudonym) -> RuntimeCall {
	RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
		realm: REALM,
		subscription,
	})
}

fn act_for(principal: u64, call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Access(Call::act_for { principal, call: Box::new(call) })
}

fn appointed() {
	assert_ok!(Access::appoint_agent(signed(PROVISIONER), AGENT, None));
	clear();
}

#[test]
fn appoint_agent_refuses_unsigned_self_and_past_expiry() {
	given(
		|| System::set_block_number(5),
		|| {
			assert_noop!(Access::appoint_agent(root(), AGENT, None), DispatchError::BadOrigin);
			assert_noop!(Access::appoint_agent(none(), AGENT, None), DispatchError::BadOrigin);
			assert_noop!(
				Access::appoint_agent(signed(PROVISIONER), PROVISIONER, None),
				Error::<Test>::SelfAgent
			);
			assert_noop!(
				Access::appoint_agent(signed(PROVISIONER), AGENT, Some(5)),
				Error::<Test>::ExpiryInPast
			);
		},
	);
}

#[test]
fn appoint_agent_stores_and_renews_the_appointment() {
	given(clear, || {
		assert_ok!(Access::appoint_agent(signed(PROVISIONER), AGENT, Some(10)));
		assert_eq!(
			Agents::<Test>::get(PROVISIONER, AGENT),
			Some(Appointment { since: 1, expires_at: Some(10) })
		);
		System::set_block_number(3);
		assert_ok!(Access::appoint_agent(signed(PROVISIONER), AGENT, None));
		assert_eq!(
			Agents::<Test>::get(PROVISIONER, AGENT),
			Some(Appointment { since: 3, expires_at: None })
		);
		assert_eq!(
			events(),
			vec![
				Event::AgentAppointed {
					principal: PROVISIONER,
					agent: AGENT,
					expires_at: Some(10)
				},
				Event::AgentAppointed { principal: PROVISIONER, agent: AGENT, expires_at: None },
			]
		);
		// The appointment is the principal's alone: the agent appointed
		// nobody.
		assert_eq!(Agents::<Test>::get(AGENT, PROVISIONER), None);
	});
}

#[test]
fn dismiss_agent_refuses_unsigned_and_unknown_then_removes() {
	given(appointed, || {
		assert_noop!(Access::dismiss_agent(root(), AGENT), DispatchError::BadOrigin);
		assert_noop!(Access::dismiss_agent(none(), AGENT), DispatchError::BadOrigin);
		// Only the principal dismisses: the agent holds no appointment of
		// its own.
		assert_noop!(Access::dismiss_agent(signed(AGENT), PROVISIONER), Error::<Test>::NotAnAgent);
		assert_noop!(Access::dismiss_agent(signed(ADMIN), AGENT), Error::<Test>::NotAnAgent);
		assert_ok!(Access::dismiss_agent(signed(PROVISIONER), AGENT));
		assert_eq!(Agents::<Test>::get(PROVISIONER, AGENT), None);
		assert_eq!(events(), vec![Event::AgentDismissed { principal: PROVISIONER, agent: AGENT }]);
	});
}

#[test]
fn act_for_refuses_unsigned_unappointed_expired_and_undelegable_calls() {
	given(appointed, || {
		let call = || Box::new(create_subscription(SUB));
		assert_noop!(Access::act_for(root(), PROVISIONER, call()), DispatchError::BadOrigin);
		assert_noop!(Access::act_for(none(), PROVISIONER, call()), DispatchError::BadOrigin);
		// Not appointed by this principal.
		assert_noop!(Access::act_for(signed(AGENT), ADMIN, call()), Error::<Test>::NotAnAgent);
		// Not IMS calls, or agent calls themselves.
		let remark = RuntimeCall::System(frame_system::Call::remark_with_event { remark: vec![] });
		let nested = act_for(PROVISIONER, create_subscription(SUB));
		let appoint =
			RuntimeCall::Access(Call::appoint_agent { agent: STRANGER, expires_at: None });
		let dismiss = RuntimeCall::Access(Call::dismiss_agent { agent: AGENT });
		for undelegable in [remark, nested, appoint, dismiss] {
			assert_noop!(
				Access::act_for(signed(AGENT), PROVISIONER, Box::new(undelegable)),
				Error::<Test>::CallNotDelegable
			);
		}
		// An appointment that has lapsed.
		assert_ok!(Access::appoint_agent(signed(PROVISIONER), AGENT, Some(4)));
		System::set_block_number(4);
		assert_noop!(
			Access::act_for(signed(AGENT), PROVISIONER, call()),
			Error::<Test>::AgentExpired
		);
	});
}

#[test]
fn act_for_does_what_the_principal_may_and_names_it() {
	given(appointed, || {
		let call = create_subscription(SUB);
		let inner = call.get_dispatch_info().call_weight;
		let post = Access::act_for(signed(AGENT), PROVISIONER, Box::new(call)).unwrap();
		// Weighed as the call plus `act_for`'s own part.
		let overhead = <() as crate::WeightInfo>::act_for();
		assert_eq!(post.actual_weight, None);
		let declared = act_for(PROVISIONER, create_subscription(SUB)).get_dispatch_info();
		assert_eq!(declared.call_weight, overhead + inner);
		// The principal, not the agent, is the actor on record.
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Subscription(SUB), Change::Created)]
		);
		assert!(pallet_ims_identity::Subscriptions::<Test>::contains_key(SUB));
		// The principal's roles decide: in realm 1 it holds none.
		let other = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: OTHER_REALM,
			subscription: OTHER_SUB,
		});
		assert_noop!(
			Access::act_for(signed(AGENT), PROVISIONER, Box::new(other)),
			pallet_ims_identity::Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn a_principal_that_lost_its_role_is_refused_and_the_refusal_is_its() {
	given(appointed, || {
		assert_ok!(Access::revoke_role(signed(ADMIN), REALM, PROVISIONER, Role::Provisioner));
		clear();
		assert_eq!(
			through_extension(AGENT, act_for(PROVISIONER, create_subscription(SUB))),
			Err(pallet_ims_identity::Error::<Test>::NotAuthorized.into())
		);
		assert!(!pallet_ims_identity::Subscriptions::<Test>::contains_key(SUB));
		// Reported as the principal's refusal of the inner call (identity is
		// pallet 1 in the mock, create_subscription its call 3).
		let denied = Event::AccessDenied {
			who: PROVISIONER,
			realm: REALM,
			pallet: 1,
			call: 3,
			module: 1,
			error: 0,
		};
		assert_eq!(events(), vec![denied]);
		assert_eq!(
			take_audit(),
			vec![(
				Some(PROVISIONER),
				REALM,
				Subject::Call { pallet: 1, call: 3 },
				Change::Denied { module: 1, error: 0 }
			)]
		);
	});
}

#[test]
fn an_agent_acting_without_appointment_is_reported_as_itself() {
	given(clear, || {
		assert_eq!(
			through_extension(STRANGER, act_for(PROVISIONER, create_subscription(SUB))),
			Err(Error::<Test>::NotAnAgent.into())
		);
		// Access is pallet 2 in the mock; NotAnAgent is its error 18.
		let denied = Event::AccessDenied {
			who: STRANGER,
			realm: REALM,
			pallet: 1,
			call: 3,
			module: 2,
			error: 18,
		};
		assert_eq!(events(), vec![denied]);
		assert_eq!(
			take_audit(),
			vec![(
				Some(STRANGER),
				REALM,
				Subject::Call { pallet: 1, call: 3 },
				Change::Denied { module: 2, error: 18 }
			)]
		);
		// A successful `act_for` reports nothing.
		appointed();
		assert!(through_extension(AGENT, act_for(PROVISIONER, create_subscription(SUB))).is_ok());
		assert!(events().iter().all(|e| !matches!(e, Event::AccessDenied { .. })));
	});
}
