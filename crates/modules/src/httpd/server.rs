//! The server thread: accepts requests on one `tiny_http` server and hands each to the
//! handler of its root, one at a time (as OpenSIPS' single httpd process does).

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use siplua_core::engine::Core;
use tiny_http::{Header, Response, Server};

use super::api::{HttpReply, HttpRequest, HttpdApi};

/// Largest request body read.
const MAX_BODY: u64 = 1 << 20;

/// A started server, stopped by [`Running::stop`].
pub struct Running {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Unblocks the accepting thread and waits for it.
    pub fn stop(mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Binds `addr` and starts the thread.
pub fn start(addr: SocketAddr, api: Arc<HttpdApi>, core: Arc<Core>) -> Result<Running, String> {
    let server =
        Arc::new(Server::http(addr).map_err(|e| format!("httpd cannot listen on {addr}: {e}"))?);
    let s = server.clone();
    let thread = std::thread::Builder::new()
        .name("httpd".into())
        .spawn(move || {
            for request in s.incoming_requests() {
                serve(&api, &core, request);
            }
        })
        .map_err(|e| format!("httpd thread: {e}"))?;
    Ok(Running {
        server,
        thread: Some(thread),
    })
}

fn serve(api: &HttpdApi, core: &Arc<Core>, mut request: tiny_http::Request) {
    let path = request.url().split('?').next().unwrap_or("").to_owned();
    let mut body = Vec::new();
    let read = request.as_reader().take(MAX_BODY).read_to_end(&mut body);
    let reply = match (read, api.find(&path)) {
        (Err(e), _) => HttpReply::text(400, &format!("cannot read the request: {e}")),
        (Ok(_), None) => HttpReply::text(404, "Not Found"),
        (Ok(_), Some(handler)) => {
            let req = HttpRequest {
                method: request.method().as_str().to_owned(),
                path,
                body,
            };
            handler(core, &req)
        }
    };
    let header = Header::from_bytes("Content-Type", reply.content_type).expect("static header");
    let response = Response::from_data(reply.body)
        .with_status_code(reply.status)
        .with_header(header);
    // A client that went away is not an error worth reporting.
    let _ = request.respond(response);
}
