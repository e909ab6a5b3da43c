//! The node's JSON-RPC methods beyond Substrate's standard set.
//!
//! `system_*` account nonces, `payment_*` fee queries, GRANDPA's `grandpa_*`
//! methods (round state with the voters' weights, finality proofs,
//! justifications) and the audit trail's `imsAudit_*` methods (see
//! [`crate::audit`]).

use std::sync::Arc;

use ims_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash, Nonce};
use jsonrpsee::RpcModule;
use sc_consensus_grandpa::{
	FinalityProofProvider, GrandpaJustificationStream, SharedAuthoritySet, SharedVoterState,
};
use sc_rpc::SubscriptionTaskExecutor;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What GRANDPA's RPC methods need from the voter.
pub struct GrandpaDeps<B> {
	/// The voter's state, for `grandpa_roundState`.
	pub shared_voter_state: SharedVoterState,
	/// The current authority set.
	pub shared_authority_set: SharedAuthoritySet<Hash, BlockNumber>,
	/// Justifications as blocks are finalized.
	pub justification_stream: GrandpaJustificationStream<Block>,
	/// Runs subscriptions.
	pub subscription_executor: SubscriptionTaskExecutor,
	/// Builds finality proofs.
	pub finality_provider: Arc<FinalityProofProvider<B, Block>>,
}

/// What the RPC methods need from the node.
pub struct FullDeps<C, P, S, B> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// The audit trail's index in the offchain database.
	pub audit: crate::audit::AuditIndex<S>,
	/// GRANDPA's state.
	pub grandpa: GrandpaDeps<B>,
}

/// Builds the RPC module with every node-specific method.
pub fn create_full<C, P, S, B>(
	deps: FullDeps<C, P, S, B>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: sp_block_builder::BlockBuilder<Block>,
	C::Api: ims_primitives::AuditApi<Block, AccountId, BlockNumber>,
	C::Api: ims_primitives::AccessApi<Block, AccountId>,
	P: TransactionPool + 'static,
	S: sp_core::offchain::OffchainStorage + 'static,
	B: sc_client_api::Backend<Block> + Send + Sync + 'static,
	B::State: sc_client_api::StateBackend<sp_runtime::traits::HashingFor<Block>>,
{
	use crate::audit::{ImsAudit, ImsAuditApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_grandpa_rpc::{Grandpa, GrandpaApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, audit, grandpa } = deps;
	let GrandpaDeps {
		shared_voter_state,
		shared_authority_set,
		justification_stream,
		subscription_executor,
		finality_provider,
	} = grandpa;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(ImsAudit::new(client, audit).into_rpc())?;
	module.merge(
		Grandpa::new(
			subscription_executor,
			shared_authority_set,
			shared_voter_state,
			justification_stream,
			finality_provider,
		)
		.into_rpc(),
	)?;

	Ok(module)
}
