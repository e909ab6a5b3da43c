//! `ims-bridge import FILE`: a whole subscriber base into the vault and the
//! chain together, in batches, resumable. The format and the mechanism are
//! in `docs/import.md`.
//!
//! - `source`: where the subscribers come from (`--from`).
//! - `format`: the file, version 1 (NDJSON), one subscriber a line.
//! - `reader`: lines off the disk, bounded, numbered, or from an importer.
//! - `database`: what the importers that read a MySQL database share;
//!   `fhoss`, `pyhss`: the importers of FHoSS's and PyHSS's databases;
//!   `mobile`: a packet core's subscriber (IMSI, MSISDNs, USIM keys) as a
//!   line, for PyHSS and Open5GS; `open5gs`: the importer of Open5GS's
//!   `mongoexport`.
//! - `budget`: how many subscribers a call carries, by the runtime's
//!   weights.
//! - `plan`: each line checked against the chain's realms and profiles and
//!   the vault, then batched and written to the vault, marked pending.
//! - `submit`: batches into `identity.import_subscribers` calls, several in
//!   flight; a refused call is split until the refused line is found.
//! - `settle`: pending marks left by an interrupted run, resolved.
//! - `progress`: a bar with rate and ETA on a terminal, lines otherwise.
//!
//! The vault is written first: a subscriber whose vault entry exists but
//! whose chain record does not is invisible to Cx and is finished or
//! erased by the next run, while a chain record without its vault entry
//! could never be used nor linked to anyone again.

mod budget;
mod database;
mod fhoss;
mod format;
mod mobile;
mod open5gs;
mod plan;
mod progress;
mod pyhss;
mod reader;
mod settle;
mod source;
mod submit;

pub use format::Line as SubscriberLine;
pub(crate) use format::{aka_secret, digest_secret, public_identity, AkaLine, ImpuLine, Secret};
pub(crate) use format::{parse, ImpiChain, ImpuChain, Parsed};
pub use format::{scheme, FORMAT, MAX_LINE, VERSION};
pub(crate) use plan::{attributes, call_entry};
pub use progress::{Bar, Lines, Progress, Silent};
pub use source::{redacted, Placement, Source, SourceError, FORMATS};

use crate::chain::{ChainError, Client};
use crate::vault::{Vault, VaultError};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

/// Why a line was refused. Messages never include secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
	/// The header line is missing or names another format or version.
	#[error("not an import file: {0}")]
	Header(String),
	/// Not JSON, or not a subscriber (values in quotes are left out: they
	/// may be secrets).
	#[error("malformed: {0}")]
	Malformed(String),
	/// Longer than [`MAX_LINE`] bytes.
	#[error("longer than {MAX_LINE} bytes")]
	TooLong,
	/// Not valid UTF-8.
	#[error("not UTF-8")]
	NotUtf8,
	/// A subscriber that breaks a rule of the format.
	#[error("{0}")]
	Invalid(String),
	/// The chain has no realm of this name.
	#[error("realm {0} does not exist on chain")]
	UnknownRealm(String),
	/// The realm has no service profile of this number.
	#[error("realm {realm} has no service profile {profile}")]
	UnknownProfile {
		/// The realm's name.
		realm: String,
		/// The profile.
		profile: u32,
	},
	/// An identity of the line is held by another subscription.
	#[error("{0} is already held by another subscription")]
	Taken(String),
	/// The line names the same subscriber as an earlier line of the file.
	#[error("repeats the subscriber of an earlier line")]
	Repeated,
	/// The chain refused the subscriber, with its reason.
	#[error("refused by the chain: {0}")]
	Chain(String),
}

impl LineError {
	/// A JSON error with every value it quotes left out (serde_json
	/// quotes the value it did not expect, and that may be a password):
	/// only field names stay.
	pub(crate) fn json(e: &serde_json::Error) -> LineError {
		let message = e.to_string();
		let mut text = String::with_capacity(message.len());
		let mut closing: Option<(char, bool)> = None;
		for c in message.chars() {
			match closing {
				Some((end, keep)) if c == end => {
					if !keep {
						text.push('…');
					}
					text.push(c);
					closing = None;
				},
				Some((_, keep)) => {
					if keep {
						text.push(c);
					}
				},
				None if c == '"' || c == '`' => {
					closing = Some((c, text.ends_with("field ")));
					text.push(c);
				},
				None => text.push(c),
			}
		}
		LineError::Malformed(text)
	}
}

/// What a refusal names: a line of the import file, or a row of the
/// database an importer reads (by its table and primary key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Record {
	/// A line of the file, from 1.
	Line(u64),
	/// An IMS subscription (FHoSS `imsu.id`).
	Imsu(u64),
	/// A private identity that belongs to no subscription (`impi.id`).
	Impi(u64),
	/// A public identity linked to no private identity (`impu.id`).
	Impu(u64),
	/// An application server (`application_server.id`).
	ApplicationServer(u64),
	/// Charging information (`charging_info.id`).
	ChargingInfo(u64),
	/// A shared iFC set (`shared_ifc_set.id_set`).
	SharedIfcSet(u64),
	/// A service profile (`sp.id`).
	Sp(u64),
	/// A PyHSS IMS subscriber (`ims_subscriber.ims_subscriber_id`).
	ImsSubscriber(u64),
}

impl std::fmt::Display for Record {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Record::Line(n) => write!(f, "line {n}"),
			Record::Imsu(n) => write!(f, "imsu {n}"),
			Record::Impi(n) => write!(f, "impi {n}"),
			Record::Impu(n) => write!(f, "impu {n}"),
			Record::ApplicationServer(n) => write!(f, "application_server {n}"),
			Record::ChargingInfo(n) => write!(f, "charging_info {n}"),
			Record::SharedIfcSet(n) => write!(f, "shared_ifc_set {n}"),
			Record::Sp(n) => write!(f, "sp {n}"),
			Record::ImsSubscriber(n) => write!(f, "ims_subscriber {n}"),
		}
	}
}

/// A line (or source record) the import did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
	/// Which.
	pub record: Record,
	/// Why.
	pub reason: LineError,
}

impl std::fmt::Display for Refusal {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{}: {}", self.record, self.reason)
	}
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
	/// Subscriber lines read.
	pub lines: u64,
	/// Subscribers now in the vault and in the chain's finalized state.
	pub added: u64,
	/// Lines whose subscriber an earlier run had imported.
	pub already: u64,
	/// Lines refused, in line order.
	pub refused: Vec<Refusal>,
	/// Realm service data objects an importer put on chain.
	pub services_stored: u64,
	/// Realm service data objects the realm already held as the source has
	/// them.
	pub services_unchanged: u64,
	/// What an importer could not carry over from a record it imported
	/// (a scheme the ledger does not offer, say), one sentence each.
	pub notes: Vec<String>,
	/// Pending marks of an earlier, interrupted run: subscribers the chain
	/// held (settled) and subscribers it did not (erased from the vault).
	pub settled: u64,
	/// See `settled`.
	pub erased: u64,
	/// Subscribers in the vault whose call may still land: the next run
	/// settles them.
	pub left: u64,
	/// Stopped before the end of the file (Ctrl-C).
	pub interrupted: bool,
	/// Time spent writing the vault.
	pub vault_time: Duration,
	/// From the first call sent to the chain to the last one finalized.
	pub chain_time: Duration,
	/// The whole run.
	pub total_time: Duration,
}

impl Summary {
	/// What the run did, in a few lines; with the refused lines after it
	/// (the first `most` of them) when `most` is given.
	pub fn report(&self, most: Option<usize>) -> String {
		let mut out = format!(
			"{} subscriber lines: {} added, {} already imported, {} refused\n",
			self.lines,
			self.added,
			self.already,
			self.refused.len()
		);
		if self.added > 0 {
			let rate = |time: Duration| self.added as f64 / time.as_secs_f64().max(0.001);
			out.push_str(&format!(
				"{:.1} s: {:.0} subscribers/s end to end; vault {:.0}/s ({:.1} s writing), chain {:.0}/s ({:.1} s from the first call to the last finalized)\n",
				self.total_time.as_secs_f64(),
				rate(self.total_time),
				rate(self.vault_time),
				self.vault_time.as_secs_f64(),
				rate(self.chain_time),
				self.chain_time.as_secs_f64(),
			));
		}
		if self.services_stored + self.services_unchanged > 0 {
			out.push_str(&format!(
				"realm service data: {} objects put, {} already there\n",
				self.services_stored, self.services_unchanged
			));
		}
		if self.settled + self.erased > 0 {
			out.push_str(&format!(
				"an earlier run's unfinished calls: {} subscribers landed, {} erased from the vault\n",
				self.settled, self.erased
			));
		}
		if self.left > 0 {
			out.push_str(&format!(
				"{} subscribers may still reach the chain: run the import again to settle them\n",
				self.left
			));
		}
		if !self.notes.is_empty() {
			out.push_str(&format!(
				"{} notes of what the ledger could not keep of imported records\n",
				self.notes.len()
			));
		}
		if self.interrupted {
			out.push_str("interrupted: run the import again to go on (what landed is skipped)\n");
		}
		if let Some(most) = most {
			for refusal in self.refused.iter().take(most) {
				out.push_str(&format!("{refusal}\n"));
			}
			if self.refused.len() > most {
				out.push_str(&format!("and {} more refused lines\n", self.refused.len() - most));
			}
			for note in self.notes.iter().take(most) {
				out.push_str(&format!("{note}\n"));
			}
			if self.notes.len() > most {
				out.push_str(&format!("and {} more notes\n", self.notes.len() - most));
			}
		}
		out
	}

	/// Whether every line is in the vault and on chain.
	pub fn complete(&self) -> bool {
		self.refused.is_empty() && !self.interrupted && self.left == 0
	}
}

/// Why a run stopped before the end of the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
	/// The file cannot be opened or read.
	#[error("{path}: {source}")]
	File {
		/// The file.
		path: String,
		/// Why.
		#[source]
		source: std::io::Error,
	},
	/// The first line is not a version-1 header.
	#[error("line 1: {0}")]
	Header(LineError),
	/// The vault failed.
	#[error("vault: {0}")]
	Vault(#[from] VaultError),
	/// The chain could not be read or written.
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	/// Subscribers an interrupted run left in the vault may still reach
	/// the chain; the next run settles them first.
	#[error("{0} subscribers of an earlier run may still reach the chain; run the import again in a few minutes")]
	Unsettled(usize),
	/// An importer could not read the HSS it imports from.
	#[error("{0}")]
	Source(#[from] SourceError),
	/// A worker task failed.
	#[error("import task: {0}")]
	Task(String),
}

/// How a run batches and pipelines.
#[derive(Clone, Copy, Debug)]
pub struct Options {
	/// Subscribers per `import_subscribers` call (at most the runtime's
	/// `MaxImportSubscribers`, which is used when `None`).
	pub batch: Option<usize>,
	/// Calls submitted together under consecutive nonces, meant to share a
	/// block; `None`: as many as fill one (`budget::limit`).
	pub calls_per_round: Option<usize>,
	/// Rounds awaiting finality side by side.
	pub rounds_in_flight: usize,
}

impl Default for Options {
	fn default() -> Self {
		// A round fills a block; three rounds in flight keep one block
		// being built while the last ones are finalized.
		Options { batch: None, calls_per_round: None, rounds_in_flight: 3 }
	}
}

/// Imports `source` into `vault` and the chain, signing with `signer`.
/// Pending marks of an interrupted run are settled first. `stop`
/// interrupts: no line is read after it, the calls in flight are
/// followed to their end, and what they leave pending is settled.
pub async fn run(
	client: &Client,
	signer: &Keypair,
	vault: Arc<Vault>,
	source: &Source,
	options: Options,
	progress: Arc<dyn Progress>,
	stop: CancellationToken,
) -> Result<Summary, ImportError> {
	let started = Instant::now();
	let mut summary = Summary::default();
	let earlier = settle::pending(client, &vault, progress.as_ref()).await?;
	summary.settled = earlier.landed.len() as u64;
	summary.erased = earlier.erased.len() as u64;
	if earlier.left > 0 {
		// Their lines would be refused as repeats: wait for the next run.
		return Err(ImportError::Unsettled(earlier.left));
	}
	let (lines, importer) = match source {
		Source::File(path) => (reader::Lines::open(Path::new(path))?, None),
		Source::Fhoss(url) => {
			let (lines, importer, put) =
				fhoss::open(url, (client, signer), progress.clone()).await?;
			(summary.services_stored, summary.services_unchanged) = (put.stored, put.unchanged);
			summary.refused.extend(put.refused);
			summary.notes.extend(put.notes);
			(lines, Some(importer))
		},
		Source::Open5gs { path, placement } => {
			let (lines, importer) =
				open5gs::open(Path::new(path), placement.clone(), progress.clone())?;
			(lines, Some(importer))
		},
		Source::Pyhss { url, placement } => {
			let (lines, importer) = pyhss::open(url, placement.clone(), progress.clone()).await?;
			(lines, Some(importer))
		},
	};
	progress.start(lines.count_hint());
	let limit = budget::limit(client, options.batch, options.calls_per_round).await?;
	tracing::debug!(?limit, "import calls sized");
	let options = Options { calls_per_round: Some(limit.per_round), ..options };
	let (batches, planner) =
		plan::spawn(client.clone(), vault.clone(), lines, limit, progress.clone(), stop.clone());
	let submitter =
		submit::Submitter::new(client, signer, vault.clone(), options, progress.clone());
	let submitted = submitter.drain(batches).await;
	let planned = planner.await.map_err(|e| ImportError::Task(e.to_string()))??;
	let submitted = submitted?;
	if let Some(importer) = importer {
		summary.notes.extend(importer.await.map_err(|e| ImportError::Task(e.to_string()))?);
	}
	summary.vault_time = planned.vault_time;
	summary.chain_time = submitted.chain_time;
	summary.lines = planned.lines;
	summary.already = planned.already;
	summary.added = submitted.added;
	summary.refused = planned.refused;
	summary.refused.extend(submitted.refused);
	summary.interrupted = stop.is_cancelled();
	// What the run left pending: calls whose fate it could not learn.
	let last = settle::pending(client, &vault, progress.as_ref()).await?;
	summary.added += last.landed.len() as u64;
	summary.left = last.left as u64;
	let erased: HashSet<_> = last.erased.into_iter().collect();
	for (handle, refusal) in submitted.unresolved {
		if erased.contains(&handle) {
			progress.refused(&refusal);
			summary.refused.push(refusal);
		}
	}
	summary.refused.sort_by_key(|r| r.record);
	summary.total_time = started.elapsed();
	progress.finish(&summary);
	Ok(summary)
}
