//! Tunables of the transport layer, with OpenSIPS-like defaults.

use std::time::Duration;

use crate::tls::options::TlsOptions;
use crate::ws::WsOptions;

/// Settings of the transport layer (`children`, `tcp_children`, `tcp_*` in opensips.cfg).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// Worker threads per UDP socket, all receiving on that socket (`children`).
    pub udp_workers: usize,
    /// Worker threads consuming complete TCP messages from one shared queue (`tcp_children`).
    pub tcp_workers: usize,
    /// A TCP connection with no traffic either way for this long is closed (`tcp_connection_lifetime`).
    pub tcp_connection_lifetime: Duration,
    /// Bound on a blocking outbound TCP connect done from a worker (`tcp_connect_timeout`).
    pub tcp_connect_timeout: Duration,
    /// Bound on one write to a TCP connection; a peer that does not read is disconnected (`tcp_send_timeout`).
    pub tcp_send_timeout: Duration,
    /// Largest SIP message accepted; bigger datagrams are dropped and bigger stream messages close the connection.
    pub max_message_size: usize,
    /// Open TCP connections (accepted and outbound) beyond which new ones are refused (`tcp_max_connections`).
    pub tcp_max_connections: usize,
    /// Capacity of the queue between TCP readers and TCP workers; a full queue slows readers down.
    pub queue_capacity: usize,
    /// SO_RCVBUF/SO_SNDBUF asked for UDP sockets, so bursts are not dropped by the kernel (best effort).
    pub udp_socket_buffer: usize,
    /// How long [`crate::Running::shutdown`] waits for threads before leaving them behind.
    pub shutdown_timeout: Duration,
    /// TLS certificates and limits (`tls_mgm`, `proto_tls`); needed for `tls:` sockets and
    /// for sending over TLS.
    pub tls: Option<TlsOptions>,
    /// A worker whose queue (UDP: the socket's receive buffer; TCP: the reader queue) is
    /// fuller than this percentage passes messages to [`crate::Handler::overloaded`]; 0 never.
    pub overload_queue_percent: u8,
    /// Accepted TCP connections allowed from one IP address; 0 means no cap.
    pub tcp_max_connections_per_source: usize,
    /// Longest time one SIP message may take to arrive whole over TCP; a connection that
    /// trickles a message slower than this is closed (`tcp_max_msg_time`).
    pub tcp_max_msg_time: Duration,
    /// `proto_ws` settings, for `ws:` sockets.
    pub ws: WsOptions,
    /// `proto_wss` settings, for `wss:` sockets (certificates come from `tls`).
    pub wss: WsOptions,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            udp_workers: 8,
            tcp_workers: 8,
            tcp_connection_lifetime: Duration::from_secs(120),
            tcp_connect_timeout: Duration::from_millis(100),
            tcp_send_timeout: Duration::from_millis(100),
            max_message_size: 65535,
            tcp_max_connections: 2048,
            queue_capacity: 1024,
            udp_socket_buffer: 4 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(5),
            tls: None,
            overload_queue_percent: 80,
            tcp_max_connections_per_source: 256,
            tcp_max_msg_time: Duration::from_secs(4),
            ws: WsOptions::default(),
            wss: WsOptions::default(),
        }
    }
}
