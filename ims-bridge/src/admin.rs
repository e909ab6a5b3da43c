//! The admin socket: the `subscriber`, `import` and `vault` commands while
//! the bridge runs.
//!
//! A running bridge holds its vault (redb admits one process at a time), so
//! `ims-bridge subscriber add|remove|show`, `import` and `vault rotate-key`
//! reach it through a Unix socket
//! (`[admin] socket`, `ims-bridge.sock` beside the configuration by
//! default). The socket is created with mode 0600 and a connection from
//! another user than the bridge's own (or root) is refused by its
//! credentials: whoever may use it may already read the vault key.
//!
//! One request per connection: a 4-byte big-endian length and a SCALE
//! [`Request`]; the answer comes back the same way as a [`Response`]. The
//! bridge runs the request with its own vault, chain client and signer,
//! exactly as the command does when no bridge is running.

use crate::chain::Client;
use crate::cx::Cx;
use crate::diameter::peer::Context;
use crate::provision::{self, NewSubscriber};
use crate::vault::Vault;
use codec::{Decode, Encode};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use subxt_signer::sr25519::Keypair;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

/// The largest request or response accepted.
pub const MAX_FRAME: usize = 64 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What a command asks.
#[derive(Encode, Decode)]
pub enum Request {
	/// `subscriber add`.
	Add(NewSubscriber),
	/// `subscriber remove <identity>`.
	Remove(String),
	/// `subscriber show <identity>`.
	Show(String),
	/// `import`: what to import (a file by its absolute path, or a
	/// database by its URL: the bridge reads it) and the batch size asked
	/// for.
	Import {
		/// The source.
		source: crate::import::Source,
		/// Subscribers per call (`None`: the runtime's most).
		batch: Option<u32>,
	},
	/// `vault rotate-key`: the absolute path of the new key's file (the
	/// bridge reads it; a key never travels through the socket).
	RotateKey(String),
}

/// Refused lines an import's answer lists (the bridge's log has them all):
/// the answer must fit in [`MAX_FRAME`].
const IMPORT_REFUSALS_ANSWERED: usize = 200;

/// What the command prints, and whether it succeeded.
#[derive(Debug, PartialEq, Eq, Encode, Decode)]
pub struct Response {
	/// Success.
	pub ok: bool,
	/// The text to print (on stdout if `ok`, else on stderr).
	pub output: String,
}

impl Response {
	fn failed(output: impl ToString) -> Response {
		Response { ok: false, output: output.to_string() }
	}
}

/// Runs a request against a vault, a chain and a signer: what the bridge
/// does for the socket's clients and the command does alone. `cx` is the
/// running bridge's Cx service: a subscriber it removes keeps the names
/// its RTR needs (see [`Cx::keep_for_termination`]); without a running
/// bridge no S-CSCF is connected to be told.
pub async fn execute(
	client: &Client,
	signer: &Keypair,
	vault: &Arc<Vault>,
	cx: Option<&Cx>,
	request: Request,
	stop: &CancellationToken,
) -> Response {
	let outcome = match request {
		Request::Add(new) => match provision::add(client, signer, vault, new).await {
			Ok(added) => provision::show(client, &added).await,
			Err(e) => Err(e),
		},
		Request::Remove(identity) => {
			let keep = |subscriber: &crate::vault::Subscriber| {
				if let Some(cx) = cx {
					let kept = cx.keep_for_termination(subscriber);
					tracing::info!(registered = kept, "subscriber leaving; RTR targets kept");
				}
			};
			provision::remove(client, (signer, &provision::Author::Bridge), vault, &identity, keep)
				.await
				.map(|removed| {
					format!(
						"subscription {} erased on chain and in the vault\n",
						removed.subscription
					)
				})
		},
		Request::Show(identity) => match provision::find(vault, &identity) {
			Ok(Some(found)) => provision::show(client, &found).await,
			Ok(None) => {
				Err(provision::ProvisionError::Invalid(format!("{identity} is not in the vault")))
			},
			Err(e) => Err(e),
		},
		Request::Import { source, batch } => {
			return import(client, signer, vault, (&source, batch), stop.clone()).await
		},
		Request::RotateKey(path) => return rotate_key(vault, Path::new(&path)).await,
	};
	match outcome {
		Ok(output) => Response { ok: true, output },
		Err(e) => Response::failed(e),
	}
}

/// `vault rotate-key`: the vault's data keys re-wrapped under the key in
/// `path`, on the blocking pool while Cx goes on (`docs/vault.md`).
pub async fn rotate_key(vault: &Arc<Vault>, path: &Path) -> Response {
	let new = match crate::vault::VaultKey::from_file(path) {
		Ok(new) => new,
		Err(e) => return Response::failed(e),
	};
	let vault = vault.clone();
	match tokio::task::spawn_blocking(move || vault.rotate_key(&new)).await {
		Ok(Ok(rewrapped)) => Response {
			ok: true,
			output: format!(
				"{rewrapped} data keys re-wrapped: only the key in {} opens the vault now; point \
				 [vault] key_file (or key_env) at it before the bridge starts again\n",
				path.display()
			),
		},
		Ok(Err(e)) => Response::failed(format!("vault key not rotated: {e}")),
		Err(e) => Response::failed(format!("vault key rotation stopped: {e}")),
	}
}

/// An import run by the bridge: progress in its log, the summary and the
/// first refused lines in the answer. `stop` (the bridge's shutdown)
/// interrupts it as Ctrl-C does the command's.
async fn import(
	client: &Client,
	signer: &Keypair,
	vault: &Arc<Vault>,
	(source, batch): (&crate::import::Source, Option<u32>),
	stop: CancellationToken,
) -> Response {
	let options = crate::import::Options { batch: batch.map(|b| b as usize), ..Default::default() };
	let progress = Arc::new(crate::import::Lines::log());
	tracing::info!(source = %source.describe(), "import started");
	match crate::import::run(client, signer, vault.clone(), source, options, progress, stop).await {
		Ok(summary) => Response {
			ok: summary.complete(),
			output: summary.report(Some(IMPORT_REFUSALS_ANSWERED)),
		},
		Err(e) => Response::failed(e),
	}
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
	/// The peer announced more than [`MAX_FRAME`].
	#[error("frame of {0} bytes is beyond the limit of {MAX_FRAME}")]
	TooLong(usize),
	/// The connection failed or closed early.
	#[error("connection: {0}")]
	Io(#[from] std::io::Error),
	/// The bytes are not the expected message.
	#[error("malformed message: {0}")]
	Malformed(#[from] codec::Error),
	/// Bytes follow the message.
	#[error("{0} bytes after the message")]
	Trailing(usize),
}

/// Reads one frame (a 4-byte big-endian length, then that many bytes of
/// SCALE) and decodes it whole: a frame beyond [`MAX_FRAME`], one that does
/// not decode, or one with bytes left over is refused. Public for the fuzz
/// target `ims-bridge/fuzz/fuzz_targets/admin.rs`.
pub async fn read_frame<T: Decode, R: AsyncRead + Unpin>(stream: &mut R) -> Result<T, FrameError> {
	let mut length = [0u8; 4];
	stream.read_exact(&mut length).await?;
	let length = u32::from_be_bytes(length) as usize;
	if length > MAX_FRAME {
		return Err(FrameError::TooLong(length));
	}
	let mut bytes = vec![0u8; length];
	stream.read_exact(&mut bytes).await?;
	let mut input = bytes.as_slice();
	let value = T::decode(&mut input)?;
	if !input.is_empty() {
		return Err(FrameError::Trailing(input.len()));
	}
	Ok(value)
}

async fn write_frame(stream: &mut UnixStream, value: &impl Encode) -> Result<(), FrameError> {
	let bytes = value.encode();
	if bytes.len() > MAX_FRAME {
		return Err(FrameError::TooLong(bytes.len()));
	}
	stream.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
	stream.write_all(&bytes).await?;
	stream.flush().await?;
	Ok(())
}

/// Binds the socket at `path`, mode 0600. A file left there by a bridge
/// that is gone is replaced; a socket another bridge still answers on is
/// an error.
pub async fn bind(path: &Path) -> std::io::Result<UnixListener> {
	if path.exists() {
		if UnixStream::connect(path).await.is_ok() {
			return Err(std::io::Error::new(
				std::io::ErrorKind::AddrInUse,
				format!("another bridge answers on {}", path.display()),
			));
		}
		std::fs::remove_file(path)?;
	}
	let listener = UnixListener::bind(path)?;
	std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
	Ok(listener)
}

/// Serves the socket until `shutdown` is cancelled, one request at a time
/// (provisioning waits for finality anyway), then removes the socket file.
pub async fn serve(
	listener: UnixListener,
	path: std::path::PathBuf,
	client: Client,
	signer: Keypair,
	vault: Arc<Vault>,
	cx: Arc<Context<Cx>>,
	shutdown: CancellationToken,
) {
	let owner = std::fs::metadata(&path).map(|m| m.uid()).ok();
	loop {
		let accepted = tokio::select! {
			accepted = listener.accept() => accepted,
			_ = shutdown.cancelled() => break,
		};
		let mut stream = match accepted {
			Ok((stream, _)) => stream,
			Err(e) => {
				tracing::warn!(error = %e, "admin socket accept failed");
				tokio::time::sleep(Duration::from_millis(100)).await;
				continue;
			},
		};
		let uid = stream.peer_cred().map(|c| c.uid()).ok();
		if uid.is_none() || (uid != owner && uid != Some(0)) {
			tracing::warn!(?uid, "admin connection from another user refused");
			let _ =
				write_frame(&mut stream, &Response::failed("refused: not the bridge's user")).await;
			continue;
		}
		let request =
			match tokio::time::timeout(READ_TIMEOUT, read_frame::<Request, _>(&mut stream)).await {
				Ok(Ok(request)) => request,
				Ok(Err(e)) => {
					tracing::warn!(error = %e, "admin request refused");
					let _ =
						write_frame(&mut stream, &Response::failed(format!("refused: {e}"))).await;
					continue;
				},
				Err(_) => {
					let _ =
						write_frame(&mut stream, &Response::failed("refused: no request in time"))
							.await;
					continue;
				},
			};
		let what = match &request {
			Request::Add(_) => "add",
			Request::Remove(_) => "remove",
			Request::Show(_) => "show",
			Request::Import { .. } => "import",
			Request::RotateKey(_) => "rotate-key",
		};
		let response = execute(&client, &signer, &vault, Some(&cx.app), request, &shutdown).await;
		tracing::info!(command = what, ok = response.ok, "admin request");
		if let Err(e) = write_frame(&mut stream, &response).await {
			tracing::warn!(error = %e, "admin answer not delivered");
		}
	}
	let _ = std::fs::remove_file(&path);
}

/// Sends `request` to the bridge answering on `path`; `None` when no bridge
/// does (no socket, or nobody listening).
pub async fn call(path: &Path, request: &Request) -> Result<Option<Response>, FrameError> {
	let Ok(mut stream) = UnixStream::connect(path).await else { return Ok(None) };
	write_frame(&mut stream, request).await?;
	Ok(Some(read_frame::<Response, _>(&mut stream).await?))
}

#[cfg(test)]
mod tests {
	use super::*;

	async fn roundtrip(path: &Path, bytes: &[u8]) -> Response {
		let mut stream = UnixStream::connect(path).await.unwrap();
		stream.write_all(bytes).await.unwrap();
		read_frame::<Response, _>(&mut stream).await.unwrap()
	}

	/// A listener that answers every well-formed request with its kind,
	/// and refuses the rest as `serve` does.
	async fn echo_server(listener: UnixListener) {
		loop {
			let (mut stream, _) = listener.accept().await.unwrap();
			let response = match read_frame::<Request, _>(&mut stream).await {
				Ok(Request::Show(identity)) => Response { ok: true, output: identity },
				Ok(_) => Response { ok: true, output: "other".into() },
				Err(e) => Response::failed(format!("refused: {e}")),
			};
			let _ = write_frame(&mut stream, &response).await;
		}
	}

	#[tokio::test]
	async fn the_socket_is_private_and_a_live_one_is_not_taken_over() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("admin.sock");
		let listener = bind(&path).await.unwrap();
		let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode, 0o600);
		let server = tokio::spawn(echo_server(listener));
		let err = bind(&path).await.unwrap_err();
		assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
		// A request goes through.
		let answer = call(&path, &Request::Show("sip:alice@ims.test".into())).await.unwrap();
		assert_eq!(answer, Some(Response { ok: true, output: "sip:alice@ims.test".into() }));
		server.abort();
		let _ = server.await;
		// Left behind by a bridge that is gone: replaced.
		assert!(path.exists());
		drop(bind(&path).await.unwrap());
	}

	#[tokio::test]
	async fn no_bridge_means_no_answer_not_an_error() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("none.sock");
		assert_eq!(call(&path, &Request::Show("x".into())).await.unwrap(), None);
	}

	#[tokio::test]
	async fn bad_frames_get_a_clear_refusal() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("admin.sock");
		let server = tokio::spawn(echo_server(bind(&path).await.unwrap()));
		// Oversized.
		let answer = roundtrip(&path, &(MAX_FRAME as u32 + 1).to_be_bytes()).await;
		assert!(!answer.ok && answer.output.contains("beyond the limit"), "{answer:?}");
		// Not a request (variant 9 does not exist).
		let answer = roundtrip(&path, &[0, 0, 0, 1, 9]).await;
		assert!(!answer.ok && answer.output.contains("malformed"), "{answer:?}");
		// Trailing bytes after a valid request.
		let mut bytes = Request::Show("a".into()).encode();
		bytes.push(0);
		let mut frame = (bytes.len() as u32).to_be_bytes().to_vec();
		frame.extend(bytes);
		let answer = roundtrip(&path, &frame).await;
		assert!(!answer.ok && answer.output.contains("after the message"), "{answer:?}");
		// Truncated: the length says more than comes.
		let mut stream = UnixStream::connect(&path).await.unwrap();
		stream.write_all(&[0, 0, 0, 50, 2, 4]).await.unwrap();
		stream.shutdown().await.unwrap();
		let answer = read_frame::<Response, _>(&mut stream).await.unwrap();
		assert!(!answer.ok && answer.output.contains("connection"), "{answer:?}");
		server.abort();
	}
}
