//! The subscriber lines of a run: read off an import file line by line
//! (numbered from 1, at most [`MAX_LINE`] bytes each: a longer line is
//! skipped whole and refused), or received from an importer that turns
//! another HSS's records into lines. Every buffer is wiped after use
//! (lines hold secrets).

use super::{format, ImportError, LineError, Record, SourceError, MAX_LINE};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

/// What an importer sends: a subscriber line, or why it stopped.
pub type Received = Result<(Record, Line), SourceError>;

/// The subscriber lines of a run.
pub struct Lines {
	input: Input,
	/// The number of the last line read from a file.
	number: u64,
	/// Subscribers to come when the run started (for the progress bar).
	total: Option<u64>,
}

enum Input {
	/// An import file whose header has been checked.
	File(BufReader<File>),
	/// Lines an importer makes, in its own record order.
	Records(mpsc::Receiver<Received>),
}

/// What one line holds.
pub enum Line {
	/// Its text.
	Text(Zeroizing<String>),
	/// Empty or blank: skipped, not counted as a subscriber.
	Blank,
	/// Unreadable.
	Refused(LineError),
}

impl Lines {
	/// Opens `path` and checks its header line.
	pub fn open(path: &Path) -> Result<Lines, ImportError> {
		let error = |source| ImportError::File { path: path.display().to_string(), source };
		let total = count(path).map_err(error)?;
		let mut input = BufReader::new(File::open(path).map_err(error)?);
		let mut number = 0;
		let header = next_line(&mut input, &mut number).map_err(error)?;
		let lines =
			Lines { input: Input::File(input), number, total: Some(total.saturating_sub(1)) };
		match header {
			Some(Line::Text(text)) => format::header(&text).map_err(ImportError::Header)?,
			Some(Line::Refused(e)) => return Err(ImportError::Header(e)),
			Some(Line::Blank) | None => {
				return Err(ImportError::Header(LineError::Header(
					"the first line is empty".into(),
				)))
			},
		}
		Ok(lines)
	}

	/// Lines an importer sends into the returned channel; `total` is how
	/// many subscribers it expects to send.
	pub fn received(total: Option<u64>) -> (mpsc::Sender<Received>, Lines) {
		let (send, receive) = mpsc::channel(256);
		(send, Lines { input: Input::Records(receive), number: 0, total })
	}

	/// Subscriber lines to come (an estimate: a file's blank lines count).
	pub fn count_hint(&self) -> Option<u64> {
		self.total
	}

	/// The next line and what it is; `None` at the end. Blocks: called from
	/// the planner's thread.
	pub fn next(&mut self) -> Result<Option<(Record, Line)>, ImportError> {
		match &mut self.input {
			Input::File(file) => {
				let error = |source| ImportError::File { path: "import file".into(), source };
				let line = next_line(file, &mut self.number).map_err(error)?;
				Ok(line.map(|line| (Record::Line(self.number), line)))
			},
			Input::Records(receive) => match receive.blocking_recv() {
				Some(Ok(record)) => Ok(Some(record)),
				Some(Err(e)) => Err(e.into()),
				None => Ok(None),
			},
		}
	}
}

/// The next line of a file, counted in `number`.
pub(super) fn next_line(
	input: &mut BufReader<File>,
	number: &mut u64,
) -> std::io::Result<Option<Line>> {
	let mut bytes = Zeroizing::new(Vec::new());
	let mut too_long = false;
	loop {
		let buffer = input.fill_buf()?;
		if buffer.is_empty() {
			if bytes.is_empty() && !too_long {
				return Ok(None);
			}
			break;
		}
		let (chunk, complete) = match buffer.iter().position(|b| *b == b'\n') {
			Some(at) => (buffer.split_at(at).0, true),
			None => (buffer, false),
		};
		let ends = chunk.len() + usize::from(complete);
		if !too_long && bytes.len() + chunk.len() <= MAX_LINE {
			bytes.extend_from_slice(chunk);
		} else {
			too_long = true;
		}
		input.consume(ends);
		if complete {
			break;
		}
	}
	*number += 1;
	if too_long {
		return Ok(Some(Line::Refused(LineError::TooLong)));
	}
	if bytes.last() == Some(&b'\r') {
		bytes.pop();
	}
	let Ok(text) = std::str::from_utf8(&bytes) else {
		return Ok(Some(Line::Refused(LineError::NotUtf8)));
	};
	if text.trim().is_empty() {
		return Ok(Some(Line::Blank));
	}
	Ok(Some(Line::Text(Zeroizing::new(text.to_string()))))
}

/// Lines in a file, counted in one pass.
pub(super) fn count(path: &Path) -> std::io::Result<u64> {
	let mut file = File::open(path)?;
	let mut buffer = vec![0u8; 1 << 16];
	let (mut lines, mut last) = (0u64, b'\n');
	loop {
		let read = file.read(&mut buffer)?;
		let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else { break };
		lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
		last = chunk.last().copied().unwrap_or(last);
	}
	// A last line without its newline.
	Ok(lines + u64::from(last != b'\n'))
}
