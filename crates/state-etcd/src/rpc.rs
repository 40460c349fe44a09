//! etcd requests that survive a member being down: a request that never reached a member
//! (its connection was refused — the balancer picked a dead endpoint) is sent again, to
//! whichever member the balancer picks next. Only requests that provably were not sent are
//! repeated for writes, so a conditional write is never applied twice; a read is also
//! repeated while the cluster elects a leader ("leader changed", "no leader").

use std::future::Future;
use std::time::Duration;

use etcd_client::{Client, Error, GetOptions, GetResponse, LeaseGrantResponse, Txn, TxnResponse};

use crate::connect::chain;

/// How many times a request refused by a dead member is sent again.
const RETRIES: u32 = 12;

/// The request never left this machine: connecting to the member failed.
fn not_sent(e: &Error) -> bool {
    let s = chain(e);
    s.contains("tcp connect error") || s.contains("Connection refused")
}

/// The cluster answered "unavailable" (electing a leader): harmless to repeat a read.
fn unavailable(e: &Error) -> bool {
    matches!(e, Error::GRpcStatus(s) if s.code() == tonic::Code::Unavailable)
}

pub(crate) async fn retry<T, Fut: Future<Output = Result<T, Error>>>(
    f: impl FnMut() -> Fut,
) -> Result<T, Error> {
    retry_when(f, not_sent).await
}

async fn retry_when<T, Fut: Future<Output = Result<T, Error>>>(
    mut f: impl FnMut() -> Fut,
    again: fn(&Error) -> bool,
) -> Result<T, Error> {
    let mut n = 0;
    loop {
        match f().await {
            Err(e) if n < RETRIES && again(&e) => {
                n += 1;
                tokio::time::sleep(Duration::from_millis(20 * u64::from(n))).await;
            }
            r => return r,
        }
    }
}

pub(crate) async fn get(
    c: Client,
    key: String,
    o: Option<GetOptions>,
) -> Result<GetResponse, Error> {
    retry_when(
        || {
            let (mut c, k, o) = (c.clone(), key.clone(), o.clone());
            async move { c.get(k, o).await }
        },
        |e| not_sent(e) || unavailable(e),
    )
    .await
}

pub(crate) async fn txn(c: Client, t: Txn) -> Result<TxnResponse, Error> {
    retry(|| {
        let (mut c, t) = (c.clone(), t.clone());
        async move { c.txn(t).await }
    })
    .await
}

pub(crate) async fn lease_grant(c: Client, ttl: i64) -> Result<LeaseGrantResponse, Error> {
    retry(|| {
        let mut c = c.clone();
        async move { c.lease_grant(ttl, None).await }
    })
    .await
}
