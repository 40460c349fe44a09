//! Issue 12, point 3: transfers as a checked byte stream — staged under a temporary name,
//! checksummed on both ends, moved into place only when they match, resumed after an
//! interruption, with their rate in the output. Against real sshd hosts.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use crate::direct::run_cmd;
use crate::lab::Lab;

fn payload(path: &std::path::Path, mb: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(mb << 20);
    let mut x: u64 = 0x9e3779b97f4a7c15;
    while data.len() < mb << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::File::create(path)
        .unwrap()
        .write_all(&data)
        .unwrap();
    data
}

#[test]
fn upload_and_download_round_trip_checked_with_their_rate() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let data = payload(&lab.path().join("payload.bin"), 12);
    let dest = lab.host("h1").dir.join("copy.bin");
    let back = lab.path().join("back.bin");
    let rb = lab.runbook(
        "rb.yaml",
        &format!(
            "drctl: 1\nkind: restore\nname: lab-xfer\nsteps:\n  - id: up\n    on: h1\n    upload: {{ src: payload.bin, dest: \"{}\", mode: \"0640\" }}\n  - id: down\n    on: h1\n    download: {{ src: \"{}\", dest: back.bin }}\n",
            dest.display(),
            dest.display()
        ),
    );
    let out = run_cmd(&lab, "restore", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(std::fs::read(&dest).unwrap() == data);
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(std::fs::read(&back).unwrap() == data);
    assert!(err.contains("up on h1: ok, 12582912 bytes in"), "{err}");
    assert!(err.contains("down on h1: ok, 12582912 bytes in"), "{err}");
    assert!(err.contains(" MB/s"), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(lab.host("h1").dir.clone())
        .unwrap()
        .chain(std::fs::read_dir(lab.path()).unwrap())
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("drctl-part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let md = crate::direct::drctl(&lab.path().join("state"))
        .args(["report", "--format", "md"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains(" MB/s"));
}

#[test]
fn an_interrupted_transfer_resumes_and_a_stale_part_is_discarded() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let data = payload(&lab.path().join("payload.bin"), 8);
    let dir = lab.host("h1").dir.clone();
    let dest = dir.join("copy.bin");
    // What an upload killed half-way leaves: the first 3 MiB under the staged name.
    std::fs::write(dir.join(".copy.bin.drctl-part"), &data[..3 << 20]).unwrap();
    // And a download killed half-way, on the controller.
    std::fs::write(lab.path().join(".back.bin.drctl-part"), &data[..5 << 20]).unwrap();
    let rb = lab.runbook(
        "rb.yaml",
        &format!(
            "drctl: 1\nkind: restore\nname: lab-resume\nsteps:\n  - id: up\n    on: h1\n    upload: {{ src: payload.bin, dest: \"{d}\" }}\n  - id: down\n    on: h1\n    download: {{ src: \"{d}\", dest: back.bin }}\n",
            d = dest.display()
        ),
    );
    let out = run_cmd(&lab, "restore", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("resumed at byte {}", 3 << 20)),
        "{err}"
    );
    assert!(
        err.contains(&format!("resumed at byte {}", 5 << 20)),
        "{err}"
    );
    assert!(std::fs::read(&dest).unwrap() == data);
    assert!(std::fs::read(lab.path().join("back.bin")).unwrap() == data);

    // A part that is not a prefix of the file: the checksum refuses it, nothing reaches
    // the destination, the part is dropped and the retry sends the whole file.
    std::fs::remove_file(&dest).unwrap();
    std::fs::write(dir.join(".copy.bin.drctl-part"), vec![b'x'; 1 << 20]).unwrap();
    let rb = lab.runbook(
        "rb2.yaml",
        &format!(
            "drctl: 1\nkind: restore\nname: lab-stale\nsteps:\n  - id: up\n    on: h1\n    upload: {{ src: payload.bin, dest: \"{d}\" }}\n    retries: 1\n    retry_delay: 100ms\n",
            d = dest.display()
        ),
    );
    let out = run_cmd(&lab, "restore", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("2 attempts"), "{err}");
    assert!(std::fs::read(&dest).unwrap() == data);
    assert!(!dir.join(".copy.bin.drctl-part").exists());
}
