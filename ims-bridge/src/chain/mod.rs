//! The chain side: a reconnecting subxt client with static code generated
//! from `metadata/ims.scale` (checked against the runtime by
//! `tests/metadata.rs`), the follower that keeps the [`Index`] at the
//! finalized head, and the submitter that drains the [`Journal`].
//!
//! The index reads only finalized state, and only what is finalized
//! clears the journal; the submitter's rounds follow each other once the
//! previous one is in a block, not final.

mod follower;
mod front_records;
mod outcomes;
mod pinned;
mod registrations;
mod reported;
mod snapshots;
mod submitter;

pub use follower::{follow, Follower, Terminated};
pub use registrations::{REGISTRATION_PIPELINE, REGISTRATION_ROUNDS};
pub use snapshots::{keep as keep_snapshots, SnapshotPolicy, Unusable};
pub use submitter::{
	batch_sizes, submit, BatchSizes, SubmitOptions, AUDIT_PIPELINE, IN_FLIGHT_TIMEOUT,
};

use std::sync::Arc;
use std::time::Duration;
use subxt_rpcs::client::reconnecting_rpc_client::{ExponentialBackoff, RpcClient as Reconnecting};
use subxt_rpcs::client::RpcClient;

/// The runtime's interface, generated from the checked-in metadata. The
/// shared types of `ims-primitives` (and the registration report, which
/// has the pallet's layout) are used as they are rather than generated
/// again.
#[subxt::subxt(
	runtime_metadata_path = "metadata/ims.scale",
	substitute_type(
		path = "ims_primitives::ServerAssignmentView",
		with = "::subxt::utils::Static<::ims_primitives::ServerAssignmentView>"
	),
	substitute_type(
		path = "ims_primitives::ServerAssignmentPage",
		with = "::subxt::utils::Static<::ims_primitives::ServerAssignmentPage>"
	),
	substitute_type(
		path = "ims_primitives::LookupError",
		with = "::subxt::utils::Static<::ims_primitives::LookupError>"
	),
	substitute_type(
		path = "ims_primitives::AuthScheme",
		with = "::subxt::utils::Static<::ims_primitives::AuthScheme>"
	),
	substitute_type(
		path = "ims_primitives::AuthSchemes",
		with = "::subxt::utils::Static<::ims_primitives::AuthSchemes>"
	),
	substitute_type(
		path = "ims_primitives::audit::FrontRecord<A>",
		with = "::subxt::utils::Static<::ims_primitives::audit::FrontRecord<A>>"
	),
	// Realm service data is built and compared in the primitives' own
	// types (the FHoSS importer's `services`).
	substitute_type(
		path = "ims_primitives::ApplicationServer",
		with = "::subxt::utils::Static<::ims_primitives::ApplicationServer>"
	),
	substitute_type(
		path = "ims_primitives::ChargingInformation",
		with = "::subxt::utils::Static<::ims_primitives::ChargingInformation>"
	),
	substitute_type(
		path = "ims_primitives::InitialFilterCriterion",
		with = "::subxt::utils::Static<::ims_primitives::InitialFilterCriterion>"
	),
	substitute_type(
		path = "ims_primitives::ServiceProfile",
		with = "::subxt::utils::Static<::ims_primitives::ServiceProfile>"
	),
	substitute_type(
		path = "pallet_ims_identity::types::RegistrationUpdate",
		with = "::subxt::utils::Static<crate::journal::RegistrationReport>"
	),
	// An import call split in two after a refusal sends its subscribers
	// again (`import::submit`).
	derive_for_type(
		path = "pallet_ims_identity::types::SubscriberImport",
		derive = "Clone",
		recursive
	)
)]
pub mod ims {}

/// The chain's configuration: 32-byte accounts, `MultiAddress<_, ()>`,
/// `MultiSignature`, BLAKE2-256, `u32` block numbers.
pub type Config = subxt::PolkadotConfig;
/// A client of the chain.
pub type Client = subxt::OnlineClient<Config>;

/// Why the chain could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// The RPC endpoint could not be reached.
	#[error("cannot reach the node at {url}: {source}")]
	Connect {
		/// The endpoint.
		url: String,
		/// Why it could not be reached.
		#[source]
		source: Box<dyn std::error::Error + Send + Sync>,
	},
	/// A call through the client failed (boxed: subxt's error is large).
	#[error(transparent)]
	Subxt(Box<subxt::Error>),
	/// A value does not decode as the chain's types say.
	#[error("decoding: {0}")]
	Codec(#[from] codec::Error),
	/// The journal, which the submitter drains, failed.
	#[error("journal: {0}")]
	Journal(#[from] crate::journal::JournalError),
	/// The node refused, dropped or failed the transaction, with its
	/// message.
	#[error("transaction refused by the node: {0}")]
	Refused(String),
	/// The transaction reached no block in time.
	#[error("not in a block after {} s", .0.as_secs())]
	NotIncluded(Duration),
	/// The node's stream of finalized blocks ended.
	#[error("the finalized block stream ended")]
	BlocksEnded,
	/// The node stopped reporting the transaction's status.
	#[error("the transaction status stream ended")]
	StatusEnded,
	/// A run was asked to submit nothing.
	#[error("no transaction submitted")]
	NothingSubmitted,
	/// The runtime answered none of the views it was asked for, or more.
	#[error("asked the runtime for {asked} views and got {answered}")]
	ViewCount {
		/// Identities asked for.
		asked: usize,
		/// Views answered.
		answered: usize,
	},
	/// An earlier transaction of the same run could not be submitted, so
	/// this one was not sent (its nonce would have left a gap).
	#[error("not sent: an earlier transaction of the run failed ({0})")]
	EarlierFailed(#[source] Arc<ChainError>),
	/// The transaction is in a finalized block, but whether it succeeded
	/// could not be read from the block.
	#[error("cannot read how block {block:?} ended: {source}")]
	Unconfirmed {
		/// The block.
		block: subxt::utils::H256,
		/// Why it could not be read (shared by its transactions).
		#[source]
		source: Arc<ChainError>,
	},
	/// The node said the transaction is in a block whose body lacks it.
	#[error("transaction {transaction:?} is not in block {block:?}")]
	NotInBlock {
		/// The block.
		block: subxt::utils::H256,
		/// The transaction's hash.
		transaction: subxt::utils::H256,
	},
}

impl ChainError {
	/// A failed subxt call.
	pub(crate) fn subxt(e: impl Into<subxt::Error>) -> Self {
		ChainError::Subxt(Box::new(e.into()))
	}

	/// The pallet, the error's name and its documentation, when the chain
	/// ran the transaction and a pallet refused it.
	pub fn module_error(&self) -> Option<(String, String, String)> {
		use subxt::error::{DispatchError, TransactionEventsError};
		let ChainError::Subxt(error) = self else { return None };
		let subxt::Error::TransactionEventsError(TransactionEventsError::ExtrinsicFailed(
			DispatchError::Module(module),
		)) = error.as_ref()
		else {
			return None;
		};
		let details = module.details().ok()?;
		let docs = details.variant.docs.join(" ");
		Some((details.pallet.name().to_string(), details.variant.name.clone(), docs))
	}
}

/// Keys per `state_getKeysPaged` when the bridge walks a storage map: the
/// most a Substrate node hands out at once.
const STORAGE_PAGE: u32 = 1000;

pub use pinned::{pinned_tls, CaError};

/// Where the node's RPC is (`[chain]`): a `ws://` URL on this host, or a
/// `wss://` URL with the CA its certificate must chain to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
	/// The URL.
	pub url: String,
	/// The CA file, for `wss://`.
	pub ca: Option<std::path::PathBuf>,
}

/// Connects to a node's WebSocket RPC at `url` (`ws://`, or `wss://`
/// trusting the system's roots), as [`connect_to`] does.
pub async fn connect(url: &str) -> Result<Client, ChainError> {
	connect_to(&Endpoint { url: url.to_string(), ca: None }).await
}

/// Connects to a node's WebSocket RPC with a client that reconnects by
/// itself (exponential backoff from 100 ms up to 10 s): subxt's for
/// `ws://`, the bridge's own (`pinned.rs`) for `wss://` with a pinned CA.
///
/// The client speaks the node's classic RPC (`state_call`,
/// `author_submitAndWatchExtrinsic`...), not the `chainHead_v1` family
/// subxt prefers: there every call's answer arrives on the one follow
/// subscription and is copied to each of its listeners, one per watched
/// transaction, so the follower's views of a block were copied hundreds of
/// times, and a bridge at a million subscribers grew by gigabytes while
/// registration reports awaited finality (`docs/submitter.md`, "The
/// node's RPC").
pub async fn connect_to(endpoint: &Endpoint) -> Result<Client, ChainError> {
	let url = &endpoint.url;
	let error = |e| ChainError::Connect { url: url.to_string(), source: e };
	let rpc = match &endpoint.ca {
		Some(ca) => {
			let tls = pinned_tls(ca).map_err(|e| error(Box::new(e)))?;
			RpcClient::new(pinned::PinnedClient::connect(url, tls).await)
		},
		None => RpcClient::new(
			Reconnecting::builder()
				.retry_policy(
					ExponentialBackoff::from_millis(100)
						.max_delay(Duration::from_secs(10))
						.factor(2),
				)
				.request_timeout(Duration::from_secs(30))
				.build(url)
				.await
				.map_err(|e| error(Box::new(e)))?,
		),
	};
	let backend = subxt::backend::LegacyBackend::<Config>::builder()
		.storage_page_size(STORAGE_PAGE)
		.build(rpc);
	Client::from_backend(Arc::new(backend)).await.map_err(|e| error(Box::new(e)))
}

/// This process's transactions take turns here (see [`submit_all`]); it
/// holds the nonce after the last of them known to be in a best block,
/// while that may be ahead of the finalized state's.
static SUBMISSIONS: tokio::sync::Mutex<Option<Turn>> = tokio::sync::Mutex::const_new(None);

/// The nonce after the last run's transactions, whose it is and the block
/// its last transaction reached. A bridge process signs for one account on
/// one chain; a turn whose block the node does not know (its database was
/// replaced, or, in tests, another development chain of the same genesis)
/// is not used: its nonce would leave a gap.
struct Turn {
	account: subxt::utils::AccountId32,
	block: subxt::utils::H256,
	next: u64,
}

/// How long a submitted transaction may take to reach a block before the
/// run is given up (a block comes every few seconds; one that never comes
/// means the node holds the transaction back, e.g. behind a nonce gap).
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// Blocks a transaction stays valid after the finalized block it is built
/// at (subxt's default era; `ims-bridge import` relies on it to know when a
/// lost call can no longer land, `docs/import.md`).
pub const MORTALITY: u64 = 32;

/// How far [`submit_all`] follows its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
	/// Until each is in a best block (included; not yet final, and not
	/// checked for success: the caller reads the chain's state instead).
	InBestBlock,
	/// Until each is finalized and successful.
	Finalized,
}

/// Signs `call` with `signer`, submits it and waits until it is finalized
/// and successful.
pub async fn submit_finalized<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &subxt_signer::sr25519::Keypair,
	call: &Call,
) -> Result<(), ChainError> {
	submit_all(client, signer, std::slice::from_ref(call), Until::Finalized)
		.await
		.pop()
		.unwrap_or(Err(ChainError::NothingSubmitted))
		.map(|_| ())
}

/// Signs `calls` with `signer` under consecutive nonces, submits them all
/// (so they can share a block), then follows each as `until` says; returns
/// each one's outcome, in order: the block it is in (the best block it
/// reached, or the finalized block it is in). A call that could not be submitted ends
/// the run: the calls after it are not sent (their nonces would leave a
/// gap) and report the same error.
///
/// Runs take turns until their transactions are in a best block; the next
/// run's nonces follow them (the finalized state's nonce, or the one after
/// the last run's transactions if that is ahead), so runs may await
/// finality side by side (the submitter's registration reports and audit
/// batches, an admin command's import). After a run that did not reach a
/// block whole, the next starts again from the finalized state's nonce
/// (until finality catches up the node may refuse it as outdated; the
/// callers retry).
pub async fn submit_all<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &subxt_signer::sr25519::Keypair,
	calls: &[Call],
	until: Until,
) -> Vec<Result<subxt::utils::H256, ChainError>> {
	// Nothing to send leaves the turn as it was: a run with no block would
	// send the next one back to the finalized nonce.
	if calls.is_empty() {
		return Vec::new();
	}
	let mut turn = SUBMISSIONS.lock().await;
	let account: subxt::utils::AccountId32 = signer.public_key().into();
	let mut progress = Vec::with_capacity(calls.len());
	let mut first = 0;
	// Ok(Some(reason)): the pool turned a call away on submission.
	let submitted = async {
		let at = client.at_current_block().await.map_err(ChainError::subxt)?;
		let finalized =
			at.transactions().account_nonce(&account).await.map_err(ChainError::subxt)?;
		let mut floor = 0;
		if let Some(last) = turn.as_ref().filter(|t| t.account == account) {
			if client.at_block(last.block).await.is_ok() {
				floor = last.next;
			} else {
				tracing::warn!(block = ?last.block, "the node does not know the block of this process's last transaction; nonces from the finalized state");
			}
		}
		first = finalized.max(floor);
		// Signed here, not by subxt's `sign_and_submit`, which asks the node
		// for the account's nonce again for every transaction: a round of 64
		// spent a second on it and straddled two blocks (`docs/submitter.md`).
		let (number, hash) = (at.block_number(), at.block_hash());
		let mut signed = Vec::with_capacity(calls.len());
		for (nonce, call) in (first..).zip(calls) {
			let params = subxt::config::PolkadotExtrinsicParamsBuilder::<Config>::new()
				.nonce(nonce)
				.mortal_from_unchecked(MORTALITY, number, hash)
				.build();
			let mut signable = at
				.transactions()
				.create_signable_offline(call, params)
				.map_err(ChainError::subxt)?;
			signed.push(signable.sign(signer).map_err(ChainError::subxt)?);
		}
		for transaction in signed {
			match transaction.submit_and_watch().await {
				Ok(watching) => progress.push(watching),
				Err(e) => match pool_refusal(&e) {
					Some(reason) => return Ok(Some(reason)),
					None => return Err(ChainError::subxt(e)),
				},
			}
		}
		Ok::<Option<String>, ChainError>(None)
	}
	.await;
	// Each in a best block (or failed) before the next run may read nonces.
	let mut included = Vec::with_capacity(progress.len());
	for watching in progress {
		included.push(in_best_block(watching).await);
	}
	let whole = matches!(submitted, Ok(None)) && included.iter().all(Result::is_ok);
	let last_block = included.last().and_then(|i| i.as_ref().ok()).map(Included::block);
	*turn = match last_block {
		Some(block) if whole => {
			Some(Turn { account, block, next: first.saturating_add(calls.len() as u64) })
		},
		_ => None,
	};
	drop(turn);
	let mut outcomes = match until {
		Until::InBestBlock => {
			included.into_iter().map(|state| state.map(|included| included.block())).collect()
		},
		Until::Finalized => {
			let mut finalized = Vec::with_capacity(included.len());
			for state in included {
				finalized.push(match state {
					Ok(included) => included.finalized().await,
					Err(e) => Err(e),
				});
			}
			outcomes::outcomes(client, finalized).await
		},
	};
	let earlier = match submitted {
		Err(e) => Some(Arc::new(e)),
		Ok(Some(reason)) => {
			outcomes.push(Err(ChainError::Refused(reason.clone())));
			Some(Arc::new(ChainError::Refused(reason)))
		},
		Ok(None) => None,
	};
	if let Some(e) = earlier {
		outcomes.resize_with(calls.len(), || Err(ChainError::EarlierFailed(e.clone())));
	}
	outcomes
}

/// The transaction pool's reason when it turned a transaction away on
/// submission (the author RPC's errors 1010 to 1020, e.g. "Invalid
/// Transaction: Transaction would exhaust the block limits"); `None` for
/// any other failure, after which the transaction may not have been seen.
fn pool_refusal(error: &subxt::error::ExtrinsicError) -> Option<String> {
	use subxt::error::{BackendError, ExtrinsicError, RpcError};
	let ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(RpcError::ClientError(
		subxt_rpcs::Error::User(user),
	))) = error
	else {
		return None;
	};
	refusal_text(user)
}

/// "message: data" of a transaction pool error (codes 1010 to 1020 of
/// `sc-rpc-api`'s author errors).
fn refusal_text(user: &subxt_rpcs::UserError) -> Option<String> {
	if !(1010..=1020).contains(&user.code) {
		return None;
	}
	let data = user
		.data
		.as_ref()
		.map(|raw| serde_json::from_str::<String>(raw.get()).unwrap_or_else(|_| raw.get().into()));
	Some(match data {
		Some(data) => format!("{}: {data}", user.message),
		None => user.message.clone(),
	})
}

type AtBlock = subxt::client::OnlineClientAtBlockImpl<Config>;
type Progress = subxt::transactions::TransactionProgress<Config, AtBlock>;

/// Where a transaction stands once it has reached a block.
enum Included {
	/// In a best block (its hash); its progress goes on.
	Best(Progress, subxt::utils::H256),
	/// Already in a finalized block.
	Final(subxt::transactions::TransactionInBlock<Config, AtBlock>),
}

impl Included {
	/// The block the transaction is in.
	fn block(&self) -> subxt::utils::H256 {
		match self {
			Included::Best(_, block) => *block,
			Included::Final(in_block) => in_block.block_hash(),
		}
	}

	/// Follows the transaction until its block is finalized.
	async fn finalized(self) -> Result<outcomes::Finalized, ChainError> {
		let in_block = match self {
			Included::Best(watching, _) => {
				watching.wait_for_finalized().await.map_err(ChainError::subxt)?
			},
			Included::Final(in_block) => in_block,
		};
		Ok(outcomes::Finalized {
			block: in_block.block_hash(),
			transaction: in_block.extrinsic_hash(),
		})
	}
}

/// Follows a transaction until it is in a block, for at most
/// [`INCLUSION_TIMEOUT`].
async fn in_best_block(watching: Progress) -> Result<Included, ChainError> {
	tokio::time::timeout(INCLUSION_TIMEOUT, follow_to_block(watching))
		.await
		.unwrap_or(Err(ChainError::NotIncluded(INCLUSION_TIMEOUT)))
}

async fn follow_to_block(mut watching: Progress) -> Result<Included, ChainError> {
	use subxt::transactions::TransactionStatus as Status;
	loop {
		match watching.next().await {
			Some(Ok(Status::InBestBlock(in_block))) => {
				return Ok(Included::Best(watching, in_block.block_hash()))
			},
			Some(Ok(Status::InFinalizedBlock(block))) => return Ok(Included::Final(block)),
			Some(Ok(Status::Error { message }))
			| Some(Ok(Status::Invalid { message }))
			| Some(Ok(Status::Dropped { message })) => return Err(ChainError::Refused(message)),
			Some(Ok(_)) => continue,
			Some(Err(e)) => return Err(ChainError::subxt(e)),
			None => return Err(ChainError::StatusEnded),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::refusal_text;
	use subxt_rpcs::UserError;

	fn user(code: i32, message: &str, data: Option<&str>) -> UserError {
		UserError {
			code,
			message: message.into(),
			data: data.map(|d| serde_json::value::RawValue::from_string(d.into()).unwrap()),
		}
	}

	#[test]
	fn pool_errors_read_as_refusals_with_their_reason() {
		let full = user(
			1010,
			"Invalid Transaction",
			Some("\"Transaction would exhaust the block limits\""),
		);
		assert_eq!(
			refusal_text(&full).as_deref(),
			Some("Invalid Transaction: Transaction would exhaust the block limits")
		);
		assert_eq!(
			refusal_text(&user(1012, "Transaction is temporarily banned", None)).as_deref(),
			Some("Transaction is temporarily banned")
		);
		// Data that is not a string is kept as the node sent it.
		assert_eq!(
			refusal_text(&user(1011, "Unknown Transaction Validity", Some("[1]"))).as_deref(),
			Some("Unknown Transaction Validity: [1]")
		);
		// Other RPC errors say nothing of the pool: the transaction may not
		// have been seen.
		for code in [-32601, -32602, 1002, 1009, 1021] {
			assert_eq!(refusal_text(&user(code, "x", None)), None, "{code}");
		}
	}
}
