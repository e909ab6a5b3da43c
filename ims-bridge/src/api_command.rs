//! `ims-bridge api token create|list|revoke`: the provisioning API's
//! tokens, in the file `[api] tokens` names. A running bridge reads the
//! file again on its next request, so no restart is needed.

use clap::Subcommand;
use ims_bridge::api::tokens::{self, TokenRecord};
use ims_bridge::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ApiCommand {
	/// Issue, list or revoke API tokens.
	Token {
		#[command(subcommand)]
		action: TokenCommand,
	},
}

#[derive(Subcommand)]
pub enum TokenCommand {
	/// Issue a token for an on-chain account; the token is printed once.
	Create {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
		/// What to call it (shown by `list`).
		#[arg(long)]
		name: String,
		/// The account the bridge acts for with it (SS58). It must appoint
		/// the bridge's account as its agent (`access.appoint_agent`).
		#[arg(long)]
		account: String,
		/// Days until it expires (default: until revoked).
		#[arg(long)]
		expires_in_days: Option<u32>,
	},
	/// List the tokens (never their secrets).
	List {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
	},
	/// Revoke a token by its id.
	Revoke {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
		/// The token's id (16 hex digits, as `list` shows it).
		id: String,
	},
}

fn tokens_file(config: &std::path::Path) -> Result<PathBuf, ExitCode> {
	Config::load(config).map(|c| c.api.tokens).map_err(|e| {
		eprintln!("{e}");
		ExitCode::FAILURE
	})
}

fn state(record: &TokenRecord, now: u64) -> String {
	match (record.revoked, record.expires) {
		(Some(at), _) => format!("revoked at {at}"),
		(None, Some(at)) if now >= at => format!("expired at {at}"),
		(None, Some(at)) => format!("valid until {at}"),
		(None, None) => "valid".into(),
	}
}

/// Runs an `api` command.
pub fn run(command: ApiCommand) -> Result<(), ExitCode> {
	let fail = |e: tokens::TokenError| {
		eprintln!("{e}");
		ExitCode::FAILURE
	};
	let ApiCommand::Token { action } = command;
	match action {
		TokenCommand::Create { config, name, account, expires_in_days } => {
			let path = tokens_file(&config)?;
			let lifetime = expires_in_days.map(|days| u64::from(days) * 86_400);
			let issued = tokens::create(&path, &name, &account, lifetime).map_err(fail)?;
			eprintln!(
				"token {} for {} issued; it is shown this once:",
				issued.record.id, issued.record.account
			);
			println!("{}", issued.token.as_str());
		},
		TokenCommand::List { config } => {
			let now = tokens::now();
			for record in tokens::list(&tokens_file(&config)?).map_err(fail)? {
				println!(
					"{}  {}  {}  created {}  {}",
					record.id,
					record.name,
					record.account,
					record.created,
					state(&record, now)
				);
			}
		},
		TokenCommand::Revoke { config, id } => {
			let record = tokens::revoke(&tokens_file(&config)?, &id).map_err(fail)?;
			println!("token {} ({}) revoked", record.id, record.name);
		},
	}
	Ok(())
}
