//! One connection per host for the whole run, opened on first use (or up front by
//! `preconnect`) and reused by every step; a per-host slot serialises its commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use drctl_model::runbook::inventory::Host;
use drctl_transport::{Connection, Connector, TransportError};

type Slot = Arc<Mutex<Option<Box<dyn Connection>>>>;

pub struct Pool {
    connector: Arc<dyn Connector>,
    slots: Mutex<HashMap<String, Slot>>,
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
    /// failed with a lost/timeout error is dropped so the next use reconnects.
    pub fn with<T>(
        &self,
        host: &Host,
        f: impl FnOnce(&mut dyn Connection) -> Result<T, TransportError>,
    ) -> Result<T, TransportError> {
        let slot = self.slot(&host.name);
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.connector.connect(host)?);
        }
        let conn = guard.as_mut().expect("connected");
        let res = f(conn.as_mut());
        if matches!(
            res,
            Err(TransportError::Lost { .. })
                | Err(TransportError::InDoubt { .. })
                | Err(TransportError::Timeout { .. })
        ) {
            *guard = None;
        }
        res
    }

    /// Connect to a host now; returns the error without caching it.
    pub fn connect(&self, host: &Host) -> Result<(), TransportError> {
        self.with(host, |_| Ok(()))
    }
}
