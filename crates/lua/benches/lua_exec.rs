//! Per-call cost of the lua module: `lua_exec` of an empty function and of a 1000-iteration
//! loop (each with and without the instruction budget hook), of a function doing 3
//! `getHeader` + 1 `AVP_set`, and of `moduleFunc(msg, "sl_send_reply", "200", "OK")` next to
//! the same reply sent by the cfg function directly.
//!
//! The handlers are called directly on a reused `Context` (the interpreter around them is not
//! measured). The replies really go out: the context has real transports (a UDP socket on
//! 127.0.0.1) and the reply is sent to a local socket that is never read (the kernel drops
//! what does not fit), so `moduleFunc` is measured with reply building and `sendto` included.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use siplua_core::context::{Context, Origin};
use siplua_core::function::{Args, FunctionDecl, PreparedArg};
use siplua_core::route_type::RouteType;
use siplua_core::worker::WorkerState;
use siplua_sip::Message;
use siplua_transport::{Handler, HandlerFactory, ListenSpec, Proto, Received, TransportConfig};

const LUA: &str = r#"
function empty(msg) end
function headers(msg)
  local a = getHeader(msg, "From")
  local b = getHeader(msg, "Call-ID")
  local c = getHeader(msg, "X-Custom")
  AVP_set("a", c)
end
function loop(msg)
  local n = 0
  for i = 1, 1000 do n = n + i end
  return n
end
function reply(msg)
  return moduleFunc(msg, "sl_send_reply", "200", "OK")
end
"#;

struct Ignore;

impl Handler for Ignore {
    fn handle(&mut self, _: Received) {}
}

fn args(texts: &[&str]) -> Args {
    Args(
        texts
            .iter()
            .map(|t| PreparedArg::Str((*t).into()))
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let default = Engine::new(LUA, "", "route { exit; }");
    let unlimited = Engine::new(
        LUA,
        "modparam(\"lua\", \"lua_exec_budget\", 0)",
        "route { exit; }",
    );

    let running = siplua_transport::start(
        &[ListenSpec {
            proto: Proto::Udp,
            addr: "127.0.0.1:0".parse().unwrap(),
            advertised: None,
        }],
        TransportConfig {
            udp_workers: 1,
            ..TransportConfig::default()
        },
        Arc::new(|_: &_| Box::new(Ignore) as Box<dyn Handler>) as HandlerFactory,
    )
    .expect("transports");
    let transports = running.transports();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let origin = Origin {
        src: sink.local_addr().unwrap(),
        socket: transports.sockets()[0].id,
        proto: Proto::Udp,
        conn: None,
    };
    let msg = Message::parse(Bytes::from(common::message(
        "X-Custom: some value\r\nUser-Agent: bench\r\n",
    )))
    .unwrap();

    let mut group = c.benchmark_group("lua");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);

    for (name, engine, func) in [
        ("lua_exec empty function, budget 0", &unlimited, "empty"),
        ("lua_exec empty function", &default, "empty"),
        ("lua_exec 1000-iteration loop", &default, "loop"),
        ("lua_exec 1000-iteration loop, budget 0", &unlimited, "loop"),
        ("lua_exec 3 getHeader + AVP_set", &default, "headers"),
        ("lua_exec moduleFunc sl_send_reply", &default, "reply"),
    ] {
        let decl: Arc<FunctionDecl> = engine.core.functions.get("lua_exec").unwrap();
        let a = args(&[func]);
        let mut state = WorkerState::new(1, Some(transports.clone()));
        let mut ctx = Context::new(
            &engine.core,
            &mut state,
            RouteType::Request,
            Some(&msg),
            Some(origin),
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                ctx.avps = Default::default();
                black_box((decl.handler)(&mut ctx, &a))
            })
        });
    }

    let decl = default.core.functions.get("sl_send_reply").unwrap();
    let a = Args(vec![PreparedArg::Int(200), PreparedArg::Str("OK".into())]);
    let mut state = WorkerState::new(1, Some(transports.clone()));
    let mut ctx = Context::new(
        &default.core,
        &mut state,
        RouteType::Request,
        Some(&msg),
        Some(origin),
    );
    group.bench_function("cfg sl_send_reply (baseline)", |b| {
        b.iter(|| black_box((decl.handler)(&mut ctx, &a)))
    });
    group.finish();
    drop(ctx);
    let _: SocketAddr = sink.local_addr().unwrap();
    running.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
