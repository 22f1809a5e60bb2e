//! The installed binary, run as a user runs it, with its output piped into a reader that
//! has already gone.

#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_binary_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tiny.toml");
    // The read end is closed before the binary starts, so its first print hits a closed pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_goldilocks"))
        .args(["plan", "--config", config])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.signal(), Some(libc::SIGPIPE), "{:?}: {stderr}", output.status);
}
