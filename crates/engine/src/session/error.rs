//! Why a session could not start or resume a run, each with its exit code.

use drctl_core::Exit;
use drctl_core::store::StateError;
use drctl_model::diagnostic::Diagnostic;
use drctl_model::plan::PlanError;

/// A run that could not be started or resumed: nothing was executed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The runbook or inventory has errors; every diagnostic is here.
    #[error("{file}: {errors} error(s); nothing was executed")]
    Invalid {
        file: String,
        errors: usize,
        diagnostics: Vec<Diagnostic>,
    },
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// Another run holds the lock.
    #[error("{0}")]
    Locked(String),
    #[error("no run `{0}`")]
    NoSuchRun(String),
    /// The runbook's previous run is not resolved: a new one could undo or redo its work.
    #[error("the previous run of this runbook, {previous}, is unresolved ({state})")]
    Unresolved { previous: String, state: String },
    #[error(transparent)]
    State(StateError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

impl SessionError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn from_state(e: StateError) -> Self {
        match e {
            StateError::Locked(m) => Self::Locked(m),
            StateError::NoSuchRun(id) => Self::NoSuchRun(id),
            e => Self::State(e),
        }
    }

    /// The exit code: refused for a held lock, usage for everything else.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Locked(_) | Self::Unresolved { .. } => Exit::Refused,
            Self::State(StateError::Fenced { .. }) => Exit::Fenced,
            _ => Exit::Usage,
        }
    }

    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Invalid { file, .. } => Some(format!("run `drctl validate {file}` for details")),
            Self::Plan(e) => e.hint().map(str::to_string),
            Self::Usage { hint, .. } => hint.clone(),
            Self::Locked(_) => Some(
                "wait for that run to finish; a lock whose process is gone is taken over automatically"
                    .into(),
            ),
            Self::NoSuchRun(_) => Some("`drctl runs` lists runs".into()),
            Self::Unresolved { previous, .. } => Some(format!(
                "`drctl status {previous}` shows where it stands; `drctl resume {previous}` continues it, `drctl rollback {previous}` undoes it, or `--force-new` starts a new run anyway"
            )),
            Self::State(_) | Self::Runtime(_) => None,
        }
    }

    /// Diagnostics to show (runbook or inventory errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Invalid { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}
