//! The C library's inputs as a C program passes them (`hearth.h`): game names, JSON configs
//! and logs, actions in either encoding, viewer and seat numbers, encodings, handles that are
//! stale or made up, snapshots that are damaged, buffers freed twice. Every call returns a
//! status instead of crashing, and once the program has freed everything it made, nothing
//! of its is left live (no session or buffer leaks).

#![no_main]

use std::ffi::CString;
use std::ptr;

use hearth_ffi::*;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Frees a buffer the library filled, if it filled one.
fn release(buf: &HearthBuf) {
    if !buf.data.is_null() {
        assert_eq!(
            hearth_free(buf.data),
            HEARTH_OK,
            "a returned buffer frees once"
        );
        assert_eq!(
            hearth_free(buf.data),
            HEARTH_ERR_BAD_BUFFER,
            "a freed buffer is refused the second time"
        );
    }
}

/// Text for a `const char *` argument: no NUL inside (C could not pass one).
fn c_text(u: &mut Unstructured<'_>) -> Result<CString> {
    let s: String = u.arbitrary()?;
    Ok(CString::new(s.replace('\0', "")).expect("no NUL left"))
}

fn handle(u: &mut Unstructured<'_>, live: &[u64]) -> Result<u64> {
    Ok(if !live.is_empty() && u.ratio(7, 8)? {
        *u.choose(live)?
    } else {
        u.arbitrary()?
    })
}

fn run(u: &mut Unstructured<'_>, live: &mut Vec<u64>) -> Result<()> {
    let names = hearth_fuzz::game_names();
    while !u.is_empty() {
        let mut buf = HearthBuf {
            data: ptr::null_mut(),
            len: 0,
        };
        match u.int_in_range(0..=10)? {
            0 => {
                let game = if u.ratio(3, 4)? {
                    CString::new(u.choose(&names)?.as_str()).expect("names have no NUL")
                } else {
                    c_text(u)?
                };
                let config = if u.arbitrary()? {
                    Some(c_text(u)?)
                } else {
                    None
                };
                let mut out = 0u64;
                // SAFETY: NUL-terminated strings (or NULL) and a writable u64, as hearth.h asks.
                let status = unsafe {
                    hearth_session_new(
                        game.as_ptr(),
                        config.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                        u.int_in_range(0..=9)?,
                        u.arbitrary()?,
                        &mut out,
                    )
                };
                if status == HEARTH_OK {
                    live.push(out);
                }
            }
            1 => {
                let h = handle(u, live)?;
                let action: &[u8] = u.arbitrary()?;
                let encoding = u.int_in_range(-1..=2)?;
                let want_events = u.arbitrary()?;
                // SAFETY: `action` is `len` readable bytes; `buf` is writable or NULL.
                unsafe {
                    hearth_apply(
                        h,
                        u.arbitrary()?,
                        action.as_ptr(),
                        action.len(),
                        encoding,
                        if want_events {
                            &mut buf
                        } else {
                            ptr::null_mut()
                        },
                    )
                };
            }
            2 => {
                let h = handle(u, live)?;
                // SAFETY: a writable buffer.
                unsafe { hearth_tick(h, u.int_in_range(-1..=2)?, &mut buf) };
            }
            3 => {
                let h = handle(u, live)?;
                // SAFETY: a writable buffer.
                unsafe {
                    hearth_view(
                        h,
                        u.int_in_range(-2..=9)?,
                        u.int_in_range(-1..=2)?,
                        &mut buf,
                    )
                };
            }
            4 => {
                let h = handle(u, live)?;
                // SAFETY: a writable buffer.
                unsafe {
                    hearth_legal_actions(h, u.arbitrary()?, u.int_in_range(-1..=2)?, &mut buf)
                };
            }
            5 => {
                let h = handle(u, live)?;
                let (mut hash, mut ticks, mut len, mut over) = (0u64, 0u64, 0u64, 0i32);
                // SAFETY: writable outputs.
                unsafe {
                    hearth_hash(h, &mut hash);
                    hearth_progress(h, &mut ticks, &mut len, &mut over);
                    hearth_outcome(h, &mut buf);
                }
            }
            6 => {
                // A snapshot, perhaps damaged on the way, restored.
                let h = handle(u, live)?;
                // SAFETY: a writable buffer.
                if unsafe { hearth_snapshot(h, &mut buf) } == HEARTH_OK {
                    // SAFETY: the library's buffer holds `len` bytes until freed.
                    let mut bytes =
                        unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec();
                    if !bytes.is_empty() && u.arbitrary()? {
                        let at = u.choose_index(bytes.len())?;
                        bytes[at] ^= u.arbitrary::<u8>()?.max(1);
                    }
                    let mut out = 0u64;
                    // SAFETY: `bytes` is readable; `out` writable.
                    if unsafe { hearth_restore(bytes.as_ptr(), bytes.len(), &mut out) } == HEARTH_OK
                    {
                        live.push(out);
                    }
                }
            }
            7 => {
                let bytes: &[u8] = u.arbitrary()?;
                let mut out = 0u64;
                // SAFETY: `bytes` is readable; `out` writable.
                if unsafe { hearth_restore(bytes.as_ptr(), bytes.len(), &mut out) } == HEARTH_OK {
                    live.push(out);
                }
            }
            8 => {
                let header = c_text(u)?;
                let log = c_text(u)?;
                let mut out = 0u64;
                // SAFETY: NUL-terminated strings and a writable u64.
                if unsafe { hearth_replay(header.as_ptr(), log.as_ptr(), &mut out) } == HEARTH_OK {
                    live.push(out);
                }
            }
            9 => {
                let h = handle(u, live)?;
                let was_live = live.contains(&h);
                let status = hearth_session_free(h);
                assert_eq!(
                    status == HEARTH_OK,
                    was_live,
                    "freeing {h:#x} gave {status}"
                );
                live.retain(|x| *x != h);
            }
            _ => {
                // A pointer the library never gave out is refused, not freed.
                let made_up = u.arbitrary::<usize>()? | 1;
                assert_eq!(hearth_free(made_up as *mut u8), HEARTH_ERR_BAD_BUFFER);
                // SAFETY: a writable buffer.
                unsafe { hearth_games(&mut buf) };
            }
        }
        release(&buf);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    install(hearth_fuzz::all_games);
    let mut live = Vec::new();
    let _ = run(&mut Unstructured::new(data), &mut live);
    for h in live.drain(..) {
        assert_eq!(hearth_session_free(h), HEARTH_OK);
    }
    let (mut sessions, mut buffers) = (u64::MAX, u64::MAX);
    // SAFETY: writable outputs.
    unsafe { hearth_live(&mut sessions, &mut buffers) };
    assert_eq!((sessions, buffers), (0, 0), "sessions or buffers leaked");
});
