//! The floor of the side-by-side benchmark (`bench/run`): the least work a UDP SIP responder
//! can do per OPTIONS, so that the syscall and wake-up cost of the machine is measured in the
//! same run as the servers and siplua can be reported as a multiple of it.
//!
//! One thread, one socket set up as siplua's UDP sockets are (4 MiB SO_RCVBUF/SO_SNDBUF,
//! blocking receive), one `recvfrom` and one `sendto` per datagram. The answer is a canned
//! `200 OK` carrying the request's Via, From, To, Call-ID and CSeq lines, copied as they are
//! (found by their first bytes, no parsing: SIPp needs them to match the answer to its call),
//! and `Content-Length: 0`. No batching, no checks: it is the reference, not a server.
//!
//! Usage: `siplua-bench-floor [ADDR]` (default `127.0.0.1:5070`). Stopped by a signal.

use std::mem::MaybeUninit;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

/// The header lines copied from the request into the answer, by their first bytes.
const COPIED: [&[u8]; 5] = [b"Via:", b"From:", b"To:", b"Call-ID:", b"CSeq:"];

/// Writes the canned answer to `req` into `out`.
fn answer(req: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"SIP/2.0 200 OK\r\n");
    // Skip the request line; copy the wanted lines until the empty line that ends the headers.
    let mut lines = req.split(|&b| b == b'\n').skip(1);
    for line in lines.by_ref() {
        if line.is_empty() || line == b"\r" {
            break;
        }
        if COPIED.iter().any(|p| line.starts_with(p)) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
}

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5070".to_owned())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_recv_buffer_size(4 << 20)?;
    sock.set_send_buffer_size(4 << 20)?;
    sock.bind(&addr.into())?;
    eprintln!("siplua-bench-floor listening on udp:{addr}");
    let mut buf = vec![MaybeUninit::<u8>::uninit(); 65536];
    let mut out = Vec::with_capacity(1024);
    loop {
        let (n, from) = match sock.recv_from(&mut buf) {
            Ok(r) => r,
            Err(_) => continue,
        };
        // SAFETY: recv_from initialised the first `n` bytes of `buf`.
        let req = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) };
        answer(req, &mut out);
        let _ = sock.send_to(&out, &from);
    }
}

#[cfg(test)]
mod tests {
    use super::answer;

    #[test]
    fn copies_the_five_lines() {
        let req = b"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        let mut out = Vec::new();
        answer(req, &mut out);
        assert_eq!(
            out,
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n\
To: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
    }
}
