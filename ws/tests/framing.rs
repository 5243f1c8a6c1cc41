//! The framer against frames as clients send them: every kind of message, split across reads
//! anywhere, and every refusal the RFC asks for.

use hearth_ws::{Bytes, FrameError, Framer, Message, client_frame};
use proptest::prelude::*;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Feeds `reads` as a connection does (what is buffered first, then the next read) and
/// collects the messages.
fn feed(framer: &mut Framer, reads: &[&[u8]]) -> Result<Vec<Message>, FrameError> {
    let mut out = Vec::new();
    for read in reads {
        while let Some(m) = framer.next_buffered()? {
            out.push(m);
        }
        if let Some(m) = framer.next_in(read)? {
            out.push(m);
        }
    }
    while let Some(m) = framer.next_buffered()? {
        out.push(m);
    }
    Ok(out)
}

fn one(framer: &mut Framer, bytes: &[u8]) -> Result<Vec<Message>, FrameError> {
    feed(framer, &[bytes])
}

fn binary(b: &[u8]) -> Message {
    Message::Binary(Bytes::copy_from_slice(b))
}

#[test]
fn text_and_binary_messages_of_every_length_encoding_are_read_and_nothing_is_kept() {
    let mut f = Framer::new(100_000);
    for len in [0, 1, 125, 126, 127, 65_535, 65_536, 70_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let got = one(&mut f, &client_frame(0x82, MASK, &payload)).unwrap();
        assert_eq!(got, vec![binary(&payload)], "length {len}");
        assert_eq!(f.held_bytes(), 0, "nothing kept after a {len}-byte message");
    }
    let got = one(&mut f, &client_frame(0x81, MASK, "héllo".as_bytes())).unwrap();
    assert_eq!(got, vec![Message::Text("héllo".into())]);
    assert!(!f.has_output());
}

#[test]
fn several_frames_in_one_read_come_out_one_at_a_time_in_order() {
    let mut f = Framer::new(1000);
    let mut bytes = client_frame(0x82, MASK, &[1]);
    bytes.extend(client_frame(0x82, MASK, &[2]));
    bytes.extend(client_frame(0x81, MASK, b"3"));
    assert_eq!(f.next_in(&bytes).unwrap(), Some(binary(&[1])));
    assert!(f.held_bytes() > 0, "the rest waits");
    assert_eq!(f.next_buffered().unwrap(), Some(binary(&[2])));
    assert_eq!(f.next_buffered().unwrap(), Some(Message::Text("3".into())));
    assert_eq!(f.next_buffered().unwrap(), None);
    assert_eq!(f.held_bytes(), 0);
}

/// What an HTTP server read past the upgrade request (a whole frame and half of the next)
/// is handed over first and comes out before, and joined with, what the socket reads next.
#[test]
fn bytes_read_before_the_framer_existed_come_out_first() {
    let mut f = Framer::new(1000);
    let first = client_frame(0x82, MASK, &[1]);
    let second = client_frame(0x81, MASK, b"two");
    let (head, tail) = second.split_at(3);
    f.buffer(&[first.as_slice(), head].concat());
    f.buffer(&[]);
    assert_eq!(
        feed(&mut f, &[tail]).unwrap(),
        vec![binary(&[1]), Message::Text("two".into())]
    );
    assert_eq!(f.held_bytes(), 0);
}

#[test]
fn a_frame_split_byte_by_byte_arrives_whole() {
    let mut f = Framer::new(1000);
    let bytes = client_frame(0x82, MASK, &[7; 300]);
    let reads: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(feed(&mut f, &reads).unwrap(), vec![binary(&[7; 300])]);
    assert_eq!(f.held_bytes(), 0);
}

#[test]
fn pings_are_answered_with_pongs_and_pongs_ignored() {
    let mut f = Framer::new(1000);
    let got = one(&mut f, &client_frame(0x89, MASK, b"hi")).unwrap();
    assert_eq!(got, vec![Message::Ping]);
    assert_eq!(
        f.output(),
        &[0x8A, 2, b'h', b'i'],
        "an unmasked pong with the ping's data"
    );
    f.written(4);
    assert!(!f.has_output());
    assert_eq!(f.held_bytes(), 0, "the written output is freed");
    assert_eq!(
        one(&mut f, &client_frame(0x8A, MASK, b"")).unwrap(),
        vec![Message::Pong]
    );
    assert!(!f.has_output());
}

#[test]
fn a_close_is_echoed_with_its_code_and_ends_reading() {
    let mut f = Framer::new(1000);
    let mut bytes = client_frame(0x88, MASK, &[0x03, 0xE8, b'b', b'y', b'e']);
    bytes.extend(client_frame(0x82, MASK, &[1]));
    assert_eq!(one(&mut f, &bytes).unwrap(), vec![Message::Close]);
    assert!(f.closed_by_peer());
    assert_eq!(f.output(), &[0x88, 2, 0x03, 0xE8]);
    assert_eq!(f.next_in(&client_frame(0x82, MASK, &[2])).unwrap(), None);
    f.written(4);
    assert_eq!(f.held_bytes(), 0, "nothing after a close is kept");
}

#[test]
fn a_close_after_ours_is_not_echoed() {
    let mut f = Framer::new(1000);
    f.queue_close(1000, "bye");
    let ours = f.output().len();
    f.written(ours);
    assert_eq!(
        one(&mut f, &client_frame(0x88, MASK, &[0x03, 0xE8])).unwrap(),
        vec![Message::Close]
    );
    assert!(!f.has_output());
}

#[test]
fn fragments_make_one_message_and_control_frames_may_come_between() {
    let mut f = Framer::new(1000);
    let mut bytes = client_frame(0x01, MASK, "hé".as_bytes()[..2].as_ref());
    bytes.extend(client_frame(0x89, MASK, b""));
    bytes.extend(client_frame(0x00, MASK, &"hé".as_bytes()[2..]));
    bytes.extend(client_frame(0x80, MASK, b"!"));
    assert_eq!(
        one(&mut f, &bytes).unwrap(),
        vec![Message::Ping, Message::Text("hé!".into())]
    );
    assert_eq!(f.output(), &[0x8A, 0]);
}

#[test]
fn what_the_rfc_forbids_is_refused() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unmasked", vec![0x82, 1, 5]),
        ("reserved bit", client_frame(0xC2, MASK, &[1])),
        ("reserved data opcode", client_frame(0x83, MASK, &[1])),
        ("reserved control opcode", client_frame(0x8B, MASK, &[1])),
        ("fragmented ping", client_frame(0x09, MASK, &[1])),
        ("long ping", client_frame(0x89, MASK, &[0; 126])),
        ("continuation of nothing", client_frame(0x80, MASK, &[1])),
        (
            "text that is not UTF-8",
            client_frame(0x81, MASK, &[0xff, 0xfe]),
        ),
        ("new message inside a fragmented one", {
            let mut b = client_frame(0x02, MASK, &[1]);
            b.extend(client_frame(0x82, MASK, &[2]));
            b
        }),
    ];
    for (what, bytes) in cases {
        let mut f = Framer::new(1000);
        assert!(
            matches!(one(&mut f, &bytes), Err(FrameError::Protocol(_))),
            "{what} must be refused"
        );
    }
}

#[test]
fn too_large_is_refused_from_the_header_before_the_payload_arrives() {
    let mut f = Framer::new(100);
    let bytes = client_frame(0x82, MASK, &[0; 101]);
    assert_eq!(f.next_in(&bytes[..8]), Err(FrameError::TooLarge(101)));
    // Fragments count together.
    let mut f = Framer::new(100);
    let mut bytes = client_frame(0x02, MASK, &[0; 60]);
    bytes.extend(client_frame(0x80, MASK, &[0; 60]));
    assert_eq!(one(&mut f, &bytes), Err(FrameError::TooLarge(120)));
    // A 64-bit length no machine could hold.
    let mut f = Framer::new(100);
    let huge = [
        0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4,
    ];
    assert!(matches!(f.next_in(&huge), Err(FrameError::TooLarge(_))));
}

#[test]
fn server_frames_use_the_shortest_length_and_close_reasons_fit() {
    let mut f = Framer::new(100);
    f.queue_text(b"ok");
    f.queue_binary(&[0; 200]);
    f.queue_ping();
    let out = f.output().to_vec();
    assert_eq!(&out[..4], &[0x81, 2, b'o', b'k']);
    assert_eq!(&out[4..8], &[0x82, 126, 0, 200]);
    assert_eq!(&out[208..], &[0x89, 0]);
    f.written(3);
    assert_eq!(
        f.output().len(),
        out.len() - 3,
        "a partial write leaves the rest"
    );
    f.written(out.len() - 3);
    let mut f = Framer::new(100);
    f.queue_close(1008, &"é".repeat(100));
    let close = f.output();
    assert_eq!(close[0], 0x88);
    assert!(
        close[1] <= 125,
        "a control frame's payload is at most 125 bytes"
    );
    assert!(
        std::str::from_utf8(&close[4..]).is_ok(),
        "cut at a character's end"
    );
}

/// One message as a client may send it: its kind, payload and how it is fragmented.
#[derive(Debug, Clone)]
struct Sent {
    text: bool,
    payload: Vec<u8>,
    cuts: Vec<usize>,
    ping_inside: bool,
}

fn sent() -> impl Strategy<Value = Sent> {
    (
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..400),
        prop::collection::vec(0usize..400, 0..3),
        any::<bool>(),
    )
        .prop_map(|(text, bytes, mut cuts, ping_inside)| {
            // Text is any string's bytes; cut points anywhere (mid-character too).
            let payload = if text {
                String::from_utf8_lossy(&bytes).into_owned().into_bytes()
            } else {
                bytes
            };
            cuts.retain(|&c| c < payload.len());
            cuts.sort_unstable();
            cuts.dedup();
            Sent {
                text,
                payload,
                cuts,
                ping_inside,
            }
        })
}

/// The message's frames, and whether a ping went between them (only when fragmented).
fn frames_of(s: &Sent, mask: [u8; 4]) -> (Vec<u8>, bool) {
    let mut bounds = vec![0];
    bounds.extend(&s.cuts);
    bounds.push(s.payload.len());
    bounds.dedup();
    if bounds.len() == 1 {
        bounds.push(0);
    }
    let parts = bounds.len() - 1;
    let mut out = Vec::new();
    for i in 0..parts {
        let opcode = if i > 0 {
            0x0
        } else if s.text {
            0x1
        } else {
            0x2
        };
        let fin = if i + 1 == parts { 0x80 } else { 0 };
        out.extend(client_frame(
            fin | opcode,
            mask,
            &s.payload[bounds[i]..bounds[i + 1]],
        ));
        if s.ping_inside && i == 0 && parts > 1 {
            out.extend(client_frame(0x89, mask, b"p"));
        }
    }
    (out, s.ping_inside && parts > 1)
}

proptest! {
    /// Whatever the messages, their fragmentation, masks and how the bytes are split into
    /// reads, the same messages come out in order, each ping is answered, and nothing is
    /// kept afterwards.
    #[test]
    fn messages_survive_any_split_into_reads(
        msgs in prop::collection::vec(sent(), 1..8),
        mask in any::<[u8; 4]>(),
        splits in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut bytes = Vec::new();
        let mut want = Vec::new();
        let mut pings = 0;
        for m in &msgs {
            let (frames, ping) = frames_of(m, mask);
            bytes.extend(frames);
            if ping {
                want.push(Message::Ping);
                pings += 1;
            }
            want.push(if m.text {
                Message::Text(String::from_utf8(m.payload.clone()).unwrap().into())
            } else {
                binary(&m.payload)
            });
        }
        let mut at: Vec<usize> = splits.iter().map(|i| i.index(bytes.len() + 1)).collect();
        at.push(0);
        at.push(bytes.len());
        at.sort_unstable();
        let reads: Vec<&[u8]> = at.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        let mut f = Framer::new(1 << 20);
        let got = feed(&mut f, &reads).unwrap();
        prop_assert_eq!(got, want);
        let pongs = [0x8A, 1, b'p'].repeat(pings);
        prop_assert_eq!(f.output(), pongs.as_slice());
        let out = f.output().len();
        f.written(out);
        prop_assert_eq!(f.held_bytes(), 0);
    }
}
