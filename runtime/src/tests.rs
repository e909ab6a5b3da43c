//! Runtime-level tests: genesis presets build into a working state.

use crate::{
	configs::CouncilCollective,
	currency::UNIT,
	genesis_config_presets::{self, DEVELOPMENT, LOCAL_TESTNET, REGION_RESTRICTED},
	time::SESSION_PERIOD,
	AccountId, Aura, Authority, Balances, BlockNumber, Council, Grandpa, Runtime, RuntimeCall,
	RuntimeGenesisConfig, RuntimeOrigin, Session, System, SLOT_DURATION,
};
use codec::Encode;
use frame_support::{
	traits::{Get, OnInitialize},
	weights::Weight,
};
use pallet_ims_authority::Code;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::Hash;
use sp_runtime::BuildStorage;

/// Builds the storage of a preset exactly as the node's genesis builder does:
/// the preset patch applied on top of the default genesis config.
fn preset_ext(id: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&PresetId::from(id))
		.unwrap_or_else(|| panic!("preset {id} exists"));
	patch_ext(serde_json::from_slice(&patch).expect("patch is JSON"))
}

/// Builds the storage of the default genesis config with `patch` applied.
fn patch_ext(patch: serde_json::Value) -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serialises");
	json_merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("a full config");
	config.build_storage().expect("preset builds").into()
}

fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (k, v) in patch {
				json_merge(base.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(base, patch) => *base = patch,
	}
}

#[test]
fn preset_names_are_development_local_testnet_and_region_restricted() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(
		names,
		vec![
			PresetId::from(DEVELOPMENT),
			PresetId::from(LOCAL_TESTNET),
			PresetId::from(REGION_RESTRICTED)
		]
	);
	assert_eq!(DEVELOPMENT, "development");
	assert_eq!(LOCAL_TESTNET, "local_testnet");
	assert_eq!(REGION_RESTRICTED, "region_restricted");
	assert!(genesis_config_presets::get_preset(&PresetId::from("no-such-preset")).is_none());
}

fn accounts(keys: &[Sr25519Keyring]) -> Vec<AccountId> {
	keys.iter().map(|k| k.to_account_id()).collect()
}

#[test]
fn development_preset_has_one_validator_a_council_of_one_and_a_sudo_key() {
	preset_ext(DEVELOPMENT).execute_with(|| {
		let alice = Sr25519Keyring::Alice;
		assert_eq!(Session::validators(), vec![alice.to_account_id()]);
		assert_eq!(
			pallet_aura::Authorities::<Runtime>::get().into_inner(),
			vec![alice.public().into()]
		);
		// One operator holds all the voting weight (a billion parts).
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 1);
		assert_eq!(grandpa[0].1, 1_000_000_000);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice.to_account_id()));
		assert_eq!(
			pallet_collective::Members::<Runtime, CouncilCollective>::get(),
			vec![alice.to_account_id()]
		);
		assert_eq!(
			Balances::free_balance(alice.to_account_id()),
			genesis_config_presets::ENDOWMENT - genesis_config_presets::DEV_BOND
		);
		assert_eq!(Authority::held(&alice.to_account_id()), genesis_config_presets::DEV_BOND);
		assert_eq!(Authority::parameters().session_length, SESSION_PERIOD);
	});
}

#[test]
fn local_testnet_preset_has_three_validators_a_council_and_no_sudo() {
	preset_ext(LOCAL_TESTNET).execute_with(|| {
		let mut expected =
			accounts(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]);
		expected.sort();
		// Equal bonds: the selection orders them by account.
		assert_eq!(Session::validators(), expected);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
		assert_eq!(Grandpa::grandpa_authorities().len(), 3);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		assert_eq!(pallet_collective::Members::<Runtime, CouncilCollective>::get(), expected);
	});
}

#[test]
fn region_restricted_preset_seats_the_eu_validators_only() {
	preset_ext(REGION_RESTRICTED).execute_with(|| {
		let eu = accounts(&[
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]);
		assert_eq!(Session::validators(), eu);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		let mut council = eu.clone();
		council.sort();
		assert_eq!(pallet_collective::Members::<Runtime, CouncilCollective>::get(), council);
		// Eve (US) is admitted and bonded, but outside the allowed regions.
		let eve = Sr25519Keyring::Eve.to_account_id();
		assert_eq!(
			pallet_ims_authority::Candidates::<Runtime>::get(&eve).map(|c| c.status),
			Some(pallet_ims_authority::Status::Admitted)
		);
		assert_eq!(Authority::held(&eve), 15_000 * UNIT);
		assert!(pallet_session::NextKeys::<Runtime>::contains_key(&eve));
		// Bonds of 40, 30, 20, 10: the two largest are lowered to 30 % each,
		// the others keep 20 and 10 of 75.
		let weights: Vec<u64> = Grandpa::grandpa_authorities().iter().map(|(_, w)| *w).collect();
		let expected = [300_000_000u64, 300_000_000, 266_666_667, 133_333_333];
		assert_eq!(weights.len(), 4);
		for (weight, share) in weights.iter().zip(expected) {
			assert!(weight.abs_diff(share) <= 2, "{weights:?}");
		}
		assert_eq!(Authority::parameters().session_length, genesis_config_presets::SHORT_SESSION);
	});
}

#[test]
fn a_preset_without_sudo_key_builds() {
	// The shape a production preset takes: no superuser at all.
	let alice = Sr25519Keyring::Alice.to_account_id();
	let patch = genesis_config_presets::genesis(genesis_config_presets::GenesisSpec {
		validators: vec![genesis_config_presets::GenesisValidator::dev(
			Sr25519Keyring::Alice,
			sp_keyring::Ed25519Keyring::Alice,
		)],
		allowed_regions: None,
		parameters: genesis_config_presets::parameters(1, 1, SESSION_PERIOD),
		endowed: vec![alice.clone()],
		council: vec![alice],
		sudo: None,
		realms: vec![],
		service_profiles: vec![],
		roles: vec![],
	});
	patch_ext(patch).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		assert_eq!(Session::validators().len(), 1);
	});
}

#[test]
fn slot_is_two_seconds_and_aura_agrees() {
	assert_eq!(SLOT_DURATION, 2_000);
	preset_ext(DEVELOPMENT).execute_with(|| {
		assert_eq!(Aura::slot_duration(), SLOT_DURATION);
		assert_eq!(
			<<Runtime as pallet_timestamp::Config>::MinimumPeriod as Get<u64>>::get(),
			SLOT_DURATION / 2
		);
	});
}

/// Runs the session-relevant hooks of blocks up to `to`, with the slot's
/// Aura author noted as the executive would.
fn run_blocks_to(to: BlockNumber) {
	while System::block_number() < to {
		let n = System::block_number() + 1;
		System::set_block_number(n);
		let validators = Session::validators();
		if let Some(author) = validators.get(n as usize % validators.len().max(1)) {
			<Authority as pallet_authorship::EventHandler<AccountId, BlockNumber>>::note_author(
				author.clone(),
			);
		}
		<Session as OnInitialize<BlockNumber>>::on_initialize(n);
		<Grandpa as frame_support::traits::OnFinalize<BlockNumber>>::on_finalize(n);
	}
}

#[test]
fn sessions_rotate_at_the_governed_length_and_keep_an_unchanged_set() {
	preset_ext(LOCAL_TESTNET).execute_with(|| {
		// Given the three genesis validators in session 0
		let validators = Session::validators();
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(Session::current_index(), 0);

		// When a full session passes
		run_blocks_to(SESSION_PERIOD);

		// Then the session rotated once, and Aura and GRANDPA keep the same set
		assert_eq!(Session::current_index(), 1);
		assert_eq!(Session::validators(), validators);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
		assert_eq!(Grandpa::grandpa_authorities(), grandpa);
	});
}

#[test]
fn a_council_motion_restricts_the_regions_and_the_set_follows() {
	use frame_support::assert_ok;
	preset_ext(REGION_RESTRICTED).execute_with(|| {
		System::set_block_number(1);
		let [alice, bob, charlie, dave] = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.map(|k| k.to_account_id());
		let policy = pallet_ims_authority::RegionPolicy::Only(
			vec![Code::new(b"DE"), Code::new(b"FR"), Code::new(b"NL")].try_into().unwrap(),
		);
		let call = RuntimeCall::Authority(pallet_ims_authority::Call::set_allowed_regions {
			policy: policy.clone(),
		});
		let length = call.encoded_size() as u32;
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);

		// A member alone cannot act: governance needs two thirds.
		assert!(Authority::set_allowed_regions(
			RuntimeOrigin::signed(alice.clone()),
			policy.clone()
		)
		.is_err());
		assert_ok!(Council::propose(
			RuntimeOrigin::signed(alice.clone()),
			3,
			Box::new(call.clone()),
			length
		));
		// Two of four votes are not enough to close.
		assert_ok!(Council::vote(RuntimeOrigin::signed(alice.clone()), hash, 0, true));
		assert_ok!(Council::vote(RuntimeOrigin::signed(bob.clone()), hash, 0, true));
		assert!(Council::close(RuntimeOrigin::signed(bob.clone()), hash, 0, Weight::MAX, length)
			.is_err());
		assert_ok!(Council::vote(RuntimeOrigin::signed(charlie.clone()), hash, 0, true));
		assert_ok!(Council::close(
			RuntimeOrigin::signed(dave.clone()),
			hash,
			0,
			Weight::MAX,
			length
		));
		assert_eq!(pallet_ims_authority::AllowedRegions::<Runtime>::get(), policy);

		// Dave (IE) leaves at the next planned session: the set planned when
		// session 1 starts is active from session 2.
		let session = genesis_config_presets::SHORT_SESSION;
		run_blocks_to(session);
		assert_eq!(Session::validators().len(), 4);
		run_blocks_to(2 * session);
		assert_eq!(Session::validators(), vec![alice, bob, charlie]);
		assert_eq!(Grandpa::grandpa_authorities().len(), 3);
		assert!(!Session::validators().contains(&dave));
	});
}

#[test]
fn a_full_selection_fits_in_the_session_rotation_block() {
	use pallet_ims_authority::WeightInfo;
	type Weights = pallet_ims_authority::weights::SubstrateWeight<Runtime>;
	let candidates = <Runtime as pallet_ims_authority::Config>::MaxCandidates::get();
	let validators = <Runtime as pallet_ims_authority::Config>::MaxValidators::get();
	let hooks = Weights::new_session(candidates).saturating_add(Weights::end_session(validators));
	// pallet-session charges a whole block for a rotation; the pallet's
	// share must leave most of it to the rest (GRANDPA, Aura, the session).
	assert!(hooks.all_lte(max_extrinsic() / 4), "{hooks:?}");
}

#[test]
fn ss58_prefix_and_token_are_set() {
	assert_eq!(<Runtime as frame_system::Config>::SS58Prefix::get(), crate::SS58_PREFIX);
	assert_eq!(crate::currency::TOKEN_SYMBOL, "IMS");
	assert_eq!(crate::currency::TOKEN_DECIMALS, 12);
}

#[test]
fn development_realm_is_owned_by_alice_who_may_provision_it() {
	use crate::{Identity, RuntimeCall, RuntimeOrigin};
	use frame_support::{assert_noop, assert_ok, traits::UnfilteredDispatchable};
	use ims_primitives::{LookupError, RegistrationState};
	use sp_core::H256;

	preset_ext(DEVELOPMENT).execute_with(|| {
		// Given the development realm, owned by Alice,
		let realm = pallet_ims_identity::Realms::<Runtime>::get(0).expect("realm 0 exists");
		assert_eq!(realm.name.as_slice(), genesis_config_presets::DEV_REALM.as_bytes());
		assert_eq!(realm.owner, Sr25519Keyring::Alice.to_account_id());

		// when Bob, who holds nothing, tries to provision it, he is refused;
		let subscription = H256::repeat_byte(1);
		let create =
			pallet_ims_identity::Call::<Runtime>::create_subscription { realm: 0, subscription };
		let bob = RuntimeOrigin::signed(Sr25519Keyring::Bob.to_account_id());
		assert_noop!(
			create.clone().dispatch_bypass_filter(bob),
			pallet_ims_identity::Error::<Runtime>::NotAuthorized
		);
		// Alice (the owner, through the access policy) may.
		let alice = RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id());
		assert_ok!(RuntimeCall::Identity(create).dispatch_bypass_filter(alice));
		assert!(pallet_ims_identity::Subscriptions::<Runtime>::contains_key(subscription));

		// The runtime API's lookups answer from the same state.
		assert_eq!(Identity::location(H256::repeat_byte(2)), Err(LookupError::UnknownImpu));
		assert_eq!(
			Identity::user_authorization(H256::repeat_byte(3), H256::repeat_byte(2)),
			Err(LookupError::UnknownImpi)
		);
		assert_eq!(RegistrationState::default(), RegistrationState::NotRegistered);
	});
}

#[test]
fn the_development_and_local_realms_have_a_default_service_profile() {
	for preset in [DEVELOPMENT, LOCAL_TESTNET] {
		preset_ext(preset).execute_with(|| {
			// Profile 0, which `ims-bridge subscriber add` uses by default.
			let profile = pallet_ims_identity::ServiceProfiles::<Runtime>::get(0, 0)
				.unwrap_or_else(|| panic!("{preset}: realm 0 has profile 0"));
			let name = genesis_config_presets::DEV_PROFILE.as_bytes();
			assert_eq!(profile.value.name.as_slice(), name);
			assert!(profile.value.ifcs.is_empty());
			assert_eq!(profile.users, 0);
		});
	}
}

/// The most one normal extrinsic may weigh.
fn max_extrinsic() -> Weight {
	<Runtime as frame_system::Config>::BlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are limited")
}

#[test]
fn identity_bounds_fit_in_a_block() {
	// The heaviest identity calls at their bounds must fit in a normal block.
	use crate::configs::ims::MaxImpisPerSubscription;
	use pallet_ims_identity::WeightInfo;
	type Weights = pallet_ims_identity::weights::SubstrateWeight<Runtime>;
	let max_block = max_extrinsic();
	let impus = <Runtime as pallet_ims_identity::Config>::MaxImpusPerSubscription::get();
	let batch: u32 = <Runtime as pallet_ims_identity::Config>::MaxBatchSize::get();
	let reports = <Runtime as pallet_ims_identity::Config>::MaxRegistrationBatch::get();
	// A batch whose witness the chain cannot trust is charged a full
	// implicit set for every report.
	let worst_members = crate::Identity::members_charged(reports, u32::MAX);
	let subscribers = <Runtime as pallet_ims_identity::Config>::MaxImportSubscribers::get();
	for (call, weight) in [
		(
			"remove_subscription",
			Weights::remove_subscription(MaxImpisPerSubscription::get(), impus),
		),
		("record_registrations", crate::Identity::registrations_weight(reports, worst_members)),
		("put_service_profile", Weights::put_service_profile(16, 8)),
		("import of IMPUs", Weights::create_impu().saturating_mul(u64::from(batch))),
		("import_subscribers", Weights::import_subscribers(subscribers)),
	] {
		assert!(
			weight.all_lte(max_block),
			"{call} at its bounds weighs {weight:?} > {max_block:?}"
		);
	}
}

#[test]
fn development_access_policy_answers_through_the_runtime_api() {
	use crate::{Access, AccountId, RuntimeOrigin};
	use frame_support::{assert_noop, assert_ok};
	use ims_primitives::{Action, Denial, Permission, Requester, Role, ShData};
	use sp_core::H256;

	preset_ext(DEVELOPMENT).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let ask = |who: &AccountId, permission| {
			Access::decide(Requester::Account(who.clone()), 0, None, Action::Exercise(permission))
		};
		// Alice owns the realm and is its HSS front; Bob holds nothing.
		assert_eq!(
			pallet_ims_access::Roles::<Runtime>::get(0, &alice).map(|grants| grants.len()),
			Some(1)
		);
		assert_eq!(ask(&alice, Permission::RecordRegistration), Ok(()));
		assert_eq!(ask(&alice, Permission::ManageRoles), Ok(()));
		assert_eq!(ask(&bob, Permission::Provision), Err(Denial::MissingRole));
		// Bob cannot make himself a provisioner; Alice can make him one.
		assert_noop!(
			Access::grant_role(
				RuntimeOrigin::signed(bob.clone()),
				0,
				bob.clone(),
				Role::Provisioner,
				None
			),
			pallet_ims_access::Error::<Runtime>::SelfGrant
		);
		assert_ok!(Access::grant_role(
			RuntimeOrigin::signed(alice),
			0,
			bob.clone(),
			Role::Provisioner,
			None
		));
		assert_eq!(ask(&bob, Permission::Provision), Ok(()));
		// No application server is authorised yet.
		let server = Requester::ApplicationServer {
			host: b"as.ims.example.net".to_vec().try_into().expect("short"),
			fingerprint: [0; 32],
		};
		assert_eq!(
			Access::decide(server, 0, None, Action::ShRead(ShData::ImsUserState)),
			Err(Denial::UnknownApplicationServer)
		);
		assert_eq!(
			Access::decide(
				Requester::Account(bob),
				0,
				Some(H256::repeat_byte(9)),
				Action::Exercise(Permission::Provision)
			),
			Err(Denial::UnknownSubscriber)
		);
	});
}

#[test]
fn access_bounds_fit_in_a_block() {
	use pallet_ims_access::WeightInfo;
	type Weights = pallet_ims_access::weights::SubstrateWeight<Runtime>;
	let max_block = max_extrinsic();
	for (call, weight) in [
		("authorize_application_server", Weights::authorize_application_server()),
		("grant_consent", Weights::grant_consent()),
		("erase_consents", Weights::erase_consents()),
	] {
		assert!(weight.all_lte(max_block), "{call} weighs {weight:?} > {max_block:?}");
	}
}

#[test]
fn refused_ims_calls_are_reported_through_the_transaction_extension() {
	use crate::{RuntimeCall, RuntimeEvent, RuntimeOrigin};
	use frame_support::dispatch::GetDispatchInfo;
	use sp_core::H256;
	use sp_runtime::traits::{DispatchTransaction, Dispatchable};

	preset_ext(DEVELOPMENT).execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		let bob = Sr25519Keyring::Bob.to_account_id();
		// Bob, who holds nothing, tries to provision the development realm.
		let call = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: 0,
			subscription: H256::repeat_byte(7),
		});
		let info = call.get_dispatch_info();
		let result = pallet_ims_access::ReportDenials::<Runtime>::new()
			.test_run(RuntimeOrigin::signed(bob.clone()), &call, &info, 0, 0, |origin| {
				call.clone().dispatch(origin)
			})
			.expect("valid");
		assert!(result.is_err());
		// The refusal is on record: Identity is pallet 12, create_subscription
		// its call 3, NotAuthorized its error 0.
		let denied = frame_system::Pallet::<Runtime>::events().into_iter().any(|record| {
			record.event
				== RuntimeEvent::Access(pallet_ims_access::Event::AccessDenied {
					who: bob.clone(),
					realm: 0,
					pallet: 12,
					call: 3,
					module: 12,
					error: 0,
				})
		});
		assert!(denied, "AccessDenied for Bob in realm 0");
	});
}

#[test]
fn agents_make_identity_and_access_calls_only() {
	use crate::configs::ims::AgentCalls;
	use frame_support::traits::Contains;
	use sp_core::H256;

	let bob = Sr25519Keyring::Bob.to_account_id();
	let identity = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
		realm: 0,
		subscription: H256::repeat_byte(7),
	});
	let access = RuntimeCall::Access(pallet_ims_access::Call::revoke_role {
		realm: 0,
		who: bob.clone(),
		role: ims_primitives::Role::Auditor,
	});
	assert!(AgentCalls::contains(&identity) && AgentCalls::contains(&access));
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: bob.into(),
		value: UNIT,
	});
	let remark = RuntimeCall::System(frame_system::Call::remark_with_event { remark: vec![] });
	let governance = RuntimeCall::Council(pallet_collective::Call::close {
		proposal_hash: H256::zero(),
		index: 0,
		proposal_weight_bound: Weight::zero(),
		length_bound: 0,
	});
	for call in [transfer, remark, governance] {
		assert!(!AgentCalls::contains(&call), "{call:?} is not an agent's");
	}
}

#[test]
fn alice_provisions_through_an_agent_in_her_name() {
	use sp_core::H256;
	let (alice, bob) = (Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id());
	preset_ext(DEVELOPMENT).execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		let subscription = H256::repeat_byte(7);
		let create = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: 0,
			subscription,
		});
		let act = || {
			pallet_ims_access::Pallet::<Runtime>::act_for(
				RuntimeOrigin::signed(bob.clone()),
				alice.clone(),
				Box::new(create.clone()),
			)
		};
		assert!(act().is_err(), "Bob is no agent of Alice yet");
		pallet_ims_access::Pallet::<Runtime>::appoint_agent(
			RuntimeOrigin::signed(alice.clone()),
			bob.clone(),
			None,
		)
		.expect("Alice appoints Bob");
		act().expect("Alice may provision realm 0, so Bob may in her name");
		assert!(pallet_ims_identity::Subscriptions::<Runtime>::contains_key(subscription));
	});
}

#[test]
fn audit_bounds_fit_in_a_block() {
	use codec::Encode;
	use ims_primitives::{
		audit::{Activity, FrontRecord, Peer},
		limits::MAX_TOKEN_LEN,
		AuthScheme, Subject,
	};
	use pallet_ims_audit::WeightInfo;
	type Weights = pallet_ims_audit::weights::SubstrateWeight<Runtime>;
	let max_batch = <Runtime as pallet_ims_audit::Config>::MaxBatchSize::get();
	let weight = Weights::submit(max_batch);
	assert!(weight.all_lte(max_extrinsic()), "a full batch weighs {weight:?}");
	// A full batch of records with the longest peer name fits in a block.
	let record = FrontRecord::<AccountId> {
		subject: Subject::Impu(sp_core::H256::zero()),
		peer: Peer::Diameter(vec![b'p'; MAX_TOKEN_LEN as usize].try_into().expect("bound")),
		activity: Activity::AuthenticationChallenge(AuthScheme::AkaV1Md5),
		result: 2001,
		at_ms: u64::MAX,
	};
	let length = record.encoded_size() * max_batch as usize;
	let max_length = *<Runtime as frame_system::Config>::BlockLength::get()
		.max
		.get(frame_support::dispatch::DispatchClass::Normal) as usize;
	assert!(length < max_length / 4, "a full batch is {length} bytes");
}

#[test]
fn ims_changes_and_refusals_join_the_audit_trail() {
	use crate::{Audit, Identity, RuntimeCall, RuntimeEvent, RuntimeOrigin};
	use frame_support::{assert_ok, dispatch::GetDispatchInfo, traits::OnFinalize};
	use ims_primitives::{
		audit::{Activity, Actor, Entry, Source},
		Change, Subject,
	};
	use sp_core::H256;
	use sp_runtime::traits::{DispatchTransaction, Dispatchable};

	preset_ext(DEVELOPMENT).execute_with(|| {
		// The development genesis' changes (realm, Alice's role) are sealed
		// in block 1.
		System::set_block_number(1);
		Audit::on_finalize(1);
		let genesis = pallet_ims_audit::Trails::<Runtime>::get(0).expect("genesis changes");
		assert_eq!(genesis.batches, 1);

		System::set_block_number(2);
		System::reset_events();
		pallet_timestamp::Now::<Runtime>::put(1_763_000_000_000);
		let (alice, bob) =
			(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id());
		let subscription = H256::repeat_byte(3);
		assert_ok!(Identity::create_subscription(
			RuntimeOrigin::signed(alice.clone()),
			0,
			subscription
		));
		let call = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: 0,
			subscription: H256::repeat_byte(4),
		});
		let info = call.get_dispatch_info();
		let refused = pallet_ims_access::ReportDenials::<Runtime>::new()
			.test_run(RuntimeOrigin::signed(bob.clone()), &call, &info, 0, 0, |origin| {
				call.clone().dispatch(origin)
			})
			.expect("valid");
		assert!(refused.is_err());
		Audit::on_finalize(2);

		let trail = pallet_ims_audit::Trails::<Runtime>::get(0).expect("a trail");
		assert_eq!(trail.batches, 2);
		let entries = System::events()
			.into_iter()
			.find_map(|record| match record.event {
				RuntimeEvent::Audit(pallet_ims_audit::Event::Recorded {
					realm: 0,
					batch: 1,
					source: Source::Chain,
					records,
					..
				}) => Some(records),
				_ => None,
			})
			.expect("block 2's batch");
		assert_eq!(
			entries,
			vec![
				Entry {
					subject: Subject::Subscription(subscription),
					actor: Actor::Account(alice),
					activity: Activity::Change(Change::Created),
					result: 2001,
					at_ms: 1_763_000_000_000,
				},
				Entry {
					subject: Subject::Call { pallet: 12, call: 3 },
					actor: Actor::Account(bob),
					activity: Activity::Change(Change::Denied { module: 12, error: 0 }),
					result: 5003,
					at_ms: 1_763_000_000_000,
				},
			]
		);
		assert_eq!(pallet_ims_audit::Batches::<Runtime>::get(0, 1).map(|b| b.count), Some(2));
	});
}
