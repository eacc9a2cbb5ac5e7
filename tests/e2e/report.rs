//! The leadership report (issue #17): drawn by every run into `current/report.html` and
//! again by `retention report`; self-contained; aggregates only, with no value the
//! suppression hides (the predicted columns' suppression is rendered as words by a unit
//! test of `report::drivers`: no generated office is small enough); its structure pinned
//! by a snapshot. Headless Chromium and an HTML5
//! parser check the same page in tests/report_check.py (`make test`).

use crate::util::{generate, read_table, run, run_pipeline};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Mid-month, so that the windows of whole months and the trailing window differ.
const AS_OF: &str = "2025-06-17";

/// A small agency (small groups, so that suppression bites), published with the default
/// settings into `wh` and, when `min_group_size` is given, with that setting into `wh-N`.
fn published(dir: &Path, min_group_size: Option<u32>) -> PathBuf {
    let inbox = dir.join("inbox");
    if !inbox.exists() {
        generate(
            dir,
            &[
                "--workers",
                "240",
                "--years",
                "4",
                "--offices",
                "6",
                "--seed",
                "17",
                "--as-of",
                AS_OF,
            ],
        );
    }
    let (wh, pipeline) = match min_group_size {
        None => (dir.join("wh"), None),
        Some(n) => {
            let file = dir.join(format!("min{n}.toml"));
            std::fs::write(&file, format!("[settings]\nmin_group_size = {n}\n")).unwrap();
            (dir.join(format!("wh-{n}")), Some(file))
        }
    };
    let (code, err) = run_pipeline(&inbox, &wh, AS_OF, pipeline.as_deref());
    assert_eq!(code, 0, "{err}");
    wh
}

fn report(wh: &Path) -> String {
    std::fs::read_to_string(wh.join("current").join("report.html")).unwrap()
}

#[test]
fn every_run_draws_the_report_and_the_command_draws_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path(), None);
    let html = report(&wh);
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..200]);
    // The command draws the same page from the same run.
    let out = dir.path().join("again.html");
    let (code, stdout, err) = run(&[
        "report",
        "--warehouse",
        wh.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        stdout.trim(),
        format!("report written to {}", out.display())
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), html);
    // No run: exit 2 and what to do.
    let (code, _, err) = run(&[
        "report",
        "--warehouse",
        dir.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("publish one with `retention run` first"),
        "{err}"
    );
    // A pipeline file may leave the report out; nothing else changes.
    let quiet = dir.path().join("no-report.toml");
    std::fs::write(
        &quiet,
        "[pipeline]\nstages = [\"ingest\", \"derive\", \"model\", \"sql\", \"publish\"]\n",
    )
    .unwrap();
    let other = dir.path().join("wh-quiet");
    let (code, err) = run_pipeline(&dir.path().join("inbox"), &other, AS_OF, Some(&quiet));
    assert_eq!(code, 0, "{err}");
    assert!(other.join("current").join("run_manifest.json").is_file());
    assert!(!other.join("current").join("report.html").exists());
}

#[test]
fn the_report_is_self_contained_and_names_no_worker() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path(), None);
    let html = report(&wh);
    for external in [
        "http:", "https:", "<script", "<link", "src=", "url(", "@import", "<iframe",
    ] {
        assert!(!html.contains(external), "the page holds {external}");
    }
    // Every section's chart or table, with a title and a reading.
    for id in [
        "glance",
        "turnover",
        "trend",
        "retention",
        "caseload",
        "supervision",
        "wellbeing",
        "programs",
        "drivers",
        "hiring",
        "quality",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
        assert!(
            html.contains(&format!("<a href=\"#{id}\">")),
            "a link to {id}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 9);
    assert_eq!(html.matches("<details>").count(), 10);
    assert_eq!(
        html.matches("<title>").count(),
        10,
        "the page's and each chart's"
    );
    // No worker key, no worker id: not one of them appears anywhere.
    let (names, spells) = read_table(&wh, "worker_spells");
    let key = names.iter().position(|n| n == "worker_key").unwrap();
    assert!(!spells.is_empty());
    for spell in &spells {
        assert!(
            !html.contains(&spell[key]),
            "worker key {} in the page",
            spell[key]
        );
    }
    let job_history = std::fs::read_to_string(dir.path().join("inbox/job_history.csv")).unwrap();
    let mut ids = 0;
    for line in job_history.lines().skip(1) {
        let id = line.split(',').next().unwrap();
        if id.len() >= 4 {
            ids += 1;
            assert!(
                !html.contains(&format!(">{id}<")),
                "worker id {id} in the page"
            );
        }
    }
    assert!(ids > 0);
}

/// The values suppression hides, found by publishing the same inbox with
/// `min_group_size = 1` (nothing suppressed): for each wellbeing cell the default run
/// hides, the page shows words, not the number, and the number is nowhere on the page.
#[test]
fn no_suppressed_value_appears_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path(), None);
    let open = published(dir.path(), Some(1));
    let html = report(&wh);
    let trailing = |wh: &Path| -> BTreeMap<(String, String), BTreeMap<String, String>> {
        let (names, rows) = read_table(wh, "office_indicators");
        rows.into_iter()
            .map(|r| names.iter().cloned().zip(r).collect::<BTreeMap<_, _>>())
            .filter(|r| r["period_type"] == "trailing_12m")
            .map(|r| ((r["office_id"].clone(), r["tenure_band"].clone()), r))
            .collect()
    };
    let (shown, all) = (trailing(&wh), trailing(&open));
    let mut hidden = 0;
    for (measure, title) in [
        ("sts_mean", "Secondary traumatic stress"),
        ("burnout_mean", "Burnout"),
        ("resilience_mean", "Resilience"),
    ] {
        let table = heat_table(&html, title);
        for (cell, row) in &shown {
            let value = &all[cell][measure];
            if row[measure] != "∅" || value == "∅" {
                continue;
            }
            hidden += 1;
            let text = &table[cell];
            assert!(
                text.starts_with("fewer than 5 respondents") || text.starts_with("suppressed"),
                "{measure} of {cell:?} reads {text:?}; its hidden value is {value}"
            );
            // The table behind the heat tables says the same, in the measure's column.
            let details = &html[html.find("<section id=\"wellbeing\">").unwrap()..];
            let at = details
                .find(&format!("<tr><td>{}</td><td>{}</td>", cell.0, cell.1))
                .unwrap_or_else(|| panic!("{cell:?} in the table behind the heat tables"));
            let row = &details[at..at + details[at..].find("</tr>").unwrap()];
            let cells: Vec<&str> = row
                .split("<td>")
                .skip(1)
                .map(|c| c.trim_end_matches("</td>"))
                .collect();
            let column = 2
                + 2 * ["sts_mean", "burnout_mean", "resilience_mean"]
                    .iter()
                    .position(|m| *m == measure)
                    .unwrap()
                + 1;
            assert_eq!(cells[column], "suppressed", "{measure} of {cell:?}: {row}");
        }
    }
    assert!(hidden >= 3, "the fixture suppresses cells ({hidden})");
    eprintln!("{hidden} wellbeing cells are suppressed");
}

/// The cells of a heat table, by (office, band), read from the page.
fn heat_table(html: &str, title: &str) -> BTreeMap<(String, String), String> {
    let start = html.find(&format!("<h3>{title}")).expect(title);
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap()];
    let bands: Vec<String> = table
        .split("<th scope=\"col\">")
        .skip(2)
        .map(|h| h[..h.find('<').unwrap()].to_string())
        .collect();
    let mut cells = BTreeMap::new();
    for row in table.split("<tr><th scope=\"row\">").skip(1) {
        let office = row[..row.find('<').unwrap()].to_string();
        for (band, td) in bands.iter().zip(row.split("<td").skip(1)) {
            let text = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
            cells.insert((office.clone(), band.clone()), text.to_string());
        }
    }
    assert!(!cells.is_empty(), "{title}");
    cells
}

/// The page's structure: headings, readings, each chart's marks and texts, and each
/// table's header and size, with the run's id and times filtered.
#[test]
fn the_report_structure_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path(), None);
    let html = report(&wh);
    let mut outline = Vec::new();
    for line in html.lines() {
        for tag in [
            "<h1>",
            "<h2>",
            "<h3>",
            "<p class=\"reading\">",
            "<p class=\"meta\">",
        ] {
            if let Some(at) = line.find(tag) {
                outline.push(format!("{tag} {}", strip_tags(&line[at..])));
            }
        }
        if line.starts_with("<div class=\"card\">") {
            outline.push(format!("card: {}", strip_tags(line)));
        }
        if let Some(at) = line.find("<summary>") {
            outline.push(format!("  {}", strip_tags(&line[at..])));
        }
    }
    for svg in html.split("<svg").skip(1) {
        let svg = &svg[..svg.find("</svg>").unwrap()];
        let title = strip_tags(&svg[svg.find("<title>").unwrap()..svg.find("</title>").unwrap()]);
        let count = |tag: &str| svg.matches(&format!("<{tag}")).count();
        let texts: Vec<String> = svg
            .split("<text")
            .skip(1)
            .map(|t| strip_tags(&format!("<text{}", &t[..t.find("</text>").unwrap()])))
            .collect();
        outline.push(format!(
            "svg {title}: {} rect, {} polyline, {} path, {} polygon, {} text\n  {}",
            count("rect"),
            count("polyline"),
            count("path"),
            count("polygon"),
            texts.len(),
            texts.join(" | ")
        ));
    }
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{8}T\d{6}\.\d{3}Z-\d{5}", "[run id]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]");
    settings.bind(|| insta::assert_snapshot!("report_outline", outline.join("\n")));
}

fn strip_tags(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in text.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}
