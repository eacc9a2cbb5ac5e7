//! Snapshot tests (insta) of the command line's human output: every command's `--help`,
//! `demo`'s summary, `validate`'s report and `query`'s table format. Timings and temporary
//! paths are filtered out; everything else is pinned, so a change of wording or layout
//! shows up as a diff to review (`cargo insta review`, or INSTA_UPDATE=always and git diff).

use crate::util::{generate, run};

/// Snapshots named as the test names them; `dir` as `[DIR]`, seconds of elapsed time as `[t]`.
fn settings(dir: Option<&std::path::Path>) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    if let Some(dir) = dir {
        s.add_filter(&regex_escape(dir.to_str().unwrap()), "[DIR]");
    }
    s.add_filter(r"\d+\.\d s", "[t] s");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn help_of_every_command() {
    for command in [
        "", "generate", "run", "validate", "query", "report", "demo", "serve", "users",
    ] {
        let args: Vec<&str> = [command, "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        let name = if command.is_empty() {
            "retention"
        } else {
            command
        };
        settings(None).bind(|| insta::assert_snapshot!(format!("help_{name}"), out));
    }
}

#[test]
fn demo_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&[
        "demo",
        "--dir",
        dir.path().to_str().unwrap(),
        "--workers",
        "300",
        "--years",
        "3",
        "--offices",
        "4",
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(code, 0, "{err}");
    settings(Some(dir.path())).bind(|| insta::assert_snapshot!("demo_summary", out));
}

#[test]
fn validate_report_and_query_table() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = generate(
        dir.path(),
        &[
            "--workers",
            "200",
            "--years",
            "2",
            "--offices",
            "3",
            "--faults",
            "0.01",
            "--seed",
            "5",
            "--as-of",
            "2025-06-30",
        ],
    );
    let inbox = inbox.to_str().unwrap();
    let (code, out, err) = run(&[
        "validate",
        "--inbox",
        inbox,
        "--as-of",
        "2025-06-30",
        "--show",
        "5",
    ]);
    assert_eq!(code, 0, "{err}");
    settings(Some(dir.path())).bind(|| insta::assert_snapshot!("validate_report", out));

    let wh = dir.path().join("wh");
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox,
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        "query",
        "--warehouse",
        wh.to_str().unwrap(),
        "select office_id, tenure_band, headcount_end, separations, turnover_rate from office_risk \
         where tenure_band = 'ALL' order by office_id",
    ]);
    assert_eq!(code, 0, "{err}");
    settings(None).bind(|| insta::assert_snapshot!("query_table", out));
}
