//! Binding and serving, so the sandbox can stop listening and start again on the same port.
//!
//! "Stopped" has to mean what a test of offline behaviour expects: the next request is refused at
//! connect. A client's pooled keep-alive connection defeats that unless the client has noticed the
//! close before it reuses the connection; graceful shutdown sends the FIN, but a client whose
//! connection task has not run yet writes its next request into the dead socket and gets an incomplete
//! message instead of a refused connect. So each connection's shutdown lingers until the client has
//! closed its end (its FIN proves it dropped the connection from its pool), bounded by [`LINGER`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Sleep;

use crate::AppState;

/// The longest a closing connection waits for the client's side to close.
const LINGER: Duration = Duration::from_secs(1);
/// How long `stop_listening` waits after the last connection closed, for clients to finish dropping
/// theirs (see there).
pub const CLIENT_SETTLE: Duration = Duration::from_millis(20);
/// Reads per poll while draining a closing connection, so a chatty client cannot hog a worker.
const DRAIN_READS_PER_POLL: usize = 16;

/// A listener with SO_REUSEADDR, so the port of a just-stopped sandbox can be bound again even while
/// its closed connections sit in TIME_WAIT.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // On Windows SO_REUSEADDR would let another process take over a live port, and TIME_WAIT does not
    // block rebinding there anyway.
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves `shared` on `listener` in a spawned task until the sender fires or is dropped. The task ends
/// once every connection is closed.
pub fn serve(shared: AppState, listener: TcpListener) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let app = crate::router(shared);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Graceful shutdown stops accepting, lets in-flight requests finish and closes idle keep-alive
        // connections at once; `Lingering` then holds each one until its client has let go.
        let serve = axum::serve(LingeringListener(listener), app).with_graceful_shutdown(async move {
            // Either an explicit stop or the Sandbox being dropped ends the server.
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "sandbox server failed");
        }
    });
    (stop, task)
}

struct LingeringListener(TcpListener);

impl axum::serve::Listener for LingeringListener {
    type Io = Lingering;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Lingering, SocketAddr) {
        // axum's own accept loop, which rides out transient errors such as running out of descriptors.
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (Lingering { io, write_closed: false, deadline: None }, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection whose shutdown sends the FIN and then waits for the client's (or [`LINGER`]).
struct Lingering {
    io: TcpStream,
    write_closed: bool,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl AsyncRead for Lingering {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.write_closed {
            ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            this.write_closed = true;
        }
        let deadline = this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(LINGER)));
        // Whatever the client still sends is of no use now; only its end of stream matters.
        let mut scratch = [0u8; 1024];
        for _ in 0..DRAIN_READS_PER_POLL {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {}
                // A reset closes the connection just as well.
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return deadline.as_mut().poll(cx).map(Ok),
            }
        }
        cx.waker().wake_by_ref();
        deadline.as_mut().poll(cx).map(Ok)
    }
}
