//! The patched libssh2 (vendor/libssh2-sys/PATCH.md) en/decrypts the middle of each packet
//! in one call: every cipher drctl may negotiate is proven here end to end against a real
//! sshd that offers only that cipher — a 9 MiB upload, a download of it back and 3 MiB of
//! command output, byte for byte.

use std::io::Write;

use crate::builder::Drctl;
use crate::lab::Lab;

fn payload(mb: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(mb << 20);
    let mut x: u64 = 0x2545f4914f6cdd1d;
    while data.len() < (mb << 20) + 4321 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data
}

/// A host whose sshd offers only `cipher`.
fn lab_with_cipher(cipher: &str) -> Lab {
    let mut lab = Lab::start(1);
    let cfg = lab.path().join("sshd_h1.conf");
    let mut f = std::fs::OpenOptions::new().append(true).open(&cfg).unwrap();
    writeln!(f, "Ciphers {cipher}").unwrap();
    drop(f);
    lab.restart("h1");
    lab
}

fn round_trip(cipher: &str) {
    let lab = lab_with_cipher(cipher);
    let data = payload(9);
    let dest = lab.host("h1").dir.join("copy.bin");
    let out = Drctl::new()
        .lab(&lab)
        .file("payload.bin", &data)
        .runbook(
            "rb.yaml",
            &format!(
                "drctl: 1\nkind: restore\nname: ciphers\nsteps:\n  - id: up\n    on: h1\n    upload: {{ src: payload.bin, dest: \"{d}\" }}\n  - id: down\n    on: h1\n    download: {{ src: \"{d}\", dest: back.bin }}\n  - id: talk\n    on: h1\n    run: head -c 3145728 \"{d}\" | od -An -tx1 | tail -n 3\n",
                d = dest.display()
            ),
        )
        .args(["restore", "{runbook}", "-i", "{inventory}", "-v"])
        .run();
    out.status(0);
    assert!(
        std::fs::read(&dest).unwrap() == data,
        "{cipher}: upload differs"
    );
    assert!(
        std::fs::read(lab.path().join("back.bin")).unwrap() == data,
        "{cipher}: download differs"
    );
}

#[test]
fn aes_gcm_moves_bytes_intact() {
    round_trip("aes128-gcm@openssh.com");
    round_trip("aes256-gcm@openssh.com");
}

#[test]
fn aes_ctr_moves_bytes_intact() {
    round_trip("aes128-ctr");
    round_trip("aes256-ctr");
}

#[test]
fn aes_cbc_moves_bytes_intact() {
    round_trip("aes128-cbc");
    round_trip("aes256-cbc");
}

#[test]
fn chacha20_poly1305_moves_bytes_intact() {
    round_trip("chacha20-poly1305@openssh.com");
}
