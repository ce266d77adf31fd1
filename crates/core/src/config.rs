//! Global parameters of the script (`log_level = 3`, `socket = udp:127.0.0.1:5060`, ...):
//! checked and turned into the engine's configuration.
//!
//! The names and meanings are OpenSIPS 3.x's. An unknown name is a load error, as in
//! OpenSIPS; a few parameters that only tune OpenSIPS' memory or process model are accepted
//! and ignored (listed in [`IGNORED`]) so that real configurations load unchanged.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use siplua_script::{GlobalParam, GlobalValue, SocketSpec};
use siplua_transport::{ListenSpec, Proto};

/// OpenSIPS global parameters that siplua accepts and does not need (memory pools, process
/// tuning, DNS behaviour it does not have): loading goes on, with no effect.
pub const IGNORED: &[&str] = &[
    "mpath",
    "debug_mode",
    "fork",
    "dns",
    "rev_dns",
    "dns_servers_no",
    "dns_use_search_list",
    "disable_dns_blacklist",
    "open_files_limit",
    "auto_aliases",
    "sip_warning",
    "server_signature",
    "check_via",
    "shm_hash_split_percentage",
    "shm_secondary_hash_size",
    "mem_warming",
    "memlog",
    "mem_log",
    "memdump",
    "mem_dump",
    "xlog_buf_size",
    "mem_warming_pattern_file",
    "mem_warming_percentage",
    "db_version_table",
    "db_max_async_connections",
    "exec_msg_threshold",
    "exec_dns_threshold",
    "tcp_threshold",
    "max_while_loops_warning",
    "event_pkg_threshold",
    "event_shm_threshold",
    "query_buffer_size",
    "query_flush_time",
    "disable_core_dump",
    "disable_stateless_fwd",
    "timer_workers",
    "auto_scaling_profile",
    "auto_scaling_cycle",
    "wdir",
    "chroot",
    "user",
    "group",
    "uid",
    "gid",
    "tos",
    "mhomed",
    "poll_method",
    "tcp_accept_aliases",
    "tcp_no_new_conn_bflag",
    "tcp_keepalive",
    "tcp_keepcount",
    "tcp_keepidle",
    "tcp_keepinterval",
    "tcp_listen_backlog",
    "tcp_parallel_handling",
    "dont_fork",
];

/// The engine's configuration, from the global parameters (and command-line overrides).
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// Log verbosity in OpenSIPS numbering, -3 (alert) to 4 (debug); default 2 (notice), as
    /// OpenSIPS.
    pub log_level: i32,
    /// Threshold of the script's `xlog()` lines, apart from `log_level` (OpenSIPS: L_NOTICE = 2).
    pub xlog_level: i32,
    /// Level of `xlog()` without an explicit level (OpenSIPS: L_ERR = -1).
    pub xlog_print_level: i32,
    /// Log to standard error (default) rather than syslog.
    pub log_stderror: bool,
    /// Also (or only) log to syslog.
    pub syslog_enabled: bool,
    /// Syslog facility name (`LOG_LOCAL0`, ...).
    pub syslog_facility: String,
    /// The name syslog lines carry (`syslog_name`, OpenSIPS 2.x `log_name`); default `siplua`.
    pub syslog_name: String,
    /// Worker threads per UDP socket (`udp_workers`, alias `children`).
    pub udp_workers: usize,
    /// Worker threads for TCP messages.
    pub tcp_workers: usize,
    /// Sockets to listen on.
    pub listen: Vec<ListenSpec>,
    /// Extra names this server answers to (`alias=`), with an optional port.
    pub aliases: Vec<(String, Option<u16>)>,
    /// `Server:` header value for replies the script sends (`server_header`).
    pub server_header: Option<String>,
    /// `User-Agent:` header value for requests siplua generates.
    pub user_agent_header: Option<String>,
    /// Upper bound on the iterations of one `while` loop.
    pub max_while_loops: i64,
    /// Idle TCP connections are closed after this many seconds.
    pub tcp_connection_lifetime: u64,
    /// Milliseconds a blocking outbound TCP connect may take (`tcp_connect_timeout`; 100, as
    /// OpenSIPS).
    pub tcp_connect_timeout: u64,
    /// Upper bound on TCP connections.
    pub tcp_max_connections: usize,
    /// DNS resolution of destinations (`dns_*` parameters).
    pub dns: crate::dns::DnsSettings,
    /// `db_default_url`: the `db_url` of modules that are given none.
    pub db_default_url: Option<String>,
    /// TLS certificates and limits, set by the `tls_mgm` and `proto_tls` modules.
    pub tls: Option<siplua_transport::TlsOptions>,
    /// WebSocket limits of `ws:` sockets, set by the `proto_ws` module.
    pub ws: siplua_transport::WsOptions,
    /// WebSocket limits of `wss:` sockets, set by the `proto_wss` module.
    pub wss: siplua_transport::WsOptions,
    /// Accepted TCP connections allowed per source IP, 0 for no cap (siplua's
    /// `tcp_max_connections_per_source`).
    pub tcp_max_connections_per_source: usize,
    /// Seconds one message may take to arrive whole over TCP (`tcp_max_msg_time`).
    pub tcp_max_msg_time: u64,
    /// Largest SIP message accepted, in bytes (siplua's `max_message_size`).
    pub max_message_size: usize,
    /// SO_RCVBUF/SO_SNDBUF asked for UDP sockets (`maxbuffer`).
    pub udp_socket_buffer: usize,
    /// Queue fill (percent) beyond which requests get 503 instead of the script, 0 never
    /// (siplua's `overload_queue_percent`).
    pub overload_queue_percent: u8,
    /// `Retry-After` seconds of those 503s (siplua's `overload_retry_after`).
    pub overload_retry_after: u32,
    /// `advertised_address`: the host put in Via and Record-Route for sockets without their
    /// own `as` address.
    pub advertised_address: Option<String>,
    /// `advertised_port`: the port advertised with it (or alone) for those sockets.
    pub advertised_port: Option<u16>,
    /// `enable_asserts`: whether `assert()` checks its condition (off: it does nothing).
    pub enable_asserts: bool,
    /// `abort_on_assert`: a failed `assert()` ends the message's processing at once (OpenSIPS
    /// aborts the whole server).
    pub abort_on_assert: bool,
    /// `-o name=value` command-line options, read by the script as `$argv(name)`.
    pub argv: Vec<(String, String)>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CoreConfig {
            log_level: 2,
            xlog_level: 2,
            xlog_print_level: -1,
            log_stderror: true,
            syslog_enabled: false,
            syslog_facility: "LOG_DAEMON".into(),
            syslog_name: "siplua".into(),
            udp_workers: cores,
            tcp_workers: cores,
            listen: Vec::new(),
            aliases: Vec::new(),
            server_header: None,
            user_agent_header: None,
            max_while_loops: 10_000,
            tcp_connection_lifetime: 120,
            tcp_connect_timeout: 100,
            tcp_max_connections: 2048,
            dns: crate::dns::DnsSettings::default(),
            db_default_url: None,
            tls: None,
            ws: Default::default(),
            wss: Default::default(),
            tcp_max_connections_per_source: 256,
            tcp_max_msg_time: 4,
            max_message_size: 65535,
            udp_socket_buffer: 4 * 1024 * 1024,
            overload_queue_percent: 80,
            overload_retry_after: 5,
            advertised_address: None,
            advertised_port: None,
            enable_asserts: false,
            abort_on_assert: false,
            argv: Vec::new(),
        }
    }
}

impl CoreConfig {
    /// Applies one global parameter; the error text is printed at the parameter's position.
    pub fn apply(&mut self, p: &GlobalParam) -> Result<(), String> {
        let v = &p.value;
        match p.name.as_str() {
            "log_level" | "debug" => self.log_level = int(v)? as i32,
            "xlog_level" => self.xlog_level = int(v)? as i32,
            "xlog_print_level" => self.xlog_print_level = int(v)? as i32,
            "stderror_enabled" | "log_stderror" => self.log_stderror = boolean(v)?,
            "syslog_enabled" => self.syslog_enabled = boolean(v)?,
            "syslog_facility" | "log_facility" => self.syslog_facility = text(v)?,
            "syslog_name" | "log_name" => self.syslog_name = text(v)?,
            "udp_workers" | "children" => {
                // 0 is OpenSIPS' way of saying "no UDP" (TLS- or TCP-only configurations); a
                // UDP socket with no worker is refused when the sockets are checked.
                self.udp_workers = usize::try_from(int(v)?)
                    .map_err(|_| "expected 0 or a positive number".to_string())?
            }
            "tcp_workers" | "tcp_children" => self.tcp_workers = positive(v)?,
            "socket" | "listen" => {
                for s in sockets(v)? {
                    self.listen.extend(listen_specs(&s)?);
                }
            }
            "alias" => self.aliases.extend(aliases(v)?),
            "server_header" => self.server_header = Some(strip_header_name(&text(v)?, "Server")),
            "user_agent_header" => {
                self.user_agent_header = Some(strip_header_name(&text(v)?, "User-Agent"))
            }
            "max_while_loops" => self.max_while_loops = int(v)?,
            "tcp_connection_lifetime" => self.tcp_connection_lifetime = int(v)?.max(1) as u64,
            "tcp_connect_timeout" => self.tcp_connect_timeout = positive(v)? as u64,
            "tcp_max_connections" => self.tcp_max_connections = positive(v)?,
            "dns_server" => self.dns.server = Some(dns_server(&text(v)?)?),
            "dns_try_naptr" => self.dns.try_naptr = boolean(v)?,
            "dns_try_ipv6" => self.dns.try_ipv6 = boolean(v)?,
            "disable_dns_failover" => self.dns.failover = !boolean(v)?,
            "use_dns_failover" => self.dns.failover = boolean(v)?,
            "dns_retr_time" => {
                let n = int(v)?;
                if n > 0 {
                    self.dns.retr_time = std::time::Duration::from_secs(n as u64);
                }
            }
            "dns_retr_no" => {
                let n = int(v)?;
                if n > 0 {
                    self.dns.retr_no = n as u32;
                }
            }
            "dns_cache_size" => self.dns.cache_size = int(v)?.max(0) as usize,
            "use_dns_cache" => {
                if !boolean(v)? {
                    self.dns.cache_size = 0;
                }
            }
            "dns_cache_max_ttl" => {
                self.dns.cache_max_ttl = std::time::Duration::from_secs(int(v)?.max(1) as u64)
            }
            "dns_cache_negative_ttl" => {
                self.dns.negative_ttl = std::time::Duration::from_secs(int(v)?.max(0) as u64)
            }
            "db_default_url" => self.db_default_url = Some(text(v)?),
            "tcp_max_connections_per_source" => {
                self.tcp_max_connections_per_source = usize::try_from(int(v)?)
                    .map_err(|_| "expected 0 or a positive number".to_string())?
            }
            "tcp_max_msg_time" => self.tcp_max_msg_time = positive(v)? as u64,
            "max_message_size" => self.max_message_size = positive(v)?,
            "maxbuffer" => self.udp_socket_buffer = positive(v)?,
            "overload_queue_percent" => {
                self.overload_queue_percent = match int(v)? {
                    n @ 0..=100 => n as u8,
                    n => return Err(format!("expected a percentage 0 to 100, got {n}")),
                }
            }
            "overload_retry_after" => {
                self.overload_retry_after =
                    u32::try_from(positive(v)?).map_err(|_| "retry-after too large".to_string())?
            }
            "advertised_address" => self.advertised_address = Some(text(v)?),
            "advertised_port" => {
                self.advertised_port = Some(
                    u16::try_from(positive(v)?)
                        .map_err(|_| "expected a port number".to_string())?,
                )
            }
            "enable_asserts" => self.enable_asserts = boolean(v)?,
            "abort_on_assert" => self.abort_on_assert = boolean(v)?,
            name if IGNORED.contains(&name) => {}
            name => return Err(format!("unknown global parameter '{name}'")),
        }
        Ok(())
    }
}

impl CoreConfig {
    /// Gives the global `advertised_address` / `advertised_port` to every socket that has no
    /// `as` of its own, once all parameters are read (they may come after the sockets).
    pub fn advertise_globally(&mut self) {
        if self.advertised_address.is_none() && self.advertised_port.is_none() {
            return;
        }
        for l in self.listen.iter_mut().filter(|l| l.advertised.is_none()) {
            let host = self
                .advertised_address
                .clone()
                .unwrap_or_else(|| l.addr.ip().to_string());
            l.advertised = Some((host, self.advertised_port.unwrap_or(l.addr.port())));
        }
    }
}

fn int(v: &GlobalValue) -> Result<i64, String> {
    match v {
        GlobalValue::Int(i) => Ok(*i),
        GlobalValue::Bool(b) => Ok(*b as i64),
        GlobalValue::Str(s) | GlobalValue::Id(s) => {
            crate::value::parse_int(s).ok_or_else(|| format!("expected an integer, got '{s}'"))
        }
        _ => Err("expected an integer".into()),
    }
}

fn positive(v: &GlobalValue) -> Result<usize, String> {
    let n = int(v)?;
    if n < 1 {
        return Err(format!("expected a positive number, got {n}"));
    }
    Ok(n as usize)
}

fn boolean(v: &GlobalValue) -> Result<bool, String> {
    match v {
        GlobalValue::Bool(b) => Ok(*b),
        GlobalValue::Int(i) => Ok(*i != 0),
        _ => Err("expected yes/no or a number".into()),
    }
}

fn text(v: &GlobalValue) -> Result<String, String> {
    match v {
        GlobalValue::Str(s) | GlobalValue::Id(s) => Ok(s.clone()),
        GlobalValue::Int(i) => Ok(i.to_string()),
        _ => Err("expected a string".into()),
    }
}

/// `server_header="Server: siplua"` and `server_header="siplua"` both mean the value.
fn strip_header_name(s: &str, name: &str) -> String {
    match s.split_once(':') {
        Some((n, rest)) if n.trim().eq_ignore_ascii_case(name) => rest.trim().to_owned(),
        _ => s.trim().to_owned(),
    }
}

fn sockets(v: &GlobalValue) -> Result<Vec<SocketSpec>, String> {
    match v {
        GlobalValue::Socket(s) => Ok(vec![s.clone()]),
        GlobalValue::List(items) => items
            .iter()
            .map(sockets)
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.concat()),
        GlobalValue::Str(s) | GlobalValue::Id(s) => Ok(vec![parse_socket_text(s)?]),
        _ => Err("expected a socket like udp:127.0.0.1:5060".into()),
    }
}

/// A socket written as a string (`listen="udp:1.2.3.4:5060"`, `force_send_socket("...")`).
pub(crate) fn parse_socket_text(s: &str) -> Result<SocketSpec, String> {
    const PROTOS: [&str; 6] = ["udp", "tcp", "tls", "ws", "wss", "sctp"];
    let (proto, rest) = match s.split_once(':') {
        Some((p, r)) if PROTOS.iter().any(|k| k.eq_ignore_ascii_case(p)) => {
            (Some(p.to_ascii_lowercase()), r)
        }
        _ => (None, s),
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && p.parse::<u16>().is_ok() => {
            (h.to_owned(), p.parse().ok())
        }
        _ => (rest.to_owned(), None),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Ok(SocketSpec {
        proto,
        host,
        port,
        advertised: None,
        options: Vec::new(),
        span: Default::default(),
    })
}

/// Expands one socket spec into listen specs: no protocol means UDP and TCP, as OpenSIPS
/// listens on both when the protocol is left out; `*` is every IPv4 address; a network
/// interface name (`eth0`) is each of its addresses.
fn listen_specs(s: &SocketSpec) -> Result<Vec<ListenSpec>, String> {
    let protos = match s.proto.as_deref() {
        None => vec![Proto::Udp, Proto::Tcp],
        Some("udp") => vec![Proto::Udp],
        Some("tcp") => vec![Proto::Tcp],
        Some("tls") => vec![Proto::Tls],
        Some("ws") => vec![Proto::Ws],
        Some("wss") => vec![Proto::Wss],
        Some(other) => {
            return Err(format!(
                "protocol '{other}' is not supported yet (udp, tcp, tls, ws, wss)"
            ))
        }
    };
    // OpenSIPS' defaults: `tls_port`, `ws_port` and `wss_port`.
    let port = s.port.unwrap_or(match protos[..] {
        [Proto::Tls] => 5061,
        [Proto::Ws] => 80,
        [Proto::Wss] => 443,
        _ => 5060,
    });
    let ips = match siplua_transport::interface_addresses(&s.host) {
        Some(ips) if ips.is_empty() => {
            return Err(format!("interface '{}' has no IP address", s.host))
        }
        Some(ips) => ips,
        None => vec![resolve_host(&s.host, port)?],
    };
    let advertised = s
        .advertised
        .as_ref()
        .map(|(h, p)| (h.clone(), p.unwrap_or(port)));
    Ok(ips
        .into_iter()
        .flat_map(|ip| {
            let advertised = advertised.clone();
            protos.iter().map(move |&proto| ListenSpec {
                proto,
                addr: SocketAddr::new(ip, port),
                advertised: advertised.clone(),
            })
        })
        .collect())
}

fn resolve_host(host: &str, port: u16) -> Result<IpAddr, String> {
    if host == "*" || host.is_empty() {
        return Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .map(|a| a.ip())
        .ok_or_else(|| format!("cannot resolve listen address '{host}'"))
}

/// `dns_server="127.0.0.1:5353"` (port 53 when left out, `[::1]:53` for IPv6).
fn dns_server(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("dns_server: expected IP[:port], got '{s}'"))
}

fn aliases(v: &GlobalValue) -> Result<Vec<(String, Option<u16>)>, String> {
    Ok(sockets(v)?.into_iter().map(|s| (s.host, s.port)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(c: &mut CoreConfig, name: &str, value: GlobalValue) -> Result<(), String> {
        c.apply(&GlobalParam {
            name: name.into(),
            value,
            span: Default::default(),
        })
    }

    #[test]
    fn tcp_connect_timeout_and_syslog_name() {
        let mut c = CoreConfig::default();
        assert_eq!(
            (c.tcp_connect_timeout, c.syslog_name.as_str()),
            (100, "siplua")
        );
        apply(&mut c, "tcp_connect_timeout", GlobalValue::Int(250)).unwrap();
        apply(&mut c, "syslog_name", GlobalValue::Str("SIPLB".into())).unwrap();
        assert_eq!(
            (c.tcp_connect_timeout, c.syslog_name.as_str()),
            (250, "SIPLB")
        );
        apply(&mut c, "log_name", GlobalValue::Str("old".into())).unwrap();
        apply(&mut c, "log_facility", GlobalValue::Id("LOG_LOCAL5".into())).unwrap();
        assert_eq!(
            (c.syslog_name.as_str(), c.syslog_facility.as_str()),
            ("old", "LOG_LOCAL5")
        );
        assert!(apply(&mut c, "tcp_connect_timeout", GlobalValue::Int(0)).is_err());
    }

    #[test]
    fn socket_text_forms() {
        let s = parse_socket_text("udp:127.0.0.1:5080").unwrap();
        assert_eq!(
            (s.proto.as_deref(), s.host.as_str(), s.port),
            (Some("udp"), "127.0.0.1", Some(5080))
        );
        let s = parse_socket_text("example.com").unwrap();
        assert_eq!(
            (s.proto, s.host.as_str(), s.port),
            (None, "example.com", None)
        );
        let s = parse_socket_text("tcp:[::1]:5060").unwrap();
        assert_eq!(s.host, "::1");
    }

    #[test]
    fn dns_server_forms() {
        assert_eq!(dns_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(dns_server("127.0.0.1").unwrap().port(), 53);
        assert!(dns_server("[::1]:53").unwrap().is_ipv6());
        assert!(dns_server("ns.example").is_err());
    }

    /// `socket=udp:lo:5070`: an interface name stands for its addresses, as in OpenSIPS.
    #[test]
    fn an_interface_name_listens_on_its_addresses() {
        let l = listen_specs(&parse_socket_text("udp:lo:5070").unwrap()).unwrap();
        assert!(
            l.iter()
                .any(|s| s.addr == "127.0.0.1:5070".parse().unwrap()),
            "{l:?}"
        );
        assert!(l
            .iter()
            .all(|s| s.proto == Proto::Udp && s.addr.port() == 5070));
    }

    #[test]
    fn tls_socket_defaults_to_port_5061() {
        let l = listen_specs(&parse_socket_text("tls:127.0.0.1").unwrap()).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].proto, Proto::Tls);
        assert_eq!(l[0].addr, "127.0.0.1:5061".parse().unwrap());
        let l = listen_specs(&parse_socket_text("tls:127.0.0.1:5071").unwrap()).unwrap();
        assert_eq!(l[0].addr.port(), 5071);
    }

    #[test]
    fn websocket_sockets_default_to_ports_80_and_443() {
        let l = listen_specs(&parse_socket_text("ws:127.0.0.1").unwrap()).unwrap();
        assert_eq!((l[0].proto, l[0].addr.port()), (Proto::Ws, 80));
        let l = listen_specs(&parse_socket_text("WSS:127.0.0.1").unwrap()).unwrap();
        assert_eq!((l[0].proto, l[0].addr.port()), (Proto::Wss, 443));
        let l = listen_specs(&parse_socket_text("ws:127.0.0.1:8080").unwrap()).unwrap();
        assert_eq!(l[0].addr.port(), 8080);
    }

    #[test]
    fn overload_and_limit_parameters() {
        let param = |name: &str, value: GlobalValue| GlobalParam {
            name: name.into(),
            value,
            span: Default::default(),
        };
        let mut c = CoreConfig::default();
        c.apply(&param("overload_queue_percent", GlobalValue::Int(50)))
            .unwrap();
        c.apply(&param("maxbuffer", GlobalValue::Int(262144)))
            .unwrap();
        c.apply(&param(
            "tcp_max_connections_per_source",
            GlobalValue::Int(0),
        ))
        .unwrap();
        assert_eq!(
            (
                c.overload_queue_percent,
                c.udp_socket_buffer,
                c.tcp_max_connections_per_source
            ),
            (50, 262144, 0)
        );
        assert!(c
            .apply(&param("overload_queue_percent", GlobalValue::Int(101)))
            .is_err());
        assert!(c
            .apply(&param(
                "tcp_max_connections_per_source",
                GlobalValue::Int(-1)
            ))
            .is_err());
        assert!(c
            .apply(&param("overload_retry_after", GlobalValue::Int(0)))
            .is_err());
    }

    #[test]
    fn header_prefix_is_optional() {
        assert_eq!(strip_header_name("Server: siplua 1", "Server"), "siplua 1");
        assert_eq!(strip_header_name("siplua", "Server"), "siplua");
    }
}
