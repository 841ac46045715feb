//! Table-driven: every command form, pipes, quoting, prefixes, `?` and TAB,
//! error positions, and a few hundred malformed lines that must be refused
//! with a message and a marker inside the line, never a panic.

use std::sync::OnceLock;

use clap::CommandFactory;

use super::config::{LogKind, LogLevel};
use super::*;

fn g() -> &'static Grammar {
    static G: OnceLock<Grammar> = OnceLock::new();
    G.get_or_init(|| Grammar::new(crate::cli::Args::command()))
}

struct Fake;

impl Values for Fake {
    fn namespaces(&self) -> Vec<String> {
        ["cee-cee", "kube-system", "smf-data"]
            .map(String::from)
            .to_vec()
    }
    fn pods(&self, namespace: Option<&str>) -> Vec<String> {
        let p: &[&str] = match namespace {
            Some("smf-data") => &["smf-nodemgr-n0-0", "smf-rest-ep-n0-0", "smf-service-n0-0"],
            Some("cee-cee") => &["grafana-0", "ops-center-cee-0"],
            None => &["default-pod-0"],
            Some(_) => &[],
        };
        p.iter().map(|s| s.to_string()).collect()
    }
    fn package_ids(&self) -> Vec<String> {
        vec!["1591662529".into(), "1592948929".into()]
    }
    fn logger_names(&self) -> Vec<String> {
        vec!["infra.config.core".into()]
    }
}

fn parse(line: &str) -> Line {
    g().parse(line, Mode::Exec)
        .unwrap_or_else(|e| panic!("{line:?}: {}", e.render(0, line)))
}

fn parse_config(line: &str) -> Line {
    g().parse(line, Mode::Config)
        .unwrap_or_else(|e| panic!("{line:?}: {}", e.render(0, line)))
}

fn argv(line: &str) -> Vec<String> {
    match parse(line).command {
        Command::Cli { argv } => argv,
        other => panic!("{line:?} gave {other:?}"),
    }
}

fn err(line: &str, mode: Mode) -> GrammarError {
    match g().parse(line, mode) {
        Ok(l) => panic!("{line:?} parsed: {l:?}"),
        Err(e) => e,
    }
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// The offset of the `n`th occurrence of `needle` (for expected `^` positions).
fn at(line: &str, needle: &str) -> usize {
    line.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {line:?}"))
}

const T1: &str = "2020-06-08_14:00:00";
const T2: &str = "2020-06-08_15:00:00";

#[test]
fn cli_commands_map_to_the_clis_argv() {
    let create = format!("tac-debug-pkg create from {T1} to {T2}");
    let cases: Vec<(String, String)> = vec![
        ("show pods".into(), "pods".into()),
        ("show pods -n smf-data --not-running".into(), "pods -n smf-data --not-running".into()),
        ("show pods -A -o wide".into(), "pods -A -o wide".into()),
        ("show namespaces".into(), "ns".into()),
        ("show namespaces -o json".into(), "ns -o json".into()),
        ("show services -n smf-data".into(), "svc -n smf-data".into()),
        (
            "show pod smf-service-n0-0 -n smf-data".into(),
            "describe pod smf-service-n0-0 -n smf-data".into(),
        ),
        (
            "show containers smf-service-n0-0 -n smf-data".into(),
            "containers smf-service-n0-0 -n smf-data".into(),
        ),
        (
            "show logs smf-service-n0-0 -n smf-data --previous --tail 50".into(),
            "logs smf-service-n0-0 -n smf-data --previous --tail 50".into(),
        ),
        (
            "show logs smf-rest-ep-n0-0 -n smf-data --since 10m --timestamps -f".into(),
            "logs smf-rest-ep-n0-0 -n smf-data --since 10m --timestamps -f".into(),
        ),
        ("show urls".into(), "urls".into()),
        ("show urls -n cee-cee".into(), "urls -n cee-cee".into()),
        ("show cores".into(), "cores".into()),
        ("show cores -n smf-data --since 2h -o wide".into(), "cores -n smf-data --since 2h -o wide".into()),
        ("show node-logs worker2".into(), "node-logs worker2".into()),
        ("show node-logs worker2 syslog --since 30m".into(), "node-logs worker2 syslog --since 30m".into()),
        ("triage".into(), "triage".into()),
        ("triage -n smf-data".into(), "triage -n smf-data".into()),
        ("triage -A -o json".into(), "triage -A -o json".into()),
        ("cluster logs ^smf- -n smf-data".into(), "cluster logs ^smf- -n smf-data".into()),
        ("cluster logs smf-nodemgr -n smf-data".into(), "cluster logs smf-nodemgr -n smf-data".into()),
        (
            r"cluster logs smf-\d+ -n smf-data --include ERROR".into(),
            r"cluster logs smf-\d+ -n smf-data --include ERROR".into(),
        ),
        // A regex's braces are not the guide's logs-filter braces.
        ("cluster logs smf-.{3} -n smf-data".into(), "cluster logs smf-.{3} -n smf-data".into()),
        (create.clone(), create.clone()),
        (format!("{create} cores"), format!("{create} cores")),
        (
            format!("{create} logs-filter {{ namespace smf-data pod_name smf-service }}"),
            format!("{create} logs-filter {{ namespace smf-data pod_name smf-service }}"),
        ),
        (
            format!("{create} logs-filter {{namespace smf-data,cee-cee}} logs stats"),
            format!("{create} logs-filter {{ namespace smf-data,cee-cee }} logs stats"),
        ),
        (
            "tac-debug-pkg create --from 2026-11-29T08:00:00Z --to 2026-11-29T09:00:00Z -n smf-data --only logs,stats".into(),
            "tac-debug-pkg create --from 2026-11-29T08:00:00Z --to 2026-11-29T09:00:00Z -n smf-data --only logs,stats".into(),
        ),
        ("tac-debug-pkg status".into(), "tac-debug-pkg status".into()),
        ("tac-debug-pkg list".into(), "tac-debug-pkg list".into()),
        ("tac-debug-pkg list -o json".into(), "tac-debug-pkg list -o json".into()),
        ("tac-debug-pkg delete tac-id 1591662529".into(), "tac-debug-pkg delete tac-id 1591662529".into()),
        ("tac-debug-pkg delete 1591662529".into(), "tac-debug-pkg delete 1591662529".into()),
        // clap's own help is a valid command: it prints the CLI's help.
        ("show pods --help".into(), "pods --help".into()),
    ];
    for (line, want) in cases {
        assert_eq!(argv(&line), words(&want), "{line}");
    }
}

#[test]
fn quoted_words_reach_the_cli_unquoted() {
    assert_eq!(
        argv(r#"cluster logs "(smf-service.|smf-rest.)" -n smf-data"#),
        [
            "cluster",
            "logs",
            "(smf-service.|smf-rest.)",
            "-n",
            "smf-data"
        ]
    );
    assert_eq!(
        argv("cluster logs 'a b|c' -n x"),
        ["cluster", "logs", "a b|c", "-n", "x"]
    );
    // Escapes inside double quotes; a backslash before anything else stays.
    assert_eq!(
        argv(r#"cluster logs "say \"hi\" \\ \d" -n x"#),
        ["cluster", "logs", r#"say "hi" \ \d"#, "-n", "x"]
    );
    // Quotes in the middle of a word, and an empty quoted word.
    assert_eq!(
        argv("cluster logs smf-'a b'c -n x"),
        ["cluster", "logs", "smf-a bc", "-n", "x"]
    );
    assert_eq!(
        argv(r#"cluster logs "" -n x"#),
        ["cluster", "logs", "", "-n", "x"]
    );
    // A `|` inside a word is the regex's, not a pipe.
    let l = parse("cluster logs (smf-service|smf-rest) -n smf-data");
    assert!(l.pipes.is_empty());
    // Quoted keywords are keywords.
    assert_eq!(argv(r#""show" 'pods'"#), ["pods"]);
    // Tabs and other spaces separate words.
    assert_eq!(argv("show\tpods\u{a0}-A"), ["pods", "-A"]);
}

#[test]
fn shell_commands() {
    let cases = [
        (
            "show running-config",
            Command::ShowRunningConfig { filter: vec![] },
        ),
        (
            "show running-config logging",
            Command::ShowRunningConfig {
                filter: words("logging"),
            },
        ),
        (
            "show running-config logging name infra.config.core",
            Command::ShowRunningConfig {
                filter: words("logging name infra.config.core"),
            },
        ),
        ("config", Command::EnterConfig),
        ("exit", Command::Exit),
        ("help", Command::Help),
        ("history", Command::History),
        ("", Command::Empty),
        ("   \t ", Command::Empty),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line).command, want, "{line:?}");
    }
}

#[test]
fn config_mode_commands() {
    use LogKind::*;
    use LogLevel::*;
    let name = |n: &str| n.to_string();
    let cases = [
        (
            "logging level application debug",
            Command::Set(Setting::Level {
                kind: Application,
                level: Debug,
            }),
        ),
        (
            "logging level tracing off",
            Command::Set(Setting::Level {
                kind: Tracing,
                level: Off,
            }),
        ),
        (
            "logging name infra.config.core level application debug",
            Command::Set(Setting::Name {
                name: name("infra.config.core"),
                kind: Application,
                level: Debug,
            }),
        ),
        (
            "logging name infra.resource_monitor.core level transaction warn",
            Command::Set(Setting::Name {
                name: name("infra.resource_monitor.core"),
                kind: Transaction,
                level: Warn,
            }),
        ),
        (
            "no logging level tracing",
            Command::Unset(Unset::Level { kind: Tracing }),
        ),
        (
            "no logging name infra.config.core",
            Command::Unset(Unset::Name {
                name: name("infra.config.core"),
                kind: None,
            }),
        ),
        (
            "no logging name infra.config.core level transaction",
            Command::Unset(Unset::Name {
                name: name("infra.config.core"),
                kind: Some(Transaction),
            }),
        ),
        ("commit", Command::Commit),
        ("abort", Command::Abort),
        ("end", Command::End),
        ("exit", Command::End),
        ("show configuration", Command::ShowConfiguration),
        (
            "show running-config logging",
            Command::ShowRunningConfig {
                filter: words("logging"),
            },
        ),
        ("help", Command::Help),
        ("history", Command::History),
        ("", Command::Empty),
    ];
    for (line, want) in cases {
        assert_eq!(parse_config(line).command, want, "{line:?}");
    }
}

#[test]
fn settings_print_as_running_config_lines() {
    let s = Setting::Name {
        name: "infra.config.core".into(),
        kind: LogKind::Application,
        level: LogLevel::Debug,
    };
    assert_eq!(
        s.to_string(),
        "logging name infra.config.core level application debug"
    );
    let l = Setting::Level {
        kind: LogKind::Tracing,
        level: LogLevel::Info,
    };
    assert_eq!(l.to_string(), "logging level tracing info");
    // What a line says parses back to the same setting.
    for set in [&s, &l] {
        assert_eq!(
            parse_config(&set.to_string()).command,
            Command::Set(set.clone())
        );
    }
    let all = Unset::Name {
        name: "infra.config.core".into(),
        kind: None,
    };
    let one = Unset::Name {
        name: "infra.config.core".into(),
        kind: Some(LogKind::Tracing),
    };
    assert_eq!(all.to_string(), "no logging name infra.config.core");
    assert_eq!(
        one.to_string(),
        "no logging name infra.config.core level tracing"
    );
    assert_eq!(
        Unset::Level {
            kind: LogKind::Tracing
        }
        .to_string(),
        "no logging level tracing"
    );
    for u in [&all, &one] {
        assert_eq!(
            parse_config(&u.to_string()).command,
            Command::Unset(u.clone())
        );
    }
    assert!(all.removes(&s));
    assert!(!one.removes(&s));
    assert!(!all.removes(&l));
    assert!(
        Unset::Level {
            kind: LogKind::Tracing
        }
        .removes(&l)
    );
    assert!(s.same_key(&Setting::Name {
        name: "infra.config.core".into(),
        kind: LogKind::Application,
        level: LogLevel::Off,
    }));
    assert!(!s.same_key(&l));
    assert!(section_matches(&words("logging"), &s.to_string()));
    assert!(section_matches(
        &words("logging name infra.config.core"),
        &s.to_string()
    ));
    assert!(!section_matches(&words("logging level"), &s.to_string()));
    assert!(section_matches(&[], "anything"));
}

#[test]
fn pipes() {
    let l = parse("show running-config | include logging");
    assert_eq!(
        l.pipes,
        [Pipe::Include(regex::Regex::new("logging").unwrap())]
    );
    let re = |s: &str| regex::Regex::new(s).unwrap();
    let cases = [
        ("show pods | i Running", vec![Pipe::Include(re("Running"))]),
        (
            "show pods | inc Running",
            vec![Pipe::Include(re("Running"))],
        ),
        (
            "show pods | exclude Running",
            vec![Pipe::Exclude(re("Running"))],
        ),
        ("show pods | e Running", vec![Pipe::Exclude(re("Running"))]),
        ("show pods | count", vec![Pipe::Count]),
        ("show pods | c", vec![Pipe::Count]),
        ("show pods | begin smf", vec![Pipe::Begin(re("smf"))]),
        ("show pods | b smf", vec![Pipe::Begin(re("smf"))]),
        ("show pods |i Running", vec![Pipe::Include(re("Running"))]),
        (
            "show running-config | i logging | e tracing | count",
            vec![
                Pipe::Include(re("logging")),
                Pipe::Exclude(re("tracing")),
                Pipe::Count,
            ],
        ),
        (
            r#"show pods | i "Crash|Error""#,
            vec![Pipe::Include(re("Crash|Error"))],
        ),
        (r#"show pods | i "a b""#, vec![Pipe::Include(re("a b"))]),
        (
            "cluster logs ^smf- -n smf-data | i ERROR",
            vec![Pipe::Include(re("ERROR"))],
        ),
        ("help | i show", vec![Pipe::Include(re("show"))]),
        ("history | count", vec![Pipe::Count]),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line).pipes, want, "{line}");
    }
    assert_eq!(
        parse_config("show configuration | count").pipes,
        [Pipe::Count]
    );

    let bad = [
        ("show pods |", "show pods |".len(), "output modifier"),
        ("show pods | ", "show pods | ".len(), "output modifier"),
        (
            "show pods | | count",
            at("show pods | | count", "| count"),
            "output modifier",
        ),
        (
            "show pods | include",
            "show pods | include".len(),
            "needs a regex",
        ),
        (
            "show pods | include | count",
            at("show pods | include | count", "| count"),
            "needs a regex",
        ),
        (
            "show pods | include (",
            at("show pods | include (", "("),
            "bad regex",
        ),
        (
            "show pods | grep x",
            at("show pods | grep x", "grep"),
            "unknown output modifier",
        ),
        (
            "show pods | count x",
            at("show pods | count x", "x"),
            "takes nothing",
        ),
        (
            "show pods | include a b",
            at("show pods | include a b", " b") + 1,
            "one regex",
        ),
        (
            "config | count",
            at("config | count", "|"),
            "prints nothing",
        ),
        ("| count", 0, "prints nothing"),
        ("|", 1, "output modifier"),
    ];
    for (line, pos, msg) in bad {
        let e = err(line, Mode::Exec);
        assert_eq!(e.pos, pos, "{line}: {e:?}");
        assert!(e.message.contains(msg), "{line}: {e:?}");
    }
    let e = err("commit | count", Mode::Config);
    assert!(e.message.contains("prints nothing"));
}

#[test]
fn filter_applies_pipes_in_order() {
    let lines = [
        "logging level application debug",
        "logging level tracing off",
        "logging name infra.config.core level application debug",
        "other thing",
    ];
    let run = |line: &str| {
        let pipes = parse(line).pipes;
        let mut f = Filter::new(&pipes);
        let mut out: Vec<String> = lines
            .iter()
            .filter(|l| f.keep(l))
            .map(|l| l.to_string())
            .collect();
        out.extend(f.finish());
        out
    };
    assert_eq!(run("show running-config | i logging | e tracing").len(), 2);
    assert_eq!(
        run("show running-config | i logging | count"),
        ["Count: 3 lines"]
    );
    assert_eq!(run("show running-config | count"), ["Count: 4 lines"]);
    assert_eq!(
        run("show running-config | begin tracing"),
        lines[1..].to_vec()
    );
    assert_eq!(
        run("show running-config | begin nothing"),
        Vec::<String>::new()
    );
    // What count prints goes through the pipes after it.
    assert_eq!(
        run("show running-config | count | i Count"),
        ["Count: 4 lines"]
    );
    assert!(run("show running-config | count | e Count").is_empty());
    assert_eq!(
        run("show running-config | count | count"),
        ["Count: 1 lines"]
    );
    assert_eq!(run("show running-config"), lines.to_vec());
}

#[test]
fn keywords_may_be_abbreviated() {
    assert_eq!(argv("sh pods"), ["pods"]);
    assert_eq!(argv("s pods"), ["pods"]);
    assert_eq!(argv("sh pod x"), ["describe", "pod", "x"]);
    assert_eq!(argv("sh name"), ["ns"]);
    assert_eq!(argv("sh ser"), ["svc"]);
    assert_eq!(argv("sh node w"), ["node-logs", "w"]);
    assert_eq!(argv("tac st"), ["tac-debug-pkg", "status"]);
    assert_eq!(argv("tac l"), ["tac-debug-pkg", "list"]);
    assert_eq!(argv("tr -A"), ["triage", "-A"]);
    assert_eq!(argv("cl l x"), ["cluster", "logs", "x"]);
    assert_eq!(
        argv(&format!(
            "tac cr fr {T1} t {T2} logs-f {{ na smf-data po x }} cor met"
        )),
        words(&format!(
            "tac-debug-pkg create from {T1} to {T2} logs-filter {{ namespace smf-data pod_name x }} cores metrics"
        ))
    );
    // The request parser's own aliases are kept as they are.
    assert_eq!(
        argv(&format!("tac cr from {T1} to {T2} core log"))[6..],
        ["core", "log"]
    );
    assert_eq!(
        argv("tac del t 1591662529"),
        words("tac-debug-pkg delete tac-id 1591662529")
    );
    assert_eq!(parse("conf").command, Command::EnterConfig);
    assert_eq!(parse("e").command, Command::Exit);
    assert_eq!(
        parse("sh run").command,
        Command::ShowRunningConfig { filter: vec![] }
    );
    assert_eq!(
        parse_config("log lev app deb").command,
        Command::Set(Setting::Level {
            kind: LogKind::Application,
            level: LogLevel::Debug,
        })
    );
    assert_eq!(
        parse_config("log n a.b l trac t").command,
        Command::Set(Setting::Name {
            name: "a.b".into(),
            kind: LogKind::Tracing,
            level: LogLevel::Trace,
        })
    );
    assert_eq!(parse_config("sh conf").command, Command::ShowConfiguration);
    assert_eq!(parse_config("com").command, Command::Commit);

    // Ambiguous: the `^` under the word, the choices in the message.
    for (line, mode, word, choices) in [
        ("sh po", Mode::Exec, "po", "pod, pods"),
        ("c", Mode::Exec, "c", "cluster, config"),
        ("t", Mode::Exec, "t", "tac-debug-pkg, triage"),
        ("h", Mode::Exec, "h", "help, history"),
        ("sh co", Mode::Exec, "co", "containers, cores"),
        (
            "logging level tra debug",
            Mode::Config,
            "tra",
            "tracing, transaction",
        ),
        ("e", Mode::Config, "e", "end, exit"),
        ("show pods | x", Mode::Exec, "x", ""),
    ] {
        let e = err(line, mode);
        assert_eq!(e.pos, line.rfind(word).unwrap(), "{line}: {e:?}");
        assert!(e.message.contains(choices), "{line}: {e:?}");
    }
    let line = format!("tac cr from {T1} to {T2} c");
    let e = err(&line, Mode::Exec);
    assert_eq!(e.pos, line.len() - 1);
    assert!(e.message.contains("config, cores"), "{e:?}");

    // Flags and values are exact.
    let e = err("show pods --names smf-data", Mode::Exec);
    assert_eq!(e.pos, at("show pods --names smf-data", "--names"));
    let e = err("show pods -o wid", Mode::Exec);
    assert_eq!(e.pos, at("show pods -o wid", "wid"));
}

#[test]
fn cli_errors_point_at_the_word() {
    let cases = [
        (
            "show pods --bogus",
            "--bogus",
            "unexpected argument '--bogus'",
        ),
        ("show pods -n smf-data -x", "-x", "unexpected argument '-x'"),
        ("show pods --bogus=1", "--bogus=1", "unexpected argument"),
        ("show pods extra", "extra", "unexpected argument 'extra'"),
        ("show pods -o yml", "yml", "invalid value 'yml'"),
        (
            "show pods --output=yml",
            "--output=yml",
            "invalid value 'yml'",
        ),
        ("show logs p -n x --since soon", "soon", "not a duration"),
        (
            "show logs p --since-time yesterday",
            "yesterday",
            "not a time",
        ),
        (
            "show logs p --since 5m --since-time 2020-06-08_14:00:00",
            "--since-time",
            "cannot be used with",
        ),
        (
            "show logs p -f --history",
            "--history",
            "cannot be used with",
        ),
        ("show pods -n a -A", "-A", "cannot be used with"),
        ("show logs p -n", "-n", "a value is required"),
        ("cluster logs x --tail -1", "-1", ""),
        ("cluster logs smf-( -n smf-data", "smf-(", "bad regex"),
        ("cluster logs x --include (", "(", "unclosed group"),
        ("cluster logs x -c [", "[", "bad regex"),
        (
            "show pods --kubeconfig /tmp/k",
            "--kubeconfig",
            "ops center's own setting",
        ),
        (
            "show pods --context=x",
            "--context=x",
            "ops center's own setting",
        ),
        (
            "triage -A --context x",
            "--context",
            "ops center's own setting",
        ),
        (
            "tac-debug-pkg list --store /tmp",
            "--store",
            "ops center's own setting",
        ),
        (
            "tac-debug-pkg create --prometheus http://x from a",
            "--prometheus",
            "ops center's own setting",
        ),
        ("show cores get worker2 core.1", "get", "cores get"),
        ("show cores fetch", "fetch", "unrecognized subcommand"),
        (
            "tac-debug-pkg delete tac-id ../../etc",
            "../../etc",
            "not a package id",
        ),
        (
            "tac-debug-pkg delete 1591662529x",
            "1591662529x",
            "not a package id",
        ),
        ("tac-debug-pkg delete id 1591662529", "id", "tac-id"),
        (
            "tac-debug-pkg delete tac-id 1 2",
            "2",
            "unexpected value '2'",
        ),
    ];
    for (line, word, msg) in cases {
        let e = err(line, Mode::Exec);
        assert_eq!(e.pos, at(line, word), "{line}: {e:?}");
        assert!(e.message.contains(msg), "{line}: {e:?}");
        assert!(!e.message.contains("Usage"), "{line}: {e:?}");
        assert!(!e.message.contains('\u{1b}'), "{line}: {e:?}");
        assert!(!e.message.starts_with("error:"), "{line}: {e:?}");
    }
    // Something missing: the marker at the end of the command.
    for line in [
        "show logs",
        "show node-logs",
        "show pod",
        "cluster logs",
        "tac-debug-pkg delete",
        "show pods --hide-completed",
    ] {
        let e = err(line, Mode::Exec);
        assert_eq!(e.pos, line.len(), "{line}: {e:?}");
        assert!(e.message.contains("required"), "{line}: {e:?}");
    }
    let e = err("show logs | count", Mode::Exec);
    assert_eq!(e.pos, at("show logs | count", "|"));
    // After `--` a flag-looking word is an argument, not a server flag.
    assert!(g().parse("cluster logs -- --context", Mode::Exec).is_ok());
}

#[test]
fn create_errors_point_at_the_word() {
    let base = format!("tac-debug-pkg create from {T1} to {T2}");
    let cases = [
        (
            format!("tac-debug-pkg create from {T1}"),
            None,
            "an end time is needed",
        ),
        (
            "tac-debug-pkg create".to_string(),
            None,
            "a start time is needed",
        ),
        (
            format!("tac-debug-pkg create from {T1} to"),
            None,
            "needs a value",
        ),
        (
            format!("tac-debug-pkg create from yesterday to {T2}"),
            Some("yesterday"),
            "bad from time",
        ),
        (
            format!("tac-debug-pkg create from {T1} to 2020-13-45_25:00:00"),
            Some("2020-13-45"),
            "bad to time",
        ),
        (
            format!("tac-debug-pkg create from {T1} to 2020-06-08_13:00:00"),
            Some("2020-06-08_13"),
            "before it starts",
        ),
        (
            format!("tac-debug-pkg create from {T1} to {T1}"),
            Some(T1),
            "before it starts",
        ),
        (
            format!("{base} until x"),
            Some("until"),
            "unexpected \"until\"",
        ),
        (format!("{base} from {T1}"), Some("from"), "twice"),
        (
            format!("{base} logs-filter namespace x }}"),
            Some("namespace"),
            "logs-filter needs",
        ),
        (
            format!("{base} logs-filter {{ namespace x"),
            None,
            "closing",
        ),
        (
            format!("{base} logs-filter {{ node x }}"),
            Some("node"),
            "unknown filter",
        ),
        (
            format!("{base} logs-filter {{ pod_name smf-( }}"),
            Some("smf-("),
            "bad pod_name regex",
        ),
        (
            format!("{base} logs-filter {{ namespace Smf_Data }}"),
            Some("Smf_Data"),
            "bad namespace",
        ),
        (
            format!("{base} logs-filter {{ namespace ok,Bad }}"),
            Some("ok,Bad"),
            "bad namespace",
        ),
        (
            format!("{base} logs-filter {{ pod_name a pod_name b }}"),
            Some("pod_name"),
            "twice",
        ),
        (
            format!("tac-debug-pkg create --from {T1} from {T1} to {T2}"),
            Some("--from"),
            "both",
        ),
        (
            format!("tac-debug-pkg create --from {T1}"),
            None,
            "an end time",
        ),
        (
            format!("tac-debug-pkg create --from nope --to {T2}"),
            Some("nope"),
            "bad from time",
        ),
        (
            format!("tac-debug-pkg create -n Bad --from {T1} --to {T2}"),
            Some("Bad"),
            "bad namespace",
        ),
        (
            format!("tac-debug-pkg create --pod ( --from {T1} --to {T2}"),
            Some("("),
            "regex",
        ),
        (
            format!("tac-debug-pkg create --only cores,bogus --from {T1} --to {T2}"),
            Some("cores,bogus"),
            "unknown gatherer",
        ),
    ];
    for (line, word, msg) in cases {
        let e = err(&line, Mode::Exec);
        // The last occurrence: the word that made the line wrong.
        let want = word.map_or(line.len(), |w| line.rfind(w).unwrap());
        assert_eq!(e.pos, want, "{line}: {e:?}");
        assert!(e.message.contains(msg), "{line}: {e:?}");
    }
}

#[test]
fn mode_mistakes_say_which_mode() {
    for line in [
        "logging level application debug",
        "no logging level tracing",
        "commit",
        "abort",
        "end",
        "show configuration",
    ] {
        let e = err(line, Mode::Exec);
        assert!(e.message.contains("configuration command"), "{line}: {e:?}");
        assert!(e.message.contains("`config`"), "{line}: {e:?}");
    }
    for line in [
        "show pods",
        "triage -A",
        "cluster logs x",
        "tac-debug-pkg status",
        "config",
    ] {
        let e = err(line, Mode::Config);
        assert!(e.message.contains("exec-mode command"), "{line}: {e:?}");
        assert!(e.message.contains("`end`"), "{line}: {e:?}");
    }
    // The CLI's spelling typed in the shell.
    let e = err("pods -n smf-data", Mode::Exec);
    assert!(e.message.contains("`show pods`"), "{e:?}");
    let e = err("describe pod x", Mode::Exec);
    assert!(e.message.contains("`show pod`"), "{e:?}");
}

#[test]
fn config_errors() {
    let cases = [
        ("logging", 7, "incomplete"),
        ("logging level", 13, "a log kind is missing"),
        ("logging level application", 25, "a log level is missing"),
        ("logging level app loud", 18, "not a log level"),
        ("logging level apps debug", 14, "not a log kind"),
        ("logging level application debug now", 32, "ends here"),
        ("logging name", 12, "logger name"),
        ("logging name infra.config.core", 30, "`level` is missing"),
        (
            "logging name infra.config.core lvl application debug",
            31,
            "is not `level`",
        ),
        (
            "logging name -x level application debug",
            13,
            "not a logger name",
        ),
        (
            "logging name a/b level application debug",
            13,
            "not a logger name",
        ),
        ("no logging name x level", 23, "a log kind is missing"),
        ("no logging name x level tracing debug", 32, "ends here"),
        ("no logging", 10, "incomplete"),
        ("no", 2, "incomplete"),
        ("commit now", 7, "takes no arguments"),
        ("show", 4, "incomplete"),
        ("show pods", 5, "exec-mode"),
    ];
    for (line, pos, msg) in cases {
        let e = err(line, Mode::Config);
        assert_eq!(e.pos, pos, "{line}: {e:?}");
        assert!(e.message.contains(msg), "{line}: {e:?}");
    }
}

#[test]
fn render_puts_the_marker_under_the_word() {
    let line = "show pods --bogus";
    let e = err(line, Mode::Exec);
    let prompt = "[brusmi/cee] cee# ";
    let r = e.render(prompt.len(), line);
    let mut lines = r.lines();
    let marker = lines.next().unwrap();
    assert_eq!(
        marker.len(),
        prompt.len() + line.find("--bogus").unwrap() + 1
    );
    assert!(marker.ends_with('^') && marker.trim_start() == "^");
    assert_eq!(
        lines.next(),
        Some("% Invalid input detected at '^' marker.")
    );
    assert_eq!(lines.next(), Some("% unexpected argument '--bogus' found"));
    assert!(r.ends_with('\n'));
    // Wide characters take two columns, so the marker still lands right.
    let line = "show 日本 pods";
    let e = err(line, Mode::Exec);
    assert_eq!(e.pos, 5);
    let line2 = "sh 日本 x";
    let e2 = err(line2, Mode::Exec);
    assert_eq!(e2.render(0, line2).lines().next(), Some("   ^"));
    let line3 = "show pods 日本 --bogus";
    let e3 = err(line3, Mode::Exec);
    assert_eq!(e3.pos, at(line3, "日本"));
    let e4 = GrammarError::new(line3.len(), "x");
    assert_eq!(
        e4.render(2, line3).lines().next().unwrap().len(),
        2 + 10 + 4 + 1 + 7 + 1
    );
    // Missing word: the marker after the line.
    let e = err("show", Mode::Exec);
    assert_eq!(e.render(0, "show").lines().next(), Some("    ^"));
}

#[test]
fn help_at_the_top_level() {
    let want = "\
Possible completions:
  cluster        Commands over many pods at once: `cluster logs REGEX` follows the logs of every matching pod and container
  config         Enter configuration mode
  exit           Close the session
  help           How to use this CLI
  history        The commands typed in this session
  show           Show the cluster, the packages, the running configuration
  tac-debug-pkg  Debug packages: gather cores, logs, metrics, stats and config for a time window (`create`), follow it (`status`), `list` and `delete` them
  triage         Say in one line why each unhealthy pod is unhealthy, and which command shows more
";
    assert_eq!(g().help("", Mode::Exec, &Fake), want);
    assert_eq!(g().help("  ", Mode::Exec, &Fake), want);
    // A partial word narrows the list.
    assert_eq!(
        g().help("h", Mode::Exec, &Fake),
        "Possible completions:\n  help     How to use this CLI\n  history  The commands typed in this session\n"
    );
}

#[test]
fn help_after_show() {
    let h = g().help("show ", Mode::Exec, &Fake);
    assert!(h.starts_with("Possible completions:\n"), "{h}");
    let rows: Vec<&str> = h
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "containers",
            "cores",
            "logs",
            "namespaces",
            "node-logs",
            "pod",
            "pods",
            "running-config",
            "services",
            "urls"
        ]
    );
    assert!(h.contains("\n  pods            List pods with READY, STATUS and RESTARTS exactly as kubectl computes them\n"), "{h}");
    assert!(
        h.contains("\n  running-config  Show the running configuration"),
        "{h}"
    );
    // After a complete command: its flags, `|` and `<cr>`.
    let h = g().help("show pods ", Mode::Exec, &Fake);
    assert!(
        h.contains("\n  -n  ") && h.contains("\n  --namespace  "),
        "{h}"
    );
    assert!(
        h.ends_with("  |                 Output modifiers\n  <cr>\n"),
        "{h}"
    );
    assert!(
        !h.contains("--kubeconfig") && !h.contains("--context"),
        "{h}"
    );
    // A pod goes first: candidates from the cluster, and `<POD>`.
    let h = g().help("show logs -n smf-data ", Mode::Exec, &Fake);
    assert!(
        h.contains("\n  <POD>") && h.contains("\n  smf-service-n0-0\n"),
        "{h}"
    );
    assert!(!h.contains("<cr>"), "{h}");
}

#[test]
fn help_in_create() {
    let h = g().help(
        &format!("tac-debug-pkg create from {T1} to {T2} "),
        Mode::Exec,
        &Fake,
    );
    assert_eq!(
        h,
        "\
Possible completions:
  config       Gather cluster objects and the ops center's configuration
  cores        Gather the core dumps (gatherer words pick; default: all)
  logs         Gather container and node logs
  logs-filter  Only some pods: { namespace NS pod_name REGEX }
  metrics      Gather Prometheus time series
  stats        Gather resource usage, restarts and events
  |            Output modifiers
  <cr>
"
    );
    let h = g().help("tac-debug-pkg create from ", Mode::Exec, &Fake);
    assert!(
        h.contains("<TIME>") && h.contains("2020-06-08_14:00:00"),
        "{h}"
    );
    let h = g().help(
        &format!("tac-debug-pkg create from {T1} to {T2} logs-filter {{ "),
        Mode::Exec,
        &Fake,
    );
    assert_eq!(
        h,
        "Possible completions:\n  namespace  Only this namespace (or a,b,c)\n  pod_name   Only pods whose name matches a regex\n  }          End of the filter\n"
    );
}

#[test]
fn help_in_config_mode() {
    let want = "\
Possible completions:
  abort    Drop the uncommitted changes and leave configuration mode
  commit   Make the changes the running configuration
  end      Leave configuration mode
  exit     Leave configuration mode
  help     How to use this CLI
  history  The commands typed in this session
  logging  Log levels of the network functions
  no       Remove a setting
  show     Show the configuration
";
    assert_eq!(g().help("", Mode::Config, &Fake), want);
    assert_eq!(
        g().help("logging level ", Mode::Config, &Fake),
        "Possible completions:\n  application  Application logs\n  tracing      Tracing\n  transaction  Transaction logs\n"
    );
    let h = g().help("logging level application ", Mode::Config, &Fake);
    assert!(
        h.contains("  debug  Debug and above\n") && h.contains("  off    No logs\n"),
        "{h}"
    );
    assert!(
        g().help("logging level application debug ", Mode::Config, &Fake)
            .ends_with("  <cr>\n")
    );
    let h = g().help("logging name ", Mode::Config, &Fake);
    assert!(
        h.contains("<NAME>") && h.contains("infra.config.core"),
        "{h}"
    );
    // Nothing possible after an error: the error says why.
    let h = g().help("show pods ", Mode::Config, &Fake);
    assert!(h.starts_with("% ") && h.contains("exec-mode"), "{h}");
    assert_eq!(
        g().help("commit ", Mode::Config, &Fake),
        "Possible completions:\n  <cr>\n"
    );
}

fn complete(line: &str, mode: Mode) -> Completion {
    g().complete(line, line.len(), mode, &Fake)
}

fn cands(line: &str) -> Vec<String> {
    complete(line, Mode::Exec).candidates
}

#[test]
fn completion_of_keywords() {
    assert_eq!(
        complete("sh", Mode::Exec),
        Completion {
            start: 0,
            candidates: vec!["show".into()]
        }
    );
    assert_eq!(
        complete("show po", Mode::Exec),
        Completion {
            start: 5,
            candidates: vec!["pod".into(), "pods".into()]
        }
    );
    assert_eq!(cands("c"), ["cluster", "config"]);
    assert_eq!(
        cands("tac-debug-pkg "),
        ["create", "delete", "list", "status"]
    );
    assert_eq!(cands("cluster "), ["logs"]);
    assert_eq!(cands("show running-config "), ["logging"]);
    assert_eq!(cands("show running-config logging "), ["level", "name"]);
    assert_eq!(complete("", Mode::Exec).candidates.len(), 8);
    // The cursor in the middle of the line: only what is before it counts.
    assert_eq!(
        g().complete("sh pods -n smf-data", 2, Mode::Exec, &Fake),
        Completion {
            start: 0,
            candidates: vec!["show".into()]
        }
    );
    // Nothing after a command without arguments, nor after an unknown word.
    assert!(cands("config ").is_empty());
    assert!(cands("bogus ").is_empty());
}

#[test]
fn completion_of_cli_flags_and_values() {
    let flags = cands("show pods -");
    for f in [
        "-n",
        "--namespace",
        "-A",
        "--all-namespaces",
        "-o",
        "--output",
        "-l",
        "--not-running",
    ] {
        assert!(flags.contains(&f.to_string()), "{f}: {flags:?}");
    }
    for f in [
        "--kubeconfig",
        "--context",
        "--help",
        "-h",
        "--version",
        "-v",
        "--verbose",
    ] {
        assert!(!flags.contains(&f.to_string()), "{f}: {flags:?}");
    }
    assert_eq!(cands("show pods --n"), ["--namespace", "--not-running"]);
    // A flag given once is not offered again.
    assert!(!cands("show pods --not-running -").contains(&"--not-running".to_string()));
    assert_eq!(
        cands("show pods -n "),
        ["cee-cee", "kube-system", "smf-data"]
    );
    assert_eq!(cands("show pods --namespace s"), ["smf-data"]);
    assert_eq!(cands("show pods --namespace=s"), ["--namespace=smf-data"]);
    assert_eq!(cands("show pods -o "), ["json", "wide", "yaml"]);
    assert_eq!(cands("triage -o "), ["json"]);
    assert_eq!(
        cands("cluster logs x --color "),
        ["always", "auto", "never"]
    );
    assert!(
        cands("tac-debug-pkg create -")
            .iter()
            .all(|c| !SERVER_FLAGS.contains(&c.as_str()))
    );
    // Flags after `--` are arguments.
    assert!(cands("cluster logs -- -").is_empty());
}

#[test]
fn completion_of_pods() {
    let c = cands("show logs ");
    assert!(
        c.contains(&"default-pod-0".to_string()) && c.contains(&"-n".to_string()),
        "{c:?}"
    );
    assert_eq!(cands("show logs -n smf-data smf-s"), ["smf-service-n0-0"]);
    assert_eq!(cands("show logs --namespace=cee-cee g"), ["grafana-0"]);
    assert_eq!(cands("show pod -n smf-data smf-r"), ["smf-rest-ep-n0-0"]);
    assert_eq!(
        cands("show containers -n smf-data smf-n"),
        ["smf-nodemgr-n0-0"]
    );
    assert_eq!(
        cands("cluster logs -n smf-data smf-n"),
        ["smf-nodemgr-n0-0"]
    );
    // Once the pod is there, only flags.
    assert!(
        cands("show logs -n smf-data smf-service-n0-0 ")
            .iter()
            .all(|c| c.starts_with('-'))
    );
    // A quoted word being typed completes too (the quote is replaced).
    let c = complete("show logs -n smf-data \"smf-s", Mode::Exec);
    assert_eq!(c.start, "show logs -n smf-data ".len());
    assert_eq!(c.candidates, ["smf-service-n0-0"]);
}

#[test]
fn completion_of_packages_and_create_words() {
    assert_eq!(
        cands("tac-debug-pkg delete "),
        ["1591662529", "1592948929", "tac-id"]
    );
    assert_eq!(
        cands("tac-debug-pkg delete tac-id "),
        ["1591662529", "1592948929"]
    );
    assert_eq!(cands("tac-debug-pkg delete tac-id 1591"), ["1591662529"]);
    assert!(cands("tac-debug-pkg delete tac-id 1591662529 ").is_empty());
    assert_eq!(cands("tac-debug-pkg create f"), ["from"]);
    let c = cands(&format!("tac-debug-pkg create from {T1} to {T2} "));
    assert_eq!(
        c,
        ["config", "cores", "logs", "logs-filter", "metrics", "stats"]
    );
    let c = cands(&format!(
        "tac-debug-pkg create from {T1} to {T2} cores logs "
    ));
    assert_eq!(c, ["config", "logs-filter", "metrics", "stats"]);
    let base = format!("tac-debug-pkg create from {T1} to {T2} logs-filter");
    assert_eq!(cands(&format!("{base} ")), ["{"]);
    assert_eq!(
        cands(&format!("{base} {{ ")),
        ["namespace", "pod_name", "}"]
    );
    assert_eq!(
        cands(&format!("{base} {{ namespace ")),
        ["cee-cee", "kube-system", "smf-data"]
    );
    assert_eq!(
        cands(&format!("{base} {{ namespace smf-data,c")),
        ["smf-data,cee-cee"]
    );
    assert_eq!(
        cands(&format!("{base} {{ namespace smf-data pod_name ")),
        ["smf-nodemgr-n0-0", "smf-rest-ep-n0-0", "smf-service-n0-0"]
    );
    assert_eq!(
        cands(&format!("{base} {{ namespace smf-data pod_name x ")),
        ["namespace", "}"]
    );
    assert_eq!(
        cands(&format!("{base} {{ pod_name x }} ")),
        ["config", "cores", "logs", "metrics", "stats"]
    );
    // Abbreviated words before the cursor are understood.
    assert_eq!(
        cands(&format!("tac cr fr {T1} t {T2} logs-f {{ na ")),
        ["cee-cee", "kube-system", "smf-data"]
    );
    assert!(cands("tac-debug-pkg create from ").is_empty());
}

#[test]
fn completion_of_pipes_and_config_words() {
    assert_eq!(
        cands("show pods | "),
        ["begin", "count", "exclude", "include"]
    );
    assert_eq!(
        cands("show pods |"),
        ["begin", "count", "exclude", "include"]
    );
    assert_eq!(cands("show pods | in"), ["include"]);
    assert_eq!(cands("show pods | i x | e"), ["exclude"]);
    assert!(cands("show pods | include ").is_empty());
    let c = |l: &str| complete(l, Mode::Config).candidates;
    assert_eq!(
        c(""),
        [
            "abort", "commit", "end", "exit", "help", "history", "logging", "no", "show"
        ]
    );
    assert_eq!(c("logging "), ["level", "name"]);
    assert_eq!(
        c("logging level "),
        ["application", "tracing", "transaction"]
    );
    assert_eq!(c("logging level tr"), ["tracing", "transaction"]);
    assert_eq!(
        c("logging level tracing "),
        ["debug", "error", "info", "off", "trace", "warn"]
    );
    assert_eq!(c("logging name "), ["infra.config.core"]);
    assert_eq!(c("logging name x "), ["level"]);
    assert_eq!(
        c("logging name x level "),
        ["application", "tracing", "transaction"]
    );
    assert_eq!(c("logging name x level tracing d"), ["debug"]);
    assert_eq!(c("no "), ["logging"]);
    assert_eq!(
        c("no logging level "),
        ["application", "tracing", "transaction"]
    );
    assert_eq!(
        c("no logging name x level "),
        ["application", "tracing", "transaction"]
    );
    assert_eq!(c("show "), ["configuration", "running-config"]);
    assert!(c("commit ").is_empty());
}

#[test]
fn candidates_that_need_quotes_are_quoted() {
    struct Odd;
    impl Values for Odd {
        fn namespaces(&self) -> Vec<String> {
            vec!["a b".into(), "it's".into()]
        }
        fn pods(&self, _: Option<&str>) -> Vec<String> {
            vec![]
        }
        fn package_ids(&self) -> Vec<String> {
            vec![]
        }
    }
    let c = g().complete("show pods -n ", 13, Mode::Exec, &Odd);
    assert_eq!(c.candidates, ["\"a b\"", "\"it's\""]);
    // And they read back as the value.
    assert_eq!(argv("show pods -n \"a b\""), ["pods", "-n", "a b"]);
}

#[test]
fn grammar_is_shared_between_sessions() {
    fn shared<T: Send + Sync>() {}
    shared::<Grammar>();
    shared::<Line>();
}

/// Lines that every form of the language is built from.
fn exec_examples() -> Vec<String> {
    let mut v: Vec<String> = [
        "show pods",
        "show pods -n smf-data --not-running",
        "show pods -A -o wide",
        "show namespaces",
        "show services -n smf-data",
        "show pod smf-service-n0-0 -n smf-data",
        "show containers smf-service-n0-0 -n smf-data",
        "show logs smf-service-n0-0 -n smf-data --previous --tail 50",
        "show logs smf-service-n0-0 -n smf-data --since 10m",
        "show urls",
        "show cores -n smf-data --since 2h",
        "show node-logs worker2 syslog",
        "triage -A -o json",
        "cluster logs ^smf- -n smf-data",
        r#"cluster logs "(smf-service.|smf-rest.)" -n smf-data"#,
        "tac-debug-pkg status",
        "tac-debug-pkg list -o json",
        "tac-debug-pkg delete tac-id 1591662529",
        "show running-config",
        "show running-config logging | i application",
        "show pods | i Running | count",
        "show pods | e Running | begin smf",
    ]
    .map(String::from)
    .to_vec();
    v.push(format!("tac-debug-pkg create from {T1} to {T2}"));
    v.push(format!(
        "tac-debug-pkg create from {T1} to {T2} logs-filter {{ namespace smf-data pod_name smf-service }} cores"
    ));
    v
}

fn config_examples() -> Vec<String> {
    [
        "logging level application debug",
        "logging name infra.config.core level application debug",
        "no logging level tracing",
        "no logging name infra.config.core level transaction",
        "no logging name infra.config.core",
        "commit",
        "abort",
        "end",
        "show configuration",
        "show configuration | count",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn every_example_parses() {
    for l in exec_examples() {
        parse(&l);
    }
    for l in config_examples() {
        parse_config(&l);
    }
}

fn check_invariants(line: &str, mode: Mode) -> Result<Line, GrammarError> {
    let r = g().parse(line, mode);
    if let Err(e) = &r {
        assert!(!e.message.is_empty(), "{line:?}");
        assert!(e.pos <= line.len(), "{line:?}: {e:?}");
        assert!(line.is_char_boundary(e.pos), "{line:?}: {e:?}");
        let shown = e.render(4, line);
        assert!(
            shown.contains("% Invalid input detected at '^' marker."),
            "{line:?}"
        );
    }
    r
}

#[test]
fn malformed_lines_are_refused_with_a_marker() {
    let mut bad: Vec<(String, Mode)> = Vec::new();
    let exec = exec_examples();
    let config = config_examples();
    for l in &exec {
        let cmd = l.split(" |").next().unwrap().to_string();
        bad.push((format!("{l} |"), Mode::Exec));
        bad.push((format!("{l} | include"), Mode::Exec));
        bad.push((format!("{l} | include ("), Mode::Exec));
        bad.push((format!("{l} | grep x"), Mode::Exec));
        bad.push((format!("bogus {l}"), Mode::Exec));
        bad.push((format!("{l} \"unbalanced"), Mode::Exec));
        bad.push((format!("{l} 'unbalanced"), Mode::Exec));
        bad.push((format!("{l}\u{7}"), Mode::Exec));
        bad.push((format!("{l}\r\nshow pods"), Mode::Exec));
        bad.push((format!("{cmd} --bogus"), Mode::Exec));
        if !l.starts_with("show running-config") {
            bad.push((l.clone(), Mode::Config));
        }
    }
    for l in &config {
        bad.push((l.clone(), Mode::Exec));
        bad.push((format!("{l} extra"), Mode::Config));
        bad.push((format!("{l} |"), Mode::Config));
    }
    let create = format!("tac-debug-pkg create from {T1} to {T2}");
    for t in [
        "yesterday",
        "2020-13-01_00:00:00",
        "2020-06-31_00:00:00",
        "2020-06-08_24:00:00",
        "2020-06-08_14:60:00",
        "2020-06-08 14:00:00",
        "2020/06/08_14:00:00",
        "14:00:00",
        "2020-06-08",
        "1591662529",
        "🚀",
        "{",
        "}",
    ] {
        bad.push((format!("tac-debug-pkg create from {t} to {T2}"), Mode::Exec));
        bad.push((format!("tac-debug-pkg create from {T1} to {t}"), Mode::Exec));
    }
    for tail in [
        "logs-filter",
        "logs-filter {",
        "logs-filter { namespace",
        "logs-filter { namespace smf-data",
        "logs-filter { pod_name }",
        "logs-filter { pod_name [ }",
        "logs-filter { }}",
        "logs-filter namespace x",
        "{ namespace x }",
        "}",
        "coredumps",
        "from",
        "to x",
        "c",
        "l",
        "--from x",
    ] {
        bad.push((format!("{create} {tail}"), Mode::Exec));
    }
    for l in [
        "|",
        "| count",
        "||",
        "show pods ||",
        "show pods | |",
        "show pods | include (a",
        "show pods | include a)",
        "show pods | include [z-a]",
        "show pods | include a{99999}{99999}",
        "show pods | include \\w{1000}",
        "show pods | exclude *",
        "show pods | begin ?",
        "show pods | count | include",
        "show pods | include \"unterminated",
        "\"",
        "'",
        "show \"pods",
        "show pods 'x",
        "{",
        "}",
        "show { pods }",
        "🚀",
        "show 🚀",
        "show pods 🚀🚀🚀",
        "\u{202e}show pods",
        "show \u{202e}pods",
        "\u{200b}",
        "show\u{0}pods",
        "show pods\u{1b}[A",
        "\u{7f}",
        "show pods\n",
        "tac-debug-pkg",
        "tac-debug-pkg create from",
        "tac-debug-pkg delete",
        "tac-debug-pkg delete tac-id",
        "tac-debug-pkg delete tac-id x",
        "tac-debug-pkg delete tac-id 1 2",
        "tac-debug-pkg frobnicate",
        "cluster",
        "cluster logs",
        "cluster logs (",
        "cluster logs x --since-time now",
        "cluster logs x --tail=-5",
        "cluster logs x -o yaml",
        "cluster frob",
        "show",
        "show pod",
        "show pods pods",
        "show pods -n",
        "show pods --namespace",
        "show pods -o",
        "show pods ---",
        "show pods -- x",
        "show logs -n smf-data",
        "show logs p --tail many",
        "show logs p --since 0s",
        "show logs p --since-time 2020-06-08T25:00:00Z",
        "show cores get",
        "show cores --node",
        "show node-logs a b c",
        "show urls --kubeconfig=x",
        "triage --fail-on-unhealthy=yes",
        "triage -o wide",
        "sh p",
        "s p",
        "exit now",
        "help me",
        "history 10",
        "config terminal",
        "no",
        "logging",
        "pods",
        "kubectl get pods",
        "describe pod x",
        "-n smf-data",
        "--help",
    ] {
        bad.push((l.to_string(), Mode::Exec));
    }
    for l in [
        "logging level",
        "logging level application",
        "logging level application loud",
        "logging level everything debug",
        "logging level t debug",
        "logging level application d e",
        "logging name",
        "logging name x",
        "logging name x level",
        "logging name x level application",
        "logging name x lvl application debug",
        "logging name \"a b\" level application debug",
        "logging name 🚀 level application debug",
        "logging name .x level application debug",
        "no logging level",
        "no logging name",
        "no logging name x level",
        "no logging name x level application debug",
        "no logging",
        "no",
        "show",
        "show runs",
        "show pods",
        "end now",
        "e",
        "logging level application debug | count",
        "commit | i x",
        "config",
        "triage",
    ] {
        bad.push((l.to_string(), Mode::Config));
    }
    // Very long lines: one huge word, and too many bytes.
    bad.push((format!("show pods {}", "x".repeat(5000)), Mode::Exec));
    bad.push((format!("show {}", "y".repeat(MAX_LINE)), Mode::Exec));
    bad.push((format!("show pods {}", "-n a ".repeat(2000)), Mode::Exec));
    bad.push((
        format!("show pods |{}", " | count".repeat(1000)),
        Mode::Exec,
    ));
    bad.push(("🚀".repeat(3000), Mode::Exec));

    let mut seen = std::collections::HashSet::new();
    bad.retain(|b| seen.insert(b.clone()));
    for (line, mode) in &bad {
        match check_invariants(line, *mode) {
            Ok(l) => panic!("{mode:?} {line:?} parsed: {l:?}"),
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
    assert!(bad.len() >= 200, "only {} malformed lines", bad.len());
}

/// A tiny deterministic generator, so the shuffled lines are the same on
/// every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

#[test]
fn truncated_and_shuffled_lines_never_panic() {
    let mut all: Vec<(String, Mode)> = exec_examples()
        .into_iter()
        .map(|l| (l, Mode::Exec))
        .collect();
    all.extend(config_examples().into_iter().map(|l| (l, Mode::Config)));
    all.push(("show pods -n 日本 | i 🚀".into(), Mode::Exec));
    let mut refused = 0;
    let mut runs = 0;
    for (line, mode) in &all {
        for cut in (0..=line.len()).filter(|&i| line.is_char_boundary(i)) {
            let part = &line[..cut];
            runs += 1;
            if check_invariants(part, *mode).is_err() {
                refused += 1;
            }
            for m in [Mode::Exec, Mode::Config] {
                let c = g().complete(line, cut, m, &Fake);
                assert!(c.start <= cut, "{line:?} at {cut}: {c:?}");
                assert!(
                    c.candidates.iter().all(|c| !c.is_empty()),
                    "{line:?} at {cut}: {c:?}"
                );
                assert!(!g().help(part, m, &Fake).is_empty());
            }
        }
    }
    // Most cuts fall inside a word or before a value.
    assert!(refused > runs / 4, "{refused} of {runs}");

    let mut rng = XorShift(0x9e3779b97f4a7c15);
    for (line, mode) in &all {
        let w: Vec<&str> = line.split(' ').collect();
        for _ in 0..20 {
            let mut v = w.clone();
            let (a, b) = (rng.next() % v.len(), rng.next() % v.len());
            v.swap(a, b);
            if rng.next().is_multiple_of(3) {
                let i = rng.next() % v.len();
                v.remove(i);
            }
            let l = v.join(" ");
            let _ = check_invariants(&l, *mode);
            let cur = rng.next() % (l.len() + 1);
            let _ = g().complete(&l, cur, *mode, &Fake);
        }
    }
    // Cursor past the end, or inside a character, is clamped.
    let c = g().complete("show 日本", 7, Mode::Exec, &Fake);
    assert!(c.start <= 7);
    let c = g().complete("sh", 99, Mode::Exec, &Fake);
    assert_eq!(c.candidates, ["show"]);
}
