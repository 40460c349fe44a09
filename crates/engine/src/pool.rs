//! One connection per host for the whole run, opened on first use (or up front by the
//! runner's preflight) and reused by every step; a per-host slot serialises its commands.
//!
//! A host that could not be connected to keeps its first error for the rest of the run:
//! later steps fail at once with it instead of dialling again for a whole connect timeout
//! each (a hung host costs one timeout per run, not one per step). A step's retries and
//! `until` polls dial again ([`Pool::redial`]): a host coming back is reached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use drctl_model::runbook::inventory::Host;
use drctl_transport::{Connection, Connector, TransportError};

#[derive(Default)]
enum State {
    #[default]
    Empty,
    Up(Box<dyn Connection>),
    /// Connecting failed in this run: the error, as first met.
    Failed(TransportError),
}

type Slot = Arc<Mutex<State>>;

pub struct Pool {
    connector: Arc<dyn Connector>,
    slots: Mutex<HashMap<String, Slot>>,
}

/// The first error, as later steps are told it.
fn remembered(e: &TransportError) -> TransportError {
    match e {
        TransportError::Connect { host, addr, msg } => TransportError::Connect {
            host: host.clone(),
            addr: addr.clone(),
            msg: format!("{msg} (when first dialled in this run; not dialled again)"),
        },
        e => e.clone(),
    }
}

impl Pool {
    pub fn new(connector: Arc<dyn Connector>) -> Self {
        Self {
            connector,
            slots: Mutex::default(),
        }
    }

    fn slot(&self, host: &str) -> Slot {
        self.slots
            .lock()
            .expect("pool")
            .entry(host.to_string())
            .or_default()
            .clone()
    }

    /// Run `f` with the host's connection, connecting first if needed. A connection that
    /// failed with a lost/timeout error is dropped so the next use reconnects; a host that
    /// could not be connected to fails at once with its first error.
    pub fn with<T>(
        &self,
        host: &Host,
        f: impl FnOnce(&mut dyn Connection) -> Result<T, TransportError>,
    ) -> Result<T, TransportError> {
        let slot = self.slot(&host.name);
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*guard {
            State::Failed(e) => return Err(remembered(e)),
            State::Empty => match self.connector.connect(host) {
                Ok(c) => *guard = State::Up(c),
                Err(e) => {
                    *guard = State::Failed(e.clone());
                    return Err(e);
                }
            },
            State::Up(_) => {}
        }
        let State::Up(conn) = &mut *guard else {
            unreachable!("connected above")
        };
        let res = f(conn.as_mut());
        if matches!(
            res,
            Err(TransportError::Lost { .. })
                | Err(TransportError::InDoubt { .. })
                | Err(TransportError::Timeout { .. })
        ) {
            *guard = State::Empty;
        }
        res
    }

    /// Connect to a host now (the preflight); the error is kept for its steps.
    pub fn connect(&self, host: &Host) -> Result<(), TransportError> {
        self.with(host, |_| Ok(()))
    }

    /// Forget a host's connect failure, so that its next use dials again (a retry).
    /// Waits while the host is being connected to or used.
    pub fn redial(&self, host: &str) {
        let slot = self.slot(host);
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let State::Failed(e) = &*guard
            && !e.is_host_key()
        {
            *guard = State::Empty;
        }
    }
}
