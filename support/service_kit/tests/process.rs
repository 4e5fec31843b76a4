//! Child processes: readiness, kill -9, restart, and cleanup on panic.

use std::path::Path;

use service_kit::Service;

fn alive(pid: u32) -> bool {
    // A reaped child has no /proc entry; a zombie would still have one.
    Path::new(&format!("/proc/{pid}")).exists()
}

fn fake_service(port: u16) -> service_kit::process::Builder {
    Service::builder("/bin/sh").args([
        "-c",
        &format!("echo starting >&2; echo listening on 127.0.0.1:{port}; exec sleep 600"),
    ])
}

#[test]
fn ready_on_its_line_killed_and_restarted() {
    let mut service = fake_service(4321).start();
    assert_eq!(service.addr().to_string(), "127.0.0.1:4321");
    let first = service.pid();
    assert!(alive(first));
    service.kill9();
    assert!(!alive(first), "kill9 kills and reaps the child");
    service.restart();
    assert_eq!(service.starts(), 2);
    assert_ne!(service.pid(), first);
    let output = service.output();
    assert!(output.contains("--- start 2 of /bin/sh"), "{output}");
    assert!(output.contains("listening on 127.0.0.1:4321"), "{output}");
}

#[test]
fn a_panicking_test_leaves_no_process() {
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let service = fake_service(1).start();
        tx.send(service.pid()).unwrap();
        panic!("the test fails while the service runs");
    })
    .join();
    assert!(outcome.is_err());
    let pid = rx.recv().unwrap();
    assert!(!alive(pid), "the child of a failed test is killed");
}

#[test]
fn a_child_that_dies_first_is_reported_with_its_output() {
    let panic = std::panic::catch_unwind(|| {
        Service::builder("/bin/sh")
            .args(["-c", "echo 'bad --data-dir' >&2; exit 3"])
            .start()
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("exited before printing `listening on ADDR`"),
        "{message}"
    );
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(message.contains("bad --data-dir"), "{message}");
}

#[test]
fn a_missing_binary_is_named() {
    let panic =
        std::panic::catch_unwind(|| Service::builder("/no/such/binary").start()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("could not start /no/such/binary"),
        "{message}"
    );
}
