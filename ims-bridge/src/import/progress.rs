//! How a run reports as it goes: a bar with rate and ETA on a terminal
//! ([`Bar`]), a line every few seconds otherwise ([`Lines`], to stderr or
//! the bridge's log), or nothing ([`Silent`]). Refused lines are reported
//! as they are found, by number and reason (never their content).

use super::{Refusal, Summary};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a run reports. Lines are done when added, skipped or refused.
pub trait Progress: Send + Sync {
	/// The run starts, with the number of lines in the file if known.
	fn start(&self, total: Option<u64>);
	/// Subscribers reached the chain's finalized state.
	fn added(&self, count: u64);
	/// A line an earlier run imported.
	fn skipped(&self);
	/// A line refused.
	fn refused(&self, refusal: &Refusal);
	/// Something to tell the operator.
	fn note(&self, text: &str);
	/// The run ended.
	fn finish(&self, summary: &Summary);
}

/// A progress bar on the terminal (indicatif), refusals printed above it.
pub struct Bar(indicatif::ProgressBar);

impl Bar {
	/// A bar on stderr.
	pub fn new() -> Self {
		let bar = indicatif::ProgressBar::new(0);
		let style = indicatif::ProgressStyle::with_template(
			"{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} subscribers, {per_sec}, ETA {eta}",
		)
		.unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
		bar.set_style(style);
		Bar(bar)
	}
}

impl Default for Bar {
	fn default() -> Self {
		Bar::new()
	}
}

impl Progress for Bar {
	fn start(&self, total: Option<u64>) {
		self.0.set_length(total.unwrap_or(0));
		self.0.reset_elapsed();
	}
	fn added(&self, count: u64) {
		self.0.inc(count);
	}
	fn skipped(&self) {
		self.0.inc(1);
	}
	fn refused(&self, refusal: &Refusal) {
		self.0.inc(1);
		self.0.println(refusal.to_string());
	}
	fn note(&self, text: &str) {
		self.0.println(text);
	}
	fn finish(&self, _: &Summary) {
		self.0.finish();
	}
}

/// Plain lines: refusals as they come and a line of progress every
/// [`Lines::EVERY`], to stderr or the log.
pub struct Lines {
	state: Mutex<Counts>,
	to_log: bool,
}

struct Counts {
	total: Option<u64>,
	done: u64,
	started: Instant,
	last: Instant,
}

impl Lines {
	/// How often a line of progress is written.
	pub const EVERY: Duration = Duration::from_secs(10);

	/// Lines on stderr.
	pub fn stderr() -> Self {
		Lines::new(false)
	}

	/// Lines in the log (`tracing`), for a run inside the bridge.
	pub fn log() -> Self {
		Lines::new(true)
	}

	fn new(to_log: bool) -> Self {
		let now = Instant::now();
		let counts = Counts { total: None, done: 0, started: now, last: now };
		Lines { state: Mutex::new(counts), to_log }
	}

	fn say(&self, text: &str) {
		if self.to_log {
			tracing::info!("import: {text}");
		} else {
			eprintln!("{text}");
		}
	}

	fn advance(&self, count: u64) {
		let line = {
			let mut counts = self.state.lock().unwrap_or_else(|p| p.into_inner());
			counts.done = counts.done.saturating_add(count);
			if counts.last.elapsed() < Lines::EVERY {
				return;
			}
			counts.last = Instant::now();
			counts.line()
		};
		self.say(&line);
	}
}

impl Counts {
	/// "12,288 of 100,000 subscribers, 1,150/s, ETA 1m16s".
	fn line(&self) -> String {
		let seconds = self.started.elapsed().as_secs_f64().max(0.001);
		let rate = self.done as f64 / seconds;
		match self.total {
			Some(total) if rate > 0.0 => {
				let eta = total.saturating_sub(self.done) as f64 / rate;
				format!("{} of {total} subscribers, {rate:.0}/s, ETA {eta:.0} s", self.done)
			},
			_ => format!("{} subscribers, {rate:.0}/s", self.done),
		}
	}
}

impl Progress for Lines {
	fn start(&self, total: Option<u64>) {
		let mut counts = self.state.lock().unwrap_or_else(|p| p.into_inner());
		counts.total = total;
		counts.started = Instant::now();
		counts.last = counts.started;
	}
	fn added(&self, count: u64) {
		self.advance(count);
	}
	fn skipped(&self) {
		self.advance(1);
	}
	fn refused(&self, refusal: &Refusal) {
		self.say(&refusal.to_string());
		self.advance(1);
	}
	fn note(&self, text: &str) {
		self.say(text);
	}
	fn finish(&self, _: &Summary) {
		let line = self.state.lock().unwrap_or_else(|p| p.into_inner()).line();
		self.say(&line);
	}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
	fn start(&self, _: Option<u64>) {}
	fn added(&self, _: u64) {}
	fn skipped(&self) {}
	fn refused(&self, _: &Refusal) {}
	fn note(&self, _: &str) {}
	fn finish(&self, _: &Summary) {}
}
