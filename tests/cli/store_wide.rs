//! The privacy officer's year: `list` filters, `-i` by any part of an id or title, every
//! deadline of the store at once (table, JSON, calendar), the annual report to HHS, and the
//! summary cache those read, which must never show a stale incident.

use crate::Env;

/// A store with three incidents: a small assessed breach of 2026 (reported to nobody yet), a
/// closed one, and an unassessed one; returns their ids in that order.
fn year_of_incidents() -> (Env, [String; 3]) {
    let env = Env::new();
    let start = |title: &str, discovered: &str, runbook: &str| {
        env.breach([
            "--json",
            "start",
            "--runbook",
            runbook,
            "--discovered",
            discovered,
            "--title",
            title,
        ])
        .ok()
        .json()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let small = start(
        "Lab results to Quill Pharmacy",
        "2026-01-05 10:00",
        "misdirected-email",
    );
    env.breach([
        "-i",
        &small,
        "facts",
        "--affected",
        "40",
        "--unreachable",
        "0",
        "--phi-types",
        "names and lab results",
    ])
    .ok();
    env.breach([
        "-i",
        &small,
        "assess",
        "--secured",
        "no",
        "--exception",
        "none",
        "--nature",
        "high",
        "--nature-why",
        "lab results",
        "--recipient",
        "high",
        "--recipient-why",
        "a pharmacy",
        "--acquired",
        "high",
        "--acquired-why",
        "opened",
        "--mitigation",
        "low",
        "--mitigation-why",
        "none",
        "--determination",
        "notification-required",
        "--signed-by",
        "Dana Whit",
        "--role",
        "Privacy Officer",
    ])
    .ok();
    let closed = start(
        "Old phishing case",
        "2025-06-01 09:00",
        "compromised-mailbox",
    );
    env.breach([
        "-i",
        &closed,
        "close",
        "--force",
        "--reason",
        "handled on paper",
    ])
    .ok();
    let unassessed = start(
        "Reply-all to the wrong list",
        "2026-02-10 08:00",
        "misdirected-email",
    );
    (env, [small, closed, unassessed])
}

#[test]
fn list_filters_by_state_year_overdue_and_runbook_sorted_by_discovery() {
    let (env, [small, closed, unassessed]) = year_of_incidents();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["--json", "list"];
        full.extend_from_slice(args);
        env.breach(full).ok().json()["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // By discovery: 2025-06-01, 2026-01-05, 2026-02-10.
    assert_eq!(
        ids(&[]),
        [closed.clone(), small.clone(), unassessed.clone()]
    );
    assert_eq!(ids(&["--state", "closed"]), [closed.as_str()]);
    assert_eq!(
        ids(&["--state", "open", "--year", "2026"]),
        [small.clone(), unassessed.clone()]
    );
    assert_eq!(
        ids(&["--runbook", "compromised-mailbox"]),
        [closed.as_str()]
    );
    // Discovered in January and February, both past their 60 days on 10 March? No: the small
    // one's individual notice was due 6 March; the unassessed one's falls in April. But the
    // unassessed one is a month late on its runbook's first steps: overdue too.
    assert_eq!(ids(&["--overdue"]), [small.clone(), unassessed.clone()]);
    let none = env.breach(["list", "--year", "2019"]).ok();
    assert!(none.stdout.contains("match"), "{}", none.stdout);
    let bad = env.breach(["list", "--state", "shut"]).fails(2);
    assert!(bad.stderr.contains("open"), "{}", bad.stderr);
}

#[test]
fn dash_i_takes_any_unique_part_of_an_id_or_a_title() {
    let (env, [small, _, unassessed]) = year_of_incidents();
    let status = |part: &str| env.breach(["--json", "-i", part, "status"]).run();
    assert_eq!(status("quill").json()["id"], small.as_str());
    assert_eq!(status("REPLY-ALL").json()["id"], unassessed.as_str());
    let tail = &small[small.len() - 4..];
    assert_eq!(status(tail).json()["id"], small.as_str());
    let ambiguous = env.breach(["-i", "to", "status"]).fails(1);
    assert!(
        ambiguous.stderr.contains(&small) && ambiguous.stderr.contains(&unassessed),
        "{}",
        ambiguous.stderr
    );
    let none = env.breach(["-i", "no such words", "status"]).fails(1);
    assert!(
        none.error_line().contains("no such words"),
        "{}",
        none.stderr
    );
}

#[test]
fn without_dash_i_among_many_open_incidents_the_error_names_ten_and_counts_the_rest() {
    let env = Env::new();
    let mut ids: Vec<String> = (1..=12)
        .map(|n| env.start_minimal(&format!("Misdirected fax {n}")))
        .collect();
    ids.sort();
    let out = env.breach(["status"]).fails(1);
    let line = out.error_line();
    assert!(line.contains("12 incidents are open"), "{}", out.stderr);
    assert!(line.contains("and 2 more"), "{}", out.stderr);
    assert!(
        line.contains(&format!("{} (Misdirected fax", ids[0])) && !line.contains(&ids[11]),
        "the first ten by id, with their titles: {}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    // Ambiguous prefixes are named the same way.
    let ambiguous = env.breach(["-i", "2026", "status"]).fails(1);
    assert!(
        ambiguous.error_line().contains("and 2 more"),
        "{}",
        ambiguous.stderr
    );
    // Close all but one, then damage that one's log: it is still the one chosen without -i
    // (so that `verify` can be pointed at it), and the closed ones are passed over.
    for id in &ids[1..] {
        env.breach(["-i", id, "close", "--force", "--reason", "a practice run"])
            .ok();
    }
    let log = env.log_path(&ids[0]);
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("Misdirected fax", "Misdirected fix", 1)).unwrap();
    let verify = env.breach(["verify"]).fails(1);
    assert!(
        verify.stdout.contains(&format!("FAILED: {}", ids[0])),
        "{}",
        verify.stdout
    );
}

#[test]
fn deadlines_all_lists_every_open_obligation_overdue_first_and_as_a_calendar() {
    let (env, [small, closed, unassessed]) = year_of_incidents();
    let all = env.breach(["--json", "deadlines", "--all"]).ok().json();
    let rows = all["obligations"].as_array().unwrap();
    assert_eq!(rows[0]["status"], "overdue");
    assert_eq!(rows[0]["id"], small.as_str());
    assert!(
        rows.iter().all(|r| r["id"] != closed.as_str()),
        "a closed incident owes nothing here"
    );
    assert!(
        rows.iter()
            .any(|r| r["id"] == unassessed.as_str() && r["key"] == "hhs_notice")
    );
    // The same events, with the same UIDs, as each incident's own calendar.
    let store_ics = env.breach(["deadlines", "--all", "--ics"]).ok().stdout;
    let own_ics = env
        .breach(["-i", &unassessed, "export", "--format", "ics"])
        .ok()
        .stdout;
    let uids = |ics: &str| -> Vec<String> {
        ics.lines()
            .filter(|l| l.starts_with("UID:"))
            .map(str::to_owned)
            .collect()
    };
    for uid in uids(&own_ics) {
        assert!(
            store_ics.contains(&uid),
            "{uid} missing from the store calendar"
        );
    }
    assert_eq!(uids(&store_ics).len(), rows.len());
    assert!(
        store_ics.starts_with("BEGIN:VCALENDAR\r\n") && store_ics.ends_with("END:VCALENDAR\r\n")
    );
    let file = env.path().join("all.ics");
    env.breach(["deadlines", "--all", "--ics", "-o", file.to_str().unwrap()])
        .ok();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), store_ics);
    env.breach(["deadlines", "--ics"]).fails(2);
}

#[test]
fn the_annual_report_lists_small_breaches_of_the_year_and_warns_of_unassessed_ones() {
    let (env, [small, closed, unassessed]) = year_of_incidents();
    let report = env.breach(["--json", "annual", "2026"]).ok().json();
    assert_eq!(report["due"], "2027-03-01");
    let rows = report["incidents"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], small.as_str());
    assert_eq!(rows[0]["affected"], 40);
    assert_eq!(rows[0]["phi_types"], "names and lab results");
    assert_eq!(rows[0]["reported"], false);
    assert_eq!(rows[0]["location"], "Email");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains(&unassessed)),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains(&closed))
    );
    // Reported through the portal: the row says so.
    env.breach([
        "-i",
        &small,
        "notify",
        "--to",
        "hhs",
        "--date",
        "2026-03-09",
        "--method",
        "portal",
    ])
    .ok();
    let report = env.breach(["--json", "annual", "2026"]).ok().json();
    assert_eq!(report["incidents"][0]["reported_on"], "2026-03-09");
    // CSV for the spreadsheet: a header and one row; the warning goes to stderr.
    let csv = env.breach(["annual", "2026", "--format", "csv"]).ok();
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.stdout);
    assert!(lines[0].starts_with("incident,title,discovered,breach_started"));
    assert!(lines[1].starts_with(&small) && lines[1].contains("2026-03-09"));
    assert!(csv.stderr.contains(&unassessed));
    let table = env.breach(["annual", "2026"]).ok().stdout;
    assert!(
        table.contains("2027-03-01") && table.contains("WARNING"),
        "{table}"
    );
    assert!(
        env.breach(["--json", "annual", "2025"]).ok().json()["incidents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    env.breach(["annual", "26x"]).fails(2);
}

#[test]
fn the_summary_cache_follows_the_log_and_a_forged_one_is_not_believed() {
    let (env, [small, ..]) = year_of_incidents();
    let title_of = |env: &Env| -> String {
        env.breach(["--json", "list", "--year", "2026", "--state", "open"])
            .ok()
            .json()["incidents"][0]["progress"]
            .to_string()
    };
    let before = title_of(&env);
    let cache = env.store().join("cache/summaries.jsonl");
    assert!(cache.exists());
    // A step done since the cache was built: the list shows it.
    env.breach([
        "-i",
        &small,
        "na",
        "check-part-2-records",
        "--reason",
        "no Part 2 records",
    ])
    .ok();
    assert_ne!(title_of(&env), before);
    // A cache rewritten to claim another title for the same log is believed only while its key
    // matches the log; one for another log is rebuilt.
    let text = std::fs::read_to_string(&cache).unwrap();
    let forged = text.replace("Lab results to Quill Pharmacy", "Nothing happened");
    // The fourth field of a line's head is the log's length in bytes.
    let forged: String = forged
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
            fields[3] = format!("1{}", fields[3]);
            fields.join("\t") + "\n"
        })
        .collect();
    std::fs::write(&cache, forged).unwrap();
    let listed = env.breach(["--json", "list"]).ok().stdout;
    assert!(
        listed.contains("Quill") && !listed.contains("Nothing happened"),
        "{listed}"
    );
    // Garbage in the cache is ignored, and verify never reads it.
    std::fs::write(&cache, "not json\n{").unwrap();
    assert!(env.breach(["--json", "list"]).ok().stdout.contains("Quill"));
    env.breach(["-i", &small, "verify"]).ok();
}

#[test]
fn reading_the_store_shows_progress_on_a_terminal_and_nothing_when_piped() {
    let (env, _) = year_of_incidents();
    let mut list = env.command(["list"]);
    // A terminal that says what it is: with no TERM, a bar is not drawn either.
    list.env("TERM", "xterm");
    let mut p =
        rexpect::session::spawn_command(list, Some(10_000)).expect("spawn breach list in a pty");
    p.exp_string("reading incidents")
        .expect("a progress bar on the terminal");
    p.exp_string("phishing").expect("then the list");
    let piped = env.breach(["list"]).ok();
    assert!(
        !piped.stderr.contains("reading incidents"),
        "{}",
        piped.stderr
    );
    assert!(!piped.stdout.contains('\u{1b}') && !piped.stderr.contains('\u{1b}'));
}

#[test]
fn a_long_log_is_read_from_its_snapshot_and_the_tail_is_still_verified() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    for n in 0..70 {
        env.breach(["note", &format!("Call log entry {n}")]).ok();
    }
    let snapshot = env.store().join(format!("cache/{id}.state.json"));
    let with = env.breach(["--json", "status"]).ok().stdout;
    assert!(
        snapshot.exists(),
        "a read of 64 entries or more keeps a snapshot"
    );
    // The same state with and without it.
    std::fs::remove_dir_all(env.store().join("cache")).unwrap();
    assert_eq!(env.breach(["--json", "status"]).ok().stdout, with);
    env.breach(["--json", "status"]).ok();
    assert!(snapshot.exists());
    // An append goes on from it, and the next read sees the entry.
    let mut done = vec!["done", "identify-message"];
    done.extend(crate::IDENTIFY_MESSAGE_EVIDENCE);
    env.breach(done).ok();
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(status["entries"], 72);
    // A snapshot that does not end where the log says is not used: the whole log is read.
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let forged = text.replacen("\"offset\":", "\"offset\":1", 1);
    std::fs::write(&snapshot, forged).unwrap();
    assert_eq!(env.breach(["--json", "status"]).ok().json()["entries"], 72);
    // Damage after the snapshot is found by every command, not only by verify.
    let log = env.log_path(&id);
    let mut bytes = std::fs::read(&log).unwrap();
    let last = bytes.len() - 2;
    bytes[last - 70] ^= 1; // inside the last entry's hash
    std::fs::write(&log, &bytes).unwrap();
    let damaged = env.breach(["status"]).fails(1);
    assert!(
        damaged.error_line().contains("entry 71"),
        "{}",
        damaged.stderr
    );
    env.breach(["note", "not on a damaged log"]).fails(1);
}

#[test]
fn dash_o_dash_is_standard_output_and_csv_can_carry_a_byte_order_mark() {
    let (env, [small, ..]) = year_of_incidents();
    let out = env
        .breach(["annual", "2026", "--format", "csv", "-o", "-"])
        .ok();
    assert!(out.stdout.starts_with("incident,title"), "{}", out.stdout);
    assert!(!env.path().join("-").exists(), "no file named `-`");
    let bom = env
        .breach(["annual", "2026", "--format", "csv", "--bom"])
        .ok();
    assert!(bom.stdout.starts_with("\u{feff}incident,title"));
    env.breach(["annual", "2026", "--bom"]).fails(2);
    let timeline = env
        .breach([
            "-i", &small, "export", "--format", "csv", "--bom", "-o", "-",
        ])
        .ok();
    assert!(timeline.stdout.starts_with('\u{feff}'));
    assert!(!env.path().join("-").exists());
    env.breach(["-i", &small, "export", "--format", "json", "--bom"])
        .fails(2);
    let letter = env
        .breach(["-i", &small, "letter", "individual", "-o", "-"])
        .ok();
    assert!(letter.stdout.contains("Dear"), "{}", letter.stdout);
    assert!(!env.path().join("-").exists());
    // In a calendar an overdue obligation says so; a met one says when, and reminds of nothing.
    let ics = env
        .breach(["deadlines", "--all", "--ics", "-o", "-"])
        .ok()
        .stdout;
    assert!(
        ics.contains("SUMMARY:OVERDUE: Notice to individuals due: incident"),
        "{ics}"
    );
    env.breach([
        "-i",
        &small,
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
    ])
    .ok();
    let own = env
        .breach(["-i", &small, "export", "--format", "ics"])
        .ok()
        .stdout;
    let event = own
        .split("BEGIN:VEVENT")
        .find(|e| e.contains("individual_notice@breach"))
        .unwrap();
    assert!(event.contains("met on 2026-03-09"), "{event}");
    assert!(!event.contains("VALARM"), "{event}");
}

#[test]
fn a_practice_incident_is_discarded_with_a_reason_kept_and_out_of_the_way() {
    let env = Env::new();
    let practice = env.start("misdirected-email");
    let real = env
        .breach([
            "--json",
            "start",
            "--runbook",
            "compromised-mailbox",
            "--discovered",
            "2026-03-02 08:00",
            "--title",
            "Phished billing mailbox",
        ])
        .ok()
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two open, no terminal: the error names each with its title.
    let two = env.breach(["status"]).fails(1);
    assert!(
        two.error_line()
            .contains(&format!("{practice} (Test incident)"))
            && two.error_line().contains("Phished billing mailbox"),
        "{}",
        two.stderr
    );
    let bare = env.breach(["-i", "Test incident", "discard"]).fails(2);
    assert!(bare.stderr.contains("--reason"));
    env.breach([
        "-i",
        "Test incident",
        "discard",
        "--reason",
        "Practice run from the README",
    ])
    .ok();
    // The real one is now the only open incident: no -i needed.
    assert_eq!(
        env.breach(["--json", "status"]).ok().json()["id"],
        real.as_str()
    );
    let listed = env.breach(["--json", "list"]).ok().json();
    assert_eq!(listed["incidents"].as_array().unwrap().len(), 1);
    let discarded = env
        .breach(["--json", "list", "--state", "discarded"])
        .ok()
        .json();
    assert_eq!(discarded["incidents"][0]["id"], practice.as_str());
    assert_eq!(discarded["incidents"][0]["state"], "discarded");
    // Kept whole: the log verifies and says why; it takes no more work.
    env.breach(["-i", &practice, "verify"]).ok();
    let log = std::fs::read_to_string(env.log_path(&practice)).unwrap();
    assert!(log.contains(
        "\"kind\":\"incident_discarded\",\"data\":{\"reason\":\"Practice run from the README\"}"
    ));
    env.breach(["-i", &practice, "done", "identify-message"])
        .fails(1);
    assert!(
        !env.breach(["--json", "deadlines", "--all"])
            .ok()
            .stdout
            .contains(&practice)
    );
    env.breach(["-i", &practice, "discard", "--reason", "again"])
        .fails(1);
    // Real after all: reopened.
    env.breach([
        "-i",
        &practice,
        "reopen",
        "--reason",
        "It was a real breach after all",
    ])
    .ok();
    assert_eq!(
        env.breach(["--json", "list"]).ok().json()["incidents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A closed incident is part of the record: not discarded.
    env.breach([
        "-i",
        &real,
        "close",
        "--force",
        "--reason",
        "handled on paper",
    ])
    .ok();
    let closed = env
        .breach(["-i", &real, "discard", "--reason", "tidy"])
        .fails(1);
    assert!(
        closed.error_line().contains("is not discarded"),
        "{}",
        closed.stderr
    );
}

#[test]
fn among_several_open_incidents_a_terminal_asks_which() {
    let (env, [small, _, unassessed]) = year_of_incidents();
    let mut status = env.command(["status"]);
    status.env("TERM", "xterm");
    let mut p =
        rexpect::session::spawn_command(status, Some(10_000)).expect("spawn breach in a pty");
    p.exp_string("Which one?").expect("a picker");
    // Typing filters the list, as in any picker: the one that matches is chosen.
    p.send("Reply").unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_string(&format!("Incident {unassessed} [open]"))
        .expect("the chosen incident's status");
    assert_ne!(small, unassessed);
}

#[test]
fn views_sorted_on_disk_print_the_same_and_leave_nothing_behind() {
    let (env, _) = year_of_incidents();
    env.breach(["list"]).ok();
    let views: [&[&str]; 7] = [
        &["list"],
        &["--json", "list"],
        &["deadlines", "--all"],
        &["--json", "deadlines", "--all"],
        &["annual", "2026"],
        &["annual", "2026", "--format", "csv"],
        &["--json", "annual", "2026"],
    ];
    for args in views {
        let in_memory = env.breach(args).ok().stdout;
        // One row held at a time: every other row goes through a sorted segment on disk.
        let mut on_disk = env.command(args);
        on_disk.env("BREACH_SORT_SEGMENT", "1");
        let out = on_disk.output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            in_memory,
            "{args:?}"
        );
    }
    // The segments were unnamed files in the store's cache: nothing is left there.
    let names = || -> Vec<_> {
        let mut names: Vec<_> = std::fs::read_dir(env.store().join("cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let before = names();
    let mut on_disk = env.command(["deadlines", "--all"]);
    on_disk.env("BREACH_SORT_SEGMENT", "1");
    assert!(on_disk.output().unwrap().status.success());
    assert_eq!(names(), before);
}

#[test]
fn a_sort_with_nowhere_to_write_says_where_it_looked_and_changes_nothing() {
    let (env, [small, ..]) = year_of_incidents();
    let before = env.log_bytes(&small);
    // No cache directory (a file stands in its place) and no temporary directory.
    let cache = env.store().join("cache");
    let _ = std::fs::remove_dir_all(&cache);
    std::fs::write(&cache, "not a directory").unwrap();
    let mut list = env.command(["list"]);
    list.env("BREACH_SORT_SEGMENT", "1")
        .env("TMPDIR", env.path().join("missing"));
    let out = list.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot sort the rows on disk") && stderr.contains("missing"),
        "{stderr}"
    );
    assert_eq!(env.log_bytes(&small), before);
}

#[test]
fn tables_wrap_only_for_a_screen_and_never_inside_a_word() {
    let (env, [small, ..]) = year_of_incidents();
    // Piped with no COLUMNS: each incident on one line, whatever its length.
    let mut piped = env.command(["list"]);
    piped.env_remove("COLUMNS");
    let out = String::from_utf8(piped.output().unwrap().stdout).unwrap();
    let row = out.lines().find(|l| l.contains(&small)).unwrap();
    assert!(row.contains("Lab results to Quill Pharmacy"), "{out}");
    // For a narrow screen: wrapped in the title only, at spaces; ids and dates whole.
    let mut narrow = env.command(["list"]);
    narrow.env("COLUMNS", "70");
    let out = String::from_utf8(narrow.output().unwrap().stdout).unwrap();
    assert!(out.contains(&small) && out.contains("2026-01-05"), "{out}");
    for word in ["Pharmacy", "phishing", "wrong"] {
        assert!(out.contains(word), "{word} split in\n{out}");
    }
    assert!(out.lines().count() > 6, "wrapped:\n{out}");
}

#[test]
fn help_lists_a_commands_own_options_first_and_the_global_ones_under_their_heading() {
    let env = Env::new();
    let help = env.breach(["list", "--help"]).ok().stdout;
    let own = help.find("--overdue").unwrap();
    let heading = help
        .find("Global options:")
        .expect("a heading for the global options");
    let store = help.find("--store").unwrap();
    assert!(own < heading && heading < store, "{help}");
}

#[test]
fn the_summary_cache_is_rewritten_only_where_it_changed_and_mends_a_damaged_line() {
    use std::os::unix::fs::MetadataExt;
    let env = Env::new();
    let mut ids: Vec<String> = ["First", "Second", "Third"]
        .iter()
        .map(|t| env.start_minimal(t))
        .collect();
    // The cache is in order of id.
    ids.sort();
    env.breach(["list"]).ok();
    let cache = env.store().join("cache/summaries.jsonl");
    let lines = |path: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let built = lines(&cache);
    assert_eq!(built.len(), 3);
    // Nothing changed: the cache is read, not written again.
    let inode = std::fs::metadata(&cache).unwrap().ino();
    env.breach(["list"]).ok();
    assert_eq!(std::fs::metadata(&cache).unwrap().ino(), inode);
    assert_eq!(lines(&cache), built);

    // An entry in the middle incident: its line alone is rebuilt, the others kept byte for byte.
    env.breach(["-i", &ids[1], "note", "A new note"]).ok();
    let listed = env.breach(["--json", "list"]).ok().json();
    let after = lines(&cache);
    assert_eq!(after.len(), 3);
    assert_eq!(after[0], built[0]);
    assert_ne!(after[1], built[1]);
    assert_eq!(after[2], built[2]);
    assert_eq!(
        listed["incidents"][1]["head"]["seq"], 1,
        "the list shows the new head"
    );

    // A damaged line and a line for an incident that is not in the store: both go, the damaged
    // one rebuilt from its log exactly as it was.
    let mut planted = after.clone();
    planted[1] = "{\"version\":2,\"tool\":".to_owned();
    planted.insert(2, after[2].replace(&ids[2], "19990101-gone"));
    std::fs::write(&cache, planted.join("\n") + "\n").unwrap();
    env.breach(["list"]).ok();
    assert_eq!(lines(&cache), after);

    // A line whose key still matches its log but whose summary is damaged (it is read only by
    // the view): the view cannot read it, so it is rebuilt from the log, never shown as
    // unreadable. Once as broken JSON, once as JSON of the wrong shape.
    for damage in ["{\"id\":", "{\"id\":[]}"] {
        // The summary follows the head's last tab (compact JSON holds none of its own).
        let (head, _) = after[0]
            .rsplit_once('\t')
            .expect("a head, a tab, a summary");
        let mut planted = after.clone();
        planted[0] = format!("{head}\t{damage}");
        std::fs::write(&cache, planted.join("\n") + "\n").unwrap();
        let listed = env.breach(["--json", "list"]).ok().json();
        let incidents = listed["incidents"].as_array().unwrap();
        assert_eq!(incidents.len(), 3, "{listed}");
        assert!(
            incidents.iter().all(|i| i["state"] != "unreadable"),
            "{listed}"
        );
        assert_eq!(lines(&cache), after, "the damaged line rebuilt as it was");
        // The same through another view.
        std::fs::write(&cache, planted.join("\n") + "\n").unwrap();
        let deadlines = env.breach(["--json", "deadlines", "--all"]).ok().stdout;
        assert!(!deadlines.contains("cannot be read"), "{deadlines}");
        assert_eq!(lines(&cache), after);
    }
    // A summary whose title is not UTF-8: the view's parse is what checks it.
    let mut bytes = Vec::new();
    for (n, line) in after.iter().enumerate() {
        let mut line = line.clone().into_bytes();
        if n == 0 {
            let at = line
                .windows(9)
                .position(|w| w == b"\"title\":\"")
                .expect("a title")
                + 9;
            line.insert(at, 0xff);
        }
        bytes.extend(line);
        bytes.push(b'\n');
    }
    std::fs::write(&cache, &bytes).unwrap();
    let listed = env.breach(["--json", "list"]).ok().json();
    let incidents = listed["incidents"].as_array().unwrap();
    assert!(
        incidents.iter().all(|i| i["state"] != "unreadable"),
        "{listed}"
    );
    assert_eq!(lines(&cache), after, "the line rebuilt as it was");
    // A line longer than any summary (2 MiB), first and last (with no newline): passed over
    // without being held, and the cache rebuilt as it was.
    let long = "x".repeat(2 << 20);
    let planted = format!("{long}\n{}\n{long}", after.join("\n"));
    std::fs::write(&cache, planted).unwrap();
    let listed = env.breach(["--json", "list"]).ok().json();
    assert_eq!(listed["incidents"].as_array().unwrap().len(), 3, "{listed}");
    assert_eq!(lines(&cache), after);
}

#[test]
fn list_counts_overdue_steps_and_overdue_obligations_apart() {
    // Pinned to UTC: the hours a step is due after discovery are counted from 09:30 UTC.
    let mut env = Env::utc();
    // Discovered 1 March 09:30; no step is due within the first hour.
    let id = env.start("misdirected-email");
    let row = |env: &Env| env.breach(["--json", "list"]).ok().json()["incidents"][0].clone();
    let overdue_ids = |env: &Env| -> Vec<String> {
        env.breach(["--json", "list", "--overdue"]).ok().json()["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    env.set_now("2026-03-01T10:00:00Z");
    let early = row(&env);
    assert_eq!(early["overdue_steps"], 0, "{early}");
    assert!(overdue_ids(&env).is_empty());
    // Two days on: steps are late, no notice is yet due.
    env.set_now("2026-03-03T12:00:00Z");
    let late = row(&env);
    let steps = late["overdue_steps"].as_u64().unwrap();
    assert!(steps >= 1, "{late}");
    assert_eq!(late["overdue_obligations"], 0);
    assert_eq!(
        late["overdue"], 0,
        "the old key still counts obligations only"
    );
    assert_eq!(overdue_ids(&env), std::slice::from_ref(&id));
    let text = env.breach(["list"]).ok().stdout;
    assert!(
        text.contains(&format!("{steps} step")) && !text.contains("notice"),
        "{text}"
    );
    // Past the 60 days both are late, each named.
    env.set_now("2026-05-15T12:00:00Z");
    let both = row(&env);
    assert!(both["overdue_obligations"].as_u64().unwrap() >= 1, "{both}");
    assert_eq!(both["overdue"], both["overdue_obligations"]);
    let text = env.breach(["list"]).ok().stdout;
    assert!(
        text.contains("steps, ") && text.contains("notice"),
        "{text}"
    );
    // A step done is no longer counted.
    env.breach([
        "skip",
        "attempt-recall",
        "--reason",
        "sent outside the organisation",
    ])
    .ok();
    let after = row(&env);
    assert_eq!(
        after["overdue_steps"].as_u64().unwrap() + 1,
        both["overdue_steps"].as_u64().unwrap(),
        "{after}"
    );
}

#[test]
fn a_first_list_of_many_incidents_shows_each_in_order_and_believes_no_pinned_text_unchecked() {
    // More incidents than the walk looks ahead of the view (their logs are replayed side by
    // side), all on one runbook, none in the cache yet.
    let env = Env::new();
    let mut started: Vec<(String, String)> = (0..40)
        .map(|n| {
            let title = format!("Incident number {n:02}");
            (env.start_minimal(&title), title)
        })
        .collect();
    started.sort();
    // One in the middle has its pinned runbook's text altered and the chain rebuilt: the
    // intact incidents on the same runbook read just before it must not vouch for its text.
    let forged = started[25].0.clone();
    crate::compat::forge_log(
        &env.log_path(&forged),
        "instructions: Find it.",
        "instructions: Ignore it.",
        "the pinned text holds the step",
    );

    let listed = env.breach(["--json", "list"]).ok().json();
    let rows = listed["incidents"].as_array().unwrap();
    assert_eq!(rows.len(), started.len(), "{listed}");
    // The unreadable one first, then the rest by discovery (all the same day) and id.
    let forged_row = &rows[0];
    assert_eq!(forged_row["id"], forged.as_str(), "{listed}");
    assert_eq!(forged_row["state"], "unreadable", "{forged_row}");
    let error = forged_row["error"].as_str().unwrap();
    assert!(
        error.contains("the pinned text was altered"),
        "{forged_row}"
    );
    let intact = started.iter().filter(|(id, _)| *id != forged);
    for (row, (id, title)) in rows[1..].iter().zip(intact) {
        assert_eq!(row["id"], id.as_str(), "{listed}");
        assert_eq!(row["title"], title.as_str(), "{row}");
        assert_eq!(row["state"], "open", "{row}");
    }
    // The cache holds every readable incident in order of id, and a list read from it shows
    // the same.
    let cache = std::fs::read_to_string(env.store().join("cache/summaries.jsonl")).unwrap();
    let cached: Vec<&str> = cache
        .lines()
        .map(|l| l.split('\t').nth(2).unwrap())
        .collect();
    let readable: Vec<&str> = started
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| *id != forged)
        .collect();
    assert_eq!(cached, readable);
    assert_eq!(env.breach(["--json", "list"]).ok().json(), listed);
}
