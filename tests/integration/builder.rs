//! `Drctl`: one drctl command line, built, run and checked.
//!
//!     Drctl::new()                                    // a private folder, state in <folder>/state
//!         .lab(&lab)                                  // or .hosts(3): sshd hosts (lab.rs)
//!         .runbook("rb.yaml", RB)                     // written into the folder: {runbook}
//!         .args(["run", "{runbook}", "-i", "{inventory}"])
//!         .run()                                      // -> Outcome
//!         .status(0)
//!         .stderr_has("summary:");
//!
//! drctl always runs with no terminal (stdin closed), `NO_COLOR`, no ssh agent, and
//! `DRCTL_STATE_DIR` set to the folder's `state`. Every check on an `Outcome` prints the
//! command, its exit status, its stdout and its stderr when it fails. Later commands on the
//! same state (resume, status, report) start from `outcome.drctl()`.

use std::ffi::{OsStr, OsString};
use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::lab::{self, Lab};

/// The drctl binary under test.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_drctl"))
}

/// A folder for one test's files, whose `state` subfolder is drctl's state: a fresh
/// temporary folder, a lab's, or one the test names. Clones share it; a temporary folder
/// (and a lab started by `Drctl::hosts`) lives as long as the last clone.
#[derive(Clone)]
pub struct Sandbox {
    root: PathBuf,
    runbook: Option<PathBuf>,
    inventory: Option<PathBuf>,
    lab: Option<Rc<Lab>>,
    _temp: Rc<tempfile::TempDir>,
}

impl Sandbox {
    /// A fresh temporary folder.
    pub fn new() -> Sandbox {
        let temp = tempfile::Builder::new()
            .prefix("drctl-test-")
            .tempdir()
            .expect("tempdir");
        Sandbox {
            root: temp.path().to_path_buf(),
            runbook: None,
            inventory: None,
            lab: None,
            _temp: Rc::new(temp),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `DRCTL_STATE_DIR`.
    pub fn state(&self) -> PathBuf {
        self.path("state")
    }

    /// The lab started by `Drctl::hosts`.
    pub fn lab(&self) -> &Lab {
        self.lab.as_deref().expect("no lab: use Drctl::hosts")
    }

    /// Another drctl command on the same folder, state, runbook and inventory.
    pub fn drctl(&self) -> Drctl {
        Drctl {
            sandbox: self.clone(),
            program: None,
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// The ids of the runs in the state (none before the first run starts).
    pub fn run_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = fs::read_dir(self.state().join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    }

    /// The id of the one run in the state (a panic if there is none or more than one).
    #[track_caller]
    pub fn run_id(&self) -> String {
        let ids = self.run_ids();
        assert_eq!(
            ids.len(),
            1,
            "expected exactly one run in the state: {ids:?}"
        );
        ids.into_iter().next().unwrap()
    }

    /// The folder of the one run.
    #[track_caller]
    pub fn run_dir(&self) -> PathBuf {
        self.state().join("runs").join(self.run_id())
    }

    /// The journal (`journal.jsonl`) of the one run.
    #[track_caller]
    pub fn journal(&self) -> String {
        fs::read_to_string(self.run_dir().join("journal.jsonl")).expect("journal")
    }
}

/// One drctl command (or a script that calls drctl, see `program` and `shell`).
#[must_use]
pub struct Drctl {
    sandbox: Sandbox,
    program: Option<PathBuf>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Drctl {
    /// drctl in a fresh temporary folder.
    pub fn new() -> Drctl {
        Sandbox::new().drctl()
    }

    /// Use `dir` as the folder (state in `<dir>/state`) instead of a temporary one.
    pub fn dir(mut self, dir: &Path) -> Self {
        self.sandbox.root = dir.to_path_buf();
        self
    }

    /// Use a lab's folder (state in `<lab>/state`), `{inventory}` listing all its hosts.
    pub fn lab(self, lab: &Lab) -> Self {
        let inventory = lab.inventory(&[]);
        self.dir(lab.path()).inventory(&inventory)
    }

    /// Start a lab of `n` sshd hosts (h1..hN) kept with the sandbox (`Outcome::lab`), and
    /// use it as `lab` does.
    pub fn hosts(mut self, n: usize) -> Self {
        let lab = Rc::new(Lab::start(n));
        self = self.lab(&lab);
        self.sandbox.lab = Some(lab);
        self
    }

    /// With `hosts`: `{inventory}` gets these groups too.
    pub fn groups(self, groups: &[(&str, &[&str])]) -> Self {
        let inventory = self.sandbox.lab().inventory(groups);
        self.inventory(&inventory)
    }

    /// The inventory `{inventory}` stands for.
    pub fn inventory(mut self, path: &Path) -> Self {
        self.sandbox.inventory = Some(path.to_path_buf());
        self
    }

    /// Write a file into the folder.
    pub fn file(self, name: &str, text: impl AsRef<[u8]>) -> Self {
        let path = self.sandbox.path(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    /// Write a runbook into the folder; `{runbook}` stands for its path.
    pub fn runbook(mut self, name: &str, text: &str) -> Self {
        self = self.file(name, text);
        self.sandbox.runbook = Some(self.sandbox.path(name));
        self
    }

    /// One argument. In an argument, `{runbook}`, `{inventory}`, `{dir}` (the folder) and
    /// `{state}` stand for those paths.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I>(self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        args.into_iter().fold(self, Drctl::arg)
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.into(), value.as_ref().to_os_string()));
        self
    }

    /// Run this program (a script that runs drctl, given as `$DRCTL`) instead of drctl,
    /// in the same environment.
    pub fn program(mut self, path: &Path) -> Self {
        self.program = Some(path.to_path_buf());
        self.env("DRCTL", bin())
    }

    /// Run a shell command line as cron would: `/bin/sh -c LINE` with a `PATH` of drctl's
    /// folder, /usr/bin and /bin.
    pub fn shell(self, line: &str) -> Self {
        let path = format!("{}:/usr/bin:/bin", bin().parent().unwrap().display());
        self.program(Path::new("/bin/sh"))
            .args(["-c", line])
            .env("PATH", path)
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn command(&self) -> (Command, String) {
        let sb = &self.sandbox;
        let path = |p: &Option<PathBuf>, what: &str| -> String {
            p.as_ref()
                .unwrap_or_else(|| panic!("{{{what}}} used, but no {what} given"))
                .display()
                .to_string()
        };
        let mut cmd = Command::new(self.program.as_deref().unwrap_or(bin()));
        let mut line = cmd.get_program().to_string_lossy().into_owned();
        for a in &self.args {
            let a = match a.to_str() {
                Some(s) if s.contains('{') => {
                    let mut s = s.replace("{dir}", &sb.root.display().to_string());
                    s = s.replace("{state}", &sb.state().display().to_string());
                    if s.contains("{runbook}") {
                        s = s.replace("{runbook}", &path(&sb.runbook, "runbook"));
                    }
                    if s.contains("{inventory}") {
                        s = s.replace("{inventory}", &path(&sb.inventory, "inventory"));
                    }
                    OsString::from(s)
                }
                _ => a.clone(),
            };
            line.push(' ');
            line.push_str(&a.to_string_lossy());
            cmd.arg(a);
        }
        cmd.env("DRCTL_STATE_DIR", sb.state())
            .env("NO_COLOR", "1")
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        (cmd, line)
    }

    /// Run to the end.
    pub fn run(self) -> Outcome {
        let (mut cmd, line) = self.command();
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot start {line}: {e}"));
        Outcome {
            sandbox: self.sandbox,
            line,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Start in the background (for crash, signal and lock tests). Its stdout and stderr go
    /// to files, so a killed drctl's orphans never hold a pipe open, and a chatty one never
    /// blocks on a pipe nobody reads.
    pub fn spawn(self) -> Running {
        static SPAWNED: AtomicU32 = AtomicU32::new(0);
        let (mut cmd, line) = self.command();
        let n = SPAWNED.fetch_add(1, Ordering::SeqCst);
        let dir = self.sandbox.path(".drctl-output");
        fs::create_dir_all(&dir).unwrap();
        let files = [
            dir.join(format!("{n}.stdout")),
            dir.join(format!("{n}.stderr")),
        ];
        let child = cmd
            .stdout(fs::File::create(&files[0]).unwrap())
            .stderr(fs::File::create(&files[1]).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {line}: {e}"));
        Running {
            child,
            sandbox: self.sandbox,
            line,
            files,
        }
    }
}

/// A drctl started by `Drctl::spawn`.
pub struct Running {
    child: Child,
    sandbox: Sandbox,
    line: String,
    files: [PathBuf; 2],
}

impl Running {
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Send a signal (SIGINT: the operator's Ctrl-C).
    pub fn signal(&self, sig: i32) {
        lab::kill(self.pid(), sig);
    }

    /// Whether it has ended, and with what exit code (none if killed by a signal).
    pub fn try_wait(&mut self) -> Option<Option<i32>> {
        self.child.try_wait().unwrap().map(|s| s.code())
    }

    /// SIGKILL (no chance to clean up), and wait for it.
    pub fn kill(mut self) -> Outcome {
        self.child.kill().unwrap();
        self.wait()
    }

    /// Wait for the end.
    pub fn wait(mut self) -> Outcome {
        let status = self.child.wait().unwrap();
        let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        Outcome {
            line: self.line,
            code: status.code(),
            stdout: read(&self.files[0]),
            stderr: read(&self.files[1]),
            sandbox: self.sandbox,
        }
    }
}

/// How a command ended. The checks return `&Self`, to be chained.
pub struct Outcome {
    sandbox: Sandbox,
    line: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    /// The exit code (none if killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.code
    }

    pub fn stdout(&self) -> &str {
        &self.stdout
    }

    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// stdout then stderr.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| self.fail(format!("stdout is not JSON: {e}")))
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Another drctl command on the same folder and state.
    pub fn drctl(&self) -> Drctl {
        self.sandbox.drctl()
    }

    /// The lab started by `Drctl::hosts`.
    pub fn lab(&self) -> &Lab {
        self.sandbox.lab()
    }

    /// The id of the one run in the state.
    #[track_caller]
    pub fn run_id(&self) -> String {
        self.sandbox.run_id()
    }

    /// The journal of the one run in the state.
    #[track_caller]
    pub fn journal(&self) -> String {
        self.sandbox.journal()
    }

    #[track_caller]
    fn fail(&self, what: impl Display) -> ! {
        panic!(
            "{what}\ncommand: {}\nexit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- end ---",
            self.line,
            self.code
                .map_or("killed by a signal".to_string(), |c| c.to_string()),
            self.stdout,
            self.stderr
        )
    }

    /// A check of the test's own; on failure, `what` and the command's output.
    #[track_caller]
    pub fn check(&self, ok: bool, what: impl Display) -> &Self {
        if !ok {
            self.fail(what);
        }
        self
    }

    /// Exit code `code`.
    #[track_caller]
    pub fn status(&self, code: i32) -> &Self {
        self.check(
            self.code == Some(code),
            format_args!("expected exit {code}, got {:?}", self.code),
        )
    }

    /// One of these exit codes.
    #[track_caller]
    pub fn status_in(&self, codes: &[i32]) -> &Self {
        self.check(
            self.code.is_some_and(|c| codes.contains(&c)),
            format_args!("expected exit in {codes:?}, got {:?}", self.code),
        )
    }

    /// Any end but exit code `code` (a signal included).
    #[track_caller]
    pub fn status_not(&self, code: i32) -> &Self {
        self.check(
            self.code != Some(code),
            format_args!("expected any exit but {code}"),
        )
    }

    #[track_caller]
    pub fn stdout_is(&self, want: &str) -> &Self {
        self.check(self.stdout == want, format_args!("stdout is not {want:?}"))
    }

    #[track_caller]
    pub fn stdout_has(&self, want: &str) -> &Self {
        self.check(
            self.stdout.contains(want),
            format_args!("{want:?} not in stdout"),
        )
    }

    #[track_caller]
    pub fn stdout_lacks(&self, unwanted: &str) -> &Self {
        self.check(
            !self.stdout.contains(unwanted),
            format_args!("{unwanted:?} in stdout"),
        )
    }

    #[track_caller]
    pub fn stderr_has(&self, want: &str) -> &Self {
        self.check(
            self.stderr.contains(want),
            format_args!("{want:?} not in stderr"),
        )
    }

    /// In stdout followed by stderr.
    #[track_caller]
    pub fn output_has(&self, want: &str) -> &Self {
        self.check(
            self.output().contains(want),
            format_args!("{want:?} not in the output"),
        )
    }

    #[track_caller]
    pub fn output_lacks(&self, unwanted: &str) -> &Self {
        self.check(
            !self.output().contains(unwanted),
            format_args!("{unwanted:?} in the output"),
        )
    }
}
