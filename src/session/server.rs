//! The owner's socket server: one thread accepting, one per connection.

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::hub::Hub;
use super::peer::{my_uid, peer_cred, peer_groups, PeerCred};
use super::wire::{self, kind, put_bytes, read_frame, write_frame, Cursor};
use super::{config::SessionConfig, Committed};
use crate::store::{Applied, Generation, StoreError, TxId, ValueSource};

/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// Values per PAIRS frame of a SCAN (each then acknowledged).
const SCAN_BATCH: usize = 256;
/// Largest change set a client may send.
const MAX_CHANGES: usize = 10_000_000;

/// Who may connect.
#[derive(Clone, Debug)]
struct Policy {
    store: PathBuf,
    uid: u32,
    /// The store directory's group, when sharing with it is configured.
    group: Option<u32>,
}

/// A group id with its name when the system knows it: `100 (users)`.
fn describe_group(gid: u32) -> String {
    match super::peer::group_name(gid) {
        Some(n) => format!("{gid} ({n})"),
        None => gid.to_string(),
    }
}

impl Policy {
    /// Whether a peer with these credentials and `groups` (every group it is in,
    /// supplementary ones included) may use the store.
    fn check(&self, peer: PeerCred, groups: &[u32]) -> Result<(), String> {
        if peer.uid == self.uid || self.group.is_some_and(|g| groups.contains(&g)) {
            return Ok(());
        }
        Err(match self.group {
            None => format!(
                "the store at {} belongs to user id {} and this process runs as user id {}; \
                 a store is served only to its owner unless the owner sets \
                 `[store] share_with_group = true` in config.toml",
                self.store.display(),
                self.uid,
                peer.uid
            ),
            Some(g) => format!(
                "the store at {} is shared with group {} only, and this process (user id {}) \
                 is not in it (its groups: {})",
                self.store.display(),
                describe_group(g),
                peer.uid,
                groups
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

/// A running server.
pub(crate) struct Server {
    socket: PathBuf,
    ino: u64,
    /// The listening socket itself (a second handle), to wake the accept loop whatever
    /// became of the socket's file.
    listening: UnixListener,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<HashMap<u64, UnixStream>>>,
}

impl Server {
    /// Serves `hub` on `socket`, replacing a stale socket file (the caller holds the
    /// store's lock, so no other process serves it).
    pub(crate) fn start(
        hub: Arc<Hub>,
        socket: &Path,
        config: &SessionConfig,
    ) -> io::Result<Server> {
        match std::fs::remove_file(socket) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(socket)?;
        let dir = socket.parent().unwrap_or(Path::new("."));
        let prepared = (|| -> io::Result<(Option<u32>, u64)> {
            let group = if config.share_with_group {
                Some(std::fs::metadata(dir)?.gid())
            } else {
                None
            };
            if let Some(g) = group {
                // The socket is the directory's group's, not this user's primary group's
                // (refused only when this user is not in that group: then only the user
                // is served).
                if std::fs::metadata(socket)?.gid() != g {
                    let _ = std::os::unix::fs::chown(socket, None, Some(g));
                }
            }
            let mode = if group.is_some() { 0o660 } else { 0o600 };
            std::fs::set_permissions(socket, std::fs::Permissions::from_mode(mode))?;
            Ok((group, std::fs::metadata(socket)?.ino()))
        })();
        let (group, ino) = match prepared {
            Ok(p) => p,
            Err(e) => {
                let _ = std::fs::remove_file(socket);
                return Err(e);
            }
        };
        let policy = Policy {
            store: dir.to_path_buf(),
            uid: my_uid(),
            group,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<HashMap<u64, UnixStream>>> = Arc::default();
        let listening = listener.try_clone()?;
        let accept = {
            let (stop, conns) = (stop.clone(), conns.clone());
            std::thread::Builder::new()
                .name("paytrack-serve".into())
                .spawn(move || accept_loop(listener, hub, policy, stop, conns))?
        };
        Ok(Server {
            socket: socket.to_path_buf(),
            ino,
            listening,
            stop,
            accept: Some(accept),
            conns,
        })
    }

    /// Stops accepting, waits for requests in flight, closes the store (releasing the
    /// lock) and closes every connection, so clients reconnect to the next owner.
    pub(crate) fn stop(mut self, hub: &Hub) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop. Shutting the listening socket down makes a blocked accept
        // return (Linux) even when the socket's file was removed or replaced, where a
        // connection to the path would not reach this listener and `join` would wait
        // for ever; the connection is the portable way, for a file still in place.
        // SAFETY: shutdown on a socket descriptor this server owns; it cannot fail in a
        // way that matters here.
        unsafe {
            libc::shutdown(self.listening.as_raw_fd(), libc::SHUT_RDWR);
        }
        let _ = UnixStream::connect(&self.socket);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        if std::fs::metadata(&self.socket).is_ok_and(|m| m.ino() == self.ino) {
            let _ = std::fs::remove_file(&self.socket);
        }
        hub.close();
        for c in lock(&self.conns).values() {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(
    listener: UnixListener,
    hub: Arc<Hub>,
    policy: Policy,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<HashMap<u64, UnixStream>>>,
) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        if let Ok(c) = stream.try_clone() {
            lock(&conns).insert(id, c);
        }
        let (h, p, s, c) = (hub.clone(), policy.clone(), stop.clone(), conns.clone());
        let spawned = std::thread::Builder::new()
            .name("paytrack-conn".into())
            .spawn(move || {
                let _ = serve(&h, stream, &p, &s);
                lock(&c).remove(&id);
            });
        if spawned.is_err() {
            lock(&conns).remove(&id);
        }
    }
}

fn error_frame(msg: &str) -> Vec<u8> {
    let mut f = vec![kind::ERROR];
    f.extend_from_slice(msg.as_bytes());
    f
}

/// One connection: credentials, hello, then requests until the client leaves.
fn serve(hub: &Hub, stream: UnixStream, policy: &Policy, stop: &AtomicBool) -> io::Result<()> {
    let mut w = BufWriter::new(stream.try_clone()?);
    // The hello is read before anything is answered: closing a Unix socket with unread
    // data makes the peer's read fail, and a refused client must read why.
    stream.set_read_timeout(Some(HELLO_TIMEOUT))?;
    let mut r = BufReader::new(stream.try_clone()?);
    let mut buf = Vec::new();
    read_frame(&mut r, &mut buf)?;
    let cred = peer_cred(&stream)?;
    let groups = peer_groups(&stream, cred);
    if let Err(reason) = policy.check(cred, &groups) {
        let mut f = vec![kind::REFUSED];
        f.extend_from_slice(reason.as_bytes());
        write_frame(&mut w, &f)?;
        return w.flush();
    }
    let mut c = Cursor::expect(&buf, kind::HELLO)?;
    let magic = c.take(wire::MAGIC.len())?;
    let proto = c.u32()?;
    if magic != wire::MAGIC || proto != wire::PROTOCOL {
        let mut f = vec![kind::REFUSED];
        f.extend_from_slice(
            format!(
                "this paytrack speaks session protocol {}, the other one {proto}: run the same paytrack version",
                wire::PROTOCOL
            )
            .as_bytes(),
        );
        write_frame(&mut w, &f)?;
        return w.flush();
    }
    stream.set_read_timeout(None)?;
    let mut f = vec![kind::WELCOME];
    f.extend_from_slice(&wire::PROTOCOL.to_le_bytes());
    f.extend_from_slice(&hub.generation().0.to_le_bytes());
    write_frame(&mut w, &f)?;
    w.flush()?;
    loop {
        match read_frame(&mut r, &mut buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let closed = match buf[0] {
            kind::GET => get(hub, &buf[1..], &mut w)?,
            kind::SCAN => {
                let mut c = Cursor::new(&buf[1..]);
                let (prefix, reverse) = (c.u8()?, c.u8()? != 0);
                scan(hub, prefix, reverse, &mut r, &mut w)?
            }
            kind::LOAD => load(hub, &mut w)?,
            kind::GENERATION => {
                let mut f = vec![kind::GEN];
                f.extend_from_slice(&hub.generation().0.to_le_bytes());
                write_frame(&mut w, &f)?;
                false
            }
            kind::COMMIT => {
                let mut c = Cursor::new(&buf[1..]);
                let (tx, base) = (TxId(c.u128()?), Generation(c.u64()?));
                let set = wire::read_change_set(&mut r, &mut buf, MAX_CHANGES)?;
                let mut reply_err = None;
                let res = hub.commit_then(base, &set, tx, |res| {
                    let f = match res {
                        Ok(a) => {
                            let (code, g) = match a {
                                Applied::Committed(g) => (0u8, g),
                                Applied::AlreadyApplied(g) => (1, g),
                                Applied::Conflict { current } => (2, current),
                            };
                            let mut f = vec![kind::APPLIED, code];
                            f.extend_from_slice(&g.0.to_le_bytes());
                            f
                        }
                        Err(e) => error_frame(&e.to_string()),
                    };
                    if let Err(e) = write_frame(&mut w, &f).and_then(|()| w.flush()) {
                        reply_err = Some(e);
                    }
                });
                if let Some(e) = reply_err {
                    return Err(e);
                }
                // A closed hub: this owner is leaving; the client retries elsewhere.
                res.is_err() && hub.with_store(|_| ()).is_err()
            }
            kind::SAFETY_COPY => {
                let reason = String::from_utf8_lossy(&buf[1..]).into_owned();
                match hub.with_store(|s| s.safety_copy(&reason)) {
                    Err(_) => true,
                    Ok(r) => {
                        let f = match r {
                            Ok(c) => {
                                let mut f = vec![kind::VALUE, u8::from(c.is_some())];
                                if let Some(c) = c {
                                    f.extend_from_slice(c.to_string().as_bytes());
                                }
                                f
                            }
                            Err(e) => error_frame(&e.to_string()),
                        };
                        write_frame(&mut w, &f)?;
                        false
                    }
                }
            }
            kind::CHECK => {
                let repair = Cursor::new(&buf[1..]).u8()? != 0;
                match hub.with_store_exclusive(|s| crate::check::check_store(s, repair)) {
                    Err(_) => true,
                    Ok(r) => {
                        let f = match r {
                            Ok(report) => {
                                let mut f = vec![kind::VALUE, u8::from(report.error.is_some())];
                                wire::put_bytes(&mut f, report.output.as_bytes());
                                wire::put_bytes(&mut f, report.notes.as_bytes());
                                wire::put_bytes(
                                    &mut f,
                                    report.error.unwrap_or_default().as_bytes(),
                                );
                                f
                            }
                            Err(e) => error_frame(&format!("{e:#}")),
                        };
                        write_frame(&mut w, &f)?;
                        false
                    }
                }
            }
            kind::SUBSCRIBE => {
                let from = Generation(Cursor::new(&buf[1..]).u64()?);
                return notify(hub, from, &mut w, stop);
            }
            other => {
                write_frame(
                    &mut w,
                    &error_frame(&format!("unknown request 0x{other:02x}")),
                )?;
                w.flush()?;
                return Ok(());
            }
        };
        w.flush()?;
        if closed {
            return Ok(());
        }
    }
}

/// Answers GET; true when the hub is closed.
fn get(hub: &Hub, key: &[u8], w: &mut impl Write) -> io::Result<bool> {
    match hub.with_store(|s| s.get_value(key)) {
        Err(_) => Ok(true),
        Ok(Ok(v)) => {
            let mut f = vec![kind::VALUE, u8::from(v.is_some())];
            if let Some(v) = v {
                f.extend_from_slice(&v);
            }
            write_frame(w, &f)?;
            Ok(false)
        }
        Ok(Err(e)) => {
            write_frame(w, &error_frame(&e.to_string()))?;
            Ok(false)
        }
    }
}

/// Answers SCAN: batches of pairs, each acknowledged; true when the hub is closed.
fn scan(
    hub: &Hub,
    prefix: u8,
    reverse: bool,
    r: &mut impl io::Read,
    w: &mut impl Write,
) -> io::Result<bool> {
    let mut io_err: Option<io::Error> = None;
    let mut frame = vec![kind::PAIRS];
    let mut n = 0;
    let mut ack = Vec::new();
    // Sends the batch and reads the client's answer: true to go on.
    let mut send = |frame: &mut Vec<u8>, w: &mut dyn Write| -> io::Result<bool> {
        write_frame(w, frame)?;
        w.flush()?;
        frame.truncate(1);
        read_frame(r, &mut ack)?;
        match ack.first() {
            Some(&kind::MORE) => Ok(true),
            Some(&kind::STOP) => Ok(false),
            _ => Err(wire::bad("expected MORE or STOP")),
        }
    };
    let res = hub.with_store(|s| {
        s.scan_values(prefix, reverse, &mut |k, v| {
            put_bytes(&mut frame, k);
            put_bytes(&mut frame, v);
            n += 1;
            if n % SCAN_BATCH == 0 || frame.len() > wire::FRAME_TARGET {
                match send(&mut frame, w) {
                    Ok(more) => return Ok(more),
                    Err(e) => {
                        io_err = Some(e);
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        })
    });
    let res = match res {
        Err(_) => return Ok(true),
        Ok(r) => r,
    };
    if let Some(e) = io_err {
        return Err(e);
    }
    if let Err(e) = res {
        write_frame(w, &error_frame(&e.to_string()))?;
        return Ok(false);
    }
    if frame.len() > 1 {
        send(&mut frame, w)?;
    }
    write_frame(w, &[kind::END])?;
    Ok(false)
}

/// Answers LOAD: every stored value in key order under the read lock, then the
/// generation they reflect; true when the hub is closed.
fn load(hub: &Hub, w: &mut impl Write) -> io::Result<bool> {
    let mut io_err: Option<io::Error> = None;
    let res = hub.with_store(|s| -> Result<Generation, StoreError> {
        let generation = s.generation()?;
        let mut frame = vec![kind::PAIRS];
        for prefix in 0..=u8::MAX {
            s.scan_values(prefix, false, &mut |k, v| {
                put_bytes(&mut frame, k);
                put_bytes(&mut frame, v);
                if frame.len() > wire::FRAME_TARGET {
                    if let Err(e) = write_frame(w, &frame) {
                        io_err = Some(e);
                        return Ok(false);
                    }
                    frame.truncate(1);
                }
                Ok(true)
            })?;
            if io_err.is_some() {
                break;
            }
        }
        if frame.len() > 1 && io_err.is_none() {
            if let Err(e) = write_frame(w, &frame) {
                io_err = Some(e);
            }
        }
        Ok(generation)
    });
    let res = match res {
        Err(_) => return Ok(true),
        Ok(r) => r,
    };
    if let Some(e) = io_err {
        return Err(e);
    }
    match res {
        Ok(g) => {
            let mut f = vec![kind::END];
            f.extend_from_slice(&g.0.to_le_bytes());
            write_frame(w, &f)?;
        }
        Err(e) => write_frame(w, &error_frame(&e.to_string()))?,
    }
    Ok(false)
}

/// A subscription: every commit after `from`, until the client or the owner leaves.
fn notify(hub: &Hub, from: Generation, w: &mut impl Write, stop: &AtomicBool) -> io::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel::<Committed>();
    hub.subscribe(Arc::new(tx), from);
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(c) => {
                let mut f = vec![kind::NOTIFY];
                f.extend_from_slice(&c.generation.0.to_le_bytes());
                f.push(u8::from(c.reload));
                write_frame(w, &f)?;
                wire::write_change_set(w, &c.changes)?;
                w.flush()?;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(uid: u32, gid: u32) -> PeerCred {
        PeerCred { uid, gid, pid: 0 }
    }

    #[test]
    fn the_owner_and_with_sharing_any_member_of_the_directory_s_group_are_served() {
        let private = Policy {
            store: "/s".into(),
            uid: 1000,
            group: None,
        };
        assert!(private.check(peer(1000, 5), &[5]).is_ok());
        let e = private.check(peer(1001, 100), &[100]).unwrap_err();
        assert!(e.contains("share_with_group"), "{e}");
        let shared = Policy {
            group: Some(100),
            ..private
        };
        assert!(shared.check(peer(1000, 5), &[5]).is_ok());
        // primary group, or a supplementary one
        assert!(shared.check(peer(1001, 100), &[100]).is_ok());
        assert!(shared.check(peer(65534, 65534), &[100, 65534]).is_ok());
        let e = shared
            .check(peer(65534, 65534), &[65534, 61003])
            .unwrap_err();
        assert!(e.contains("shared with group 100"), "{e}");
        assert!(e.contains("user id 65534") && e.contains("61003"), "{e}");
    }
}
