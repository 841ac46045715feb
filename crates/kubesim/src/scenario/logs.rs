//! The text simulated containers write: steady lines in a handful of styles
//! (the guide's smf-service lines, log4j, zap JSON, nginx, klog), start
//! banners, and a Go panic for crashing containers.
//!
//! Every steady line ends with ` seq=<n>`, the container's line number,
//! continuous across restarts, so tests can prove no line was lost or repeated.
//! Lines are a pure function of their arguments. Now and then a line carries a
//! planted secret ([`PLANTED_API_TOKEN`], [`PLANTED_DB_PASSWORD`], the values
//! the default scenario also keeps in its ConfigMap, Secret and env) so that
//! redaction can be tested.

use jiff::Timestamp;

use super::LogStyle;

/// The bearer token some smf log lines leak (also `api_token` in the
/// `smf-service-config` ConfigMap of the default scenario).
pub const PLANTED_API_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c21mLXNlcnZpY2U.Zk3xq9Vd8pL2wR7nF4mTa";
/// The database password some smf log lines leak (also in the Secret
/// `smf-db-credentials` and the `DB_PASSWORD` env of `smf-rest-ep`).
pub const PLANTED_DB_PASSWORD: &str = "Smf-Db-S3cr3t-2026";

fn at(ts: Timestamp, fmt: &str) -> String {
    ts.strftime(fmt).to_string()
}

/// `smf-service` → `smfservice` (the logger name of the guide's banner).
fn squash(container: &str) -> String {
    container
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// A cheap deterministic mix of the sequence number, for varied field values.
fn mix(seq: u64) -> u64 {
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 32)
}

fn smf_body(container: &str, seq: u64) -> (&'static str, String, &'static str, String) {
    let m = mix(seq);
    let peer = format!(
        "192.168.{}.{}",
        [41, 90, 112][(m % 3) as usize],
        2 + m % 250
    );
    if seq % 50 == 17 {
        return (
            "DEBUG",
            "RestClient.go:96".into(),
            "infra.rest_client.core",
            format!(
                "Sending request to nrf-client: GET /nnrf-disc/v1/nf-instances headers: Authorization: Bearer {PLANTED_API_TOKEN}"
            ),
        );
    }
    if seq % 50 == 42 {
        return (
            "INFO",
            "DbConnector.go:58".into(),
            "infra.db.core",
            format!(
                "Opening session store, db url postgres://smf:{PLANTED_DB_PASSWORD}@db.smf-data.svc:5432/smf"
            ),
        );
    }
    if seq % 37 == 11 {
        return (
            "WARN",
            "GrpcClient.go:87".into(),
            "infra.rpc_client.core",
            format!(
                "rpc error: code = Unavailable desc = connection refused, retrying smf-service:9003 in {}ms",
                100 + m % 400
            ),
        );
    }
    match seq % 8 {
        0 | 4 => (
            "DEBUG",
            "RestRouter.go:24".into(),
            "infra.rest_server.core",
            format!(
                "Rest message received from {peer}:{} uri=/ping",
                30000 + m % 30000
            ),
        ),
        1 | 5 => (
            "DEBUG",
            "RestRouter.go:43".into(),
            "infra.rest_server.core",
            "Set Ping as name for transaction".into(),
        ),
        2 | 6 => (
            "INFO",
            "ApplicationEndpoint.go:333".into(),
            "infra.application.core",
            format!("Ping success for {container}, took {}us", 40 + m % 900),
        ),
        3 => (
            "DEBUG",
            "MetricsServer_v1.go:305".into(),
            "infra.application.core",
            format!(
                "Checkpoint reached: published {} metrics in {}ms",
                120 + m % 60,
                1 + m % 9
            ),
        ),
        _ => match container {
            c if c.contains("nodemgr") => (
                "DEBUG",
                "CacheClient.go:118".into(),
                "infra.cache_client.core",
                format!(
                    "Cache ping to cache-pod-{} ok, rtt {}us",
                    m % 2,
                    200 + m % 800
                ),
            ),
            c if c.contains("protocol") || c.contains("gtpc") || c.contains("udp") => (
                "INFO",
                "PfcpHandler.go:412".into(),
                "smf.protocol.pfcp",
                format!(
                    "PFCP heartbeat response from upf-{} seqNo={}",
                    m % 4,
                    m % 65536
                ),
            ),
            _ => (
                "INFO",
                "TransactionManager.go:211".into(),
                "infra.transaction.core",
                format!(
                    "Transaction completed txnId={} procedure=PDU_SESSION_{} imsi-00101{:010}",
                    m % 1_000_000,
                    ["ESTABLISH", "MODIFY", "RELEASE"][(m % 3) as usize],
                    m % 10_000_000_000
                ),
            ),
        },
    }
}

/// One steady log line of a container, ending with ` seq=<seq>`.
pub fn log_line(style: LogStyle, container: &str, seq: u64, ts: Timestamp) -> String {
    let m = mix(seq);
    match style {
        LogStyle::Smf => {
            let (level, file, logger, msg) = smf_body(container, seq);
            format!(
                "{} {container} [{level}] [{file}] [{logger}] {msg} seq={seq}",
                at(ts, "%Y/%m/%d %H:%M:%S%.3f")
            )
        }
        LogStyle::Java => {
            let stamp = at(ts, "%Y-%m-%d %H:%M:%S,%3f");
            if container.contains("kafka") {
                let msg = match seq % 4 {
                    0 => format!("[Log partition=__consumer_offsets-{}, dir=/var/lib/kafka/data] Rolled new log segment at offset {} in {} ms. (kafka.log.Log)", m % 50, seq.wrapping_mul(17), 1 + m % 5),
                    1 => format!("[GroupMetadataManager brokerId=0] Removed 0 expired offsets in {} milliseconds. (kafka.coordinator.group.GroupMetadataManager)", m % 3),
                    2 => format!("[ReplicaFetcherManager on broker 0] Removed fetcher for partitions Set(smf-events-{}) (kafka.server.ReplicaFetcherManager)", m % 8),
                    _ => "[Controller id=0] Processing automatic preferred replica leader election (kafka.controller.KafkaController)".into(),
                };
                format!("[{stamp}] INFO {msg} seq={seq}")
            } else {
                let msg = match seq % 4 {
                    0 => format!(
                        "INFO  [NIOWorkerThread-{}:NIOServerCnxn@1056] - Closed socket connection for client /192.168.90.{}:{} which had sessionid 0x{:x}",
                        1 + m % 4,
                        2 + m % 200,
                        40000 + m % 20000,
                        m & 0xffff_ffff_ffff
                    ),
                    1 => format!(
                        "INFO  [CommitProcWorkThread-{}:ZooKeeperServer@1004] - Established session 0x{:x} with negotiated timeout 30000",
                        1 + m % 2,
                        m & 0xffff_ffff_ffff
                    ),
                    2 => format!(
                        "INFO  [SyncThread:{}:FileTxnLog@284] - Creating new log file: log.{:x}",
                        m % 3,
                        seq.wrapping_add(0x1000)
                    ),
                    _ => format!(
                        "WARN  [QuorumPeer[myid={}](plain=0.0.0.0:2181)(secure=disabled):Follower@96] - Got zxid 0x{:x} expected 0x1",
                        m % 3,
                        seq
                    ),
                };
                format!("{stamp} [myid:{}] - {msg} seq={seq}", 1 + m % 3)
            }
        }
        LogStyle::Json => {
            let (level, caller, msg) = match seq % 4 {
                0 => (
                    "info",
                    "etcdserver/server.go:1421",
                    format!(
                        "\"msg\":\"triggering snapshot\",\"local-member-id\":\"8e9e05c52164694d\",\"applied-index\":{}",
                        seq.wrapping_mul(31)
                    ),
                ),
                1 => (
                    "info",
                    "mvcc/index.go:214",
                    format!(
                        "\"msg\":\"compact tree index\",\"revision\":{}",
                        seq.wrapping_mul(7)
                    ),
                ),
                2 => (
                    "info",
                    "mvcc/kvstore_compaction.go:66",
                    format!(
                        "\"msg\":\"finished scheduled compaction\",\"compact-revision\":{},\"took\":\"{}.{}ms\"",
                        seq.wrapping_mul(7),
                        1 + m % 9,
                        m % 1000
                    ),
                ),
                _ => (
                    "warn",
                    "etcdserver/util.go:170",
                    format!(
                        "\"msg\":\"apply request took too long\",\"took\":\"{}ms\",\"expected-duration\":\"100ms\"",
                        100 + m % 300
                    ),
                ),
            };
            format!(
                "{{\"level\":\"{level}\",\"ts\":\"{}\",\"caller\":\"{caller}\",{msg}}} seq={seq}",
                at(ts, "%Y-%m-%dT%H:%M:%S%.6fZ")
            )
        }
        LogStyle::Nginx => {
            let (method, path, code, agent) = match seq % 5 {
                0 | 2 => ("GET", "/healthz", 200, "kube-probe/1.36"),
                1 => ("GET", "/api/health", 200, "Grafana/9.5.3"),
                3 => ("GET", "/tac/", 401, "Wget/1.21.2"),
                _ => (
                    "POST",
                    "/api/ds/query",
                    200,
                    "Mozilla/5.0 (X11; Linux x86_64)",
                ),
            };
            format!(
                "192.168.208.{} - - [{}] \"{method} {path} HTTP/1.1\" {code} {} \"-\" \"{agent}\" {} 0.{:03} seq={seq}",
                1 + m % 20,
                at(ts, "%d/%b/%Y:%H:%M:%S +0000"),
                2 + m % 4000,
                200 + m % 300,
                m % 250
            )
        }
        LogStyle::Plain => {
            let msg = match seq % 4 {
                0 => format!("\"Syncing\" component=\"{container}\" items={}", m % 200),
                1 => format!(
                    "\"Reconciled\" object=\"{container}-{}\" duration=\"{}ms\"",
                    m % 9,
                    1 + m % 50
                ),
                2 => "\"Health check passed\"".to_string(),
                _ => format!("\"Cache refreshed\" entries={}", 100 + m % 900),
            };
            format!(
                "I{} {:>7} {}.go:{}] {msg} seq={seq}",
                at(ts, "%m%d %H:%M:%S%.6f"),
                1,
                container.replace('-', "_"),
                100 + m % 400
            )
        }
    }
}

/// The lines a container prints when it starts (no ` seq=`; the caller appends it).
pub fn startup_lines(
    style: LogStyle,
    container: &str,
    command: &[String],
    ts: Timestamp,
) -> Vec<String> {
    let micro = |k: i64| {
        ts.checked_add(jiff::SignedDuration::from_micros(k * 27))
            .unwrap_or(ts)
    };
    let launch = command.join(" ");
    match style {
        LogStyle::Smf => {
            let binary = command
                .last()
                .cloned()
                .unwrap_or_else(|| format!("/opt/workspace/{container}"));
            let dir = binary
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "/".into());
            let name = squash(container);
            let klog = |k: i64| at(micro(k), "%Y-%m-%d %H:%M:%S%.6f");
            vec![
                dir,
                format!("-rwxrwxrwx 1 root root 84180872 Mar 31 06:18 {binary}"),
                format!("Launching: {launch}"),
                format!(
                    "{} I | proto: duplicate proto type registered: internalmsg.SessionKey",
                    klog(0)
                ),
                format!(
                    "{} I | proto: duplicate proto type registered: internalmsg.NInternalTxnMsg",
                    klog(2)
                ),
                format!(
                    "{} I | {container} [INFO] [main.go:18] [{name}] ##########",
                    klog(80)
                ),
                format!(
                    "{} I | {container} [INFO] [main.go:19] [{name}] ##########",
                    klog(81)
                ),
                format!(
                    "{} I | {container} [INFO] [main.go:20] [{name}] {} STARTING",
                    klog(82),
                    container.to_ascii_uppercase()
                ),
                format!(
                    "{} I | {container} [INFO] [main.go:21] [{name}] ##########",
                    klog(83)
                ),
                format!(
                    "{} I | {container} [INFO] [main.go:22] [{name}] ##########",
                    klog(84)
                ),
                format!(
                    "{} {container} [DEBUG] [Tracer.go:181] [unknown] Loaded initial tracing configuration: JaegerTransportType: , TracerEndpoint: , ServiceName: {container}, TracerServiceName: , EnableTracePercentage: 0",
                    at(micro(85), "%Y/%m/%d %H:%M:%S%.3f")
                ),
            ]
        }
        LogStyle::Java => {
            let stamp = at(ts, "%Y-%m-%d %H:%M:%S,%3f");
            if container.contains("kafka") {
                vec![
                    format!(
                        "[{stamp}] INFO Registered kafka:type=kafka.Log4jController MBean (kafka.utils.Log4jControllerRegistration$)"
                    ),
                    format!("[{stamp}] INFO starting (kafka.server.KafkaServer)"),
                    format!(
                        "[{stamp}] INFO Connecting to zookeeper on zookeeper-service:2181 (kafka.server.KafkaServer)"
                    ),
                    format!("[{stamp}] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)"),
                ]
            } else {
                vec![
                    format!("ZooKeeper JMX enabled by default, launching: {launch}"),
                    "Using config: /conf/zoo.cfg".into(),
                    format!(
                        "{stamp} [myid:] - INFO  [main:QuorumPeerConfig@135] - Reading configuration from: /conf/zoo.cfg"
                    ),
                    format!(
                        "{stamp} [myid:1] - INFO  [main:QuorumPeerMain@151] - Starting quorum peer"
                    ),
                ]
            }
        }
        LogStyle::Json => {
            let t = at(ts, "%Y-%m-%dT%H:%M:%S%.6fZ");
            vec![
                format!(
                    "{{\"level\":\"info\",\"ts\":\"{t}\",\"caller\":\"etcdmain/etcd.go:73\",\"msg\":\"Running: \",\"args\":{}}}",
                    serde_json::json!(command)
                ),
                format!(
                    "{{\"level\":\"info\",\"ts\":\"{t}\",\"caller\":\"embed/etcd.go:124\",\"msg\":\"configuring peer listeners\",\"listen-peer-urls\":[\"http://0.0.0.0:2380\"]}}"
                ),
                format!(
                    "{{\"level\":\"info\",\"ts\":\"{t}\",\"caller\":\"etcdserver/server.go:2068\",\"msg\":\"published local member to cluster through raft\"}}"
                ),
                format!(
                    "{{\"level\":\"info\",\"ts\":\"{t}\",\"caller\":\"embed/serve.go:98\",\"msg\":\"ready to serve client requests\"}}"
                ),
            ]
        }
        LogStyle::Nginx => {
            let t = at(ts, "%Y/%m/%d %H:%M:%S");
            vec![
                "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration".into(),
                "/docker-entrypoint.sh: Configuration complete; ready for start up".into(),
                format!("{t} [notice] 1#1: using the \"epoll\" event method"),
                format!("{t} [notice] 1#1: start worker processes"),
            ]
        }
        LogStyle::Plain => {
            let t = at(ts, "%m%d %H:%M:%S%.6f");
            let file = container.replace('-', "_");
            vec![
                format!("I{t}       1 flags.go:64] FLAG: --command=\"{launch}\""),
                format!("I{t}       1 {file}.go:42] \"Starting {container}\" version=\"v1.0.4\""),
                format!("I{t}       1 {file}.go:88] \"Serving\" address=\"[::]:8080\""),
            ]
        }
    }
}

/// The lines a crashing Go program prints (no ` seq=`; the caller appends it).
pub fn panic_lines(container: &str, ts: Timestamp) -> Vec<String> {
    let _ = ts;
    let src = format!("/opt/workspace/src/{container}");
    vec![
        "panic: runtime error: invalid memory address or nil pointer dereference".into(),
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x1a2f4d2]".into(),
        "goroutine 1 [running]:".into(),
        format!("{container}/infra/application.(*ApplicationEndpoint).Start(0x0, 0xc0001a6000)"),
        format!("\t{src}/infra/application/ApplicationEndpoint.go:512 +0x1d2"),
        format!("{container}/infra/application.(*Application).Run(0xc000132000)"),
        format!("\t{src}/infra/application/Application.go:188 +0x8f"),
        "main.main()".into(),
        format!("\t{src}/main.go:64 +0x3a5"),
        "goroutine 34 [select]:".into(),
        format!("{container}/infra/rest_server.(*RestServer).serve(0xc0002b4000)"),
        format!("\t{src}/infra/rest_server/RestServer.go:88 +0x1b4"),
        format!("created by {container}/infra/rest_server.NewRestServer in goroutine 1"),
        format!("\t{src}/infra/rest_server/RestServer.go:41 +0x1f0"),
        "goroutine 35 [IO wait]:".into(),
        "internal/poll.runtime_pollWait(0x7f3c2a1b8e28, 0x72)".into(),
        "\t/usr/local/go/src/runtime/netpoll.go:351 +0x85".into(),
        format!("created by {container}/infra/metrics.(*MetricsServer).Start in goroutine 1"),
        format!("\t{src}/infra/metrics/MetricsServer_v1.go:122 +0x2c5"),
    ]
}
