//! What a client decodes from a host: any sequence of binary frames, drops, reconnects,
//! requests and time, fed to the sans-I/O client core every client runs on. Nothing panics,
//! a frame that is not a Hearth message changes nothing the game sees, and every request is
//! answered at most once.

#![no_main]

use std::collections::BTreeSet;

use hearth_client_core::{Config, Core};
use hearth_fuzz::{catalog, payload};
use hearth_rules::protocol::{JoinAs, Request};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Takes everything the core has to say; checks each request id completes once.
fn drain(core: &mut Core, asked: &mut BTreeSet<u32>) {
    while core.poll_io().is_some() {}
    while core.poll_event().is_some() {}
    while let Some(done) = core.poll_completion() {
        assert!(
            asked.remove(&done.id),
            "request {} answered twice or never asked",
            done.id
        );
    }
}

fn run(u: &mut Unstructured<'_>, core: &mut Core, asked: &mut BTreeSet<u32>) -> Result<()> {
    let mut now = 0u64;
    core.opened(now);
    drain(core, asked);
    while !u.is_empty() {
        match u.int_in_range(0..=5)? {
            0 | 1 => {
                let frame: &[u8] = u.arbitrary()?;
                let _ = core.receive(frame, now);
            }
            2 => {
                now += u64::from(u.arbitrary::<u16>()?);
                core.handle_timeout(now);
            }
            3 => {
                core.disconnected("fuzz", now);
                drain(core, asked);
                // The transport opens when asked; sometimes it cannot.
                if u.arbitrary()? {
                    core.opened(now);
                } else {
                    core.open_failed("fuzz", now);
                }
            }
            4 => {
                let req = match u.int_in_range(0..=3)? {
                    0 => Request::Ping,
                    1 => Request::Join {
                        room: u.arbitrary()?,
                        password: None,
                        join_as: JoinAs::Player,
                        create: None,
                    },
                    2 => Request::Action {
                        action: payload(u)?,
                        tick: u.arbitrary()?,
                    },
                    _ => Request::Leave,
                };
                if let Ok(id) = core.request(req, now) {
                    assert!(asked.insert(id), "request id {id} given twice");
                }
            }
            _ => {
                if let Some(at) = core.next_deadline() {
                    now = now.max(at);
                    core.handle_timeout(now);
                }
            }
        }
        drain(core, asked);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut core = Core::new(Config::lan("fuzz", catalog()));
    let mut asked = BTreeSet::new();
    let _ = run(&mut Unstructured::new(data), &mut core, &mut asked);
    core.close();
    drain(&mut core, &mut asked);
    assert!(
        asked.is_empty(),
        "requests {asked:?} were never answered after close"
    );
});
