//! The client's side: requests to the owner over the socket.

use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::wire::{self, kind, read_frame, write_frame, Cursor};
use super::{Committed, Inner, SessionError, Subscribers};
use crate::domain::ledger::Ledger;
use crate::domain::ChangeSet;
use crate::store::{Applied, Generation, StoreError, TxId, Value, ValueSource};

/// Why a request did not complete.
pub(crate) enum Failure {
    /// The owner went away (or was never there): reconnect and try again.
    Disconnected,
    /// A definite answer: report it.
    Fatal(SessionError),
}

impl From<io::Error> for Failure {
    fn from(_: io::Error) -> Self {
        Failure::Disconnected
    }
}

/// One connection to the owner, past the hello.
struct Conn {
    stream: UnixStream,
    r: BufReader<UnixStream>,
    w: BufWriter<UnixStream>,
    buf: Vec<u8>,
}

impl Conn {
    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        write_frame(&mut self.w, frame)?;
        self.w.flush()
    }

    fn recv(&mut self) -> io::Result<()> {
        read_frame(&mut self.r, &mut self.buf)
    }

    /// Reads the next frame; an ERROR frame becomes the owner's message.
    fn recv_ok(&mut self) -> Result<(), Failure> {
        self.recv()?;
        if self.buf.first() == Some(&kind::ERROR) {
            return Err(Failure::Fatal(SessionError::Remote {
                message: String::from_utf8_lossy(&self.buf[1..]).into_owned(),
            }));
        }
        Ok(())
    }
}

fn protocol(path: &Path, e: io::Error) -> Failure {
    Failure::Fatal(SessionError::Protocol {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// Connects and says hello: the connection and the owner's generation.
fn open_conn(path: &Path, socket: &Path) -> Result<(Conn, Generation), Failure> {
    let stream = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(Failure::Fatal(SessionError::Permission {
                path: path.to_path_buf(),
            }))
        }
        Err(_) => return Err(Failure::Disconnected),
    };
    let mut conn = Conn {
        r: BufReader::new(stream.try_clone()?),
        w: BufWriter::new(stream.try_clone()?),
        stream,
        buf: Vec::new(),
    };
    let mut hello = vec![kind::HELLO];
    hello.extend_from_slice(wire::MAGIC);
    hello.extend_from_slice(&wire::PROTOCOL.to_le_bytes());
    hello.extend_from_slice(&std::process::id().to_le_bytes());
    conn.send(&hello)?;
    conn.recv()?;
    match conn.buf.first() {
        Some(&kind::REFUSED) => Err(Failure::Fatal(SessionError::Refused {
            path: path.to_path_buf(),
            reason: crate::text::sanitize(&String::from_utf8_lossy(&conn.buf[1..])).into_owned(),
        })),
        Some(&kind::WELCOME) => {
            let mut c = Cursor::new(&conn.buf[1..]);
            let (_proto, g) = (
                c.u32().map_err(|e| protocol(path, e))?,
                c.u64().map_err(|e| protocol(path, e))?,
            );
            Ok((conn, Generation(g)))
        }
        _ => Err(protocol(path, wire::bad("no welcome"))),
    }
}

/// A client of the owning process.
pub(crate) struct Client {
    path: PathBuf,
    socket: PathBuf,
    hello_generation: Generation,
    /// Connections not in use (one request at a time each).
    idle: Mutex<Vec<Conn>>,
    closing: Arc<AtomicBool>,
    subscription: Arc<Mutex<Option<UnixStream>>>,
    /// Set when the subscription saw the owner go away (until the session reconnects).
    lost: Arc<AtomicBool>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Client {
    /// Connects to the owner serving the store `db` on `socket`.
    pub(crate) fn connect(db: &Path, socket: &Path) -> Result<Client, Failure> {
        let (conn, g) = open_conn(db, socket)?;
        Ok(Client {
            path: db.to_path_buf(),
            socket: socket.to_path_buf(),
            hello_generation: g,
            idle: Mutex::new(vec![conn]),
            closing: Arc::new(AtomicBool::new(false)),
            subscription: Arc::default(),
            lost: Arc::default(),
        })
    }

    /// Whether the owner went away and the session has not reconnected yet (known to
    /// sessions that subscribed).
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// The owner's generation when this client connected.
    pub(crate) fn hello_generation(&self) -> Generation {
        self.hello_generation
    }

    /// Runs one request on an idle connection (or a new one); the connection is kept
    /// for the next request only when the request completed.
    fn request<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, Failure>) -> Result<T, Failure> {
        let conn = lock(&self.idle).pop();
        let mut conn = match conn {
            Some(c) => c,
            None => open_conn(&self.path, &self.socket)?.0,
        };
        let res = f(&mut conn);
        match &res {
            Ok(_) | Err(Failure::Fatal(SessionError::Remote { .. })) => lock(&self.idle).push(conn),
            Err(_) => {}
        }
        res
    }

    /// The owner's current generation.
    pub(crate) fn generation(&self) -> Result<Generation, Failure> {
        self.request(|c| {
            c.send(&[kind::GENERATION])?;
            c.recv_ok()?;
            let g = Cursor::expect(&c.buf, kind::GEN)?.u64()?;
            Ok(Generation(g))
        })
    }

    /// The whole store, streamed by the owner and decoded here by the store's loader.
    pub(crate) fn load(&self) -> Result<(Ledger, Generation), Failure> {
        let (dump, g) = self.request(|c| {
            c.send(&[kind::LOAD])?;
            let mut pairs: Vec<(Value, Value)> = Vec::new();
            loop {
                c.recv_ok()?;
                match c.buf.first() {
                    Some(&kind::PAIRS) => read_pairs(&c.buf[1..], &mut pairs)?,
                    Some(&kind::END) => {
                        let g = Cursor::new(&c.buf[1..]).u64()?;
                        return Ok((pairs, Generation(g)));
                    }
                    _ => return Err(protocol(&self.path, wire::bad("expected PAIRS or END"))),
                }
            }
        })?;
        let dump = Dump::new(self.path.clone(), dump);
        let ledger = crate::store::load_from(&dump).map_err(|e| Failure::Fatal(e.into()))?;
        Ok((ledger, g))
    }

    /// Runs a small read against the owner's raw values.
    pub(crate) fn read<T>(
        &self,
        f: &dyn Fn(&dyn ValueSource) -> Result<T, StoreError>,
    ) -> Result<T, Failure> {
        self.request(|c| {
            let src = Remote {
                path: self.path.clone(),
                conn: Mutex::new(c),
                failure: Mutex::new(None),
            };
            let res = f(&src);
            if let Some(failure) = lock(&src.failure).take() {
                return Err(failure);
            }
            res.map_err(|e| Failure::Fatal(e.into()))
        })
    }

    /// Asks the owner for a safety copy; its description when one was written.
    pub(crate) fn safety_copy(&self, reason: &str) -> Result<Option<String>, Failure> {
        self.request(|c| {
            let mut f = vec![kind::SAFETY_COPY];
            f.extend_from_slice(reason.as_bytes());
            c.send(&f)?;
            c.recv_ok()?;
            let mut cur = Cursor::expect(&c.buf, kind::VALUE)?;
            Ok((cur.u8()? != 0).then(|| String::from_utf8_lossy(cur.rest()).into_owned()))
        })
    }

    /// Asks the owner to run `paytrack check` and tell what it printed.
    pub(crate) fn check(&self, repair: bool) -> Result<crate::check::CheckReport, Failure> {
        self.request(|c| {
            c.send(&[kind::CHECK, u8::from(repair)])?;
            c.recv_ok()?;
            let mut cur = Cursor::expect(&c.buf, kind::VALUE)?;
            let failed = cur.u8()? != 0;
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let output = text(cur.bytes()?);
            let notes = text(cur.bytes()?);
            let error = text(cur.bytes()?);
            Ok(crate::check::CheckReport {
                output,
                notes,
                error: failed.then_some(error),
            })
        })
    }

    /// Sends a commit and reads its outcome.
    pub(crate) fn commit(
        &self,
        base: Generation,
        set: &ChangeSet,
        tx: TxId,
    ) -> Result<Applied, Failure> {
        self.request(|c| {
            let mut head = vec![kind::COMMIT];
            head.extend_from_slice(&tx.0.to_le_bytes());
            head.extend_from_slice(&base.0.to_le_bytes());
            write_frame(&mut c.w, &head)?;
            wire::write_change_set(&mut c.w, set)?;
            c.w.flush()?;
            c.recv_ok()?;
            let mut cur = Cursor::expect(&c.buf, kind::APPLIED)?;
            let (code, g) = (cur.u8()?, Generation(cur.u64()?));
            match code {
                0 => Ok(Applied::Committed(g)),
                1 => Ok(Applied::AlreadyApplied(g)),
                2 => Ok(Applied::Conflict { current: g }),
                other => Err(protocol(
                    &self.path,
                    wire::bad(format!("unknown commit outcome {other}")),
                )),
            }
        })
    }

    /// Starts the thread that receives the owner's announcements for `subscribers`. When
    /// the owner goes away, the thread reconnects the session (`epoch` is the backend it
    /// was started for), which starts a new subscription or makes this process the owner.
    pub(crate) fn start_subscription(
        &self,
        subscribers: Arc<Subscribers>,
        session: Weak<Inner>,
        epoch: u64,
    ) {
        let (path, socket) = (self.path.clone(), self.socket.clone());
        let closing = self.closing.clone();
        let slot = self.subscription.clone();
        let lost = self.lost.clone();
        let spawned = std::thread::Builder::new()
            .name("paytrack-subscribe".into())
            .spawn(move || {
                let _ = receive(&path, &socket, &subscribers, &slot, &closing);
                if closing.load(Ordering::SeqCst) {
                    return;
                }
                lost.store(true, Ordering::SeqCst);
                // The owner left: take part in choosing the next one.
                while let Some(inner) = session.upgrade() {
                    if closing.load(Ordering::SeqCst) || inner.reconnect(epoch).is_ok() {
                        return;
                    }
                    drop(inner);
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            });
        drop(spawned);
    }

    /// Closes the connections (this client is being replaced or dropped).
    pub(crate) fn shutdown(&self) {
        self.closing.store(true, Ordering::SeqCst);
        if let Some(s) = lock(&self.subscription).take() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        lock(&self.idle).clear();
    }
}

/// Reads announcements until the connection ends.
fn receive(
    path: &Path,
    socket: &Path,
    subscribers: &Subscribers,
    slot: &Mutex<Option<UnixStream>>,
    closing: &AtomicBool,
) -> Result<(), Failure> {
    let (mut c, _) = open_conn(path, socket)?;
    *lock(slot) = Some(c.stream.try_clone()?);
    if closing.load(Ordering::SeqCst) {
        return Ok(());
    }
    let mut f = vec![kind::SUBSCRIBE];
    f.extend_from_slice(&subscribers.seen().0.to_le_bytes());
    c.send(&f)?;
    loop {
        c.recv_ok()?;
        let mut cur = Cursor::expect(&c.buf, kind::NOTIFY)?;
        let (g, reload) = (Generation(cur.u64()?), cur.u8()? != 0);
        let changes = wire::read_change_set(&mut c.r, &mut c.buf, usize::MAX)?;
        subscribers.deliver(&Committed {
            generation: g,
            changes: Arc::new(changes),
            reload,
        });
    }
}

fn read_pairs(body: &[u8], out: &mut Vec<(Value, Value)>) -> Result<(), Failure> {
    let mut c = Cursor::new(body);
    while !c.is_empty() {
        let k = c.bytes()?;
        let v = c.bytes()?;
        out.push((Value::from(k), Value::from(v)));
    }
    Ok(())
}

/// Every stored value of the owner's store, in key order: what [`crate::store::load_from`]
/// reads in a client.
struct Dump {
    path: PathBuf,
    pairs: Vec<(Value, Value)>,
}

impl Dump {
    fn new(path: PathBuf, mut pairs: Vec<(Value, Value)>) -> Dump {
        if !pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs.dedup_by(|a, b| a.0 == b.0);
        }
        Dump { path, pairs }
    }

    fn range(&self, prefix: u8) -> &[(Value, Value)] {
        let start = self
            .pairs
            .partition_point(|(k, _)| k.first() < Some(&prefix));
        let end = self
            .pairs
            .partition_point(|(k, _)| k.first() <= Some(&prefix));
        &self.pairs[start..end]
    }
}

impl ValueSource for Dump {
    fn source_path(&self) -> &Path {
        &self.path
    }

    fn get_value(&self, key: &[u8]) -> Result<Option<Value>, StoreError> {
        Ok(self
            .pairs
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| self.pairs[i].1.clone()))
    }

    fn scan_values(
        &self,
        prefix: u8,
        reverse: bool,
        each: &mut crate::store::EachValue<'_>,
    ) -> Result<(), StoreError> {
        let r = self.range(prefix);
        let iter: Box<dyn Iterator<Item = &(Value, Value)>> = if reverse {
            Box::new(r.iter().rev())
        } else {
            Box::new(r.iter())
        };
        for (k, v) in iter {
            if !each(k, v)? {
                break;
            }
        }
        Ok(())
    }
}

/// Reads through a connection to the owner, one request per call.
struct Remote<'a> {
    path: PathBuf,
    conn: Mutex<&'a mut Conn>,
    /// Set when the connection failed: the read is retried after reconnecting.
    failure: Mutex<Option<Failure>>,
}

impl Remote<'_> {
    /// Records a failure and turns it into the error the reader passes up.
    fn fail(&self, f: Failure) -> StoreError {
        let e = StoreError::Io {
            path: self.path.clone(),
            source: io::Error::other("lost the connection to the owning process"),
        };
        *lock(&self.failure) = Some(f);
        e
    }
}

impl ValueSource for Remote<'_> {
    fn source_path(&self) -> &Path {
        &self.path
    }

    fn get_value(&self, key: &[u8]) -> Result<Option<Value>, StoreError> {
        let mut c = lock(&self.conn);
        let res = (|| -> Result<Option<Value>, Failure> {
            let mut f = vec![kind::GET];
            f.extend_from_slice(key);
            c.send(&f)?;
            c.recv_ok()?;
            let mut cur = Cursor::expect(&c.buf, kind::VALUE)?;
            Ok((cur.u8()? != 0).then(|| Value::from(cur.rest())))
        })();
        res.map_err(|f| self.fail(f))
    }

    fn scan_values(
        &self,
        prefix: u8,
        reverse: bool,
        each: &mut crate::store::EachValue<'_>,
    ) -> Result<(), StoreError> {
        let mut c = lock(&self.conn);
        let mut inner_err = None;
        let res = (|| -> Result<(), Failure> {
            c.send(&[kind::SCAN, prefix, u8::from(reverse)])?;
            let mut more = true;
            loop {
                c.recv_ok()?;
                match c.buf.first() {
                    Some(&kind::END) => return Ok(()),
                    Some(&kind::PAIRS) => {
                        if more {
                            let mut cur = Cursor::new(&c.buf[1..]);
                            while more && !cur.is_empty() {
                                let k = cur.bytes()?;
                                let v = cur.bytes()?;
                                match each(k, v) {
                                    Ok(m) => more = m,
                                    Err(e) => {
                                        inner_err = Some(e);
                                        more = false;
                                    }
                                }
                            }
                        }
                        c.send(&[if more { kind::MORE } else { kind::STOP }])?;
                    }
                    _ => return Err(Failure::Disconnected),
                }
            }
        })();
        res.map_err(|f| self.fail(f))?;
        match inner_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
