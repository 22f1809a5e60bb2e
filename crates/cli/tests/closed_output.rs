//! The installed binary, run as a user runs it, with its output piped into a reader that
//! has already gone.

#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_binary_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tiny.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_goldilocks"))
        .args(["plan", "--config", config])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing the read end before the binary prints makes its first print hit a closed pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.signal(), Some(libc::SIGPIPE), "{:?}: {stderr}", output.status);
}
