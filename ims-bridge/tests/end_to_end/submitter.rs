//! The submitter against a real `ims-node --dev`: audit records and
//! registration reports drained from a journal into the chain, in rounds,
//! through refusals and nonce races, each recorded once; and the drain
//! benchmark (`scripts/bench.sh drain`).

use crate::common::*;
use ims_bridge::chain::{self, ims};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Location-query records `range` of realm 0 (the development realm), as
/// the journal holds a Cx transaction's: about identities the realm does
/// not hold (so that no subscriber needs provisioning first), at a whole
/// minute in the past.
fn audit_entries(range: std::ops::Range<u64>) -> Vec<ims_bridge::journal::Entry> {
	use ims_primitives::audit::{Activity, FrontRecord, Peer};
	use ims_primitives::{ImpuId, Subject, Token};
	range
		.map(|i| {
			ims_bridge::journal::Entry::Audit(
				0,
				FrontRecord {
					subject: Subject::Unknown(ImpuId::from_low_u64_be(i)),
					peer: Peer::Diameter(Token::truncate_from(b"scscf.ims.example.net".to_vec())),
					activity: Activity::LocationQuery,
					result: 2001,
					at_ms: 1_762_999_980_000,
				},
			)
		})
		.collect()
}

/// The tests that run a submitter in this process take turns: a bridge
/// process signs for one account on one chain, and each test has a chain
/// of its own with the same Alice.
static IN_PROCESS_SUBMITTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the submitter (as Alice, the bridge's development account) on
/// `journal` until it is empty (audit records and registration reports);
/// returns how long that took and the submitter's metrics. Without an
/// index, every registration batch declares full implicit sets.
async fn drain(
	rpc_url: &str,
	journal: &ims_bridge::journal::Journal,
	timeout: Duration,
) -> (Duration, Arc<ims_bridge::metrics::Metrics>) {
	drain_with(rpc_url, journal, timeout, chain::SubmitOptions::default(), Arc::default()).await
}

/// [`drain`] beside a follower keeping an index of the chain, as a bridge
/// runs it: registration batches declare the implicit sets it knows.
async fn drain_following(
	rpc_url: &str,
	journal: &ims_bridge::journal::Journal,
	timeout: Duration,
) -> (Duration, Arc<ims_bridge::index::Index>) {
	let index = Arc::new(ims_bridge::index::Index::default());
	let shutdown = tokio_util::sync::CancellationToken::new();
	let (ready_tx, mut ready) = tokio::sync::watch::channel(false);
	let follower = chain::Follower {
		client: chain::connect(rpc_url).await.unwrap(),
		index: index.clone(),
		journal: journal.clone(),
		metrics: Arc::new(ims_bridge::metrics::Metrics::new().unwrap()),
		account: subxt_signer::sr25519::dev::alice().public_key().into(),
		terminations: tokio::sync::mpsc::unbounded_channel().0,
		snapshot: None,
	};
	let following = tokio::spawn(chain::follow(follower, ready_tx, shutdown.clone()));
	tokio::time::timeout(Duration::from_secs(60), ready.wait_for(|ready| *ready))
		.await
		.expect("the follower read the chain")
		.unwrap();
	let options = chain::SubmitOptions::default();
	let (took, _) = drain_with(rpc_url, journal, timeout, options, index.clone()).await;
	// The follower has read the block that finalized the last report.
	let client = chain::connect(rpc_url).await.unwrap();
	let finalized = client.at_current_block().await.unwrap().block_number();
	let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
	while index.at().is_none_or(|at| u64::from(at.number) < finalized) {
		assert!(tokio::time::Instant::now() < deadline, "the follower stopped short");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	shutdown.cancel();
	following.await.unwrap();
	(took, index)
}

/// [`drain`] with the submitter's `options` and `index`.
async fn drain_with(
	rpc_url: &str,
	journal: &ims_bridge::journal::Journal,
	timeout: Duration,
	options: chain::SubmitOptions,
	index: Arc<ims_bridge::index::Index>,
) -> (Duration, Arc<ims_bridge::metrics::Metrics>) {
	let client = chain::connect(rpc_url).await.unwrap();
	let metrics = Arc::new(ims_bridge::metrics::Metrics::new().unwrap());
	let shutdown = tokio_util::sync::CancellationToken::new();
	let submitter = tokio::spawn(chain::submit(
		client,
		journal.clone(),
		subxt_signer::sr25519::dev::alice(),
		metrics.clone(),
		options,
		index,
		shutdown.clone(),
	));
	let started = Instant::now();
	while journal.depth().unwrap() != (0, 0) {
		assert!(started.elapsed() < timeout, "the journal never drained");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let took = started.elapsed();
	shutdown.cancel();
	submitter.await.unwrap();
	(took, metrics)
}

/// Records journaled about a public identity the chain removes before they
/// are sent, and times out of order (concurrent answers across a minute's
/// edge), drain all the same: the identity goes as an unknown one under the
/// same pseudonym, and no time goes back. Sent as journaled, every batch
/// would be refused (`SubjectNotInRealm`, `TimeBeforePrevious`) and sent
/// again forever, holding up every record behind it.
#[tokio::test(flavor = "multi_thread")]
async fn records_about_a_removed_identity_or_out_of_time_order_drain() {
	use ims_primitives::audit::{Activity, Entry, FrontRecord, Peer};
	use ims_primitives::{Subject, Token};
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	let (_node, setup) = dev_chain().await;
	let (impi, impu) = ("alice@ims.example.net", "sip:alice@ims.example.net");
	let args = ["--subscription", "alice", "--impi", impi, "--impu", impu];
	setup.add(&args, &[("IMS_BRIDGE_PASSWORD", "alice-secret")]);
	let alice = setup.pseudonym(impu);
	let minute = 1_762_999_980_000;
	let record = |at_ms| {
		ims_bridge::journal::Entry::Audit(
			0,
			FrontRecord {
				subject: Subject::Impu(alice.into()),
				peer: Peer::Diameter(Token::truncate_from(b"scscf.ims.example.net".to_vec())),
				activity: Activity::LocationQuery,
				result: 2001,
				at_ms,
			},
		)
	};
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(vec![record(minute), record(minute - 60_000)]).await.unwrap();
	journal.settle().await.unwrap();
	let removal = ims::transactions().identity().remove_impu(subxt::utils::H256(alice));
	as_alice(&setup.rpc_url, removal, "removing Alice's IMPU").await;

	drain_following(&setup.rpc_url, &journal, Duration::from_secs(120)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, 2, "both records recorded, once");
	let rpc = subxt_rpcs::RpcClient::from_insecure_url(&setup.rpc_url).await.unwrap();
	let subject = format!("0x{}", hex::encode(alice));
	let page: serde_json::Value =
		rpc.request("imsAudit_records", subxt_rpcs::rpc_params![0, subject, 0, 100]).await.unwrap();
	let fronts: Vec<Entry<[u8; 32]>> = page["records"]
		.as_array()
		.unwrap()
		.iter()
		.map(|r| hex::decode(r["entry"].as_str().unwrap().trim_start_matches("0x")).unwrap())
		.map(|bytes| codec::Decode::decode(&mut &bytes[..]).unwrap())
		.filter(|entry: &Entry<[u8; 32]>| entry.activity == Activity::LocationQuery)
		.collect();
	let seen: Vec<_> = fronts.iter().map(|e| (e.subject.clone(), e.at_ms)).collect();
	let unknown = Subject::Unknown(alice.into());
	assert_eq!(seen, vec![(unknown.clone(), minute), (unknown, minute)]);
}

/// The submitter drains more than one transaction's worth of audit records
/// into a real `ims-node`: full batches sent together under consecutive
/// nonces, every record recorded once, in order, and the journal emptied.
#[tokio::test(flavor = "multi_thread")]
async fn audit_records_beyond_one_batch_are_all_finalized_once() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 2_500;
	let (_node, setup) = dev_chain().await;
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(audit_entries(0..RECORDS)).await.unwrap();
	journal.settle().await.unwrap();
	let first = next_sequence(&setup.rpc_url).await;
	assert_eq!(first, 0, "nothing recorded before the submitter starts");

	let (took, metrics) = drain(&setup.rpc_url, &journal, Duration::from_secs(120)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	// 1024 + 1024 + 452 records: three batches, submitted in one round.
	assert_eq!(metrics.batches.get(), 3);
	assert_eq!(metrics.batch_latency.get_sample_count(), 3);
	println!("{RECORDS} records finalized in {:.1} s", took.as_secs_f64());
}

/// While audit rounds await finality, other transactions of the same
/// account (as an admin command's import would be) take the nonces after
/// them: every one of them lands, and so does every record, once.
#[tokio::test(flavor = "multi_thread")]
async fn transactions_beside_audit_rounds_take_the_following_nonces() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 40_000;
	let (_node, setup) = dev_chain().await;
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	for at in (0..RECORDS).step_by(10_000) {
		journal.append(audit_entries(at..at + 10_000)).await.unwrap();
	}
	journal.settle().await.unwrap();
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice();
	let beside = async {
		// Let the first round get on its way.
		tokio::time::sleep(Duration::from_secs(1)).await;
		for i in 0..3u8 {
			let remark = ims::transactions().system().remark(vec![i; 8]);
			chain::submit_finalized(&client, &alice, &remark)
				.await
				.unwrap_or_else(|e| panic!("transaction {i} beside the audit rounds: {e}"));
		}
	};
	let ((_, metrics), ()) =
		tokio::join!(drain(&setup.rpc_url, &journal, Duration::from_secs(180)), beside);
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	// 39 full batches and one of 64 records, each counted once finalized.
	assert_eq!(metrics.batches.get(), 40);
}

/// Batches the chain takes into blocks and then refuses (here the bridge's
/// account has renounced its HssFront role, so `audit.submit` and
/// `record_registrations` fail in dispatch) stay in the journal and go
/// again: the audit batch once the finalized head has passed its block
/// without recording it (the in-flight timeout, the fallback, is set
/// beyond the test's length), the registration batch after backoff. Once
/// the role is granted back, every record is recorded once and the report
/// stands.
#[tokio::test(flavor = "multi_thread")]
async fn refused_batches_stay_in_the_journal_until_the_chain_takes_them() {
	use ims_bridge::journal::{Entry, RegistrationReport};
	use ims_primitives::{ImpuId, Name, RegistrationState};
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 100;
	let (_node, setup) = dev_chain().await;
	let impi = format!("dora@{REALM}");
	let impu = format!("sip:{impi}");
	setup.add(
		&["--subscription", "dora", "--impi", &impi, "--impu", &impu],
		&[("IMS_BRIDGE_PASSWORD", "secret")],
	);
	let scscf = format!("sip:scscf-after-refusal.{REALM}");
	let registered = format!("registration: Registered at {scscf}\n");
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice();
	let account: subxt::utils::AccountId32 = alice.public_key().into();
	let front = || ims::runtime_types::ims_primitives::access::Role::HssFront;
	let renounce = ims::transactions().access().revoke_role(0, account, front());
	chain::submit_finalized(&client, &alice, &renounce).await.unwrap();
	let finalized_nonce = || async {
		let at = client.at_current_block().await.unwrap();
		at.transactions().account_nonce(&account).await.unwrap()
	};
	let before = finalized_nonce().await;

	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	let mut entries = audit_entries(0..RECORDS);
	entries.push(Entry::Registration(RegistrationReport {
		impu: ImpuId::from(setup.pseudonym(&impu)),
		state: RegistrationState::Registered,
		scscf: Some(Name::truncate_from(scscf.clone().into_bytes())),
	}));
	journal.append(entries).await.unwrap();
	journal.settle().await.unwrap();
	let options = chain::SubmitOptions { in_flight_timeout: Duration::from_secs(3600) };
	let refused_then_granted = async {
		// Two of the submitter's transactions finalized: the first audit
		// batch is one of them (sent at once, and again only after it), and
		// the first registration batch was sent before the grant below,
		// whose nonce follows it. Both are refused.
		let started = Instant::now();
		while finalized_nonce().await < before + 2 {
			assert!(started.elapsed() < Duration::from_secs(120), "no batch reached finality");
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
		assert_eq!(journal.depth().unwrap(), (RECORDS, 1), "nothing refused leaves the journal");
		assert_eq!(next_sequence(&setup.rpc_url).await, 0, "no record taken");
		assert!(!setup.show(&impu).contains(&registered), "no report taken");
		let grant = ims::transactions().access().grant_role(0, account, front(), None);
		chain::submit_finalized(&client, &alice, &grant).await.unwrap();
	};
	let ((_, metrics), ()) = tokio::join!(
		drain_with(&setup.rpc_url, &journal, Duration::from_secs(240), options, Arc::default()),
		refused_then_granted
	);
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	assert_eq!(metrics.batches.get(), 1, "the batch counted once, when recorded");
	let failures = |queue: &str| metrics.submission_failures.with_label_values(&[queue]).get();
	assert!(failures("audit") >= 1, "the refused audit batch taken for lost, then sent again");
	assert!(failures("registrations") >= 1, "the refused registration batch seen to fail");
	let shown = setup.show(&impu);
	assert!(shown.contains(&registered), "expected {registered:?} in:\n{shown}");
}

/// Another holder of the bridge's key (a second process, an operator's
/// wallet) takes a nonce the submitter is about to use: a transaction
/// waits in the pool at the nonce of the sixth audit batch of the
/// submitter's first round, and, small, outranks it. The pool refuses that
/// batch, the run ends, and the submitter starts again from the finalized
/// state's nonce until the chain takes the rest: every record is recorded
/// once, and the other transaction lands too.
#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_taken_by_another_holder_of_the_key_is_recovered_from() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	let (_node, setup) = dev_chain().await;
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let sizes = chain::batch_sizes(&client).await.unwrap();
	let records = 8 * sizes.audit as u64;
	let alice = subxt_signer::sr25519::dev::alice();
	let account: subxt::utils::AccountId32 = alice.public_key().into();
	let at = client.at_current_block().await.unwrap();
	let nonce = at.transactions().account_nonce(&account).await.unwrap();
	// Signed and sent as another process would: not through this
	// process's turns, at a nonce ahead of the chain's.
	let params = subxt::config::PolkadotExtrinsicParamsBuilder::<chain::Config>::new()
		.nonce(nonce + 5)
		.build();
	let remark = ims::transactions().system().remark(b"another holder of the key".to_vec());
	let watching =
		at.transactions().sign_and_submit_then_watch(&remark, &alice, params).await.unwrap();
	let other = tokio::spawn(watching.wait_for_finalized_success());

	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(audit_entries(0..records)).await.unwrap();
	journal.settle().await.unwrap();
	let (took, metrics) = drain(&setup.rpc_url, &journal, Duration::from_secs(240)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, records, "every record recorded once");
	let failures = metrics.submission_failures.with_label_values(&["audit"]).get();
	assert!(failures >= 1, "the batch at the taken nonce refused");
	tokio::time::timeout(Duration::from_secs(60), other)
		.await
		.expect("the other transaction finalized")
		.unwrap()
		.expect("the other transaction succeeded");
	println!(
		"{records} records finalized in {:.1} s after {failures} failed rounds",
		took.as_secs_f64()
	);
}

/// Registration reports beyond one round of batches: they all leave the
/// journal, and for each identity the chain ends with the newest report,
/// though the two identities' reports alternate and change state at every
/// report (a round applied out of order, or an older report sent after a
/// newer one, would leave another state).
#[tokio::test(flavor = "multi_thread")]
async fn registration_reports_drain_in_rounds_and_the_newest_stands() {
	use ims_bridge::journal::{Entry, RegistrationReport};
	use ims_primitives::{ImpuId, Name, RegistrationState};
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	let (_node, setup) = dev_chain().await;
	// Two rounds and a part: 16 x 64 + 16 x 64 + 100.
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let batch = chain::batch_sizes(&client).await.unwrap().registrations;
	let reports = 2 * batch * chain::REGISTRATION_PIPELINE + 100;
	let users = ["dora", "ed"];
	let mut impus = Vec::new();
	for user in users {
		let impi = format!("{user}@{REALM}");
		let impu = format!("sip:{impi}");
		setup.add(
			&["--subscription", user, "--impi", &impi, "--impu", &impu],
			&[("IMS_BRIDGE_PASSWORD", "secret")],
		);
		impus.push((impu.clone(), ImpuId::from(setup.pseudonym(&impu))));
	}
	let states = [
		RegistrationState::Registered,
		RegistrationState::Unregistered,
		RegistrationState::NotRegistered,
	];
	let entries: Vec<Entry> = (0..reports)
		.map(|i| {
			let state = states[(i / 2) % states.len()];
			let scscf = (state != RegistrationState::NotRegistered)
				.then(|| Name::truncate_from(format!("sip:scscf-{i}.{REALM}").into_bytes()));
			Entry::Registration(RegistrationReport { impu: impus[i % 2].1, state, scscf })
		})
		.collect();
	// The newest of each identity.
	let newest: Vec<String> = (reports - 2..reports)
		.map(|i| {
			let state = states[(i / 2) % states.len()];
			match state {
				RegistrationState::NotRegistered => format!("registration: {state:?}\n"),
				_ => format!("registration: {state:?} at sip:scscf-{i}.{REALM}\n"),
			}
		})
		.collect();
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(entries).await.unwrap();
	journal.settle().await.unwrap();
	assert_eq!(journal.depth().unwrap(), (0, reports as u64));

	let (took, index) = drain_following(&setup.rpc_url, &journal, Duration::from_secs(600)).await;
	println!(
		"{reports} registration reports finalized in {:.1} s ({:.0} a second)",
		took.as_secs_f64(),
		reports as f64 / took.as_secs_f64()
	);
	for (i, (impu, _)) in impus.iter().enumerate() {
		let shown = setup.show(impu);
		let slot = (reports - 2 + i) % 2;
		assert!(shown.contains(&newest[slot]), "{impu}: expected {:?} in:\n{shown}", newest[slot]);
	}
	// The follower took each identity's newest state from the events
	// alone, the way the chain shows it.
	for r in reports - 2..reports {
		let (_, id) = &impus[r % 2];
		let state = states[(r / 2) % states.len()];
		let scscf = (state != RegistrationState::NotRegistered)
			.then(|| Name::truncate_from(format!("sip:scscf-{r}.{REALM}").into_bytes()));
		let held = index.impu(id).expect("the index holds it").impu.registration.clone();
		assert_eq!(held, ims_primitives::RegistrationView { state, scscf });
	}
	assert_eq!(index.pending_registrations(), 0);
}

/// How fast the submitter empties a full journal into `ims-node --dev`:
/// `BENCH_RECORDS` records (200,000 by default) are journaled first, then
/// the submitter is started and timed until the journal is empty and the
/// chain's `NextSequence` has them all. Prints records per second, rounds
/// and the time from a round's submission to its finality.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench.sh drain"]
async fn audit_drain_rate() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	let records: u64 =
		std::env::var("BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
	let (_node, setup) = dev_chain().await;
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	let mut at = 0;
	while at < records {
		let end = (at + 10_000).min(records);
		journal.append(audit_entries(at..end)).await.unwrap();
		at = end;
	}
	journal.settle().await.unwrap();
	let (took, metrics) = drain(&setup.rpc_url, &journal, Duration::from_secs(3600)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, records, "every record recorded once");
	let batches = metrics.batches.get();
	let latency = metrics.batch_latency.get_sample_sum() / batches.max(1) as f64;
	println!(
		"drain: {records} records in {:.1} s: {:.0} records/s; {batches} batches of <= {}, \
		 {:.2} s mean from submission to finality",
		took.as_secs_f64(),
		records as f64 / took.as_secs_f64(),
		chain::batch_sizes(&chain::connect(&setup.rpc_url).await.unwrap()).await.unwrap().audit,
		latency,
	);
}

/// How fast registration reports reach the chain's finalized state, as
/// after an outage when every phone registers again: `BENCH_REPORTS`
/// reports (100,000 by default) over `BENCH_IDENTITIES` public identities
/// (2,000, imported first), each report a change of S-CSCF, journaled
/// first; the submitter is then timed until the journal is empty. Prints
/// reports per second.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench.sh registrations"]
async fn registration_drain_rate() {
	use crate::import::{import, line, write_file};
	use ims_bridge::journal::{Entry, RegistrationReport};
	use ims_bridge::pseudonym::Kind;
	use ims_primitives::{ImpuId, Name, RegistrationState};
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	let env = |name: &str, default: usize| {
		std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
	};
	let (reports, identities) = (env("BENCH_REPORTS", 100_000), env("BENCH_IDENTITIES", 2_000));
	// BENCH_TRIE_CACHE: the node's `--trie-cache-size` in bytes (its
	// default when unset), to compare (docs/benchmarks.md).
	let cache = std::env::var("BENCH_TRIE_CACHE").ok();
	let mut args = vec!["--dev"];
	if let Some(bytes) = cache.as_deref() {
		args.extend(["--trie-cache-size", bytes]);
	}
	let (node, setup) = dev_chain_with(&args).await;
	let file = write_file(setup.dir.path(), "base.ndjson", (0..identities).map(line));
	let output = import(&setup, &file);
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let impus: Vec<ImpuId> = {
		let key = ims_bridge::vault::VaultKey::from_file(&setup.dir.path().join("vault.key"));
		let vault =
			ims_bridge::vault::Vault::open(&setup.dir.path().join("vault.redb"), &key.unwrap())
				.unwrap();
		(0..identities)
			.map(|i| {
				let impu = format!("sip:user{i}@{REALM}");
				let found = vault.find(Kind::Impu, &impu).unwrap().unwrap();
				ImpuId::from(found.pseudonym(Kind::Impu, &impu))
			})
			.collect()
	};
	let report = |i: usize| RegistrationReport {
		impu: impus[i % identities],
		state: RegistrationState::Registered,
		scscf: Some(Name::truncate_from(format!("sip:scscf-{}.{REALM}", i % 7).into_bytes())),
	};
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	for chunk in (0..reports).collect::<Vec<_>>().chunks(10_000) {
		journal
			.append(chunk.iter().map(|i| Entry::Registration(report(*i))).collect())
			.await
			.unwrap();
	}
	journal.settle().await.unwrap();
	let (took, _) = drain_following(&setup.rpc_url, &journal, Duration::from_secs(3600)).await;
	println!(
		"registrations: {reports} reports over {identities} identities finalized in {:.1} s: {:.0} reports/s",
		took.as_secs_f64(),
		reports as f64 / took.as_secs_f64()
	);
	println!("blocks of the drain: {}", block_summary(&node.log(), 4));
	// The newest report of the last identity stands.
	let last = reports - 1;
	let shown = setup.show(&format!("user{}@{REALM}", last % identities));
	assert!(shown.contains(&format!("at sip:scscf-{}.{REALM}", last % 7)), "{shown}");
}

/// How the node built its blocks from the first to the last holding more
/// than `least` extrinsics: how many, extrinsics per block and milliseconds
/// to build one (from its "Prepared block" lines).
fn block_summary(log: &str, least: u64) -> String {
	let field = |line: &str, after: &str, until: char| -> Option<u64> {
		let rest = &line[line.find(after)? + after.len()..];
		rest.split(until).next()?.trim().parse().ok()
	};
	let built: Vec<(u64, u64)> = log
		.lines()
		.filter(|l| l.contains("Prepared block for proposing"))
		.filter_map(|l| Some((field(l, "extrinsics_count: ", ',')?, field(l, " (", ' ')?)))
		.collect();
	// From the first block of the drain to its last.
	let first = built.iter().position(|(e, _)| *e > least).unwrap_or(built.len());
	let last = built.iter().rposition(|(e, _)| *e > least).map_or(first, |l| l + 1);
	let built = &built[first..last.max(first)];
	let n = built.len().max(1) as f64;
	let counts: Vec<String> = built.iter().map(|(e, _)| e.to_string()).collect();
	let full: Vec<&str> = log
		.lines()
		.filter(|l| l.contains("Prepared block for proposing") && !l.contains("NoMoreTransactions"))
		.filter_map(|l| l.split("end: ").nth(1)?.split(';').next())
		.collect();
	let full = full.join(", ");
	format!(
		"{} blocks, {:.1} extrinsics and {:.0} ms to build each on average (ended before the pool was empty: {full}); extrinsics: {}",
		built.len(),
		built.iter().map(|(e, _)| *e as f64).sum::<f64>() / n,
		built.iter().map(|(_, ms)| *ms as f64).sum::<f64>() / n,
		counts.join(" "),
	)
}
