//! The server's side of WebSocket framing (RFC 6455), without I/O.
//!
//! Why Hearth frames its own sockets: an idle socket must cost as little memory as possible
//! (BENCHMARKS.md, *Held sockets*). A WebSocket library's stream keeps a read buffer and a
//! write buffer for the socket's whole life. A [`Framer`] keeps only the bytes of a frame
//! that has not fully arrived and the bytes the socket has not taken yet: a connection reads
//! into a buffer on its stack and hands it to [`Framer::next_in`], which parses whole frames
//! where they landed. Between messages a framer holds no allocation at all.
//!
//! What is taken: masked frames (a client's), text (checked to be UTF-8) and binary
//! messages, fragmented or not, up to the message limit, pings (a pong is queued in
//! answer), pongs and close frames (a close is queued in answer). What is refused, as the
//! RFC asks: an unmasked frame, reserved bits or opcodes, a control frame that is fragmented
//! or longer than 125 bytes, a continuation with no message to continue, a new message
//! inside a fragmented one, text that is not UTF-8. After a refusal the connection should
//! close: the framer's state is not defined for what follows.
//!
//! ```
//! use hearth_ws::{Framer, Message};
//!
//! let mut framer = Framer::new(1024);
//! // A binary frame holding [1, 2, 3], masked as a client sends it.
//! let frame = [0x82, 0x83, 9, 8, 7, 6, 1 ^ 9, 2 ^ 8, 3 ^ 7];
//! let msg = framer.next_in(&frame)?;
//! assert_eq!(msg, Some(Message::Binary(vec![1, 2, 3].into())));
//! assert_eq!(framer.held_bytes(), 0);
//!
//! // The server's answer: an unmasked frame to write.
//! framer.queue_binary(&[4, 5]);
//! assert_eq!(framer.output(), &[0x82, 2, 4, 5]);
//! framer.written(4);
//! assert!(!framer.has_output());
//! # Ok::<(), hearth_ws::FrameError>(())
//! ```

#![forbid(unsafe_code)]

use std::io::Cursor;

use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

pub use tungstenite::{Bytes, Utf8Bytes};

/// A message read from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping (a pong is queued in answer).
    Ping,
    /// A pong.
    Pong,
    /// The client closes (a close frame is queued in answer, unless this end closed first).
    Close,
}

/// Why bytes from the client are not a WebSocket conversation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A message or frame above the size limit.
    #[error("a message of {0} bytes is above the limit; send smaller ones")]
    TooLarge(u64),
    /// The client broke the WebSocket protocol.
    #[error("{0}")]
    Protocol(&'static str),
}

/// A fragmented message being put together.
#[derive(Debug)]
struct Partial {
    text: bool,
    data: Vec<u8>,
}

/// The framing state of one server-side WebSocket connection.
#[derive(Debug)]
pub struct Framer {
    /// Bytes read that do not make a whole frame yet; empty (unallocated) between frames.
    /// (A boxed slice, not a `Vec`: 8 bytes less in every connection's task; appending
    /// reallocates, which only a frame split across reads does.)
    inbuf: Box<[u8]>,
    /// Bytes to write that the socket has not taken yet; empty (unallocated) between writes.
    outbuf: Vec<u8>,
    /// How much of `outbuf` the socket took.
    taken: usize,
    /// A fragmented message being read (rare: browsers and Hearth's clients never fragment).
    partial: Option<Box<Partial>>,
    max_message: u32,
    /// A close frame was read: nothing more is.
    closed: bool,
    /// A close frame was queued: the peer's is not echoed.
    close_sent: bool,
}

impl Framer {
    /// A framer taking messages of up to `max_message` bytes.
    pub fn new(max_message: u32) -> Self {
        Framer {
            inbuf: Box::default(),
            outbuf: Vec::new(),
            taken: 0,
            partial: None,
            max_message,
            closed: false,
            close_sent: false,
        }
    }

    /// Heap bytes the framer holds: a frame not fully arrived, output not written yet, a
    /// fragmented message. Zero between messages.
    pub fn held_bytes(&self) -> usize {
        self.inbuf.len()
            + self.outbuf.capacity()
            + self
                .partial
                .as_ref()
                .map_or(0, |p| p.data.capacity() + std::mem::size_of::<Partial>())
    }

    /// Whether the peer sent a close frame: nothing more is read after it.
    pub fn closed_by_peer(&self) -> bool {
        self.closed
    }

    /// The next message from bytes kept from earlier reads, if they hold a whole one.
    pub fn next_buffered(&mut self) -> Result<Option<Message>, FrameError> {
        while !self.closed && !self.inbuf.is_empty() {
            let buffered = std::mem::take(&mut self.inbuf);
            let (used, msg) = self.parse(&buffered)?;
            if used == 0 {
                // The frame has not fully arrived.
                self.inbuf = buffered;
                return Ok(None);
            }
            self.keep(&buffered[used..]);
            if msg.is_some() {
                return Ok(msg);
            }
        }
        Ok(None)
    }

    /// Keeps bytes read before this framer existed (what an HTTP server read past the
    /// upgrade request), for [`Framer::next_buffered`] to parse first.
    pub fn buffer(&mut self, read: &[u8]) {
        if !read.is_empty() && !self.closed {
            self.inbuf = [&self.inbuf[..], read].concat().into_boxed_slice();
        }
    }

    /// Takes bytes just read: the first message they complete, if any. Bytes after it are
    /// kept for [`Framer::next_buffered`], which should be asked before reading again.
    pub fn next_in(&mut self, read: &[u8]) -> Result<Option<Message>, FrameError> {
        if self.closed {
            return Ok(None);
        }
        if !self.inbuf.is_empty() {
            self.inbuf = [&self.inbuf[..], read].concat().into_boxed_slice();
            return self.next_buffered();
        }
        // The usual case: whole frames in one read, parsed where they landed.
        let mut at = 0;
        while at < read.len() && !self.closed {
            let (used, msg) = self.parse(&read[at..])?;
            at += used;
            if msg.is_some() {
                self.keep(&read[at..]);
                return Ok(msg);
            }
            if used == 0 {
                break;
            }
        }
        self.keep(&read[at..]);
        Ok(None)
    }

    /// Keeps `rest` for the next read, allocating only if there is any.
    fn keep(&mut self, rest: &[u8]) {
        self.inbuf = if rest.is_empty() || self.closed {
            Box::default()
        } else {
            rest.into()
        };
    }

    /// Parses one frame from the front of `data`: how many bytes it used (0 when the frame
    /// has not fully arrived) and the message it completed, if any.
    fn parse(&mut self, data: &[u8]) -> Result<(usize, Option<Message>), FrameError> {
        let mut cursor = Cursor::new(data);
        let (head, len) = match FrameHeader::parse(&mut cursor) {
            Ok(Some(x)) => x,
            Ok(None) => return Ok((0, None)),
            Err(_) => return Err(FrameError::Protocol("a frame used a reserved opcode")),
        };
        if head.rsv1 || head.rsv2 || head.rsv3 {
            return Err(FrameError::Protocol(
                "a frame set reserved bits (no extension was agreed)",
            ));
        }
        let Some(mask) = head.mask else {
            return Err(FrameError::Protocol("a client frame was not masked"));
        };
        let so_far = self.partial.as_ref().map_or(0, |p| p.data.len() as u64);
        let total = len.saturating_add(so_far);
        if total > u64::from(self.max_message) {
            return Err(FrameError::TooLarge(total));
        }
        // The header is at most 14 bytes and `len` within `max_message` (a u32).
        let start = cursor.position() as usize;
        let end = start + len as usize;
        let Some(masked) = data.get(start..end) else {
            return Ok((0, None));
        };
        let mut payload = masked.to_vec();
        apply_mask(&mut payload, mask);
        let msg = match head.opcode {
            OpCode::Control(control) => {
                if !head.is_final || len > 125 {
                    return Err(FrameError::Protocol(
                        "a control frame was fragmented or over 125 bytes",
                    ));
                }
                match control {
                    Control::Ping => {
                        self.queue(OpCode::Control(Control::Pong), &payload);
                        Message::Ping
                    }
                    Control::Pong => Message::Pong,
                    Control::Close => {
                        // The closing handshake: echo the status code, unless this end
                        // closed first.
                        if !self.close_sent {
                            let code = payload.get(..2).unwrap_or(&[]).to_vec();
                            self.queue(OpCode::Control(Control::Close), &code);
                            self.close_sent = true;
                        }
                        self.closed = true;
                        Message::Close
                    }
                    Control::Reserved(_) => {
                        return Err(FrameError::Protocol("a frame used a reserved opcode"));
                    }
                }
            }
            OpCode::Data(Data::Continue) => {
                let Some(partial) = self.partial.as_mut() else {
                    return Err(FrameError::Protocol(
                        "a continuation frame continued no message",
                    ));
                };
                partial.data.extend_from_slice(&payload);
                if !head.is_final {
                    return Ok((end, None));
                }
                match self.partial.take() {
                    Some(p) => whole(p.text, p.data)?,
                    None => return Ok((end, None)),
                }
            }
            OpCode::Data(kind @ (Data::Text | Data::Binary)) => {
                if self.partial.is_some() {
                    return Err(FrameError::Protocol(
                        "a new message began inside a fragmented one",
                    ));
                }
                let text = kind == Data::Text;
                if !head.is_final {
                    self.partial = Some(Box::new(Partial {
                        text,
                        data: payload,
                    }));
                    return Ok((end, None));
                }
                whole(text, payload)?
            }
            OpCode::Data(Data::Reserved(_)) => {
                return Err(FrameError::Protocol("a frame used a reserved opcode"));
            }
        };
        Ok((end, Some(msg)))
    }

    /// Queues a text message.
    pub fn queue_text(&mut self, text: &[u8]) {
        self.queue(OpCode::Data(Data::Text), text);
    }

    /// Queues a binary message.
    pub fn queue_binary(&mut self, bytes: &[u8]) {
        self.queue(OpCode::Data(Data::Binary), bytes);
    }

    /// Queues a ping.
    pub fn queue_ping(&mut self) {
        self.queue(OpCode::Control(Control::Ping), &[]);
    }

    /// Queues a close frame with `code` and `reason` (cut, at a character's end, to fit a
    /// control frame).
    pub fn queue_close(&mut self, code: u16, reason: &str) {
        let mut payload = code.to_be_bytes().to_vec();
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        payload.extend_from_slice(&reason.as_bytes()[..end]);
        self.queue(OpCode::Control(Control::Close), &payload);
        self.close_sent = true;
    }

    /// Appends one unfragmented, unmasked frame to the output.
    fn queue(&mut self, opcode: OpCode, payload: &[u8]) {
        let out = &mut self.outbuf;
        let len = payload.len();
        out.reserve(len + 10);
        out.push(0x80 | u8::from(opcode));
        if len < 126 {
            out.push(len as u8);
        } else if let Ok(short) = u16::try_from(len) {
            out.push(126);
            out.extend_from_slice(&short.to_be_bytes());
        } else {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(payload);
    }

    /// Whether queued bytes wait to be written.
    pub fn has_output(&self) -> bool {
        self.taken < self.outbuf.len()
    }

    /// The queued bytes not written yet.
    pub fn output(&self) -> &[u8] {
        &self.outbuf[self.taken..]
    }

    /// The socket took `n` bytes of [`Framer::output`]; once it took all, the buffer is freed.
    pub fn written(&mut self, n: usize) {
        self.taken = self.taken.saturating_add(n).min(self.outbuf.len());
        if self.taken == self.outbuf.len() {
            self.outbuf = Vec::new();
            self.taken = 0;
        }
    }
}

/// A whole message from its payload.
fn whole(text: bool, data: Vec<u8>) -> Result<Message, FrameError> {
    if text {
        Utf8Bytes::try_from(Bytes::from(data))
            .map(Message::Text)
            .map_err(|_| FrameError::Protocol("a text message was not UTF-8"))
    } else {
        Ok(Message::Binary(Bytes::from(data)))
    }
}

/// Masks or unmasks `data` in place (the same operation).
pub fn apply_mask(data: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask);
    let mut chunks = data.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let v = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ word;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (b, m) in chunks.into_remainder().iter_mut().zip(mask) {
        *b ^= m;
    }
}

/// A client's frame: `payload` masked with `mask` under a header with `first` (FIN, RSV
/// and opcode bits). For tests and fuzzing of this crate and its users.
pub fn client_frame(first: u8, mask: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = vec![first];
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(0x80 | 126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], mask);
    out
}
