//! The byte stream under a WebSocket: TLS in production, plain TCP only
//! for `ws://` test endpoints on loopback.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;

/// A bidirectional byte stream.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// The boxed stream a session runs on.
pub type Transport = Box<dyn Io>;

/// An established WebSocket.
pub type Socket = WebSocketStream<Transport>;
