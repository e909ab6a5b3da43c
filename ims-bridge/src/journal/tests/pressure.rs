//! The journal at its high-water marks: a backlog the chain does not take,
//! and a file system that fills (a real tmpfs of a few MiB: these tests
//! mount one, as CI's root may).

use super::*;
use std::path::PathBuf;
use std::process::Command;

/// A tmpfs of `mib` MiB mounted on a temporary directory, unmounted on drop.
struct SmallFileSystem {
	dir: tempfile::TempDir,
}

impl SmallFileSystem {
	fn mount(mib: u32) -> SmallFileSystem {
		let dir = tempfile::tempdir().unwrap();
		let mounted = Command::new("mount")
			.args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
			.arg(dir.path())
			.status()
			.unwrap();
		assert!(mounted.success(), "mounting a tmpfs needs root (CI runs as root)");
		SmallFileSystem { dir }
	}

	fn path(&self, name: &str) -> PathBuf {
		self.dir.path().join(name)
	}

	fn free(&self) -> u64 {
		let s = rustix::fs::statvfs(self.dir.path()).unwrap();
		s.f_bavail * s.f_frsize
	}

	/// Fills the file system with `filler` until at most `leave` bytes are
	/// free.
	fn fill(&self, leave: u64) {
		use std::io::Write;
		let mut filler = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(self.path("filler"))
			.unwrap();
		let chunk = vec![0xa5u8; 64 << 10];
		while self.free() > leave {
			let want = (self.free() - leave).min(chunk.len() as u64) as usize;
			if filler.write_all(&chunk[..want.max(1)]).is_err() {
				break;
			}
		}
	}
}

impl Drop for SmallFileSystem {
	fn drop(&mut self) {
		let _ = Command::new("umount").arg(self.dir.path()).status();
	}
}

fn options(limits: Limits) -> JournalOptions {
	JournalOptions { log_capacity: 256 << 10, sync: Sync::WithAnswer, limits, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backlog_at_its_mark_refuses_appends_until_the_chain_confirms() {
	let dir = tempfile::tempdir().unwrap();
	let limits = Limits { max_backlog: 10, min_free_bytes: 0 };
	let journal = Journal::open_with(&dir.path().join("journal.redb"), options(limits)).unwrap();
	for i in 0..9 {
		journal.audit(1, record(i)).await.unwrap();
	}
	journal.registration(report(1)).await.unwrap();
	assert!(matches!(journal.accepting(), Err(Refusal::Backlog { pending: 10, max: 10 })));
	let refused = journal.audit(1, record(10)).await;
	assert!(matches!(refused, Err(JournalError::Busy(Refusal::Backlog { .. }))), "{refused:?}");
	assert!(journal.refusing());
	// Two confirmed: 8 pending, below the low-water mark of 9.
	journal.confirm_audit(2).await.unwrap();
	assert_eq!(journal.accepting(), Ok(()));
	assert_eq!(journal.audit(1, record(11)).await.unwrap(), 9, "numbering went on unbroken");
	journal.settle().await.unwrap();
	let kept: Vec<u32> =
		journal.pending_audit(100).unwrap().iter().map(|r| r.record.result).collect();
	assert_eq!(kept, [2, 3, 4, 5, 6, 7, 8, 11]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_system_at_its_reserve_refuses_appends_and_takes_them_again() {
	let fs = SmallFileSystem::mount(32);
	let limits = Limits { max_backlog: 1_000_000, min_free_bytes: 4 << 20 };
	let journal = Journal::open_with(&fs.path("journal.redb"), options(limits)).unwrap();
	for i in 0..100 {
		journal.audit(1, record(i)).await.unwrap();
	}
	fs.fill(3 << 20);
	tokio::time::sleep(Duration::from_millis(300)).await;
	let refused = journal.audit(1, record(100)).await;
	assert!(matches!(refused, Err(JournalError::Busy(Refusal::Space { .. }))), "{refused:?}");
	assert!(journal.refusing());
	// Space again: taken at once, and nothing was lost.
	std::fs::remove_file(fs.path("filler")).unwrap();
	assert_eq!(journal.accepting(), Ok(()));
	assert_eq!(journal.audit(1, record(101)).await.unwrap(), 100);
	journal.settle().await.unwrap();
	assert_eq!(journal.pending_audit(1000).unwrap().len(), 101);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_system_that_fills_stops_the_journal_and_the_log_keeps_every_answered_record() {
	let fs = SmallFileSystem::mount(16);
	let path = fs.path("journal.redb");
	// No reserve: another process takes the last byte.
	let limits = Limits { max_backlog: 1_000_000, min_free_bytes: 0 };
	let mut answered = 0u32;
	{
		let journal = Journal::open_with(&path, options(limits)).unwrap();
		for i in 0..50 {
			journal.audit(1, record(i)).await.unwrap();
			answered += 1;
		}
		journal.settle().await.unwrap();
		fs.fill(0);
		// Appends reach the log (its space is its own) until the database
		// write behind them fails and stops the journal.
		let stopped = journal.stopped();
		tokio::pin!(stopped);
		for i in 50..50_000 {
			let appended = tokio::select! {
				appended = journal.audit(1, record(i)) => appended,
				_ = &mut stopped => break,
			};
			match appended {
				Ok(_) => answered += 1,
				Err(_) => break,
			}
			if i % 500 == 0 {
				let _ = journal.settle().await;
			}
		}
		timeout(Duration::from_secs(10), journal.stopped()).await.expect("stopped");
		assert!(journal.audit(1, record(9_999)).await.is_err(), "no append after the stop");
	}
	// Room again: the restart replays the log, and every record that was
	// answered is there.
	std::fs::remove_file(fs.path("filler")).unwrap();
	let journal = Journal::open_with(&path, options(limits)).unwrap();
	let kept = journal.pending_audit(10_000).unwrap();
	assert_eq!(kept.len() as u32, answered, "every answered record survived");
	assert!(kept
		.iter()
		.enumerate()
		.all(|(i, r)| r.sequence == i as u64 && r.record.result == i as u32));
}

#[test]
fn a_log_that_cannot_be_made_whole_is_not_left_behind() {
	let fs = SmallFileSystem::mount(1);
	let path = fs.path("journal.wal");
	let made = Wal::open(&path, 4 << 20);
	assert!(made.is_err(), "a 4 MiB log does not fit in 1 MiB");
	assert!(!path.exists() && !fs.path("journal.wal.new").exists(), "nothing half-made");
	let error = JournalError::Log(made.err().unwrap());
	assert!(error.is_no_space(), "{error}");
}
