//! A TLS WebSocket endpoint peer on 127.0.0.1 that tests drive by hand.
//!
//! The peer accepts connections, reads each one's CONNECT REQUEST, responds
//! as [`Answer`] sets, and hands the test a [`PeerConn`]. A background
//! task per connection keeps reading, which makes tungstenite answer the
//! service's pings, counts those pings, routes COMMAND RESPONSEs to the
//! test, and acknowledges NOTIFICATION REQUESTs. The test can send any text
//! or binary frame, stop reading (and so stop answering pings), close, or
//! drop the socket. [`Peer::kill`] drops the listener and every socket, and
//! [`Peer::restart`] listens on the same address again.
//!
//! Nothing here checks the service's messages beyond what routing needs;
//! the tests assert.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use nbwss_protocol::{
    Body, CommandRequest, CommandResponse, ConnectResponse, Message as ProtocolMessage,
};
use nbwss_tls::Fingerprint;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data as OpData, OpCode};

use super::{POLL, WAIT};

/// Path of the peer's WebSocket URL.
pub const PATH: &str = "/nbwss";

/// Attempts to bind the old address again after a kill, [`POLL`] apart.
const REBIND_ATTEMPTS: u32 = 250;

type Socket = WebSocketStream<TlsStream<TcpStream>>;

/// How the peer responds to a CONNECT REQUEST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `valid: true`.
    Accept,
    /// `valid: false`.
    Reject,
    /// No response; the test may send one with [`PeerConn::answer_connect`].
    Silent,
}

/// The CONNECT REQUEST a connection opened with.
#[derive(Clone, Debug)]
pub struct ConnectSeen {
    /// The request's id.
    pub id: String,
    /// `payload.token`, as received.
    pub token: String,
    /// `payload.serverName`.
    pub server_name: Option<String>,
}

/// What the test can see of one connection from outside.
#[derive(Clone, Debug, Default)]
pub struct ConnStatus {
    /// Code of the close frame the service sent, once one arrived.
    pub close_code: Option<u16>,
    /// Whether the connection has ended.
    pub ended: bool,
    /// Pings received from the service.
    pub pings: u64,
}

/// Work for a connection's writer.
enum Control {
    Text(String),
    /// A text frame whose payload is not checked for UTF-8.
    UncheckedText(Vec<u8>),
    Binary(Vec<u8>),
    Close(u16),
    StopReading,
}

/// State shared by the accept loop and the connection tasks.
struct Shared {
    acceptor: TlsAcceptor,
    answer: Mutex<Answer>,
    accepted: mpsc::UnboundedSender<PeerConn>,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

/// A running test endpoint.
pub struct Peer {
    addr: SocketAddr,
    fingerprint: Fingerprint,
    shared: Arc<Shared>,
    accepted: mpsc::UnboundedReceiver<PeerConn>,
    listener: Option<JoinHandle<()>>,
}

impl Peer {
    /// Starts a peer on 127.0.0.1, port 0, with a new self-signed
    /// certificate, responding to CONNECT with `valid: true`.
    pub async fn start() -> Peer {
        let cert = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()])
            .expect("self-signed certificate");
        let config = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem)
            .expect("peer TLS server config");
        let (accepted_sender, accepted) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            acceptor: TlsAcceptor::from(config),
            answer: Mutex::new(Answer::Accept),
            accepted: accepted_sender,
            connections: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind peer");
        let addr = listener.local_addr().expect("peer address");
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Peer {
            addr,
            fingerprint: cert.fingerprint,
            shared,
            accepted,
            listener: Some(task),
        }
    }

    /// Returns the `wss://` URL to register.
    pub fn url(&self) -> String {
        format!("wss://{}{PATH}", self.addr)
    }

    /// Returns the peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the fingerprint of the peer's certificate, for pinning.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Sets the CONNECT RESPONSE that later connections get.
    pub fn set_answer(&self, answer: Answer) {
        *lock(&self.shared.answer) = answer;
    }

    /// Waits for the next connection whose CONNECT REQUEST has arrived.
    pub async fn next_conn(&mut self) -> PeerConn {
        tokio::time::timeout(WAIT, self.accepted.recv())
            .await
            .unwrap_or_else(|_| panic!("no connection to {} within {WAIT:?}", self.addr))
            .expect("the peer's accept channel stays open")
    }

    /// Returns whether a connection arrived that the test has not taken.
    pub fn has_pending_conn(&self) -> bool {
        !self.accepted.is_empty()
    }

    /// Drops the listener and every connection's socket without a close
    /// frame, as a crashed endpoint would.
    pub async fn kill(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
            let _ = listener.await;
        }
        let connections: Vec<JoinHandle<()>> = lock(&self.shared.connections).drain(..).collect();
        for connection in connections {
            connection.abort();
            let _ = connection.await;
        }
    }

    /// Listens on the same address again after [`Peer::kill`].
    pub async fn restart(&mut self) {
        assert!(self.listener.is_none(), "restart needs a killed peer");
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(error) => {
                    attempts += 1;
                    assert!(
                        attempts < REBIND_ATTEMPTS,
                        "failed to bind {} again: {error}",
                        self.addr
                    );
                    tokio::time::sleep(POLL).await;
                }
            }
        };
        self.listener = Some(tokio::spawn(accept_loop(listener, self.shared.clone())));
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
        for connection in lock(&self.shared.connections).iter() {
            connection.abort();
        }
    }
}

/// The test's handle on one connection. Dropping it leaves the connection
/// running; [`PeerConn::kill`] ends it.
pub struct PeerConn {
    /// The CONNECT REQUEST the connection opened with.
    pub connect: ConnectSeen,
    control: mpsc::UnboundedSender<Control>,
    responses: mpsc::UnboundedReceiver<(String, CommandResponse)>,
    unclaimed: Vec<(String, CommandResponse)>,
    others: mpsc::UnboundedReceiver<String>,
    status: watch::Receiver<ConnStatus>,
    kill: Option<oneshot::Sender<()>>,
}

impl PeerConn {
    /// Sends a CONNECT RESPONSE to the connection's CONNECT REQUEST.
    pub fn answer_connect(&self, valid: bool) {
        let body = Body::ConnectResponse(ConnectResponse { valid });
        let message = ProtocolMessage::new(self.connect.id.clone(), body);
        self.send_text(message.to_json());
    }

    /// Sends one text frame.
    pub fn send_text(&self, text: impl Into<String>) {
        self.send(Control::Text(text.into()));
    }

    /// Sends one text frame with `bytes` as its payload, valid UTF-8 or
    /// not.
    pub fn send_unchecked_text(&self, bytes: Vec<u8>) {
        self.send(Control::UncheckedText(bytes));
    }

    /// Sends one binary frame.
    pub fn send_binary(&self, bytes: Vec<u8>) {
        self.send(Control::Binary(bytes));
    }

    /// Sends a COMMAND REQUEST with `id`.
    pub fn send_command(&self, id: &str, request: CommandRequest) {
        let message = ProtocolMessage::new(id, Body::CommandRequest(request));
        self.send_text(message.to_json());
    }

    /// Sends a COMMAND REQUEST with a new id and waits for its response.
    pub async fn call(&mut self, request: CommandRequest) -> CommandResponse {
        let id = new_id();
        self.send_command(&id, request);
        self.response(&id).await
    }

    /// Waits for the next COMMAND RESPONSE with `id`. Responses to other
    /// ids that arrive first are kept for later calls.
    pub async fn response(&mut self, id: &str) -> CommandResponse {
        if let Some(index) = self.unclaimed.iter().position(|(seen, _)| seen == id) {
            return self.unclaimed.remove(index).1;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (seen, response) = tokio::time::timeout_at(deadline, self.responses.recv())
                .await
                .unwrap_or_else(|_| panic!("no response to {id} within {WAIT:?}"))
                .unwrap_or_else(|| panic!("connection ended before the response to {id}"));
            if seen == id {
                return response;
            }
            self.unclaimed.push((seen, response));
        }
    }

    /// Waits for the next text message that is neither a COMMAND RESPONSE
    /// nor a NOTIFICATION REQUEST.
    pub async fn next_other(&mut self) -> String {
        tokio::time::timeout(WAIT, self.others.recv())
            .await
            .unwrap_or_else(|_| panic!("no message within {WAIT:?}"))
            .expect("connection ended before the next message")
    }

    /// Stops reading, so the service's pings go unanswered.
    pub fn stop_reading(&self) {
        self.send(Control::StopReading);
    }

    /// Starts the close handshake with `code`.
    pub fn close(&self, code: u16) {
        self.send(Control::Close(code));
    }

    /// Drops the socket at once, without a close frame.
    pub fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
    }

    /// Waits until the connection has ended, and returns the code of the
    /// close frame the service sent, if any.
    pub async fn closed(&mut self) -> Option<u16> {
        let status = tokio::time::timeout(WAIT, self.status.wait_for(|status| status.ended))
            .await
            .unwrap_or_else(|_| panic!("connection still open after {WAIT:?}"))
            .map(|status| status.clone())
            // The task sets `ended` before it exits, unless it was killed.
            .unwrap_or_else(|_| self.status.borrow().clone());
        status.close_code
    }

    /// Waits until the service has sent `count` pings on this connection.
    pub async fn wait_for_pings(&mut self, count: u64) {
        tokio::time::timeout(WAIT, self.status.wait_for(|status| status.pings >= count))
            .await
            .unwrap_or_else(|_| panic!("fewer than {count} pings within {WAIT:?}"))
            .expect("connection task alive while waiting for pings");
    }

    /// Returns a snapshot of the connection's status.
    pub fn status(&self) -> ConnStatus {
        self.status.borrow().clone()
    }

    fn send(&self, control: Control) {
        // A closed queue means the connection ended; tests notice that
        // through the missing response or the status.
        let _ = self.control.send(control);
    }
}

/// Returns a new message id in the upper-case form of the NBWSS examples.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Such as too many open files: wait instead of spinning.
            tokio::time::sleep(POLL).await;
            continue;
        };
        let task = tokio::spawn(serve(tcp, shared.clone()));
        let mut connections = lock(&shared.connections);
        connections.retain(|connection| !connection.is_finished());
        connections.push(task);
    }
}

/// Runs one connection: TLS, upgrade, CONNECT, then the reader and writer.
async fn serve(tcp: TcpStream, shared: Arc<Shared>) {
    let Ok(tls) = shared.acceptor.accept(tcp).await else {
        return;
    };
    let Ok(mut socket) = tokio_tungstenite::accept_async_with_config(tls, None).await else {
        return;
    };
    let Some(connect) = read_connect(&mut socket).await else {
        return;
    };
    let answer = *lock(&shared.answer);
    if !respond_to_connect(&mut socket, &connect.id, answer).await {
        return;
    }

    let (control, control_queue) = mpsc::unbounded_channel();
    let (responses_sender, responses) = mpsc::unbounded_channel();
    let (others_sender, others) = mpsc::unbounded_channel();
    let (status_sender, status) = watch::channel(ConnStatus::default());
    let (kill, killed) = oneshot::channel();
    let conn = PeerConn {
        connect,
        control: control.clone(),
        responses,
        unclaimed: Vec::new(),
        others,
        status,
        kill: Some(kill),
    };
    if shared.accepted.send(conn).is_err() {
        return;
    }

    let (sink, stream) = socket.split();
    let (reading_sender, reading_receiver) = watch::channel(true);
    let routes = Routes {
        control,
        responses: responses_sender,
        others: others_sender,
        status: status_sender.clone(),
    };
    let killed = async {
        // A dropped handle is not a kill: the connection stays up.
        if killed.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = read_frames(stream, routes, reading_receiver) => {}
        _ = write_frames(sink, control_queue, reading_sender) => {}
        _ = killed => {}
    }
    status_sender.send_modify(|status| status.ended = true);
}

/// Sends the CONNECT RESPONSE that `answer` sets, if any. Returns `false`
/// when the socket failed.
async fn respond_to_connect(socket: &mut Socket, id: &str, answer: Answer) -> bool {
    if answer == Answer::Silent {
        return true;
    }
    let body = Body::ConnectResponse(ConnectResponse {
        valid: answer == Answer::Accept,
    });
    let message = ProtocolMessage::new(id, body);
    socket.send(Frame::text(message.to_json())).await.is_ok()
}

/// Reads frames until the CONNECT REQUEST, which the service sends first.
async fn read_connect(socket: &mut Socket) -> Option<ConnectSeen> {
    while let Some(Ok(frame)) = socket.next().await {
        let Frame::Text(text) = frame else {
            continue;
        };
        if let Ok(ProtocolMessage {
            id,
            body: Body::ConnectRequest(request),
            ..
        }) = ProtocolMessage::parse(text.as_str())
        {
            return Some(ConnectSeen {
                id,
                token: request.token,
                server_name: request.server_name,
            });
        }
    }
    None
}

/// Where the reader delivers what it receives.
struct Routes {
    control: mpsc::UnboundedSender<Control>,
    responses: mpsc::UnboundedSender<(String, CommandResponse)>,
    others: mpsc::UnboundedSender<String>,
    status: watch::Sender<ConnStatus>,
}

/// Reads until the stream ends or reading is switched off.
async fn read_frames(
    mut stream: SplitStream<Socket>,
    routes: Routes,
    mut reading: watch::Receiver<bool>,
) {
    loop {
        if !*reading.borrow_and_update() {
            // Reading stopped for good; the other branches end the task.
            std::future::pending::<()>().await;
        }
        let frame = tokio::select! {
            _ = reading.changed() => continue,
            frame = stream.next() => frame,
        };
        match frame {
            None | Some(Err(_)) => return,
            Some(Ok(Frame::Text(text))) => route_text(text.as_str(), &routes),
            Some(Ok(Frame::Ping(_))) => routes.status.send_modify(|status| status.pings += 1),
            Some(Ok(Frame::Close(close))) => {
                let code = close.map(|frame| u16::from(frame.code));
                routes.status.send_modify(|status| status.close_code = code);
            }
            Some(Ok(_)) => {}
        }
    }
}

fn route_text(text: &str, routes: &Routes) {
    match ProtocolMessage::parse(text) {
        Ok(ProtocolMessage {
            id,
            body: Body::CommandResponse(response),
            ..
        }) => {
            let _ = routes.responses.send((id, response));
        }
        Ok(ProtocolMessage {
            id,
            body: Body::NotificationRequest(_),
            ..
        }) => {
            let ack = ProtocolMessage::new(id, Body::NotificationResponse);
            let _ = routes.control.send(Control::Text(ack.to_json()));
        }
        _ => {
            let _ = routes.others.send(text.to_owned());
        }
    }
}

/// Sends what the test queues. After a failed send the writer stops but
/// the reader goes on, so a close frame already on its way is still seen.
async fn write_frames(
    mut sink: SplitSink<Socket, Frame>,
    mut queue: mpsc::UnboundedReceiver<Control>,
    reading: watch::Sender<bool>,
) {
    while let Some(control) = queue.recv().await {
        let frame = match control {
            Control::Text(text) => Frame::text(text),
            Control::UncheckedText(bytes) => {
                Frame::Frame(RawFrame::message(bytes, OpCode::Data(OpData::Text), true))
            }
            Control::Binary(bytes) => Frame::binary(bytes),
            Control::Close(code) => Frame::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: "".into(),
            })),
            Control::StopReading => {
                reading.send_replace(false);
                continue;
            }
        };
        if sink.send(frame).await.is_err() {
            break;
        }
    }
    std::future::pending::<()>().await;
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
