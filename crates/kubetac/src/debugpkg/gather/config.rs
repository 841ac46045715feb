//! Config: `config/<host>_configuration.tar.gz` with the objects of the
//! filtered namespaces as YAML (one multi-document file per kind and
//! namespace), the nodes and namespaces, and kubetac's own running
//! configuration. Secrets keep their keys only; everything goes through
//! redaction; `managedFields` are dropped (noise, and large).

use std::io::{BufWriter, Write};
use std::path::Path;

use futures::StreamExt;
use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolumeClaim, Pod, Secret, Service,
};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

use super::{Ctx, GatherError, GatherResult, Gatherer, Tally, safe_name, tar_gz};
use crate::cluster::AccessError;
use crate::debugpkg::request::Kind;

pub struct Config;

impl Gatherer for Config {
    fn kind(&self) -> Kind {
        Kind::Config
    }

    fn gather<'a>(&'a self, cx: &'a Ctx, t: &'a Tally) -> BoxFuture<'a, GatherResult> {
        Box::pin(run(cx, t))
    }
}

fn io(e: std::io::Error) -> GatherError {
    GatherError::Failed(e.to_string())
}

async fn run(cx: &Ctx, t: &Tally) -> GatherResult {
    let work = cx.work(Kind::Config);
    std::fs::create_dir_all(work.join("kubetac")).map_err(io)?;
    let settings =
        serde_saphyr::to_string(&cx.settings).map_err(|e| GatherError::Failed(e.to_string()))?;
    std::fs::write(work.join("kubetac").join("running-config.yaml"), settings).map_err(io)?;
    t.set_total(cx.namespaces.len() as u64 + 1);
    for ns in &cx.namespaces {
        t.set_progress(format!("namespace {ns}"));
        let dir = work.join("namespaces").join(safe_name(ns));
        dump::<Pod>(cx, t, Some(ns), &dir, "pods").await?;
        dump::<Deployment>(cx, t, Some(ns), &dir, "deployments").await?;
        dump::<StatefulSet>(cx, t, Some(ns), &dir, "statefulsets").await?;
        dump::<DaemonSet>(cx, t, Some(ns), &dir, "daemonsets").await?;
        dump::<ReplicaSet>(cx, t, Some(ns), &dir, "replicasets").await?;
        dump::<Job>(cx, t, Some(ns), &dir, "jobs").await?;
        dump::<CronJob>(cx, t, Some(ns), &dir, "cronjobs").await?;
        dump::<Service>(cx, t, Some(ns), &dir, "services").await?;
        dump::<Endpoints>(cx, t, Some(ns), &dir, "endpoints").await?;
        dump::<Ingress>(cx, t, Some(ns), &dir, "ingresses").await?;
        dump::<ConfigMap>(cx, t, Some(ns), &dir, "configmaps").await?;
        dump::<Secret>(cx, t, Some(ns), &dir, "secrets").await?;
        dump::<PersistentVolumeClaim>(cx, t, Some(ns), &dir, "persistentvolumeclaims").await?;
        dump::<Event>(cx, t, Some(ns), &dir, "events").await?;
        t.step();
    }
    t.set_progress("nodes and namespaces");
    let cluster = work.join("cluster");
    dump::<Node>(cx, t, None, &cluster, "nodes").await?;
    dump::<Namespace>(cx, t, None, &cluster, "namespaces").await?;
    t.step();
    let name = format!("{}_configuration", safe_name(&cx.host));
    tar_gz(
        work,
        cx.out(Kind::Config).join(format!("{name}.tar.gz")),
        name,
    )
    .await
    .map_err(io)?;
    let c = t.counts();
    Ok(format!(
        "{} objects of {} namespace{}{}",
        c.get("objects").copied().unwrap_or(0),
        cx.namespaces.len(),
        if cx.namespaces.len() == 1 { "" } else { "s" },
        if cx.redact.enabled() {
            ", redacted"
        } else {
            ", NOT redacted (--no-redact)"
        }
    ))
}

/// Writes one kind of one namespace (or a cluster-scoped kind) as
/// multi-document YAML, page by page. A kind the server does not serve is
/// noted, not an error; a refused one is.
async fn dump<K>(
    cx: &Ctx,
    t: &Tally,
    ns: Option<&str>,
    dir: &Path,
    plural: &str,
) -> Result<(), GatherError>
where
    K: kube::Resource,
    <K as kube::Resource>::DynamicType: Default,
{
    // Dynamic objects serve namespaced and cluster kinds through one path;
    // the caller's `ns` says which this kind is.
    let ar = kube::discovery::ApiResource::erase::<K>(&Default::default());
    let api: Api<DynamicObject> = match ns {
        Some(ns) => Api::namespaced_with(cx.cl.client.clone(), ns, &ar),
        None => Api::all_with(cx.cl.client.clone(), &ar),
    };
    let what = match ns {
        Some(ns) => format!("listing {plural} in {ns}"),
        None => format!("listing {plural}"),
    };
    let mut w: Option<BufWriter<std::fs::File>> = None;
    let mut pages = std::pin::pin!(cx.cl.list_pages(api, ListParams::default(), what.clone()));
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(AccessError::NotFound(_)) => {
                t.add(&format!("kinds not served ({plural})"), 1);
                return Ok(());
            }
            Err(e) => {
                t.error(format!("{what}: {e}"));
                return Ok(());
            }
        };
        for obj in page.items {
            let mut v =
                serde_json::to_value(&obj).map_err(|e| GatherError::Failed(e.to_string()))?;
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !keep(cx, ns, plural, &name) {
                continue;
            }
            if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("managedFields");
            }
            fill_kind::<K>(&mut v);
            // With redaction on, the redactor masks Secret values itself
            // (and counts them); without it, they are masked here anyway.
            if plural == "secrets" && !cx.redact.enabled() {
                secret_keys_only(&mut v);
            }
            cx.redact.object(&mut v);
            let yaml =
                serde_saphyr::to_string(&v).map_err(|e| GatherError::Failed(e.to_string()))?;
            if w.is_none() {
                std::fs::create_dir_all(dir).map_err(io)?;
                w = Some(BufWriter::new(
                    std::fs::File::create(dir.join(format!("{plural}.yaml"))).map_err(io)?,
                ));
            }
            let out = w.as_mut().expect("opened above");
            out.write_all(b"---\n").map_err(io)?;
            out.write_all(yaml.as_bytes()).map_err(io)?;
            t.add("objects", 1);
        }
    }
    if let Some(mut out) = w {
        out.flush().map_err(io)?;
    }
    Ok(())
}

/// Secrets are never written in clear, even with `--no-redact` (which is
/// for logs and configuration values): the keys say what exists.
fn secret_keys_only(v: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(m) = v.get_mut(field).and_then(Value::as_object_mut) {
            for val in m.values_mut() {
                *val = Value::String(crate::debugpkg::redact::MARK.into());
            }
        }
    }
    if let Some(a) = v
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// Lists drop apiVersion/kind from their items; a YAML file someone
/// re-applies or reads alone needs them.
fn fill_kind<K>(v: &mut Value)
where
    K: kube::Resource,
    <K as kube::Resource>::DynamicType: Default,
{
    let dt = Default::default();
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "apiVersion".into(),
            Value::String(K::api_version(&dt).into_owned()),
        );
        m.insert("kind".into(), Value::String(K::kind(&dt).into_owned()));
    }
}

/// Pods follow `pod_name`; namespaces follow the namespace filter; the
/// rest of a filtered namespace is kept whole (a Service or ConfigMap of
/// the pod's application matters even when its name differs).
fn keep(cx: &Ctx, ns: Option<&str>, plural: &str, name: &str) -> bool {
    match (plural, ns) {
        ("pods", Some(ns)) => cx.pod_wanted(ns, name),
        ("namespaces", None) => cx.ns_wanted(name),
        _ => true,
    }
}
