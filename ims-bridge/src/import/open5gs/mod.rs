//! `ims-bridge import --from open5gs subscribers.json --realm R`: the
//! output of `mongoexport --db open5gs --collection subscribers` (one
//! document a line, MongoDB's extended JSON), each subscriber named in the
//! operator's realm as an IMS core in front of Open5GS names it
//! (`crate::import::mobile`, `docs/import.md` "From Open5GS").
//!
//! - `map`: one document as a line, or why it cannot be one.

mod map;

use super::database::Outbox;
use super::reader::{self, Line, Lines};
use super::{ImportError, Placement, Progress, Record};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Opens the export at `path` and starts reading it on a blocking thread;
/// the lines come out of the returned [`Lines`] by their line in the
/// export. The task's result is the notes of what could not be carried
/// over.
pub fn open(
	path: &Path,
	placement: Placement,
	progress: Arc<dyn Progress>,
) -> Result<(Lines, JoinHandle<Vec<String>>), ImportError> {
	let error = |source| ImportError::File { path: path.display().to_string(), source };
	let total = reader::count(path).map_err(error)?;
	let mut input = BufReader::new(File::open(path).map_err(error)?);
	if input.fill_buf().map_err(error)?.trim_ascii_start().first() == Some(&b'[') {
		return Err(super::SourceError::Location(format!(
			"{}: a JSON array (mongoexport --jsonArray); export one document a line, without --jsonArray",
			path.display()
		))
		.into());
	}
	let (mut outbox, lines) = Outbox::new(total, progress);
	let runtime = Handle::current();
	let path = path.display().to_string();
	let task = tokio::task::spawn_blocking(move || {
		let mut number = 0;
		loop {
			let line = match reader::next_line(&mut input, &mut number) {
				Ok(Some(line)) => line,
				Ok(None) => break,
				Err(e) => {
					let failure = super::SourceError::Location(format!("{path}: {e}"));
					runtime.block_on(outbox.failed(failure));
					break;
				},
			};
			let mapped = match line {
				Line::Blank => continue,
				Line::Refused(reason) => Err(reason),
				Line::Text(text) => map::document(&text, &placement),
			};
			if !runtime.block_on(outbox.mapped(Record::Line(number), mapped)) {
				break;
			}
		}
		outbox.notes()
	});
	Ok((lines, task))
}
