//! The journal against real files: numbering, durability, replay after a
//! crash, confirmations, the log's two halves and failures.

mod pressure;

use super::*;
use ims_primitives::audit::{Activity, Peer};
use ims_primitives::{ImpiId, Subject, Token};
use std::time::Instant;
use tokio::time::timeout;

fn record(result: u32) -> Record {
	FrontRecord {
		subject: Subject::Impi(ImpiId::repeat_byte(1)),
		peer: Peer::Diameter(Token::truncate_from(b"scscf.ims.test".to_vec())),
		activity: Activity::UserAuthorization,
		result,
		at_ms: 1,
	}
}

fn report(byte: u8) -> RegistrationReport {
	RegistrationReport {
		impu: ImpuId::repeat_byte(byte),
		state: RegistrationState::Registered,
		scscf: Some(Name::truncate_from(b"sip:scscf".to_vec())),
	}
}

const MODES: [Sync; 2] = [Sync::BeforeAnswer, Sync::WithAnswer];

#[tokio::test(flavor = "multi_thread")]
async fn appends_are_numbered_durable_and_replayed_after_a_restart() {
	for sync in MODES {
		appends_are_numbered_durable_and_replayed(sync).await;
	}
}

async fn appends_are_numbered_durable_and_replayed(sync: Sync) {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("journal.redb");
	{
		let journal =
			Journal::open_with(&path, JournalOptions { sync, ..Default::default() }).unwrap();
		// Many concurrent appends: contiguous numbers, one each.
		let mut tasks = Vec::new();
		for i in 0..200 {
			let journal = journal.clone();
			tasks.push(tokio::spawn(async move { journal.audit(1, record(i)).await.unwrap() }));
		}
		let mut numbers = Vec::new();
		for t in tasks {
			numbers.push(t.await.unwrap());
		}
		numbers.sort();
		assert_eq!(numbers, (0..200).collect::<Vec<u64>>());
		assert_eq!(journal.registration(report(2)).await.unwrap(), 0);
	}
	// A clean shutdown applied everything and voided the log.
	let (_, frames) = Wal::open(&log_path(&path), DEFAULT_LOG_CAPACITY).unwrap();
	assert!(frames.is_empty());
	// Reopened (a restart): everything is still there.
	let journal = Journal::open(&path).unwrap();
	assert_eq!(journal.depth().unwrap(), (200, 1));
	let pending = journal.pending_audit(10).unwrap();
	assert_eq!(pending.len(), 10);
	assert_eq!(pending[0].sequence, 0);
	assert_eq!(pending[3].realm, 1);
	// Those from 120 on (the ones below are on their way to finality).
	let later = journal.pending_audit_from(120, 10).unwrap();
	assert_eq!(
		later.iter().map(|r| r.sequence).collect::<Vec<_>>(),
		(120..130).collect::<Vec<_>>()
	);
	assert!(journal.pending_audit_from(200, 10).unwrap().is_empty());
	// The chain says 150 were recorded.
	journal.confirm_audit(150).await.unwrap();
	assert_eq!(journal.pending_audit(1000).unwrap().first().map(|r| r.sequence), Some(150));
	assert_eq!(journal.audit(1, record(0)).await.unwrap(), 200);
	journal.confirm_registrations(1).await.unwrap();
	journal.settle().await.unwrap();
	assert_eq!(journal.depth().unwrap(), (51, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_appended_together_are_numbered_and_stored_together() {
	for sync in MODES {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		let journal =
			Journal::open_with(&path, JournalOptions { sync, ..Default::default() }).unwrap();
		let together = vec![
			Entry::Registration(report(2)),
			Entry::Audit(1, record(1)),
			Entry::Audit(2, record(2)),
		];
		assert_eq!(journal.append(together).await.unwrap(), vec![0, 0, 1]);
		let more = vec![Entry::Audit(1, record(3)), Entry::Registration(report(3))];
		assert_eq!(journal.append(more).await.unwrap(), vec![2, 1]);
		assert_eq!(journal.append(Vec::new()).await.unwrap(), Vec::<u64>::new());
		journal.settle().await.unwrap();
		assert_eq!(journal.depth().unwrap(), (3, 2));
		let pending = journal.pending_audit(10).unwrap();
		assert_eq!(
			pending.iter().map(|r| (r.sequence, r.realm, r.record.result)).collect::<Vec<_>>(),
			vec![(0, 1, 1), (1, 2, 2), (2, 1, 3)]
		);
		assert_eq!(
			journal.pending_registrations(10).unwrap(),
			vec![(0, report(2)), (1, report(3))]
		);
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn before_answer_returns_only_once_flushed() {
	let dir = tempfile::tempdir().unwrap();
	let options = JournalOptions { sync: Sync::BeforeAnswer, ..Default::default() };
	let journal = Journal::open_with(&dir.path().join("journal.redb"), options).unwrap();
	for i in 0..20 {
		journal.audit(1, record(i)).await.unwrap();
		// The flusher's watermark covers every append returned so far.
		let last = journal.inner.flush.last().unwrap();
		assert_eq!(last, u64::from(i) + 1);
		assert!(journal.inner.flush.flushed.borrow().through >= last);
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn with_answer_flushes_once_an_interval_while_appends_come() {
	let dir = tempfile::tempdir().unwrap();
	let interval = Duration::from_millis(200);
	let options =
		JournalOptions { sync: Sync::WithAnswer, flush_interval: interval, ..Default::default() };
	let journal = Journal::open_with(&dir.path().join("journal.redb"), options).unwrap();
	let flushed = || {
		let flushed = journal.inner.flush.flushed.borrow();
		(flushed.through, flushed.flushes)
	};
	let flushed_through = |ticket: u64| async move {
		let deadline = Instant::now() + Duration::from_secs(10);
		while flushed().0 < ticket {
			assert!(Instant::now() < deadline, "append {ticket} never flushed");
			tokio::time::sleep(Duration::from_millis(5)).await;
		}
	};
	// Given an idle journal, when a record is appended,
	let appended = Instant::now();
	journal.audit(1, record(0)).await.unwrap();
	// then it is in the file at once and flushed one interval later.
	tokio::time::sleep(Duration::from_millis(50)).await;
	assert_eq!(flushed(), (0, 0));
	flushed_through(1).await;
	assert!(appended.elapsed() >= interval, "flushed after {:?}", appended.elapsed());
	assert_eq!(flushed().1, 1);
	// When records come every 10 ms for a second,
	let (_, before) = flushed();
	let started = Instant::now();
	for i in 1..=100 {
		journal.audit(1, record(i)).await.unwrap();
		tokio::time::sleep(Duration::from_millis(10)).await;
	}
	flushed_through(101).await;
	// then the log is flushed about once an interval, not once a record.
	let took = started.elapsed().as_secs_f64();
	let flushes = flushed().1 - before;
	let most = (took / interval.as_secs_f64()).ceil() as u64 + 2;
	assert!((1..=most).contains(&flushes), "{flushes} flushes in {took:.2} s");
	// A settle returns once everything appended is flushed and stored.
	journal.audit(1, record(101)).await.unwrap();
	journal.settle().await.unwrap();
	assert_eq!(flushed().0, 102);
	assert_eq!(journal.depth().unwrap(), (102, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_append_larger_than_the_log_is_refused_and_the_journal_goes_on() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("journal.redb");
	// Room for some 4 KiB of frames: 200 records do not fit even empty.
	let options =
		JournalOptions { log_capacity: 2 * 4096, sync: Sync::WithAnswer, ..Default::default() };
	let journal = Journal::open_with(&path, options).unwrap();
	let huge = (0..200).map(|i| Entry::Audit(1, record(i))).collect();
	match journal.append(huge).await {
		Err(JournalError::TooLarge { .. }) => {},
		other => panic!("{other:?}"),
	}
	// No number was given out, and appends still work.
	assert_eq!(journal.audit(1, record(0)).await.unwrap(), 0);
	journal.settle().await.unwrap();
	assert_eq!(journal.depth().unwrap(), (1, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn numbering_resumes_from_the_chain_when_it_is_ahead() {
	let dir = tempfile::tempdir().unwrap();
	let journal = Journal::open(&dir.path().join("journal.redb")).unwrap();
	// A bridge whose journal was lost: the chain already holds 1000.
	journal.confirm_audit(1000).await.unwrap();
	assert_eq!(journal.next_sequence().unwrap(), 1000);
	assert_eq!(journal.audit(1, record(0)).await.unwrap(), 1000);
	// A lower confirmation never moves numbering back.
	journal.confirm_audit(10).await.unwrap();
	assert_eq!(journal.audit(1, record(0)).await.unwrap(), 1001);
}
fn write_frames(path: &Path, frames: &[Frame]) {
	let (mut wal, _) = Wal::open(&log_path(path), DEFAULT_LOG_CAPACITY).unwrap();
	wal.append(&frames.iter().map(Encode::encode).collect::<Vec<_>>()).unwrap();
	wal.sync().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn what_reached_the_log_before_a_crash_is_replayed() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("journal.redb");
	drop(Journal::open(&path).unwrap());
	// A crash after the log's fdatasync, before the database saw them.
	let report = RegistrationReport {
		impu: ImpuId::repeat_byte(3),
		state: RegistrationState::Unregistered,
		scscf: None,
	};
	write_frames(
		&path,
		&[
			Frame { number: 0, entry: Entry::Audit(1, record(7)) },
			Frame { number: 0, entry: Entry::Registration(report.clone()) },
			Frame { number: 1, entry: Entry::Audit(2, record(8)) },
		],
	);
	let journal = Journal::open(&path).unwrap();
	assert_eq!(journal.depth().unwrap(), (2, 1));
	let pending = journal.pending_audit(10).unwrap();
	assert_eq!((pending[1].sequence, pending[1].realm), (1, 2));
	assert_eq!(pending[1].record, record(8));
	assert_eq!(journal.pending_registrations(10).unwrap(), vec![(0, report)]);
	// Numbering goes on after the replayed records; a second open
	// replays nothing twice.
	assert_eq!(journal.audit(1, record(9)).await.unwrap(), 2);
	drop(journal);
	let journal = Journal::open(&path).unwrap();
	assert_eq!(journal.depth().unwrap(), (3, 1));
	assert_eq!(journal.next_sequence().unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn replayed_frames_never_bring_back_confirmed_entries() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("journal.redb");
	let journal = Journal::open(&path).unwrap();
	for i in 0..3 {
		assert_eq!(journal.audit(1, record(i)).await.unwrap(), u64::from(i));
	}
	journal.confirm_audit(2).await.unwrap();
	drop(journal);
	// A crash between a checkpoint's commit and the log's reset: the log
	// still holds records the chain has confirmed.
	write_frames(
		&path,
		&(0..3)
			.map(|i| Frame { number: i, entry: Entry::Audit(1, record(i as u32)) })
			.collect::<Vec<_>>(),
	);
	let journal = Journal::open(&path).unwrap();
	let pending = journal.pending_audit(10).unwrap();
	assert_eq!(pending.iter().map(|r| r.sequence).collect::<Vec<_>>(), vec![2]);
	assert_eq!(journal.next_sequence().unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_that_fills_turns_between_its_halves_and_loses_nothing() {
	for sync in MODES {
		a_log_that_fills_turns(sync).await;
	}
}

async fn a_log_that_fills_turns(sync: Sync) {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("journal.redb");
	// Room for a few dozen records a half: many turns on the way.
	let options = JournalOptions { log_capacity: 3 * 4096, sync, ..Default::default() };
	let journal = Journal::open_with(&path, options).unwrap();
	let mut tasks = Vec::new();
	for i in 0..500 {
		let journal = journal.clone();
		tasks.push(tokio::spawn(async move { journal.audit(1, record(i)).await.unwrap() }));
	}
	for t in tasks {
		t.await.unwrap();
	}
	drop(journal);
	let journal = Journal::open(&path).unwrap();
	let pending = journal.pending_audit(1000).unwrap();
	assert_eq!(
		pending.iter().map(|r| r.sequence).collect::<Vec<_>>(),
		(0..500).collect::<Vec<_>>()
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_half_of_the_log_never_makes_an_append_wait_for_the_database() {
	for sync in MODES {
		appends_go_on_while_the_database_is_busy(sync).await;
	}
}

async fn appends_go_on_while_the_database_is_busy(sync: Sync) {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("journal.redb");
	// Halves of two pages: a page of frames each.
	let options = JournalOptions { log_capacity: 4 * 4096, sync, ..Default::default() };
	let journal = Journal::open_with(&path, options).unwrap();
	// A write transaction held open: the applier can store nothing.
	let busy = journal.db.begin_write().unwrap();
	let soon = Duration::from_secs(5);
	let mut n = 0u32;
	// A half fills, and the appends go on in the other one at once.
	while journal.inner.log.lock().await.spare.is_none() {
		let numbered = timeout(soon, journal.audit(1, record(n))).await;
		assert_eq!(numbered.expect("an append waited for the database").unwrap(), u64::from(n));
		n += 1;
	}
	// The last of them went into the second half.
	let half = n - 1;
	assert!(half > 10, "{half} records in a half");
	// Once the second half is full too, the turn back to the first waits
	// for its void, which waits for the database; the append waiting there
	// is cancelled and gives out no number.
	let stalled = loop {
		match timeout(Duration::from_millis(300), journal.audit(1, record(n))).await {
			Ok(numbered) => assert_eq!(numbered.unwrap(), u64::from(n)),
			Err(_) => break n,
		}
		n += 1;
		assert!(n < 3 * half, "both halves full and no append waited");
	};
	assert!(stalled + 1 >= 2 * half, "waited after {stalled} records, {half} a half");
	busy.abort().unwrap();
	// The database free, the first half is voided and the appends go on.
	for _ in 0..half {
		let numbered = timeout(soon, journal.audit(1, record(n))).await;
		assert_eq!(numbered.expect("the void never came").unwrap(), u64::from(n));
		n += 1;
	}
	drop(journal);
	let journal = Journal::open(&path).unwrap();
	let pending = journal.pending_audit(10_000).unwrap();
	let numbers: Vec<u64> = pending.iter().map(|r| r.sequence).collect();
	assert_eq!(numbers, (0..u64::from(n)).collect::<Vec<_>>());
}

#[test]
fn a_log_named_without_a_directory_is_synced_in_the_current_one() {
	// `journal.redb` in a configuration read as `--config bridge.toml`: the
	// log's parent is the empty path, which cannot be opened.
	assert_eq!(wal::directory(Path::new("journal.wal")), Path::new("."));
	assert_eq!(wal::directory(Path::new("/var/lib/x/journal.wal")), Path::new("/var/lib/x"));
	assert_eq!(wal::directory(Path::new("x/journal.wal")), Path::new("x"));
}
