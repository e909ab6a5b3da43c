//! The import file, read line by line: numbered from 1, at most
//! [`MAX_LINE`] bytes each (a longer line is skipped whole and refused),
//! every buffer wiped after use (lines hold secrets).

use super::{format, ImportError, LineError, MAX_LINE};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use zeroize::Zeroizing;

/// The subscriber lines of an import file whose header has been checked.
pub struct Lines {
	input: BufReader<File>,
	/// The number of the last line read.
	number: u64,
	/// Lines in the file when it was opened (for the progress bar).
	total: Option<u64>,
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
		let input = BufReader::new(File::open(path).map_err(error)?);
		let mut lines = Lines { input, number: 0, total: Some(total.saturating_sub(1)) };
		match lines.next_line().map_err(error)? {
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

	/// Subscriber lines in the file (an estimate: blank lines count).
	pub fn count_hint(&self) -> Option<u64> {
		self.total
	}

	/// The next line and its number; `None` at the end of the file.
	pub fn next(&mut self) -> std::io::Result<Option<(u64, Line)>> {
		Ok(self.next_line()?.map(|line| (self.number, line)))
	}

	fn next_line(&mut self) -> std::io::Result<Option<Line>> {
		let mut bytes = Zeroizing::new(Vec::new());
		let mut too_long = false;
		loop {
			let buffer = self.input.fill_buf()?;
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
			self.input.consume(ends);
			if complete {
				break;
			}
		}
		self.number += 1;
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
}

/// Lines in a file, counted in one pass.
fn count(path: &Path) -> std::io::Result<u64> {
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
