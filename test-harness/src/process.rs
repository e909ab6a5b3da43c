//! A child process of a test, its output kept.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines of a process's log printed when the test that started it fails.
const TAIL_LINES: usize = 60;

/// A child process whose stdout and stderr are kept, killed (with its whole
/// process group) on drop; the last lines of its log are printed then if
/// the test is failing.
pub struct Proc {
	name: String,
	child: Child,
	log: Arc<Mutex<String>>,
}

impl Proc {
	/// Starts `command` in a process group of its own, so that stopping it
	/// also stops the processes it forks (Kamailio's workers).
	pub fn spawn(name: &str, command: &mut Command) -> Proc {
		use std::os::unix::process::CommandExt;
		let mut child = command
			.process_group(0)
			.stdin(Stdio::null())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap_or_else(|e| panic!("{name} does not start: {e}"));
		let log = Arc::new(Mutex::new(String::new()));
		let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>);
		let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>);
		for stream in [stdout, stderr].into_iter().flatten() {
			let sink = log.clone();
			std::thread::spawn(move || {
				for line in BufReader::new(stream).lines().map_while(Result::ok) {
					let mut log = sink.lock().unwrap_or_else(|p| p.into_inner());
					log.push_str(&line);
					log.push('\n');
				}
			});
		}
		Proc { name: name.to_string(), child, log }
	}

	/// Everything it wrote so far.
	pub fn log(&self) -> String {
		self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
	}

	/// Its process id (also its process group's).
	pub fn id(&self) -> u32 {
		self.child.id()
	}

	/// Sends `signal` (such as `-TERM`) to its whole process group.
	pub fn signal_group(&self, signal: &str) {
		let group = format!("-{}", self.child.id());
		let _ = Command::new("kill").args([signal, "--", &group]).stderr(Stdio::null()).status();
	}

	/// Kills its process group and reaps it.
	pub fn kill(&mut self) {
		self.signal_group("-KILL");
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// SIGTERM to its process group, then its exit status once it ended
	/// within `timeout`; killed and `None` otherwise.
	pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
		self.signal_group("-TERM");
		let deadline = Instant::now() + timeout;
		while Instant::now() < deadline {
			if let Ok(Some(status)) = self.child.try_wait() {
				return Some(status);
			}
			std::thread::sleep(Duration::from_millis(50));
		}
		self.kill();
		None
	}

	/// Whether it has exited.
	pub fn exited(&mut self) -> bool {
		matches!(self.child.try_wait(), Ok(Some(_)))
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		self.kill();
		if std::thread::panicking() {
			let log = self.log();
			let tail: Vec<&str> = log.lines().rev().take(TAIL_LINES).collect();
			eprintln!("---- last lines of {} ----", self.name);
			for line in tail.into_iter().rev() {
				eprintln!("{line}");
			}
		}
	}
}
