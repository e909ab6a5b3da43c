//! A write deadline on an API connection: a client that stops reading its
//! answers would otherwise hold its connection slot for ever (hyper waits
//! on a full socket buffer without limit). A write that makes no progress
//! for the deadline fails with `TimedOut`, which ends the connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep, Instant, Sleep};

/// `S` with a deadline on each write's progress.
pub struct WriteDeadline<S> {
	inner: S,
	limit: Duration,
	/// Armed while a write is pending; reset by any progress.
	timer: Pin<Box<Sleep>>,
	armed: bool,
}

impl<S> WriteDeadline<S> {
	/// `inner`, whose writes must progress within `limit`.
	pub fn new(inner: S, limit: Duration) -> Self {
		WriteDeadline { inner, limit, timer: Box::pin(sleep(limit)), armed: false }
	}

	/// Called when the inner write is pending: arms the timer once, and
	/// fails when it has run out.
	fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
		if !self.armed {
			self.timer.as_mut().reset(Instant::now() + self.limit);
			self.armed = true;
		}
		match self.timer.as_mut().poll(cx) {
			Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
				io::ErrorKind::TimedOut,
				"the client has not read its answer in time",
			))),
			Poll::Pending => Poll::Pending,
		}
	}

	fn progressed<T>(
		&mut self,
		result: Poll<io::Result<T>>,
		cx: &mut Context<'_>,
	) -> Poll<io::Result<T>> {
		match result {
			Poll::Pending => self.pending(cx),
			ready => {
				self.armed = false;
				ready
			},
		}
	}
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
	fn poll_read(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<io::Result<()>> {
		Pin::new(&mut self.inner).poll_read(cx, buf)
	}
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
	fn poll_write(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		let result = Pin::new(&mut self.inner).poll_write(cx, buf);
		self.progressed(result, cx)
	}

	fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		let result = Pin::new(&mut self.inner).poll_flush(cx);
		self.progressed(result, cx)
	}

	fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		let result = Pin::new(&mut self.inner).poll_shutdown(cx);
		self.progressed(result, cx)
	}

	fn poll_write_vectored(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[io::IoSlice<'_>],
	) -> Poll<io::Result<usize>> {
		let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
		self.progressed(result, cx)
	}

	fn is_write_vectored(&self) -> bool {
		self.inner.is_write_vectored()
	}
}
