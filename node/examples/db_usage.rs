//! What a node's ParityDB database holds, column by column: the bytes its
//! files take on disk and the values live in it (their count and size as
//! stored). The difference is space the database keeps for reuse: ParityDB
//! never shrinks its files, so the disk figure is a high-water mark, while
//! the live figure is what the chain needs now (after pruning, what stays).
//!
//! Method: the database is opened read-only with the column options
//! recorded in its own `metadata` file (so this tool needs no knowledge of
//! how the node configured it), and every hash-indexed column is walked
//! with `iter_column_while`; a value's size is its length decompressed
//! (ParityDB hands values back that way; the files hold them compressed
//! where the column is, LZ4 for state, headers and bodies). Files are
//! attributed to columns by their names (`index_CC_*`, `table_CC_*`) and
//! counted by the blocks allocated to them, as `du` counts them. Column
//! names are `sc-client-db`'s (its `columns` module is private).
//!
//! Stop the node first: ParityDB allows one process at a time.
//!
//! Usage:
//!   cargo run --release -p ims-node --example db_usage -- DB_PATH [SUBSCRIBERS]
//!
//! `DB_PATH` is the `paritydb` directory (for `--base-path B --dev`:
//! `B/chains/ims_dev/paritydb/full`; the node's audit index is
//! `B/chains/ims_dev/paritydb/ims-audit-index`); with `SUBSCRIBERS`,
//! figures per subscriber are printed too.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "a diagnostic tool: a failure ends the run with its message"
)]

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// `sc-client-db`'s column numbers.
fn column_name(column: u8) -> &'static str {
	match column {
		0 => "meta",
		1 => "state",
		2 => "state_meta",
		3 => "key_lookup",
		4 => "header",
		5 => "body",
		6 => "justifications",
		8 => "aux",
		9 => "offchain",
		11 => "transaction",
		12 => "body_index",
		_ => "unused",
	}
}

/// Bytes allocated on disk to each column's files, and to the others
/// (metadata, the write-ahead log).
fn disk_by_column(path: &Path) -> (BTreeMap<u8, u64>, u64) {
	let mut columns = BTreeMap::new();
	let mut other = 0;
	for entry in std::fs::read_dir(path).expect("the database directory") {
		let entry = entry.expect("a directory entry");
		let allocated = entry.metadata().expect("file metadata").blocks() * 512;
		let name = entry.file_name().to_string_lossy().into_owned();
		let column = name
			.strip_prefix("index_")
			.or_else(|| name.strip_prefix("table_"))
			.and_then(|rest| rest.get(..2))
			.and_then(|hex| u8::from_str_radix(hex, 16).ok());
		match column {
			Some(column) => *columns.entry(column).or_insert(0) += allocated,
			None => other += allocated,
		}
	}
	(columns, other)
}

fn mib(bytes: u64) -> String {
	format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

fn main() {
	let mut args = std::env::args().skip(1);
	let path = args.next().expect("usage: db_usage DB_PATH [SUBSCRIBERS]");
	let subscribers: Option<u64> = args.next().map(|n| n.parse().expect("a number"));
	let path = Path::new(&path);
	let metadata = parity_db::Options::load_metadata(path)
		.expect("the database's metadata")
		.expect("a ParityDB database (its metadata file)");
	let mut options = parity_db::Options::with_columns(path, metadata.columns.len() as u8);
	options.columns = metadata.columns.clone();
	options.salt = Some(metadata.salt);
	let db = parity_db::Db::open_read_only(&options).expect("the database, read-only");
	let (disk, other) = disk_by_column(path);
	let per = |bytes: u64| subscribers.map(|n| format!(" ({} B a subscriber)", bytes / n.max(1)));
	println!("{:<15} {:>12} {:>14} {:>14}", "column", "values", "live", "on disk");
	let (mut live_total, mut disk_total) = (0u64, other);
	for (column, column_options) in metadata.columns.iter().enumerate() {
		let column = column as u8;
		let (mut values, mut bytes) = (0u64, 0u64);
		if !column_options.btree_index {
			db.iter_column_while(column, |value| {
				values += 1;
				bytes += value.value.len() as u64;
				true
			})
			.expect("the column's values");
		}
		let on_disk = disk.get(&column).copied().unwrap_or(0);
		live_total += bytes;
		disk_total += on_disk;
		if values > 0 || on_disk > 0 {
			println!(
				"{:<15} {values:>12} {:>14} {:>14}",
				column_name(column),
				mib(bytes),
				mib(on_disk)
			);
		}
	}
	println!("other files: {}", mib(other));
	println!("live values: {}{}", mib(live_total), per(live_total).unwrap_or_default());
	println!("on disk: {}{}", mib(disk_total), per(disk_total).unwrap_or_default());
}
