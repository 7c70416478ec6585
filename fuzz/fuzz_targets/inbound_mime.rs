#![no_main]
libfuzzer_sys::fuzz_target!(
    // libfuzzer-sys aborts on every panic, even one the code catches. `inbound::parse` catches the
    // debug assertion of mail-parser 0.11.9 (message.rs:485) on purpose (see its doc), so panics
    // from inside mail-parser unwind to that catch; anything else still aborts as a crash.
    init: {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.location().is_some_and(|l| l.file().contains("mail-parser")) {
                abort(info);
            }
        }));
    },
    |data: &[u8]| rapport_fuzz::targets::inbound_mime::check(data)
);
