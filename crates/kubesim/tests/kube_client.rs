//! kube-rs (kube + k8s-openapi over rustls), the client kubetac is built on,
//! lists, watches and streams logs from the simulator.

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use kube::api::{Api, ListParams, LogParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::watcher;
use kubesim::{Sim, SimConfig};

async fn client(sim: &Sim) -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = Kubeconfig::read_from(&sim.kubeconfig_path).expect("kubeconfig parses");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    kube::Client::try_from(cfg).expect("client")
}

fn config(dir: &std::path::Path) -> SimConfig {
    SimConfig {
        state_dir: Some(dir.to_path_buf()),
        log_interval: Some(Duration::from_millis(50)),
        crash_period: Some(Duration::from_secs(2)),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_lists_pages_watches_and_streams_logs() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(config(dir.path())).await.expect("sim starts");
    let client = client(&sim).await;

    let ns: Api<Namespace> = Api::all(client.clone());
    let names: Vec<String> = ns
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(names.contains(&"smf-data".to_string()) && names.contains(&"cee-cee".to_string()));

    // Paging with limit/continue returns every pod once.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "smf-data");
    let mut seen = Vec::new();
    let mut lp = ListParams::default().limit(4);
    loop {
        let page = pods.list(&lp).await.unwrap();
        seen.extend(page.items.into_iter().filter_map(|p| p.metadata.name));
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = lp.continue_token(&c),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 29, "{seen:?}");
    let crash = pods.get("smf-service-n0-0").await.unwrap();
    let cs = &crash.status.unwrap().container_statuses.unwrap()[0];
    assert_eq!(cs.restart_count, 5);
    assert_eq!(
        cs.last_state
            .as_ref()
            .unwrap()
            .terminated
            .as_ref()
            .unwrap()
            .exit_code,
        2
    );

    // Events by field selector, as `kubectl describe` asks.
    let events: Api<Event> = Api::namespaced(client.clone(), "smf-data");
    let evs = events
        .list(
            &ListParams::default()
                .fields("involvedObject.name=smf-service-n0-0,involvedObject.namespace=smf-data"),
        )
        .await
        .unwrap();
    assert!(
        evs.items
            .iter()
            .any(|e| e.reason.as_deref() == Some("BackOff"))
    );
    assert!(
        evs.items
            .iter()
            .all(|e| e.involved_object.name.as_deref() == Some("smf-service-n0-0"))
    );

    // The watcher sees the crash-looping pod restart.
    let w = watcher(
        pods.clone(),
        watcher::Config::default().fields("metadata.name=smf-service-n0-0"),
    );
    let restarted = tokio::time::timeout(Duration::from_secs(15), async {
        let mut w = std::pin::pin!(w);
        while let Some(ev) = w.try_next().await.expect("watch stream") {
            if let watcher::Event::Apply(p) = ev {
                let rc = p
                    .status
                    .and_then(|s| s.container_statuses)
                    .map(|c| c[0].restart_count)
                    .unwrap_or(0);
                if rc > 5 {
                    return rc;
                }
            }
        }
        0
    })
    .await
    .expect("a restart within 15 s");
    assert!(restarted >= 6);

    // Following a log streams new lines.
    let lp = LogParams {
        follow: true,
        tail_lines: Some(1),
        ..LogParams::default()
    };
    let stream = pods.log_stream("zookeeper-0", &lp).await.unwrap();
    let lines: Vec<String> = tokio::time::timeout(
        Duration::from_secs(10),
        stream.lines().take(10).try_collect(),
    )
    .await
    .expect("10 lines within 10 s")
    .unwrap();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l.contains("seq=")));

    // A missing pod is a 404 the client can branch on.
    match pods.get("nope").await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 404),
        other => panic!("expected 404, got {other:?}"),
    }
    sim.stop().await;
}
