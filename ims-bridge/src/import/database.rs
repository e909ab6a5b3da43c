//! What the importers that read another HSS's MySQL/MariaDB database
//! share: the connection, a subscriber as a line of the import format
//! written into a buffer that is wiped, and the channel the lines go to
//! the run through, with the notes of what did not carry over.

use super::reader::{Line, Lines, Received};
use super::{LineError, Progress, Record, SourceError};
use serde::Serialize;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

/// One connection to the database at `url`: the importers read in
/// sequence, and a migration source is best left lightly loaded.
pub async fn connect(url: &str) -> Result<MySqlPool, SourceError> {
	MySqlPoolOptions::new()
		.max_connections(1)
		.acquire_timeout(Duration::from_secs(30))
		.connect(url)
		.await
		.map_err(|source| SourceError::Connect { url: super::source::redacted(url), source })
}

/// A failed query, as what was being read and why.
pub fn query(what: &'static str) -> impl Fn(sqlx::Error) -> SourceError {
	move |source| SourceError::Query { what, source }
}

/// A subscriber mapped: its line, and what it lost on the way.
pub struct Mapped {
	/// The line, in the import format (it holds secrets).
	pub line: Zeroizing<String>,
	/// What could not be carried over, one sentence each.
	pub notes: Vec<String>,
}

/// `value` as one line of the import format, written into a buffer large
/// enough not to be moved while written (it holds secrets) and wiped when
/// dropped.
pub fn line(value: &impl Serialize) -> Result<Zeroizing<String>, LineError> {
	let mut bytes = Zeroizing::new(Vec::with_capacity(4096));
	serde_json::to_writer(&mut *bytes, value)
		.map_err(|e| LineError::Invalid(format!("cannot be written as a line: {e}")))?;
	let text = String::from_utf8(std::mem::take(&mut *bytes))
		.map_err(|_| LineError::Invalid("not UTF-8".into()))?;
	Ok(Zeroizing::new(text))
}

/// A subscriber line as an importer writes it (the format's fields,
/// `docs/import.md`); secrets are borrowed from buffers that are wiped.
#[derive(Serialize)]
pub struct LineOut<'a> {
	pub realm: &'a str,
	pub subscription: &'a str,
	pub impis: Vec<ImpiOut<'a>>,
	pub impus: Vec<ImpuOut<'a>>,
}

#[derive(Serialize)]
pub struct ImpiOut<'a> {
	pub identity: &'a str,
	pub schemes: Vec<&'static str>,
	pub default_scheme: &'static str,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub password: Option<&'a str>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub ha1: Option<&'a str>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub aka: Option<AkaOut<'a>>,
}

#[derive(Serialize)]
pub struct AkaOut<'a> {
	pub k: &'a str,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub opc: Option<&'a str>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub op: Option<&'a str>,
	pub amf: String,
	pub sqn: u64,
}

#[derive(Serialize)]
pub struct ImpuOut<'a> {
	pub identity: &'a str,
	pub kind: &'static str,
	pub barred: bool,
	pub can_register: bool,
	pub implicit_set: Option<u32>,
	pub profile: u32,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub charging: Option<u32>,
	pub roaming: &'a [String],
	/// Absent: linked to every IMPI of the line.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub impis: Option<Vec<&'a str>>,
}

/// Where an importer's lines go: the run's [`Lines`], with the notes told
/// as they come and kept for the summary.
pub struct Outbox {
	send: mpsc::Sender<Received>,
	progress: Arc<dyn Progress>,
	notes: Vec<String>,
}

impl Outbox {
	/// An outbox and the lines the run reads from it; `total` is how many
	/// records the importer expects to send.
	pub fn new(total: u64, progress: Arc<dyn Progress>) -> (Outbox, Lines) {
		let (send, lines) = Lines::received(Some(total));
		(Outbox { send, progress, notes: Vec::new() }, lines)
	}

	/// Sends a mapped record (its notes told) or its refusal; `false` when
	/// the run stopped taking lines.
	pub async fn mapped(&mut self, record: Record, mapped: Result<Mapped, LineError>) -> bool {
		let line = match mapped {
			Ok(mapped) => {
				for note in mapped.notes {
					let note = format!("{record}: {note}");
					self.progress.note(&note);
					self.notes.push(note);
				}
				Line::Text(mapped.line)
			},
			Err(reason) => Line::Refused(reason),
		};
		self.send.send(Ok((record, line))).await.is_ok()
	}

	/// Refuses a record the importer cannot place at all.
	pub async fn refused(&mut self, record: Record, why: &str) -> bool {
		self.mapped(record, Err(LineError::Invalid(why.into()))).await
	}

	/// Ends the run with `error` (a closed channel: the run ended first).
	pub async fn failed(&self, error: SourceError) {
		let _ = self.send.send(Err(error)).await;
	}

	/// The notes told.
	pub fn notes(self) -> Vec<String> {
		self.notes
	}
}
