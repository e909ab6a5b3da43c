//! The chain side: a reconnecting subxt client with static code generated
//! from `metadata/ims.scale` (checked against the runtime by
//! `tests/metadata.rs`), the follower that keeps the [`Index`] at the
//! finalized head, and the submitter that drains the [`Journal`].
//!
//! Only finalized state is read, and only finalized, successful extrinsics
//! clear the journal.

mod follower;
mod submitter;

pub use follower::{follow, load, Follower};
pub use submitter::{submit, AUDIT_BATCH, AUDIT_PIPELINE};

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
	substitute_type(
		path = "pallet_ims_identity::types::RegistrationUpdate",
		with = "::subxt::utils::Static<crate::journal::RegistrationReport>"
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
	#[error("cannot reach the node at {0}: {1}")]
	Connect(String, String),
	/// A call failed.
	#[error("{0}")]
	Call(String),
}

impl ChainError {
	fn call(e: impl std::fmt::Display) -> Self {
		ChainError::Call(e.to_string())
	}
}

/// Connects to a node's WebSocket RPC with a client that reconnects by
/// itself (exponential backoff from 100 ms up to 10 s).
pub async fn connect(url: &str) -> Result<Client, ChainError> {
	let error = |e: &dyn std::fmt::Display| ChainError::Connect(url.to_string(), e.to_string());
	let rpc = Reconnecting::builder()
		.retry_policy(
			ExponentialBackoff::from_millis(100).max_delay(Duration::from_secs(10)).factor(2),
		)
		.request_timeout(Duration::from_secs(30))
		.build(url)
		.await
		.map_err(|e| error(&e))?;
	Client::from_rpc_client(RpcClient::new(rpc)).await.map_err(|e| error(&e))
}

/// This process's transactions, one at a time (see [`submit_finalized`]).
static SUBMISSIONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Signs `call` with `signer`, submits it at the finalized head and waits
/// until it is finalized and successful.
pub async fn submit_finalized<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &subxt_signer::sr25519::Keypair,
	call: &Call,
) -> Result<(), ChainError> {
	submit_all_finalized(client, signer, std::slice::from_ref(call))
		.await
		.pop()
		.unwrap_or_else(|| Err(ChainError::Call("no transaction submitted".into())))
}

/// Signs `calls` with `signer` under consecutive nonces, submits them all
/// at the finalized head (so they can share a block), then waits for each
/// until it is finalized; returns each one's outcome, in order. A call that
/// could not be submitted ends the run: the calls after it are not sent
/// (their nonces would leave a gap) and report the same error.
pub async fn submit_all_finalized<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &subxt_signer::sr25519::Keypair,
	calls: &[Call],
) -> Vec<Result<(), ChainError>> {
	// One run of this process's transactions at a time: the nonces come
	// from the finalized state, so two runs in flight (the submitter's and
	// an admin command's) would take the same ones.
	let _turn = SUBMISSIONS.lock().await;
	let mut progress = Vec::with_capacity(calls.len());
	let submitted = async {
		let at = client.at_current_block().await.map_err(ChainError::call)?;
		let account: subxt::utils::AccountId32 = signer.public_key().into();
		let first = at.transactions().account_nonce(&account).await.map_err(ChainError::call)?;
		for (nonce, call) in (first..).zip(calls) {
			let params =
				subxt::config::PolkadotExtrinsicParamsBuilder::<Config>::new().nonce(nonce).build();
			let watching = at
				.transactions()
				.sign_and_submit_then_watch(call, signer, params)
				.await
				.map_err(ChainError::call)?;
			progress.push(watching);
		}
		Ok::<(), ChainError>(())
	}
	.await;
	let mut outcomes = Vec::with_capacity(calls.len());
	for watching in progress {
		let outcome = watching.wait_for_finalized_success().await;
		outcomes.push(outcome.map(|_| ()).map_err(ChainError::call));
	}
	if let Err(e) = submitted {
		outcomes.resize_with(calls.len(), || Err(ChainError::Call(e.to_string())));
	}
	outcomes
}
