//! The node service: client, transaction pool, network, Aura and GRANDPA.

use std::{sync::Arc, time::Duration};

use futures::FutureExt;
use ims_runtime::{apis::RuntimeApi, opaque::Block};
use sc_client_api::{Backend, BlockBackend};
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_network_sync::SyncingService;
use sc_network_transactions::TransactionsHandlerController;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryHandle, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sc_utils::mpsc::TracingUnboundedSender;
use sp_consensus_aura::sr25519::{AuthorityId as AuraId, AuthorityPair as AuraPair};
use sp_keystore::KeystorePtr;
use substrate_prometheus_endpoint::Registry;

/// The client of this node: the runtime runs in Wasm only.
pub(crate) type FullClient = sc_service::TFullClient<
	Block,
	RuntimeApi,
	sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>,
>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type GrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
type Hash = <Block as sp_runtime::traits::Block>::Hash;
type TransactionPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
type GrandpaLinkHalf = sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>;
/// The audit trail's index over the node's offchain database.
type AuditIndex = crate::audit::AuditIndex<<FullBackend as Backend<Block>>::OffchainStorage>;

/// A GRANDPA justification is produced and stored at least every this many
/// blocks (about 17 minutes at 2-second blocks), so that warp sync and light
/// clients can prove finality without replaying every round.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// How many blocks behind its best block a validator votes in GRANDPA.
/// Substrate's default is 2, a margin against voting for a block the other
/// voters have not seen yet. The validators here are a few operators'
/// machines on good links with 2-second slots, and the bridge answers from
/// finalized state, so finality latency is the latency of every change an
/// HSS front sees: one block of margin (2 s) is kept. `benches/` measures
/// both settings (README, Figures).
const GRANDPA_VOTE_BEHIND_BEST: u32 = 1;

/// Components shared by the full node and the maintenance sub-commands.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	TransactionPool,
	(GrandpaBlockImport, GrandpaLinkHalf, Option<Telemetry>),
>;

/// Inherent data for a block at `timestamp`: the timestamp and its Aura slot.
fn slot_inherents(
	slot_duration: sp_consensus_aura::SlotDuration,
) -> (sp_consensus_aura::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider) {
	let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
	let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
		*timestamp,
		slot_duration,
	);
	(slot, timestamp)
}

/// Telemetry to the configured endpoints, if any: the worker to spawn and
/// its handle.
fn telemetry(config: &Configuration) -> Result<Option<(TelemetryWorker, Telemetry)>, ServiceError> {
	let endpoints = match config.telemetry_endpoints.clone() {
		Some(endpoints) if !endpoints.is_empty() => endpoints,
		_ => return Ok(None),
	};
	let worker = TelemetryWorker::new(16)?;
	let telemetry = worker.handle().new_telemetry(endpoints);
	Ok(Some((worker, telemetry)))
}

/// Builds the client, database, import queue and transaction pool.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = telemetry(config)?;
	let executor = sc_service::new_wasm_executor::<sp_io::SubstrateHostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	let import_queue = import_queue(
		config,
		&client,
		&grandpa_block_import,
		&task_manager,
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (grandpa_block_import, grandpa_link, telemetry),
	})
}

/// Aura's import queue: it checks each block's slot and author, then imports
/// it through GRANDPA (which takes the justifications too).
fn import_queue(
	config: &Configuration,
	client: &Arc<FullClient>,
	block_import: &GrandpaBlockImport,
	task_manager: &TaskManager,
	telemetry: Option<TelemetryHandle>,
) -> Result<sc_consensus::DefaultImportQueue<Block>, ServiceError> {
	let cidp_client = client.clone();
	let queue = sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
		block_import: block_import.clone(),
		justification_import: Some(Box::new(block_import.clone())),
		client: client.clone(),
		create_inherent_data_providers: move |parent_hash, _| {
			let cidp_client = cidp_client.clone();
			async move {
				let slot_duration =
					sc_consensus_aura::standalone::slot_duration_at(&*cidp_client, parent_hash)?;
				Ok(slot_inherents(slot_duration))
			}
		},
		spawner: &task_manager.spawn_essential_handle(),
		registry: config.prometheus_registry(),
		check_for_equivocation: Default::default(),
		telemetry,
		compatibility_mode: Default::default(),
	})?;
	Ok(queue)
}

/// Builds and starts the full node; returns its task manager.
pub fn new_full<N: sc_network::NetworkBackend<Block, Hash>>(
	config: Configuration,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		task_manager: mut tasks,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool: pool,
		other: (block_import, link, mut telemetry),
	} = new_partial(&config)?;

	let network =
		start_network::<N>(&config, &client, &backend, &pool, import_queue, &link, &tasks)?;
	if config.offchain_worker.enabled {
		let keystore = keystore_container.keystore();
		start_offchain_workers(&config, &client, &backend, &pool, keystore, &network, &tasks)?;
	}

	let role = config.role;
	let force_authoring = config.force_authoring;
	let enable_grandpa = !config.disable_grandpa;
	let consensus = Consensus {
		client: client.clone(),
		transaction_pool: pool.clone(),
		keystore: role.is_authority().then(|| keystore_container.keystore()),
		sync: network.sync.clone(),
		prometheus: config.prometheus_registry().cloned(),
		telemetry: telemetry.as_ref().map(|x| x.handle()),
	};
	let voter = GrandpaVoter {
		name: config.network.node_name.clone(),
		protocol_name: network.grandpa_protocol_name,
		notification_service: network.grandpa_notification_service,
		shared_voter_state: SharedVoterState::empty(),
		link,
	};

	let audit_index = start_audit_index(&config, &backend, &client, &tasks)?;
	let rpc_builder = rpc_builder(&consensus, &backend, &voter, audit_index);
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: Arc::new(network.service.clone()),
		client,
		keystore: keystore_container.keystore(),
		task_manager: &mut tasks,
		transaction_pool: pool,
		rpc_builder,
		backend,
		system_rpc_tx: network.system_rpc_tx,
		tx_handler_controller: network.tx_handler_controller,
		sync_service: network.sync,
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if role.is_authority() {
		let keystore = keystore_container.keystore();
		start_aura(&consensus, &tasks, keystore, select_chain, block_import, force_authoring)?;
	}
	if enable_grandpa {
		start_grandpa(consensus, &tasks, voter, network.service, role)?;
	}
	Ok(tasks)
}

/// The network service and the handles the node's other parts take from it.
struct Network {
	service: Arc<dyn sc_network::service::traits::NetworkService>,
	system_rpc_tx: TracingUnboundedSender<sc_rpc::system::Request<Block>>,
	tx_handler_controller: TransactionsHandlerController<Hash>,
	sync: Arc<SyncingService<Block>>,
	grandpa_protocol_name: sc_network::ProtocolName,
	grandpa_notification_service: Box<dyn sc_network::NotificationService>,
}

/// Builds the network with GRANDPA's gossip protocol and warp sync from
/// GRANDPA's proofs, and starts it.
fn start_network<N: sc_network::NetworkBackend<Block, Hash>>(
	config: &Configuration,
	client: &Arc<FullClient>,
	backend: &Arc<FullBackend>,
	transaction_pool: &Arc<TransactionPool>,
	import_queue: sc_consensus::DefaultImportQueue<Block>,
	grandpa_link: &GrandpaLinkHalf,
	task_manager: &TaskManager,
) -> Result<Network, ServiceError> {
	let mut net_config = sc_network::config::FullNetworkConfiguration::<Block, Hash, N>::new(
		&config.network,
		config.prometheus_registry().cloned(),
	);
	let metrics = N::register_notification_metrics(config.prometheus_registry());
	let genesis_hash = client
		.block_hash(0)
		.ok()
		.flatten()
		.ok_or_else(|| ServiceError::Other("the database holds no genesis block".into()))?;
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
	let (grandpa_protocol_config, grandpa_notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			grandpa_protocol_name.clone(),
			metrics.clone(),
			net_config.peer_store_handle(),
		);
	net_config.add_notification_protocol(grandpa_protocol_config);
	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	// The bitswap (IPFS) handle is unused: this node serves no IPFS content.
	let (service, system_rpc_tx, tx_handler_controller, sync, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;
	Ok(Network {
		service,
		system_rpc_tx,
		tx_handler_controller,
		sync,
		grandpa_protocol_name,
		grandpa_notification_service,
	})
}

/// Starts the runtime's offchain workers (`--offchain-worker`), without
/// HTTP requests.
fn start_offchain_workers(
	config: &Configuration,
	client: &Arc<FullClient>,
	backend: &Arc<FullBackend>,
	transaction_pool: &Arc<TransactionPool>,
	keystore: KeystorePtr,
	network: &Network,
	task_manager: &TaskManager,
) -> Result<(), ServiceError> {
	let workers = sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
		runtime_api_provider: client.clone(),
		is_validator: config.role.is_authority(),
		keystore: Some(keystore),
		offchain_db: backend.offchain_storage(),
		transaction_pool: Some(OffchainTransactionPoolFactory::new(transaction_pool.clone())),
		network_provider: Arc::new(network.service.clone()),
		enable_http_requests: false,
		custom_extensions: |_| vec![],
	})?;
	task_manager.spawn_handle().spawn(
		"offchain-workers-runner",
		"offchain-worker",
		workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
	);
	Ok(())
}

/// What block authoring, the GRANDPA voter and the RPC methods share.
struct Consensus {
	client: Arc<FullClient>,
	transaction_pool: Arc<TransactionPool>,
	/// The keys an authority votes with; `None` on a node that only follows.
	keystore: Option<KeystorePtr>,
	sync: Arc<SyncingService<Block>>,
	prometheus: Option<Registry>,
	telemetry: Option<TelemetryHandle>,
}

/// What the GRANDPA voter (and its RPC methods) start from.
struct GrandpaVoter {
	name: String,
	protocol_name: sc_network::ProtocolName,
	notification_service: Box<dyn sc_network::NotificationService>,
	shared_voter_state: SharedVoterState,
	link: GrandpaLinkHalf,
}

/// Opens the audit trail's per-subject index and spawns its indexer.
///
/// The trail's batches are in the offchain database, which a full node
/// always has; the index is a database of its own next to the chain's.
fn start_audit_index(
	config: &Configuration,
	backend: &Arc<FullBackend>,
	client: &Arc<FullClient>,
	task_manager: &TaskManager,
) -> Result<AuditIndex, ServiceError> {
	let offchain = backend.offchain_storage().ok_or_else(|| {
		ServiceError::Other("the database has no offchain storage for the audit index".into())
	})?;
	let index_path = config
		.database
		.path()
		.and_then(std::path::Path::parent)
		.map(|chain_dir| chain_dir.join("ims-audit-index"))
		.ok_or_else(|| {
			ServiceError::Other("the database has no path for the audit index".into())
		})?;
	let audit_index =
		crate::audit::AuditIndex::open(&index_path, offchain).map_err(ServiceError::Other)?;
	task_manager.spawn_handle().spawn_blocking(
		"ims-audit-index",
		Some("ims-audit"),
		crate::audit::run_indexer(client.clone(), audit_index.clone()),
	);
	Ok(audit_index)
}

/// The RPC methods of `crate::rpc`; GRANDPA's read the voter's state and
/// authority set.
fn rpc_builder(
	consensus: &Consensus,
	backend: &Arc<FullBackend>,
	voter: &GrandpaVoter,
	audit: AuditIndex,
) -> Box<dyn Fn(sc_rpc::SubscriptionTaskExecutor) -> Result<jsonrpsee::RpcModule<()>, ServiceError>>
{
	let client = consensus.client.clone();
	let pool = consensus.transaction_pool.clone();
	let shared_voter_state = voter.shared_voter_state.clone();
	let shared_authority_set = voter.link.shared_authority_set().clone();
	let justification_stream = voter.link.justification_stream();
	let finality_provider = sc_consensus_grandpa::FinalityProofProvider::new_for_service(
		backend.clone(),
		Some(shared_authority_set.clone()),
	);
	Box::new(move |subscription_executor| {
		let deps = crate::rpc::FullDeps {
			client: client.clone(),
			pool: pool.clone(),
			audit: audit.clone(),
			grandpa: crate::rpc::GrandpaDeps {
				shared_voter_state: shared_voter_state.clone(),
				shared_authority_set: shared_authority_set.clone(),
				justification_stream: justification_stream.clone(),
				subscription_executor,
				finality_provider: finality_provider.clone(),
			},
		};
		crate::rpc::create_full(deps).map_err(Into::into)
	})
}

/// Starts Aura block authoring, an essential task: if it fails, the node
/// stops.
fn start_aura(
	consensus: &Consensus,
	task_manager: &TaskManager,
	keystore: KeystorePtr,
	select_chain: FullSelectChain,
	block_import: GrandpaBlockImport,
	force_authoring: bool,
) -> Result<(), ServiceError> {
	let client = consensus.client.clone();
	let proposer_factory = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		consensus.transaction_pool.clone(),
		consensus.prometheus.as_ref(),
		consensus.telemetry.clone(),
	);
	let slot_duration = sc_consensus_aura::slot_duration::<AuraId, _, _>(&*client)?;
	let aura =
		sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(StartAuraParams {
			slot_duration,
			client,
			select_chain,
			block_import,
			proposer_factory,
			create_inherent_data_providers: move |_, ()| async move {
				Ok(slot_inherents(slot_duration))
			},
			force_authoring,
			backoff_authoring_blocks: Option::<()>::None,
			keystore,
			sync_oracle: consensus.sync.clone(),
			justification_sync_link: consensus.sync.clone(),
			block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
			max_block_proposal_slot_portion: None,
			telemetry: consensus.telemetry.clone(),
			compatibility_mode: Default::default(),
		})?;
	task_manager.spawn_essential_handle().spawn_blocking("aura", Some("block-authoring"), aura);
	Ok(())
}

/// Starts the GRANDPA voter, an essential task: if it fails, the node stops.
/// Only authorities vote; other nodes follow without a keystore.
fn start_grandpa(
	consensus: Consensus,
	task_manager: &TaskManager,
	voter: GrandpaVoter,
	network: Arc<dyn sc_network::service::traits::NetworkService>,
	role: sc_service::Role,
) -> Result<(), ServiceError> {
	let config = sc_consensus_grandpa::Config {
		gossip_duration: Duration::from_millis(333),
		justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
		name: Some(voter.name),
		observer_enabled: false,
		keystore: consensus.keystore,
		local_role: role,
		telemetry: consensus.telemetry.clone(),
		protocol_name: voter.protocol_name,
	};
	let params = sc_consensus_grandpa::GrandpaParams {
		config,
		link: voter.link,
		network,
		sync: consensus.sync,
		notification_service: voter.notification_service,
		voting_rule: sc_consensus_grandpa::VotingRulesBuilder::new()
			.add(sc_consensus_grandpa::BeforeBestBlockBy(GRANDPA_VOTE_BEHIND_BEST))
			.add(sc_consensus_grandpa::ThreeQuartersOfTheUnfinalizedChain)
			.build(),
		prometheus_registry: consensus.prometheus,
		shared_voter_state: voter.shared_voter_state,
		telemetry: consensus.telemetry,
		offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(consensus.transaction_pool),
	};
	task_manager.spawn_essential_handle().spawn_blocking(
		"grandpa-voter",
		None,
		sc_consensus_grandpa::run_grandpa_voter(params)?,
	);
	Ok(())
}
